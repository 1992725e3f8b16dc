// SPDX-License-Identifier: GPL-2.0-only
/*
 * mdev-pt: vendor plugins, and which of them serve which function.
 *
 * mdev_pt_lock protects the list of registered plugins, the list of bound
 * functions and every function's list of attached plugins.  It is never
 * held while calling into a plugin or the mdev core.  A function's
 * parent_lock serializes its (re-)registration and plugin attachment and is
 * taken before mdev_pt_lock.  mdev_pt_notify_lock keeps the bound functions
 * listed while their plugins hear that a PF went away; it is taken before
 * any parent_lock.
 */

#include <linux/ctype.h>
#include <linux/module.h>
#include <linux/slab.h>

#include "mdev_pt_priv.h"
#include "mdev_pt_trace.h"

static DEFINE_MUTEX(mdev_pt_lock);
static LIST_HEAD(mdev_pt_plugins);	/* protected by mdev_pt_lock */
static DEFINE_MUTEX(mdev_pt_notify_lock);
/* Changed under mdev_pt_notify_lock and mdev_pt_lock, read under either. */
static LIST_HEAD(mdev_pt_functions);

static struct mdev_pt_attach *
mdev_pt_find_attach(struct mdev_pt_function *fn,
		    const struct mdev_pt_plugin *plugin)
{
	struct mdev_pt_attach *attach;

	list_for_each_entry(attach, &fn->plugins, node)
		if (attach->plugin == plugin)
			return attach;
	return NULL;
}

/* Whether an attached plugin already offers a type of this name. */
static bool mdev_pt_type_name_taken(struct mdev_pt_function *fn,
				    const char *name)
{
	struct mdev_pt_attach *attach;
	unsigned int i;

	if (!strcmp(name, "passthrough"))
		return true;
	list_for_each_entry(attach, &fn->plugins, node)
		for (i = 0; i < attach->plugin->num_types; i++)
			if (!strcmp(attach->plugin->types[i].sysfs_name, name))
				return true;
	return false;
}

/*
 * Offer the function to one plugin.  Returns true if the plugin now
 * serves it.
 */
static bool mdev_pt_attach_plugin(struct mdev_pt_function *fn,
				  struct mdev_pt_plugin *plugin)
{
	struct pci_dev *pdev = mdev_pt_pdev(fn);
	const struct pci_device_id *id;
	struct mdev_pt_attach *attach;
	unsigned int i;
	int ret;

	lockdep_assert_held(&fn->parent_lock);

	id = pci_match_id(plugin->id_table, pdev);
	if (!id || mdev_pt_find_attach(fn, plugin))
		return false;

	/*
	 * Its types depend on the PF, which is gone already: it could neither
	 * serve them nor be told (mdev_pt_controlling_gone() told those
	 * attached then).
	 */
	if (plugin->controlling_gone && fn->controlling_gone) {
		pci_info(pdev, "plugin %s not attached: its types need the controlling function, which is gone\n",
			 plugin->name);
		return false;
	}

	for (i = 0; i < plugin->num_types; i++) {
		if (mdev_pt_type_name_taken(fn, plugin->types[i].sysfs_name)) {
			pci_warn(pdev, "plugin %s not attached: type %s is offered already\n",
				 plugin->name, plugin->types[i].sysfs_name);
			return false;
		}
	}

	/* Fails only while the plugin's module is going away. */
	if (!try_module_get(plugin->owner))
		return false;

	attach = kzalloc(sizeof(*attach), GFP_KERNEL);
	if (!attach)
		goto out_put_module;
	attach->plugin = plugin;

	/* Visible to the plugin's probe through mdev_pt_function_*_drvdata(). */
	mutex_lock(&mdev_pt_lock);
	list_add_tail(&attach->node, &fn->plugins);
	mutex_unlock(&mdev_pt_lock);

	if (plugin->probe) {
		ret = plugin->probe(fn, id);
		trace_mdev_pt_plugin_fn_call(plugin, fn, MDEV_PT_OP_PROBE, ret);
		if (ret) {
			if (ret != -ENODEV)
				pci_warn(pdev, "plugin %s failed to probe: %d\n",
					 plugin->name, ret);
			goto out_del;
		}
	}

	pci_dbg(pdev, "plugin %s attached, %u type(s)\n", plugin->name,
		plugin->num_types);
	return true;

out_del:
	mutex_lock(&mdev_pt_lock);
	list_del(&attach->node);
	mutex_unlock(&mdev_pt_lock);
	kfree(attach);
out_put_module:
	module_put(plugin->owner);
	return false;
}

/*
 * Attach every registered plugin that matches; returns how many did.
 * However many there are: under mdev_pt_lock the candidates are counted,
 * then pinned into an array of that size (the list cannot change in
 * between), and called without the lock.
 */
static unsigned int mdev_pt_attach_plugins(struct mdev_pt_function *fn)
{
	struct pci_dev *pdev = mdev_pt_pdev(fn);
	struct mdev_pt_plugin **plugins = NULL;
	struct mdev_pt_plugin *plugin;
	unsigned int n = 0, attached = 0, i;

	lockdep_assert_held(&fn->parent_lock);

	mutex_lock(&mdev_pt_lock);
	list_for_each_entry(plugin, &mdev_pt_plugins, list)
		if (!mdev_pt_find_attach(fn, plugin) &&
		    pci_match_id(plugin->id_table, pdev))
			n++;
	if (n) {
		plugins = kcalloc(n, sizeof(*plugins), GFP_KERNEL);
		if (!plugins) {
			mutex_unlock(&mdev_pt_lock);
			pci_warn(pdev, "no memory to offer the function to %u plugin(s)\n",
				 n);
			return 0;
		}
	}
	n = 0;
	list_for_each_entry(plugin, &mdev_pt_plugins, list)
		if (!mdev_pt_find_attach(fn, plugin) &&
		    pci_match_id(plugin->id_table, pdev) &&
		    try_module_get(plugin->owner))
			plugins[n++] = plugin;
	mutex_unlock(&mdev_pt_lock);

	for (i = 0; i < n; i++) {
		if (mdev_pt_attach_plugin(fn, plugins[i]))
			attached++;
		module_put(plugins[i]->owner);
	}
	kfree(plugins);
	return attached;
}

static void mdev_pt_detach_plugins(struct mdev_pt_function *fn)
{
	struct mdev_pt_attach *attach, *tmp;

	lockdep_assert_held(&fn->parent_lock);

	list_for_each_entry_safe_reverse(attach, tmp, &fn->plugins, node) {
		if (attach->plugin->remove) {
			attach->plugin->remove(fn);
			trace_mdev_pt_plugin_fn_call(attach->plugin, fn,
						     MDEV_PT_OP_REMOVE, 0);
		}
		mutex_lock(&mdev_pt_lock);
		list_del(&attach->node);
		mutex_unlock(&mdev_pt_lock);
		module_put(attach->plugin->owner);
		kfree(attach);
	}
}

/**
 * mdev_pt_function_add() - make a bound function an mdev parent
 * @fn: the function, its vfio device registered
 *
 * With autoload_plugins off, attaches the matching plugins and registers
 * the parent with their types.  With it on, only queues the request for
 * the plugin modules matching the function, without waiting for it: the
 * rereg work registers the parent once, when the request finished and what
 * it loaded is attached, or MDEV_PT_AUTOLOAD_REGISTER after the bind if
 * the request is still running then.
 *
 * Return: 0 or a negative errno; nothing is left behind on failure.
 */
int mdev_pt_function_add(struct mdev_pt_function *fn)
{
	int ret;

	ret = mdev_pt_autoload_prepare(fn);
	if (ret)
		return ret;

	mutex_init(&fn->parent_lock);
	INIT_LIST_HEAD(&fn->plugins);
	INIT_DELAYED_WORK(&fn->rereg_work, mdev_pt_reregister_work);
	/*
	 * Armed before the function is listed: a plugin registering from then
	 * on does not run the work early (see mdev_pt_reregister()).
	 */
	if (fn->autoload)
		queue_delayed_work(system_wq, &fn->rereg_work,
				   MDEV_PT_AUTOLOAD_REGISTER);

	/* Listed first: a plugin registering from now on finds it. */
	mutex_lock(&mdev_pt_notify_lock);
	mutex_lock(&mdev_pt_lock);
	list_add_tail(&fn->node, &mdev_pt_functions);
	mutex_unlock(&mdev_pt_lock);
	mutex_unlock(&mdev_pt_notify_lock);

	if (fn->autoload) {
		/* Listed: what the request loads attaches as usual. */
		mdev_pt_autoload_start(fn);
		return 0;
	}

	mutex_lock(&fn->parent_lock);
	mdev_pt_attach_plugins(fn);
	/* The rereg work of a plugin registering meanwhile may have been first. */
	ret = fn->parent ? 0 : mdev_pt_register_parent(fn);
	if (ret) {
		pci_err(mdev_pt_pdev(fn), "cannot register the mdev parent: %d\n",
			ret);
		fn->dead = true;
		mdev_pt_detach_plugins(fn);
	}
	mutex_unlock(&fn->parent_lock);

	if (ret) {
		mutex_lock(&mdev_pt_notify_lock);
		mutex_lock(&mdev_pt_lock);
		list_del(&fn->node);
		mutex_unlock(&mdev_pt_lock);
		mutex_unlock(&mdev_pt_notify_lock);
		cancel_delayed_work_sync(&fn->rereg_work);
		mutex_destroy(&fn->parent_lock);
	}
	return ret;
}

/**
 * mdev_pt_function_del() - undo mdev_pt_function_add()
 * @fn: the function
 *
 * Removes the function's instance (waiting for its user to close it),
 * unregisters the parent and detaches the plugins.
 */
void mdev_pt_function_del(struct mdev_pt_function *fn)
{
	mdev_pt_autoload_stop(fn);

	mutex_lock(&mdev_pt_notify_lock);
	mutex_lock(&mdev_pt_lock);
	list_del(&fn->node);
	mutex_unlock(&mdev_pt_lock);
	mutex_unlock(&mdev_pt_notify_lock);

	mutex_lock(&fn->parent_lock);
	fn->dead = true;
	mdev_pt_unregister_parent(fn);
	mdev_pt_detach_plugins(fn);
	mutex_unlock(&fn->parent_lock);

	cancel_delayed_work_sync(&fn->rereg_work);
	mutex_destroy(&fn->parent_lock);
}

/**
 * mdev_pt_reregister() - run the rereg work of a function soon
 * @fn: the function
 *
 * Does nothing while the work waits for the function's first registration
 * (its timer is armed): that registration, at the end of the plugin
 * request or at its deadline, attaches every plugin registered by then.
 */
void mdev_pt_reregister(struct mdev_pt_function *fn)
{
	queue_delayed_work(system_wq, &fn->rereg_work, 0);
}

/*
 * Register the parent the first time, with every plugin attached that
 * matches, once the function's plugin request finished (or at its
 * deadline).  Later, attach plugins that registered after that and
 * register the parent again with their types once the function is idle.
 * Queued by a plugin's registration, by the removal of the instance that
 * held the function back, and by the end of the function's plugin request,
 * which the run that sees it finished reports done.
 */
void mdev_pt_reregister_work(struct work_struct *work)
{
	struct mdev_pt_function *fn = container_of(to_delayed_work(work),
						   struct mdev_pt_function,
						   rereg_work);
	struct pci_dev *pdev = mdev_pt_pdev(fn);
	enum mdev_pt_autoload_state autoload;
	bool now;
	int ret;

	autoload = mdev_pt_autoload_state(fn);

	mutex_lock(&fn->parent_lock);
	if (fn->dead) {
		mutex_unlock(&fn->parent_lock);
		return;
	}

	if (!fn->parent) {
		if (autoload == MDEV_PT_AUTOLOAD_REQUESTED)
			pci_warn(pdev, "plugin request still running after %u s, registering the types of the plugins loaded so far\n",
				 jiffies_to_msecs(MDEV_PT_AUTOLOAD_REGISTER) / 1000);
		/* Nothing to hold back: no instance without a parent. */
		mdev_pt_attach_plugins(fn);
		ret = mdev_pt_register_parent(fn);
		if (ret)
			pci_err(pdev, "cannot register the mdev parent: %d\n",
				ret);
		goto out_unlock;
	}

	mutex_lock(&fn->lease_lock);
	if (mdev_pt_attach_plugins(fn))
		fn->rereg_pending = true;
	now = fn->rereg_pending && !fn->instance;
	fn->reregistering = now;
	mutex_unlock(&fn->lease_lock);

	if (!now) {
		if (fn->rereg_pending)
			pci_info(pdev, "new types appear once the instance is removed\n");
		goto out_unlock;
	}

	mdev_pt_unregister_parent(fn);
	ret = mdev_pt_register_parent(fn);
	if (ret)
		pci_err(pdev, "cannot register the mdev parent again: %d\n", ret);

	mutex_lock(&fn->lease_lock);
	fn->reregistering = false;
	fn->rereg_pending = false;
	mutex_unlock(&fn->lease_lock);

out_unlock:
	mutex_unlock(&fn->parent_lock);
	if (autoload == MDEV_PT_AUTOLOAD_ATTACHING)
		mdev_pt_autoload_done(fn);
}

/**
 * mdev_pt_controlling_gone() - tell a VF's plugins that its PF went away
 * @fn: the function, a VF
 * @why: what happened, for the message
 *
 * Once per binding.  From then on the instances of the types of plugins
 * with &mdev_pt_plugin.controlling_gone are refused every device call,
 * data file access and creation with -ENOTCONN (their plugin gate closes),
 * and the plugins are told once the paths in flight are over, so they are
 * never asked to touch the PF again.
 */
void mdev_pt_controlling_gone(struct mdev_pt_function *fn, const char *why)
{
	struct pci_dev *pdev = mdev_pt_pdev(fn);
	struct mdev_pt_attach *attach;
	bool close_gate;

	mutex_lock(&fn->parent_lock);
	if (fn->dead || fn->controlling_gone)
		goto out_unlock;

	mutex_lock(&fn->lease_lock);
	fn->controlling_gone = true;
	close_gate = mdev_pt_inst_depends(fn->instance);
	mutex_unlock(&fn->lease_lock);
	/* Waits for the paths in the plugin of the instance, if it depends. */
	if (close_gate)
		mdev_pt_gate_close(fn);

	pci_info(pdev, "controlling function %s gone: %s\n",
		 pci_name(pci_physfn(pdev)), why);
	list_for_each_entry(attach, &fn->plugins, node) {
		if (attach->plugin->controlling_gone) {
			attach->plugin->controlling_gone(fn);
			trace_mdev_pt_plugin_fn_call(attach->plugin, fn,
						     MDEV_PT_OP_CONTROLLING_GONE,
						     0);
		}
	}
out_unlock:
	mutex_unlock(&fn->parent_lock);
}

/**
 * mdev_pt_pf_unbound() - a PF is being unbound from its driver
 * @pf: the PF
 *
 * Called from the PCI bus notifier before the PF's driver's remove(), with
 * the PF's device lock held.
 */
void mdev_pt_pf_unbound(struct pci_dev *pf)
{
	struct mdev_pt_function *fn;
	struct pci_dev *pdev;

	mutex_lock(&mdev_pt_notify_lock);
	list_for_each_entry(fn, &mdev_pt_functions, node) {
		pdev = mdev_pt_pdev(fn);
		if (pdev->is_virtfn && pci_physfn(pdev) == pf)
			mdev_pt_controlling_gone(fn, "PF unbound from its driver");
	}
	mutex_unlock(&mdev_pt_notify_lock);
}

static bool mdev_pt_name_valid(const char *name)
{
	const char *c;

	if (!name || !*name || !strchr(name, '-') || strlen(name) > 64)
		return false;
	for (c = name; *c; c++)
		if (!islower(*c) && !isdigit(*c) && *c != '-' && *c != '_')
			return false;
	return true;
}

static int mdev_pt_validate_region(const struct mdev_pt_region *region)
{
	u32 known = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE |
		    VFIO_REGION_INFO_FLAG_MMAP;

	if (!region->size || (region->flags & ~known) || !region->flags)
		return -EINVAL;
	if ((region->flags & (VFIO_REGION_INFO_FLAG_READ |
			      VFIO_REGION_INFO_FLAG_WRITE)) && !region->rw)
		return -EINVAL;
	if ((region->flags & VFIO_REGION_INFO_FLAG_MMAP) &&
	    (!region->mmap || !PAGE_ALIGNED(region->size)))
		return -EINVAL;
	return 0;
}

static int mdev_pt_validate_traps(const struct mdev_pt_type *type)
{
	const struct mdev_pt_trap *a, *b;
	unsigned int i, j;

	for (i = 0; i < type->num_traps; i++) {
		a = &type->traps[i];
		if (a->bar > PCI_STD_RESOURCE_END || !a->size ||
		    a->offset + a->size < a->offset)
			return -EINVAL;
		for (j = 0; j < i; j++) {
			b = &type->traps[j];
			if (a->bar == b->bar && a->offset < b->offset + b->size &&
			    b->offset < a->offset + a->size)
				return -EINVAL;
		}
	}
	if (type->num_traps && (!type->ops || !type->ops->trap_rw))
		return -EINVAL;
	return 0;
}

static int mdev_pt_validate_migration(const struct mdev_pt_type *type)
{
	const struct mdev_pt_migration_ops *ops = type->migration;
	const char *compat = type->migration_compat;
	const char *c;

	if (!ops)
		return compat ? -EINVAL : 0;
	if (!ops->stop || !ops->resume || !ops->save_pending || !ops->save ||
	    !ops->load || (ops->flags & ~MDEV_PT_MIG_PRE_COPY))
		return -EINVAL;
	/* RUNNING_P2P needs both ways. */
	if (!ops->quiesce != !ops->unquiesce)
		return -EINVAL;
	if (!compat || !*compat || strlen(compat) > MDEV_PT_MIG_NAME_MAX)
		return -EINVAL;
	for (c = compat; *c; c++)
		if (!isprint(*c))
			return -EINVAL;
	return 0;
}

static int mdev_pt_validate_dirty(const struct mdev_pt_type *type)
{
	const struct mdev_pt_dirty_ops *ops = type->dirty;

	if (!ops)
		return 0;
	if (!type->migration || !ops->start || !ops->stop || !ops->report ||
	    !ops->max_ranges || ops->max_ranges > MDEV_PT_DIRTY_MAX_RANGES)
		return -EINVAL;
	return 0;
}

static int mdev_pt_validate_type(const struct mdev_pt_plugin *plugin,
				 const struct mdev_pt_type *type)
{
	unsigned int i;

	if (!mdev_pt_name_valid(type->sysfs_name)) {
		pr_err("mdev_pt: plugin %s: type name \"%s\" must be lower-case letters, digits, '-' and '_' with a vendor prefix\n",
		       plugin->name, type->sysfs_name ?: "");
		return -EINVAL;
	}
	if (type->num_regions > MDEV_PT_MAX_REGIONS ||
	    type->num_irqs > MDEV_PT_MAX_IRQS ||
	    type->num_traps > MDEV_PT_MAX_TRAPS ||
	    (type->num_regions && !type->regions) ||
	    (type->num_irqs && !type->irqs) ||
	    (type->num_traps && !type->traps)) {
		pr_err("mdev_pt: plugin %s: type %s: too many or missing regions, IRQs or traps\n",
		       plugin->name, type->sysfs_name);
		return -EINVAL;
	}
	for (i = 0; i < type->num_regions; i++) {
		if (mdev_pt_validate_region(&type->regions[i])) {
			pr_err("mdev_pt: plugin %s: type %s: region %u: inconsistent size, flags or ops\n",
			       plugin->name, type->sysfs_name, i);
			return -EINVAL;
		}
	}
	for (i = 0; i < type->num_irqs; i++) {
		if (!type->irqs[i].count || type->irqs[i].count > 32 ||
		    (type->irqs[i].flags & ~VFIO_IRQ_INFO_MASKABLE)) {
			pr_err("mdev_pt: plugin %s: type %s: IRQ %u: count must be 1-32, flags only MASKABLE\n",
			       plugin->name, type->sysfs_name, i);
			return -EINVAL;
		}
	}
	if (mdev_pt_validate_traps(type)) {
		pr_err("mdev_pt: plugin %s: type %s: traps must be in BARs 0-5, not overlap, and have trap_rw\n",
		       plugin->name, type->sysfs_name);
		return -EINVAL;
	}
	if (mdev_pt_validate_migration(type)) {
		pr_err("mdev_pt: plugin %s: type %s: migration needs stop, resume, save_pending, save and load, quiesce and unquiesce both or neither, and a printable migration_compat of 1-%u bytes\n",
		       plugin->name, type->sysfs_name, MDEV_PT_MIG_NAME_MAX);
		return -EINVAL;
	}
	if (mdev_pt_validate_dirty(type)) {
		pr_err("mdev_pt: plugin %s: type %s: dirty tracking needs migration, start, stop and report, and max_ranges of 1-%u\n",
		       plugin->name, type->sysfs_name, MDEV_PT_DIRTY_MAX_RANGES);
		return -EINVAL;
	}
	if (type->attrs && (!type->attrs->name ||
			    strcmp(type->attrs->name, "vendor"))) {
		pr_err("mdev_pt: plugin %s: type %s: the attribute group must be named \"vendor\"\n",
		       plugin->name, type->sysfs_name);
		return -EINVAL;
	}
	return 0;
}

static int mdev_pt_validate_plugin(const struct mdev_pt_plugin *plugin)
{
	unsigned int i, j;
	int ret;

	if (!plugin->name || !plugin->owner || !plugin->id_table ||
	    !plugin->types || !plugin->num_types) {
		pr_err("mdev_pt: plugin %s: name, owner, id_table and types are required\n",
		       plugin->name ?: "(unnamed)");
		return -EINVAL;
	}
	for (i = 0; i < plugin->num_types; i++) {
		ret = mdev_pt_validate_type(plugin, &plugin->types[i]);
		if (ret)
			return ret;
		for (j = 0; j < i; j++) {
			if (!strcmp(plugin->types[i].sysfs_name,
				    plugin->types[j].sysfs_name)) {
				pr_err("mdev_pt: plugin %s: type %s declared twice\n",
				       plugin->name, plugin->types[i].sysfs_name);
				return -EINVAL;
			}
		}
	}
	return 0;
}

/* Say which types this kernel leaves without dirty tracking. */
static void mdev_pt_warn_no_dirty(const struct mdev_pt_plugin *plugin)
{
	unsigned int i;

	if (mdev_pt_dirty_supported())
		return;
	for (i = 0; i < plugin->num_types; i++)
		if (plugin->types[i].dirty)
			pr_warn("mdev_pt: plugin %s: type %s: no device dirty tracking, vfio core of this kernel cannot report dirty pages (built without CONFIG_IOMMUFD_DRIVER): QEMU 8.1 and later migrate its instances only with enable-migration=on\n",
				plugin->name, plugin->types[i].sysfs_name);
}

/**
 * mdev_pt_register_plugin() - register a vendor plugin
 * @plugin: the plugin, which must stay valid until unregistered
 *
 * Checks the plugin's description (see &struct mdev_pt_plugin) and offers it
 * every function bound now or later.  Functions bound before the plugin
 * registered pick it up asynchronously.
 *
 * Return: 0, -EINVAL for an inconsistent plugin, -EEXIST if a plugin of
 * that name is registered.
 */
int mdev_pt_register_plugin(struct mdev_pt_plugin *plugin)
{
	struct mdev_pt_function *fn;
	struct mdev_pt_plugin *p;
	int ret;

	ret = mdev_pt_validate_plugin(plugin);
	if (ret)
		return ret;

	mutex_lock(&mdev_pt_lock);
	list_for_each_entry(p, &mdev_pt_plugins, list) {
		if (!strcmp(p->name, plugin->name)) {
			pr_err("mdev_pt: plugin %s is registered already\n",
			       plugin->name);
			ret = -EEXIST;
			goto out_unlock;
		}
	}
	list_add_tail(&plugin->list, &mdev_pt_plugins);

	/* Never take a function's locks here: see mdev_pt_pci_probe(). */
	list_for_each_entry(fn, &mdev_pt_functions, node)
		if (pci_match_id(plugin->id_table, mdev_pt_pdev(fn)))
			mdev_pt_reregister(fn);
	pr_info("mdev_pt: plugin %s registered\n", plugin->name);
	mdev_pt_warn_no_dirty(plugin);
out_unlock:
	mutex_unlock(&mdev_pt_lock);
	return ret;
}
EXPORT_SYMBOL_GPL(mdev_pt_register_plugin);

/**
 * mdev_pt_unregister_plugin() - unregister a vendor plugin
 * @plugin: the plugin
 *
 * Called from the plugin's module exit, which can only run once no
 * function holds the plugin (each attached function pins its module).
 */
void mdev_pt_unregister_plugin(struct mdev_pt_plugin *plugin)
{
	struct mdev_pt_function *fn;

	mutex_lock(&mdev_pt_lock);
	list_del(&plugin->list);
	list_for_each_entry(fn, &mdev_pt_functions, node)
		WARN_ON(mdev_pt_find_attach(fn, plugin));
	mutex_unlock(&mdev_pt_lock);
	pr_info("mdev_pt: plugin %s unregistered\n", plugin->name);
}
EXPORT_SYMBOL_GPL(mdev_pt_unregister_plugin);

struct pci_dev *mdev_pt_function_pdev(struct mdev_pt_function *fn)
{
	return mdev_pt_pdev(fn);
}
EXPORT_SYMBOL_GPL(mdev_pt_function_pdev);

struct pci_dev *mdev_pt_function_controlling_pdev(struct mdev_pt_function *fn)
{
	return pci_physfn(mdev_pt_pdev(fn));
}
EXPORT_SYMBOL_GPL(mdev_pt_function_controlling_pdev);

void mdev_pt_function_set_drvdata(struct mdev_pt_function *fn,
				  const struct mdev_pt_plugin *plugin,
				  void *data)
{
	struct mdev_pt_attach *attach;

	mutex_lock(&mdev_pt_lock);
	attach = mdev_pt_find_attach(fn, plugin);
	if (!WARN_ON(!attach))
		attach->drvdata = data;
	mutex_unlock(&mdev_pt_lock);
}
EXPORT_SYMBOL_GPL(mdev_pt_function_set_drvdata);

void *mdev_pt_function_get_drvdata(struct mdev_pt_function *fn,
				   const struct mdev_pt_plugin *plugin)
{
	struct mdev_pt_attach *attach;
	void *data = NULL;

	mutex_lock(&mdev_pt_lock);
	attach = mdev_pt_find_attach(fn, plugin);
	if (attach)
		data = attach->drvdata;
	mutex_unlock(&mdev_pt_lock);
	return data;
}
EXPORT_SYMBOL_GPL(mdev_pt_function_get_drvdata);
