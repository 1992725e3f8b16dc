// SPDX-License-Identifier: GPL-2.0-only
/*
 * mdev-pt: the migration stream of include/uapi/linux/mdev_pt.h.  A save
 * file hands it out: the preamble (HEADER, TYPE and COMPAT records), the
 * plugin's state in DATA records and the END record, each sealed with its
 * CRC.  A resume file takes it in: each record is checked and used in
 * turn, and a stream refused stays refused.  Also the estimates of the
 * stream bytes still to come, with the records' overhead.
 *
 * Callers enter the plugin gate and hold the state mutex, and the data
 * file's lock where one is used: see the locking rules at the top of
 * migration.c.
 */

#include <linux/crc32.h>
#include <linux/uaccess.h>

#include "migration.h"
#include "mdev_pt_trace.h"

/* The type name as the stream carries it, without "mdev_pt-". */
static const char *mdev_pt_mig_type_name(struct mdev_pt_instance *inst)
{
	return inst->mt->type->sysfs_name;
}

static u32 mdev_pt_crc32(const void *buf, size_t len)
{
	return crc32_le(~0U, buf, len) ^ ~0U;
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

/**
 * mdev_pt_mig_pending() - stream bytes a stop-copy would still hand out
 * @fn: the function, its state mutex held, a migratable instance open
 *
 * Return: an estimate, including the records' overhead.
 */
u64 mdev_pt_mig_pending(struct mdev_pt_function *fn)
{
	struct mdev_pt_instance *inst = fn->mig.inst;
	u64 initial = 0, dirty = 0;

	lockdep_assert_held(&fn->mig.state_mutex);

	mdev_pt_mig_ops(inst)->save_pending(inst, &initial, &dirty);
	trace_mdev_pt_plugin_call(inst, MDEV_PT_OP_SAVE_PENDING, 0);
	return initial + dirty + mdev_pt_mig_overhead(inst, initial + dirty);
}
