// SPDX-License-Identifier: GPL-2.0-only
/*
 * mdev-pt: the migration data files, the anon inode files of a save or a
 * resume that the v2 uAPI hands to user space (the v1 region keeps its
 * own): their read, write and VFIO_MIG_GET_PRECOPY_INFO, which move the
 * stream (migration_stream.c), their creation and their death.
 *
 * Every access enters the plugin gate, then takes the state mutex and the
 * file's lock: see the locking rules at the top of migration.c.
 */

#include <linux/anon_inodes.h>
#include <linux/fs.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vfio.h>

#include "compat.h"
#include "migration.h"
#include "mdev_pt_trace.h"

/**
 * mdev_pt_mig_file_disable() - kill a data file
 * @migf: the file
 * @err: -ENODEV when its state was left or the device is closed or reset,
 *	-ENOTCONN when the plugin gate closed
 *
 * Every further access fails with the first @err given.
 */
void mdev_pt_mig_file_disable(struct mdev_pt_mig_file *migf, int err)
{
	mutex_lock(&migf->lock);
	if (!migf->disabled)
		migf->disabled = err;
	migf->inst = NULL;
	kvfree(migf->buf);
	migf->buf = NULL;
	mutex_unlock(&migf->lock);
}

static int mdev_pt_mig_file_release(struct inode *inode, struct file *filp)
{
	struct mdev_pt_mig_file *migf = filp->private_data;

	mdev_pt_mig_file_disable(migf, -ENODEV);
	mutex_destroy(&migf->lock);
	vfio_put_device(&migf->fn->core_device.vdev);
	kfree(migf);
	return 0;
}

/*
 * Every access to a data file enters the plugin gate, then takes the state
 * mutex and the file's lock with these.
 */
static void mdev_pt_mig_file_lock(struct mdev_pt_mig_file *migf)
{
	mdev_pt_mig_state_lock(migf->fn);
	mutex_lock(&migf->lock);
}

static void mdev_pt_mig_file_unlock(struct mdev_pt_mig_file *migf)
{
	mutex_unlock(&migf->lock);
	mdev_pt_mig_state_unlock(migf->fn);
}

static ssize_t mdev_pt_mig_read(struct file *filp, char __user *ubuf,
				size_t count, loff_t *pos)
{
	struct mdev_pt_mig_file *migf = filp->private_data;
	ssize_t done = 0, ret;
	size_t n;
	int idx;

	if (pos)
		return -ESPIPE;
	if (!migf->saving)
		return -EINVAL;

	if (!mdev_pt_gate_enter(migf->fn, &idx))
		return -ENOTCONN;
	mdev_pt_mig_file_lock(migf);
	while (done < count) {
		ret = mdev_pt_mig_file_save(migf);
		if (ret <= 0)
			break;
		n = min_t(size_t, ret, count - done);
		if (copy_to_user(ubuf + done, migf->buf + migf->pos, n)) {
			ret = -EFAULT;
			break;
		}
		migf->pos += n;
		migf->total += n;
		done += n;
	}
	mdev_pt_mig_file_unlock(migf);
	mdev_pt_gate_exit(migf->fn, idx);
	return done ? done : ret;
}

static ssize_t mdev_pt_mig_write(struct file *filp, const char __user *ubuf,
				 size_t count, loff_t *pos)
{
	struct mdev_pt_mig_file *migf = filp->private_data;
	ssize_t ret;
	int idx;

	if (pos)
		return -ESPIPE;
	if (migf->saving)
		return -EINVAL;

	if (!mdev_pt_gate_enter(migf->fn, &idx))
		return -ENOTCONN;
	mdev_pt_mig_file_lock(migf);
	ret = mdev_pt_mig_file_load(migf, NULL, ubuf, count);
	mdev_pt_mig_file_unlock(migf);
	mdev_pt_gate_exit(migf->fn, idx);
	return ret;
}

static long mdev_pt_mig_precopy_info(struct mdev_pt_mig_file *migf,
				     void __user *arg)
{
	unsigned long minsz = offsetofend(struct vfio_precopy_info,
					  dirty_bytes);
	struct vfio_precopy_info info;
	struct mdev_pt_instance *inst;
	u64 initial, dirty;
	int idx;
	long ret;

	if (copy_from_user(&info, arg, minsz))
		return -EFAULT;
	if (info.argsz < minsz)
		return -EINVAL;

	if (!mdev_pt_gate_enter(migf->fn, &idx))
		return -ENOTCONN;
	mdev_pt_mig_file_lock(migf);
	if (migf->disabled) {
		ret = migf->disabled;
		goto out_unlock;
	}
	if (!migf->saving || !migf->precopy) {
		ret = -EINVAL;
		goto out_unlock;
	}
	inst = migf->inst;
	mdev_pt_mig_ops(inst)->save_pending(inst, &initial, &dirty);
	trace_mdev_pt_plugin_call(inst, MDEV_PT_OP_SAVE_PENDING, 0);
	info.flags = 0;
	info.initial_bytes = initial + migf->len - migf->pos;
	info.dirty_bytes = dirty;
out_unlock:
	mdev_pt_mig_file_unlock(migf);
	mdev_pt_gate_exit(migf->fn, idx);

	if (!ret && copy_to_user(arg, &info, minsz))
		ret = -EFAULT;
	return ret;
}

static long mdev_pt_mig_ioctl(struct file *filp, unsigned int cmd,
			      unsigned long arg)
{
	/* Only kernels with the PRE_COPY states know the ioctl. */
	if (cmd == VFIO_MIG_GET_PRECOPY_INFO && MDEV_PT_MIG_FLAG_PRE_COPY)
		return mdev_pt_mig_precopy_info(filp->private_data,
						(void __user *)arg);
	return -ENOTTY;
}

static const struct file_operations mdev_pt_mig_fops = {
	.owner		= THIS_MODULE,
	.read		= mdev_pt_mig_read,
	.write		= mdev_pt_mig_write,
	.unlocked_ioctl	= mdev_pt_mig_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.release	= mdev_pt_mig_file_release,
};

/**
 * mdev_pt_mig_file_new() - a new data file for a save or a resume
 * @inst: the migratable instance
 * @saving: the file hands out the device state (else it takes it in)
 *
 * Return: the file, whose &mdev_pt_mig_file.filp holds its one reference,
 * or an ERR_PTR().
 */
struct mdev_pt_mig_file *
mdev_pt_mig_file_new(struct mdev_pt_instance *inst, bool saving)
{
	struct mdev_pt_mig_file *migf;
	struct file *filp;

	migf = kzalloc(sizeof(*migf), GFP_KERNEL_ACCOUNT);
	if (!migf)
		return ERR_PTR(-ENOMEM);

	migf->buf = kvmalloc(MDEV_PT_MIG_BUF_SIZE, GFP_KERNEL_ACCOUNT);
	if (!migf->buf) {
		kfree(migf);
		return ERR_PTR(-ENOMEM);
	}
	mutex_init(&migf->lock);
	migf->fn = inst->fn;
	migf->inst = inst;
	migf->saving = saving;

	filp = anon_inode_getfile("mdev_pt_mig", &mdev_pt_mig_fops, migf,
				  saving ? O_RDONLY : O_WRONLY);
	if (IS_ERR(filp)) {
		mutex_destroy(&migf->lock);
		kvfree(migf->buf);
		kfree(migf);
		return ERR_CAST(filp);
	}
	/* Dropped in the file's release. */
	get_device(&migf->fn->core_device.vdev.device);
	stream_open(filp->f_inode, filp);
	migf->filp = filp;
	return migf;
}
