// SPDX-License-Identifier: GPL-2.0-only
/*
 * mdev-pt: plugin autoload.
 *
 * Binding a function requests the module alias built from its IDs, so that
 * an installed plugin for it loads on demand.  The request runs modprobe in
 * user space and waits for it: a few milliseconds on a real host, hundreds
 * in an emulated one, for every bind.  So probe only queues the request,
 * and the function registers as mdev parent once it finished, with the
 * types of every plugin registered by then: the mdev core's sysfs for the
 * types is made once, out of the bind, and user space sees one
 * MDEV_STATE=registered uevent with the final types.  A plugin registering
 * later attaches all the same (its rereg work registers the parent again,
 * see mdev_pt_reregister_work()); a request that does not finish within
 * MDEV_PT_AUTOLOAD_REGISTER of the bind is not waited for any longer.
 *
 * - One &struct mdev_pt_autoload per alias, created on the first bind and
 *   kept until module exit, runs the requests for every function with
 *   these IDs from its work item.  A bind queues the work: binds while it
 *   waits to run share one request, and a bind while it runs queues it
 *   once more.  Every bind is thus followed by a request that started
 *   after it, and sees the modules installed by then, and an alias never
 *   has more than one request running and one waiting.
 * - The work waits until no function with these IDs was bound for
 *   MDEV_PT_AUTOLOAD_SETTLE, but not longer than MDEV_PT_AUTOLOAD_MAX
 *   after the first bind it serves: binding the VFs of a PF one after the
 *   other costs one modprobe run, not one per VF, and none runs beside
 *   the binds.
 * - The function waits on its alias's list until such a request finished;
 *   then its rereg work attaches what the request loaded and registers the
 *   parent, and marks the autoload done, which user space sees in the
 *   function's mdev_pt_autoload attribute.
 * - The request holds no function: unbind takes the function off the list
 *   and cancels its rereg work, without waiting for modprobe.  Module exit
 *   waits for the requests still running, which are this module's code.
 *
 * mdev_pt_autoload_lock protects the list of aliases, each alias's waiters
 * and counters, and every function's autoload state.  It is taken last:
 * nothing is called under it but the queueing of work.
 */

#include <linux/kmod.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/sysfs.h>

#include "mdev_pt_priv.h"

/*
 * A request waits for the binds of a burst, as long as they come within
 * MDEV_PT_AUTOLOAD_SETTLE of each other (a bind takes about a millisecond),
 * but starts at most MDEV_PT_AUTOLOAD_MAX after the first of them.
 */
#define MDEV_PT_AUTOLOAD_SETTLE	msecs_to_jiffies(50)
#define MDEV_PT_AUTOLOAD_MAX	msecs_to_jiffies(1000)

static bool autoload_plugins = true;
module_param(autoload_plugins, bool, 0644);
MODULE_PARM_DESC(autoload_plugins,
		 "Request the plugin modules matching a function when it binds, in the background (default: on); the function's mdev_pt_autoload attribute reads \"done\" once they are attached. Turn it off when the plugins are loaded ahead of binding.");

/**
 * struct mdev_pt_autoload - the plugin requests for one module alias
 * @node: entry in mdev_pt_autoloads
 * @work: runs one request; (re)armed by every bind of a function with @alias
 * @waiters: functions bound since the last request started, and those
 *	waiting for the running one, through
 *	&mdev_pt_function.autoload_node
 * @wanted: number of the request the latest bind waits for
 * @started: number of the latest request started
 * @first: when the first bind waiting for request @wanted came, in jiffies
 * @alias: "mdev_pt:v...d...sv...sd...bc..sc.."
 *
 * All but @work and @alias are protected by mdev_pt_autoload_lock.
 */
struct mdev_pt_autoload {
	struct list_head node;
	struct delayed_work work;
	struct list_head waiters;
	unsigned long wanted;
	unsigned long started;
	unsigned long first;
	char alias[MODULE_NAME_LEN];
};

static DEFINE_MUTEX(mdev_pt_autoload_lock);
static LIST_HEAD(mdev_pt_autoloads);	/* protected by mdev_pt_autoload_lock */

static void mdev_pt_autoload_work(struct work_struct *work)
{
	struct mdev_pt_autoload *al = container_of(to_delayed_work(work),
						   struct mdev_pt_autoload,
						   work);
	struct mdev_pt_function *fn, *tmp;
	unsigned long run;
	int ret;

	mutex_lock(&mdev_pt_autoload_lock);
	/* Queued again while it ran, for binds that run served already. */
	if (al->started == al->wanted) {
		mutex_unlock(&mdev_pt_autoload_lock);
		return;
	}
	run = al->wanted;
	al->started = run;
	mutex_unlock(&mdev_pt_autoload_lock);

	ret = request_module("%s", al->alias);
	if (ret)
		pr_debug("mdev_pt: no plugin module loaded for %s: %d\n",
			 al->alias, ret);

	mutex_lock(&mdev_pt_autoload_lock);
	list_for_each_entry_safe(fn, tmp, &al->waiters, autoload_node) {
		if (fn->autoload_need > run)
			continue;
		list_del_init(&fn->autoload_node);
		fn->autoload_state = MDEV_PT_AUTOLOAD_ATTACHING;
		/* Now, rather than at the deadline of the first registration. */
		mod_delayed_work(system_wq, &fn->rereg_work, 0);
	}
	mutex_unlock(&mdev_pt_autoload_lock);
}

/**
 * mdev_pt_autoload_prepare() - set up the plugin autoload of a function
 * @fn: the function, being bound
 *
 * Finds the function's alias, or adds it, unless autoload_plugins is off.
 * Nothing is requested yet: see mdev_pt_autoload_start().
 *
 * Return: 0 or -ENOMEM.
 */
int mdev_pt_autoload_prepare(struct mdev_pt_function *fn)
{
	struct pci_dev *pdev = mdev_pt_pdev(fn);
	char alias[MODULE_NAME_LEN];
	struct mdev_pt_autoload *al;
	int ret = 0;

	INIT_LIST_HEAD(&fn->autoload_node);
	fn->autoload = NULL;
	fn->autoload_state = MDEV_PT_AUTOLOAD_OFF;
	if (!READ_ONCE(autoload_plugins))
		return 0;

	/*
	 * A "pci:" modalias without the programming interface, which would
	 * not fit in a module name behind the "mdev_pt:" prefix.
	 */
	snprintf(alias, sizeof(alias),
		 "mdev_pt:v%08Xd%08Xsv%08Xsd%08Xbc%02Xsc%02X",
		 pdev->vendor, pdev->device, pdev->subsystem_vendor,
		 pdev->subsystem_device, (u8)(pdev->class >> 16),
		 (u8)(pdev->class >> 8));

	mutex_lock(&mdev_pt_autoload_lock);
	list_for_each_entry(al, &mdev_pt_autoloads, node)
		if (!strcmp(al->alias, alias))
			goto out_found;

	al = kzalloc(sizeof(*al), GFP_KERNEL);
	if (!al) {
		ret = -ENOMEM;
		goto out_unlock;
	}
	INIT_DELAYED_WORK(&al->work, mdev_pt_autoload_work);
	INIT_LIST_HEAD(&al->waiters);
	strscpy(al->alias, alias, sizeof(al->alias));
	list_add_tail(&al->node, &mdev_pt_autoloads);
out_found:
	fn->autoload = al;
out_unlock:
	mutex_unlock(&mdev_pt_autoload_lock);
	return ret;
}

/**
 * mdev_pt_autoload_start() - request the plugins of a function
 * @fn: the function, listed
 *
 * Queues a request for the function's alias, never waiting for it.
 */
void mdev_pt_autoload_start(struct mdev_pt_function *fn)
{
	struct mdev_pt_autoload *al = fn->autoload;
	unsigned long now = jiffies, deadline;

	if (!al)
		return;

	mutex_lock(&mdev_pt_autoload_lock);
	if (al->wanted == al->started) {
		/* The first bind waiting for the next request. */
		al->wanted = al->started + 1;
		al->first = now;
	}
	fn->autoload_need = al->wanted;
	fn->autoload_state = MDEV_PT_AUTOLOAD_REQUESTED;
	list_add_tail(&fn->autoload_node, &al->waiters);

	deadline = al->first + MDEV_PT_AUTOLOAD_MAX;
	mod_delayed_work(system_unbound_wq, &al->work,
			 time_before(now + MDEV_PT_AUTOLOAD_SETTLE, deadline) ?
			 MDEV_PT_AUTOLOAD_SETTLE :
			 time_before(now, deadline) ? deadline - now : 0);
	mutex_unlock(&mdev_pt_autoload_lock);
}

/**
 * mdev_pt_autoload_stop() - forget the request of a function being unbound
 * @fn: the function
 *
 * From now on no request queues the function's rereg work; one queued
 * already is the caller's to cancel.
 */
void mdev_pt_autoload_stop(struct mdev_pt_function *fn)
{
	mutex_lock(&mdev_pt_autoload_lock);
	list_del_init(&fn->autoload_node);
	mutex_unlock(&mdev_pt_autoload_lock);
}

/**
 * mdev_pt_autoload_state() - where the function's plugin autoload stands
 * @fn: the function, from its rereg work
 *
 * Return: the function's &enum mdev_pt_autoload_state:
 * MDEV_PT_AUTOLOAD_ATTACHING if the request the function waited for
 * finished and its plugins are to be attached by this run of the rereg
 * work (a run that started after every plugin the request loaded had
 * registered); MDEV_PT_AUTOLOAD_REQUESTED if the request is still to
 * finish; MDEV_PT_AUTOLOAD_DONE once a run attached them;
 * MDEV_PT_AUTOLOAD_OFF if autoload_plugins was off at bind.
 */
enum mdev_pt_autoload_state mdev_pt_autoload_state(struct mdev_pt_function *fn)
{
	enum mdev_pt_autoload_state state;

	mutex_lock(&mdev_pt_autoload_lock);
	state = fn->autoload_state;
	mutex_unlock(&mdev_pt_autoload_lock);
	return state;
}

/**
 * mdev_pt_autoload_done() - the function's plugins are attached
 * @fn: the function, from the rereg work run that attached them
 *
 * Its types are registered too, unless an instance holds the function:
 * then the types of plugins that came after the first registration follow
 * once the instance is removed.
 */
void mdev_pt_autoload_done(struct mdev_pt_function *fn)
{
	mutex_lock(&mdev_pt_autoload_lock);
	fn->autoload_state = MDEV_PT_AUTOLOAD_DONE;
	mutex_unlock(&mdev_pt_autoload_lock);
	sysfs_notify(&mdev_pt_pdev(fn)->dev.kobj, NULL, "mdev_pt_autoload");
}

/**
 * mdev_pt_autoload_exit() - wait for the requests still running and free
 *
 * Called from module exit (or a failed init) once no function is bound,
 * so that nothing queues a request any more.  A request running meanwhile
 * cannot load a plugin: plugins link against this module, which is going.
 */
void mdev_pt_autoload_exit(void)
{
	struct mdev_pt_autoload *al, *tmp;
	LIST_HEAD(aliases);

	mutex_lock(&mdev_pt_autoload_lock);
	list_splice_init(&mdev_pt_autoloads, &aliases);
	mutex_unlock(&mdev_pt_autoload_lock);

	list_for_each_entry_safe(al, tmp, &aliases, node) {
		cancel_delayed_work_sync(&al->work);
		WARN_ON(!list_empty(&al->waiters));
		list_del(&al->node);
		kfree(al);
	}
}

static ssize_t mdev_pt_autoload_show(struct device *dev,
				     struct device_attribute *attr, char *buf)
{
	struct vfio_pci_core_device *core_device = dev_get_drvdata(dev);
	struct mdev_pt_function *fn = mdev_pt_from_vdev(&core_device->vdev);
	enum mdev_pt_autoload_state state;

	mutex_lock(&mdev_pt_autoload_lock);
	state = fn->autoload_state;
	mutex_unlock(&mdev_pt_autoload_lock);

	switch (state) {
	case MDEV_PT_AUTOLOAD_OFF:
		return sysfs_emit(buf, "off\n");
	case MDEV_PT_AUTOLOAD_DONE:
		return sysfs_emit(buf, "done\n");
	default:
		return sysfs_emit(buf, "pending\n");
	}
}
static DEVICE_ATTR_RO(mdev_pt_autoload);

static struct attribute *mdev_pt_dev_attrs[] = {
	&dev_attr_mdev_pt_autoload.attr,
	NULL
};

static const struct attribute_group mdev_pt_dev_group = {
	.attrs = mdev_pt_dev_attrs,
};

const struct attribute_group *mdev_pt_dev_groups[] = {
	&mdev_pt_dev_group,
	NULL
};
