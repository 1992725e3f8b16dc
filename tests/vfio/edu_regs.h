/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The QEMU edu device as the test programs drive it (QEMU's
 * docs/specs/edu.rst and hw/misc/edu.c; table in shared/DESIGN.md).
 */
#ifndef MDEVPT_VFIO_EDU_REGS_H
#define MDEVPT_VFIO_EDU_REGS_H

#define EDU_VENDOR_ID		0x1234u
#define EDU_DEVICE_ID		0x11e8u
#define EDU_BAR0_SIZE		0x100000u

#define EDU_REG_ID		0x00
#define EDU_ID_VALUE		0x010000edu
#define EDU_REG_LIVENESS	0x04
#define EDU_REG_FACTORIAL	0x08
#define EDU_REG_STATUS		0x20
#define  EDU_STATUS_COMPUTING	0x01
#define  EDU_STATUS_IRQFACT	0x80
#define EDU_REG_IRQ_STATUS	0x24
#define EDU_REG_IRQ_RAISE	0x60
#define EDU_REG_IRQ_ACK		0x64
#define EDU_REG_DMA_SRC		0x80
#define EDU_REG_DMA_DST		0x88
#define EDU_REG_DMA_COUNT	0x90
#define EDU_REG_DMA_CMD		0x98
#define  EDU_DMA_START		0x01ull
#define  EDU_DMA_TO_RAM		0x02ull
#define  EDU_DMA_IRQ		0x04ull	/* raise EDU_IRQ_DMA when done */
#define EDU_IRQ_DMA		0x100u	/* interrupt status: a DMA completed */

/*
 * The DMA buffer.  QEMU 7.2 aborts the whole VM on a DMA whose device range
 * leaves 0x40000..0x40ffe, so a transfer moves at most 4095 bytes.
 */
#define EDU_DMA_BUF		0x40000ull
#define EDU_DMA_BUF_END		0x40fffull	/* one past the last byte */
#define EDU_DMA_MAX		4095u
#define EDU_RAM_LIMIT		(1ull << 28)	/* the device's DMA mask */

#endif /* MDEVPT_VFIO_EDU_REGS_H */
