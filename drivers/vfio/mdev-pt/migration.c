// SPDX-License-Identifier: GPL-2.0-only
/*
 * mdev-pt: live migration core, and the v2 uAPI on top of it.
 *
 * A migratable type's plugin supplies device verbs (struct
 * mdev_pt_migration_ops); the core owns everything else.  This file has
 * the state machine (driven by vfio_mig_get_next_state()), reset and close
 * handling, and the locking; the data files are in migration_file.c, the
 * stream of include/uapi/linux/mdev_pt.h in migration_stream.c.  The v1
 * migration region (migration_v1.c) drives the same state machine and the
 * same stream.
 *
 * Locking: every path into the plugin enters the function's plugin gate
 * first (mdev_pt_gate_enter(): the device's ops do, the data files' read,
 * write and ioctl do), then takes fn->mig.state_mutex, which serializes
 * state changes, the data files, the v1 region and every plugin callback:
 * the plugin's migration callbacks run one at a time.  The mutex is taken
 * with mdev_pt_mig_state_lock() and released with
 * mdev_pt_mig_state_unlock(), which both apply a reset of the function
 * that is still pending.  The reset_done handler only notes the reset and
 * queues reset_work: the PCI core and vfio_pci_core call it holding the
 * device's memory_lock, which a plugin's save or load takes
 * (mdev_pt_bar_rw_decoding()) under the state mutex.  A data file's lock
 * is taken after the state mutex.  Once the gate is closed, the files die
 * with -ENOTCONN and a reset or close reaches no plugin callback.  A
 * disabled file never touches the instance again: it may outlive it, and
 * holds a reference on the function's vfio device to reach the gate.
 */

#include <linux/file.h>
#include <linux/fs.h>
#include <linux/vfio.h>

#include "compat.h"
#include "migration.h"
#include "mdev_pt_trace.h"

/*
 * Count the stream bytes the current data file moved since the last time,
 * and return them: the bytes of the state an arc leaves.
 */
static u64 mdev_pt_mig_account(struct mdev_pt_function *fn)
{
	struct mdev_pt_mig_file *migf = fn->mig.saving ?: fn->mig.resuming;
	u64 n;

	lockdep_assert_held(&fn->mig.state_mutex);

	if (!migf)
		return 0;

	mutex_lock(&migf->lock);
	n = migf->total - migf->accounted;
	migf->accounted = migf->total;
	mutex_unlock(&migf->lock);

	if (migf->saving)
		fn->mig.stats.bytes_saved += n;
	else
		fn->mig.stats.bytes_loaded += n;
	return n;
}

/*
 * Drop the files of the current save or resume.  Inside the plugin gate
 * (@gated) the plugin is told and the files die with -ENODEV; after it
 * closed, the plugin hears nothing and the files die with -ENOTCONN.
 */
static void mdev_pt_mig_drop_files(struct mdev_pt_function *fn, bool gated)
{
	struct mdev_pt_instance *inst = gated ? fn->mig.inst : NULL;
	int err = gated ? -ENODEV : -ENOTCONN;
	int ret;

	lockdep_assert_held(&fn->mig.state_mutex);

	/* What moved since the last arc, for the counters. */
	mdev_pt_mig_account(fn);

	if (fn->mig.saving) {
		mdev_pt_mig_file_disable(fn->mig.saving, err);
		fput(fn->mig.saving->filp);
		fn->mig.saving = NULL;
		if (inst && mdev_pt_mig_ops(inst)->save_end) {
			mdev_pt_mig_ops(inst)->save_end(inst);
			trace_mdev_pt_plugin_call(inst, MDEV_PT_OP_SAVE_END, 0);
		}
	}
	if (fn->mig.resuming) {
		mdev_pt_mig_file_disable(fn->mig.resuming, err);
		fput(fn->mig.resuming->filp);
		fn->mig.resuming = NULL;
		if (inst && mdev_pt_mig_ops(inst)->load_end) {
			ret = mdev_pt_mig_ops(inst)->load_end(inst, false);
			trace_mdev_pt_plugin_call(inst, MDEV_PT_OP_LOAD_END, ret);
		}
	}
}

/*
 * Back to RUNNING after a reset of the function or a close.  Also from
 * reset_work and the close, which are not inside the plugin gate: the
 * plugin is called only if the gate is still open.
 */
static void mdev_pt_mig_reset_locked(struct mdev_pt_function *fn)
{
	struct mdev_pt_instance *inst = fn->mig.inst;
	int idx;

	lockdep_assert_held(&fn->mig.state_mutex);

	if (inst && mdev_pt_gate_enter(fn, &idx)) {
		mdev_pt_mig_drop_files(fn, true);
		mdev_pt_mig_v1_reset(fn);
		mdev_pt_dirty_stop_locked(fn, true);
		if (mdev_pt_mig_ops(inst)->reset) {
			mdev_pt_mig_ops(inst)->reset(inst);
			trace_mdev_pt_plugin_call(inst, MDEV_PT_OP_RESET, 0);
		}
		mdev_pt_gate_exit(fn, idx);
	} else {
		mdev_pt_mig_drop_files(fn, false);
		mdev_pt_mig_v1_reset(fn);
		mdev_pt_dirty_stop_locked(fn, false);
	}
	if (inst) {
		trace_mdev_pt_mig_reset(inst, fn->mig.state);
		fn->mig.stats.resets++;
		if (fn->mig.state == VFIO_DEVICE_STATE_ERROR)
			mdev_pt_health_clear(fn, MDEV_PT_HEALTH_MIGRATION_FAILED);
	}
	fn->mig.state = VFIO_DEVICE_STATE_RUNNING;
}

/**
 * mdev_pt_mig_gate_closed() - the plugin gate of the instance closed
 * @fn: the function
 *
 * No path is in the plugin any more: the data files of the current save
 * or resume die with -ENOTCONN and dirty logging stops, without telling
 * the plugin.
 */
void mdev_pt_mig_gate_closed(struct mdev_pt_function *fn)
{
	mdev_pt_mig_state_lock(fn);
	mdev_pt_mig_drop_files(fn, false);
	mdev_pt_mig_v1_reset(fn);
	mdev_pt_dirty_stop_locked(fn, false);
	mdev_pt_mig_state_unlock(fn);
}

/* Apply the resets of the function noted since the last time. */
static void mdev_pt_mig_apply_reset(struct mdev_pt_function *fn)
{
	bool pending;

	lockdep_assert_held(&fn->mig.state_mutex);

	for (;;) {
		spin_lock(&fn->mig.reset_lock);
		pending = fn->mig.deferred_reset;
		fn->mig.deferred_reset = false;
		spin_unlock(&fn->mig.reset_lock);
		if (!pending)
			return;
		mdev_pt_mig_reset_locked(fn);
	}
}

/**
 * mdev_pt_mig_state_lock() - take the state mutex
 * @fn: the function
 *
 * Applies a reset of the function still pending, so the holder sees the
 * state as it is.
 */
void mdev_pt_mig_state_lock(struct mdev_pt_function *fn)
{
	mutex_lock(&fn->mig.state_mutex);
	mdev_pt_mig_apply_reset(fn);
}

/**
 * mdev_pt_mig_state_unlock() - release the state mutex
 * @fn: the function
 *
 * Applies a reset of the function noted while the mutex was held.
 */
void mdev_pt_mig_state_unlock(struct mdev_pt_function *fn)
{
	mdev_pt_mig_apply_reset(fn);
	mutex_unlock(&fn->mig.state_mutex);
}

static void mdev_pt_mig_reset_work(struct work_struct *work)
{
	struct mdev_pt_function *fn = container_of(work, struct mdev_pt_function,
						   mig.reset_work);

	mdev_pt_mig_state_lock(fn);
	mdev_pt_mig_state_unlock(fn);
}

/**
 * mdev_pt_mig_reset_done() - the function was reset
 * @fn: the function
 *
 * From the PCI reset_done handler, which may run under vfio_pci_core's
 * memory_lock: it only notes the reset.  The next holder of the state
 * mutex, or reset_work, puts the state back to RUNNING.
 */
void mdev_pt_mig_reset_done(struct mdev_pt_function *fn)
{
	spin_lock(&fn->mig.reset_lock);
	fn->mig.deferred_reset = true;
	spin_unlock(&fn->mig.reset_lock);
	schedule_work(&fn->mig.reset_work);
}

/**
 * mdev_pt_mig_reset_sync() - the function was reset through the vfio device
 * @fn: the function
 *
 * After VFIO_DEVICE_RESET, outside vfio_pci_core's locks: the state is back
 * to RUNNING and the data files are dead when the ioctl returns.
 */
void mdev_pt_mig_reset_sync(struct mdev_pt_function *fn)
{
	mdev_pt_mig_reset_done(fn);
	mdev_pt_mig_state_lock(fn);
	mdev_pt_mig_state_unlock(fn);
}

static int mdev_pt_mig_verb(struct mdev_pt_instance *inst,
			    int (*verb)(struct mdev_pt_instance *inst),
			    enum mdev_pt_plugin_op op, const char *what)
{
	int ret;

	if (!verb)
		return 0;
	ret = verb(inst);
	trace_mdev_pt_plugin_call(inst, op, ret);
	if (ret)
		dev_err(mdev_pt_instance_dev(inst), "%s failed: %d\n", what,
			ret);
	return ret;
}

/* Start a save, in pre-copy or in stop-copy. */
static struct file *mdev_pt_mig_save_start(struct mdev_pt_function *fn,
					   bool precopy)
{
	struct mdev_pt_instance *inst = fn->mig.inst;
	const struct mdev_pt_migration_ops *ops = mdev_pt_mig_ops(inst);
	struct mdev_pt_mig_file *migf;
	int ret;

	migf = mdev_pt_mig_file_new(inst, true);
	if (IS_ERR(migf))
		return ERR_CAST(migf);
	migf->precopy = precopy;

	if (ops->save_begin) {
		ret = ops->save_begin(inst, precopy);
		trace_mdev_pt_plugin_call(inst, MDEV_PT_OP_SAVE_BEGIN, ret);
		if (ret) {
			dev_err(mdev_pt_instance_dev(inst), "starting the save failed: %d\n",
				ret);
			fput(migf->filp);
			return ERR_PTR(ret);
		}
	}
	get_file(migf->filp);
	fn->mig.saving = migf;
	return migf->filp;
}

static struct file *mdev_pt_mig_resume_start(struct mdev_pt_function *fn)
{
	struct mdev_pt_instance *inst = fn->mig.inst;
	const struct mdev_pt_migration_ops *ops = mdev_pt_mig_ops(inst);
	struct mdev_pt_mig_file *migf;
	int ret;

	migf = mdev_pt_mig_file_new(inst, false);
	if (IS_ERR(migf))
		return ERR_CAST(migf);

	if (ops->load_begin) {
		ret = ops->load_begin(inst);
		trace_mdev_pt_plugin_call(inst, MDEV_PT_OP_LOAD_BEGIN, ret);
		if (ret) {
			dev_err(mdev_pt_instance_dev(inst), "starting the resume failed: %d\n",
				ret);
			fput(migf->filp);
			return ERR_PTR(ret);
		}
	}
	get_file(migf->filp);
	fn->mig.resuming = migf;
	return migf->filp;
}

/* RESUMING -> STOP: the stream must be complete and load. */
static int mdev_pt_mig_resume_finish(struct mdev_pt_function *fn)
{
	struct mdev_pt_mig_file *migf = fn->mig.resuming;
	struct mdev_pt_instance *inst = fn->mig.inst;
	const struct mdev_pt_migration_ops *ops = mdev_pt_mig_ops(inst);
	int ret = 0;

	mutex_lock(&migf->lock);
	if (migf->error) {
		dev_err(mdev_pt_instance_dev(inst), "cannot leave RESUMING: the stream was refused\n");
		ret = -EINVAL;
	} else if (migf->step != MDEV_PT_LOAD_DONE) {
		dev_err(mdev_pt_instance_dev(inst), "cannot leave RESUMING: the stream ended after %llu bytes, before its end record\n",
			migf->total);
		ret = -EINVAL;
	}
	mutex_unlock(&migf->lock);

	mdev_pt_mig_file_disable(migf, -ENODEV);
	fput(migf->filp);
	fn->mig.resuming = NULL;

	if (ops->load_end) {
		int err = ops->load_end(inst, !ret);

		trace_mdev_pt_plugin_call(inst, MDEV_PT_OP_LOAD_END, err);
		if (!ret && err) {
			dev_err(mdev_pt_instance_dev(inst), "the device refused the loaded state: %d\n",
				err);
			ret = -EINVAL;
		}
	}
	return ret;
}

/* PRE_COPY -> STOP_COPY: the save file hands out the rest, then ends. */
static int mdev_pt_mig_end_precopy(struct mdev_pt_function *fn)
{
	struct mdev_pt_mig_file *migf = fn->mig.saving;
	int ret;

	ret = mdev_pt_mig_verb(fn->mig.inst, mdev_pt_mig_ops(fn->mig.inst)->stop,
			       MDEV_PT_OP_STOP, "stop");
	if (!ret) {
		mutex_lock(&migf->lock);
		migf->precopy = false;
		mutex_unlock(&migf->lock);
	}
	return ret;
}

/* One arc of the state machine, as vfio_mig_get_next_state() gives it. */
static struct file *mdev_pt_mig_step(struct mdev_pt_function *fn,
				     enum vfio_device_mig_state next)
{
	enum vfio_device_mig_state cur = fn->mig.state;
	struct mdev_pt_instance *inst = fn->mig.inst;
	const struct mdev_pt_migration_ops *ops = mdev_pt_mig_ops(inst);
	int ret = -EINVAL;	/* vfio_mig_get_next_state() gives no other */

	mdev_pt_gate_assert_held(fn);

#define ARC(from, to) \
	(cur == VFIO_DEVICE_STATE_##from && next == VFIO_DEVICE_STATE_##to)

	/* The P2P states exist only for types with quiesce. */
	if (ARC(RUNNING, RUNNING_P2P))
		ret = mdev_pt_mig_verb(inst, ops->quiesce,
				       MDEV_PT_OP_QUIESCE, "quiesce");
	if (ARC(RUNNING_P2P, RUNNING))
		ret = mdev_pt_mig_verb(inst, ops->unquiesce,
				       MDEV_PT_OP_UNQUIESCE, "unquiesce");
	if (ARC(RUNNING_P2P, STOP) || ARC(RUNNING, STOP))
		ret = mdev_pt_mig_verb(inst, ops->stop,
				       MDEV_PT_OP_STOP, "stop");
	if (ARC(STOP, RUNNING_P2P) || ARC(STOP, RUNNING))
		ret = mdev_pt_mig_verb(inst, ops->resume,
				       MDEV_PT_OP_RESUME, "resume");
	if (ARC(STOP, STOP_COPY))
		return mdev_pt_mig_save_start(fn, false);
	if (ARC(STOP_COPY, STOP)) {
		mdev_pt_mig_drop_files(fn, true);
		ret = 0;
	}
	if (ARC(STOP, RESUMING))
		return mdev_pt_mig_resume_start(fn);
	if (ARC(RESUMING, STOP))
		ret = mdev_pt_mig_resume_finish(fn);
	/* The pre-copy arcs (6.3 and later: see compat.h). */
	if (ARC(RUNNING, PRE_COPY) || ARC(RUNNING_P2P, PRE_COPY_P2P))
		return mdev_pt_mig_save_start(fn, true);
	if (ARC(PRE_COPY, RUNNING) || ARC(PRE_COPY_P2P, RUNNING_P2P)) {
		mdev_pt_mig_drop_files(fn, true);
		ret = 0;
	}
	if (ARC(PRE_COPY, PRE_COPY_P2P))
		ret = mdev_pt_mig_verb(inst, ops->quiesce,
				       MDEV_PT_OP_QUIESCE, "quiesce");
	if (ARC(PRE_COPY_P2P, PRE_COPY))
		ret = mdev_pt_mig_verb(inst, ops->unquiesce,
				       MDEV_PT_OP_UNQUIESCE, "unquiesce");
	if (ARC(PRE_COPY_P2P, STOP_COPY) || ARC(PRE_COPY, STOP_COPY))
		ret = mdev_pt_mig_end_precopy(fn);
#undef ARC

	return ret ? ERR_PTR(ret) : NULL;
}

/**
 * mdev_pt_mig_set_state_locked() - move the device to a new state
 * @fn: the function, its state mutex held, a migratable instance open
 * @new: the state user space asked for
 *
 * Walks the arcs vfio_mig_get_next_state() gives.  A failing arc leaves
 * the device in the ERROR state, from which only a reset leaves.
 *
 * Return: the data file the last arc opened (with a reference for the
 * caller), NULL if none, or an ERR_PTR().
 */
struct file *mdev_pt_mig_set_state_locked(struct mdev_pt_function *fn,
					  enum vfio_device_mig_state new)
{
	struct vfio_device *vdev = &fn->core_device.vdev;
	enum vfio_device_mig_state next;
	struct file *res = NULL;
	u64 bytes, start;
	int ret;

	lockdep_assert_held(&fn->mig.state_mutex);

	if (fn->mig.state == VFIO_DEVICE_STATE_ERROR) {
		dev_err(mdev_pt_instance_dev(fn->mig.inst), "the device is in the ERROR state: reset it first\n");
		return ERR_PTR(-EINVAL);
	}

	while (fn->mig.state != new) {
		ret = vfio_mig_get_next_state(vdev, fn->mig.state, new, &next);
		if (ret)
			return ERR_PTR(ret);

		bytes = mdev_pt_mig_account(fn);
		start = ktime_get_ns();
		res = mdev_pt_mig_step(fn, next);
		trace_mdev_pt_mig_arc(fn->mig.inst, fn->mig.state, next,
				      PTR_ERR_OR_ZERO(res), bytes,
				      ktime_get_ns() - start);
		if (IS_ERR(res)) {
			mdev_pt_mig_fail_locked(fn);
			return res;
		}
		fn->mig.stats.arcs++;
		fn->mig.state = next;
		if (WARN_ON(res && new != next)) {
			fput(res);
			mdev_pt_mig_fail_locked(fn);
			return ERR_PTR(-EINVAL);
		}
	}
	return res;
}

/**
 * mdev_pt_mig_fail_locked() - put the device in the ERROR state
 * @fn: the function, its state mutex held
 *
 * The current save or resume is over: its files are dead.
 */
void mdev_pt_mig_fail_locked(struct mdev_pt_function *fn)
{
	lockdep_assert_held(&fn->mig.state_mutex);

	fn->mig.state = VFIO_DEVICE_STATE_ERROR;
	fn->mig.stats.errors++;
	mdev_pt_mig_drop_files(fn, true);
	mdev_pt_health_set(fn, MDEV_PT_HEALTH_MIGRATION_FAILED);
}

/*
 * vfio core calls the mig_ops for the migration features itself, not
 * through the device's device_feature op: each enters the plugin gate.
 */
static struct file *
mdev_pt_mig_set_state(struct vfio_device *vdev,
		      enum vfio_device_mig_state new)
{
	struct mdev_pt_function *fn = mdev_pt_from_vdev(vdev);
	struct file *res;
	int idx;

	if (!mdev_pt_gate_enter(fn, &idx))
		return ERR_PTR(-ENOTCONN);
	mdev_pt_mig_state_lock(fn);
	res = mdev_pt_mig_set_state_locked(fn, new);
	mdev_pt_mig_state_unlock(fn);
	mdev_pt_gate_exit(fn, idx);
	return res;
}

static int mdev_pt_mig_get_state(struct vfio_device *vdev,
				 enum vfio_device_mig_state *state)
{
	struct mdev_pt_function *fn = mdev_pt_from_vdev(vdev);
	int ret = -ENOTCONN, idx;

	if (mdev_pt_gate_enter(fn, &idx)) {
		mdev_pt_mig_state_lock(fn);
		*state = fn->mig.state;
		mdev_pt_mig_state_unlock(fn);
		mdev_pt_gate_exit(fn, idx);
		ret = 0;
	}
	return ret;
}

static int
mdev_pt_mig_get_data_size(struct vfio_device *vdev,
			  unsigned long *stop_copy_length)
{
	struct mdev_pt_function *fn = mdev_pt_from_vdev(vdev);
	int ret = -ENOTCONN, idx;

	if (mdev_pt_gate_enter(fn, &idx)) {
		mdev_pt_mig_state_lock(fn);
		*stop_copy_length = mdev_pt_mig_pending(fn);
		mdev_pt_mig_state_unlock(fn);
		mdev_pt_gate_exit(fn, idx);
		ret = 0;
	}
	return ret;
}

#ifndef MDEV_PT_HAVE_MIG_DATA_SIZE
/**
 * mdev_pt_mig_data_size_feature() - VFIO_DEVICE_FEATURE_MIG_DATA_SIZE before 6.3
 * @vdev: the function's vfio device
 * @flags: the feature ioctl's flags
 * @arg: the feature's data
 * @argsz: its size
 *
 * From 6.3 vfio core answers the feature with migration_get_data_size;
 * before, it reaches the driver's device_feature op, which answers it the
 * same way.  QEMU 8.0 and later size the device state with it, and take
 * 100 GiB when it fails: once dirty tracking leaves little RAM to send,
 * that estimate alone would keep the expected downtime above any limit.
 *
 * Return: 0, -ENOTTY for a type without migration, or an errno of the
 * feature ioctl.
 */
int mdev_pt_mig_data_size_feature(struct vfio_device *vdev, u32 flags,
				  void __user *arg, size_t argsz)
{
	struct vfio_device_feature_mig_data_size data = {};
	unsigned long len;
	int ret;

	if (!vdev->mig_ops)
		return -ENOTTY;
	ret = vfio_check_feature(flags, argsz, VFIO_DEVICE_FEATURE_GET,
				 sizeof(data));
	if (ret != 1)
		return ret;
	ret = mdev_pt_mig_get_data_size(vdev, &len);
	if (ret)
		return ret;
	data.stop_copy_length = len;
	return copy_to_user(arg, &data, sizeof(data)) ? -EFAULT : 0;
}
#endif

static const struct vfio_migration_ops mdev_pt_mig_vfio_ops = {
	.migration_set_state	= mdev_pt_mig_set_state,
	.migration_get_state	= mdev_pt_mig_get_state,
	MDEV_PT_MIG_DATA_SIZE_OP
};

/**
 * mdev_pt_mig_attach() - a migratable instance takes the lease
 * @inst: the instance, being created: nobody can open the device yet
 *
 * vfio core reads mig_ops and migration_flags only while the device is
 * open, so they can follow the instance holding the lease: a type
 * without migration answers VFIO_DEVICE_FEATURE_MIGRATION with ENOTTY.
 * VFIO_MIGRATION_P2P is offered only by types that can quiesce: in
 * RUNNING_P2P the device must not start DMA, which user space relies on
 * to stop several devices one after another (QEMU's multi-device
 * migration).
 */
void mdev_pt_mig_attach(struct mdev_pt_instance *inst)
{
	const struct mdev_pt_migration_ops *ops = inst->mt->type->migration;
	struct mdev_pt_function *fn = inst->fn;
	struct vfio_device *vdev = &fn->core_device.vdev;

	vdev->migration_flags = VFIO_MIGRATION_STOP_COPY;
	if (ops->quiesce)
		vdev->migration_flags |= VFIO_MIGRATION_P2P;
	if (ops->flags & MDEV_PT_MIG_PRE_COPY)
		vdev->migration_flags |= MDEV_PT_MIG_FLAG_PRE_COPY;
	vdev->mig_ops = &mdev_pt_mig_vfio_ops;

	mdev_pt_mig_state_lock(fn);
	fn->mig.inst = inst;
	fn->mig.state = VFIO_DEVICE_STATE_RUNNING;
	memset(&fn->mig.stats, 0, sizeof(fn->mig.stats));
	mdev_pt_mig_state_unlock(fn);

	mdev_pt_dirty_attach(inst);
}

/**
 * mdev_pt_mig_read_state() - the state and counters of the migratable instance
 * @fn: the function, a migratable instance holding the lease
 * @state: where to put the state, or NULL
 * @stats: where to put the counters, or NULL
 *
 * For debugfs: takes the state mutex without applying a pending reset,
 * which would call into the plugin, so a reset of the last moments may not
 * show yet.
 */
void mdev_pt_mig_read_state(struct mdev_pt_function *fn,
			    enum vfio_device_mig_state *state,
			    struct mdev_pt_mig_stats *stats)
{
	mutex_lock(&fn->mig.state_mutex);
	if (state)
		*state = fn->mig.state;
	if (stats)
		*stats = fn->mig.stats;
	mutex_unlock(&fn->mig.state_mutex);
}

/**
 * mdev_pt_mig_detach() - the migratable instance releases the lease
 * @inst: the instance, closed
 */
void mdev_pt_mig_detach(struct mdev_pt_instance *inst)
{
	struct mdev_pt_function *fn = inst->fn;
	struct vfio_device *vdev = &fn->core_device.vdev;

	mdev_pt_dirty_detach(inst);

	mdev_pt_mig_state_lock(fn);
	fn->mig.inst = NULL;
	mdev_pt_mig_state_unlock(fn);

	vdev->mig_ops = NULL;
	vdev->migration_flags = 0;
}

/**
 * mdev_pt_mig_close() - the device is closed
 * @fn: the function
 *
 * Data files still open become dead, the v1 region goes away and the
 * state machine is back to RUNNING for the next open.
 */
void mdev_pt_mig_close(struct mdev_pt_function *fn)
{
	mdev_pt_mig_state_lock(fn);
	if (fn->mig.inst)
		mdev_pt_mig_reset_locked(fn);
	mdev_pt_mig_state_unlock(fn);
}

void mdev_pt_mig_init(struct mdev_pt_function *fn)
{
	mutex_init(&fn->mig.state_mutex);
	spin_lock_init(&fn->mig.reset_lock);
	INIT_WORK(&fn->mig.reset_work, mdev_pt_mig_reset_work);
	fn->mig.state = VFIO_DEVICE_STATE_RUNNING;
}

void mdev_pt_mig_destroy(struct mdev_pt_function *fn)
{
	cancel_work_sync(&fn->mig.reset_work);
	mutex_destroy(&fn->mig.state_mutex);
}

/*
 * An attribute of a type directory.  The mdev core's sysfs_ops of the type
 * kobject hand show() the struct mdev_type; they find the callbacks in the
 * core's own struct mdev_type_attribute (private to mdev_sysfs.c, the same
 * in 6.1 and 6.12), whose layout this mirrors.
 *
 * Risk: no header has that struct, so no build-time check is possible, and
 * the mdev core offers no API for extra type attributes.  Should its layout
 * change, reading migration_compatibility of a type would call through the
 * wrong pointer; tests/migration/migration.sh reads it on every supported
 * kernel.  Check mdev_sysfs.c when adding a kernel line.
 */
struct mdev_pt_type_attribute {
	struct attribute attr;
	ssize_t (*show)(struct mdev_type *mtype,
			struct mdev_pt_type_attribute *attr, char *buf);
	ssize_t (*store)(struct mdev_type *mtype,
			 struct mdev_pt_type_attribute *attr, const char *buf,
			 size_t count);
};

/* migration_compatibility of a type directory */
static ssize_t migration_compatibility_type_show(struct mdev_type *mtype,
						 struct mdev_pt_type_attribute *attr,
						 char *buf)
{
	return sysfs_emit(buf, "%s\n",
			  mdev_pt_mtype(mtype)->type->migration_compat);
}

static struct mdev_pt_type_attribute mdev_pt_mig_type_tattr = {
	.attr	= { .name = "migration_compatibility", .mode = 0444 },
	.show	= migration_compatibility_type_show,
};

const struct attribute *mdev_pt_mig_type_attr = &mdev_pt_mig_type_tattr.attr;

/* migration_compatibility of an instance */
static ssize_t migration_compatibility_show(struct device *dev,
					    struct device_attribute *attr,
					    char *buf)
{
	struct mdev_pt_instance *inst = dev_get_drvdata(dev);

	return sysfs_emit(buf, "%s\n", inst->mt->type->migration_compat);
}
static DEVICE_ATTR_RO(migration_compatibility);
const struct attribute *mdev_pt_mig_dev_attr =
	&dev_attr_migration_compatibility.attr;
