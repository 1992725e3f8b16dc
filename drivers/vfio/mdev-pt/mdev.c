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

#include <linux/build_bug.h>
#include <linux/kernfs.h>
#include <linux/kmemleak.h>
#include <linux/pci.h>
#include <linux/rcupdate.h>
#include <linux/refcount.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/sysfs.h>
#include <linux/wait_bit.h>

#include "mdev_pt_priv.h"
#include "mdev_pt_trace.h"

/* How long to wait for the user between two release requests. */
#define MDEV_PT_REQUEST_INTERVAL	(10 * HZ)

/**
 * struct mdev_pt_parent - one registration of a function as mdev parent
 * @parent: the mdev core's parent
 * @fn: the function; set while this is its registration
 *	(&mdev_pt_function.parent), NULL from mdev_pt_unregister_parent() on
 * @refs: one held by the registration until mdev_pt_unregister_parent(),
 *	and one per type whose release the mdev core has not run yet
 * @core_ktype: the mdev core's kobj_type of the types
 * @ktype: a copy of @core_ktype with mdev_pt_type_release() as release,
 *	set once the types are hooked
 * @types: the types as handed to mdev_register_parent(), into @mtypes
 * @nr_types: number of entries of @types and @mtypes
 * @generic_name: the generic type's name, "Passthrough <vendor>:<device>"
 * @mtypes: the types
 *
 * A type is a kobject, and the mdev core drops its last reference when it
 * likes: its "devices" directory and each mdev device of the type hold
 * one, released after mdev_unregister_parent() returned or much later
 * (an mdev device lives as long as anyone holds it; with
 * CONFIG_DEBUG_KOBJECT_RELEASE every release runs 1-4 s late).  The core's
 * release of a type reads @parent, and an mdev device's release reads
 * @parent and our mdev driver.  So this object, not the function, owns the
 * types and the mdev parent, and is freed when the last type was released;
 * module exit waits for that (mdev_pt_wait_for_types()).  A new
 * registration (for a late plugin) gets a new one while the old one may
 * still be held.
 *
 * @fn is written under the function's &mdev_pt_function.parent_lock, and
 * read without it only by the mdev driver's callbacks, which run while
 * the parent is registered.  The other fields but @refs are written before
 * the types are hooked and read-only from then on.
 */
struct mdev_pt_parent {
	struct mdev_parent parent;
	struct mdev_pt_function *fn;	/* written under fn->parent_lock */
	refcount_t refs;
	const struct kobj_type *core_ktype;
	const struct kobj_type *ktype;
	struct mdev_type **types;
	unsigned int nr_types;
	char generic_name[sizeof("Passthrough ffff:ffff")];
	struct mdev_pt_mtype mtypes[];
};

/*
 * mdev_pt_type_release() goes from a type's kobject to its mdev_parent
 * through struct mdev_type, whose kobject <linux/mdev.h> calls internal to
 * the mdev core: fail the build if that layout changes.
 */
static_assert(__same_type(((struct mdev_type *)NULL)->kobj, struct kobject));
static_assert(__same_type(((struct mdev_type *)NULL)->parent,
			  struct mdev_parent *));

/* struct mdev_pt_parent not freed yet; module exit waits for 0. */
static atomic_t mdev_pt_parents = ATOMIC_INIT(0);

/* Valid while @parent is registered, i.e. in the mdev driver's callbacks. */
static struct mdev_pt_function *mdev_pt_from_parent(struct mdev_parent *parent)
{
	return container_of(parent, struct mdev_pt_parent, parent)->fn;
}

static void mdev_pt_parent_free(struct mdev_pt_parent *p)
{
	kfree(p->ktype);
	kfree(p->types);
	kfree(p);

	/*
	 * Module exit may free this code once the count is 0.  free_module()
	 * waits for an RCU grace period first, so of this function only the
	 * return is left to race with it, as after any module_put() that a
	 * module's own code does.
	 */
	rcu_read_lock();
	if (atomic_dec_and_test(&mdev_pt_parents))
		wake_up_var(&mdev_pt_parents);
	rcu_read_unlock();
}

static void mdev_pt_parent_put(struct mdev_pt_parent *p)
{
	if (refcount_dec_and_test(&p->refs))
		mdev_pt_parent_free(p);
}

/* The release of a type kobject: the mdev core's, then ours. */
static void mdev_pt_type_release(struct kobject *kobj)
{
	struct mdev_type *mtype = container_of(kobj, struct mdev_type, kobj);
	struct mdev_pt_parent *p = container_of(mtype->parent,
						struct mdev_pt_parent, parent);

	p->core_ktype->release(kobj);
	mdev_pt_parent_put(p);
}

/*
 * Make each type's kobject release drop a reference on @p.  The mdev core
 * offers parent drivers no release callback for types, so the types'
 * kobj_type, which is the core's, is swapped for a copy whose release calls
 * the core's first; @ktype_mem (the copy's memory) then belongs to @p.  The
 * swap happens before any reference the core hands out can be the last;
 * sysfs may read the kobj_type meanwhile, for the sysfs_ops both share.
 *
 * Risk: this relies on the mdev core (mdev_sysfs.c, the same in 6.1 and
 * 6.12) never telling its types apart by their kobj_type nor freeing them
 * itself, on struct mdev_type keeping its kobject and parent and struct
 * kobj_type its fields (both checked at build time), and on
 * kobject_cleanup() touching neither the kobject nor its kobj_type once the
 * release returned.  Should that change, the types would be freed too
 * early or never: tests/plugins/plugins.sh (types_outlive_registration,
 * unload_with_types_held) then shows a use-after-free under KASAN or a
 * kmemleak report on the debug kernel.  Check mdev_sysfs.c when adding a
 * kernel line; a type release callback in the core would replace this.
 */
static int mdev_pt_hook_types(struct mdev_pt_parent *p, void *ktype_mem)
{
	const struct kobj_type *core_ktype = p->mtypes[0].mtype.kobj.ktype;
	const struct kobj_type ktype = {
		.release	= mdev_pt_type_release,
		.sysfs_ops	= core_ktype->sysfs_ops,
		.default_groups	= core_ktype->default_groups,
		.child_ns_type	= core_ktype->child_ns_type,
		.namespace	= core_ktype->namespace,
		.get_ownership	= core_ktype->get_ownership,
	};
	unsigned int i;

	/* Every field is copied: fail the build if one is added. */
	BUILD_BUG_ON(sizeof(ktype) != 6 * sizeof(void *));

	for (i = 0; i < p->nr_types; i++) {
		if (WARN_ONCE(p->mtypes[i].mtype.kobj.ktype != core_ktype ||
			      !core_ktype->release ||
			      p->mtypes[i].mtype.parent != &p->parent,
			      "mdev_pt: cannot follow the release of mdev types\n"))
			return -EINVAL;
	}

	p->ktype = memcpy(ktype_mem, &ktype, sizeof(ktype));
	p->core_ktype = core_ktype;

	for (i = 0; i < p->nr_types; i++) {
		refcount_inc(&p->refs);
		WRITE_ONCE(p->mtypes[i].mtype.kobj.ktype, p->ktype);
	}
	return 0;
}

/*
 * mdev_register_parent() failed, or the types could not be hooked: the
 * core may still release types it had created, some time later, with its
 * own release, and there is no telling when.  Leave @p to them for good;
 * it costs a few hundred bytes per failed registration, and holds nothing
 * of this module (the core's release reads @p and the PCI device it holds).
 */
static void mdev_pt_parent_abandon(struct mdev_pt_parent *p)
{
	p->fn = NULL;
	kmemleak_not_leak(p);
	if (atomic_dec_and_test(&mdev_pt_parents))
		wake_up_var(&mdev_pt_parents);
}

/**
 * mdev_pt_wait_for_types() - wait until the mdev core released every type
 *
 * Called from module exit once no function is bound anymore: the releases
 * still due run mdev_pt_type_release() and read our mdev driver.
 */
void mdev_pt_wait_for_types(void)
{
	wait_var_event(&mdev_pt_parents, !atomic_read(&mdev_pt_parents));
}

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
		mdev_pt_health_claim(fn);
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
		mdev_pt_reregister(fn);
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
		trace_mdev_pt_plugin_call(inst, MDEV_PT_OP_CREATE, ret);
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

	ret = mdev_pt_health_add(inst);
	if (ret) {
		dev_err(&mdev->dev, "cannot create the health attributes: %d\n",
			ret);
		goto out_detach_mig;
	}

	mdev_pt_cdev_link(inst);
	mdev_pt_debugfs_add_instance(inst);

	/* Everything is in place: the instance may be opened. */
	mutex_lock(&fn->lease_lock);
	fn->removing = false;
	mutex_unlock(&fn->lease_lock);
	mdev_pt_health_announce(inst);
	trace_mdev_pt_create(inst, 0);
	return 0;

out_detach_mig:
	if (type && type->migration) {
		mdev_pt_mig_detach(inst);
		sysfs_remove_file(&mdev->dev.kobj, mdev_pt_mig_dev_attr);
	}
out_remove_attrs:
	if (type && type->attrs)
		sysfs_remove_group(&mdev->dev.kobj, type->attrs);
out_destroy:
	if (type && type->ops && type->ops->destroy) {
		type->ops->destroy(inst);
		trace_mdev_pt_plugin_call(inst, MDEV_PT_OP_DESTROY, 0);
	}
out_free_irqs:
	mdev_pt_irqs_free(inst);
out_unlink:
	sysfs_remove_link(&mdev->dev.kobj, "iommu_group");
out_release_lease:
	mdev_pt_lease_release(fn);
out_free:
	trace_mdev_pt_create(inst, ret);
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
	 * destroy, and the instance neither announces its health nor keeps
	 * its debugfs files (the plugin's among them) any longer.
	 */
	mdev_pt_health_withdraw(inst);
	mdev_pt_debugfs_del_instance(inst);
	mdev_pt_gate_close(fn);

	mdev_pt_health_del(inst);
	if (type && type->migration) {
		mdev_pt_mig_detach(inst);
		sysfs_remove_file(&mdev->dev.kobj, mdev_pt_mig_dev_attr);
	}
	if (type && type->attrs)
		sysfs_remove_group(&mdev->dev.kobj, type->attrs);
	if (type && type->ops && type->ops->destroy) {
		type->ops->destroy(inst);
		trace_mdev_pt_plugin_call(inst, MDEV_PT_OP_DESTROY, 0);
	}
	mdev_pt_irqs_free(inst);
	mdev_pt_cdev_unlink(inst);
	sysfs_remove_link(&mdev->dev.kobj, "iommu_group");
	mdev_pt_lease_release(fn);
	trace_mdev_pt_remove(inst);
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

/**
 * mdev_pt_register_parent() - register the function as mdev parent
 * @fn: the function
 *
 * Offers the generic passthrough type and every type of the attached
 * plugins.  The mdev core cannot reuse a type once unregistered, so each
 * registration has types of its own, in a new &struct mdev_pt_parent.
 *
 * Return: 0 or a negative errno.
 */
int mdev_pt_register_parent(struct mdev_pt_function *fn)
{
	struct mdev_pt_attach *attach;
	struct mdev_pt_parent *p;
	unsigned int n = 1, i;
	void *ktype_mem;
	int ret;

	lockdep_assert_held(&fn->parent_lock);

	if (WARN_ON(fn->parent))
		return -EBUSY;

	list_for_each_entry(attach, &fn->plugins, node)
		n += attach->plugin->num_types;

	p = kzalloc(struct_size(p, mtypes, n), GFP_KERNEL);
	if (!p)
		return -ENOMEM;
	atomic_inc(&mdev_pt_parents);
	refcount_set(&p->refs, 1);
	p->fn = fn;
	p->nr_types = n;
	p->types = kcalloc(n, sizeof(*p->types), GFP_KERNEL);
	/* Allocated now: once registered, nothing may fail for lack of it. */
	ktype_mem = kmalloc(sizeof(*p->ktype), GFP_KERNEL);
	if (!p->types || !ktype_mem) {
		ret = -ENOMEM;
		goto out_free;
	}

	/*
	 * The IDs tell functions apart where only the name is matched
	 * (KubeVirt's mdevNameSelector): ABI, see sysfs-driver-mdev_pt.
	 */
	snprintf(p->generic_name, sizeof(p->generic_name), "Passthrough %04x:%04x",
		 mdev_pt_pdev(fn)->vendor, mdev_pt_pdev(fn)->device);
	p->mtypes[0].mtype.sysfs_name = "passthrough";
	p->mtypes[0].mtype.pretty_name = p->generic_name;
	n = 1;
	list_for_each_entry(attach, &fn->plugins, node) {
		for (i = 0; i < attach->plugin->num_types; i++, n++) {
			const struct mdev_pt_type *type = &attach->plugin->types[i];

			p->mtypes[n].mtype.sysfs_name = type->sysfs_name;
			p->mtypes[n].mtype.pretty_name = type->pretty_name;
			p->mtypes[n].type = type;
			p->mtypes[n].attach = attach;
		}
	}
	for (i = 0; i < n; i++)
		p->types[i] = &p->mtypes[i].mtype;

	ret = mdev_register_parent(&p->parent, &mdev_pt_pdev(fn)->dev,
				   &mdev_pt_mdev_driver, p->types, n);
	if (ret)
		goto out_abandon;

	/* Before anything can drop a type's last reference. */
	ret = mdev_pt_hook_types(p, ktype_mem);
	if (ret)
		goto out_unregister_unhooked;

	/*
	 * migration_compatibility in the directory of each migratable type:
	 * struct mdev_type embeds the type directory's kobject, and it goes
	 * away with the directory when the parent unregisters.
	 */
	for (i = 0; i < n; i++) {
		if (!p->mtypes[i].type || !p->mtypes[i].type->migration)
			continue;
		ret = sysfs_create_file(&p->mtypes[i].mtype.kobj,
					mdev_pt_mig_type_attr);
		if (ret) {
			pci_err(mdev_pt_pdev(fn), "cannot create migration_compatibility of %s: %d\n",
				p->mtypes[i].type->sysfs_name, ret);
			goto out_unregister;
		}
	}

	fn->parent = p;
	return 0;

out_unregister:
	mdev_unregister_parent(&p->parent);
	p->fn = NULL;
	mdev_pt_parent_put(p);
	return ret;

out_unregister_unhooked:
	mdev_unregister_parent(&p->parent);
out_abandon:
	kfree(ktype_mem);
	mdev_pt_parent_abandon(p);
	return ret;

out_free:
	kfree(ktype_mem);
	mdev_pt_parent_free(p);
	return ret;
}

/**
 * mdev_pt_unregister_parent() - undo mdev_pt_register_parent()
 * @fn: the function
 *
 * Removes the instance, if any, waiting for its user to close it.  The
 * types stay until the mdev core released them.
 */
void mdev_pt_unregister_parent(struct mdev_pt_function *fn)
{
	struct mdev_pt_parent *p = fn->parent;

	lockdep_assert_held(&fn->parent_lock);

	if (!p)
		return;

	mdev_unregister_parent(&p->parent);
	fn->parent = NULL;
	p->fn = NULL;
	mdev_pt_parent_put(p);
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
