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
#include <linux/slab.h>
#include <linux/sysfs.h>

#include "mdev_pt_priv.h"

/* How long to wait for the user between two release requests. */
#define MDEV_PT_REQUEST_INTERVAL	(10 * HZ)

/*
 * QEMU and libvirt find an mdev's group by resolving its iommu_group link.
 * Point it at the kobject of the function's real group, found through the
 * function's own iommu_group link (the group's kobject is not exported).
 */
static int mdev_pt_link_iommu_group(struct mdev_pt_function *fn,
				    struct mdev_device *mdev)
{
	struct pci_dev *pdev = mdev_pt_pdev(fn);
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
	snprintf(id, sizeof(id), "%d", iommu_group_id(fn->iommu_group));
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

/*
 * Take the lease for @inst; the caller holds no lock.  Refused while
 * another instance holds it, while the parent registers again, and for a
 * type whose plugin depends on a controlling function that is gone.
 */
static int mdev_pt_lease_claim(struct mdev_pt_function *fn,
			       struct mdev_pt_instance *inst)
{
	struct mdev_device *mdev = inst->mdev;
	int ret = 0;

	mutex_lock(&fn->lease_lock);
	if (fn->instance) {
		dev_warn(&mdev->dev, "%s already serves instance %s, one instance per function\n",
			 pci_name(mdev_pt_pdev(fn)),
			 dev_name(&fn->instance->mdev->dev));
		ret = -EUSERS;
	} else if (fn->reregistering) {
		dev_warn(&mdev->dev, "%s is registering new plugin types, try again\n",
			 pci_name(mdev_pt_pdev(fn)));
		ret = -EAGAIN;
	} else if (mdev_pt_inst_detached(inst)) {
		dev_err(&mdev->dev, "%s needs the controlling function %s, which is gone\n",
			inst->mt->type->sysfs_name,
			pci_name(pci_physfn(mdev_pt_pdev(fn))));
		ret = -ENOTCONN;
	} else {
		fn->instance = inst;
		fn->removing = true;	/* not open-able before probe ends */
		/* A new plugin gate for the new instance. */
		WRITE_ONCE(fn->gate_closed, false);
	}
	mutex_unlock(&fn->lease_lock);
	return ret;
}

static void mdev_pt_lease_release(struct mdev_pt_function *fn)
{
	mutex_lock(&fn->lease_lock);
	fn->instance = NULL;
	fn->removing = false;
	if (fn->rereg_pending)
		schedule_work(&fn->rereg_work);
	mutex_unlock(&fn->lease_lock);
}

static int mdev_pt_mdev_probe(struct mdev_device *mdev)
{
	struct mdev_pt_mtype *mt = mdev_pt_mtype(mdev->type);
	struct mdev_pt_function *fn = mdev_pt_from_parent(mdev->type->parent);
	const struct mdev_pt_type *type = mt->type;
	struct mdev_pt_instance *inst;
	int ret;

	inst = kzalloc(sizeof(*inst), GFP_KERNEL);
	if (!inst)
		return -ENOMEM;
	inst->mdev = mdev;
	inst->fn = fn;
	inst->mt = mt;
	spin_lock_init(&inst->irq_lock);

	ret = mdev_pt_lease_claim(fn, inst);
	if (ret)
		goto out_free;

	ret = mdev_pt_link_iommu_group(fn, mdev);
	if (ret)
		goto out_release_lease;

	ret = mdev_pt_irqs_init(inst);
	if (ret)
		goto out_unlink;

	dev_set_drvdata(&mdev->dev, inst);
	if (type && type->ops && type->ops->create) {
		ret = type->ops->create(inst);
		if (ret) {
			dev_err(&mdev->dev, "%s refused the instance: %d\n",
				type->sysfs_name, ret);
			goto out_free_irqs;
		}
	}

	if (type && type->attrs) {
		ret = sysfs_create_group(&mdev->dev.kobj, type->attrs);
		if (ret) {
			dev_err(&mdev->dev, "cannot create the vendor attributes: %d\n",
				ret);
			goto out_destroy;
		}
	}

	if (type && type->migration) {
		ret = sysfs_create_file(&mdev->dev.kobj, mdev_pt_mig_dev_attr);
		if (ret) {
			dev_err(&mdev->dev, "cannot create migration_compatibility: %d\n",
				ret);
			goto out_remove_attrs;
		}
		mdev_pt_mig_attach(inst);
	}

	mdev_pt_cdev_link(inst);

	/* Everything is in place: the instance may be opened. */
	mutex_lock(&fn->lease_lock);
	fn->removing = false;
	mutex_unlock(&fn->lease_lock);
	return 0;

out_remove_attrs:
	if (type->attrs)
		sysfs_remove_group(&mdev->dev.kobj, type->attrs);
out_destroy:
	if (type->ops && type->ops->destroy)
		type->ops->destroy(inst);
out_free_irqs:
	mdev_pt_irqs_free(inst);
out_unlink:
	sysfs_remove_link(&mdev->dev.kobj, "iommu_group");
out_release_lease:
	mdev_pt_lease_release(fn);
out_free:
	kfree(inst);
	return ret;
}

/*
 * Ask the user to release the device through the REQ IRQ until it does.
 * A signal stops the interruptible wait but not the removal: the caller
 * cannot fail, so the wait goes on uninterruptibly.
 */
static void mdev_pt_wait_for_close(struct mdev_pt_function *fn,
				   struct mdev_device *mdev)
{
	struct vfio_device *core_vdev = &fn->core_device.vdev;
	bool interruptible = true;
	unsigned int count = 0;
	long ret;

	do {
		vfio_pci_core_request(core_vdev, count++);

		if (interruptible) {
			ret = wait_for_completion_interruptible_timeout(&fn->closed,
									MDEV_PT_REQUEST_INTERVAL);
			if (ret == -ERESTARTSYS) {
				interruptible = false;
				dev_warn(&mdev->dev, "%s (%d) is blocked until the user releases the device\n",
					 current->comm, task_pid_nr(current));
			}
		} else {
			ret = wait_for_completion_timeout(&fn->closed,
							  MDEV_PT_REQUEST_INTERVAL);
		}
	} while (ret <= 0);
}

static void mdev_pt_mdev_remove(struct mdev_device *mdev)
{
	struct mdev_pt_instance *inst = dev_get_drvdata(&mdev->dev);
	const struct mdev_pt_type *type = inst->mt->type;
	struct mdev_pt_function *fn = inst->fn;
	bool open;

	mutex_lock(&fn->lease_lock);
	fn->removing = true;
	open = fn->open;
	mutex_unlock(&fn->lease_lock);

	if (open)
		mdev_pt_wait_for_close(fn, mdev);
	/*
	 * Until its user let go, the device kept working, so that the user
	 * could quiesce it; from now on nothing reaches the plugin but
	 * destroy.
	 */
	mdev_pt_gate_close(fn);

	if (type && type->migration) {
		mdev_pt_mig_detach(inst);
		sysfs_remove_file(&mdev->dev.kobj, mdev_pt_mig_dev_attr);
	}
	if (type && type->attrs)
		sysfs_remove_group(&mdev->dev.kobj, type->attrs);
	if (type && type->ops && type->ops->destroy)
		type->ops->destroy(inst);
	mdev_pt_irqs_free(inst);
	mdev_pt_cdev_unlink(inst);
	sysfs_remove_link(&mdev->dev.kobj, "iommu_group");
	mdev_pt_lease_release(fn);
	kfree(inst);
}

static unsigned int mdev_pt_get_available(struct mdev_type *mtype)
{
	struct mdev_pt_function *fn = mdev_pt_from_parent(mtype->parent);
	unsigned int available;

	mutex_lock(&fn->lease_lock);
	available = fn->instance ? 0 : 1;
	mutex_unlock(&fn->lease_lock);

	return available;
}

static ssize_t mdev_pt_show_description(struct mdev_type *mtype, char *buf)
{
	struct mdev_pt_function *fn = mdev_pt_from_parent(mtype->parent);
	const struct mdev_pt_type *type = mdev_pt_mtype(mtype)->type;
	struct pci_dev *pdev = mdev_pt_pdev(fn);

	if (type)
		return sysfs_emit(buf, "%s\n", type->description ?: "");

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

/* The mdev core holds no type once the parent is unregistered. */
static void mdev_pt_free_types(struct mdev_pt_function *fn)
{
	kfree(fn->types);
	kfree(fn->mtypes);
	fn->types = NULL;
	fn->mtypes = NULL;
	fn->nr_types = 0;
}

/**
 * mdev_pt_register_parent() - register the function as mdev parent
 * @fn: the function
 *
 * Offers the generic passthrough type and every type of the attached
 * plugins.  The mdev core cannot reuse a type once unregistered, so the
 * types are allocated for each registration.
 *
 * Return: 0 or a negative errno.
 */
int mdev_pt_register_parent(struct mdev_pt_function *fn)
{
	struct mdev_pt_attach *attach;
	unsigned int n = 1, i;
	int ret;

	lockdep_assert_held(&fn->parent_lock);

	list_for_each_entry(attach, &fn->plugins, node)
		n += attach->plugin->num_types;

	fn->mtypes = kcalloc(n, sizeof(*fn->mtypes), GFP_KERNEL);
	fn->types = kcalloc(n, sizeof(*fn->types), GFP_KERNEL);
	if (!fn->mtypes || !fn->types) {
		ret = -ENOMEM;
		goto out_free;
	}

	fn->mtypes[0].mtype.sysfs_name = "passthrough";
	fn->mtypes[0].mtype.pretty_name = "Passthrough";
	n = 1;
	list_for_each_entry(attach, &fn->plugins, node) {
		for (i = 0; i < attach->plugin->num_types; i++, n++) {
			const struct mdev_pt_type *type = &attach->plugin->types[i];

			fn->mtypes[n].mtype.sysfs_name = type->sysfs_name;
			fn->mtypes[n].mtype.pretty_name = type->pretty_name;
			fn->mtypes[n].type = type;
			fn->mtypes[n].attach = attach;
		}
	}
	for (i = 0; i < n; i++)
		fn->types[i] = &fn->mtypes[i].mtype;
	fn->nr_types = n;

	ret = mdev_register_parent(&fn->parent, &mdev_pt_pdev(fn)->dev,
				   &mdev_pt_mdev_driver, fn->types, n);
	if (ret)
		goto out_free;

	/*
	 * migration_compatibility in the directory of each migratable type:
	 * struct mdev_type embeds the type directory's kobject, and it goes
	 * away with the directory when the parent unregisters.
	 */
	for (i = 0; i < n; i++) {
		if (!fn->mtypes[i].type || !fn->mtypes[i].type->migration)
			continue;
		ret = sysfs_create_file(&fn->mtypes[i].mtype.kobj,
					mdev_pt_mig_type_attr);
		if (ret) {
			pci_err(mdev_pt_pdev(fn), "cannot create migration_compatibility of %s: %d\n",
				fn->mtypes[i].type->sysfs_name, ret);
			goto out_unregister;
		}
	}

	fn->registered = true;
	return 0;

out_unregister:
	mdev_unregister_parent(&fn->parent);

out_free:
	mdev_pt_free_types(fn);
	return ret;
}

/**
 * mdev_pt_unregister_parent() - undo mdev_pt_register_parent()
 * @fn: the function
 *
 * Removes the instance, if any, waiting for its user to close it.
 */
void mdev_pt_unregister_parent(struct mdev_pt_function *fn)
{
	lockdep_assert_held(&fn->parent_lock);

	if (!fn->registered)
		return;

	mdev_unregister_parent(&fn->parent);
	fn->registered = false;
	mdev_pt_free_types(fn);
}

struct mdev_pt_function *mdev_pt_instance_function(struct mdev_pt_instance *inst)
{
	return inst->fn;
}
EXPORT_SYMBOL_GPL(mdev_pt_instance_function);

struct pci_dev *mdev_pt_instance_pdev(struct mdev_pt_instance *inst)
{
	return mdev_pt_pdev(inst->fn);
}
EXPORT_SYMBOL_GPL(mdev_pt_instance_pdev);

struct device *mdev_pt_instance_dev(struct mdev_pt_instance *inst)
{
	return &inst->mdev->dev;
}
EXPORT_SYMBOL_GPL(mdev_pt_instance_dev);

struct mdev_pt_instance *mdev_pt_instance_from_dev(struct device *dev)
{
	return dev_get_drvdata(dev);
}
EXPORT_SYMBOL_GPL(mdev_pt_instance_from_dev);

bool mdev_pt_instance_opened(struct mdev_pt_instance *inst)
{
	return READ_ONCE(inst->opened);
}
EXPORT_SYMBOL_GPL(mdev_pt_instance_opened);

void mdev_pt_set_drvdata(struct mdev_pt_instance *inst, void *data)
{
	inst->drvdata = data;
}
EXPORT_SYMBOL_GPL(mdev_pt_set_drvdata);

void *mdev_pt_get_drvdata(struct mdev_pt_instance *inst)
{
	return inst->drvdata;
}
EXPORT_SYMBOL_GPL(mdev_pt_get_drvdata);
