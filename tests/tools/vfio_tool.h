/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What the small VFIO tools of the shell tests share: a device opened by
 * name through its IOMMU group in a new TYPE1v2 container, the way QEMU
 * does, and a failed step reported as "STEP ERRNO" on stdout.
 */
#ifndef MDEVPT_VFIO_TOOL_H
#define MDEVPT_VFIO_TOOL_H

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <sys/ioctl.h>

#include <linux/vfio.h>

struct vfio_tool_dev {
	int container, group, device;
};

/* Print "STEP ERRNO" for the step that failed; the tool's exit status. */
static inline int vfio_tool_fail(const char *step)
{
	printf("%s %s\n", step, strerrorname_np(errno));
	return 1;
}

/*
 * Open device @name of IOMMU group @group_id.  Returns NULL, or the name
 * of the step that failed with errno set ("group_status" with errno
 * EINVAL: the group is not viable).
 */
static inline const char *vfio_tool_open(struct vfio_tool_dev *d,
					 const char *group_id,
					 const char *name)
{
	struct vfio_group_status status = { .argsz = sizeof(status) };
	char path[64];

	d->container = -1;
	d->device = -1;
	snprintf(path, sizeof(path), "/dev/vfio/%s", group_id);
	d->group = open(path, O_RDWR);
	if (d->group < 0)
		return "open_group";
	if (ioctl(d->group, VFIO_GROUP_GET_STATUS, &status))
		return "group_status";
	if (!(status.flags & VFIO_GROUP_FLAGS_VIABLE)) {
		errno = EINVAL;
		return "group_status";
	}
	d->container = open("/dev/vfio/vfio", O_RDWR);
	if (d->container < 0)
		return "open_container";
	if (ioctl(d->group, VFIO_GROUP_SET_CONTAINER, &d->container))
		return "set_container";
	if (ioctl(d->container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU))
		return "set_iommu";
	d->device = ioctl(d->group, VFIO_GROUP_GET_DEVICE_FD, name);
	if (d->device < 0)
		return "get_device_fd";
	return NULL;
}

static inline void vfio_tool_close(struct vfio_tool_dev *d)
{
	if (d->device >= 0)
		close(d->device);
	if (d->container >= 0)
		close(d->container);
	close(d->group);
}

#endif /* MDEVPT_VFIO_TOOL_H */
