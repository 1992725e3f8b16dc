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

/*
 * Live migration stream.
 *
 * Both migration front ends, the v2 data file of VFIO_DEVICE_FEATURE_
 * MIG_DEVICE_STATE and the v1 migration region (VFIO_REGION_TYPE_MIGRATION_
 * DEPRECATED), carry the same stream: little-endian records, each a
 * struct mdev_pt_mig_record followed by @length payload bytes and zeros up
 * to the next multiple of 8.  crc32 is the standard CRC-32 (as zlib's
 * crc32() computes it) of the unpadded payload.  Records come in this
 * order: HEADER, TYPE, COMPAT, zero or more DATA, END.
 *
 * A reader skips records whose tag has MDEV_PT_MIG_TAG_OPTIONAL set and it
 * does not know, and refuses every other unknown tag.  It accepts a higher
 * minor version and refuses another major version.  A resuming device
 * refuses (EINVAL) a stream of another type or compatibility string, a
 * record with a bad crc or an impossible length, and a stream that ends
 * before its END record.
 */
#define MDEV_PT_MIG_MAGIC		0x5450444d	/* "MDPT" */
#define MDEV_PT_MIG_VERSION_MAJOR	1
#define MDEV_PT_MIG_VERSION_MINOR	0

#define MDEV_PT_MIG_TAG_HEADER		1	/* struct mdev_pt_mig_header */
#define MDEV_PT_MIG_TAG_TYPE		2	/* type name without "mdev_pt-" */
#define MDEV_PT_MIG_TAG_COMPAT		3	/* compatibility string */
#define MDEV_PT_MIG_TAG_DATA		4	/* device state, see below */
#define MDEV_PT_MIG_TAG_END		5	/* struct mdev_pt_mig_end */
#define MDEV_PT_MIG_TAG_OPTIONAL	(1U << 31)

/* Longest payload of a DATA or optional record. */
#define MDEV_PT_MIG_DATA_MAX		(1U << 20)
/* Longest payload of a TYPE or COMPAT record (no NUL is stored). */
#define MDEV_PT_MIG_NAME_MAX		128

/**
 * struct mdev_pt_mig_record - header of a record of the migration stream
 * @tag: MDEV_PT_MIG_TAG_*
 * @crc32: CRC-32 of the @length payload bytes that follow
 * @length: payload bytes, not counting the padding to 8 bytes
 */
struct mdev_pt_mig_record {
	__le32 tag;
	__le32 crc32;
	__le64 length;
};

/**
 * struct mdev_pt_mig_header - payload of the HEADER record
 * @magic: MDEV_PT_MIG_MAGIC
 * @major: MDEV_PT_MIG_VERSION_MAJOR; another major is not readable
 * @minor: MDEV_PT_MIG_VERSION_MINOR; a higher minor may add optional
 *	records and lengthen this payload
 */
struct mdev_pt_mig_header {
	__le32 magic;
	__le16 major;
	__le16 minor;
};

/**
 * struct mdev_pt_mig_end - payload of the END record
 * @data_bytes: sum of the payload lengths of the stream's DATA records
 */
struct mdev_pt_mig_end {
	__le64 data_bytes;
};

/*
 * DATA records hold the device state of the type's plugin, one record for
 * each chunk the plugin produced; the destination's plugin gets them back
 * record by record, in order.  Their content is the plugin's:
 *
 * - edu-migratable: one record, struct mdev_pt_edu_mig_state.
 * - mock-migratable: records of struct mdev_pt_mock_mig_chunk followed by
 *   the bytes of the synthetic state at @offset.
 */

/**
 * struct mdev_pt_edu_mig_state - edu-migratable device state
 * @liveness: what a read of the liveness register (0x04) returns
 * @factorial: what a read of the factorial register (0x08) returns
 * @status: the status register (0x20), only bit 7 (IRQ on completion)
 * @irq_status: the interrupt status register (0x24)
 * @dma_src: DMA source address (0x80)
 * @dma_dst: DMA destination address (0x88)
 * @dma_count: DMA count (0x90)
 * @dma_cmd: DMA command (0x98); with the start bit only for a DMA the
 *	source held while quiesced, which starts once the destination runs
 */
struct mdev_pt_edu_mig_state {
	__le32 liveness;
	__le32 factorial;
	__le32 status;
	__le32 irq_status;
	__le64 dma_src;
	__le64 dma_dst;
	__le64 dma_count;
	__le64 dma_cmd;
};

/**
 * struct mdev_pt_mock_mig_chunk - a chunk of the mock type's state
 * @state_size: size of the whole synthetic state of the source
 * @offset: where the bytes following this header go, page-aligned
 */
struct mdev_pt_mock_mig_chunk {
	__le64 state_size;
	__le64 offset;
};

#endif /* _UAPI_LINUX_MDEV_PT_H */
