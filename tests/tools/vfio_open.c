// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio_open GROUP NAME: open /dev/vfio/GROUP, attach it to a new TYPE1v2
 * container and ask for the device NAME (VFIO_GROUP_GET_DEVICE_FD).  Prints
 * "OK" or the symbolic errno of the first step that failed, prefixed with
 * the step, e.g. "get_device_fd ENODEV".  Exit status 0 only on success.
 */
#include <stdlib.h>

#include "vfio_tool.h"

int main(int argc, char **argv)
{
	struct vfio_tool_dev d;
	const char *step;

	if (argc != 3) {
		fprintf(stderr, "usage: %s GROUP NAME\n", argv[0]);
		return 2;
	}

	step = vfio_tool_open(&d, argv[1], argv[2]);
	if (step)
		return vfio_tool_fail(step);

	/* Hold the device open for a while if asked (used by removal tests). */
	if (getenv("VFIO_OPEN_HOLD"))
		sleep(atoi(getenv("VFIO_OPEN_HOLD")));

	printf("OK\n");
	vfio_tool_close(&d);
	return 0;
}
