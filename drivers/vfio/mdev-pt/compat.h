/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * mdev-pt: differences between the supported kernel lines (6.1 and 6.12).
 *
 * Every difference of the tree lives in this file.  It is keyed on feature
 * tests that Kbuild runs against the kernel's headers (MDEV_PT_HAVE_*), not
 * on version numbers, so that stable backports are picked up as they land.
 */
#ifndef MDEV_PT_COMPAT_H
#define MDEV_PT_COMPAT_H

#include <linux/device.h>
#include <linux/eventfd.h>
#include <linux/pci.h>
#include <linux/string.h>
#include <linux/vfio.h>

/* Since 6.12 the unaligned access helpers live in <linux/unaligned.h>. */
#ifdef MDEV_PT_HAVE_LINUX_UNALIGNED
#include <linux/unaligned.h>
#else
#include <asm/unaligned.h>
#endif

/*
 * Since 6.2 a physical vfio device provides the iommufd callbacks (vfio
 * core refuses to register it without them when CONFIG_IOMMUFD is set).
 * Without CONFIG_IOMMUFD the helpers are NULL function pointers.
 */
#ifdef MDEV_PT_HAVE_IOMMUFD_OPS
#define MDEV_PT_IOMMUFD_OPS						\
	.bind_iommufd	= vfio_iommufd_physical_bind,			\
	.unbind_iommufd	= vfio_iommufd_physical_unbind,			\
	.attach_ioas	= vfio_iommufd_physical_attach_ioas,
#else
#define MDEV_PT_IOMMUFD_OPS
#endif

/* Since 6.6 the IOAS can be detached again (VFIO cdev). */
#ifdef MDEV_PT_HAVE_IOMMUFD_DETACH
#define MDEV_PT_IOMMUFD_DETACH_OPS					\
	.detach_ioas	= vfio_iommufd_physical_detach_ioas,
#else
#define MDEV_PT_IOMMUFD_DETACH_OPS
#endif

/* Since 6.8 eventfd_signal() always adds 1 and takes no count. */
#ifdef MDEV_PT_HAVE_EVENTFD_SIGNAL_NO_COUNT
#define mdev_pt_eventfd_signal(ctx)	eventfd_signal(ctx)
#else
#define mdev_pt_eventfd_signal(ctx)	eventfd_signal(ctx, 1)
#endif

/*
 * Since 6.12.y (backported from 6.19) driver_override lives in struct
 * device; before, struct pci_dev has its own, set by driver_set_override().
 */
static inline int mdev_pt_set_driver_override(struct pci_dev *pdev,
					      const char *name)
{
#ifdef MDEV_PT_HAVE_DEVICE_DRIVER_OVERRIDE
	return device_set_driver_override(&pdev->dev, name);
#else
	return driver_set_override(&pdev->dev, &pdev->driver_override, name,
				   strlen(name));
#endif
}

/*
 * Since 6.3 the v2 migration uAPI has the PRE_COPY states,
 * VFIO_MIG_GET_PRECOPY_INFO on the data file and
 * VFIO_DEVICE_FEATURE_MIG_DATA_SIZE (migration_get_data_size, which 6.12
 * requires of every driver with mig_ops).
 */
#ifdef MDEV_PT_HAVE_MIG_PRE_COPY
#define MDEV_PT_MIG_FLAG_PRE_COPY	VFIO_MIGRATION_PRE_COPY
#else
#define MDEV_PT_MIG_FLAG_PRE_COPY	0
/*
 * Without them the core's pre-copy code is never reached (the device does
 * not offer VFIO_MIGRATION_PRE_COPY, so vfio core never asks for these
 * states and the data file refuses the ioctl), but it still compiles
 * against the 6.3 uAPI names.
 */
#define VFIO_DEVICE_STATE_PRE_COPY	6
#define VFIO_DEVICE_STATE_PRE_COPY_P2P	7
struct vfio_precopy_info {
	__u32 argsz;
	__u32 flags;
	__aligned_u64 initial_bytes;
	__aligned_u64 dirty_bytes;
};

#define VFIO_MIG_GET_PRECOPY_INFO	_IO(VFIO_TYPE, VFIO_BASE + 21)
#endif

/*
 * vfio_migration_ops.migration_get_data_size, from 6.3 (6.12 requires it
 * of every driver with mig_ops); migration.c has the callback.
 */
#ifdef MDEV_PT_HAVE_MIG_DATA_SIZE
#define MDEV_PT_MIG_DATA_SIZE_OP					\
	.migration_get_data_size = mdev_pt_mig_get_data_size,
#else
#define MDEV_PT_MIG_DATA_SIZE_OP
#endif

#endif /* MDEV_PT_COMPAT_H */
