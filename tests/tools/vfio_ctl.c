// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio_ctl GROUP NAME: a VFIO user driven one command at a time, for shell
 * tests that check the kernel's state between the steps of a user (bash
 * coproc).  Opens device NAME of IOMMU group GROUP as vfio_open does and
 * prints "open" (or the failed step and errno, and exits 1), then reads
 * commands from stdin, one per line, and answers each with one line:
 *
 *   err_arm              an eventfd on the ERR IRQ: "err_arm OK"
 *   err_wait MS          wait up to MS ms for the ERR IRQ: "err_wait N",
 *                        N the eventfd's count
 *   reset                VFIO_DEVICE_RESET: "reset OK"
 *   mig STATE            VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE, STATE one of
 *                        error stop running stop_copy resuming running_p2p:
 *                        "mig OK", or "mig OK data" when the arc gave a data
 *                        fd (kept, replacing the previous one)
 *   mig_get              "mig_get STATE"
 *   save                 read the data fd to its end and keep the bytes:
 *                        "save BYTES"
 *   load                 write the kept bytes into the data fd: "load OK"
 *   garbage N            write N bytes of 0x5a into the data fd: "garbage OK"
 *   close_data           close the data fd: "close_data OK"
 *   read INDEX OFF SIZE  read of region INDEX: "read 0x<value>"
 *   write INDEX OFF SIZE VALUE
 *                        "write OK"
 *   quit                 close the device: "closed", and exit 0
 *
 * A command that fails prints "COMMAND ERRNO" (e.g. "mig EINVAL") and the
 * next one runs; an unknown one prints "COMMAND EINVAL".  The end of input
 * acts as quit.  Output is line-buffered.
 */
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/eventfd.h>

#include "vfio_tool.h"

/* Where vfio_pci_core puts region @i in the device file (not uAPI). */
#define REGION_OFFSET(i)	((uint64_t)(i) << 40)

static const char * const states[] = {
	[VFIO_DEVICE_STATE_ERROR]	= "error",
	[VFIO_DEVICE_STATE_STOP]	= "stop",
	[VFIO_DEVICE_STATE_RUNNING]	= "running",
	[VFIO_DEVICE_STATE_STOP_COPY]	= "stop_copy",
	[VFIO_DEVICE_STATE_RESUMING]	= "resuming",
	[VFIO_DEVICE_STATE_RUNNING_P2P]	= "running_p2p",
};

struct ctl {
	int device;
	int err_fd;
	int data_fd;
	char *saved;
	size_t saved_len;
};

static int fail(const char *cmd)
{
	printf("%s %s\n", cmd, strerrorname_np(errno));
	return 0;
}

static int state_of(const char *name)
{
	unsigned int i;

	for (i = 0; i < sizeof(states) / sizeof(states[0]); i++)
		if (states[i] && !strcmp(states[i], name))
			return i;
	return -1;
}

/* VFIO_DEVICE_FEATURE with a mig_state payload, get or set. */
static int mig_feature(struct ctl *c, uint32_t flags,
		       struct vfio_device_feature_mig_state *st)
{
	uint64_t buf[(sizeof(struct vfio_device_feature) +
		      sizeof(struct vfio_device_feature_mig_state) + 7) / 8];
	struct vfio_device_feature *f = (void *)buf;

	memset(buf, 0, sizeof(buf));
	f->argsz = sizeof(buf);
	f->flags = flags | VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE;
	memcpy(f->data, st, sizeof(*st));
	if (ioctl(c->device, VFIO_DEVICE_FEATURE, f))
		return -1;
	memcpy(st, f->data, sizeof(*st));
	return 0;
}

static int cmd_err_arm(struct ctl *c)
{
	struct {
		struct vfio_irq_set set;
		int fd;
	} irq = {
		.set.argsz = sizeof(irq),
		.set.flags = VFIO_IRQ_SET_DATA_EVENTFD |
			     VFIO_IRQ_SET_ACTION_TRIGGER,
		.set.index = VFIO_PCI_ERR_IRQ_INDEX,
		.set.count = 1,
	};

	if (c->err_fd < 0)
		c->err_fd = eventfd(0, EFD_NONBLOCK);
	irq.fd = c->err_fd;
	if (c->err_fd < 0 || ioctl(c->device, VFIO_DEVICE_SET_IRQS, &irq))
		return fail("err_arm");
	printf("err_arm OK\n");
	return 0;
}

static int cmd_err_wait(struct ctl *c, const char *arg)
{
	struct pollfd pfd = { .fd = c->err_fd, .events = POLLIN };
	uint64_t n;
	int ret;

	if (c->err_fd < 0) {
		errno = EBADF;
		return fail("err_wait");
	}
	ret = poll(&pfd, 1, atoi(arg));
	if (ret == 0) {
		errno = ETIMEDOUT;
		return fail("err_wait");
	}
	if (ret < 0 || read(c->err_fd, &n, sizeof(n)) != sizeof(n))
		return fail("err_wait");
	printf("err_wait %llu\n", (unsigned long long)n);
	return 0;
}

static int cmd_mig(struct ctl *c, const char *arg)
{
	struct vfio_device_feature_mig_state st = { .data_fd = -1 };
	int state = state_of(arg);

	if (state < 0) {
		errno = EINVAL;
		return fail("mig");
	}
	st.device_state = state;
	if (mig_feature(c, VFIO_DEVICE_FEATURE_SET, &st))
		return fail("mig");
	if (st.data_fd >= 0) {
		if (c->data_fd >= 0)
			close(c->data_fd);
		c->data_fd = st.data_fd;
		printf("mig OK data\n");
	} else {
		printf("mig OK\n");
	}
	return 0;
}

static int cmd_mig_get(struct ctl *c)
{
	struct vfio_device_feature_mig_state st = { .data_fd = -1 };

	if (mig_feature(c, VFIO_DEVICE_FEATURE_GET, &st))
		return fail("mig_get");
	if (st.device_state < sizeof(states) / sizeof(states[0]) &&
	    states[st.device_state])
		printf("mig_get %s\n", states[st.device_state]);
	else
		printf("mig_get %u\n", st.device_state);
	return 0;
}

static int cmd_save(struct ctl *c)
{
	size_t cap = 1 << 16;
	char *p;
	ssize_t n;

	free(c->saved);
	c->saved = malloc(cap);
	c->saved_len = 0;
	if (!c->saved)
		return fail("save");
	for (;;) {
		if (c->saved_len == cap) {
			p = realloc(c->saved, cap * 2);
			if (!p)
				return fail("save");
			c->saved = p;
			cap *= 2;
		}
		n = read(c->data_fd, c->saved + c->saved_len,
			 cap - c->saved_len);
		if (n < 0)
			return fail("save");
		if (!n)
			break;
		c->saved_len += n;
	}
	printf("save %zu\n", c->saved_len);
	return 0;
}

static int write_all(int fd, const char *p, size_t len)
{
	ssize_t n;

	while (len) {
		n = write(fd, p, len);
		if (n < 0)
			return -1;
		p += n;
		len -= n;
	}
	return 0;
}

static int cmd_garbage(struct ctl *c, const char *arg)
{
	size_t len = strtoul(arg, NULL, 0);
	char *p = malloc(len ? len : 1);
	int ret;

	if (!p)
		return fail("garbage");
	memset(p, 0x5a, len);
	ret = write_all(c->data_fd, p, len);
	free(p);
	if (ret)
		return fail("garbage");
	printf("garbage OK\n");
	return 0;
}

static int cmd_rw(struct ctl *c, char *args, bool iswrite)
{
	const char *cmd = iswrite ? "write" : "read";
	unsigned long index, size;
	unsigned long long off, val = 0;
	uint64_t v = 0;
	ssize_t n;

	if (sscanf(args, "%lu %llx %lu %llx", &index, &off, &size, &val) <
	    (iswrite ? 4 : 3) || !size || size > 8) {
		errno = EINVAL;
		return fail(cmd);
	}
	if (iswrite) {
		v = val;
		n = pwrite(c->device, &v, size, REGION_OFFSET(index) + off);
	} else {
		n = pread(c->device, &v, size, REGION_OFFSET(index) + off);
	}
	if (n != (ssize_t)size)
		return fail(cmd);
	if (iswrite)
		printf("write OK\n");
	else
		printf("read 0x%llx\n", (unsigned long long)v);
	return 0;
}

int main(int argc, char **argv)
{
	struct ctl c = { .err_fd = -1, .data_fd = -1 };
	struct vfio_tool_dev d;
	char line[256], *arg;
	const char *step;

	if (argc != 3) {
		fprintf(stderr, "usage: %s GROUP NAME\n", argv[0]);
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);

	step = vfio_tool_open(&d, argv[1], argv[2]);
	if (step)
		return vfio_tool_fail(step);
	c.device = d.device;
	printf("open\n");

	while (fgets(line, sizeof(line), stdin)) {
		line[strcspn(line, "\n")] = '\0';
		arg = strchr(line, ' ');
		if (arg)
			*arg++ = '\0';
		else
			arg = "";

		if (!strcmp(line, "quit"))
			break;
		if (!strcmp(line, "err_arm")) {
			cmd_err_arm(&c);
		} else if (!strcmp(line, "err_wait")) {
			cmd_err_wait(&c, arg);
		} else if (!strcmp(line, "reset")) {
			if (ioctl(c.device, VFIO_DEVICE_RESET))
				fail("reset");
			else
				printf("reset OK\n");
		} else if (!strcmp(line, "mig")) {
			cmd_mig(&c, arg);
		} else if (!strcmp(line, "mig_get")) {
			cmd_mig_get(&c);
		} else if (!strcmp(line, "save")) {
			cmd_save(&c);
		} else if (!strcmp(line, "load")) {
			if (write_all(c.data_fd, c.saved, c.saved_len))
				fail("load");
			else
				printf("load OK\n");
		} else if (!strcmp(line, "garbage")) {
			cmd_garbage(&c, arg);
		} else if (!strcmp(line, "close_data")) {
			if (close(c.data_fd))
				fail("close_data");
			else
				printf("close_data OK\n");
			c.data_fd = -1;
		} else if (!strcmp(line, "read") || !strcmp(line, "write")) {
			cmd_rw(&c, arg, line[0] == 'w');
		} else {
			errno = EINVAL;
			fail(line);
		}
	}

	if (c.data_fd >= 0)
		close(c.data_fd);
	if (c.err_fd >= 0)
		close(c.err_fd);
	free(c.saved);
	vfio_tool_close(&d);
	printf("closed\n");
	return 0;
}
