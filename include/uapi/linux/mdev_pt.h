/* SPDX-License-Identifier: GPL-2.0-only WITH Linux-syscall-note */
/*
 * mdev-pt user-space API additions to VFIO
 *
 * Instances of mdev-pt types are vfio-pci devices (VFIO_DEVICE_FLAGS_PCI):
 * everything of <linux/vfio.h> applies.  A type may add IRQ indexes after
 * vfio-pci's five (VFIO_PCI_NUM_IRQS); VFIO_DEVICE_GET_INFO counts them in
 * num_irqs.  Such an index is self-describing: VFIO_DEVICE_GET_IRQ_INFO
 * with the larger struct mdev_pt_irq_info below returns a capability chain
 * that names the IRQ's type and subtype, so user space finds an IRQ by
 * type instead of by index:
 *
 *	for (index = VFIO_PCI_NUM_IRQS; index < info.num_irqs; index++) {
 *		struct mdev_pt_irq_info *irq = ...;	(argsz >= sizeof(*irq))
 *		irq->argsz = size; irq->index = index;
 *		ioctl(device, VFIO_DEVICE_GET_IRQ_INFO, irq);
 *		if (irq->argsz > size) grow the buffer and ask again;
 *		if (irq->flags & MDEV_PT_IRQ_INFO_FLAG_CAPS) walk the chain
 *			from irq->cap_offset for MDEV_PT_IRQ_INFO_CAP_TYPE;
 *	}
 *
 * A caller that passes the plain 16-byte struct vfio_irq_info gets the
 * same answer without the chain.  The standard indexes (0-4) never carry
 * capabilities.
 */
#ifndef _UAPI_LINUX_MDEV_PT_H
#define _UAPI_LINUX_MDEV_PT_H

#include <linux/types.h>
#include <linux/vfio.h>

/**
 * struct mdev_pt_irq_info - VFIO_DEVICE_GET_IRQ_INFO with capabilities
 * @argsz: in: size of the caller's buffer; out: size needed for the whole
 *	capability chain (ask again with a larger buffer if it grew)
 * @flags: out: VFIO_IRQ_INFO_* and MDEV_PT_IRQ_INFO_FLAG_CAPS
 * @index: in: the IRQ index
 * @count: out: number of vectors
 * @cap_offset: out: offset of the first capability from the start of this
 *	structure, valid when MDEV_PT_IRQ_INFO_FLAG_CAPS is set
 * @pad: reserved, zero
 *
 * The first four members are struct vfio_irq_info.
 */
struct mdev_pt_irq_info {
	__u32 argsz;
	__u32 flags;
	__u32 index;
	__u32 count;
	__u32 cap_offset;
	__u32 pad;
};

/* Set in flags when cap_offset leads to a capability chain. */
#define MDEV_PT_IRQ_INFO_FLAG_CAPS	(1 << 16)

/*
 * The IRQ's type and subtype.  Capabilities use struct vfio_info_cap_header
 * and chain through its next field (0 ends the chain), offsets counted from
 * the start of struct mdev_pt_irq_info.
 */
#define MDEV_PT_IRQ_INFO_CAP_TYPE	0x4d50	/* 'M' 'P' */

/**
 * struct mdev_pt_irq_info_cap_type - capability: what an IRQ index is
 * @header: id MDEV_PT_IRQ_INFO_CAP_TYPE, version 1
 * @type: MDEV_PT_IRQ_TYPE_PCI_VENDOR_TYPE | PCI vendor ID for vendor IRQs
 * @subtype: defined by the vendor (see below for the ones mdev-pt ships)
 */
struct mdev_pt_irq_info_cap_type {
	struct vfio_info_cap_header header;
	__u32 type;
	__u32 subtype;
};

/* Vendor IRQ types, in the style of VFIO_REGION_TYPE_PCI_VENDOR_TYPE. */
#define MDEV_PT_IRQ_TYPE_PCI_VENDOR_TYPE	(1 << 31)
#define MDEV_PT_IRQ_TYPE_PCI_VENDOR_MASK	0xffff

/*
 * QEMU edu device (vendor 0x1234), edu plugin, type "edu-audited":
 * - IRQ subtype 1: DMA violation, one vector, raised each time the plugin
 *   refuses a DMA command.
 * - Region (VFIO_REGION_TYPE_PCI_VENDOR_TYPE | 0x1234) subtype 1: the DMA
 *   audit counters, read-only, struct mdev_pt_edu_dma_stats.
 */
#define MDEV_PT_EDU_IRQ_SUBTYPE_DMA_VIOLATION	1
#define MDEV_PT_EDU_REGION_SUBTYPE_DMA_STATS	1

/**
 * struct mdev_pt_edu_dma_stats - edu-audited DMA counters, little-endian
 * @commands: DMA commands forwarded to the device
 * @bytes: bytes those commands moved
 * @violations: DMA commands refused
 */
struct mdev_pt_edu_dma_stats {
	__le64 commands;
	__le64 bytes;
	__le64 violations;
};

#endif /* _UAPI_LINUX_MDEV_PT_H */
