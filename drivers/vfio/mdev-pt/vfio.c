// SPDX-License-Identifier: GPL-2.0-only
/*
 * mdev-pt: vfio_device_ops of the per-function vfio_pci_core device.
 *
 * Everything vfio-pci offers is served by vfio_pci_core; mdev-pt gates
 * matching and opening on the instance lease and adds the instance type's
 * regions, custom IRQs and trapped ranges.  While the device is open the
 * instance cannot go away (removal waits for the close), so the ops below
 * use fn->instance without taking the lease lock.
 */

#include <linux/iommu.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "compat.h"
#include "mdev_pt_priv.h"

static int mdev_pt_init_dev(struct vfio_device *core_vdev)
{
	struct mdev_pt_function *fn = mdev_pt_from_vdev(core_vdev);

	mutex_init(&fn->lease_lock);
	init_completion(&fn->closed);
	init_rwsem(&fn->detach_sem);
	mdev_pt_mig_init(fn);

	return vfio_pci_core_init_dev(core_vdev);
}

static void mdev_pt_release_dev(struct vfio_device *core_vdev)
{
	struct mdev_pt_function *fn = mdev_pt_from_vdev(core_vdev);

	iommu_group_put(fn->iommu_group);
	mdev_pt_mig_destroy(fn);
	mutex_destroy(&fn->lease_lock);
	vfio_pci_core_release_dev(core_vdev);
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
	const struct mdev_pt_type *type;
	struct mdev_pt_instance *inst;
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
	if (mdev_pt_inst_detached(inst)) {
		pci_warn(vdev->pdev, "open refused: the controlling function is gone\n");
		ret = -ENOTCONN;
		goto out_unlock;
	}

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
		if (ret)
			goto out_close_regions;
	}

	vfio_pci_core_finish_enable(vdev);
	fn->open = true;
	reinit_completion(&fn->closed);
	mutex_unlock(&fn->lease_lock);
	return 0;

out_close_regions:
	WRITE_ONCE(inst->opened, was_opened);
	mdev_pt_regions_close(inst);
out_disable:
	/* Also unregisters the regions. */
	vfio_pci_core_disable(vdev);
out_unlock:
	mutex_unlock(&fn->lease_lock);
	return ret;
}

static void mdev_pt_close_device(struct vfio_device *core_vdev)
{
	struct mdev_pt_function *fn = mdev_pt_from_vdev(core_vdev);
	struct mdev_pt_instance *inst = fn->instance;
	const struct mdev_pt_type *type = mdev_pt_inst_type(inst);

	/* Data files still open die here; the next open starts RUNNING. */
	mdev_pt_mig_close(fn);
	if (type && type->ops && type->ops->close)
		type->ops->close(inst);
	mdev_pt_irqs_release(inst);
	mdev_pt_regions_close(inst);
	vfio_pci_core_close_device(core_vdev);

	mutex_lock(&fn->lease_lock);
	fn->open = false;
	complete_all(&fn->closed);
	mutex_unlock(&fn->lease_lock);
}

/*
 * The device calls of an instance whose plugin depends on the controlling
 * function run under detach_sem, and fail once that function is gone.
 */
static int mdev_pt_call_begin(struct mdev_pt_function *fn)
{
	if (!mdev_pt_inst_depends(fn->instance))
		return 0;

	down_read(&fn->detach_sem);
	if (READ_ONCE(fn->controlling_gone)) {
		up_read(&fn->detach_sem);
		return -ENOTCONN;
	}
	return 0;
}

/*
 * mmap() comes with the caller's mmap_lock held, and the other device calls
 * take that lock inside detach_sem (a fault in copy_from_user()): waiting
 * for detach_sem here could deadlock against mdev_pt_controlling_gone()
 * queued behind such a call.  Only that writer ever holds or waits for
 * detach_sem, so a failed trylock means the controlling function is going
 * away, and mmap() is refused as it would be right after.
 */
static int mdev_pt_mmap_begin(struct mdev_pt_function *fn)
{
	if (!mdev_pt_inst_depends(fn->instance))
		return 0;

	if (!down_read_trylock(&fn->detach_sem))
		return -ENOTCONN;
	if (READ_ONCE(fn->controlling_gone)) {
		up_read(&fn->detach_sem);
		return -ENOTCONN;
	}
	return 0;
}

static void mdev_pt_call_end(struct mdev_pt_function *fn)
{
	if (mdev_pt_inst_depends(fn->instance))
		up_read(&fn->detach_sem);
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
	if (!ret)
		mdev_pt_mig_reset_sync(fn);
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

	ret = mdev_pt_call_begin(fn);
	if (ret)
		return ret;
	ret = mdev_pt_do_ioctl(fn, cmd, arg);
	mdev_pt_call_end(fn);
	return ret;
}

static ssize_t mdev_pt_read(struct vfio_device *core_vdev, char __user *buf,
			    size_t count, loff_t *ppos)
{
	struct mdev_pt_function *fn = mdev_pt_from_vdev(core_vdev);
	ssize_t ret;

	ret = mdev_pt_call_begin(fn);
	if (ret)
		return ret;
	ret = mdev_pt_rw(fn, buf, count, ppos, false);
	mdev_pt_call_end(fn);
	return ret;
}

static ssize_t mdev_pt_write(struct vfio_device *core_vdev,
			     const char __user *buf, size_t count,
			     loff_t *ppos)
{
	struct mdev_pt_function *fn = mdev_pt_from_vdev(core_vdev);
	ssize_t ret;

	ret = mdev_pt_call_begin(fn);
	if (ret)
		return ret;
	ret = mdev_pt_rw(fn, (char __user *)buf, count, ppos, true);
	mdev_pt_call_end(fn);
	return ret;
}

static int mdev_pt_vfio_mmap(struct vfio_device *core_vdev,
			     struct vm_area_struct *vma)
{
	struct mdev_pt_function *fn = mdev_pt_from_vdev(core_vdev);
	int ret;

	ret = mdev_pt_mmap_begin(fn);
	if (ret)
		return ret;
	ret = mdev_pt_mmap(fn, vma);
	mdev_pt_call_end(fn);
	return ret;
}

/*
 * VFIO_GROUP_GET_DEVICE_FD names the device by its instance UUID (QEMU
 * passes the basename of sysfsdev), optionally followed by vfio-pci's
 * options: "UUID vf_token=<uuid>".  The function's BDF and every other name
 * are refused, as is any name while no instance holds the lease.  What
 * follows the UUID goes to vfio_pci_core_match() behind the function's PCI
 * name, so the VF token has vfio-pci's rules: a VF whose PF is bound to a
 * vfio_pci_core driver needs the token the PF's user set, and a PF whose VFs
 * are in use needs the current one.
 */
static int mdev_pt_match(struct vfio_device *core_vdev, char *buf)
{
	struct mdev_pt_function *fn = mdev_pt_from_vdev(core_vdev);
	const char *uuid;
	char *name;
	size_t len;
	int ret = 0;

	mutex_lock(&fn->lease_lock);
	if (!mdev_pt_lease_valid(fn))
		goto out_unlock;

	uuid = dev_name(&fn->instance->mdev->dev);
	len = strlen(uuid);
	if (strncmp(buf, uuid, len) || (buf[len] && buf[len] != ' '))
		goto out_unlock;

	name = kasprintf(GFP_KERNEL, "%s%s", pci_name(mdev_pt_pdev(fn)),
			 buf + len);
	if (!name) {
		ret = -ENOMEM;
		goto out_unlock;
	}
	ret = vfio_pci_core_match(core_vdev, name);
	kfree(name);
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
	.device_feature	= vfio_pci_core_ioctl_feature,
	.read		= mdev_pt_read,
	.write		= mdev_pt_write,
	.mmap		= mdev_pt_vfio_mmap,
	.request	= vfio_pci_core_request,
	.match		= mdev_pt_match,
	MDEV_PT_IOMMUFD_OPS
	MDEV_PT_IOMMUFD_DETACH_OPS
};
