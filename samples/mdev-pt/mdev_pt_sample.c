// SPDX-License-Identifier: GPL-2.0-only
/*
 * mdev-pt plugin template
 *
 * Copy this file to start a plugin.  It serves QEMU's emulated NVMe
 * controller and its VFs bound to mdev_pt with one type, "sample-scratch":
 * the function passed through as usual, plus a one-page scratch region that
 * user space can read, write and mmap, and a per-instance vendor/label
 * attribute.
 * Replace the scratch page with what your device needs; see
 * include/linux/mdev_pt.h for traps, custom IRQs and the rules of each hook.
 */

#include <linux/ctype.h>
#include <linux/mdev_pt.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <linux/sysfs.h>
#include <linux/vfio.h>
#include <linux/vmalloc.h>

/* Vendor region subtypes are numbered by the vendor of the region type. */
#define SAMPLE_REGION_SUBTYPE_SCRATCH	0x8000
#define SAMPLE_LABEL_MAX		32

/**
 * struct sample_function - per-function state, from probe to remove
 * @instances: instances created on the function so far; creates of one
 *	function never overlap (each holds the function's single lease)
 */
struct sample_function {
	unsigned int instances;
};

/**
 * struct sample_instance - per-instance state, from create to destroy
 * @scratch: the scratch page, from vmalloc_user() so that it can be mmap'd
 * @lock: protects @label
 * @label: what the admin wrote to vendor/label, NUL-terminated
 */
struct sample_instance {
	void *scratch;
	struct mutex lock;		/* protects label */
	char label[SAMPLE_LABEL_MAX + 1];
};

static struct mdev_pt_plugin sample_plugin;

/* probe: a function our id_table matches was bound; 0 serves it. */
static int sample_probe(struct mdev_pt_function *fn,
			const struct pci_device_id *id)
{
	struct sample_function *sfn;

	sfn = kzalloc(sizeof(*sfn), GFP_KERNEL);
	if (!sfn)
		return -ENOMEM;

	mdev_pt_function_set_drvdata(fn, &sample_plugin, sfn);
	pci_dbg(mdev_pt_function_pdev(fn), "%s: offering sample-scratch\n",
		KBUILD_MODNAME);
	return 0;
}

/* remove: the function is unbound or the plugin goes; free probe's state. */
static void sample_remove(struct mdev_pt_function *fn)
{
	kfree(mdev_pt_function_get_drvdata(fn, &sample_plugin));
}

/*
 * controlling_gone: the PF of our VF is going away.  A real plugin drops its
 * handle on the PF's driver here; from now on the core refuses the device
 * calls of our instances with -ENOTCONN.
 */
static void sample_controlling_gone(struct mdev_pt_function *fn)
{
	pci_info(mdev_pt_function_pdev(fn), "%s: controlling function %s gone\n",
		 KBUILD_MODNAME,
		 pci_name(mdev_pt_function_controlling_pdev(fn)));
}

/* create: an instance of our type is being created; nobody can open it. */
static int sample_create(struct mdev_pt_instance *inst)
{
	struct mdev_pt_function *fn = mdev_pt_instance_function(inst);
	struct sample_function *sfn;
	struct sample_instance *si;

	si = kzalloc(sizeof(*si), GFP_KERNEL);
	if (!si)
		return -ENOMEM;

	si->scratch = vmalloc_user(PAGE_SIZE);	/* zeroed */
	if (!si->scratch)
		goto err_free_instance;

	mutex_init(&si->lock);
	mdev_pt_set_drvdata(inst, si);

	sfn = mdev_pt_function_get_drvdata(fn, &sample_plugin);
	sfn->instances++;
	dev_info(mdev_pt_instance_dev(inst), "%s: instance %u of %s\n",
		 KBUILD_MODNAME, sfn->instances,
		 pci_name(mdev_pt_function_pdev(fn)));
	return 0;

err_free_instance:
	kfree(si);
	return -ENOMEM;
}

/* destroy: the instance goes away, closed; free create's state. */
static void sample_destroy(struct mdev_pt_instance *inst)
{
	struct sample_instance *si = mdev_pt_get_drvdata(inst);

	mutex_destroy(&si->lock);
	vfree(si->scratch);
	kfree(si);
}

static const struct mdev_pt_type_ops sample_ops = {
	.create		= sample_create,
	.destroy	= sample_destroy,
};

/*
 * rw: the core checked that [pos, pos + count) lies inside the region.  No
 * lock: user space can change the page through mmap at any time anyway.
 */
static ssize_t sample_scratch_rw(struct mdev_pt_instance *inst,
				 const struct mdev_pt_region *region,
				 char *buf, size_t count, loff_t pos,
				 bool iswrite)
{
	struct sample_instance *si = mdev_pt_get_drvdata(inst);

	if (iswrite)
		memcpy(si->scratch + pos, buf, count);
	else
		memcpy(buf, si->scratch + pos, count);
	return count;
}

/* mmap: vm_pgoff is the page offset inside the region, checked by the core. */
static int sample_scratch_mmap(struct mdev_pt_instance *inst,
			       const struct mdev_pt_region *region,
			       struct vm_area_struct *vma)
{
	struct sample_instance *si = mdev_pt_get_drvdata(inst);

	return remap_vmalloc_range(vma, si->scratch, vma->vm_pgoff);
}

static const struct mdev_pt_region sample_regions[] = {
	{
		.type		= VFIO_REGION_TYPE_PCI_VENDOR_TYPE |
				  PCI_VENDOR_ID_REDHAT,
		.subtype	= SAMPLE_REGION_SUBTYPE_SCRATCH,
		.size		= PAGE_SIZE,
		.flags		= VFIO_REGION_INFO_FLAG_READ |
				  VFIO_REGION_INFO_FLAG_WRITE |
				  VFIO_REGION_INFO_FLAG_MMAP,
		.rw		= sample_scratch_rw,
		.mmap		= sample_scratch_mmap,
	},
};

/* Attributes: the mdev device is @dev; stores refuse once opened. */
static ssize_t label_show(struct device *dev, struct device_attribute *attr,
			  char *buf)
{
	struct sample_instance *si =
		mdev_pt_get_drvdata(mdev_pt_instance_from_dev(dev));
	ssize_t ret;

	mutex_lock(&si->lock);
	ret = sysfs_emit(buf, "%s\n", si->label);
	mutex_unlock(&si->lock);
	return ret;
}

static ssize_t label_store(struct device *dev, struct device_attribute *attr,
			   const char *buf, size_t count)
{
	struct mdev_pt_instance *inst = mdev_pt_instance_from_dev(dev);
	struct sample_instance *si = mdev_pt_get_drvdata(inst);
	size_t len = count;
	ssize_t ret;
	size_t i;

	if (len && buf[len - 1] == '\n')
		len--;
	if (!len || len > SAMPLE_LABEL_MAX) {
		dev_warn(dev, "label: %zu characters, 1..%d allowed\n",
			 len, SAMPLE_LABEL_MAX);
		return -EINVAL;
	}
	for (i = 0; i < len; i++) {
		if (!isascii(buf[i]) || !isprint(buf[i])) {
			dev_warn(dev, "label: character %zu is not printable ASCII\n",
				 i);
			return -EINVAL;
		}
	}

	mutex_lock(&si->lock);
	if (mdev_pt_instance_opened(inst)) {
		dev_warn(dev, "label: fixed once the device was opened\n");
		ret = -EBUSY;
		goto out_unlock;
	}
	memcpy(si->label, buf, len);
	si->label[len] = '\0';
	ret = count;
out_unlock:
	mutex_unlock(&si->lock);
	return ret;
}
static DEVICE_ATTR_RW(label);

static struct attribute *sample_attrs[] = {
	&dev_attr_label.attr,
	NULL
};

static const struct attribute_group sample_attr_group = {
	.name	= "vendor",
	.attrs	= sample_attrs,
};

static const struct mdev_pt_type sample_types[] = {
	{
		.sysfs_name	= "sample-scratch",
		.pretty_name	= "Sample scratch pad",
		.description	= "the function passed through plus a one-page scratch region",
		.ops		= &sample_ops,
		.regions	= sample_regions,
		.num_regions	= ARRAY_SIZE(sample_regions),
		.attrs		= &sample_attr_group,
	},
};

/*
 * Match the devices the plugin was written for, by vendor and device ID.
 * A template must not serve real hardware: QEMU's emulated NVMe controller
 * (1b36:0010, which its SR-IOV VFs share) only.  Matching by class alone
 * would load a plugin on every vendor's functions of that class.
 */
static const struct pci_device_id sample_ids[] = {
	{ PCI_DEVICE(PCI_VENDOR_ID_REDHAT, 0x0010) },
	{ }
};

static struct mdev_pt_plugin sample_plugin = {
	.name		= "sample",
	.owner		= THIS_MODULE,
	.id_table	= sample_ids,
	.types		= sample_types,
	.num_types	= ARRAY_SIZE(sample_types),
	.probe		= sample_probe,
	.remove		= sample_remove,
	.controlling_gone = sample_controlling_gone,
};
module_mdev_pt_plugin(sample_plugin);

/* One alias per id_table entry, so that binding a function loads us. */
MODULE_ALIAS_MDEV_PT("00001B36", "00000010");
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("mdev-pt plugin template: a scratch region on QEMU's NVMe");
