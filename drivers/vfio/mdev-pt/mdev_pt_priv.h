/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * mdev-pt: passthrough mediated-device parent, private definitions.
 */
#ifndef MDEV_PT_PRIV_H
#define MDEV_PT_PRIV_H

#include <linux/atomic.h>
#include <linux/completion.h>
#include <linux/iommu.h>
#include <linux/mdev.h>
#include <linux/mdev_pt.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/srcu.h>
#include <linux/vfio_pci_core.h>
#include <linux/workqueue.h>

#define MDEV_PT_DRIVER_NAME	"mdev_pt"

/**
 * struct mdev_pt_attach - a plugin serving a function
 * @node: entry in &mdev_pt_function.plugins
 * @plugin: the plugin; its module is pinned while attached
 * @drvdata: the plugin's per-function state
 */
struct mdev_pt_attach {
	struct list_head node;
	struct mdev_pt_plugin *plugin;
	void *drvdata;
};

struct mdev_pt_parent;
struct mdev_pt_autoload;

/*
 * How long after a bind with autoload_plugins on the function registers as
 * mdev parent even if its plugin request is still running.
 */
#define MDEV_PT_AUTOLOAD_REGISTER	(5 * HZ)

/**
 * enum mdev_pt_autoload_state - the plugin autoload of a bound function
 * @MDEV_PT_AUTOLOAD_OFF: autoload_plugins was off at bind: nothing requested
 * @MDEV_PT_AUTOLOAD_REQUESTED: waiting for a request of the function's alias
 * @MDEV_PT_AUTOLOAD_ATTACHING: the request finished; the function's rereg
 *	work attaches what it loaded
 * @MDEV_PT_AUTOLOAD_DONE: the plugins the request loaded are attached
 */
enum mdev_pt_autoload_state {
	MDEV_PT_AUTOLOAD_OFF,
	MDEV_PT_AUTOLOAD_REQUESTED,
	MDEV_PT_AUTOLOAD_ATTACHING,
	MDEV_PT_AUTOLOAD_DONE,
};

/**
 * struct mdev_pt_mtype - one registered mdev type of a function
 * @mtype: the mdev core's type, fresh for every registration; a kobject
 *	that the core may hold after the registration ended: its memory
 *	belongs to the registration's &struct mdev_pt_parent (mdev.c), which
 *	lives until the core released every type
 * @type: the plugin's type, NULL for the generic passthrough type; not
 *	used once the registration ended
 * @attach: the plugin serving it, NULL for the generic type; not used once
 *	the registration ended
 */
struct mdev_pt_mtype {
	struct mdev_type mtype;
	const struct mdev_pt_type *type;
	struct mdev_pt_attach *attach;
};

/**
 * struct mdev_pt_irq_vec - state of one vector of a custom IRQ
 * @trigger: eventfd set by user space, NULL if none
 * @masked: user space masked the vector
 * @pending: signalled while masked, delivered on unmask
 */
struct mdev_pt_irq_vec {
	struct eventfd_ctx *trigger;
	bool masked;
	bool pending;
};

/**
 * struct mdev_pt_region_ctx - what a registered vfio region leads back to
 * @inst: the instance
 * @region: the plugin's region
 */
struct mdev_pt_region_ctx {
	struct mdev_pt_instance *inst;
	const struct mdev_pt_region *region;
};

/**
 * enum mdev_pt_health_state - health of an instance, by increasing severity
 * @MDEV_PT_HEALTH_OK: nothing below holds
 * @MDEV_PT_HEALTH_MIGRATION_FAILED: the migration state machine is in the
 *	ERROR state after a failed arc or a refused stream, until a reset of
 *	the function (VFIO_DEVICE_RESET, a reset through sysfs) or the close
 *	puts it back to RUNNING
 * @MDEV_PT_HEALTH_DEVICE_ERROR: the PCI core reported an uncorrectable
 *	error of the function (AER, DPC, EEH) while the instance held it,
 *	until user space resets the device (VFIO_DEVICE_RESET) or opens it
 *	again with a function reset
 * @MDEV_PT_HEALTH_CONTROLLING_GONE: the instance's plugin depends on the
 *	controlling function, which went away: its plugin gate closed, for
 *	good
 * @MDEV_PT_HEALTH_NR: number of states
 *
 * Several may hold at once; an instance shows the most severe.
 */
enum mdev_pt_health_state {
	MDEV_PT_HEALTH_OK,
	MDEV_PT_HEALTH_MIGRATION_FAILED,
	MDEV_PT_HEALTH_DEVICE_ERROR,
	MDEV_PT_HEALTH_CONTROLLING_GONE,
	MDEV_PT_HEALTH_NR,
};

/**
 * enum mdev_pt_pci_error - kinds of error the PCI core reports to a driver
 * @MDEV_PT_PCI_ERR_NONFATAL: error_detected() with pci_channel_io_normal
 * @MDEV_PT_PCI_ERR_FATAL: error_detected() with pci_channel_io_frozen
 * @MDEV_PT_PCI_ERR_PERM_FAILURE: error_detected() with
 *	pci_channel_io_perm_failure, the recovery failed
 * @MDEV_PT_PCI_ERR_NR: number of kinds
 */
enum mdev_pt_pci_error {
	MDEV_PT_PCI_ERR_NONFATAL,
	MDEV_PT_PCI_ERR_FATAL,
	MDEV_PT_PCI_ERR_PERM_FAILURE,
	MDEV_PT_PCI_ERR_NR,
};

/**
 * enum mdev_pt_plugin_op - the plugin callbacks, for tracing
 * @MDEV_PT_OP_PROBE: &mdev_pt_plugin.probe
 * @MDEV_PT_OP_REMOVE: &mdev_pt_plugin.remove
 * @MDEV_PT_OP_CONTROLLING_GONE: &mdev_pt_plugin.controlling_gone
 * @MDEV_PT_OP_CREATE: &mdev_pt_type_ops.create
 * @MDEV_PT_OP_DESTROY: &mdev_pt_type_ops.destroy
 * @MDEV_PT_OP_OPEN: &mdev_pt_type_ops.open
 * @MDEV_PT_OP_CLOSE: &mdev_pt_type_ops.close
 * @MDEV_PT_OP_TRAP_RW: &mdev_pt_type_ops.trap_rw
 * @MDEV_PT_OP_DEBUGFS_INIT: &mdev_pt_type_ops.debugfs_init
 * @MDEV_PT_OP_REGION_RW: &mdev_pt_region.rw
 * @MDEV_PT_OP_REGION_MMAP: &mdev_pt_region.mmap
 * @MDEV_PT_OP_QUIESCE: &mdev_pt_migration_ops.quiesce
 * @MDEV_PT_OP_UNQUIESCE: &mdev_pt_migration_ops.unquiesce
 * @MDEV_PT_OP_STOP: &mdev_pt_migration_ops.stop
 * @MDEV_PT_OP_RESUME: &mdev_pt_migration_ops.resume
 * @MDEV_PT_OP_SAVE_BEGIN: &mdev_pt_migration_ops.save_begin
 * @MDEV_PT_OP_SAVE_PENDING: &mdev_pt_migration_ops.save_pending
 * @MDEV_PT_OP_SAVE: &mdev_pt_migration_ops.save
 * @MDEV_PT_OP_SAVE_END: &mdev_pt_migration_ops.save_end
 * @MDEV_PT_OP_LOAD_BEGIN: &mdev_pt_migration_ops.load_begin
 * @MDEV_PT_OP_LOAD: &mdev_pt_migration_ops.load
 * @MDEV_PT_OP_LOAD_END: &mdev_pt_migration_ops.load_end
 * @MDEV_PT_OP_RESET: &mdev_pt_migration_ops.reset
 * @MDEV_PT_OP_DIRTY_START: &mdev_pt_dirty_ops.start
 * @MDEV_PT_OP_DIRTY_STOP: &mdev_pt_dirty_ops.stop
 * @MDEV_PT_OP_DIRTY_REPORT: &mdev_pt_dirty_ops.report
 */
enum mdev_pt_plugin_op {
	MDEV_PT_OP_PROBE,
	MDEV_PT_OP_REMOVE,
	MDEV_PT_OP_CONTROLLING_GONE,
	MDEV_PT_OP_CREATE,
	MDEV_PT_OP_DESTROY,
	MDEV_PT_OP_OPEN,
	MDEV_PT_OP_CLOSE,
	MDEV_PT_OP_TRAP_RW,
	MDEV_PT_OP_DEBUGFS_INIT,
	MDEV_PT_OP_REGION_RW,
	MDEV_PT_OP_REGION_MMAP,
	MDEV_PT_OP_QUIESCE,
	MDEV_PT_OP_UNQUIESCE,
	MDEV_PT_OP_STOP,
	MDEV_PT_OP_RESUME,
	MDEV_PT_OP_SAVE_BEGIN,
	MDEV_PT_OP_SAVE_PENDING,
	MDEV_PT_OP_SAVE,
	MDEV_PT_OP_SAVE_END,
	MDEV_PT_OP_LOAD_BEGIN,
	MDEV_PT_OP_LOAD,
	MDEV_PT_OP_LOAD_END,
	MDEV_PT_OP_RESET,
	MDEV_PT_OP_DIRTY_START,
	MDEV_PT_OP_DIRTY_STOP,
	MDEV_PT_OP_DIRTY_REPORT,
};

/**
 * struct mdev_pt_health - health of the instance holding a function's lease
 * @lock: serializes the changes and their uevents, so that the events go
 *	out in the order of the changes; protects the fields below.  Taken
 *	after the lease lock and the migration state mutex, never before
 * @inst: the instance told of changes: from the end of its creation to
 *	the start of its teardown (&mdev_pt_function.gate_srcu closing)
 * @conditions: BIT() of each &enum mdev_pt_health_state but OK that holds
 *	for the instance holding the lease, cleared when the lease is taken
 * @shown: the state last announced to @inst
 * @errors: PCI errors reported while the instance held the lease, by
 *	&enum mdev_pt_pci_error
 * @fn_errors: PCI errors reported during the whole binding
 */
struct mdev_pt_health {
	struct mutex lock;		/* protects the fields below */
	struct mdev_pt_instance *inst;
	unsigned long conditions;
	enum mdev_pt_health_state shown;
	u64 errors[MDEV_PT_PCI_ERR_NR];
	u64 fn_errors[MDEV_PT_PCI_ERR_NR];
};

/**
 * struct mdev_pt_trap_stats - accesses to an instance's trapped ranges
 * @reads: reads handed to the plugin, counted in naturally aligned pieces
 * @writes: writes handed to the plugin, likewise
 * @errors: pieces the plugin refused
 */
struct mdev_pt_trap_stats {
	atomic64_t reads;
	atomic64_t writes;
	atomic64_t errors;
};

/**
 * struct mdev_pt_mig_stats - migration counters of a migratable instance
 * @arcs: arcs of the state machine taken
 * @errors: times the device entered the ERROR state
 * @resets: times a reset or the close put the state back to RUNNING
 * @bytes_saved: stream bytes user space read from save files
 * @bytes_loaded: stream bytes user space wrote into resume files
 *
 * Protected by &mdev_pt_mig.state_mutex; zeroed when the instance takes
 * the lease.
 */
struct mdev_pt_mig_stats {
	u64 arcs;
	u64 errors;
	u64 resets;
	u64 bytes_saved;
	u64 bytes_loaded;
};

struct mdev_pt_mig_file;
struct seq_file;

/**
 * struct mdev_pt_mig_v1 - the v1 migration region of an open instance
 * @data: the region's data section, vmalloc_user(), mmap-able
 * @file: the stream of the current save or resume, NULL if none
 * @live: user space wrote RUNNING|SAVING (pre-copy without data)
 * @chunk_ready: a save chunk sits in @data and @data_size says how long;
 *	set by reading data_offset, cleared by reading pending_bytes
 * @data_size: bytes of the chunk in @data (save)
 * @data_size_wr: the data_size value user space is writing (resume)
 *
 * Protected by &mdev_pt_mig.state_mutex.
 */
struct mdev_pt_mig_v1 {
	void *data;
	struct file *file;
	bool live;
	bool chunk_ready;
	u64 data_size;
	u64 data_size_wr;
};

/**
 * struct mdev_pt_dirty_stats - dirty tracking counters of a migratable instance
 * @starts: times logging started
 * @reports: ranges reported, as the plugin saw them
 * @pages: pages the reports named, in the logging page size
 * @errors: starts and reports that failed
 */
struct mdev_pt_dirty_stats {
	u64 starts;
	u64 reports;
	u64 pages;
	u64 errors;
};

/**
 * struct mdev_pt_dirty - device dirty tracking of the migratable instance
 * @ranges: the ranges being logged, as handed to the plugin (merged down
 *	to its &mdev_pt_dirty_ops.max_ranges); NULL while logging is stopped
 * @nr_ranges: number of @ranges
 * @page_size: the logging page size
 * @stats: counters, zeroed when the instance takes the lease
 *
 * Protected by &mdev_pt_mig.state_mutex.
 */
struct mdev_pt_dirty {
	struct mdev_pt_dirty_range *ranges;
	unsigned int nr_ranges;
	u64 page_size;
	struct mdev_pt_dirty_stats stats;
};

/**
 * struct mdev_pt_mig - migration state of a function
 * @state_mutex: serializes state changes, the data files, the v1 region
 *	and the plugin's migration callbacks; taken inside the plugin gate,
 *	with mdev_pt_mig_state_lock(), and released with
 *	mdev_pt_mig_state_unlock()
 * @reset_lock: protects @deferred_reset
 * @deferred_reset: the function was reset and the state not yet put back
 *	to RUNNING; reset_done only sets it (it may run under
 *	vfio_pci_core's memory_lock, which a data file's reader takes inside
 *	the file's lock), the next holder of @state_mutex applies it at lock
 *	and at unlock
 * @reset_work: takes @state_mutex to apply @deferred_reset when no one
 *	else does
 * @inst: the instance of a migratable type holding the lease, or NULL
 * @state: the v2 device state
 * @saving: the save file, with a reference, while saving
 * @resuming: the resume file, with a reference, while resuming
 * @v1: the v1 region, while the instance is open
 * @stats: counters of the instance holding the lease
 * @dirty: device dirty tracking, for a type with &mdev_pt_type.dirty
 */
struct mdev_pt_mig {
	struct mutex state_mutex;	/* protects the fields below */
	spinlock_t reset_lock;		/* protects deferred_reset */
	bool deferred_reset;
	struct work_struct reset_work;
	struct mdev_pt_instance *inst;
	enum vfio_device_mig_state state;
	struct mdev_pt_mig_file *saving;
	struct mdev_pt_mig_file *resuming;
	struct mdev_pt_mig_v1 v1;
	struct mdev_pt_mig_stats stats;
	struct mdev_pt_dirty dirty;
};

/**
 * struct mdev_pt_instance - an mdev instance leasing a function
 * @mdev: the mdev device
 * @fn: the function it leases
 * @mt: its type
 * @drvdata: the plugin's per-instance state
 * @opened: user space opened the device at least once; the configuration
 *	(per-instance attributes) is fixed from then on
 * @regions: context of each of the type's regions
 * @bar_io: host mappings of the BARs with trapped ranges, while open
 * @irq_lock: protects @irq_vecs
 * @irq_vecs: vectors of the type's custom IRQs, in order
 * @irq_base: index into @irq_vecs of each custom IRQ's first vector
 * @traps: accesses to the type's trapped ranges
 * @debugfs: the instance's debugfs directory, from the end of its
 *	creation to the start of its teardown
 */
struct mdev_pt_instance {
	struct mdev_device *mdev;
	struct mdev_pt_function *fn;
	struct mdev_pt_mtype *mt;
	void *drvdata;
	bool opened;
	struct mdev_pt_region_ctx regions[MDEV_PT_MAX_REGIONS];
	void __iomem *bar_io[PCI_STD_NUM_BARS];
	spinlock_t irq_lock;		/* protects irq_vecs */
	struct mdev_pt_irq_vec *irq_vecs;
	unsigned int irq_base[MDEV_PT_MAX_IRQS];
	struct mdev_pt_trap_stats traps;
	struct dentry *debugfs;
};

/**
 * struct mdev_pt_function - per-function core of a PCI function bound to mdev_pt
 * @core_device: the vfio_pci_core device of the function itself, registered
 *	in PCI probe and unregistered in PCI remove (must stay first:
 *	vfio_alloc_device() requires the vfio_device at offset 0)
 * @iommu_group: reference on the function's IOMMU group, held for the
 *	whole binding so that instance links to its kobject stay valid
 * @node: entry in the list of bound functions, under mdev_pt_lock
 * @parent_lock: serializes parent registration and plugin attachment
 * @parent: the function's registration as mdev parent, with its types;
 *	NULL while not registered.  It may outlive the registration, but is
 *	the function's only from mdev_pt_register_parent() to
 *	mdev_pt_unregister_parent()
 * @dead: the function is being unbound; nothing may register again
 * @plugins: attached plugins, &struct mdev_pt_attach; changed under both
 *	@parent_lock and mdev_pt_lock, read under either
 * @rereg_work: registers the parent the first time if autoload_plugins
 *	was on at bind; attaches late plugins and registers the parent again
 * @autoload: the plugin requests for the function's IDs (autoload.c), NULL
 *	if autoload_plugins was off at bind
 * @autoload_node: entry in the waiters of @autoload while @autoload_state
 *	is MDEV_PT_AUTOLOAD_REQUESTED
 * @autoload_need: number of the request of @autoload the function waits for
 * @autoload_state: where the autoload stands, shown in sysfs
 * @lease_lock: protects the lease fields below
 * @instance: the instance holding the lease, NULL when idle.  Written
 *	under @lease_lock; never changes while the vfio device is open
 *	(removal waits for the close), so the device's ops read it without
 *	the lock, through mdev_pt_open_instance()
 * @removing: @instance is being removed; no new open is allowed
 * @open: user space has the vfio device open through @instance
 * @reregistering: the parent is registering again; creates are refused
 * @rereg_pending: register again once the function is idle
 * @closed: completed when user space closes the vfio device
 * @controlling_gone: the function is a VF whose PF lost its driver or is
 *	disabling SR-IOV; plugins that depend on the PF were told, and the
 *	instances of their types are refused every device call.  Set under
 *	@parent_lock and @lease_lock, stays set for the whole binding.
 * @gate_srcu: the plugin gate of the instance holding the lease: held for
 *	reading (mdev_pt_gate_enter()) across every path that can reach the
 *	instance's plugin, the device's ops and its migration data files
 *	among them; mdev_pt_gate_close() waits for them
 * @gate_closed: the gate is closed: the instance's controlling function is
 *	gone (for a plugin that depends on it) or the instance is being
 *	removed; every gated path fails with -ENOTCONN.  Written under
 *	@lease_lock, read under @gate_srcu; reopened for the next instance
 * @mig: migration state, used while a migratable type holds the lease
 * @health: health of the instance holding the lease, and the function's
 *	PCI errors
 * @debugfs: the function's debugfs directory, written in PCI probe and
 *	remove only
 *
 * An mdev instance is a lease on @core_device: while no instance exists
 * the vfio device can neither be matched nor opened.
 */
struct mdev_pt_function {
	struct vfio_pci_core_device core_device;
	struct iommu_group *iommu_group;
	struct list_head node;

	struct mutex parent_lock;	/* serializes (re-)registration */
	struct mdev_pt_parent *parent;	/* protected by parent_lock */
	bool dead;			/* protected by parent_lock */
	struct list_head plugins;
	struct delayed_work rereg_work;
	struct mdev_pt_autoload *autoload;
	/* protected by mdev_pt_autoload_lock (autoload.c): */
	struct list_head autoload_node;
	unsigned long autoload_need;
	enum mdev_pt_autoload_state autoload_state;

	struct mutex lease_lock;	/* protects the lease fields */
	struct mdev_pt_instance *instance;	/* protected by lease_lock */
	bool removing;			/* protected by lease_lock */
	bool open;			/* protected by lease_lock */
	bool reregistering;		/* protected by lease_lock */
	bool rereg_pending;		/* protected by lease_lock */
	struct completion closed;
	bool controlling_gone;		/* protected by lease_lock */
	struct srcu_struct gate_srcu;
	bool gate_closed;		/* written under lease_lock */
	struct mdev_pt_mig mig;
	struct mdev_pt_health health;
	struct dentry *debugfs;
};

static inline struct mdev_pt_function *
mdev_pt_from_vdev(struct vfio_device *core_vdev)
{
	return container_of(core_vdev, struct mdev_pt_function,
			    core_device.vdev);
}

static inline struct mdev_pt_mtype *mdev_pt_mtype(struct mdev_type *mtype)
{
	return container_of(mtype, struct mdev_pt_mtype, mtype);
}

static inline struct pci_dev *mdev_pt_pdev(struct mdev_pt_function *fn)
{
	return fn->core_device.pdev;
}

/**
 * mdev_pt_open_instance() - the instance of an open vfio device
 * @fn: the function, its vfio device open (from open_device to
 *	close_device, vfio core's open count is not 0)
 *
 * Return: @fn->instance, read without the lease lock: see its rule.
 */
static inline struct mdev_pt_instance *
mdev_pt_open_instance(struct mdev_pt_function *fn)
{
	if (IS_ENABLED(CONFIG_PROVE_LOCKING))
		WARN_ON_ONCE(!READ_ONCE(fn->core_device.vdev.open_count));
	return fn->instance;
}

/* The type behaviour of the instance holding the lease, if any. */
static inline const struct mdev_pt_type *
mdev_pt_inst_type(struct mdev_pt_instance *inst)
{
	return inst ? inst->mt->type : NULL;
}

/* The plugin of an instance of a plugin's type (not the generic type). */
static inline const struct mdev_pt_plugin *
mdev_pt_inst_plugin(struct mdev_pt_instance *inst)
{
	return inst->mt->attach->plugin;
}

/* The instance's type directory name, "mdev_pt-<sysfs_name>". */
static inline const char *mdev_pt_inst_type_name(struct mdev_pt_instance *inst)
{
	return kobject_name(&inst->mdev->type->kobj);
}

/*
 * Whether the instance's type belongs to a plugin that depends on the
 * controlling function (has &mdev_pt_plugin.controlling_gone).
 */
static inline bool mdev_pt_inst_depends(struct mdev_pt_instance *inst)
{
	return inst && inst->mt->attach &&
	       inst->mt->attach->plugin->controlling_gone;
}

/*
 * Such an instance after the controlling function went away: its device
 * calls fail with -ENOTCONN.  Called with the lease lock held.
 */
static inline bool mdev_pt_inst_detached(struct mdev_pt_instance *inst)
{
	lockdep_assert_held(&inst->fn->lease_lock);

	return mdev_pt_inst_depends(inst) && inst->fn->controlling_gone;
}

extern const struct vfio_device_ops mdev_pt_vfio_ops;
extern const struct attribute_group *mdev_pt_driver_groups[];
extern const struct attribute_group *mdev_pt_dev_groups[];
extern struct mdev_driver mdev_pt_mdev_driver;

/* vfio.c */
bool mdev_pt_gate_enter(struct mdev_pt_function *fn, int *idx);
void mdev_pt_gate_exit(struct mdev_pt_function *fn, int idx);
void mdev_pt_gate_close(struct mdev_pt_function *fn);
void mdev_pt_wait_for_vdevs(void);

/* Where the core calls into the plugin: the caller is inside the gate. */
static inline void mdev_pt_gate_assert_held(struct mdev_pt_function *fn)
{
	RCU_LOCKDEP_WARN(!srcu_read_lock_held(&fn->gate_srcu),
			 "mdev_pt: plugin called outside its gate");
}

/* debugfs.c */
void mdev_pt_debugfs_init(void);
void mdev_pt_debugfs_exit(void);
void mdev_pt_debugfs_add_function(struct mdev_pt_function *fn);
void mdev_pt_debugfs_del_function(struct mdev_pt_function *fn);
void mdev_pt_debugfs_add_instance(struct mdev_pt_instance *inst);
void mdev_pt_debugfs_del_instance(struct mdev_pt_instance *inst);

/* health.c */
void mdev_pt_health_init(struct mdev_pt_function *fn);
void mdev_pt_health_destroy(struct mdev_pt_function *fn);
void mdev_pt_health_claim(struct mdev_pt_function *fn);
int mdev_pt_health_add(struct mdev_pt_instance *inst);
void mdev_pt_health_del(struct mdev_pt_instance *inst);
void mdev_pt_health_announce(struct mdev_pt_instance *inst);
void mdev_pt_health_withdraw(struct mdev_pt_instance *inst);
void mdev_pt_health_set(struct mdev_pt_function *fn,
			enum mdev_pt_health_state cond);
void mdev_pt_health_clear(struct mdev_pt_function *fn,
			  enum mdev_pt_health_state cond);
enum mdev_pt_health_state mdev_pt_health_get(struct mdev_pt_function *fn);
void mdev_pt_health_fn_errors(struct mdev_pt_function *fn,
			      u64 errors[MDEV_PT_PCI_ERR_NR]);
const char *mdev_pt_pci_error_name(enum mdev_pt_pci_error kind);
pci_ers_result_t mdev_pt_pci_error_detected(struct pci_dev *pdev,
					    pci_channel_state_t state);

/* cdev.c */
int mdev_pt_cdev_named(struct mdev_pt_function *fn);
void mdev_pt_cdev_forget(struct mdev_pt_function *fn);
int mdev_pt_cdev_open_check(struct mdev_pt_instance *inst);
void mdev_pt_cdev_link(struct mdev_pt_instance *inst);
void mdev_pt_cdev_unlink(struct mdev_pt_instance *inst);

/* mdev.c */
int mdev_pt_register_parent(struct mdev_pt_function *fn);
void mdev_pt_unregister_parent(struct mdev_pt_function *fn);
void mdev_pt_wait_for_types(void);

/* autoload.c */
int mdev_pt_autoload_prepare(struct mdev_pt_function *fn);
void mdev_pt_autoload_start(struct mdev_pt_function *fn);
void mdev_pt_autoload_stop(struct mdev_pt_function *fn);
enum mdev_pt_autoload_state mdev_pt_autoload_state(struct mdev_pt_function *fn);
void mdev_pt_autoload_done(struct mdev_pt_function *fn);
void mdev_pt_autoload_exit(void);

/* plugin.c */
int mdev_pt_function_add(struct mdev_pt_function *fn);
void mdev_pt_function_del(struct mdev_pt_function *fn);
void mdev_pt_reregister(struct mdev_pt_function *fn);
void mdev_pt_reregister_work(struct work_struct *work);
void mdev_pt_controlling_gone(struct mdev_pt_function *fn, const char *why);
void mdev_pt_pf_unbound(struct pci_dev *pf);

/* sriov.c */
int mdev_pt_sriov_configure(struct pci_dev *pdev, int nr_virtfn);
bool mdev_pt_vf_going(struct pci_dev *pdev);
int mdev_pt_sriov_init(void);
void mdev_pt_sriov_exit(void);

/* region.c */
int mdev_pt_regions_open(struct mdev_pt_instance *inst);
void mdev_pt_regions_close(struct mdev_pt_instance *inst);
ssize_t mdev_pt_rw(struct mdev_pt_function *fn, char __user *buf,
		   size_t count, loff_t *ppos, bool iswrite);
int mdev_pt_mmap(struct mdev_pt_function *fn, struct vm_area_struct *vma);
long mdev_pt_ioctl_region_info(struct mdev_pt_function *fn,
			       void __user *arg);
long mdev_pt_ioctl_ioeventfd(struct mdev_pt_function *fn, void __user *arg);
bool mdev_pt_type_traps_bar(const struct mdev_pt_type *type, unsigned int bar);
int mdev_pt_add_sparse_mmap_cap(struct vfio_info_cap *caps,
				const struct vfio_region_sparse_mmap_area *areas,
				u32 nr_areas);

/* irq.c */
int mdev_pt_irqs_init(struct mdev_pt_instance *inst);
void mdev_pt_irqs_release(struct mdev_pt_instance *inst);
void mdev_pt_irqs_free(struct mdev_pt_instance *inst);
long mdev_pt_ioctl_get_info(struct mdev_pt_function *fn, void __user *arg);
long mdev_pt_ioctl_irq_info(struct mdev_pt_function *fn, void __user *arg);
long mdev_pt_ioctl_set_irqs(struct mdev_pt_function *fn, void __user *arg);

/* migration.c */
void mdev_pt_mig_init(struct mdev_pt_function *fn);
void mdev_pt_mig_destroy(struct mdev_pt_function *fn);
void mdev_pt_mig_attach(struct mdev_pt_instance *inst);
void mdev_pt_mig_detach(struct mdev_pt_instance *inst);
void mdev_pt_mig_close(struct mdev_pt_function *fn);
void mdev_pt_mig_reset_done(struct mdev_pt_function *fn);
void mdev_pt_mig_reset_sync(struct mdev_pt_function *fn);
void mdev_pt_mig_gate_closed(struct mdev_pt_function *fn);
int mdev_pt_mig_data_size_feature(struct vfio_device *vdev, u32 flags,
				  void __user *arg, size_t argsz);
void mdev_pt_mig_read_state(struct mdev_pt_function *fn,
			    enum vfio_device_mig_state *state,
			    struct mdev_pt_mig_stats *stats);
extern const struct attribute *mdev_pt_mig_type_attr;
extern const struct attribute *mdev_pt_mig_dev_attr;

/* dirty.c */
void mdev_pt_dirty_attach(struct mdev_pt_instance *inst);
void mdev_pt_dirty_detach(struct mdev_pt_instance *inst);
void mdev_pt_dirty_stop_locked(struct mdev_pt_function *fn, bool gated);
bool mdev_pt_dirty_supported(void);
void mdev_pt_dirty_seq_show(struct mdev_pt_function *fn, struct seq_file *s);

/* migration_v1.c */
int mdev_pt_mig_v1_open(struct mdev_pt_instance *inst);
void mdev_pt_mig_v1_close(struct mdev_pt_function *fn);

#endif /* MDEV_PT_PRIV_H */
