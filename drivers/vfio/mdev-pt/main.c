// SPDX-License-Identifier: GPL-2.0-only
/*
 * mdev-pt: passthrough mediated-device parent for PCI functions
 *
 * A PCI function bound to mdev_pt gets one vfio_pci_core device, registered
 * on the function itself in its real IOMMU group, and becomes an mdev
 * parent.  An mdev instance created on it is a lease on that vfio device:
 * user space opens the instance by UUID and drives the function exactly as
 * it would through vfio-pci, with DMA translated by the IOMMU.  Vendor
 * plugins add mdev types with their own regions, IRQs and trapped ranges.
 */

#include <linux/iommu.h>
#include <linux/module.h>
#include <linux/pci.h>

#include "mdev_pt_priv.h"

static int mdev_pt_pci_probe(struct pci_dev *pdev,
			     const struct pci_device_id *id)
{
	struct mdev_pt_function *fn;
	struct iommu_group *group;
	int ret;

	if (pdev->hdr_type != PCI_HEADER_TYPE_NORMAL) {
		pci_err(pdev, "header type %u is not supported, only type 0 functions can be passed through\n",
			pdev->hdr_type);
		return -EINVAL;
	}

	/* vfio_pci_core refuses it as well: the VFs could not be captured. */
	if (pci_num_vf(pdev)) {
		pci_err(pdev, "SR-IOV is enabled with %d VFs, disable it before binding to mdev_pt\n",
			pci_num_vf(pdev));
		return -EBUSY;
	}

	group = iommu_group_get(&pdev->dev);
	if (!group) {
		pci_err(pdev, "function is not in an IOMMU group, mdev_pt needs the IOMMU enabled (e.g. intel_iommu=on)\n");
		return -ENODEV;
	}

	fn = vfio_alloc_device(mdev_pt_function, core_device.vdev, &pdev->dev,
			       &mdev_pt_vfio_ops);
	if (IS_ERR(fn)) {
		iommu_group_put(group);
		return PTR_ERR(fn);
	}
	/* Dropped by mdev_pt_release_dev() with the vfio device. */
	fn->iommu_group = group;

	dev_set_drvdata(&pdev->dev, &fn->core_device);
	ret = vfio_pci_core_register_device(&fn->core_device);
	if (ret) {
		pci_err(pdev, "cannot register the vfio device: %d\n", ret);
		goto out_put_vdev;
	}

	/*
	 * Registers the parent with the plugins loaded by now, or with
	 * autoload_plugins on queues the plugin request, after which the
	 * parent registers from a work item.
	 */
	mdev_pt_debugfs_add_function(fn);
	ret = mdev_pt_function_add(fn);
	if (ret)
		goto out_del_debugfs;

	return 0;

out_del_debugfs:
	mdev_pt_debugfs_del_function(fn);
	vfio_pci_core_unregister_device(&fn->core_device);
out_put_vdev:
	vfio_put_device(&fn->core_device.vdev);
	return ret;
}

static void mdev_pt_pci_remove(struct pci_dev *pdev)
{
	struct vfio_pci_core_device *core_device = dev_get_drvdata(&pdev->dev);
	struct mdev_pt_function *fn = mdev_pt_from_vdev(&core_device->vdev);

	if (mdev_pt_vf_going(pdev))
		mdev_pt_controlling_gone(fn, "SR-IOV disabled");

	/*
	 * Removes the instance, waiting for its user to close it.  A PF's
	 * VFs go with vfio_pci_core_unregister_device(), which disables
	 * SR-IOV.
	 */
	mdev_pt_function_del(fn);
	mdev_pt_debugfs_del_function(fn);
	vfio_pci_core_unregister_device(&fn->core_device);
	vfio_put_device(&fn->core_device.vdev);
}

/* A reset of the function puts its migration state back to RUNNING. */
static void mdev_pt_pci_reset_done(struct pci_dev *pdev)
{
	struct vfio_pci_core_device *core_device = dev_get_drvdata(&pdev->dev);

	if (!core_device)
		return;
	mdev_pt_mig_reset_done(mdev_pt_from_vdev(&core_device->vdev));
}

static const struct pci_error_handlers mdev_pt_pci_err_handlers = {
	.error_detected	= mdev_pt_pci_error_detected,
	.reset_done	= mdev_pt_pci_reset_done,
};

/*
 * Bind only on explicit request (driver_override or new_id).  There is no
 * MODULE_DEVICE_TABLE: a wildcard vfio_pci: alias would make tools that pick
 * vfio variant drivers from modules.alias choose mdev_pt for every device.
 */
static const struct pci_device_id mdev_pt_pci_table[] = {
	{ PCI_DRIVER_OVERRIDE_DEVICE_VFIO(PCI_ANY_ID, PCI_ANY_ID) },
	{}
};

/* Not const: vfio_pci_core_register_device() installs its PM ops here. */
static struct pci_driver mdev_pt_pci_driver = {
	.name			= MDEV_PT_DRIVER_NAME,
	.id_table		= mdev_pt_pci_table,
	.probe			= mdev_pt_pci_probe,
	.remove			= mdev_pt_pci_remove,
	.sriov_configure	= mdev_pt_sriov_configure,
	.err_handler		= &mdev_pt_pci_err_handlers,
	.groups			= mdev_pt_driver_groups,
	.dev_groups		= mdev_pt_dev_groups,
	.driver_managed_dma	= true,
};

static int __init mdev_pt_init(void)
{
	int ret;

	mdev_pt_debugfs_init();
	ret = mdev_register_driver(&mdev_pt_mdev_driver);
	if (ret)
		goto out_debugfs_exit;

	/* The PCI bus notifier behind vf_autobind. */
	ret = mdev_pt_sriov_init();
	if (ret)
		goto out_unregister_mdev_driver;

	ret = pci_register_driver(&mdev_pt_pci_driver);
	if (ret) {
		/* Functions bound meanwhile may have left types behind. */
		mdev_pt_autoload_exit();
		mdev_pt_wait_for_types();
		mdev_pt_wait_for_vdevs();
		goto out_sriov_exit;
	}

	return 0;

out_sriov_exit:
	mdev_pt_sriov_exit();
out_unregister_mdev_driver:
	mdev_unregister_driver(&mdev_pt_mdev_driver);
out_debugfs_exit:
	mdev_pt_debugfs_exit();
	return ret;
}

static void __exit mdev_pt_exit(void)
{
	pci_unregister_driver(&mdev_pt_pci_driver);
	/* No function is bound: plugin requests may still run. */
	mdev_pt_autoload_exit();
	/*
	 * The mdev core may still hold the types of unbound functions, and
	 * vfio core their vfio devices; their releases run our code and read
	 * our mdev driver.
	 */
	mdev_pt_wait_for_types();
	mdev_pt_wait_for_vdevs();
	mdev_pt_sriov_exit();
	mdev_unregister_driver(&mdev_pt_mdev_driver);
	mdev_pt_debugfs_exit();
}

module_init(mdev_pt_init);
module_exit(mdev_pt_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Passthrough mediated-device parent for PCI functions");
