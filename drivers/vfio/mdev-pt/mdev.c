// SPDX-License-Identifier: GPL-2.0-only
/*
 * mdev-pt: the mdev side of a function, i.e. its parent, its types and the
 * instance lease.
 *
 * One instance at a time holds the lease on the function's vfio device.
 * Removing an instance that user space holds open asks the user to release
 * it through the REQ IRQ and waits for the close, as vfio core does when a
 * vfio device is unregistered.
 */

#include <linux/kernfs.h>
#include <linux/pci.h>
#include <linux/sched/signal.h>
#include <linux/sysfs.h>

#include "mdev_pt_priv.h"

/* How long to wait for the user between two release requests. */
#define MDEV_PT_REQUEST_INTERVAL	(10 * HZ)

static struct mdev_pt_device *mdev_pt_from_mdev(struct mdev_device *mdev)
{
	return mdev_pt_from_parent(mdev->type->parent);
}

/*
 * QEMU and libvirt find an mdev's group by resolving its iommu_group link.
 * Point it at the kobject of the function's real group, found through the
 * function's own iommu_group link (the group's kobject is not exported).
 */
static int mdev_pt_link_iommu_group(struct mdev_pt_device *mpt,
				    struct mdev_device *mdev)
{
	struct pci_dev *pdev = mdev_pt_pdev(mpt);
	struct kobject *group_kobj;
	struct kernfs_node *kn;
	char id[16];
	int ret;

	kn = sysfs_get_dirent(pdev->dev.kobj.sd, "iommu_group");
	if (!kn) {
		dev_err(&mdev->dev, "%s has no iommu_group link\n",
			pci_name(pdev));
		return -ENODEV;
	}

	if (kernfs_type(kn) != KERNFS_LINK) {
		dev_err(&mdev->dev, "iommu_group of %s is not a link\n",
			pci_name(pdev));
		ret = -EINVAL;
		goto out_put;
	}

	group_kobj = kn->symlink.target_kn->priv;
	snprintf(id, sizeof(id), "%d", iommu_group_id(mpt->iommu_group));
	if (strcmp(kobject_name(group_kobj), id)) {
		dev_err(&mdev->dev, "iommu_group link of %s does not lead to group %s\n",
			pci_name(pdev), id);
		ret = -EINVAL;
		goto out_put;
	}

	ret = sysfs_create_link(&mdev->dev.kobj, group_kobj, "iommu_group");
	if (ret)
		dev_err(&mdev->dev, "cannot create the iommu_group link: %d\n",
			ret);
out_put:
	sysfs_put(kn);
	return ret;
}

static int mdev_pt_mdev_probe(struct mdev_device *mdev)
{
	struct mdev_pt_device *mpt = mdev_pt_from_mdev(mdev);
	int ret;

	mutex_lock(&mpt->lease_lock);
	if (mpt->instance) {
		dev_warn(&mdev->dev, "%s already serves instance %s, one instance per function\n",
			 pci_name(mdev_pt_pdev(mpt)),
			 dev_name(&mpt->instance->dev));
		ret = -EUSERS;
		goto out_unlock;
	}

	ret = mdev_pt_link_iommu_group(mpt, mdev);
	if (ret)
		goto out_unlock;

	mpt->instance = mdev;
	dev_set_drvdata(&mdev->dev, mpt);

out_unlock:
	mutex_unlock(&mpt->lease_lock);
	return ret;
}

/*
 * Ask the user to release the device through the REQ IRQ until it does.
 * A signal stops the interruptible wait but not the removal: the caller
 * cannot fail, so the wait goes on uninterruptibly.
 */
static void mdev_pt_wait_for_close(struct mdev_pt_device *mpt,
				   struct mdev_device *mdev)
{
	struct vfio_device *core_vdev = &mpt->core_device.vdev;
	bool interruptible = true;
	unsigned int count = 0;
	long ret;

	do {
		vfio_pci_core_request(core_vdev, count++);

		if (interruptible) {
			ret = wait_for_completion_interruptible_timeout(&mpt->closed,
									MDEV_PT_REQUEST_INTERVAL);
			if (ret == -ERESTARTSYS) {
				interruptible = false;
				dev_warn(&mdev->dev, "%s (%d) is blocked until the user releases the device\n",
					 current->comm, task_pid_nr(current));
			}
		} else {
			ret = wait_for_completion_timeout(&mpt->closed,
							  MDEV_PT_REQUEST_INTERVAL);
		}
	} while (ret <= 0);
}

static void mdev_pt_mdev_remove(struct mdev_device *mdev)
{
	struct mdev_pt_device *mpt = dev_get_drvdata(&mdev->dev);
	bool opened;

	mutex_lock(&mpt->lease_lock);
	mpt->removing = true;
	opened = mpt->opened;
	mutex_unlock(&mpt->lease_lock);

	if (opened)
		mdev_pt_wait_for_close(mpt, mdev);

	sysfs_remove_link(&mdev->dev.kobj, "iommu_group");

	mutex_lock(&mpt->lease_lock);
	mpt->instance = NULL;
	mpt->removing = false;
	mutex_unlock(&mpt->lease_lock);
}

static unsigned int mdev_pt_get_available(struct mdev_type *mtype)
{
	struct mdev_pt_device *mpt = mdev_pt_from_parent(mtype->parent);
	unsigned int available;

	mutex_lock(&mpt->lease_lock);
	available = mpt->instance ? 0 : 1;
	mutex_unlock(&mpt->lease_lock);

	return available;
}

static ssize_t mdev_pt_show_description(struct mdev_type *mtype, char *buf)
{
	struct mdev_pt_device *mpt = mdev_pt_from_parent(mtype->parent);
	struct pci_dev *pdev = mdev_pt_pdev(mpt);

	return sysfs_emit(buf,
			  "Full passthrough of PCI function %s (%04x:%04x, subsystem %04x:%04x, class %06x) with its IOMMU group\n",
			  pci_name(pdev), pdev->vendor, pdev->device,
			  pdev->subsystem_vendor, pdev->subsystem_device,
			  pdev->class);
}

struct mdev_driver mdev_pt_mdev_driver = {
	.device_api		= VFIO_DEVICE_API_PCI_STRING,
	.driver = {
		.name		= MDEV_PT_DRIVER_NAME,
		.owner		= THIS_MODULE,
		.mod_name	= KBUILD_MODNAME,
	},
	.probe			= mdev_pt_mdev_probe,
	.remove			= mdev_pt_mdev_remove,
	.get_available		= mdev_pt_get_available,
	.show_description	= mdev_pt_show_description,
};

int mdev_pt_register_parent(struct mdev_pt_device *mpt)
{
	struct pci_dev *pdev = mdev_pt_pdev(mpt);

	mpt->generic_type.sysfs_name = "passthrough";
	mpt->generic_type.pretty_name = "Passthrough";
	mpt->types[0] = &mpt->generic_type;
	mpt->nr_types = 1;

	return mdev_register_parent(&mpt->parent, &pdev->dev,
				    &mdev_pt_mdev_driver, mpt->types,
				    mpt->nr_types);
}

void mdev_pt_unregister_parent(struct mdev_pt_device *mpt)
{
	mdev_unregister_parent(&mpt->parent);
}
