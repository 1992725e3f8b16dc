// SPDX-License-Identifier: GPL-2.0-only
/*
 * mdev-pt: the health of an instance.
 *
 * An instance is "ok" unless one of the conditions of enum
 * mdev_pt_health_state holds: its migration failed, the PCI core reported
 * an error of its function, or the controlling function its plugin depends
 * on went away.  It shows the most severe in its sysfs attribute "health",
 * and every change of what it shows is announced by a KOBJ_CHANGE uevent
 * of the mdev device with MDEV_PT_HEALTH=<state> in its environment (and
 * the mdev_pt_health tracepoint); the creation of an instance announces
 * its first state the same way.  The PCI errors are counted for the
 * instance (sysfs pci_errors/) and for the function's binding (debugfs).
 *
 * The conditions belong to the function, for the instance holding its
 * lease, so that the paths that set and clear them (the PCI error
 * handler, the migration core, the plugin gate, the device's open and
 * reset) need nothing but the function.  Taking the lease clears them.
 *
 * Locking: fn->health.lock serializes the changes and their uevents, so
 * the events go out in the order of the changes and the last one carries
 * the state the instance shows.  It is taken after the lease lock and the
 * migration state mutex and never before them, in process context only
 * (kobject_uevent_env() sleeps; the PCI core calls the error handler from
 * its recovery thread).
 */

#include <linux/bitops.h>
#include <linux/kobject.h>
#include <linux/sysfs.h>

#include "mdev_pt_priv.h"
#include "mdev_pt_trace.h"

/* The values of the health attribute and of MDEV_PT_HEALTH: ABI. */
static const char * const mdev_pt_health_names[MDEV_PT_HEALTH_NR] = {
	[MDEV_PT_HEALTH_OK]			= "ok",
	[MDEV_PT_HEALTH_MIGRATION_FAILED]	= "migration-failed",
	[MDEV_PT_HEALTH_DEVICE_ERROR]		= "device-error",
	[MDEV_PT_HEALTH_CONTROLLING_GONE]	= "controlling-function-lost",
};

/* The names of the pci_errors/ attributes. */
static const char * const mdev_pt_pci_error_names[MDEV_PT_PCI_ERR_NR] = {
	[MDEV_PT_PCI_ERR_NONFATAL]	= "nonfatal",
	[MDEV_PT_PCI_ERR_FATAL]		= "fatal",
	[MDEV_PT_PCI_ERR_PERM_FAILURE]	= "perm_failure",
};

const char *mdev_pt_pci_error_name(enum mdev_pt_pci_error kind)
{
	return mdev_pt_pci_error_names[kind];
}

void mdev_pt_health_init(struct mdev_pt_function *fn)
{
	mutex_init(&fn->health.lock);
}

void mdev_pt_health_destroy(struct mdev_pt_function *fn)
{
	mutex_destroy(&fn->health.lock);
}

/* The most severe condition that holds. */
static enum mdev_pt_health_state mdev_pt_health_state(struct mdev_pt_health *h)
{
	lockdep_assert_held(&h->lock);

	return h->conditions ? __fls(h->conditions) : MDEV_PT_HEALTH_OK;
}

static void mdev_pt_health_uevent(struct mdev_pt_instance *inst,
				  enum mdev_pt_health_state state)
{
	char env[sizeof("MDEV_PT_HEALTH=controlling-function-lost")];
	char *envp[2];
	int ret;

	snprintf(env, sizeof(env), "MDEV_PT_HEALTH=%s",
		 mdev_pt_health_names[state]);
	envp[0] = env;
	envp[1] = NULL;
	ret = kobject_uevent_env(&inst->mdev->dev.kobj, KOBJ_CHANGE, envp);
	if (ret)
		dev_dbg(&inst->mdev->dev, "health uevent not sent: %d\n", ret);
}

/* Announce what the instance shows now, if that changed. */
static void mdev_pt_health_update(struct mdev_pt_health *h)
{
	enum mdev_pt_health_state state = mdev_pt_health_state(h);
	struct mdev_pt_instance *inst = h->inst;

	lockdep_assert_held(&h->lock);

	if (!inst || state == h->shown)
		return;

	trace_mdev_pt_health(inst, h->shown, state);
	if (state == MDEV_PT_HEALTH_OK)
		dev_info(&inst->mdev->dev, "health: %s, was %s\n",
			 mdev_pt_health_names[state],
			 mdev_pt_health_names[h->shown]);
	else
		dev_warn(&inst->mdev->dev, "health: %s\n",
			 mdev_pt_health_names[state]);
	h->shown = state;
	mdev_pt_health_uevent(inst, state);
}

/**
 * mdev_pt_health_claim() - an instance takes the lease
 * @fn: the function, its lease lock held
 *
 * The new instance starts without conditions and PCI error counts.
 */
void mdev_pt_health_claim(struct mdev_pt_function *fn)
{
	struct mdev_pt_health *h = &fn->health;

	lockdep_assert_held(&fn->lease_lock);

	mutex_lock(&h->lock);
	WARN_ON(h->inst);
	h->conditions = 0;
	h->shown = MDEV_PT_HEALTH_OK;
	memset(h->errors, 0, sizeof(h->errors));
	mutex_unlock(&h->lock);
}

/**
 * mdev_pt_health_announce() - the instance is created: start telling it
 * @inst: the instance, holding the lease
 *
 * Sends the first KOBJ_CHANGE uevent with the state it shows, usually ok.
 */
void mdev_pt_health_announce(struct mdev_pt_instance *inst)
{
	struct mdev_pt_health *h = &inst->fn->health;

	mutex_lock(&h->lock);
	h->inst = inst;
	h->shown = mdev_pt_health_state(h);
	mdev_pt_health_uevent(inst, h->shown);
	mutex_unlock(&h->lock);
}

/**
 * mdev_pt_health_withdraw() - the instance is going: stop telling it
 * @inst: the instance
 */
void mdev_pt_health_withdraw(struct mdev_pt_instance *inst)
{
	struct mdev_pt_health *h = &inst->fn->health;

	mutex_lock(&h->lock);
	h->inst = NULL;
	mutex_unlock(&h->lock);
}

/**
 * mdev_pt_health_set() - a condition holds for the instance holding the lease
 * @fn: the function
 * @cond: the condition, not MDEV_PT_HEALTH_OK
 */
void mdev_pt_health_set(struct mdev_pt_function *fn,
			enum mdev_pt_health_state cond)
{
	struct mdev_pt_health *h = &fn->health;

	if (WARN_ON(cond == MDEV_PT_HEALTH_OK || cond >= MDEV_PT_HEALTH_NR))
		return;

	mutex_lock(&h->lock);
	__set_bit(cond, &h->conditions);
	mdev_pt_health_update(h);
	mutex_unlock(&h->lock);
}

/**
 * mdev_pt_health_clear() - a condition no longer holds
 * @fn: the function
 * @cond: the condition, not MDEV_PT_HEALTH_OK
 */
void mdev_pt_health_clear(struct mdev_pt_function *fn,
			  enum mdev_pt_health_state cond)
{
	struct mdev_pt_health *h = &fn->health;

	if (WARN_ON(cond == MDEV_PT_HEALTH_OK || cond >= MDEV_PT_HEALTH_NR))
		return;

	mutex_lock(&h->lock);
	__clear_bit(cond, &h->conditions);
	mdev_pt_health_update(h);
	mutex_unlock(&h->lock);
}

/**
 * mdev_pt_health_get() - the health of the instance holding the lease
 * @fn: the function
 *
 * Return: the most severe condition that holds, MDEV_PT_HEALTH_OK if none.
 */
enum mdev_pt_health_state mdev_pt_health_get(struct mdev_pt_function *fn)
{
	enum mdev_pt_health_state state;

	mutex_lock(&fn->health.lock);
	state = mdev_pt_health_state(&fn->health);
	mutex_unlock(&fn->health.lock);
	return state;
}

/**
 * mdev_pt_health_fn_errors() - the PCI errors of the function's binding
 * @fn: the function
 * @errors: where to put them, by &enum mdev_pt_pci_error
 */
void mdev_pt_health_fn_errors(struct mdev_pt_function *fn,
			      u64 errors[MDEV_PT_PCI_ERR_NR])
{
	mutex_lock(&fn->health.lock);
	memcpy(errors, fn->health.fn_errors, sizeof(fn->health.fn_errors));
	mutex_unlock(&fn->health.lock);
}

/**
 * mdev_pt_pci_error_detected() - the PCI core reports an error of the function
 * @pdev: the function
 * @state: pci_channel_io_normal for a non-fatal error, _frozen for a fatal
 *	one, _perm_failure when the recovery failed
 *
 * The &pci_error_handlers.error_detected of mdev_pt: counts the error, puts
 * the instance holding the lease in device-error and hands on to
 * vfio_pci_core, which signals the user's error eventfd
 * (VFIO_PCI_ERR_IRQ_INDEX).  Called with the function's device lock held.
 *
 * Return: what vfio_pci_core returns, PCI_ERS_RESULT_CAN_RECOVER.
 */
pci_ers_result_t mdev_pt_pci_error_detected(struct pci_dev *pdev,
					    pci_channel_state_t state)
{
	struct vfio_pci_core_device *core_device = dev_get_drvdata(&pdev->dev);
	struct mdev_pt_function *fn = mdev_pt_from_vdev(&core_device->vdev);
	struct mdev_pt_health *h = &fn->health;
	enum mdev_pt_pci_error kind;

	if (state == pci_channel_io_frozen)
		kind = MDEV_PT_PCI_ERR_FATAL;
	else if (state == pci_channel_io_perm_failure)
		kind = MDEV_PT_PCI_ERR_PERM_FAILURE;
	else
		kind = MDEV_PT_PCI_ERR_NONFATAL;

	trace_mdev_pt_pci_error(fn, kind);

	mutex_lock(&h->lock);
	h->fn_errors[kind]++;
	h->errors[kind]++;
	__set_bit(MDEV_PT_HEALTH_DEVICE_ERROR, &h->conditions);
	mdev_pt_health_update(h);
	mutex_unlock(&h->lock);

	return vfio_pci_core_aer_err_detected(pdev, state);
}

/* sysfs: the health attribute and the pci_errors/ group of an instance */

static ssize_t health_show(struct device *dev, struct device_attribute *attr,
			   char *buf)
{
	struct mdev_pt_instance *inst = dev_get_drvdata(dev);

	return sysfs_emit(buf, "%s\n",
			  mdev_pt_health_names[mdev_pt_health_get(inst->fn)]);
}
static DEVICE_ATTR_RO(health);

static ssize_t mdev_pt_pci_errors_show(struct device *dev,
				       enum mdev_pt_pci_error kind, char *buf)
{
	struct mdev_pt_instance *inst = dev_get_drvdata(dev);
	struct mdev_pt_health *h = &inst->fn->health;
	u64 n;

	mutex_lock(&h->lock);
	n = h->errors[kind];
	mutex_unlock(&h->lock);
	return sysfs_emit(buf, "%llu\n", n);
}

static ssize_t nonfatal_show(struct device *dev, struct device_attribute *attr,
			     char *buf)
{
	return mdev_pt_pci_errors_show(dev, MDEV_PT_PCI_ERR_NONFATAL, buf);
}
static DEVICE_ATTR_RO(nonfatal);

static ssize_t fatal_show(struct device *dev, struct device_attribute *attr,
			  char *buf)
{
	return mdev_pt_pci_errors_show(dev, MDEV_PT_PCI_ERR_FATAL, buf);
}
static DEVICE_ATTR_RO(fatal);

static ssize_t perm_failure_show(struct device *dev,
				 struct device_attribute *attr, char *buf)
{
	return mdev_pt_pci_errors_show(dev, MDEV_PT_PCI_ERR_PERM_FAILURE, buf);
}
static DEVICE_ATTR_RO(perm_failure);

static struct attribute *mdev_pt_health_attrs[] = {
	&dev_attr_health.attr,
	NULL
};

static const struct attribute_group mdev_pt_health_group = {
	.attrs	= mdev_pt_health_attrs,
};

static struct attribute *mdev_pt_pci_errors_attrs[] = {
	&dev_attr_nonfatal.attr,
	&dev_attr_fatal.attr,
	&dev_attr_perm_failure.attr,
	NULL
};

static const struct attribute_group mdev_pt_pci_errors_group = {
	.name	= "pci_errors",
	.attrs	= mdev_pt_pci_errors_attrs,
};

static const struct attribute_group *mdev_pt_health_groups[] = {
	&mdev_pt_health_group,
	&mdev_pt_pci_errors_group,
	NULL
};

/**
 * mdev_pt_health_add() - create the instance's health attributes
 * @inst: the instance being created, its drvdata set
 *
 * Return: 0 or a negative errno.
 */
int mdev_pt_health_add(struct mdev_pt_instance *inst)
{
	return sysfs_create_groups(&inst->mdev->dev.kobj, mdev_pt_health_groups);
}

void mdev_pt_health_del(struct mdev_pt_instance *inst)
{
	sysfs_remove_groups(&inst->mdev->dev.kobj, mdev_pt_health_groups);
}
