// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio_hold GROUP NAME: a VFIO user that holds a device until told to let
 * go.  Opens /dev/vfio/GROUP in a new TYPE1v2 container, gets the device
 * NAME, arms the REQ IRQ with an eventfd and prints "open".  It then waits
 * (at most VFIO_HOLD_TIMEOUT seconds, default 120) for the kernel's release
 * request or for SIGUSR1 and prints "req" or "signal", then tries one ioctl
 * (VFIO_DEVICE_GET_INFO) and one config space read and prints their
 * results ("get_info OK", "read ENOTCONN", ...), closes the device and
 * prints "closed".  Errors before "open" print the failed step and errno,
 * as vfio_open does.  Output is line-buffered for tests that follow it.
 */
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>

#include "vfio_tool.h"

static const char *result(int ret)
{
	return ret < 0 ? strerrorname_np(errno) : "OK";
}

static int arm_req(int device, int efd)
{
	struct {
		struct vfio_irq_set set;
		int fd;
	} irq = {
		.set.argsz = sizeof(irq),
		.set.flags = VFIO_IRQ_SET_DATA_EVENTFD |
			     VFIO_IRQ_SET_ACTION_TRIGGER,
		.set.index = VFIO_PCI_REQ_IRQ_INDEX,
		.set.count = 1,
		.fd = efd,
	};

	return ioctl(device, VFIO_DEVICE_SET_IRQS, &irq);
}

int main(int argc, char **argv)
{
	struct vfio_region_info config = {
		.argsz = sizeof(config),
		.index = VFIO_PCI_CONFIG_REGION_INDEX,
	};
	struct vfio_device_info info = { .argsz = sizeof(info) };
	int device, efd, sfd, timeout = 120;
	struct vfio_tool_dev d;
	const char *step;
	struct pollfd pfd[2];
	sigset_t mask;
	int ret;
	short vendor;

	if (argc != 3) {
		fprintf(stderr, "usage: %s GROUP NAME\n", argv[0]);
		return 2;
	}
	if (getenv("VFIO_HOLD_TIMEOUT"))
		timeout = atoi(getenv("VFIO_HOLD_TIMEOUT"));
	setvbuf(stdout, NULL, _IOLBF, 0);

	sigemptyset(&mask);
	sigaddset(&mask, SIGUSR1);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	sfd = signalfd(-1, &mask, 0);
	efd = eventfd(0, 0);
	if (sfd < 0 || efd < 0)
		return vfio_tool_fail("fds");

	step = vfio_tool_open(&d, argv[1], argv[2]);
	if (step)
		return vfio_tool_fail(step);
	device = d.device;
	if (ioctl(device, VFIO_DEVICE_GET_REGION_INFO, &config))
		return vfio_tool_fail("region_info");
	if (arm_req(device, efd))
		return vfio_tool_fail("set_irqs");
	printf("open\n");

	pfd[0] = (struct pollfd){ .fd = efd, .events = POLLIN };
	pfd[1] = (struct pollfd){ .fd = sfd, .events = POLLIN };
	ret = poll(pfd, 2, timeout * 1000);
	if (ret <= 0)
		printf("timeout\n");
	else
		printf("%s\n", pfd[0].revents & POLLIN ? "req" : "signal");

	ret = ioctl(device, VFIO_DEVICE_GET_INFO, &info);
	printf("get_info %s\n", result(ret));
	ret = pread(device, &vendor, sizeof(vendor), config.offset);
	printf("read %s\n", result(ret));

	vfio_tool_close(&d);
	printf("closed\n");
	return 0;
}
