// SPDX-License-Identifier: GPL-2.0-only
/*
 * mdev-pt: SR-IOV.
 *
 * A PF bound to mdev_pt enables its VFs through sriov_numvfs exactly as with
 * vfio-pci: vfio_pci_core captures them for mdev_pt (it sets each new VF's
 * driver_override to the vfio ops' name, "mdev_pt") and ties them to the
 * PF's VF token.
 */

#include <linux/pci.h>

#include "mdev_pt_priv.h"

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
