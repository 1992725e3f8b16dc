// SPDX-License-Identifier: GPL-2.0-only
/*
 * mdev-pt: SR-IOV.
 *
 * A PF bound to mdev_pt enables its VFs through sriov_numvfs exactly as with
 * vfio-pci: vfio_pci_core captures them for mdev_pt (it sets each new VF's
 * driver_override to the vfio ops' name, "mdev_pt") and ties them to the
 * PF's VF token.
 *
 * A PF kept on its own kernel driver can be marked by writing its BDF to the
 * driver attribute vf_autobind: its VFs created from then on get the same
 * driver_override.  The override is set from a PCI bus notifier on
 * BUS_NOTIFY_ADD_DEVICE, which runs inside device_add() while the new VF's
 * match_driver is still false, that is before pci_bus_add_device() first
 * tries to probe it.  The VF therefore meets its first driver with the
 * override in place; sriov_drivers_autoprobe=0 does not hold it back either,
 * since a VF with a driver_override is always probed.
 *
 * The same notifier tells the plugins serving a VF when its PF loses its
 * driver (see &mdev_pt_plugin.controlling_gone).
 */

#include <linux/device.h>
#include <linux/kernfs.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/sysfs.h>

#include "compat.h"
#include "mdev_pt_priv.h"

/**
 * struct mdev_pt_autobind - a PF whose new VFs bind to mdev_pt
 * @node: entry in mdev_pt_autobind_pfs
 * @pf: the PF, referenced while marked
 */
struct mdev_pt_autobind {
	struct list_head node;
	struct pci_dev *pf;
};

static DEFINE_MUTEX(mdev_pt_autobind_lock);
static LIST_HEAD(mdev_pt_autobind_pfs);	/* protected by mdev_pt_autobind_lock */

static struct mdev_pt_autobind *mdev_pt_autobind_find(struct pci_dev *pf)
{
	struct mdev_pt_autobind *ab;

	lockdep_assert_held(&mdev_pt_autobind_lock);

	list_for_each_entry(ab, &mdev_pt_autobind_pfs, node)
		if (ab->pf == pf)
			return ab;
	return NULL;
}

static void mdev_pt_autobind_free(struct mdev_pt_autobind *ab)
{
	list_del(&ab->node);
	pci_dev_put(ab->pf);
	kfree(ab);
}

/* A VF of a marked PF is being added: make mdev_pt its only driver. */
static void mdev_pt_autobind_vf(struct pci_dev *vf)
{
	bool marked;
	int ret;

	mutex_lock(&mdev_pt_autobind_lock);
	marked = mdev_pt_autobind_find(pci_physfn(vf));
	mutex_unlock(&mdev_pt_autobind_lock);
	if (!marked)
		return;

	ret = mdev_pt_set_driver_override(vf, MDEV_PT_DRIVER_NAME);
	if (ret)
		pci_warn(vf, "cannot set driver_override for mdev_pt: %d\n",
			 ret);
	else
		pci_info(pci_physfn(vf), "VF %s will bind to mdev_pt\n",
			 pci_name(vf));
}

/* A marked PF is going away: forget it. */
static void mdev_pt_autobind_pf_del(struct pci_dev *pf)
{
	struct mdev_pt_autobind *ab;

	mutex_lock(&mdev_pt_autobind_lock);
	ab = mdev_pt_autobind_find(pf);
	if (ab) {
		pci_info(pf, "removed: VFs no longer bind to mdev_pt\n");
		mdev_pt_autobind_free(ab);
	}
	mutex_unlock(&mdev_pt_autobind_lock);
}

static int mdev_pt_pci_notifier(struct notifier_block *nb,
				unsigned long action, void *data)
{
	struct pci_dev *pdev = to_pci_dev(data);

	switch (action) {
	case BUS_NOTIFY_ADD_DEVICE:
		if (pdev->is_virtfn)
			mdev_pt_autobind_vf(pdev);
		break;
	case BUS_NOTIFY_UNBIND_DRIVER:
		/* Before the PF's driver's remove() runs. */
		if (pdev->is_physfn)
			mdev_pt_pf_unbound(pdev);
		break;
	case BUS_NOTIFY_DEL_DEVICE:
		if (pdev->is_physfn)
			mdev_pt_autobind_pf_del(pdev);
		break;
	}
	return NOTIFY_DONE;
}

static struct notifier_block mdev_pt_pci_nb = {
	.notifier_call = mdev_pt_pci_notifier,
};

/*
 * The PF named by a vf_autobind write, referenced.  Distinct errors for a
 * malformed name, a device that does not exist and one that is no PF.
 */
static struct pci_dev *mdev_pt_autobind_lookup(const char *buf)
{
	unsigned int domain, bus, slot, func;
	size_t len = strcspn(buf, "\n");
	struct pci_dev *pdev;
	char name[16];
	char end = '\n';
	int n;

	n = sscanf(buf, "%x:%x:%x.%x%c", &domain, &bus, &slot, &func, &end);
	if (len >= sizeof(name) || n < 4 || end != '\n' ||
	    (n == 5 && buf[len + 1]) ||
	    domain > 0xffff || bus > 0xff || slot > 0x1f || func > 7) {
		pr_warn("mdev_pt: vf_autobind: \"%.*s\" is not a PCI address (DDDD:BB:SS.F)\n",
			(int)min_t(size_t, len, 32), buf);
		return ERR_PTR(-EINVAL);
	}
	snprintf(name, sizeof(name), "%04x:%02x:%02x.%x", domain, bus, slot,
		 func);

	pdev = pci_get_domain_bus_and_slot(domain, bus, PCI_DEVFN(slot, func));
	if (!pdev) {
		pr_warn("mdev_pt: vf_autobind: no PCI device %s\n", name);
		return ERR_PTR(-ENODEV);
	}
	if (!pdev->is_physfn) {
		pci_warn(pdev, "vf_autobind: not an SR-IOV physical function\n");
		pci_dev_put(pdev);
		return ERR_PTR(-EOPNOTSUPP);
	}
	return pdev;
}

static ssize_t vf_autobind_show(struct device_driver *drv, char *buf)
{
	struct mdev_pt_autobind *ab;
	ssize_t len = 0;

	mutex_lock(&mdev_pt_autobind_lock);
	list_for_each_entry(ab, &mdev_pt_autobind_pfs, node)
		len += sysfs_emit_at(buf, len, "%s\n", pci_name(ab->pf));
	mutex_unlock(&mdev_pt_autobind_lock);
	return len;
}

static ssize_t vf_autobind_store(struct device_driver *drv, const char *buf,
				 size_t count)
{
	struct mdev_pt_autobind *ab;
	struct pci_dev *pf;
	int ret;

	pf = mdev_pt_autobind_lookup(buf);
	if (IS_ERR(pf))
		return PTR_ERR(pf);

	ab = kzalloc(sizeof(*ab), GFP_KERNEL);
	if (!ab) {
		ret = -ENOMEM;
		goto out_put;
	}

	mutex_lock(&mdev_pt_autobind_lock);
	if (mdev_pt_autobind_find(pf)) {
		mutex_unlock(&mdev_pt_autobind_lock);
		pci_warn(pf, "vf_autobind: marked already\n");
		ret = -EEXIST;
		goto out_free;
	}
	ab->pf = pf;
	list_add_tail(&ab->node, &mdev_pt_autobind_pfs);
	mutex_unlock(&mdev_pt_autobind_lock);

	if (pci_num_vf(pf))
		pci_info(pf, "VFs created from now on bind to mdev_pt; the %d existing VFs are left alone\n",
			 pci_num_vf(pf));
	else
		pci_info(pf, "VFs created from now on bind to mdev_pt\n");
	return count;

out_free:
	kfree(ab);
out_put:
	pci_dev_put(pf);
	return ret;
}
static DRIVER_ATTR_RW(vf_autobind);

static ssize_t vf_autobind_remove_store(struct device_driver *drv,
					const char *buf, size_t count)
{
	struct mdev_pt_autobind *ab;
	struct pci_dev *pf;
	int ret = count;

	pf = mdev_pt_autobind_lookup(buf);
	if (IS_ERR(pf))
		return PTR_ERR(pf);

	mutex_lock(&mdev_pt_autobind_lock);
	ab = mdev_pt_autobind_find(pf);
	if (ab) {
		mdev_pt_autobind_free(ab);
		pci_info(pf, "VFs no longer bind to mdev_pt\n");
	} else {
		pci_warn(pf, "vf_autobind_remove: not marked\n");
		ret = -ENOENT;
	}
	mutex_unlock(&mdev_pt_autobind_lock);

	pci_dev_put(pf);
	return ret;
}
static DRIVER_ATTR_WO(vf_autobind_remove);

static struct attribute *mdev_pt_driver_attrs[] = {
	&driver_attr_vf_autobind.attr,
	&driver_attr_vf_autobind_remove.attr,
	NULL
};

static const struct attribute_group mdev_pt_driver_group = {
	.attrs = mdev_pt_driver_attrs,
};

const struct attribute_group *mdev_pt_driver_groups[] = {
	&mdev_pt_driver_group,
	NULL
};

/**
 * mdev_pt_sriov_configure() - pci_driver.sriov_configure of mdev_pt
 * @pdev: the PF, bound to mdev_pt
 * @nr_virtfn: number of VFs to enable, 0 to disable them
 *
 * vfio-pci's semantics: SR-IOV can be enabled whether or not the PF's
 * instance is in use; the VFs bind to mdev_pt and, once the PF's user has
 * set a VF token, opening an instance on a VF needs that token.  Disabling
 * removes the VFs, each waiting for the user of its instance to close it.
 *
 * Return: @nr_virtfn, 0 or a negative errno.
 */
int mdev_pt_sriov_configure(struct pci_dev *pdev, int nr_virtfn)
{
	struct vfio_pci_core_device *vdev = dev_get_drvdata(&pdev->dev);

	return vfio_pci_core_sriov_configure(vdev, nr_virtfn);
}

/**
 * mdev_pt_vf_going() - whether a VF is removed because SR-IOV is disabled
 * @pdev: the function, in its driver's remove()
 *
 * pci_iov_remove_virtfn() deletes the VF's "physfn" link before it stops the
 * VF; a plain unbind or a hot-unplug of the VF alone leaves it.
 *
 * Risk: that order is the PCI core's (drivers/pci/iov.c), not an API, and
 * no header can check it at build time.  Should it change, a VF removed by
 * disabling SR-IOV looks like a plain unbind: the plugin's controlling_gone
 * is then not called before the instance goes (the instance still goes,
 * with its device request).  tests/sriov/sriov.sh expects "SR-IOV
 * disabled" in the log on every supported kernel, so the change shows.
 *
 * Return: true for a VF whose PF is disabling SR-IOV.
 */
bool mdev_pt_vf_going(struct pci_dev *pdev)
{
	struct kernfs_node *kn;

	if (!pdev->is_virtfn)
		return false;

	kn = sysfs_get_dirent(pdev->dev.kobj.sd, "physfn");
	if (!kn)
		return true;
	sysfs_put(kn);
	return false;
}

int mdev_pt_sriov_init(void)
{
	return bus_register_notifier(&pci_bus_type, &mdev_pt_pci_nb);
}

void mdev_pt_sriov_exit(void)
{
	struct mdev_pt_autobind *ab, *tmp;

	bus_unregister_notifier(&pci_bus_type, &mdev_pt_pci_nb);

	mutex_lock(&mdev_pt_autobind_lock);
	list_for_each_entry_safe(ab, tmp, &mdev_pt_autobind_pfs, node)
		mdev_pt_autobind_free(ab);
	mutex_unlock(&mdev_pt_autobind_lock);
}
