// SPDX-License-Identifier: GPL-2.0-only
/*
 * mdev-pt: the VFIO device cdev.
 *
 * On a kernel with CONFIG_VFIO_DEVICE_CDEV the function's vfio device also
 * has a character device, /dev/vfio/devices/vfioN, under the PCI function
 * (the vfio device lives there, not on the mdev).  Its users name no
 * device: VFIO_DEVICE_BIND_IOMMUFD opens it without calling match, so the
 * instance is not named there, only required (open_device refuses the
 * function while no instance holds it).  Each instance gets a vfio-dev/
 * directory with one link, vfioN, to the function's vfio device: that is
 * where QEMU's iommufd backend looks for the char device of a sysfsdev=
 * device.
 */

#include <linux/device.h>
#include <linux/kernfs.h>
#include <linux/sysfs.h>

#include "mdev_pt_priv.h"

/* The class of vfio devices (/sys/class/vfio-dev), and the directory name. */
#define MDEV_PT_VFIO_DEV	"vfio-dev"

static struct attribute *mdev_pt_vfio_dev_attrs[] = {
	NULL
};

/* vfio-dev/ of an instance; its one entry is a link, added afterwards. */
static const struct attribute_group mdev_pt_vfio_dev_group = {
	.name = MDEV_PT_VFIO_DEV,
	.attrs = mdev_pt_vfio_dev_attrs,
};

/* The function's vfio device, if it has a char device. */
static int mdev_pt_is_vfio_cdev(struct device *dev, void *data)
{
	return dev->class && !strcmp(dev->class->name, MDEV_PT_VFIO_DEV) &&
	       dev->devt;
}

/**
 * mdev_pt_cdev_link() - lead an instance to the function's VFIO cdev
 * @inst: the new instance
 *
 * Creates vfio-dev/vfioN under the instance, a link to the function's vfio
 * device (the vfio-dev/vfioN of the PCI function), when that has a char
 * device.  A failure only costs cdev users the way there: it is logged and
 * the instance works all the same.
 */
void mdev_pt_cdev_link(struct mdev_pt_instance *inst)
{
	struct kobject *kobj = &inst->mdev->dev.kobj;
	struct device *vfio_dev;
	int ret;

	vfio_dev = device_find_child(&mdev_pt_pdev(inst->fn)->dev, NULL,
				     mdev_pt_is_vfio_cdev);
	if (!vfio_dev)
		return;

	ret = sysfs_create_group(kobj, &mdev_pt_vfio_dev_group);
	if (!ret) {
		ret = sysfs_add_link_to_group(kobj, MDEV_PT_VFIO_DEV,
					      &vfio_dev->kobj,
					      dev_name(vfio_dev));
		if (ret)
			sysfs_remove_group(kobj, &mdev_pt_vfio_dev_group);
	}
	if (ret)
		dev_warn(&inst->mdev->dev, "cannot link %s/%s: %d, VFIO cdev users will not find the device\n",
			 MDEV_PT_VFIO_DEV, dev_name(vfio_dev), ret);
	put_device(vfio_dev);
}

/**
 * mdev_pt_cdev_unlink() - undo mdev_pt_cdev_link()
 * @inst: the instance being removed
 */
void mdev_pt_cdev_unlink(struct mdev_pt_instance *inst)
{
	struct kobject *kobj = &inst->mdev->dev.kobj;
	struct kernfs_node *kn;

	kn = sysfs_get_dirent(kobj->sd, MDEV_PT_VFIO_DEV);
	if (!kn)
		return;
	sysfs_put(kn);
	/* Removes the link with the directory. */
	sysfs_remove_group(kobj, &mdev_pt_vfio_dev_group);
}
