// SPDX-License-Identifier: GPL-2.0-only
/*
 * mdev-pt: the VFIO device cdev.
 *
 * On a kernel with CONFIG_VFIO_DEVICE_CDEV the function's vfio device also
 * has a character device, /dev/vfio/devices/vfioN, under the PCI function
 * (the vfio device lives there, not on the mdev).  Its users name no
 * device: VFIO_DEVICE_BIND_IOMMUFD opens it without calling match, so the
 * instance is not named there, only required (open_device refuses the
 * function while no instance holds it).  Two things are added here:
 *
 * - each instance gets a vfio-dev/ directory with one link, vfioN, to the
 *   function's vfio device: that is where QEMU's iommufd backend looks for
 *   the char device of a sysfsdev= device;
 *
 * - the VF token.  The group path passes it in the device name, which
 *   vfio_pci_core_match() checks; the cdev bind of the supported kernels
 *   carries none.  An open that vfio_pci_core would refuse without a token
 *   (a VF whose PF is bound to a vfio_pci_core driver, mdev_pt among them,
 *   and such a PF while one of its VFs is open) is therefore refused when it
 *   comes through the cdev.  The group path calls match, in the same
 *   thread, right before the open; match leaves a ticket for that thread,
 *   and an open that finds none came through the cdev.
 */

#include <linux/device.h>
#include <linux/kernfs.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/pid.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/sysfs.h>

#include "mdev_pt_priv.h"

/* The class of vfio devices (/sys/class/vfio-dev), and the directory name. */
#define MDEV_PT_VFIO_DEV	"vfio-dev"

/* Tickets kept per function: more threads than this racing is not sane. */
#define MDEV_PT_TICKETS_MAX	8

/**
 * struct mdev_pt_ticket - a thread named a function on the group path
 * @node: entry in mdev_pt_tickets, newest first
 * @fn: the function
 * @pid: the thread, referenced: a thread that exits cannot pass its
 *	ticket on to a new one
 */
struct mdev_pt_ticket {
	struct list_head node;
	struct mdev_pt_function *fn;
	struct pid *pid;
};

static DEFINE_MUTEX(mdev_pt_ticket_lock);
static LIST_HEAD(mdev_pt_tickets);	/* protected by mdev_pt_ticket_lock */

static void mdev_pt_ticket_free(struct mdev_pt_ticket *t)
{
	lockdep_assert_held(&mdev_pt_ticket_lock);

	list_del(&t->node);
	put_pid(t->pid);
	kfree(t);
}

/**
 * mdev_pt_cdev_named() - the current thread named the function (match)
 * @fn: the function
 *
 * Called by match when it accepts a name, the VF token included: the open
 * that follows in this thread came through the group path.  A ticket left
 * behind (the device was open already, or the group had no IOMMU) is only
 * ever taken by the same thread, which showed the token.
 *
 * Return: 0 or -ENOMEM.
 */
int mdev_pt_cdev_named(struct mdev_pt_function *fn)
{
	struct mdev_pt_ticket *new, *t, *tmp;
	unsigned int n = 1;

	if (!IS_ENABLED(CONFIG_VFIO_DEVICE_CDEV))
		return 0;

	new = kzalloc(sizeof(*new), GFP_KERNEL);
	if (!new)
		return -ENOMEM;
	new->fn = fn;
	new->pid = get_task_pid(current, PIDTYPE_PID);

	mutex_lock(&mdev_pt_ticket_lock);
	list_for_each_entry_safe(t, tmp, &mdev_pt_tickets, node) {
		if (t->fn != fn)
			continue;
		if (t->pid == new->pid || ++n > MDEV_PT_TICKETS_MAX)
			mdev_pt_ticket_free(t);
	}
	list_add(&new->node, &mdev_pt_tickets);
	mutex_unlock(&mdev_pt_ticket_lock);
	return 0;
}

/* Take the current thread's ticket for @fn: whether there was one. */
static bool mdev_pt_ticket_take(struct mdev_pt_function *fn)
{
	struct pid *pid = task_pid(current);
	struct mdev_pt_ticket *t;
	bool found = false;

	mutex_lock(&mdev_pt_ticket_lock);
	list_for_each_entry(t, &mdev_pt_tickets, node) {
		if (t->fn == fn && t->pid == pid) {
			mdev_pt_ticket_free(t);
			found = true;
			break;
		}
	}
	mutex_unlock(&mdev_pt_ticket_lock);
	return found;
}

/**
 * mdev_pt_cdev_forget() - drop the tickets of a function going away
 * @fn: the function
 */
void mdev_pt_cdev_forget(struct mdev_pt_function *fn)
{
	struct mdev_pt_ticket *t, *tmp;

	mutex_lock(&mdev_pt_ticket_lock);
	list_for_each_entry_safe(t, tmp, &mdev_pt_tickets, node)
		if (t->fn == fn)
			mdev_pt_ticket_free(t);
	mutex_unlock(&mdev_pt_ticket_lock);
}

/**
 * mdev_pt_cdev_open_check() - refuse a cdev open that needs a VF token
 * @inst: the instance holding the lease, being opened
 *
 * Called by open_device with the lease lock held.  An open that match
 * prepared passes; any other came through the cdev, and gets what
 * vfio_pci_core_match() answers for the function's name without a token.
 *
 * Return: 0, or -EACCES (logged) when a token would be needed.
 */
int mdev_pt_cdev_open_check(struct mdev_pt_instance *inst)
{
	struct mdev_pt_function *fn = inst->fn;
	struct pci_dev *pdev = mdev_pt_pdev(fn);
	char name[32];
	int ret;

	if (!IS_ENABLED(CONFIG_VFIO_DEVICE_CDEV) || mdev_pt_ticket_take(fn))
		return 0;

	strscpy(name, pci_name(pdev), sizeof(name));
	ret = vfio_pci_core_match(&fn->core_device.vdev, name);
	if (ret > 0)
		return 0;

	dev_warn_ratelimited(&pdev->dev, "VFIO cdev bind refused: %s, and VFIO_DEVICE_BIND_IOMMUFD cannot pass one on this kernel; open instance %s through its IOMMU group as \"%s vf_token=<token>\"\n",
			     pdev->is_virtfn ?
			     "the PF requires a VF token" :
			     "while VFs are in use the PF requires the VF token",
			     dev_name(&inst->mdev->dev),
			     dev_name(&inst->mdev->dev));
	return -EACCES;
}

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
