// SPDX-License-Identifier: GPL-2.0-only
/*
 * mdev-pt: the v1 migration region (VFIO_REGION_TYPE_MIGRATION_DEPRECATED)
 * for user space that predates the v2 uAPI, QEMU 7.2 among it.
 *
 * The region starts with struct vfio_device_migration_info; its data
 * section, one page in, holds a chunk of the same stream the v2 data file
 * carries, and may be mmap'd or accessed with pread/pwrite.  device_state
 * writes drive the core's state machine:
 *
 *	v1 device_state		v2 state
 *	RUNNING (1)		RUNNING
 *	RUNNING|SAVING (3)	RUNNING; no pre-copy data, pending_bytes 0
 *	SAVING (2)		STOP_COPY
 *	STOP (0)		STOP
 *	RESUMING (4)		RESUMING
 *	SAVING|RESUMING (6)	ERROR, read only
 *
 * Saving, user space reads pending_bytes, then data_offset, which puts the
 * next chunk of the stream into the data section and sets data_size, then
 * the chunk.  Reading pending_bytes again retires the chunk.  Only the
 * first access to each field in that order has an effect, so header fields
 * read twice or in pieces do not move the stream twice.  Resuming, user
 * space writes a chunk into the data section and then its size into
 * data_size; the write of data_size's last byte feeds the chunk to the
 * stream.
 */

#include <linux/file.h>
#include <linux/mm.h>
#include <linux/uaccess.h>
#include <linux/vfio.h>
#include <linux/vmalloc.h>

#include "compat.h"
#include "migration.h"

#define MDEV_PT_V1_HDR_SIZE	PAGE_SIZE
#define MDEV_PT_V1_DATA_SIZE	PAGE_ALIGN(MDEV_PT_MIG_BUF_SIZE)
#define MDEV_PT_V1_SIZE		(MDEV_PT_V1_HDR_SIZE + MDEV_PT_V1_DATA_SIZE)

#define MDEV_PT_V1_FIELD(f)						\
	offsetof(struct vfio_device_migration_info, f)
#define MDEV_PT_V1_INFO_SIZE	sizeof(struct vfio_device_migration_info)

static u32 mdev_pt_v1_state(struct mdev_pt_function *fn)
{
	switch (fn->mig.state) {
	case VFIO_DEVICE_STATE_ERROR:
		return VFIO_DEVICE_STATE_V1_SAVING |
		       VFIO_DEVICE_STATE_V1_RESUMING;
	case VFIO_DEVICE_STATE_STOP:
		return VFIO_DEVICE_STATE_V1_STOP;
	case VFIO_DEVICE_STATE_RUNNING:
		return VFIO_DEVICE_STATE_V1_RUNNING |
		       (fn->mig.v1.live ? VFIO_DEVICE_STATE_V1_SAVING : 0);
	case VFIO_DEVICE_STATE_RUNNING_P2P:
		return VFIO_DEVICE_STATE_V1_RUNNING;
	case VFIO_DEVICE_STATE_STOP_COPY:
		return VFIO_DEVICE_STATE_V1_SAVING;
	case VFIO_DEVICE_STATE_RESUMING:
		return VFIO_DEVICE_STATE_V1_RESUMING;
	default:	/* the PRE_COPY states of the v2 uAPI */
		return VFIO_DEVICE_STATE_V1_RUNNING |
		       VFIO_DEVICE_STATE_V1_SAVING;
	}
}

/**
 * mdev_pt_mig_v1_reset() - forget the v1 region's save or resume
 * @fn: the function, its state mutex held
 */
void mdev_pt_mig_v1_reset(struct mdev_pt_function *fn)
{
	struct mdev_pt_mig_v1 *v1 = &fn->mig.v1;

	lockdep_assert_held(&fn->mig.state_mutex);

	if (v1->file)
		fput(v1->file);
	v1->file = NULL;
	v1->live = false;
	v1->chunk_ready = false;
	v1->data_size = 0;
	v1->data_size_wr = 0;
}

/* A failure of the stream: the device is in the v1 error state. */
static int mdev_pt_v1_fail(struct mdev_pt_function *fn, int err)
{
	lockdep_assert_held(&fn->mig.state_mutex);

	mdev_pt_mig_v1_reset(fn);
	mdev_pt_mig_fail_locked(fn);
	return err;
}

static struct mdev_pt_mig_file *
mdev_pt_v1_file(struct mdev_pt_function *fn, bool saving)
{
	struct mdev_pt_mig_file *migf;

	if (!fn->mig.v1.file)
		return NULL;
	migf = fn->mig.v1.file->private_data;
	return migf->saving == saving ? migf : NULL;
}

static int mdev_pt_v1_set_state(struct mdev_pt_function *fn, u32 val)
{
	struct mdev_pt_mig_v1 *v1 = &fn->mig.v1;
	struct device *dev = mdev_pt_instance_dev(fn->mig.inst);
	enum vfio_device_mig_state new;
	struct file *filp;

	if (fn->mig.state == VFIO_DEVICE_STATE_ERROR) {
		dev_err(dev, "v1 device_state %#x refused: the device is in the error state, reset it first\n",
			val);
		return -EINVAL;
	}
	if ((val & ~VFIO_DEVICE_STATE_MASK) ||
	    !VFIO_DEVICE_STATE_VALID(val)) {
		dev_err(dev, "v1 device_state %#x refused: not a valid state\n",
			val);
		return -EINVAL;
	}

	switch (val) {
	case VFIO_DEVICE_STATE_V1_STOP:
		new = VFIO_DEVICE_STATE_STOP;
		break;
	case VFIO_DEVICE_STATE_V1_SAVING:
		new = VFIO_DEVICE_STATE_STOP_COPY;
		break;
	case VFIO_DEVICE_STATE_V1_RESUMING:
		new = VFIO_DEVICE_STATE_RESUMING;
		break;
	default:	/* RUNNING, with or without SAVING */
		new = VFIO_DEVICE_STATE_RUNNING;
		break;
	}

	filp = mdev_pt_mig_set_state_locked(fn, new);
	if (IS_ERR(filp)) {
		/* A refused arc changes nothing; a failed one ends the stream. */
		if (fn->mig.state == VFIO_DEVICE_STATE_ERROR)
			mdev_pt_mig_v1_reset(fn);
		return PTR_ERR(filp);
	}

	if (filp || (new != VFIO_DEVICE_STATE_STOP_COPY &&
		     new != VFIO_DEVICE_STATE_RESUMING))
		mdev_pt_mig_v1_reset(fn);
	if (filp)
		v1->file = filp;
	v1->live = val == (VFIO_DEVICE_STATE_V1_RUNNING |
			   VFIO_DEVICE_STATE_V1_SAVING);
	return 0;
}

/* pending_bytes: what the save still has, 0 outside stop-copy. */
static u64 mdev_pt_v1_pending(struct mdev_pt_function *fn)
{
	struct mdev_pt_mig_file *migf = mdev_pt_v1_file(fn, true);
	u64 pending;

	if (!migf)
		return 0;

	/* Reading pending_bytes retires the chunk user space has read. */
	fn->mig.v1.chunk_ready = false;

	mutex_lock(&migf->lock);
	pending = mdev_pt_mig_file_pending(migf);
	mutex_unlock(&migf->lock);
	return pending;
}

/* data_offset: put the next chunk of the stream into the data section. */
static int mdev_pt_v1_prepare(struct mdev_pt_function *fn)
{
	struct mdev_pt_mig_file *migf = mdev_pt_v1_file(fn, true);
	struct mdev_pt_mig_v1 *v1 = &fn->mig.v1;
	ssize_t n;

	if (!migf || v1->chunk_ready)
		return 0;

	mutex_lock(&migf->lock);
	n = mdev_pt_mig_file_save(migf);
	if (n > 0) {
		n = min_t(size_t, n, MDEV_PT_V1_DATA_SIZE);
		memcpy(v1->data, migf->buf + migf->pos, n);
		migf->pos += n;
		migf->total += n;
	}
	mutex_unlock(&migf->lock);

	if (n < 0)
		return mdev_pt_v1_fail(fn, n);
	v1->data_size = n;
	v1->chunk_ready = true;
	return 0;
}

/* data_size written: feed the chunk in the data section to the stream. */
static int mdev_pt_v1_load(struct mdev_pt_function *fn)
{
	struct mdev_pt_mig_file *migf = mdev_pt_v1_file(fn, false);
	struct mdev_pt_mig_v1 *v1 = &fn->mig.v1;
	struct device *dev = mdev_pt_instance_dev(fn->mig.inst);
	ssize_t ret;

	if (!migf) {
		dev_err(dev, "v1 data_size written outside RESUMING\n");
		return -EINVAL;
	}
	if (v1->data_size_wr > MDEV_PT_V1_DATA_SIZE) {
		dev_err(dev, "v1 data_size %llu is larger than the data section (%lu)\n",
			v1->data_size_wr, MDEV_PT_V1_DATA_SIZE);
		return mdev_pt_v1_fail(fn, -EINVAL);
	}

	mutex_lock(&migf->lock);
	ret = mdev_pt_mig_file_load(migf, v1->data, NULL, v1->data_size_wr);
	mutex_unlock(&migf->lock);
	if (ret < 0)
		return mdev_pt_v1_fail(fn, ret);
	v1->data_size = v1->data_size_wr;
	return 0;
}

/* Whether the access [pos, end) touches the field at @field of @size bytes. */
static bool mdev_pt_v1_touches(loff_t pos, loff_t end, loff_t field,
			       size_t size)
{
	return pos < field + size && end > field;
}

static ssize_t mdev_pt_v1_header_read(struct mdev_pt_function *fn,
				      char __user *ubuf, size_t count,
				      loff_t pos)
{
	struct vfio_device_migration_info info = {};
	loff_t end = pos + count;
	int ret;

	info.device_state = mdev_pt_v1_state(fn);
	if (mdev_pt_v1_touches(pos, end, MDEV_PT_V1_FIELD(pending_bytes),
			       sizeof(info.pending_bytes)))
		info.pending_bytes = mdev_pt_v1_pending(fn);
	if (mdev_pt_v1_touches(pos, end, MDEV_PT_V1_FIELD(data_offset),
			       sizeof(info.data_offset))) {
		ret = mdev_pt_v1_prepare(fn);
		if (ret)
			return ret;
	}
	info.data_offset = MDEV_PT_V1_HDR_SIZE;
	info.data_size = fn->mig.v1.data_size;

	if (copy_to_user(ubuf, (u8 *)&info + pos, count))
		return -EFAULT;
	return count;
}

static ssize_t mdev_pt_v1_header_write(struct mdev_pt_function *fn,
				       char __user *ubuf, size_t count,
				       loff_t pos)
{
	struct device *dev = mdev_pt_instance_dev(fn->mig.inst);
	loff_t ds = MDEV_PT_V1_FIELD(data_size);
	__le64 data_size;
	u32 val;
	int ret;

	if (pos == MDEV_PT_V1_FIELD(device_state) && count == sizeof(val)) {
		if (copy_from_user(&val, ubuf, sizeof(val)))
			return -EFAULT;
		ret = mdev_pt_v1_set_state(fn, val);
		return ret ? ret : count;
	}

	if (pos >= ds && pos + count <= ds + sizeof(data_size)) {
		data_size = cpu_to_le64(fn->mig.v1.data_size_wr);
		if (copy_from_user((u8 *)&data_size + (pos - ds), ubuf, count))
			return -EFAULT;
		fn->mig.v1.data_size_wr = le64_to_cpu(data_size);
		if (pos + count == ds + sizeof(data_size)) {
			ret = mdev_pt_v1_load(fn);
			if (ret)
				return ret;
		}
		return count;
	}

	dev_err(dev, "v1 region: write of %zu bytes at %#llx refused, only device_state (4 bytes) and data_size are writable\n",
		count, pos);
	return -EINVAL;
}

static ssize_t mdev_pt_v1_rw(struct vfio_pci_core_device *vdev,
			     char __user *ubuf, size_t count, loff_t *ppos,
			     bool iswrite)
{
	struct mdev_pt_function *fn = mdev_pt_from_vdev(&vdev->vdev);
	loff_t pos = *ppos & VFIO_PCI_OFFSET_MASK;
	ssize_t ret;
	void *data;

	if (pos >= MDEV_PT_V1_SIZE ||
	    (pos >= MDEV_PT_V1_INFO_SIZE && pos < MDEV_PT_V1_HDR_SIZE))
		return -EINVAL;

	mdev_pt_mig_state_lock(fn);
	if (!fn->mig.inst || !fn->mig.v1.data) {
		ret = -ENODEV;
	} else if (pos < MDEV_PT_V1_INFO_SIZE) {
		count = min_t(size_t, count, MDEV_PT_V1_INFO_SIZE - pos);
		if (iswrite)
			ret = mdev_pt_v1_header_write(fn, ubuf, count, pos);
		else
			ret = mdev_pt_v1_header_read(fn, ubuf, count, pos);
	} else {
		count = min_t(size_t, count, MDEV_PT_V1_SIZE - pos);
		data = fn->mig.v1.data + pos - MDEV_PT_V1_HDR_SIZE;
		if (iswrite)
			ret = copy_from_user(data, ubuf, count) ? -EFAULT : count;
		else
			ret = copy_to_user(ubuf, data, count) ? -EFAULT : count;
	}
	mdev_pt_mig_state_unlock(fn);

	if (ret > 0)
		*ppos += ret;
	return ret;
}

static int mdev_pt_v1_mmap(struct vfio_pci_core_device *vdev,
			   struct vfio_pci_region *region,
			   struct vm_area_struct *vma)
{
	struct mdev_pt_function *fn = mdev_pt_from_vdev(&vdev->vdev);
	unsigned long pgoff, npages = vma_pages(vma);

	pgoff = vma->vm_pgoff &
		((1UL << (VFIO_PCI_OFFSET_SHIFT - PAGE_SHIFT)) - 1);
	if (pgoff < MDEV_PT_V1_HDR_SIZE >> PAGE_SHIFT ||
	    pgoff + npages > MDEV_PT_V1_SIZE >> PAGE_SHIFT) {
		dev_warn_ratelimited(&vdev->pdev->dev, "v1 migration region: only the data section can be mapped\n");
		return -EINVAL;
	}

	/*
	 * The data section lives from open to close; no lock: the state
	 * mutex is taken with mmap_lock held by the copies in rw.
	 */
	return remap_vmalloc_range(vma, fn->mig.v1.data,
				   pgoff - (MDEV_PT_V1_HDR_SIZE >> PAGE_SHIFT));
}

/* Only the data section can be mmap'd. */
static int mdev_pt_v1_add_capability(struct vfio_pci_core_device *vdev,
				     struct vfio_pci_region *region,
				     struct vfio_info_cap *caps)
{
	const struct vfio_region_sparse_mmap_area data = {
		.offset	= MDEV_PT_V1_HDR_SIZE,
		.size	= MDEV_PT_V1_DATA_SIZE,
	};

	return mdev_pt_add_sparse_mmap_cap(caps, &data, 1);
}

/* The data section belongs to the function's migration state. */
static void mdev_pt_v1_release(struct vfio_pci_core_device *vdev,
			       struct vfio_pci_region *region)
{
}

static const struct vfio_pci_regops mdev_pt_v1_regops = {
	.rw		= mdev_pt_v1_rw,
	.mmap		= mdev_pt_v1_mmap,
	.add_capability	= mdev_pt_v1_add_capability,
	.release	= mdev_pt_v1_release,
};

/**
 * mdev_pt_mig_v1_open() - add the v1 region of a migratable instance
 * @inst: the instance, being opened, after its type's own regions
 *
 * Return: 0 or a negative errno.
 */
int mdev_pt_mig_v1_open(struct mdev_pt_instance *inst)
{
	struct mdev_pt_function *fn = inst->fn;
	void *data;
	int ret;

	data = vmalloc_user(MDEV_PT_V1_DATA_SIZE);
	if (!data)
		return -ENOMEM;

	mdev_pt_mig_state_lock(fn);
	fn->mig.v1.data = data;
	mdev_pt_mig_state_unlock(fn);

	/* vfio_pci_core_disable() drops the region at close. */
	ret = vfio_pci_core_register_dev_region(&fn->core_device,
						VFIO_REGION_TYPE_MIGRATION_DEPRECATED,
						VFIO_REGION_SUBTYPE_MIGRATION_DEPRECATED,
						&mdev_pt_v1_regops,
						MDEV_PT_V1_SIZE,
						VFIO_REGION_INFO_FLAG_READ |
						VFIO_REGION_INFO_FLAG_WRITE |
						VFIO_REGION_INFO_FLAG_MMAP,
						NULL);
	if (ret)
		mdev_pt_mig_v1_close(fn);
	return ret;
}

/**
 * mdev_pt_mig_v1_close() - free the v1 region's data section
 * @fn: the function, closed (nothing maps the data section any more)
 */
void mdev_pt_mig_v1_close(struct mdev_pt_function *fn)
{
	void *data;

	mdev_pt_mig_state_lock(fn);
	mdev_pt_mig_v1_reset(fn);
	data = fn->mig.v1.data;
	fn->mig.v1.data = NULL;
	mdev_pt_mig_state_unlock(fn);

	vfree(data);
}
