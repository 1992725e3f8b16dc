// SPDX-License-Identifier: GPL-2.0-only
/*
 * mdev-pt: vfio_device_ops of the per-function vfio_pci_core device.
 *
 * Everything vfio-pci offers is served by vfio_pci_core; mdev-pt gates
 * matching and opening on the instance lease and adds the instance type's
 * regions, custom IRQs and trapped ranges.  While the device is open the
 * instance cannot go away (removal waits for the close), so the ops below
 * read it without taking the lease lock (mdev_pt_open_instance()).
 */

#include <linux/iommu.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/wait_bit.h>

#include "compat.h"
#include "mdev_pt_priv.h"
#include "mdev_pt_trace.h"

/*
 * vfio devices not released yet.  The last reference to one may be dropped
 * after the function was unbound (a data file holds one; a kernel with
 * CONFIG_DEBUG_KOBJECT_RELEASE delays every release), and its release runs
 * this module's code: module exit waits for 0.
 */
static atomic_t mdev_pt_vdevs = ATOMIC_INIT(0);

/**
 * mdev_pt_wait_for_vdevs() - wait until every vfio device was released
 *
 * Called from module exit once no function is bound anymore.
 */
void mdev_pt_wait_for_vdevs(void)
{
	wait_var_event(&mdev_pt_vdevs, !atomic_read(&mdev_pt_vdevs));
}

static int mdev_pt_init_dev(struct vfio_device *core_vdev)
{
	struct mdev_pt_function *fn = mdev_pt_from_vdev(core_vdev);
	int ret;

	mutex_init(&fn->lease_lock);
	init_completion(&fn->closed);
	ret = init_srcu_struct(&fn->gate_srcu);
	if (ret)
		return ret;
	mdev_pt_mig_init(fn);
	mdev_pt_health_init(fn);

	ret = vfio_pci_core_init_dev(core_vdev);
	if (ret)
		goto out_cleanup_gate;
	atomic_inc(&mdev_pt_vdevs);
	return 0;

out_cleanup_gate:
	mdev_pt_health_destroy(fn);
	mdev_pt_mig_destroy(fn);
	cleanup_srcu_struct(&fn->gate_srcu);
	return ret;
}

static void mdev_pt_release_dev(struct vfio_device *core_vdev)
{
	struct mdev_pt_function *fn = mdev_pt_from_vdev(core_vdev);

	mdev_pt_cdev_forget(fn);
	iommu_group_put(fn->iommu_group);
	mdev_pt_health_destroy(fn);
	mdev_pt_mig_destroy(fn);
	cleanup_srcu_struct(&fn->gate_srcu);
	mutex_destroy(&fn->lease_lock);
	vfio_pci_core_release_dev(core_vdev);

	/*
	 * Module exit may free this code once the count is 0; free_module()
	 * waits for an RCU grace period first, so only the return is left to
	 * race with it, as after any module_put() a module's own code does.
	 */
	rcu_read_lock();
	if (atomic_dec_and_test(&mdev_pt_vdevs))
		wake_up_var(&mdev_pt_vdevs);
	rcu_read_unlock();
}

static bool mdev_pt_lease_valid(struct mdev_pt_function *fn)
{
	lockdep_assert_held(&fn->lease_lock);

	return fn->instance && !fn->removing;
}

static int mdev_pt_open_device(struct vfio_device *core_vdev)
{
	struct mdev_pt_function *fn = mdev_pt_from_vdev(core_vdev);
	struct vfio_pci_core_device *vdev = &fn->core_device;
	struct mdev_pt_instance *inst = NULL;
	const struct mdev_pt_type *type;
	bool was_opened;
	int ret;

	mutex_lock(&fn->lease_lock);
	if (!mdev_pt_lease_valid(fn)) {
		pci_warn(vdev->pdev, "open refused: no mdev instance holds this function\n");
		ret = -ENODEV;
		goto out_unlock;
	}
	inst = fn->instance;
	type = mdev_pt_inst_type(inst);
	/* The gate is closed under the lease lock: this open is inside it. */
	if (fn->gate_closed) {
		pci_warn(vdev->pdev, "open refused: the controlling function is gone\n");
		ret = -ENOTCONN;
		goto out_unlock;
	}
	/* The VFIO cdev's bind has no VF token: refused where one is needed. */
	ret = mdev_pt_cdev_open_check(inst);
	if (ret)
		goto out_unlock;

	ret = vfio_pci_core_enable(vdev);
	if (ret)
		goto out_unlock;

	ret = mdev_pt_regions_open(inst);
	if (ret)
		goto out_disable;

	/* From here on the instance's configuration is fixed. */
	was_opened = inst->opened;
	WRITE_ONCE(inst->opened, true);
	if (type && type->ops && type->ops->open) {
		ret = type->ops->open(inst);
		trace_mdev_pt_plugin_call(inst, MDEV_PT_OP_OPEN, ret);
		if (ret)
			goto out_close_regions;
	}

	vfio_pci_core_finish_enable(vdev);
	fn->open = true;
	reinit_completion(&fn->closed);
	/* vfio_pci_core_enable() reset the function, if it can. */
	if (vdev->reset_works)
		mdev_pt_health_clear(fn, MDEV_PT_HEALTH_DEVICE_ERROR);
	mutex_unlock(&fn->lease_lock);
	trace_mdev_pt_open(inst, 0);
	return 0;

out_close_regions:
	WRITE_ONCE(inst->opened, was_opened);
	mdev_pt_regions_close(inst);
out_disable:
	/* Also unregisters the regions. */
	vfio_pci_core_disable(vdev);
out_unlock:
	mutex_unlock(&fn->lease_lock);
	if (inst)
		trace_mdev_pt_open(inst, ret);
	return ret;
}

static void mdev_pt_close_device(struct vfio_device *core_vdev)
{
	struct mdev_pt_function *fn = mdev_pt_from_vdev(core_vdev);
	struct mdev_pt_instance *inst = mdev_pt_open_instance(fn);
	const struct mdev_pt_type *type = mdev_pt_inst_type(inst);

	/* Data files still open die here; the next open starts RUNNING. */
	mdev_pt_mig_close(fn);
	if (type && type->ops && type->ops->close) {
		type->ops->close(inst);
		trace_mdev_pt_plugin_call(inst, MDEV_PT_OP_CLOSE, 0);
	}
	mdev_pt_irqs_release(inst);
	mdev_pt_regions_close(inst);
	vfio_pci_core_close_device(core_vdev);
	trace_mdev_pt_close(inst);

	mutex_lock(&fn->lease_lock);
	fn->open = false;
	complete_all(&fn->closed);
	mutex_unlock(&fn->lease_lock);
}

/*
 * The gate is an SRCU read-side section, but it is entered conditionally
 * and left in another function, which sparse's context tracking cannot
 * follow: these two functions are context-neutral for sparse (as rwsem
 * users are), and lockdep tracks the SRCU section at run time.
 */

/**
 * mdev_pt_gate_enter() - enter the plugin gate of the instance holding the lease
 * @fn: the function
 * @idx: where to keep the SRCU index for mdev_pt_gate_exit()
 *
 * Every path that can reach the plugin of the instance holding the lease
 * goes through the gate: the vfio device's ops,
 * the migration features, the migration data files, the deferred reset and
 * the close.  Entering never blocks, so it may nest and may be taken under
 * any lock, mm->mmap_lock and a data file's lock among them.
 *
 * Return: true inside the gate, false when it is closed (then nothing is
 * held and the caller fails with -ENOTCONN).
 */
bool mdev_pt_gate_enter(struct mdev_pt_function *fn, int *idx)
{
	*idx = srcu_read_lock(&fn->gate_srcu);
	if (READ_ONCE(fn->gate_closed)) {
		srcu_read_unlock(&fn->gate_srcu, *idx);
		return false;
	}
	__release(&fn->gate_srcu);	/* for sparse, see above */
	return true;
}

/**
 * mdev_pt_gate_exit() - leave the plugin gate
 * @fn: the function
 * @idx: what mdev_pt_gate_enter() gave
 */
void mdev_pt_gate_exit(struct mdev_pt_function *fn, int idx)
{
	__acquire(&fn->gate_srcu);	/* for sparse, see above */
	srcu_read_unlock(&fn->gate_srcu, idx);
}

/**
 * mdev_pt_gate_close() - close the plugin gate and wait for the paths in it
 * @fn: the function
 *
 * When the controlling function of an instance whose plugin depends on it
 * goes away, and when an instance is removed (once its user closed it).
 * When this returns, no path is in the plugin for the instance and none
 * will enter it again: every one fails with -ENOTCONN, migration data files
 * included.  The gate opens again for the next instance to take the lease.
 * Called without the lease lock, the state mutex or a data file's lock,
 * which paths in the gate may wait for.
 *
 * Closed because the controlling function went away, the gate makes the
 * instance's health controlling-function-lost; an instance being removed
 * no longer shows its health.
 */
void mdev_pt_gate_close(struct mdev_pt_function *fn)
{
	bool gone;

	mutex_lock(&fn->lease_lock);
	WRITE_ONCE(fn->gate_closed, true);
	gone = fn->controlling_gone;
	mutex_unlock(&fn->lease_lock);

	synchronize_srcu(&fn->gate_srcu);
	mdev_pt_mig_gate_closed(fn);
	if (gone)
		mdev_pt_health_set(fn, MDEV_PT_HEALTH_CONTROLLING_GONE);
}

/*
 * The PCI core calls reset_done after a reset through pci_reset_function()
 * and friends; vfio_pci_core's reset paths that cannot reach the function
 * alone (a bus or slot reset of a sibling) are covered the same way: every
 * successful VFIO_DEVICE_RESET puts the migration state back to RUNNING.
 */
static long mdev_pt_ioctl_reset(struct mdev_pt_function *fn, unsigned long arg)
{
	long ret;

	ret = vfio_pci_core_ioctl(&fn->core_device.vdev, VFIO_DEVICE_RESET, arg);
	if (!ret) {
		mdev_pt_mig_reset_sync(fn);
		mdev_pt_health_clear(fn, MDEV_PT_HEALTH_DEVICE_ERROR);
	}
	return ret;
}

static long mdev_pt_do_ioctl(struct mdev_pt_function *fn, unsigned int cmd,
			     unsigned long arg)
{
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case VFIO_DEVICE_GET_INFO:
		return mdev_pt_ioctl_get_info(fn, uarg);
	case VFIO_DEVICE_GET_REGION_INFO:
		return mdev_pt_ioctl_region_info(fn, uarg);
	case VFIO_DEVICE_GET_IRQ_INFO:
		return mdev_pt_ioctl_irq_info(fn, uarg);
	case VFIO_DEVICE_SET_IRQS:
		return mdev_pt_ioctl_set_irqs(fn, uarg);
	case VFIO_DEVICE_IOEVENTFD:
		return mdev_pt_ioctl_ioeventfd(fn, uarg);
	case VFIO_DEVICE_RESET:
		return mdev_pt_ioctl_reset(fn, arg);
	default:
		return vfio_pci_core_ioctl(&fn->core_device.vdev, cmd, arg);
	}
}

static long mdev_pt_ioctl(struct vfio_device *core_vdev, unsigned int cmd,
			  unsigned long arg)
{
	struct mdev_pt_function *fn = mdev_pt_from_vdev(core_vdev);
	long ret;
	int idx;

	if (!mdev_pt_gate_enter(fn, &idx))
		return -ENOTCONN;
	ret = mdev_pt_do_ioctl(fn, cmd, arg);
	mdev_pt_gate_exit(fn, idx);
	return ret;
}

/*
 * The features vfio core does not serve itself (low power, VF token) go
 * to vfio_pci_core; the migration features reach the core's mig_ops
 * straight from vfio core, and those enter the gate themselves, but
 * MIG_DATA_SIZE before 6.3, which vfio core does not know yet.
 */
static int mdev_pt_device_feature(struct vfio_device *core_vdev, u32 flags,
				  void __user *arg, size_t argsz)
{
	struct mdev_pt_function *fn = mdev_pt_from_vdev(core_vdev);
	int ret, idx;

	if (!mdev_pt_gate_enter(fn, &idx))
		return -ENOTCONN;
#ifndef MDEV_PT_HAVE_MIG_DATA_SIZE
	if ((flags & VFIO_DEVICE_FEATURE_MASK) ==
	    VFIO_DEVICE_FEATURE_MIG_DATA_SIZE)
		ret = mdev_pt_mig_data_size_feature(core_vdev, flags, arg,
						    argsz);
	else
#endif
		ret = vfio_pci_core_ioctl_feature(core_vdev, flags, arg,
						  argsz);
	mdev_pt_gate_exit(fn, idx);
	return ret;
}

static ssize_t mdev_pt_read(struct vfio_device *core_vdev, char __user *buf,
			    size_t count, loff_t *ppos)
{
	struct mdev_pt_function *fn = mdev_pt_from_vdev(core_vdev);
	ssize_t ret;
	int idx;

	if (!mdev_pt_gate_enter(fn, &idx))
		return -ENOTCONN;
	ret = mdev_pt_rw(fn, buf, count, ppos, false);
	mdev_pt_gate_exit(fn, idx);
	return ret;
}

static ssize_t mdev_pt_write(struct vfio_device *core_vdev,
			     const char __user *buf, size_t count,
			     loff_t *ppos)
{
	struct mdev_pt_function *fn = mdev_pt_from_vdev(core_vdev);
	ssize_t ret;
	int idx;

	if (!mdev_pt_gate_enter(fn, &idx))
		return -ENOTCONN;
	ret = mdev_pt_rw(fn, (char __user *)buf, count, ppos, true);
	mdev_pt_gate_exit(fn, idx);
	return ret;
}

static int mdev_pt_vfio_mmap(struct vfio_device *core_vdev,
			     struct vm_area_struct *vma)
{
	struct mdev_pt_function *fn = mdev_pt_from_vdev(core_vdev);
	int ret, idx;

	if (!mdev_pt_gate_enter(fn, &idx))
		return -ENOTCONN;
	ret = mdev_pt_mmap(fn, vma);
	mdev_pt_gate_exit(fn, idx);
	return ret;
}

/* Whether @buf starts with the word @word (then a space or the end). */
static bool mdev_pt_name_is(const char *buf, const char *word)
{
	size_t len = strlen(word);

	return !strncmp(buf, word, len) && (!buf[len] || buf[len] == ' ');
}

/*
 * Tools that open a PCI function by its address (the kernel's own VFIO
 * selftests among them) get ENODEV from vfio core for an mdev-pt function:
 * tell their user which name works.  Called with the lease lock held.
 */
static void mdev_pt_match_bdf(struct mdev_pt_function *fn)
{
	struct pci_dev *pdev = mdev_pt_pdev(fn);

	lockdep_assert_held(&fn->lease_lock);

	if (mdev_pt_lease_valid(fn))
		dev_warn_ratelimited(&pdev->dev, "VFIO_GROUP_GET_DEVICE_FD by the function's address is refused: open the device by its mdev instance's UUID, %s\n",
				     dev_name(&fn->instance->mdev->dev));
	else
		dev_warn_ratelimited(&pdev->dev, "VFIO_GROUP_GET_DEVICE_FD by the function's address is refused: open the device by the UUID of an mdev instance; none exists, create one first\n");
}

/*
 * VFIO_GROUP_GET_DEVICE_FD names the device by its instance UUID (QEMU
 * passes the basename of sysfsdev), optionally followed by vfio-pci's
 * options: "UUID vf_token=<uuid>".  The function's BDF (logged, see
 * mdev_pt_match_bdf()) and every other name are refused, as is any name
 * while no instance holds the lease.  What follows the UUID goes to
 * vfio_pci_core_match() behind the function's PCI name, so the VF token has
 * vfio-pci's rules: a VF whose PF is bound to a vfio_pci_core driver needs
 * the token the PF's user set, and a PF whose VFs are in use needs the
 * current one.  An accepted name leaves the thread a ticket for the open
 * that follows (see cdev.c).
 */
static int mdev_pt_match(struct vfio_device *core_vdev, char *buf)
{
	struct mdev_pt_function *fn = mdev_pt_from_vdev(core_vdev);
	const char *uuid;
	char *name;
	size_t len;
	int ret = 0;

	mutex_lock(&fn->lease_lock);
	if (mdev_pt_name_is(buf, pci_name(mdev_pt_pdev(fn)))) {
		mdev_pt_match_bdf(fn);
		goto out_unlock;
	}
	if (!mdev_pt_lease_valid(fn))
		goto out_unlock;

	uuid = dev_name(&fn->instance->mdev->dev);
	if (!mdev_pt_name_is(buf, uuid))
		goto out_unlock;

	len = strlen(uuid);
	name = kasprintf(GFP_KERNEL, "%s%s", pci_name(mdev_pt_pdev(fn)),
			 buf + len);
	if (!name) {
		ret = -ENOMEM;
		goto out_unlock;
	}
	ret = vfio_pci_core_match(core_vdev, name);
	kfree(name);
	if (ret > 0) {
		int err = mdev_pt_cdev_named(fn);

		if (err)
			ret = err;
	}
out_unlock:
	mutex_unlock(&fn->lease_lock);

	return ret;
}

const struct vfio_device_ops mdev_pt_vfio_ops = {
	.name		= MDEV_PT_DRIVER_NAME,
	.init		= mdev_pt_init_dev,
	.release	= mdev_pt_release_dev,
	.open_device	= mdev_pt_open_device,
	.close_device	= mdev_pt_close_device,
	.ioctl		= mdev_pt_ioctl,
	.device_feature	= mdev_pt_device_feature,
	.read		= mdev_pt_read,
	.write		= mdev_pt_write,
	.mmap		= mdev_pt_vfio_mmap,
	.request	= vfio_pci_core_request,
	.match		= mdev_pt_match,
	MDEV_PT_IOMMUFD_OPS
	MDEV_PT_IOMMUFD_DETACH_OPS
};
