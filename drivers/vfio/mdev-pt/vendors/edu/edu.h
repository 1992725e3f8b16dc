/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * mdev-pt plugin for the QEMU edu device: private definitions.
 */
#ifndef MDEV_PT_EDU_H
#define MDEV_PT_EDU_H

#include <linux/bits.h>
#include <linux/mdev_pt.h>

#define EDU_VENDOR_ID		0x1234	/* the "QEMU" vendor ID */
#define EDU_DEVICE_ID		0x11e8

/* BAR0 registers of the DMA engine, 64 bits wide each. */
#define EDU_BAR			0
#define EDU_REG_DMA_SRC		0x80
#define EDU_REG_DMA_DST		0x88
#define EDU_REG_DMA_COUNT	0x90
#define EDU_REG_DMA_CMD		0x98
#define EDU_DMA_REGS_SIZE	0x20

#define EDU_DMA_CMD_START	BIT(0)	/* write: start; read: running */
#define EDU_DMA_CMD_TO_RAM	BIT(1)	/* clear: RAM to device */

/*
 * The device's DMA buffer.  QEMU 7.2 aborts the whole VM on a DMA whose
 * device-side range does not stay within [EDU_DMA_BUF_START,
 * EDU_DMA_BUF_END), so EDU_DMA_BUF_END is one byte short of the 4 KiB
 * buffer's end.
 */
#define EDU_DMA_BUF_START	0x40000ULL
#define EDU_DMA_BUF_END		0x40fffULL

/* The device masks DMA addresses to 28 bits. */
#define EDU_DMA_RAM_LIMIT	BIT_ULL(28)

/* The longest transfer that QEMU 7.2 survives: 4095 bytes. */
#define EDU_DMA_MAX_BYTES	((unsigned int)(EDU_DMA_BUF_END - EDU_DMA_BUF_START))

/* audit.c: behaviour of the edu-audited type */
extern const struct mdev_pt_type_ops mdev_pt_edu_audit_ops;
extern const struct attribute_group mdev_pt_edu_audit_attr_group;
ssize_t mdev_pt_edu_stats_rw(struct mdev_pt_instance *inst,
			     const struct mdev_pt_region *region, char *buf,
			     size_t count, loff_t pos, bool iswrite);

/* migrate.c: behaviour of the edu-migratable type */
extern const struct mdev_pt_type_ops mdev_pt_edu_mig_type_ops;
extern const struct mdev_pt_migration_ops mdev_pt_edu_migration_ops;
extern const struct mdev_pt_dirty_ops mdev_pt_edu_dirty_ops;

#endif /* MDEV_PT_EDU_H */
