// SPDX-License-Identifier: GPL-2.0-only
/*
 * mdev-pt: vfio_device_ops of the per-function vfio_pci_core device.
 *
 * Everything vfio-pci offers is served by vfio_pci_core; mdev-pt only
 * gates matching and opening on the instance lease.
 */

#include <linux/iommu.h>
#include <linux/string.h>

#include "compat.h"
#include "mdev_pt_priv.h"

static int mdev_pt_init_dev(struct vfio_device *core_vdev)
{
	struct mdev_pt_device *mpt = mdev_pt_from_vdev(core_vdev);

	mutex_init(&mpt->lease_lock);
	init_completion(&mpt->closed);

	return vfio_pci_core_init_dev(core_vdev);
}

static void mdev_pt_release_dev(struct vfio_device *core_vdev)
{
	struct mdev_pt_device *mpt = mdev_pt_from_vdev(core_vdev);

	iommu_group_put(mpt->iommu_group);
	mutex_destroy(&mpt->lease_lock);
	vfio_pci_core_release_dev(core_vdev);
}

static bool mdev_pt_lease_valid(struct mdev_pt_device *mpt)
{
	lockdep_assert_held(&mpt->lease_lock);

	return mpt->instance && !mpt->removing;
}

static int mdev_pt_open_device(struct vfio_device *core_vdev)
{
	struct mdev_pt_device *mpt = mdev_pt_from_vdev(core_vdev);
	struct vfio_pci_core_device *vdev = &mpt->core_device;
	int ret;

	mutex_lock(&mpt->lease_lock);
	if (!mdev_pt_lease_valid(mpt)) {
		pci_warn(vdev->pdev, "open refused: no mdev instance holds this function\n");
		ret = -ENODEV;
		goto out_unlock;
	}

	ret = vfio_pci_core_enable(vdev);
	if (ret)
		goto out_unlock;

	vfio_pci_core_finish_enable(vdev);
	mpt->opened = true;
	reinit_completion(&mpt->closed);

out_unlock:
	mutex_unlock(&mpt->lease_lock);
	return ret;
}

static void mdev_pt_close_device(struct vfio_device *core_vdev)
{
	struct mdev_pt_device *mpt = mdev_pt_from_vdev(core_vdev);

	vfio_pci_core_close_device(core_vdev);

	mutex_lock(&mpt->lease_lock);
	mpt->opened = false;
	complete_all(&mpt->closed);
	mutex_unlock(&mpt->lease_lock);
}

/*
 * VFIO_GROUP_GET_DEVICE_FD names the device by its instance UUID (QEMU
 * passes the basename of sysfsdev); the function's BDF and every other
 * name are refused, as is any name while no instance holds the lease.
 */
static int mdev_pt_match(struct vfio_device *core_vdev, char *buf)
{
	struct mdev_pt_device *mpt = mdev_pt_from_vdev(core_vdev);
	int ret = 0;

	mutex_lock(&mpt->lease_lock);
	if (mdev_pt_lease_valid(mpt) &&
	    !strcmp(buf, dev_name(&mpt->instance->dev)))
		ret = 1;
	mutex_unlock(&mpt->lease_lock);

	return ret;
}

const struct vfio_device_ops mdev_pt_vfio_ops = {
	.name		= MDEV_PT_DRIVER_NAME,
	.init		= mdev_pt_init_dev,
	.release	= mdev_pt_release_dev,
	.open_device	= mdev_pt_open_device,
	.close_device	= mdev_pt_close_device,
	.ioctl		= vfio_pci_core_ioctl,
	.device_feature	= vfio_pci_core_ioctl_feature,
	.read		= vfio_pci_core_read,
	.write		= vfio_pci_core_write,
	.mmap		= vfio_pci_core_mmap,
	.request	= vfio_pci_core_request,
	.match		= mdev_pt_match,
	MDEV_PT_IOMMUFD_OPS
	MDEV_PT_IOMMUFD_DETACH_OPS
};
