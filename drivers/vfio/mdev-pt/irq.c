// SPDX-License-Identifier: GPL-2.0-only
/*
 * mdev-pt: custom IRQ indexes of plugin types.
 *
 * vfio_pci_core serves indexes 0-4; a type's custom IRQs follow from
 * VFIO_PCI_NUM_IRQS on.  mdev-pt keeps their eventfds and mask state and
 * describes each with the MDEV_PT_IRQ_INFO_CAP_TYPE capability of
 * include/uapi/linux/mdev_pt.h.
 */

#include <linux/bitops.h>
#include <linux/eventfd.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vfio.h>
#include <uapi/linux/mdev_pt.h>

#include "compat.h"
#include "mdev_pt_priv.h"

/**
 * mdev_pt_irqs_init() - allocate the vector state of an instance's type
 * @inst: the instance
 *
 * Return: 0 or -ENOMEM.
 */
int mdev_pt_irqs_init(struct mdev_pt_instance *inst)
{
	const struct mdev_pt_type *type = mdev_pt_inst_type(inst);
	unsigned int i, n = 0;

	if (!type || !type->num_irqs)
		return 0;

	for (i = 0; i < type->num_irqs; i++) {
		inst->irq_base[i] = n;
		n += type->irqs[i].count;
	}
	inst->irq_vecs = kcalloc(n, sizeof(*inst->irq_vecs), GFP_KERNEL);
	return inst->irq_vecs ? 0 : -ENOMEM;
}

/* Drop every eventfd and unmask everything, as at open. */
void mdev_pt_irqs_release(struct mdev_pt_instance *inst)
{
	const struct mdev_pt_type *type = mdev_pt_inst_type(inst);
	struct eventfd_ctx *trigger;
	unsigned int i, n = 0;

	if (!inst->irq_vecs)
		return;

	for (i = 0; i < type->num_irqs; i++)
		n += type->irqs[i].count;

	for (i = 0; i < n; i++) {
		spin_lock_irq(&inst->irq_lock);
		trigger = inst->irq_vecs[i].trigger;
		inst->irq_vecs[i] = (struct mdev_pt_irq_vec){};
		spin_unlock_irq(&inst->irq_lock);
		if (trigger)
			eventfd_ctx_put(trigger);
	}
}

void mdev_pt_irqs_free(struct mdev_pt_instance *inst)
{
	mdev_pt_irqs_release(inst);
	kfree(inst->irq_vecs);
	inst->irq_vecs = NULL;
}

int mdev_pt_irq_signal(struct mdev_pt_instance *inst, unsigned int irq,
		       unsigned int vector)
{
	const struct mdev_pt_type *type = mdev_pt_inst_type(inst);
	struct mdev_pt_irq_vec *vec;
	unsigned long flags;

	if (!type || irq >= type->num_irqs || vector >= type->irqs[irq].count)
		return -EINVAL;

	vec = &inst->irq_vecs[inst->irq_base[irq] + vector];
	spin_lock_irqsave(&inst->irq_lock, flags);
	if (vec->masked)
		vec->pending = true;
	else if (vec->trigger)
		mdev_pt_eventfd_signal(vec->trigger);
	spin_unlock_irqrestore(&inst->irq_lock, flags);
	return 0;
}
EXPORT_SYMBOL_GPL(mdev_pt_irq_signal);

/* The open instance's custom IRQ of a vfio index, or NULL. */
static const struct mdev_pt_irq *mdev_pt_custom_irq(struct mdev_pt_function *fn,
						    u32 index)
{
	const struct mdev_pt_type *type = mdev_pt_inst_type(mdev_pt_open_instance(fn));

	if (index < VFIO_PCI_NUM_IRQS || !type ||
	    index - VFIO_PCI_NUM_IRQS >= type->num_irqs)
		return NULL;
	return &type->irqs[index - VFIO_PCI_NUM_IRQS];
}

/**
 * mdev_pt_ioctl_get_info() - VFIO_DEVICE_GET_INFO counting custom IRQs
 * @fn: the function, open
 * @arg: the user's struct vfio_device_info
 *
 * vfio_pci_core answers, then num_irqs is raised by the type's custom IRQs.
 *
 * Return: 0 or a negative errno.
 */
long mdev_pt_ioctl_get_info(struct mdev_pt_function *fn, void __user *arg)
{
	const struct mdev_pt_type *type = mdev_pt_inst_type(mdev_pt_open_instance(fn));
	struct vfio_device_info __user *uinfo = arg;
	u32 num_irqs;
	long ret;

	ret = vfio_pci_core_ioctl(&fn->core_device.vdev, VFIO_DEVICE_GET_INFO,
				  (unsigned long)arg);
	if (ret || !type || !type->num_irqs)
		return ret;

	if (get_user(num_irqs, &uinfo->num_irqs))
		return -EFAULT;
	return put_user(num_irqs + type->num_irqs, &uinfo->num_irqs);
}

/**
 * mdev_pt_ioctl_irq_info() - VFIO_DEVICE_GET_IRQ_INFO for custom indexes
 * @fn: the function, open
 * @arg: the user's struct vfio_irq_info or struct mdev_pt_irq_info
 *
 * Return: 0 or a negative errno.
 */
long mdev_pt_ioctl_irq_info(struct mdev_pt_function *fn, void __user *arg)
{
	struct mdev_pt_irq_info_cap_type cap = {
		.header.id = MDEV_PT_IRQ_INFO_CAP_TYPE,
		.header.version = 1,
	};
	unsigned long minsz = offsetofend(struct vfio_irq_info, count);
	size_t fullsz = sizeof(struct mdev_pt_irq_info);
	struct mdev_pt_irq_info info = {};
	const struct mdev_pt_irq *irq;

	if (copy_from_user(&info, arg, minsz))
		return -EFAULT;
	if (info.argsz < minsz)
		return -EINVAL;

	if (info.index < VFIO_PCI_NUM_IRQS)
		return vfio_pci_core_ioctl(&fn->core_device.vdev,
					   VFIO_DEVICE_GET_IRQ_INFO,
					   (unsigned long)arg);

	irq = mdev_pt_custom_irq(fn, info.index);
	if (!irq)
		return -EINVAL;

	info.flags = VFIO_IRQ_INFO_EVENTFD | irq->flags;
	info.count = irq->count;
	cap.type = irq->type;
	cap.subtype = irq->subtype;

	/* The chain only fits a caller that knows the longer layout. */
	if (info.argsz >= fullsz) {
		info.flags |= MDEV_PT_IRQ_INFO_FLAG_CAPS;
		if (info.argsz < fullsz + sizeof(cap)) {
			info.cap_offset = 0;
		} else {
			info.cap_offset = fullsz;
			if (copy_to_user(arg + fullsz, &cap, sizeof(cap)))
				return -EFAULT;
		}
		minsz = fullsz;
	}
	info.argsz = fullsz + sizeof(cap);

	return copy_to_user(arg, &info, minsz) ? -EFAULT : 0;
}

static int mdev_pt_irq_set_trigger(struct mdev_pt_irq_vec *vec, s32 fd,
				   spinlock_t *lock)
{
	struct eventfd_ctx *trigger = NULL, *old;

	if (fd >= 0) {
		trigger = eventfd_ctx_fdget(fd);
		if (IS_ERR(trigger))
			return PTR_ERR(trigger);
	} else if (fd != -1) {
		return -EINVAL;
	}

	spin_lock_irq(lock);
	old = vec->trigger;
	vec->trigger = trigger;
	spin_unlock_irq(lock);
	if (old)
		eventfd_ctx_put(old);
	return 0;
}

/* One vector: @data is NULL for DATA_NONE, else the vector's bool or fd. */
static int mdev_pt_irq_set_one(struct mdev_pt_instance *inst,
			       struct mdev_pt_irq_vec *vec, u32 flags,
			       const void *data)
{
	u32 action = flags & VFIO_IRQ_SET_ACTION_TYPE_MASK;
	bool doit = !data || (flags & VFIO_IRQ_SET_DATA_EVENTFD) ||
		    *(const u8 *)data;

	if (action == VFIO_IRQ_SET_ACTION_TRIGGER &&
	    (flags & VFIO_IRQ_SET_DATA_EVENTFD))
		return mdev_pt_irq_set_trigger(vec, *(const s32 *)data,
					       &inst->irq_lock);
	if (!doit)
		return 0;

	spin_lock_irq(&inst->irq_lock);
	switch (action) {
	case VFIO_IRQ_SET_ACTION_MASK:
		vec->masked = true;
		break;
	case VFIO_IRQ_SET_ACTION_UNMASK:
		vec->masked = false;
		if (vec->pending && vec->trigger)
			mdev_pt_eventfd_signal(vec->trigger);
		vec->pending = false;
		break;
	case VFIO_IRQ_SET_ACTION_TRIGGER:
		/* Loopback: user space raises the vector itself. */
		if (vec->masked)
			vec->pending = true;
		else if (vec->trigger)
			mdev_pt_eventfd_signal(vec->trigger);
		break;
	}
	spin_unlock_irq(&inst->irq_lock);
	return 0;
}

/**
 * mdev_pt_ioctl_set_irqs() - VFIO_DEVICE_SET_IRQS for custom indexes
 * @fn: the function, open
 * @arg: the user's struct vfio_irq_set and data
 *
 * Return: 0 or a negative errno.
 */
long mdev_pt_ioctl_set_irqs(struct mdev_pt_function *fn, void __user *arg)
{
	unsigned long minsz = offsetofend(struct vfio_irq_set, count);
	struct mdev_pt_instance *inst = mdev_pt_open_instance(fn);
	const struct mdev_pt_type *type = mdev_pt_inst_type(inst);
	u32 action, datatype, i, stride;
	const struct mdev_pt_irq *irq;
	struct mdev_pt_irq_vec *vecs;
	struct vfio_irq_set hdr;
	size_t data_size = 0;
	u8 *data = NULL;
	int ret = 0;

	if (copy_from_user(&hdr, arg, minsz))
		return -EFAULT;

	if (hdr.index < VFIO_PCI_NUM_IRQS)
		return vfio_pci_core_ioctl(&fn->core_device.vdev,
					   VFIO_DEVICE_SET_IRQS,
					   (unsigned long)arg);

	irq = mdev_pt_custom_irq(fn, hdr.index);
	if (!irq)
		return -EINVAL;

	ret = vfio_set_irqs_validate_and_prepare(&hdr, irq->count,
						 VFIO_PCI_NUM_IRQS + type->num_irqs,
						 &data_size);
	if (ret)
		return ret;

	action = hdr.flags & VFIO_IRQ_SET_ACTION_TYPE_MASK;
	datatype = hdr.flags & VFIO_IRQ_SET_DATA_TYPE_MASK;
	if (hweight32(action) != 1)
		return -EINVAL;
	if (action != VFIO_IRQ_SET_ACTION_TRIGGER &&
	    (!(irq->flags & VFIO_IRQ_INFO_MASKABLE) ||
	     datatype == VFIO_IRQ_SET_DATA_EVENTFD))
		return -EINVAL;

	if (data_size) {
		data = memdup_user(arg + minsz, data_size);
		if (IS_ERR(data))
			return PTR_ERR(data);
	}

	vecs = &inst->irq_vecs[inst->irq_base[hdr.index - VFIO_PCI_NUM_IRQS]];

	/* DATA_NONE with count 0 and TRIGGER disables the whole index. */
	if (!hdr.count && action == VFIO_IRQ_SET_ACTION_TRIGGER) {
		for (i = 0; i < irq->count; i++)
			mdev_pt_irq_set_trigger(&vecs[i], -1, &inst->irq_lock);
		goto out_free;
	}

	stride = datatype == VFIO_IRQ_SET_DATA_EVENTFD ? sizeof(s32) :
		 datatype == VFIO_IRQ_SET_DATA_BOOL ? sizeof(u8) : 0;
	for (i = 0; i < hdr.count && !ret; i++)
		ret = mdev_pt_irq_set_one(inst, &vecs[hdr.start + i], hdr.flags,
					  stride ? data + i * stride : NULL);

out_free:
	kfree(data);
	return ret;
}
