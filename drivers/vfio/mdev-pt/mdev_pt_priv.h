/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * mdev-pt: passthrough mediated-device parent, private definitions.
 */
#ifndef MDEV_PT_PRIV_H
#define MDEV_PT_PRIV_H

#include <linux/completion.h>
#include <linux/iommu.h>
#include <linux/mdev.h>
#include <linux/mutex.h>
#include <linux/vfio_pci_core.h>

#define MDEV_PT_DRIVER_NAME	"mdev_pt"

/**
 * struct mdev_pt_device - per-function core of a PCI function bound to mdev_pt
 * @core_device: the vfio_pci_core device of the function itself, registered
 *	in PCI probe and unregistered in PCI remove (must stay first:
 *	vfio_alloc_device() requires the vfio_device at offset 0)
 * @parent: the mdev parent registered on the function
 * @generic_type: the generic passthrough type offered on every function
 * @types: type array handed to mdev_register_parent()
 * @nr_types: number of valid entries in @types
 * @iommu_group: reference on the function's IOMMU group, held for the
 *	whole binding so that instance links to its kobject stay valid
 * @lease_lock: protects the lease fields below
 * @instance: the mdev instance holding the lease, NULL when idle
 * @removing: @instance is being removed; no new open is allowed
 * @opened: user space has the vfio device open through @instance
 * @closed: completed when user space closes the vfio device
 *
 * An mdev instance is a lease on @core_device: while no instance exists
 * the vfio device can neither be matched nor opened.
 */
struct mdev_pt_device {
	struct vfio_pci_core_device core_device;
	struct mdev_parent parent;
	struct mdev_type generic_type;
	struct mdev_type *types[1];
	unsigned int nr_types;
	struct iommu_group *iommu_group;

	struct mutex lease_lock;	/* protects the lease fields */
	struct mdev_device *instance;	/* protected by lease_lock */
	bool removing;			/* protected by lease_lock */
	bool opened;			/* protected by lease_lock */
	struct completion closed;
};

static inline struct mdev_pt_device *
mdev_pt_from_vdev(struct vfio_device *core_vdev)
{
	return container_of(core_vdev, struct mdev_pt_device,
			    core_device.vdev);
}

static inline struct mdev_pt_device *
mdev_pt_from_parent(struct mdev_parent *parent)
{
	return container_of(parent, struct mdev_pt_device, parent);
}

static inline struct pci_dev *mdev_pt_pdev(struct mdev_pt_device *mpt)
{
	return mpt->core_device.pdev;
}

extern const struct vfio_device_ops mdev_pt_vfio_ops;
extern struct mdev_driver mdev_pt_mdev_driver;

int mdev_pt_register_parent(struct mdev_pt_device *mpt);
void mdev_pt_unregister_parent(struct mdev_pt_device *mpt);

#endif /* MDEV_PT_PRIV_H */
