// SPDX-License-Identifier: GPL-2.0-only
/*
 * mdev-pt: live migration core, and the v2 uAPI on top of it.
 *
 * A migratable type's plugin supplies device verbs (struct
 * mdev_pt_migration_ops); this file owns everything else: the state
 * machine (driven by vfio_mig_get_next_state()), the data files, the
 * stream of include/uapi/linux/mdev_pt.h, reset and close handling, and
 * the locking.  The v1 migration region (migration_v1.c) drives the same
 * state machine and the same stream.
 *
 * Locking: every path into the plugin enters the function's plugin gate
 * first (mdev_pt_gate_enter(): the device's ops do, the data files' read,
 * write and ioctl do), then takes fn->mig.state_mutex, which serializes
 * state changes, the data files, the v1 region and every plugin callback:
 * the plugin's migration callbacks run one at a time.  The mutex is taken
 * with mdev_pt_mig_state_lock() and released with
 * mdev_pt_mig_state_unlock(), which both apply a reset of the function
 * that is still pending.  The reset_done handler only notes the reset and
 * queues reset_work: the PCI core and vfio_pci_core call it holding the
 * device's memory_lock, which a plugin's save or load takes
 * (mdev_pt_bar_rw_decoding()) under the state mutex.  A data file's lock
 * is taken after the state mutex.  Once the gate is closed, the files die
 * with -ENOTCONN and a reset or close reaches no plugin callback.  A
 * disabled file never touches the instance again: it may outlive it, and
 * holds a reference on the function's vfio device to reach the gate.
 */

#include <linux/anon_inodes.h>
#include <linux/crc32.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vfio.h>

#include "compat.h"
#include "migration.h"
#include "mdev_pt_trace.h"

/* Save steps: what mdev_pt_mig_file_save() emits next. */
enum {
	MDEV_PT_SAVE_PREAMBLE,		/* HEADER, TYPE and COMPAT */
	MDEV_PT_SAVE_DATA,
	MDEV_PT_SAVE_END,
	MDEV_PT_SAVE_DONE,
};

/* Load steps: which record the stream must bring next. */
enum {
	MDEV_PT_LOAD_HEADER,
	MDEV_PT_LOAD_TYPE,
	MDEV_PT_LOAD_COMPAT,
	MDEV_PT_LOAD_DATA,		/* DATA or END */
	MDEV_PT_LOAD_DONE,
};

static const struct mdev_pt_migration_ops *
mdev_pt_mig_ops(struct mdev_pt_instance *inst)
{
	return inst->mt->type->migration;
}

/* The type name as the stream carries it, without "mdev_pt-". */
static const char *mdev_pt_mig_type_name(struct mdev_pt_instance *inst)
{
	return inst->mt->type->sysfs_name;
}

static u32 mdev_pt_crc32(const void *buf, size_t len)
{
	return crc32_le(~0U, buf, len) ^ ~0U;
}

/* ---- data files ---- */

/*
 * Kill @migf: its state was left, the device is closed or reset (@err
 * -ENODEV), or the plugin gate closed (-ENOTCONN).
 */
static void mdev_pt_mig_file_disable(struct mdev_pt_mig_file *migf, int err)
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

/* Append a record whose payload was built at its place in the buffer. */
static void mdev_pt_mig_seal(struct mdev_pt_mig_file *migf, u32 tag,
			     size_t len)
{
	struct mdev_pt_mig_record *rec = (void *)(migf->buf + migf->len);
	u8 *payload = (u8 *)(rec + 1);
	size_t padded = ALIGN(len, 8);

	rec->tag = cpu_to_le32(tag);
	rec->crc32 = cpu_to_le32(mdev_pt_crc32(payload, len));
	rec->length = cpu_to_le64(len);
	memset(payload + len, 0, padded - len);
	migf->len += MDEV_PT_REC_SIZE + padded;
}

static void mdev_pt_mig_emit(struct mdev_pt_mig_file *migf, u32 tag,
			     const void *payload, size_t len)
{
	memcpy(migf->buf + migf->len + MDEV_PT_REC_SIZE, payload, len);
	mdev_pt_mig_seal(migf, tag, len);
}

static void mdev_pt_mig_emit_preamble(struct mdev_pt_mig_file *migf)
{
	const struct mdev_pt_type *type = migf->inst->mt->type;
	struct mdev_pt_mig_header hdr = {
		.magic = cpu_to_le32(MDEV_PT_MIG_MAGIC),
		.major = cpu_to_le16(MDEV_PT_MIG_VERSION_MAJOR),
		.minor = cpu_to_le16(MDEV_PT_MIG_VERSION_MINOR),
	};
	const char *name = mdev_pt_mig_type_name(migf->inst);

	mdev_pt_mig_emit(migf, MDEV_PT_MIG_TAG_HEADER, &hdr, sizeof(hdr));
	mdev_pt_mig_emit(migf, MDEV_PT_MIG_TAG_TYPE, name, strlen(name));
	mdev_pt_mig_emit(migf, MDEV_PT_MIG_TAG_COMPAT, type->migration_compat,
			 strlen(type->migration_compat));
}

/* Stream bytes of the preamble, the END record and one DATA header each. */
static u64 mdev_pt_mig_overhead(struct mdev_pt_instance *inst, u64 data)
{
	const struct mdev_pt_type *type = inst->mt->type;

	return 4 * MDEV_PT_REC_SIZE + sizeof(struct mdev_pt_mig_header) +
	       ALIGN(strlen(mdev_pt_mig_type_name(inst)), 8) +
	       ALIGN(strlen(type->migration_compat), 8) +
	       sizeof(struct mdev_pt_mig_end) +
	       DIV_ROUND_UP(data, MDEV_PT_MIG_DATA_MAX) * (MDEV_PT_REC_SIZE + 8);
}

/**
 * mdev_pt_mig_file_save() - have stream bytes ready to hand out
 * @migf: a save file, locked
 *
 * Return: bytes ready at @migf->buf + @migf->pos, 0 at the end of the
 * stream, -ENOMSG in pre-copy when the plugin has nothing more for now,
 * another negative errno when the save failed.
 */
ssize_t mdev_pt_mig_file_save(struct mdev_pt_mig_file *migf)
{
	struct mdev_pt_instance *inst;
	struct mdev_pt_mig_end end;
	ssize_t n;

	lockdep_assert_held(&migf->lock);
	mdev_pt_gate_assert_held(migf->fn);

	if (migf->disabled)
		return migf->disabled;
	if (migf->error)
		return migf->error;
	if (migf->pos < migf->len)
		return migf->len - migf->pos;

	inst = migf->inst;
	migf->pos = 0;
	migf->len = 0;
	switch (migf->step) {
	case MDEV_PT_SAVE_PREAMBLE:
		mdev_pt_mig_emit_preamble(migf);
		migf->step = MDEV_PT_SAVE_DATA;
		return migf->len;
	case MDEV_PT_SAVE_DATA:
		n = mdev_pt_mig_ops(inst)->save(inst, migf->buf + MDEV_PT_REC_SIZE,
						MDEV_PT_MIG_DATA_MAX);
		trace_mdev_pt_plugin_call(inst, MDEV_PT_OP_SAVE, n);
		if (n < 0 || n > MDEV_PT_MIG_DATA_MAX) {
			dev_err(mdev_pt_instance_dev(inst), "saving the device state failed: %zd\n",
				n);
			migf->error = n < 0 ? n : -EIO;
			return migf->error;
		}
		if (n) {
			mdev_pt_mig_seal(migf, MDEV_PT_MIG_TAG_DATA, n);
			migf->data_bytes += n;
			return migf->len;
		}
		if (migf->precopy)
			return -ENOMSG;
		end.data_bytes = cpu_to_le64(migf->data_bytes);
		mdev_pt_mig_emit(migf, MDEV_PT_MIG_TAG_END, &end, sizeof(end));
		migf->step = MDEV_PT_SAVE_DONE;
		return migf->len;
	default:
		return 0;
	}
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

/* Fail the stream: every further write and the next arc see @err. */
static int mdev_pt_mig_refuse(struct mdev_pt_mig_file *migf, int err)
{
	migf->error = err;
	return err;
}

static int mdev_pt_mig_check_record(struct mdev_pt_mig_file *migf)
{
	struct device *dev = mdev_pt_instance_dev(migf->inst);
	u32 tag = le32_to_cpu(migf->rec.tag);
	u64 len = le64_to_cpu(migf->rec.length);
	u64 min = 0, max;

	switch (tag) {
	case MDEV_PT_MIG_TAG_HEADER:
		min = sizeof(struct mdev_pt_mig_header);
		max = MDEV_PT_MIG_NAME_MAX;
		break;
	case MDEV_PT_MIG_TAG_TYPE:
	case MDEV_PT_MIG_TAG_COMPAT:
		max = MDEV_PT_MIG_NAME_MAX;
		break;
	case MDEV_PT_MIG_TAG_END:
		min = sizeof(struct mdev_pt_mig_end);
		max = MDEV_PT_MIG_NAME_MAX;
		break;
	case MDEV_PT_MIG_TAG_DATA:
		max = MDEV_PT_MIG_DATA_MAX;
		break;
	default:
		if (!(tag & MDEV_PT_MIG_TAG_OPTIONAL)) {
			dev_err(dev, "migration stream refused: unknown record tag %#x at byte %llu\n",
				tag, migf->total);
			return -EINVAL;
		}
		max = MDEV_PT_MIG_DATA_MAX;
	}

	if (len < min || len > max) {
		dev_err(dev, "migration stream refused: record tag %#x has impossible length %llu (%llu..%llu)\n",
			tag, len, min, max);
		return -EINVAL;
	}
	if (migf->step == MDEV_PT_LOAD_HEADER && tag != MDEV_PT_MIG_TAG_HEADER) {
		dev_err(dev, "migration stream refused: it does not start with a header record (tag %#x)\n",
			tag);
		return -EINVAL;
	}

	migf->len = ALIGN(len, 8);
	migf->pos = 0;
	return 0;
}

static int mdev_pt_mig_check_name(struct mdev_pt_mig_file *migf,
				  const char *what, const char *want)
{
	size_t len = le64_to_cpu(migf->rec.length);

	if (len == strlen(want) && !memcmp(migf->buf, want, len))
		return 0;
	/* The stream's bytes escaped: they come from user space. */
	dev_err(mdev_pt_instance_dev(migf->inst),
		"migration stream refused: %s \"%*pE\", this instance has \"%s\"\n",
		what, (int)len, migf->buf, want);
	return -EINVAL;
}

/* A whole record with its payload arrived: check and use it. */
static int mdev_pt_mig_take_record(struct mdev_pt_mig_file *migf)
{
	struct mdev_pt_instance *inst = migf->inst;
	struct device *dev = mdev_pt_instance_dev(inst);
	u32 tag = le32_to_cpu(migf->rec.tag);
	size_t len = le64_to_cpu(migf->rec.length);
	struct mdev_pt_mig_header hdr;
	struct mdev_pt_mig_end end;
	u32 crc = mdev_pt_crc32(migf->buf, len);
	int ret;

	if (crc != le32_to_cpu(migf->rec.crc32)) {
		dev_err(dev, "migration stream refused: record tag %#x of %zu bytes is corrupted (crc %08x, expected %08x)\n",
			tag, len, crc, le32_to_cpu(migf->rec.crc32));
		return -EINVAL;
	}

	switch (tag) {
	case MDEV_PT_MIG_TAG_HEADER:
		if (migf->step != MDEV_PT_LOAD_HEADER)
			goto out_order;
		memcpy(&hdr, migf->buf, sizeof(hdr));
		if (le32_to_cpu(hdr.magic) != MDEV_PT_MIG_MAGIC) {
			dev_err(dev, "migration stream refused: bad magic %#x\n",
				le32_to_cpu(hdr.magic));
			return -EINVAL;
		}
		if (le16_to_cpu(hdr.major) != MDEV_PT_MIG_VERSION_MAJOR) {
			dev_err(dev, "migration stream refused: format version %u.%u, this kernel reads %u.x\n",
				le16_to_cpu(hdr.major), le16_to_cpu(hdr.minor),
				MDEV_PT_MIG_VERSION_MAJOR);
			return -EINVAL;
		}
		migf->step = MDEV_PT_LOAD_TYPE;
		return 0;
	case MDEV_PT_MIG_TAG_TYPE:
		if (migf->step != MDEV_PT_LOAD_TYPE)
			goto out_order;
		ret = mdev_pt_mig_check_name(migf, "type",
					     mdev_pt_mig_type_name(inst));
		if (!ret)
			migf->step = MDEV_PT_LOAD_COMPAT;
		return ret;
	case MDEV_PT_MIG_TAG_COMPAT:
		if (migf->step != MDEV_PT_LOAD_COMPAT)
			goto out_order;
		ret = mdev_pt_mig_check_name(migf, "compatibility",
					     inst->mt->type->migration_compat);
		if (!ret)
			migf->step = MDEV_PT_LOAD_DATA;
		return ret;
	case MDEV_PT_MIG_TAG_DATA:
		if (migf->step != MDEV_PT_LOAD_DATA)
			goto out_order;
		ret = mdev_pt_mig_ops(inst)->load(inst, migf->buf, len);
		trace_mdev_pt_plugin_call(inst, MDEV_PT_OP_LOAD, ret);
		if (ret) {
			dev_err(dev, "migration stream refused: the device state of record %llu bytes in does not load: %d\n",
				migf->total, ret);
			return -EINVAL;
		}
		migf->data_bytes += len;
		return 0;
	case MDEV_PT_MIG_TAG_END:
		if (migf->step != MDEV_PT_LOAD_DATA)
			goto out_order;
		memcpy(&end, migf->buf, sizeof(end));
		if (le64_to_cpu(end.data_bytes) != migf->data_bytes) {
			dev_err(dev, "migration stream refused: %llu bytes of device state arrived, the source sent %llu\n",
				migf->data_bytes, le64_to_cpu(end.data_bytes));
			return -EINVAL;
		}
		migf->step = MDEV_PT_LOAD_DONE;
		return 0;
	default:
		/* An optional record of a later version. */
		return 0;
	}

out_order:
	dev_err(dev, "migration stream refused: record tag %#x out of order\n",
		tag);
	return -EINVAL;
}

static int mdev_pt_mig_copy_in(void *dst, const void *kbuf,
			       const char __user *ubuf, size_t off, size_t n)
{
	if (kbuf) {
		memcpy(dst, kbuf + off, n);
		return 0;
	}
	return copy_from_user(dst, ubuf + off, n) ? -EFAULT : 0;
}

/**
 * mdev_pt_mig_file_load() - feed stream bytes to a resume file
 * @migf: a resume file, locked
 * @kbuf: the bytes in a kernel buffer, or NULL
 * @ubuf: the bytes in user space, if @kbuf is NULL
 * @count: number of bytes
 *
 * Return: @count, or a negative errno; -EINVAL when the stream is refused,
 * which it then stays.
 */
ssize_t mdev_pt_mig_file_load(struct mdev_pt_mig_file *migf,
			      const void *kbuf, const char __user *ubuf,
			      size_t count)
{
	size_t done = 0, n;
	int ret;

	lockdep_assert_held(&migf->lock);
	mdev_pt_gate_assert_held(migf->fn);

	if (migf->disabled)
		return migf->disabled;
	if (migf->error)
		return migf->error;

	while (done < count) {
		if (migf->step == MDEV_PT_LOAD_DONE) {
			dev_err(mdev_pt_instance_dev(migf->inst),
				"migration stream refused: %zu bytes after the end record\n",
				count - done);
			return mdev_pt_mig_refuse(migf, -EINVAL);
		}

		if (migf->rec_fill < MDEV_PT_REC_SIZE) {
			n = min(count - done, MDEV_PT_REC_SIZE - migf->rec_fill);
			ret = mdev_pt_mig_copy_in((u8 *)&migf->rec + migf->rec_fill,
						  kbuf, ubuf, done, n);
			if (ret)
				return ret;
			migf->rec_fill += n;
			if (migf->rec_fill == MDEV_PT_REC_SIZE) {
				ret = mdev_pt_mig_check_record(migf);
				if (ret)
					return mdev_pt_mig_refuse(migf, ret);
			}
		} else {
			n = min(count - done, migf->len - migf->pos);
			ret = mdev_pt_mig_copy_in(migf->buf + migf->pos, kbuf,
						  ubuf, done, n);
			if (ret)
				return ret;
			migf->pos += n;
		}
		done += n;
		migf->total += n;

		if (migf->rec_fill == MDEV_PT_REC_SIZE &&
		    migf->pos == migf->len) {
			ret = mdev_pt_mig_take_record(migf);
			if (ret)
				return mdev_pt_mig_refuse(migf, ret);
			migf->rec_fill = 0;
		}
	}
	return done;
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

static struct mdev_pt_mig_file *
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

/*
 * Count the stream bytes the current data file moved since the last time,
 * and return them: the bytes of the state an arc leaves.
 */
static u64 mdev_pt_mig_account(struct mdev_pt_function *fn)
{
	struct mdev_pt_mig_file *migf = fn->mig.saving ?: fn->mig.resuming;
	u64 n;

	lockdep_assert_held(&fn->mig.state_mutex);

	if (!migf)
		return 0;

	mutex_lock(&migf->lock);
	n = migf->total - migf->accounted;
	migf->accounted = migf->total;
	mutex_unlock(&migf->lock);

	if (migf->saving)
		fn->mig.stats.bytes_saved += n;
	else
		fn->mig.stats.bytes_loaded += n;
	return n;
}

/*
 * Drop the files of the current save or resume.  Inside the plugin gate
 * (@gated) the plugin is told and the files die with -ENODEV; after it
 * closed, the plugin hears nothing and the files die with -ENOTCONN.
 */
static void mdev_pt_mig_drop_files(struct mdev_pt_function *fn, bool gated)
{
	struct mdev_pt_instance *inst = gated ? fn->mig.inst : NULL;
	int err = gated ? -ENODEV : -ENOTCONN;
	int ret;

	lockdep_assert_held(&fn->mig.state_mutex);

	/* What moved since the last arc, for the counters. */
	mdev_pt_mig_account(fn);

	if (fn->mig.saving) {
		mdev_pt_mig_file_disable(fn->mig.saving, err);
		fput(fn->mig.saving->filp);
		fn->mig.saving = NULL;
		if (inst && mdev_pt_mig_ops(inst)->save_end) {
			mdev_pt_mig_ops(inst)->save_end(inst);
			trace_mdev_pt_plugin_call(inst, MDEV_PT_OP_SAVE_END, 0);
		}
	}
	if (fn->mig.resuming) {
		mdev_pt_mig_file_disable(fn->mig.resuming, err);
		fput(fn->mig.resuming->filp);
		fn->mig.resuming = NULL;
		if (inst && mdev_pt_mig_ops(inst)->load_end) {
			ret = mdev_pt_mig_ops(inst)->load_end(inst, false);
			trace_mdev_pt_plugin_call(inst, MDEV_PT_OP_LOAD_END, ret);
		}
	}
}

/*
 * Back to RUNNING after a reset of the function or a close.  Also from
 * reset_work and the close, which are not inside the plugin gate: the
 * plugin is called only if the gate is still open.
 */
static void mdev_pt_mig_reset_locked(struct mdev_pt_function *fn)
{
	struct mdev_pt_instance *inst = fn->mig.inst;
	int idx;

	lockdep_assert_held(&fn->mig.state_mutex);

	if (inst && mdev_pt_gate_enter(fn, &idx)) {
		mdev_pt_mig_drop_files(fn, true);
		mdev_pt_mig_v1_reset(fn);
		if (mdev_pt_mig_ops(inst)->reset) {
			mdev_pt_mig_ops(inst)->reset(inst);
			trace_mdev_pt_plugin_call(inst, MDEV_PT_OP_RESET, 0);
		}
		mdev_pt_gate_exit(fn, idx);
	} else {
		mdev_pt_mig_drop_files(fn, false);
		mdev_pt_mig_v1_reset(fn);
	}
	if (inst) {
		trace_mdev_pt_mig_reset(inst, fn->mig.state);
		fn->mig.stats.resets++;
		if (fn->mig.state == VFIO_DEVICE_STATE_ERROR)
			mdev_pt_health_clear(fn, MDEV_PT_HEALTH_MIGRATION_FAILED);
	}
	fn->mig.state = VFIO_DEVICE_STATE_RUNNING;
}

/**
 * mdev_pt_mig_gate_closed() - the plugin gate of the instance closed
 * @fn: the function
 *
 * No path is in the plugin any more: the data files of the current save
 * or resume die with -ENOTCONN, without telling the plugin.
 */
void mdev_pt_mig_gate_closed(struct mdev_pt_function *fn)
{
	mdev_pt_mig_state_lock(fn);
	mdev_pt_mig_drop_files(fn, false);
	mdev_pt_mig_v1_reset(fn);
	mdev_pt_mig_state_unlock(fn);
}

/* Apply the resets of the function noted since the last time. */
static void mdev_pt_mig_apply_reset(struct mdev_pt_function *fn)
{
	bool pending;

	lockdep_assert_held(&fn->mig.state_mutex);

	for (;;) {
		spin_lock(&fn->mig.reset_lock);
		pending = fn->mig.deferred_reset;
		fn->mig.deferred_reset = false;
		spin_unlock(&fn->mig.reset_lock);
		if (!pending)
			return;
		mdev_pt_mig_reset_locked(fn);
	}
}

/**
 * mdev_pt_mig_state_lock() - take the state mutex
 * @fn: the function
 *
 * Applies a reset of the function still pending, so the holder sees the
 * state as it is.
 */
void mdev_pt_mig_state_lock(struct mdev_pt_function *fn)
{
	mutex_lock(&fn->mig.state_mutex);
	mdev_pt_mig_apply_reset(fn);
}

/**
 * mdev_pt_mig_state_unlock() - release the state mutex
 * @fn: the function
 *
 * Applies a reset of the function noted while the mutex was held.
 */
void mdev_pt_mig_state_unlock(struct mdev_pt_function *fn)
{
	mdev_pt_mig_apply_reset(fn);
	mutex_unlock(&fn->mig.state_mutex);
}

static void mdev_pt_mig_reset_work(struct work_struct *work)
{
	struct mdev_pt_function *fn = container_of(work, struct mdev_pt_function,
						   mig.reset_work);

	mdev_pt_mig_state_lock(fn);
	mdev_pt_mig_state_unlock(fn);
}

/**
 * mdev_pt_mig_reset_done() - the function was reset
 * @fn: the function
 *
 * From the PCI reset_done handler, which may run under vfio_pci_core's
 * memory_lock: it only notes the reset.  The next holder of the state
 * mutex, or reset_work, puts the state back to RUNNING.
 */
void mdev_pt_mig_reset_done(struct mdev_pt_function *fn)
{
	spin_lock(&fn->mig.reset_lock);
	fn->mig.deferred_reset = true;
	spin_unlock(&fn->mig.reset_lock);
	schedule_work(&fn->mig.reset_work);
}

/**
 * mdev_pt_mig_reset_sync() - the function was reset through the vfio device
 * @fn: the function
 *
 * After VFIO_DEVICE_RESET, outside vfio_pci_core's locks: the state is back
 * to RUNNING and the data files are dead when the ioctl returns.
 */
void mdev_pt_mig_reset_sync(struct mdev_pt_function *fn)
{
	mdev_pt_mig_reset_done(fn);
	mdev_pt_mig_state_lock(fn);
	mdev_pt_mig_state_unlock(fn);
}

static int mdev_pt_mig_verb(struct mdev_pt_instance *inst,
			    int (*verb)(struct mdev_pt_instance *inst),
			    enum mdev_pt_plugin_op op, const char *what)
{
	int ret;

	if (!verb)
		return 0;
	ret = verb(inst);
	trace_mdev_pt_plugin_call(inst, op, ret);
	if (ret)
		dev_err(mdev_pt_instance_dev(inst), "%s failed: %d\n", what,
			ret);
	return ret;
}

/* Start a save, in pre-copy or in stop-copy. */
static struct file *mdev_pt_mig_save_start(struct mdev_pt_function *fn,
					   bool precopy)
{
	struct mdev_pt_instance *inst = fn->mig.inst;
	const struct mdev_pt_migration_ops *ops = mdev_pt_mig_ops(inst);
	struct mdev_pt_mig_file *migf;
	int ret;

	migf = mdev_pt_mig_file_new(inst, true);
	if (IS_ERR(migf))
		return ERR_CAST(migf);
	migf->precopy = precopy;

	if (ops->save_begin) {
		ret = ops->save_begin(inst, precopy);
		trace_mdev_pt_plugin_call(inst, MDEV_PT_OP_SAVE_BEGIN, ret);
		if (ret) {
			dev_err(mdev_pt_instance_dev(inst), "starting the save failed: %d\n",
				ret);
			fput(migf->filp);
			return ERR_PTR(ret);
		}
	}
	get_file(migf->filp);
	fn->mig.saving = migf;
	return migf->filp;
}

static struct file *mdev_pt_mig_resume_start(struct mdev_pt_function *fn)
{
	struct mdev_pt_instance *inst = fn->mig.inst;
	const struct mdev_pt_migration_ops *ops = mdev_pt_mig_ops(inst);
	struct mdev_pt_mig_file *migf;
	int ret;

	migf = mdev_pt_mig_file_new(inst, false);
	if (IS_ERR(migf))
		return ERR_CAST(migf);

	if (ops->load_begin) {
		ret = ops->load_begin(inst);
		trace_mdev_pt_plugin_call(inst, MDEV_PT_OP_LOAD_BEGIN, ret);
		if (ret) {
			dev_err(mdev_pt_instance_dev(inst), "starting the resume failed: %d\n",
				ret);
			fput(migf->filp);
			return ERR_PTR(ret);
		}
	}
	get_file(migf->filp);
	fn->mig.resuming = migf;
	return migf->filp;
}

/* RESUMING -> STOP: the stream must be complete and load. */
static int mdev_pt_mig_resume_finish(struct mdev_pt_function *fn)
{
	struct mdev_pt_mig_file *migf = fn->mig.resuming;
	struct mdev_pt_instance *inst = fn->mig.inst;
	const struct mdev_pt_migration_ops *ops = mdev_pt_mig_ops(inst);
	int ret = 0;

	mutex_lock(&migf->lock);
	if (migf->error) {
		dev_err(mdev_pt_instance_dev(inst), "cannot leave RESUMING: the stream was refused\n");
		ret = -EINVAL;
	} else if (migf->step != MDEV_PT_LOAD_DONE) {
		dev_err(mdev_pt_instance_dev(inst), "cannot leave RESUMING: the stream ended after %llu bytes, before its end record\n",
			migf->total);
		ret = -EINVAL;
	}
	mutex_unlock(&migf->lock);

	mdev_pt_mig_file_disable(migf, -ENODEV);
	fput(migf->filp);
	fn->mig.resuming = NULL;

	if (ops->load_end) {
		int err = ops->load_end(inst, !ret);

		trace_mdev_pt_plugin_call(inst, MDEV_PT_OP_LOAD_END, err);
		if (!ret && err) {
			dev_err(mdev_pt_instance_dev(inst), "the device refused the loaded state: %d\n",
				err);
			ret = -EINVAL;
		}
	}
	return ret;
}

/* PRE_COPY -> STOP_COPY: the save file hands out the rest, then ends. */
static int mdev_pt_mig_end_precopy(struct mdev_pt_function *fn)
{
	struct mdev_pt_mig_file *migf = fn->mig.saving;
	int ret;

	ret = mdev_pt_mig_verb(fn->mig.inst, mdev_pt_mig_ops(fn->mig.inst)->stop,
			       MDEV_PT_OP_STOP, "stop");
	if (!ret) {
		mutex_lock(&migf->lock);
		migf->precopy = false;
		mutex_unlock(&migf->lock);
	}
	return ret;
}

/* One arc of the state machine, as vfio_mig_get_next_state() gives it. */
static struct file *mdev_pt_mig_step(struct mdev_pt_function *fn,
				     enum vfio_device_mig_state next)
{
	enum vfio_device_mig_state cur = fn->mig.state;
	struct mdev_pt_instance *inst = fn->mig.inst;
	const struct mdev_pt_migration_ops *ops = mdev_pt_mig_ops(inst);
	int ret = -EINVAL;	/* vfio_mig_get_next_state() gives no other */

	mdev_pt_gate_assert_held(fn);

#define ARC(from, to) \
	(cur == VFIO_DEVICE_STATE_##from && next == VFIO_DEVICE_STATE_##to)

	/* The P2P states exist only for types with quiesce. */
	if (ARC(RUNNING, RUNNING_P2P))
		ret = mdev_pt_mig_verb(inst, ops->quiesce,
				       MDEV_PT_OP_QUIESCE, "quiesce");
	if (ARC(RUNNING_P2P, RUNNING))
		ret = mdev_pt_mig_verb(inst, ops->unquiesce,
				       MDEV_PT_OP_UNQUIESCE, "unquiesce");
	if (ARC(RUNNING_P2P, STOP) || ARC(RUNNING, STOP))
		ret = mdev_pt_mig_verb(inst, ops->stop,
				       MDEV_PT_OP_STOP, "stop");
	if (ARC(STOP, RUNNING_P2P) || ARC(STOP, RUNNING))
		ret = mdev_pt_mig_verb(inst, ops->resume,
				       MDEV_PT_OP_RESUME, "resume");
	if (ARC(STOP, STOP_COPY))
		return mdev_pt_mig_save_start(fn, false);
	if (ARC(STOP_COPY, STOP)) {
		mdev_pt_mig_drop_files(fn, true);
		ret = 0;
	}
	if (ARC(STOP, RESUMING))
		return mdev_pt_mig_resume_start(fn);
	if (ARC(RESUMING, STOP))
		ret = mdev_pt_mig_resume_finish(fn);
	/* The pre-copy arcs (6.3 and later: see compat.h). */
	if (ARC(RUNNING, PRE_COPY) || ARC(RUNNING_P2P, PRE_COPY_P2P))
		return mdev_pt_mig_save_start(fn, true);
	if (ARC(PRE_COPY, RUNNING) || ARC(PRE_COPY_P2P, RUNNING_P2P)) {
		mdev_pt_mig_drop_files(fn, true);
		ret = 0;
	}
	if (ARC(PRE_COPY, PRE_COPY_P2P))
		ret = mdev_pt_mig_verb(inst, ops->quiesce,
				       MDEV_PT_OP_QUIESCE, "quiesce");
	if (ARC(PRE_COPY_P2P, PRE_COPY))
		ret = mdev_pt_mig_verb(inst, ops->unquiesce,
				       MDEV_PT_OP_UNQUIESCE, "unquiesce");
	if (ARC(PRE_COPY_P2P, STOP_COPY) || ARC(PRE_COPY, STOP_COPY))
		ret = mdev_pt_mig_end_precopy(fn);
#undef ARC

	return ret ? ERR_PTR(ret) : NULL;
}

/**
 * mdev_pt_mig_set_state_locked() - move the device to a new state
 * @fn: the function, its state mutex held, a migratable instance open
 * @new: the state user space asked for
 *
 * Walks the arcs vfio_mig_get_next_state() gives.  A failing arc leaves
 * the device in the ERROR state, from which only a reset leaves.
 *
 * Return: the data file the last arc opened (with a reference for the
 * caller), NULL if none, or an ERR_PTR().
 */
struct file *mdev_pt_mig_set_state_locked(struct mdev_pt_function *fn,
					  enum vfio_device_mig_state new)
{
	struct vfio_device *vdev = &fn->core_device.vdev;
	enum vfio_device_mig_state next;
	struct file *res = NULL;
	u64 bytes, start;
	int ret;

	lockdep_assert_held(&fn->mig.state_mutex);

	if (fn->mig.state == VFIO_DEVICE_STATE_ERROR) {
		dev_err(mdev_pt_instance_dev(fn->mig.inst), "the device is in the ERROR state: reset it first\n");
		return ERR_PTR(-EINVAL);
	}

	while (fn->mig.state != new) {
		ret = vfio_mig_get_next_state(vdev, fn->mig.state, new, &next);
		if (ret)
			return ERR_PTR(ret);

		bytes = mdev_pt_mig_account(fn);
		start = ktime_get_ns();
		res = mdev_pt_mig_step(fn, next);
		trace_mdev_pt_mig_arc(fn->mig.inst, fn->mig.state, next,
				      PTR_ERR_OR_ZERO(res), bytes,
				      ktime_get_ns() - start);
		if (IS_ERR(res)) {
			mdev_pt_mig_fail_locked(fn);
			return res;
		}
		fn->mig.stats.arcs++;
		fn->mig.state = next;
		if (WARN_ON(res && new != next)) {
			fput(res);
			mdev_pt_mig_fail_locked(fn);
			return ERR_PTR(-EINVAL);
		}
	}
	return res;
}

/**
 * mdev_pt_mig_fail_locked() - put the device in the ERROR state
 * @fn: the function, its state mutex held
 *
 * The current save or resume is over: its files are dead.
 */
void mdev_pt_mig_fail_locked(struct mdev_pt_function *fn)
{
	lockdep_assert_held(&fn->mig.state_mutex);

	fn->mig.state = VFIO_DEVICE_STATE_ERROR;
	fn->mig.stats.errors++;
	mdev_pt_mig_drop_files(fn, true);
	mdev_pt_health_set(fn, MDEV_PT_HEALTH_MIGRATION_FAILED);
}

/**
 * mdev_pt_mig_file_pending() - stream bytes a save file still hands out
 * @migf: a save file, locked
 *
 * Return: an estimate, 0 once the whole stream was read.
 */
u64 mdev_pt_mig_file_pending(struct mdev_pt_mig_file *migf)
{
	struct mdev_pt_instance *inst = migf->inst;
	u64 initial = 0, dirty = 0;

	lockdep_assert_held(&migf->lock);

	if (migf->disabled || migf->error)
		return 0;
	if (migf->step == MDEV_PT_SAVE_DONE)
		return migf->len - migf->pos;

	mdev_pt_mig_ops(inst)->save_pending(inst, &initial, &dirty);
	trace_mdev_pt_plugin_call(inst, MDEV_PT_OP_SAVE_PENDING, 0);
	return migf->len - migf->pos + initial + dirty +
	       mdev_pt_mig_overhead(inst, initial + dirty);
}

/*
 * mdev_pt_mig_pending() - stream bytes a stop-copy would still hand out
 * @fn: the function, its state mutex held, a migratable instance open
 *
 * Return: an estimate, including the records' overhead.
 */
static u64 mdev_pt_mig_pending(struct mdev_pt_function *fn)
{
	struct mdev_pt_instance *inst = fn->mig.inst;
	u64 initial = 0, dirty = 0;

	lockdep_assert_held(&fn->mig.state_mutex);

	mdev_pt_mig_ops(inst)->save_pending(inst, &initial, &dirty);
	trace_mdev_pt_plugin_call(inst, MDEV_PT_OP_SAVE_PENDING, 0);
	return initial + dirty + mdev_pt_mig_overhead(inst, initial + dirty);
}

/*
 * vfio core calls the mig_ops for the migration features itself, not
 * through the device's device_feature op: each enters the plugin gate.
 */
static struct file *
mdev_pt_mig_set_state(struct vfio_device *vdev,
		      enum vfio_device_mig_state new)
{
	struct mdev_pt_function *fn = mdev_pt_from_vdev(vdev);
	struct file *res;
	int idx;

	if (!mdev_pt_gate_enter(fn, &idx))
		return ERR_PTR(-ENOTCONN);
	mdev_pt_mig_state_lock(fn);
	res = mdev_pt_mig_set_state_locked(fn, new);
	mdev_pt_mig_state_unlock(fn);
	mdev_pt_gate_exit(fn, idx);
	return res;
}

static int mdev_pt_mig_get_state(struct vfio_device *vdev,
				 enum vfio_device_mig_state *state)
{
	struct mdev_pt_function *fn = mdev_pt_from_vdev(vdev);
	int ret = -ENOTCONN, idx;

	if (mdev_pt_gate_enter(fn, &idx)) {
		mdev_pt_mig_state_lock(fn);
		*state = fn->mig.state;
		mdev_pt_mig_state_unlock(fn);
		mdev_pt_gate_exit(fn, idx);
		ret = 0;
	}
	return ret;
}

static int __maybe_unused
mdev_pt_mig_get_data_size(struct vfio_device *vdev,
			  unsigned long *stop_copy_length)
{
	struct mdev_pt_function *fn = mdev_pt_from_vdev(vdev);
	int ret = -ENOTCONN, idx;

	if (mdev_pt_gate_enter(fn, &idx)) {
		mdev_pt_mig_state_lock(fn);
		*stop_copy_length = mdev_pt_mig_pending(fn);
		mdev_pt_mig_state_unlock(fn);
		mdev_pt_gate_exit(fn, idx);
		ret = 0;
	}
	return ret;
}

static const struct vfio_migration_ops mdev_pt_mig_vfio_ops = {
	.migration_set_state	= mdev_pt_mig_set_state,
	.migration_get_state	= mdev_pt_mig_get_state,
	MDEV_PT_MIG_DATA_SIZE_OP
};

/**
 * mdev_pt_mig_attach() - a migratable instance takes the lease
 * @inst: the instance, being created: nobody can open the device yet
 *
 * vfio core reads mig_ops and migration_flags only while the device is
 * open, so they can follow the instance holding the lease: a type
 * without migration answers VFIO_DEVICE_FEATURE_MIGRATION with ENOTTY.
 * VFIO_MIGRATION_P2P is offered only by types that can quiesce: in
 * RUNNING_P2P the device must not start DMA, which user space relies on
 * to stop several devices one after another (QEMU's multi-device
 * migration).
 */
void mdev_pt_mig_attach(struct mdev_pt_instance *inst)
{
	const struct mdev_pt_migration_ops *ops = inst->mt->type->migration;
	struct mdev_pt_function *fn = inst->fn;
	struct vfio_device *vdev = &fn->core_device.vdev;

	vdev->migration_flags = VFIO_MIGRATION_STOP_COPY;
	if (ops->quiesce)
		vdev->migration_flags |= VFIO_MIGRATION_P2P;
	if (ops->flags & MDEV_PT_MIG_PRE_COPY)
		vdev->migration_flags |= MDEV_PT_MIG_FLAG_PRE_COPY;
	vdev->mig_ops = &mdev_pt_mig_vfio_ops;

	mdev_pt_mig_state_lock(fn);
	fn->mig.inst = inst;
	fn->mig.state = VFIO_DEVICE_STATE_RUNNING;
	memset(&fn->mig.stats, 0, sizeof(fn->mig.stats));
	mdev_pt_mig_state_unlock(fn);
}

/**
 * mdev_pt_mig_read_state() - the state and counters of the migratable instance
 * @fn: the function, a migratable instance holding the lease
 * @state: where to put the state, or NULL
 * @stats: where to put the counters, or NULL
 *
 * For debugfs: takes the state mutex without applying a pending reset,
 * which would call into the plugin, so a reset of the last moments may not
 * show yet.
 */
void mdev_pt_mig_read_state(struct mdev_pt_function *fn,
			    enum vfio_device_mig_state *state,
			    struct mdev_pt_mig_stats *stats)
{
	mutex_lock(&fn->mig.state_mutex);
	if (state)
		*state = fn->mig.state;
	if (stats)
		*stats = fn->mig.stats;
	mutex_unlock(&fn->mig.state_mutex);
}

/**
 * mdev_pt_mig_detach() - the migratable instance releases the lease
 * @inst: the instance, closed
 */
void mdev_pt_mig_detach(struct mdev_pt_instance *inst)
{
	struct mdev_pt_function *fn = inst->fn;
	struct vfio_device *vdev = &fn->core_device.vdev;

	mdev_pt_mig_state_lock(fn);
	fn->mig.inst = NULL;
	mdev_pt_mig_state_unlock(fn);

	vdev->mig_ops = NULL;
	vdev->migration_flags = 0;
}

/**
 * mdev_pt_mig_close() - the device is closed
 * @fn: the function
 *
 * Data files still open become dead, the v1 region goes away and the
 * state machine is back to RUNNING for the next open.
 */
void mdev_pt_mig_close(struct mdev_pt_function *fn)
{
	mdev_pt_mig_state_lock(fn);
	if (fn->mig.inst)
		mdev_pt_mig_reset_locked(fn);
	mdev_pt_mig_state_unlock(fn);
}

void mdev_pt_mig_init(struct mdev_pt_function *fn)
{
	mutex_init(&fn->mig.state_mutex);
	spin_lock_init(&fn->mig.reset_lock);
	INIT_WORK(&fn->mig.reset_work, mdev_pt_mig_reset_work);
	fn->mig.state = VFIO_DEVICE_STATE_RUNNING;
}

void mdev_pt_mig_destroy(struct mdev_pt_function *fn)
{
	cancel_work_sync(&fn->mig.reset_work);
	mutex_destroy(&fn->mig.state_mutex);
}

/*
 * An attribute of a type directory.  The mdev core's sysfs_ops of the type
 * kobject hand show() the struct mdev_type; they find the callbacks in the
 * core's own struct mdev_type_attribute (private to mdev_sysfs.c, the same
 * in 6.1 and 6.12), whose layout this mirrors.
 *
 * Risk: no header has that struct, so no build-time check is possible, and
 * the mdev core offers no API for extra type attributes.  Should its layout
 * change, reading migration_compatibility of a type would call through the
 * wrong pointer; tests/migration/migration.sh reads it on every supported
 * kernel.  Check mdev_sysfs.c when adding a kernel line.
 */
struct mdev_pt_type_attribute {
	struct attribute attr;
	ssize_t (*show)(struct mdev_type *mtype,
			struct mdev_pt_type_attribute *attr, char *buf);
	ssize_t (*store)(struct mdev_type *mtype,
			 struct mdev_pt_type_attribute *attr, const char *buf,
			 size_t count);
};

/* migration_compatibility of a type directory */
static ssize_t migration_compatibility_type_show(struct mdev_type *mtype,
						 struct mdev_pt_type_attribute *attr,
						 char *buf)
{
	return sysfs_emit(buf, "%s\n",
			  mdev_pt_mtype(mtype)->type->migration_compat);
}

static struct mdev_pt_type_attribute mdev_pt_mig_type_tattr = {
	.attr	= { .name = "migration_compatibility", .mode = 0444 },
	.show	= migration_compatibility_type_show,
};

const struct attribute *mdev_pt_mig_type_attr = &mdev_pt_mig_type_tattr.attr;

/* migration_compatibility of an instance */
static ssize_t migration_compatibility_show(struct device *dev,
					    struct device_attribute *attr,
					    char *buf)
{
	struct mdev_pt_instance *inst = dev_get_drvdata(dev);

	return sysfs_emit(buf, "%s\n", inst->mt->type->migration_compat);
}
static DEVICE_ATTR_RO(migration_compatibility);
const struct attribute *mdev_pt_mig_dev_attr =
	&dev_attr_migration_compatibility.attr;
