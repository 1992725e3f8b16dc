/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * mdev-pt plugin API
 *
 * A vendor plugin is a module that adds mdev types to the PCI functions
 * bound to mdev_pt.  Each type may add device-specific regions, IRQs beyond
 * vfio-pci's five and trapped BAR ranges to what the passthrough core gives;
 * everything the plugin does not override is served by vfio_pci_core.
 *
 * Lifetime: a plugin registers with mdev_pt_register_plugin() (usually
 * through module_mdev_pt_plugin()).  mdev_pt then offers it every bound
 * function its id_table matches; when the plugin's probe() accepts one, the
 * plugin's module is pinned until that function is unbound, so rmmod of a
 * plugin is refused (delete_module() fails with EAGAIN) while it serves any
 * function, and with it every instance of its types.  mdev_pt itself
 * cannot be unloaded while a plugin is loaded (plugins link against it).
 *
 * Autoload: binding a function to mdev_pt requests the module alias
 * "mdev_pt:vVVVVVVVVdDDDDDDDDsvSSSSSSSSsdTTTTTTTTbcBBscSS" built from the
 * function's IDs in upper-case hex (a "pci:" modalias without the
 * programming interface, which would make the name too long for
 * request_module()).  A plugin declares one MODULE_ALIAS_MDEV_PT() or
 * MODULE_ALIAS() per entry of its id_table, with '*' for what the entry
 * does not match on.  The request runs in the background, shared by the
 * binds of functions with the same IDs; the bind registers the function
 * at once with the plugins loaded by then.
 *
 * Types are fixed when a function registers as mdev parent.  A plugin that
 * registers after a function was bound makes that function register again
 * with the plugin's types added: at once if the function has no instance,
 * otherwise as soon as its instance is removed.
 */
#ifndef _LINUX_MDEV_PT_H
#define _LINUX_MDEV_PT_H

#include <linux/bits.h>
#include <linux/device.h>
#include <linux/list.h>
#include <linux/mm_types.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <uapi/linux/mdev_pt.h>

struct dentry;
struct mdev_pt_function;
struct mdev_pt_instance;

/** MDEV_PT_MAX_REGIONS - most device-specific regions a type may declare */
#define MDEV_PT_MAX_REGIONS	8
/** MDEV_PT_MAX_IRQS - most custom IRQ indexes a type may declare */
#define MDEV_PT_MAX_IRQS	8
/** MDEV_PT_MAX_TRAPS - most trapped BAR ranges a type may declare */
#define MDEV_PT_MAX_TRAPS	8
/** MDEV_PT_MAX_IO - largest single access mdev-pt hands to a plugin */
#define MDEV_PT_MAX_IO		PAGE_SIZE

/**
 * struct mdev_pt_region - a device-specific region of a type
 * @type: VFIO region type reported in VFIO_REGION_INFO_CAP_TYPE, for a
 *	vendor region VFIO_REGION_TYPE_PCI_VENDOR_TYPE | PCI vendor ID
 * @subtype: VFIO region subtype, the plugin's own numbering for vendor types
 * @size: region size in bytes; a multiple of PAGE_SIZE if mmap is set
 * @flags: VFIO_REGION_INFO_FLAG_READ, _WRITE and _MMAP as the region allows;
 *	the core refuses every access the flags do not allow
 * @rw: read or write @count bytes at @pos; mdev-pt has checked that the
 *	access lies inside the region and is at most MDEV_PT_MAX_IO bytes, and
 *	copies @buf (a kernel buffer) from and to user space.  Returns the
 *	number of bytes handled or a negative errno.  Required if READ or
 *	WRITE is set.
 * @mmap: map the region into @vma; the core has checked that @vma lies
 *	inside the region and set @vma->vm_pgoff to the page offset inside
 *	the region.  Required if MMAP is set.
 *
 * Index of the n-th region of a type: VFIO_PCI_NUM_REGIONS + n.
 */
struct mdev_pt_region {
	u32 type;
	u32 subtype;
	size_t size;
	u32 flags;
	ssize_t (*rw)(struct mdev_pt_instance *inst,
		      const struct mdev_pt_region *region, char *buf,
		      size_t count, loff_t pos, bool iswrite);
	int (*mmap)(struct mdev_pt_instance *inst,
		    const struct mdev_pt_region *region,
		    struct vm_area_struct *vma);
};

/**
 * struct mdev_pt_irq - a custom IRQ index of a type
 * @type: IRQ type reported in the MDEV_PT_IRQ_INFO_CAP_TYPE capability of
 *	include/uapi/linux/mdev_pt.h, MDEV_PT_IRQ_TYPE_PCI_VENDOR_TYPE | PCI
 *	vendor ID for vendor IRQs
 * @subtype: IRQ subtype, the plugin's own numbering for vendor types
 * @count: number of vectors, at least 1
 * @flags: VFIO_IRQ_INFO_MASKABLE if user space may mask and unmask it
 *	(VFIO_IRQ_INFO_EVENTFD is always reported)
 *
 * Index of the n-th IRQ of a type: VFIO_PCI_NUM_IRQS + n.  The core keeps
 * the eventfds and the mask state; the plugin raises a vector with
 * mdev_pt_irq_signal().  A vector signalled while masked is delivered when
 * it is unmasked.
 */
struct mdev_pt_irq {
	u32 type;
	u32 subtype;
	u32 count;
	u32 flags;
};

/**
 * struct mdev_pt_trap - a trapped range of a BAR
 * @bar: BAR number, 0-5; the BAR must be a memory BAR
 * @offset: start of the range inside the BAR
 * @size: length of the range in bytes
 *
 * Reads and writes of user space inside the range go to the type's
 * &mdev_pt_type_ops.trap_rw, the rest of the BAR passes through to the
 * device.  The pages the range touches cannot be mmap'd: the BAR's region
 * info carries a sparse mmap capability that leaves them out, and
 * VFIO_DEVICE_IOEVENTFD refuses them.
 */
struct mdev_pt_trap {
	u8 bar;
	u64 offset;
	u64 size;
};

/**
 * struct mdev_pt_type_ops - behaviour of an mdev type, all optional
 * @create: an instance of the type is being created (the lease is taken,
 *	nobody can open it yet); set up per-instance state with
 *	mdev_pt_set_drvdata().  A failure fails the create with its errno.
 * @destroy: the instance is going away; the device is closed.
 * @open: user space opens the device; called after vfio_pci_core enabled
 *	it, before any access.  A failure fails the open.
 * @close: the last user closed the device; called before vfio_pci_core
 *	disables it.
 * @trap_rw: an access inside one of the type's trapped ranges: @count
 *	bytes (1, 2, 4 or 8, naturally aligned) at @offset of BAR @bar,
 *	never crossing the range's end; the core splits longer user accesses
 *	into such pieces, and wakes the function from runtime suspend (low
 *	power entry) around them, as vfio_pci_core does for its BAR
 *	accesses.  Return @count or a negative errno.  Required if the type
 *	has traps.
 * @debugfs_init: optional; put the plugin's own debugfs files for the
 *	instance (counters, shadow state) into @dir, the "vendor" directory
 *	of the instance's debugfs directory, with the plugin's per-instance
 *	state as their data.  Called after @create, before the instance can
 *	be opened, only where debugfs is available.  The core removes @dir
 *	and everything in it, waiting for readers, before @destroy: the
 *	files need no removal of their own and never outlive the state.
 *
 * All callbacks run in process context and may sleep.  open, close and
 * trap_rw may run concurrently with each other only as vfio allows
 * (trap_rw from several threads of the user at once: serialize yourself).
 */
struct mdev_pt_type_ops {
	int (*create)(struct mdev_pt_instance *inst);
	void (*destroy)(struct mdev_pt_instance *inst);
	int (*open)(struct mdev_pt_instance *inst);
	void (*close)(struct mdev_pt_instance *inst);
	ssize_t (*trap_rw)(struct mdev_pt_instance *inst, unsigned int bar,
			   char *buf, size_t count, u64 offset, bool iswrite);
	void (*debugfs_init)(struct mdev_pt_instance *inst, struct dentry *dir);
};

/** MDEV_PT_MIG_PRE_COPY - &mdev_pt_migration_ops.flags: the type has pre-copy */
#define MDEV_PT_MIG_PRE_COPY	BIT(0)

/**
 * struct mdev_pt_migration_ops - device verbs of a migratable type
 * @flags: MDEV_PT_MIG_PRE_COPY if @save can hand out state while the
 *	device runs, and @save_pending reports what changed since
 * @quiesce: optional, with @unquiesce; RUNNING -> RUNNING_P2P: the device
 *	must not start new DMA or peer-to-peer work (work user space asks
 *	for now is held until @unquiesce), completes what is in flight before
 *	returning, and still answers accesses.  Only types with @quiesce
 *	offer VFIO_MIGRATION_P2P: user space that stops several devices
 *	relies on RUNNING_P2P meaning exactly this.
 * @unquiesce: RUNNING_P2P -> RUNNING, undoes @quiesce: held work starts.
 * @stop: required; RUNNING_P2P (or RUNNING, without @quiesce) -> STOP:
 *	wait for the device's in-flight work (bounded: time out with
 *	-ETIMEDOUT and a message) so that its state no longer changes and
 *	can be saved, or loaded in RESUMING.
 * @resume: required; STOP -> RUNNING_P2P (or RUNNING, without @quiesce):
 *	the device may run again.
 * @save_begin: optional; a save starts: in STOP_COPY straight from STOP
 *	(@precopy false) or in PRE_COPY while the device runs (@precopy
 *	true, only with MDEV_PT_MIG_PRE_COPY).  Rewind the plugin's save
 *	cursor; with @precopy, start tracking what changes.
 * @save_pending: required; bytes @save will still hand out: @initial the
 *	part of the state not handed out yet, @dirty what changed after it
 *	was handed out (0 without pre-copy).  Outside a save, the whole state
 *	(@initial) of a save that would start now.  An estimate: it sizes
 *	VFIO_DEVICE_FEATURE_MIG_DATA_SIZE, VFIO_MIG_GET_PRECOPY_INFO and the
 *	v1 region's pending_bytes.
 * @save: required; hand out the next chunk of device state into @buf,
 *	at most @size (MDEV_PT_MIG_DATA_MAX) bytes.  Return the bytes
 *	written, 0 when there is nothing more (for now, while the device
 *	runs in pre-copy; for good once it is stopped), or a negative errno,
 *	which puts the device in the ERROR state.
 * @save_end: optional; the save is over (completed, abandoned or reset).
 * @load_begin: optional; the device, stopped, enters RESUMING.
 * @load: required; take one chunk as the source's @save produced it,
 *	@size bytes at @buf.  Return 0, or -EINVAL (with a dev_err naming
 *	the reason) to refuse the stream.
 * @load_end: optional; the resume is over: @complete when the whole stream
 *	arrived (apply the state now; an error refuses the stream and puts
 *	the device in the ERROR state), false when it was abandoned.
 * @reset: optional; the function was reset (VFIO_DEVICE_RESET, FLR,
 *	open or close): the device runs from its reset state, any save or
 *	resume is abandoned, and the plugin forgets what it kept for them.
 *	Called after the reset, before any other callback that follows it
 *	(VFIO_DEVICE_RESET returns only once it ran).
 *
 * mdev-pt owns the state machine, the data files, the stream format and
 * the locking: the callbacks are called under the instance's migration
 * state mutex, one at a time (data file reads and writes, state changes,
 * VFIO_DEVICE_FEATURE_MIG_DATA_SIZE and VFIO_MIG_GET_PRECOPY_INFO alike),
 * in process context, and may sleep.  The device is stopped (STOP,
 * STOP_COPY or RESUMING) during @save outside pre-copy, and during @load
 * and @load_end.  None is called once the instance's plugin gate closed
 * (see &mdev_pt_plugin.controlling_gone), not even @save_end or @reset.
 */
struct mdev_pt_migration_ops {
	u32 flags;
	int (*quiesce)(struct mdev_pt_instance *inst);
	int (*unquiesce)(struct mdev_pt_instance *inst);
	int (*stop)(struct mdev_pt_instance *inst);
	int (*resume)(struct mdev_pt_instance *inst);
	int (*save_begin)(struct mdev_pt_instance *inst, bool precopy);
	void (*save_pending)(struct mdev_pt_instance *inst, u64 *initial,
			     u64 *dirty);
	ssize_t (*save)(struct mdev_pt_instance *inst, void *buf, size_t size);
	void (*save_end)(struct mdev_pt_instance *inst);
	int (*load_begin)(struct mdev_pt_instance *inst);
	int (*load)(struct mdev_pt_instance *inst, const void *buf,
		    size_t size);
	int (*load_end)(struct mdev_pt_instance *inst, bool complete);
	void (*reset)(struct mdev_pt_instance *inst);
};

/** MDEV_PT_DIRTY_MAX_RANGES - most IOVA ranges user space may log at once */
#define MDEV_PT_DIRTY_MAX_RANGES	32

/**
 * struct mdev_pt_dirty_range - a range of IOVA whose device writes are logged
 * @iova: start, a multiple of the logging page size
 * @length: length in bytes, a multiple of the logging page size
 */
struct mdev_pt_dirty_range {
	u64 iova;
	u64 length;
};

struct mdev_pt_dirty_report;

/**
 * struct mdev_pt_dirty_ops - device DMA dirty tracking of a migratable type
 * @max_ranges: ranges the device can log at once, 1 to
 *	MDEV_PT_DIRTY_MAX_RANGES.  When user space asks for more (but at most
 *	MDEV_PT_DIRTY_MAX_RANGES), the core merges the ranges across their
 *	smallest gaps first: the device then logs some IOVA user space did
 *	not ask for, which may only over-report.
 * @start: start logging the pages the device writes inside @ranges: @nr
 *	ranges (1 to @max_ranges), sorted by IOVA, not overlapping, aligned
 *	to @page_size, which is a power of two of at least 4 KiB.  The core
 *	has checked all of it and calls @start only while logging is
 *	stopped.  Return 0, or a negative errno (with a dev_err naming the
 *	reason) to refuse.
 * @stop: stop logging and forget what was logged.  Called once after
 *	each successful @start: by user space, or by the core when the
 *	device is closed or reset or the instance is removed.
 * @report: report every page inside [@iova, @iova + @length) that the
 *	device wrote since @start or since the last report that covered it,
 *	with mdev_pt_dirty_report_set(), and forget those pages.  The range
 *	lies inside the started ranges.  A report may name pages the device
 *	did not write; it must never miss one it wrote or may still write:
 *	a missed page is memory the migrated guest silently loses.  Pages of
 *	work the device may still be doing are reported again by every
 *	report until one finds that work completed.  Return 0, or a negative
 *	errno to fail the report (user space then fails the migration).
 *
 * Offered through VFIO_DEVICE_FEATURE_DMA_LOGGING_START, _STOP and _REPORT
 * (vfio_log_ops) on kernels whose vfio core can report (6.1; since 6.8
 * only with CONFIG_IOMMUFD_DRIVER), which is what QEMU 8.1 and later need
 * to migrate the device without enable-migration=on.  The callbacks run
 * like the &mdev_pt_migration_ops ones: under the instance's migration
 * state mutex, inside its plugin gate, in process context; none is called
 * once the gate closed.  A plugin that sees every write its device makes
 * (a trapped DMA command, an emulated engine) keeps the log in a
 * &struct mdev_pt_dirty_bitmap.
 */
struct mdev_pt_dirty_ops {
	unsigned int max_ranges;
	int (*start)(struct mdev_pt_instance *inst,
		     const struct mdev_pt_dirty_range *ranges, unsigned int nr,
		     u64 page_size);
	void (*stop)(struct mdev_pt_instance *inst);
	int (*report)(struct mdev_pt_instance *inst, u64 iova, u64 length,
		      struct mdev_pt_dirty_report *report);
};

/**
 * struct mdev_pt_type - an mdev type offered by a plugin
 * @sysfs_name: stable name, starting with the plugin's vendor prefix (e.g.
 *	"edu-audited"); the type directory is "mdev_pt-<sysfs_name>".  This
 *	is ABI: never rename a type.
 * @pretty_name: human-readable name, shown in the type's "name"
 * @description: one line saying what an instance gives, shown in the
 *	type's "description"
 * @ops: the type's callbacks, may be NULL
 * @regions: device-specific regions, @num_regions entries
 * @num_regions: at most MDEV_PT_MAX_REGIONS
 * @irqs: custom IRQ indexes, @num_irqs entries
 * @num_irqs: at most MDEV_PT_MAX_IRQS
 * @traps: trapped BAR ranges, @num_traps entries, not overlapping
 * @num_traps: at most MDEV_PT_MAX_TRAPS
 * @attrs: per-instance attributes, created as the group "vendor" under the
 *	mdev device; may be NULL.  Their show/store get the mdev device; find
 *	the instance with mdev_pt_instance_from_dev().  Stores must refuse
 *	changes once mdev_pt_instance_opened() (mdevctl writes attributes
 *	between create and the first open).
 * @migration: the device verbs of a migratable type, NULL if instances
 *	cannot migrate.  Instances of a migratable type offer the v2
 *	migration uAPI (VFIO_DEVICE_FEATURE_MIGRATION: STOP_COPY and P2P,
 *	PRE_COPY where the kernel has it and the ops have
 *	MDEV_PT_MIG_PRE_COPY) and the v1 migration region after the type's
 *	own regions.
 * @migration_compat: required with @migration: one line, at most
 *	MDEV_PT_MIG_NAME_MAX bytes, naming the device state format, e.g.
 *	"mdev_pt-mock-migratable v1"; shown in the type's and the
 *	instance's migration_compatibility attribute and written into the
 *	stream.  A stream resumes only into a type of the same name and the
 *	same string: change it whenever the plugin's state format changes
 *	incompatibly.
 * @dirty: optional, with @migration: device DMA dirty tracking.  Without
 *	it, QEMU 8.1 and later refuse to migrate an instance unless
 *	enable-migration=on, and then send all guest memory while the guest
 *	is stopped.
 *
 * Types live as long as the plugin's module: declare them static const.
 */
struct mdev_pt_type {
	const char *sysfs_name;
	const char *pretty_name;
	const char *description;
	const struct mdev_pt_type_ops *ops;
	const struct mdev_pt_region *regions;
	unsigned int num_regions;
	const struct mdev_pt_irq *irqs;
	unsigned int num_irqs;
	const struct mdev_pt_trap *traps;
	unsigned int num_traps;
	const struct attribute_group *attrs;
	const struct mdev_pt_migration_ops *migration;
	const char *migration_compat;
	const struct mdev_pt_dirty_ops *dirty;
};

/**
 * struct mdev_pt_plugin - a vendor plugin
 * @name: plugin name, used in messages
 * @owner: THIS_MODULE
 * @id_table: the functions the plugin may serve (vendor, device, subsystem
 *	IDs and class, PCI_ANY_ID and class masks as for a pci_driver),
 *	terminated by an empty entry
 * @types: the types the plugin offers, @num_types entries
 * @num_types: number of types, at least 1
 * @probe: optional; called for every bound function the @id_table
 *	matches, with @id the matching entry.  Return 0 to serve the function
 *	with every type, -ENODEV to decline it, another errno on failure (the
 *	function is then served without this plugin, and a warning names the
 *	error).  May keep per-function state with mdev_pt_function_set_drvdata().
 * @remove: optional; the function is unbound or the plugin unregisters.
 * @controlling_gone: optional; the function is a VF and its controlling
 *	function (mdev_pt_function_controlling_pdev()) is going away: the PF
 *	is being unbound from its driver (called before that driver's
 *	remove(), with the PF's device lock held) or is disabling SR-IOV
 *	(called from the VF's unbind, before its instance is removed).  Drop
 *	every use of the PF and of its driver's state before returning; a
 *	plugin that sets this callback declares that its types depend on the
 *	PF: the core waits for their instances' device calls in flight,
 *	then refuses open, ioctl, read, write and mmap of those instances,
 *	and creating new ones, with -ENOTCONN until the VF is unbound from
 *	mdev_pt, and only then calls this.  close and destroy are still
 *	called.  Once per binding.
 * @list: private to mdev-pt
 *
 * probe, remove and controlling_gone run in process context with the
 * function's registration lock held (serialized per function, never under
 * mdev-pt's global lock); probe runs from PCI probe (autoload_plugins
 * off) or from a work item (at the end of the function's plugin request,
 * or for a plugin that loads later), so it must not take the function's
 * PCI device lock; controlling_gone must not take the PF's.
 */
struct mdev_pt_plugin {
	const char *name;
	struct module *owner;
	const struct pci_device_id *id_table;
	const struct mdev_pt_type *types;
	unsigned int num_types;
	int (*probe)(struct mdev_pt_function *fn,
		     const struct pci_device_id *id);
	void (*remove)(struct mdev_pt_function *fn);
	void (*controlling_gone)(struct mdev_pt_function *fn);
	struct list_head list;
};

int mdev_pt_register_plugin(struct mdev_pt_plugin *plugin);
void mdev_pt_unregister_plugin(struct mdev_pt_plugin *plugin);

/**
 * module_mdev_pt_plugin() - register a plugin in module init
 * @__plugin: the &struct mdev_pt_plugin
 *
 * For plugins that do nothing else in module init and exit.
 */
#define module_mdev_pt_plugin(__plugin) \
	module_driver(__plugin, mdev_pt_register_plugin, \
		      mdev_pt_unregister_plugin)

/**
 * MODULE_ALIAS_MDEV_PT() - declare the autoload alias of an id_table entry
 * @vendor: vendor ID as 8 upper-case hex digits in a string, e.g. "00001234"
 * @device: device ID likewise, or "*"
 *
 * Subsystem IDs and class are matched as wildcards; use MODULE_ALIAS()
 * with the full "mdev_pt:v...d...sv...sd...bc..sc.." string to be more
 * specific.
 */
#define MODULE_ALIAS_MDEV_PT(vendor, device) \
	MODULE_ALIAS("mdev_pt:v" vendor "d" device "sv*sd*bc*sc*")

/**
 * mdev_pt_function_pdev() - the PCI function
 * @fn: the function
 *
 * Valid from probe to remove.
 *
 * Return: the function's &struct pci_dev.
 */
struct pci_dev *mdev_pt_function_pdev(struct mdev_pt_function *fn);

/**
 * mdev_pt_function_controlling_pdev() - the function that controls @fn
 * @fn: the function
 *
 * The PF of a VF provisions it and, for many devices, carries its
 * migration: a plugin reaches the PF's driver through it (e.g. with
 * pci_iov_get_pf_drvdata()).  Use it only until
 * &mdev_pt_plugin.controlling_gone is called.
 *
 * Return: the PF of a VF, or @fn's own &struct pci_dev if it is not a VF.
 */
struct pci_dev *mdev_pt_function_controlling_pdev(struct mdev_pt_function *fn);

/**
 * mdev_pt_function_set_drvdata() - keep a plugin's per-function state
 * @fn: the function
 * @plugin: the plugin the state belongs to
 * @data: the state
 *
 * Call from &mdev_pt_plugin.probe; free the state in
 * &mdev_pt_plugin.remove.
 */
void mdev_pt_function_set_drvdata(struct mdev_pt_function *fn,
				  const struct mdev_pt_plugin *plugin,
				  void *data);

/**
 * mdev_pt_function_get_drvdata() - a plugin's per-function state
 * @fn: the function
 * @plugin: the plugin
 *
 * Return: what @plugin stored with mdev_pt_function_set_drvdata(), or NULL.
 */
void *mdev_pt_function_get_drvdata(struct mdev_pt_function *fn,
				   const struct mdev_pt_plugin *plugin);

/**
 * mdev_pt_instance_function() - the function an instance leases
 * @inst: the instance
 *
 * Return: the function.
 */
struct mdev_pt_function *mdev_pt_instance_function(struct mdev_pt_instance *inst);

/**
 * mdev_pt_instance_pdev() - the PCI function of an instance
 * @inst: the instance
 *
 * Return: the &struct pci_dev of the leased function.
 */
struct pci_dev *mdev_pt_instance_pdev(struct mdev_pt_instance *inst);

/**
 * mdev_pt_instance_dev() - the mdev device of an instance
 * @inst: the instance
 *
 * Return: the &struct device of the mdev, for messages.
 */
struct device *mdev_pt_instance_dev(struct mdev_pt_instance *inst);

/**
 * mdev_pt_instance_from_dev() - the instance of an mdev device
 * @dev: the mdev device, as given to a per-instance attribute
 *
 * Return: the instance.
 */
struct mdev_pt_instance *mdev_pt_instance_from_dev(struct device *dev);

/**
 * mdev_pt_instance_opened() - whether user space has opened the instance
 * @inst: the instance
 *
 * Once opened, an instance's configuration is fixed until it is removed:
 * attribute stores return -EBUSY when this is true.
 *
 * Return: true from the first open on.
 */
bool mdev_pt_instance_opened(struct mdev_pt_instance *inst);

/**
 * mdev_pt_set_drvdata() - keep a plugin's per-instance state
 * @inst: the instance
 * @data: the state, usually allocated in &mdev_pt_type_ops.create
 */
void mdev_pt_set_drvdata(struct mdev_pt_instance *inst, void *data);

/**
 * mdev_pt_get_drvdata() - a plugin's per-instance state
 * @inst: the instance
 *
 * Return: what the plugin stored with mdev_pt_set_drvdata().
 */
void *mdev_pt_get_drvdata(struct mdev_pt_instance *inst);

/**
 * mdev_pt_irq_signal() - raise a vector of a custom IRQ
 * @inst: the instance
 * @irq: index into the type's &mdev_pt_type.irqs
 * @vector: vector within that IRQ
 *
 * Signals the eventfd user space set with VFIO_DEVICE_SET_IRQS, or, while
 * the IRQ is masked, marks it pending.  Without an eventfd the signal is
 * dropped.  May be called from any context that may sleep.
 *
 * Return: 0, or -EINVAL for an @irq or @vector the type does not have.
 */
int mdev_pt_irq_signal(struct mdev_pt_instance *inst, unsigned int irq,
		       unsigned int vector);

/**
 * mdev_pt_bar_rw() - the default access to a BAR of the function
 * @inst: the instance
 * @bar: BAR number
 * @buf: kernel buffer
 * @count: 1, 2, 4 or 8 bytes, naturally aligned
 * @offset: offset in the BAR
 * @iswrite: write @buf to the device instead of reading into it
 *
 * What a trapped access would have done without the trap: the plugin's
 * trap_rw calls it to forward an access it accepts.  Honours the memory
 * enable bit of the function's command register like vfio-pci does.
 *
 * Return: @count, or a negative errno (-EIO while memory decoding is off).
 */
ssize_t mdev_pt_bar_rw(struct mdev_pt_instance *inst, unsigned int bar,
		       void *buf, size_t count, u64 offset, bool iswrite);

/**
 * mdev_pt_bar_rw_decoding() - access a BAR even while decoding is off
 * @inst: the instance
 * @bar: BAR number
 * @buf: kernel buffer
 * @count: 1, 2, 4 or 8 bytes, naturally aligned
 * @offset: offset in the BAR
 * @iswrite: write @buf to the device instead of reading into it
 *
 * Like mdev_pt_bar_rw(), but for the plugin's own accesses to the device
 * state in migration verbs: user space may have memory decoding off then
 * (QEMU clears it when it resets the device, and restores the command
 * register only after the device state), so decoding is turned on for
 * the access and back off after it, with user accesses to the BARs and the
 * command register held off meanwhile.  Never use it for an access on
 * behalf of user space.
 *
 * Return: @count, or a negative errno (-EIO outside D0).
 */
ssize_t mdev_pt_bar_rw_decoding(struct mdev_pt_instance *inst,
				unsigned int bar, void *buf, size_t count,
				u64 offset, bool iswrite);

/**
 * mdev_pt_dirty_report_set() - report pages the device wrote
 * @report: the report handed to &mdev_pt_dirty_ops.report
 * @iova: start of the written IOVA
 * @length: bytes written from @iova
 *
 * Every page that [@iova, @iova + @length) touches is reported, as far as
 * it lies inside the range being reported; the rest is ignored.
 */
void mdev_pt_dirty_report_set(struct mdev_pt_dirty_report *report, u64 iova,
			      u64 length);

struct mdev_pt_dirty_map;

/**
 * struct mdev_pt_dirty_bitmap - a log of the pages a device wrote, kept by the host
 * @lock: protects @map
 * @map: the ranges being logged and their bitmaps, NULL while stopped
 *
 * For plugins that see every write their device makes to guest memory
 * (from a trapped DMA command, for instance): mark each write with
 * mdev_pt_dirty_bitmap_mark() before the device can make it, and implement
 * &mdev_pt_dirty_ops with the other helpers.  Initialize with
 * mdev_pt_dirty_bitmap_init(); the fields are private.
 */
struct mdev_pt_dirty_bitmap {
	spinlock_t lock;		/* protects map */
	struct mdev_pt_dirty_map *map;
};

/**
 * mdev_pt_dirty_bitmap_init() - prepare a dirty bitmap, stopped
 * @db: the bitmap
 */
void mdev_pt_dirty_bitmap_init(struct mdev_pt_dirty_bitmap *db);

/**
 * mdev_pt_dirty_bitmap_start() - start logging
 * @db: the bitmap, stopped
 * @ranges: the ranges, as handed to &mdev_pt_dirty_ops.start
 * @nr: number of @ranges
 * @page_size: the logging page size
 *
 * Allocates one bit per page of the ranges: at most 2^28 pages in all.
 *
 * Return: 0, -EBUSY if @db is started, -ENOSPC if the ranges hold too
 * many pages, -ENOMEM.
 */
int mdev_pt_dirty_bitmap_start(struct mdev_pt_dirty_bitmap *db,
			       const struct mdev_pt_dirty_range *ranges,
			       unsigned int nr, u64 page_size);

/**
 * mdev_pt_dirty_bitmap_stop() - stop logging and free the bitmap
 * @db: the bitmap
 */
void mdev_pt_dirty_bitmap_stop(struct mdev_pt_dirty_bitmap *db);

/**
 * mdev_pt_dirty_bitmap_mark() - log a write of the device
 * @db: the bitmap
 * @iova: start of the IOVA the device writes
 * @length: bytes it writes from @iova
 *
 * Marks every page the write touches inside the logged ranges.  Call it
 * before the device can make the write, and again at each report while
 * the write may still be under way.  Any context.
 *
 * Return: true if logging is started.
 */
bool mdev_pt_dirty_bitmap_mark(struct mdev_pt_dirty_bitmap *db, u64 iova,
			       u64 length);

/**
 * mdev_pt_dirty_bitmap_report() - report and clear the logged pages of a range
 * @db: the bitmap
 * @iova: start of the range, as handed to &mdev_pt_dirty_ops.report
 * @length: its length
 * @report: the report
 *
 * Return: 0, or -EINVAL if @db is stopped.
 */
int mdev_pt_dirty_bitmap_report(struct mdev_pt_dirty_bitmap *db, u64 iova,
				u64 length, struct mdev_pt_dirty_report *report);

#endif /* _LINUX_MDEV_PT_H */
