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
#include <linux/io.h>
#include <linux/pci.h>
#include <linux/rwsem.h>
#include <linux/string.h>
#include <linux/vfio.h>

/*
 * <linux/vfio_pci_core.h> declares vfio_pci_core_ioread64() and
 * vfio_pci_core_iowrite64() only where ioread64() and iowrite64() are
 * macros, which on x86 only <linux/io-64-nonatomic-lo-hi.h> makes them
 * (vfio-pci-core's own BAR code includes it as well): it must come first.
 */
#if defined(VFIO_PCI_CORE_H) && !defined(ioread64)
#error "include compat.h before <linux/vfio_pci_core.h>"
#endif
#include <linux/io-64-nonatomic-lo-hi.h>
#include <linux/vfio_pci_core.h>

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

/*
 * vfio core reports device dirty pages through the iova_bitmap helpers.
 * Up to 6.7 they are part of vfio; since 6.8 they are built only with
 * CONFIG_IOMMUFD_DRIVER (which CONFIG_IOMMUFD selects) and exported in the
 * IOMMUFD namespace, and without it vfio core fails every
 * VFIO_DEVICE_FEATURE_DMA_LOGGING_REPORT with EOPNOTSUPP before asking the
 * driver: Debian's 6.12 kernels are built so.  There mdev-pt offers no
 * dirty tracking (MDEV_PT_DIRTY_LOG 0), and QEMU refuses to migrate its
 * instances unless told enable-migration=on.
 */
#ifndef MDEV_PT_HAVE_IOVA_BITMAP_IOMMUFD
#define MDEV_PT_DIRTY_LOG	true
#elif IS_ENABLED(CONFIG_IOMMUFD_DRIVER)
#define MDEV_PT_DIRTY_LOG	true
#define MDEV_PT_DIRTY_LOG_IMPORT_NS
#else
#define MDEV_PT_DIRTY_LOG	false
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
/*
 * Before 6.3 vfio core hands VFIO_DEVICE_FEATURE_MIG_DATA_SIZE, which it
 * does not know, to the driver's device_feature op, and mdev-pt answers it
 * there (mdev_pt_mig_data_size_feature()).  The uAPI is the 6.3 one.
 */
#ifndef VFIO_DEVICE_FEATURE_MIG_DATA_SIZE
#define VFIO_DEVICE_FEATURE_MIG_DATA_SIZE 9
struct vfio_device_feature_mig_data_size {
	__aligned_u64 stop_copy_length;
};
#endif
#endif

/*
 * Since 6.8 vfio_pci_core exports what a variant driver needs to reach a
 * BAR the way vfio_pci_core itself does: vfio_pci_core_setup_barmap()
 * requests and maps a BAR into vdev->barmap[] (vfio_pci_core_disable()
 * unmaps and releases it at close), and vfio_pci_core_ioread8() ...
 * vfio_pci_core_iowrite64() make one access, with @test_mem under
 * memory_lock and only while the BAR decodes (-EIO otherwise).  The value
 * is the bytes of the device's register as they are in memory.  Before,
 * the same is done here under the same names.
 */
#ifndef MDEV_PT_HAVE_CORE_SETUP_BARMAP
static inline int vfio_pci_core_setup_barmap(struct vfio_pci_core_device *vdev,
					     int bar)
{
	struct pci_dev *pdev = vdev->pdev;
	void __iomem *io;
	int ret;

	if (vdev->barmap[bar])
		return 0;

	/* Under vfio's name: vfio_pci_core_disable() releases it. */
	ret = pci_request_selected_regions(pdev, BIT(bar), "vfio");
	if (ret)
		return ret;
	io = pci_iomap(pdev, bar, 0);
	if (!io) {
		pci_release_selected_regions(pdev, BIT(bar));
		return -ENOMEM;
	}
	vdev->barmap[bar] = io;
	return 0;
}
#endif

#ifndef MDEV_PT_HAVE_CORE_IORW
/*
 * Whether the BAR decodes (vfio_pci_core's test is not exported either):
 * the function is out of D3 and the user's command register has memory
 * enabled, or the function ignores it (a VF).  Under memory_lock.
 */
static inline bool mdev_pt_compat_memory_enabled(struct vfio_pci_core_device *vdev)
{
	u16 cmd = le16_to_cpu(*(__le16 *)&vdev->vconfig[PCI_COMMAND]);

	return (__force int)vdev->pdev->current_state < (__force int)PCI_D3hot &&
	       (vdev->pdev->no_command_memory || (cmd & PCI_COMMAND_MEMORY));
}

/*
 * Take memory_lock for reading if @test_mem; false (lock dropped again)
 * if the BAR does not decode.
 */
static inline bool mdev_pt_compat_io_begin(struct vfio_pci_core_device *vdev,
					   bool test_mem)
{
	if (!test_mem)
		return true;
	down_read(&vdev->memory_lock);
	if (mdev_pt_compat_memory_enabled(vdev))
		return true;
	up_read(&vdev->memory_lock);
	return false;
}

static inline void mdev_pt_compat_io_end(struct vfio_pci_core_device *vdev,
					 bool test_mem)
{
	if (test_mem)
		up_read(&vdev->memory_lock);
}

static inline int vfio_pci_core_ioread8(struct vfio_pci_core_device *vdev,
					bool test_mem, u8 *val,
					void __iomem *io)
{
	if (!mdev_pt_compat_io_begin(vdev, test_mem))
		return -EIO;
	*val = ioread8(io);
	mdev_pt_compat_io_end(vdev, test_mem);
	return 0;
}

static inline int vfio_pci_core_ioread16(struct vfio_pci_core_device *vdev,
					 bool test_mem, u16 *val,
					 void __iomem *io)
{
	if (!mdev_pt_compat_io_begin(vdev, test_mem))
		return -EIO;
	*val = (__force u16)cpu_to_le16(ioread16(io));
	mdev_pt_compat_io_end(vdev, test_mem);
	return 0;
}

static inline int vfio_pci_core_ioread32(struct vfio_pci_core_device *vdev,
					 bool test_mem, u32 *val,
					 void __iomem *io)
{
	if (!mdev_pt_compat_io_begin(vdev, test_mem))
		return -EIO;
	*val = (__force u32)cpu_to_le32(ioread32(io));
	mdev_pt_compat_io_end(vdev, test_mem);
	return 0;
}

static inline int vfio_pci_core_ioread64(struct vfio_pci_core_device *vdev,
					 bool test_mem, u64 *val,
					 void __iomem *io)
{
	if (!mdev_pt_compat_io_begin(vdev, test_mem))
		return -EIO;
	*val = (__force u64)cpu_to_le64(ioread64(io));
	mdev_pt_compat_io_end(vdev, test_mem);
	return 0;
}

static inline int vfio_pci_core_iowrite8(struct vfio_pci_core_device *vdev,
					 bool test_mem, u8 val,
					 void __iomem *io)
{
	if (!mdev_pt_compat_io_begin(vdev, test_mem))
		return -EIO;
	iowrite8(val, io);
	mdev_pt_compat_io_end(vdev, test_mem);
	return 0;
}

static inline int vfio_pci_core_iowrite16(struct vfio_pci_core_device *vdev,
					  bool test_mem, u16 val,
					  void __iomem *io)
{
	if (!mdev_pt_compat_io_begin(vdev, test_mem))
		return -EIO;
	iowrite16(le16_to_cpu((__force __le16)val), io);
	mdev_pt_compat_io_end(vdev, test_mem);
	return 0;
}

static inline int vfio_pci_core_iowrite32(struct vfio_pci_core_device *vdev,
					  bool test_mem, u32 val,
					  void __iomem *io)
{
	if (!mdev_pt_compat_io_begin(vdev, test_mem))
		return -EIO;
	iowrite32(le32_to_cpu((__force __le32)val), io);
	mdev_pt_compat_io_end(vdev, test_mem);
	return 0;
}

static inline int vfio_pci_core_iowrite64(struct vfio_pci_core_device *vdev,
					  bool test_mem, u64 val,
					  void __iomem *io)
{
	if (!mdev_pt_compat_io_begin(vdev, test_mem))
		return -EIO;
	iowrite64(le64_to_cpu((__force __le64)val), io);
	mdev_pt_compat_io_end(vdev, test_mem);
	return 0;
}
#endif

#endif /* MDEV_PT_COMPAT_H */
