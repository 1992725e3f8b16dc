// SPDX-License-Identifier: GPL-2.0-only
/*
 * mdev-pt plugin for QEMU's educational PCI device (1234:11e8).
 *
 * Three types: "edu-passthrough" is the plain passthrough of the core
 * offered through a plugin, "edu-audited" traps the DMA registers and
 * checks every DMA command before the device sees it (see audit.c), and
 * "edu-migratable" migrates the registers software can reach (see
 * migrate.c).
 */

#include <linux/module.h>
#include <linux/pci.h>
#include <linux/vfio.h>
#include <uapi/linux/mdev_pt.h>

#include "edu.h"

static const struct mdev_pt_trap edu_audit_traps[] = {
	{
		.bar	= EDU_BAR,
		.offset	= EDU_REG_DMA_SRC,
		.size	= EDU_DMA_REGS_SIZE,
	},
};

/*
 * The DMA registers: the command register reads its restored value, and
 * the destination and count of each DMA to RAM are logged for dirty
 * tracking before the command reaches the device.
 */
static const struct mdev_pt_trap edu_mig_traps[] = {
	{
		.bar	= EDU_BAR,
		.offset	= EDU_REG_DMA_SRC,
		.size	= EDU_DMA_REGS_SIZE,
	},
};

static const struct mdev_pt_region edu_audit_regions[] = {
	{
		.type		= VFIO_REGION_TYPE_PCI_VENDOR_TYPE |
				  EDU_VENDOR_ID,
		.subtype	= MDEV_PT_EDU_REGION_SUBTYPE_DMA_STATS,
		.size		= sizeof(struct mdev_pt_edu_dma_stats),
		.flags		= VFIO_REGION_INFO_FLAG_READ,
		.rw		= mdev_pt_edu_stats_rw,
	},
};

static const struct mdev_pt_irq edu_audit_irqs[] = {
	{
		.type		= MDEV_PT_IRQ_TYPE_PCI_VENDOR_TYPE |
				  EDU_VENDOR_ID,
		.subtype	= MDEV_PT_EDU_IRQ_SUBTYPE_DMA_VIOLATION,
		.count		= 1,
		.flags		= VFIO_IRQ_INFO_MASKABLE,
	},
};

static const struct mdev_pt_type edu_types[] = {
	{
		.sysfs_name	= "edu-passthrough",
		.pretty_name	= "EDU passthrough",
		.description	= "plain passthrough of the edu function from the edu plugin",
	},
	{
		.sysfs_name	= "edu-audited",
		.pretty_name	= "EDU audited DMA",
		.description	= "edu passthrough, each DMA command checked before it starts",
		.ops		= &mdev_pt_edu_audit_ops,
		.regions	= edu_audit_regions,
		.num_regions	= ARRAY_SIZE(edu_audit_regions),
		.irqs		= edu_audit_irqs,
		.num_irqs	= ARRAY_SIZE(edu_audit_irqs),
		.traps		= edu_audit_traps,
		.num_traps	= ARRAY_SIZE(edu_audit_traps),
		.attrs		= &mdev_pt_edu_audit_attr_group,
	},
	{
		.sysfs_name	= "edu-migratable",
		.pretty_name	= "EDU migratable",
		.description	= "edu passthrough with live migration of the device registers",
		.ops		= &mdev_pt_edu_mig_type_ops,
		.traps		= edu_mig_traps,
		.num_traps	= ARRAY_SIZE(edu_mig_traps),
		.migration	= &mdev_pt_edu_migration_ops,
		.migration_compat = "mdev_pt-edu-migratable v1",
		.dirty		= &mdev_pt_edu_dirty_ops,
	},
};

static const struct pci_device_id edu_ids[] = {
	{ PCI_DEVICE(EDU_VENDOR_ID, EDU_DEVICE_ID) },
	{ }
};

static struct mdev_pt_plugin edu_plugin = {
	.name		= "edu",
	.owner		= THIS_MODULE,
	.id_table	= edu_ids,
	.types		= edu_types,
	.num_types	= ARRAY_SIZE(edu_types),
};
module_mdev_pt_plugin(edu_plugin);

MODULE_ALIAS_MDEV_PT("00001234", "000011E8");
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("mdev-pt plugin for the QEMU edu device");
