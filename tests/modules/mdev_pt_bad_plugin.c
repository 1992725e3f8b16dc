// SPDX-License-Identifier: GPL-2.0-only
/*
 * Test module: registers one deliberately inconsistent mdev-pt plugin,
 * chosen by the "flaw" parameter, so that tests can check that
 * mdev_pt_register_plugin() refuses it.  Loading fails with the errno of
 * the registration; flaw=none registers a valid plugin.
 */

#include <linux/module.h>
#include <linux/mdev_pt.h>
#include <linux/pci.h>
#include <linux/vfio.h>

static char *flaw = "none";
module_param(flaw, charp, 0444);
MODULE_PARM_DESC(flaw, "what is wrong with the plugin (see bad_plugin_flaws)");

static ssize_t bad_rw(struct mdev_pt_instance *inst,
		      const struct mdev_pt_region *region, char *buf,
		      size_t count, loff_t pos, bool iswrite)
{
	return -EIO;
}

static const struct pci_device_id bad_ids[] = {
	{ PCI_DEVICE(0x1234, 0xfffe) },	/* matches nothing in the test bed */
	{ }
};

static const struct mdev_pt_region region_without_rw = {
	.type = VFIO_REGION_TYPE_PCI_VENDOR_TYPE | 0x1234, .subtype = 1,
	.size = 8, .flags = VFIO_REGION_INFO_FLAG_READ,
};

static const struct mdev_pt_region mmap_without_op = {
	.type = VFIO_REGION_TYPE_PCI_VENDOR_TYPE | 0x1234, .subtype = 1,
	.size = PAGE_SIZE, .rw = bad_rw,
	.flags = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_MMAP,
};

static const struct mdev_pt_irq irq_without_vectors = {
	.type = 1, .subtype = 1, .count = 0,
};

static const struct mdev_pt_trap trap_outside_bars = {
	.bar = 6, .offset = 0, .size = 4,
};

static const struct mdev_pt_trap overlapping_traps[] = {
	{ .bar = 0, .offset = 0x80, .size = 0x20 },
	{ .bar = 0, .offset = 0x90, .size = 0x20 },
};

static const struct attribute_group misnamed_group = { .name = "config" };

static struct mdev_pt_type bad_type = {
	.sysfs_name = "bad-type",
	.pretty_name = "Bad",
};

static struct mdev_pt_type two_types[2] = {
	{ .sysfs_name = "bad-twin" },
	{ .sysfs_name = "bad-twin" },
};

static struct mdev_pt_plugin bad_plugin = {
	.name = "bad",
	.owner = THIS_MODULE,
	.id_table = bad_ids,
	.types = &bad_type,
	.num_types = 1,
};

/* Each flaw changes one thing of the otherwise valid plugin above. */
static int bad_plugin_apply_flaw(void)
{
	if (!strcmp(flaw, "none"))
		return 0;
	if (!strcmp(flaw, "no_types"))
		bad_plugin.num_types = 0;
	else if (!strcmp(flaw, "no_id_table"))
		bad_plugin.id_table = NULL;
	else if (!strcmp(flaw, "name_without_prefix"))
		bad_type.sysfs_name = "plain";
	else if (!strcmp(flaw, "name_upper_case"))
		bad_type.sysfs_name = "bad-Type";
	else if (!strcmp(flaw, "duplicate_type"))
		bad_plugin.types = two_types, bad_plugin.num_types = 2;
	else if (!strcmp(flaw, "region_without_rw"))
		bad_type.regions = &region_without_rw, bad_type.num_regions = 1;
	else if (!strcmp(flaw, "mmap_without_op"))
		bad_type.regions = &mmap_without_op, bad_type.num_regions = 1;
	else if (!strcmp(flaw, "irq_without_vectors"))
		bad_type.irqs = &irq_without_vectors, bad_type.num_irqs = 1;
	else if (!strcmp(flaw, "trap_outside_bars"))
		bad_type.traps = &trap_outside_bars, bad_type.num_traps = 1;
	else if (!strcmp(flaw, "overlapping_traps"))
		bad_type.traps = overlapping_traps, bad_type.num_traps = 2;
	else if (!strcmp(flaw, "misnamed_attrs"))
		bad_type.attrs = &misnamed_group;
	else if (!strcmp(flaw, "name_taken"))
		bad_plugin.name = "edu";
	else
		return -EDOM;
	return 0;
}

static int __init bad_plugin_init(void)
{
	int ret;

	ret = bad_plugin_apply_flaw();
	if (ret)
		return ret;
	return mdev_pt_register_plugin(&bad_plugin);
}

static void __exit bad_plugin_exit(void)
{
	mdev_pt_unregister_plugin(&bad_plugin);
}

module_init(bad_plugin_init);
module_exit(bad_plugin_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("mdev-pt test: inconsistent plugins that must be refused");
