// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio_region GROUP NAME COMMAND...: open device NAME of IOMMU group GROUP
 * (as vfio_open does) and run the commands on it in order, one line of
 * output each:
 *
 *   info INDEX              region INDEX's VFIO_DEVICE_GET_REGION_INFO:
 *                           "info flags=0x.. size=0x.." and one line per
 *                           capability: "cap sparse_mmap OFF+SIZE ...",
 *                           "cap msix_mappable", "cap type T/S",
 *                           "cap id=N"
 *   read INDEX OFF SIZE     "read 0x<value>" (SIZE 1, 2, 4 or 8)
 *   write INDEX OFF SIZE V  "write OK"
 *   low_power               VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY: "low_power OK"
 *   low_power_exit          VFIO_DEVICE_FEATURE_LOW_POWER_EXIT
 *   wait_suspended BDF      wait (10 s at most) until BDF is runtime
 *                           suspended: "wait_suspended OK <power_state>"
 *
 * A command that fails prints "COMMAND ERRNO" (e.g. "read EIO") and the
 * next one runs all the same.  A failed open prints "STEP ERRNO" as
 * vfio_open does.  Exit status 0 if every command succeeded.
 */
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include "vfio_tool.h"

/* Where vfio_pci_core puts region @i in the device file (not uAPI). */
#define REGION_OFFSET(i)	((uint64_t)(i) << 40)

static int print_errno(const char *cmd)
{
	printf("%s %s\n", cmd, strerrorname_np(errno));
	return 1;
}

static void print_caps(const struct vfio_region_info *info)
{
	const struct vfio_info_cap_header *hdr;
	const struct vfio_region_info_cap_sparse_mmap *sparse;
	const struct vfio_region_info_cap_type *type;
	uint32_t off = info->cap_offset, i;

	while (off) {
		if (off + sizeof(*hdr) > info->argsz) {
			printf("cap bad_offset=%u\n", off);
			return;
		}
		hdr = (const void *)((const char *)info + off);
		switch (hdr->id) {
		case VFIO_REGION_INFO_CAP_SPARSE_MMAP:
			sparse = (const void *)hdr;
			printf("cap sparse_mmap");
			for (i = 0; i < sparse->nr_areas; i++)
				printf(" 0x%llx+0x%llx",
				       (unsigned long long)sparse->areas[i].offset,
				       (unsigned long long)sparse->areas[i].size);
			printf("\n");
			break;
		case VFIO_REGION_INFO_CAP_MSIX_MAPPABLE:
			printf("cap msix_mappable\n");
			break;
		case VFIO_REGION_INFO_CAP_TYPE:
			type = (const void *)hdr;
			printf("cap type %u/%u\n", type->type, type->subtype);
			break;
		default:
			printf("cap id=%u\n", hdr->id);
			break;
		}
		if (hdr->next && hdr->next <= off) {
			printf("cap bad_next=%u\n", hdr->next);
			return;
		}
		off = hdr->next;
	}
}

static int cmd_info(int fd, unsigned int index)
{
	struct vfio_region_info *info;
	uint32_t argsz = sizeof(*info);
	int ret = 0;

	/* Ask once for the size, then with room for the capabilities. */
	for (;;) {
		info = calloc(1, argsz);
		if (!info)
			return print_errno("info");
		info->argsz = argsz;
		info->index = index;
		if (ioctl(fd, VFIO_DEVICE_GET_REGION_INFO, info)) {
			ret = print_errno("info");
			break;
		}
		if (info->argsz <= argsz) {
			printf("info flags=0x%x size=0x%llx\n", info->flags,
			       (unsigned long long)info->size);
			if (info->flags & VFIO_REGION_INFO_FLAG_CAPS)
				print_caps(info);
			break;
		}
		argsz = info->argsz;
		free(info);
	}
	free(info);
	return ret;
}

static int cmd_rw(int fd, int iswrite, unsigned int index, uint64_t off,
		  unsigned int size, uint64_t val)
{
	const char *cmd = iswrite ? "write" : "read";
	ssize_t n;

	if (size != 1 && size != 2 && size != 4 && size != 8) {
		errno = EINVAL;
		return print_errno(cmd);
	}
	if (iswrite)
		n = pwrite(fd, &val, size, REGION_OFFSET(index) + off);
	else
		n = pread(fd, &val, size, REGION_OFFSET(index) + off);
	if (n < 0)
		return print_errno(cmd);
	if (n != (ssize_t)size) {
		printf("%s short=%zd\n", cmd, n);
		return 1;
	}
	if (iswrite)
		printf("write OK\n");
	else
		printf("read 0x%llx\n", (unsigned long long)val);
	return 0;
}

static int cmd_feature(int fd, uint32_t feature, const char *cmd)
{
	struct vfio_device_feature f = {
		.argsz = sizeof(f),
		.flags = VFIO_DEVICE_FEATURE_SET | feature,
	};

	if (ioctl(fd, VFIO_DEVICE_FEATURE, &f))
		return print_errno(cmd);
	printf("%s OK\n", cmd);
	return 0;
}

static int read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	int ok;

	if (!f)
		return 0;
	ok = fgets(buf, len, f) != NULL;
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
	return ok;
}

static int cmd_wait_suspended(const char *bdf)
{
	struct timespec tick = { .tv_nsec = 50 * 1000 * 1000 };
	char path[128], status[64], state[64] = "?";
	int i;

	snprintf(path, sizeof(path),
		 "/sys/bus/pci/devices/%s/power/runtime_status", bdf);
	for (i = 0; i < 200; i++) {
		if (!read_line(path, status, sizeof(status)))
			return print_errno("wait_suspended");
		if (!strcmp(status, "suspended")) {
			snprintf(path, sizeof(path),
				 "/sys/bus/pci/devices/%s/power_state", bdf);
			read_line(path, state, sizeof(state));
			printf("wait_suspended OK %s\n", state);
			return 0;
		}
		nanosleep(&tick, NULL);
	}
	printf("wait_suspended ETIMEDOUT %s\n", status);
	return 1;
}

static int usage(const char *prog)
{
	fprintf(stderr, "usage: %s GROUP NAME COMMAND...\n", prog);
	return 2;
}

int main(int argc, char **argv)
{
	struct vfio_tool_dev d;
	const char *step;
	int i, failed = 0;

	if (argc < 4)
		return usage(argv[0]);

	step = vfio_tool_open(&d, argv[1], argv[2]);
	if (step)
		return vfio_tool_fail(step);

	for (i = 3; i < argc; i++) {
		const char *cmd = argv[i];

		if (!strcmp(cmd, "info") && i + 1 < argc) {
			failed |= cmd_info(d.device, strtoul(argv[i + 1], NULL, 0));
			i += 1;
		} else if (!strcmp(cmd, "read") && i + 3 < argc) {
			failed |= cmd_rw(d.device, 0, strtoul(argv[i + 1], NULL, 0),
					 strtoull(argv[i + 2], NULL, 0),
					 strtoul(argv[i + 3], NULL, 0), 0);
			i += 3;
		} else if (!strcmp(cmd, "write") && i + 4 < argc) {
			failed |= cmd_rw(d.device, 1, strtoul(argv[i + 1], NULL, 0),
					 strtoull(argv[i + 2], NULL, 0),
					 strtoul(argv[i + 3], NULL, 0),
					 strtoull(argv[i + 4], NULL, 0));
			i += 4;
		} else if (!strcmp(cmd, "low_power")) {
			failed |= cmd_feature(d.device,
					      VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY,
					      cmd);
		} else if (!strcmp(cmd, "low_power_exit")) {
			failed |= cmd_feature(d.device,
					      VFIO_DEVICE_FEATURE_LOW_POWER_EXIT,
					      cmd);
		} else if (!strcmp(cmd, "wait_suspended") && i + 1 < argc) {
			failed |= cmd_wait_suspended(argv[i + 1]);
			i += 1;
		} else {
			vfio_tool_close(&d);
			return usage(argv[0]);
		}
		fflush(stdout);
	}

	vfio_tool_close(&d);
	return failed;
}
