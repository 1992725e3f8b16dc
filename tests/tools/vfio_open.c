// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio_open GROUP NAME: open /dev/vfio/GROUP, attach it to a new TYPE1v2
 * container and ask for the device NAME (VFIO_GROUP_GET_DEVICE_FD).  Prints
 * "OK" or the symbolic errno of the first step that failed, prefixed with
 * the step, e.g. "get_device_fd ENODEV".  Exit status 0 only on success.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/vfio.h>

static int fail(const char *step)
{
	printf("%s %s\n", step, strerrorname_np(errno));
	return 1;
}

int main(int argc, char **argv)
{
	struct vfio_group_status status = { .argsz = sizeof(status) };
	char path[64];
	int container, group, device;

	if (argc != 3) {
		fprintf(stderr, "usage: %s GROUP NAME\n", argv[0]);
		return 2;
	}

	snprintf(path, sizeof(path), "/dev/vfio/%s", argv[1]);
	group = open(path, O_RDWR);
	if (group < 0)
		return fail("open_group");

	if (ioctl(group, VFIO_GROUP_GET_STATUS, &status))
		return fail("group_status");
	if (!(status.flags & VFIO_GROUP_FLAGS_VIABLE)) {
		printf("group_status not-viable\n");
		return 1;
	}

	container = open("/dev/vfio/vfio", O_RDWR);
	if (container < 0)
		return fail("open_container");
	if (ioctl(group, VFIO_GROUP_SET_CONTAINER, &container))
		return fail("set_container");
	if (ioctl(container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU))
		return fail("set_iommu");

	device = ioctl(group, VFIO_GROUP_GET_DEVICE_FD, argv[2]);
	if (device < 0)
		return fail("get_device_fd");

	/* Hold the device open for a while if asked (used by removal tests). */
	if (getenv("VFIO_OPEN_HOLD"))
		sleep(atoi(getenv("VFIO_OPEN_HOLD")));

	printf("OK\n");
	close(device);
	close(group);
	close(container);
	return 0;
}
