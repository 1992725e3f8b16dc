// SPDX-License-Identifier: GPL-2.0-only
/*
 * mdev-pt: debugfs, /sys/kernel/debug/mdev_pt/.
 *
 * One directory per bound function, named by its address, from PCI probe
 * to PCI remove (its files need only what the function's vfio device
 * holds from its allocation on), and in it one directory per instance,
 * named by its UUID, for the instance's life:
 *
 *	<bdf>/lease		the instance holding the function, whether it is
 *				open or being removed, the controlling function
 *	<bdf>/pci_errors	PCI errors reported during the binding
 *	<bdf>/<uuid>/traps	accesses to the type's trapped ranges
 *	<bdf>/<uuid>/migration/state	  the v2 migration state
 *	<bdf>/<uuid>/migration/counters arcs, errors, resets, stream bytes
 *	<bdf>/<uuid>/migration/dirty	  dirty logging: on or off, page
 *					  size, the logged ranges, counters
 *	<bdf>/<uuid>/vendor/	the plugin's files (debugfs_init)
 *
 * The files are "name value" lines, but migration/state, which holds one
 * word as vfio's own debugfs has it.  Not an ABI.
 *
 * A file's data is its function or instance, which outlives it: the
 * directories are removed (debugfs waits for the readers in them) before
 * the instance is destroyed and before the function is unbound.
 */

#include <linux/debugfs.h>
#include <linux/seq_file.h>

#include "compat.h"
#include "mdev_pt_priv.h"
#include "mdev_pt_trace.h"

static struct dentry *mdev_pt_debugfs_root;

/* As vfio's own debugfs names them. */
static const char * const mdev_pt_mig_state_names[] = {
	[VFIO_DEVICE_STATE_ERROR]		= "ERROR",
	[VFIO_DEVICE_STATE_STOP]		= "STOP",
	[VFIO_DEVICE_STATE_RUNNING]		= "RUNNING",
	[VFIO_DEVICE_STATE_STOP_COPY]		= "STOP_COPY",
	[VFIO_DEVICE_STATE_RESUMING]		= "RESUMING",
	[VFIO_DEVICE_STATE_RUNNING_P2P]		= "RUNNING_P2P",
	[VFIO_DEVICE_STATE_PRE_COPY]		= "PRE_COPY",
	[VFIO_DEVICE_STATE_PRE_COPY_P2P]	= "PRE_COPY_P2P",
};

/* <bdf>/lease */
static int mdev_pt_lease_show(struct seq_file *s, void *unused)
{
	struct mdev_pt_function *fn = s->private;
	struct mdev_pt_instance *inst;

	mutex_lock(&fn->lease_lock);
	inst = fn->instance;
	if (inst) {
		seq_printf(s, "instance %s\n", dev_name(&inst->mdev->dev));
		seq_printf(s, "type %s\n", mdev_pt_inst_type_name(inst));
	} else {
		seq_puts(s, "instance none\n");
	}
	seq_printf(s, "open %d\n", fn->open);
	seq_printf(s, "removing %d\n", inst && fn->removing);
	seq_printf(s, "controlling_gone %d\n", fn->controlling_gone);
	mutex_unlock(&fn->lease_lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(mdev_pt_lease);

/* <bdf>/pci_errors */
static int mdev_pt_pci_errors_show(struct seq_file *s, void *unused)
{
	u64 errors[MDEV_PT_PCI_ERR_NR];
	unsigned int i;

	mdev_pt_health_fn_errors(s->private, errors);
	for (i = 0; i < MDEV_PT_PCI_ERR_NR; i++)
		seq_printf(s, "%s %llu\n", mdev_pt_pci_error_name(i), errors[i]);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(mdev_pt_pci_errors);

/* <bdf>/<uuid>/traps */
static int mdev_pt_traps_show(struct seq_file *s, void *unused)
{
	struct mdev_pt_instance *inst = s->private;

	seq_printf(s, "reads %lld\n", atomic64_read(&inst->traps.reads));
	seq_printf(s, "writes %lld\n", atomic64_read(&inst->traps.writes));
	seq_printf(s, "errors %lld\n", atomic64_read(&inst->traps.errors));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(mdev_pt_traps);

/* <bdf>/<uuid>/migration/state */
static int mdev_pt_mig_state_show(struct seq_file *s, void *unused)
{
	struct mdev_pt_instance *inst = s->private;
	enum vfio_device_mig_state state;

	mdev_pt_mig_read_state(inst->fn, &state, NULL);
	if (state < ARRAY_SIZE(mdev_pt_mig_state_names))
		seq_printf(s, "%s\n", mdev_pt_mig_state_names[state]);
	else
		seq_puts(s, "Invalid\n");
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(mdev_pt_mig_state);

/* <bdf>/<uuid>/migration/counters */
static int mdev_pt_mig_counters_show(struct seq_file *s, void *unused)
{
	struct mdev_pt_instance *inst = s->private;
	struct mdev_pt_mig_stats stats;

	mdev_pt_mig_read_state(inst->fn, NULL, &stats);
	seq_printf(s, "arcs %llu\n", stats.arcs);
	seq_printf(s, "errors %llu\n", stats.errors);
	seq_printf(s, "resets %llu\n", stats.resets);
	seq_printf(s, "bytes_saved %llu\n", stats.bytes_saved);
	seq_printf(s, "bytes_loaded %llu\n", stats.bytes_loaded);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(mdev_pt_mig_counters);

/* <bdf>/<uuid>/migration/dirty */
static int mdev_pt_dirty_show(struct seq_file *s, void *unused)
{
	struct mdev_pt_instance *inst = s->private;

	mdev_pt_dirty_seq_show(inst->fn, s);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(mdev_pt_dirty);

/**
 * mdev_pt_debugfs_add_function() - the directory of a function being bound
 * @fn: the function, before it registers as mdev parent
 *
 * Failures leave the function without its files, as debugfs users do.
 */
void mdev_pt_debugfs_add_function(struct mdev_pt_function *fn)
{
	struct dentry *dir;

	dir = debugfs_create_dir(pci_name(mdev_pt_pdev(fn)),
				 mdev_pt_debugfs_root);
	debugfs_create_file("lease", 0400, dir, fn, &mdev_pt_lease_fops);
	debugfs_create_file("pci_errors", 0400, dir, fn,
			    &mdev_pt_pci_errors_fops);
	fn->debugfs = dir;
}

/**
 * mdev_pt_debugfs_del_function() - remove the function's directory
 * @fn: the function, being unbound, its instance already removed
 */
void mdev_pt_debugfs_del_function(struct mdev_pt_function *fn)
{
	debugfs_remove_recursive(fn->debugfs);
	fn->debugfs = NULL;
}

/**
 * mdev_pt_debugfs_add_instance() - the directory of an instance being created
 * @inst: the instance, complete but not open-able yet
 *
 * Also gives the plugin its "vendor" directory (debugfs_init).
 */
void mdev_pt_debugfs_add_instance(struct mdev_pt_instance *inst)
{
	const struct mdev_pt_type *type = mdev_pt_inst_type(inst);
	struct dentry *dir, *sub;

	dir = debugfs_create_dir(dev_name(&inst->mdev->dev), inst->fn->debugfs);
	inst->debugfs = dir;
	if (IS_ERR(dir) || !type)
		return;

	if (type->num_traps)
		debugfs_create_file("traps", 0400, dir, inst,
				    &mdev_pt_traps_fops);
	if (type->migration) {
		sub = debugfs_create_dir("migration", dir);
		debugfs_create_file("state", 0400, sub, inst,
				    &mdev_pt_mig_state_fops);
		debugfs_create_file("counters", 0400, sub, inst,
				    &mdev_pt_mig_counters_fops);
		if (type->dirty)
			debugfs_create_file("dirty", 0400, sub, inst,
					    &mdev_pt_dirty_fops);
	}
	if (type->ops && type->ops->debugfs_init) {
		sub = debugfs_create_dir("vendor", dir);
		if (!IS_ERR(sub)) {
			type->ops->debugfs_init(inst, sub);
			trace_mdev_pt_plugin_call(inst, MDEV_PT_OP_DEBUGFS_INIT, 0);
		}
	}
}

/**
 * mdev_pt_debugfs_del_instance() - remove the instance's directory
 * @inst: the instance, being removed
 *
 * Waits for the readers of its files, the plugin's among them.
 */
void mdev_pt_debugfs_del_instance(struct mdev_pt_instance *inst)
{
	debugfs_remove_recursive(inst->debugfs);
	inst->debugfs = NULL;
}

void mdev_pt_debugfs_init(void)
{
	mdev_pt_debugfs_root = debugfs_create_dir(MDEV_PT_DRIVER_NAME, NULL);
}

void mdev_pt_debugfs_exit(void)
{
	debugfs_remove_recursive(mdev_pt_debugfs_root);
	mdev_pt_debugfs_root = NULL;
}
