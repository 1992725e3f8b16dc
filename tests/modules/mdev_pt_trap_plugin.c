// SPDX-License-Identifier: GPL-2.0-only
/*
 * Test module: a plugin whose one type traps a small range of a BAR of
 * QEMU's emulated NVMe controller (PF and VFs), the BAR that holds its
 * MSI-X table, and forwards every trapped access to the device.  It lets
 * tests compare a BAR with traps against what vfio_pci_core reports for it
 * (region info capabilities) and see trapped accesses behave like the
 * others (runtime PM).  The module parameter "accesses" counts the trapped
 * accesses that reached the plugin.
 */

#include <linux/atomic.h>
#include <linux/mdev_pt.h>
#include <linux/module.h>
#include <linux/pci.h>

static unsigned int trap_bar;
module_param(trap_bar, uint, 0444);
MODULE_PARM_DESC(trap_bar, "BAR of the trapped range (default 0)");

static ulong trap_offset = 0x8;
module_param(trap_offset, ulong, 0444);
MODULE_PARM_DESC(trap_offset, "offset of the trapped range (default 0x8, NVMe VS)");

static ulong trap_size = 4;
module_param(trap_size, ulong, 0444);
MODULE_PARM_DESC(trap_size, "length of the trapped range (default 4)");

static atomic_t accesses = ATOMIC_INIT(0);

static int accesses_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%d\n", atomic_read(&accesses));
}

static const struct kernel_param_ops accesses_ops = {
	.get = accesses_get,
};
module_param_cb(accesses, &accesses_ops, NULL, 0444);
MODULE_PARM_DESC(accesses, "trapped accesses the plugin forwarded so far");

static ssize_t trap_plugin_rw(struct mdev_pt_instance *inst, unsigned int bar,
			      char *buf, size_t count, u64 offset, bool iswrite)
{
	atomic_inc(&accesses);
	return mdev_pt_bar_rw(inst, bar, buf, count, offset, iswrite);
}

static const struct mdev_pt_type_ops trap_plugin_ops = {
	.trap_rw = trap_plugin_rw,
};

static struct mdev_pt_trap trap_plugin_trap;

static const struct mdev_pt_type trap_plugin_type = {
	.sysfs_name = "traptest-forward",
	.pretty_name = "Test: forwarded trapped range",
	.description = "a small trapped range of a BAR, forwarded to the device",
	.ops = &trap_plugin_ops,
	.traps = &trap_plugin_trap,
	.num_traps = 1,
};

static const struct pci_device_id trap_plugin_ids[] = {
	{ PCI_DEVICE(PCI_VENDOR_ID_REDHAT, 0x0010) },	/* QEMU NVMe */
	{ }
};

static struct mdev_pt_plugin trap_plugin = {
	.name = "traptest",
	.owner = THIS_MODULE,
	.id_table = trap_plugin_ids,
	.types = &trap_plugin_type,
	.num_types = 1,
};

static int __init trap_plugin_init(void)
{
	trap_plugin_trap.bar = trap_bar;
	trap_plugin_trap.offset = trap_offset;
	trap_plugin_trap.size = trap_size;
	return mdev_pt_register_plugin(&trap_plugin);
}

static void __exit trap_plugin_exit(void)
{
	mdev_pt_unregister_plugin(&trap_plugin);
}

module_init(trap_plugin_init);
module_exit(trap_plugin_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("mdev-pt test: a forwarded trapped range on QEMU's NVMe");
