/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * mdev-pt: what the migration core (the state machine in migration.c, the
 * data files in migration_file.c, the stream in migration_stream.c) and
 * its v1 front end (migration_v1.c) share, and nobody else: the data file,
 * the stream buffer and the locked state-machine calls.  The rest of the
 * driver uses the migration entry points in mdev_pt_priv.h.
 */
#ifndef MDEV_PT_MIGRATION_H
#define MDEV_PT_MIGRATION_H

#include "mdev_pt_priv.h"

#define MDEV_PT_REC_SIZE	sizeof(struct mdev_pt_mig_record)
/* A record with the largest payload and its padding. */
#define MDEV_PT_MIG_BUF_SIZE	(MDEV_PT_REC_SIZE + MDEV_PT_MIG_DATA_MAX + 8)

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

/**
 * struct mdev_pt_mig_file - a migration data file
 * @filp: the file; a v2 data fd, or held by the v1 region
 * @fn: the function, with a reference on its vfio device for the file's
 *	whole life: a data fd may outlive the instance and the binding
 * @inst: the instance migrating; valid while the file is not disabled
 * @lock: protects every field below; taken after &mdev_pt_mig.state_mutex
 * @disabled: 0 while the file is live; once it is dead, the errno every
 *	access fails with: -ENODEV when its state was left or the device was
 *	closed or reset, -ENOTCONN when the plugin gate closed
 * @saving: the file hands out the device state (else it takes it in)
 * @precopy: saving in PRE_COPY: the plugin may have more state later
 * @error: the stream failed; every further access returns it
 * @buf: save: the records not read yet; load: the payload of the record
 *	being received
 * @len: bytes in @buf (save), or payload bytes expected (load, padded)
 * @pos: bytes of @buf read (save) or received (load)
 * @step: save: what to emit next; load: which record is expected next
 * @data_bytes: DATA payload bytes emitted or received
 * @total: stream bytes read or written, for messages
 * @accounted: the part of @total counted in &mdev_pt_mig.stats and traced
 * @rec: load: the header of the record being received
 * @rec_fill: load: bytes of @rec received
 */
struct mdev_pt_mig_file {
	struct file *filp;
	struct mdev_pt_function *fn;
	struct mdev_pt_instance *inst;
	struct mutex lock;		/* protects the fields below */
	int disabled;
	bool saving;
	bool precopy;
	int error;
	u8 *buf;
	size_t len;
	size_t pos;
	unsigned int step;
	u64 data_bytes;
	u64 total;
	u64 accounted;
	struct mdev_pt_mig_record rec;
	size_t rec_fill;
};

/* The migration verbs of @inst's type. */
static inline const struct mdev_pt_migration_ops *
mdev_pt_mig_ops(struct mdev_pt_instance *inst)
{
	return inst->mt->type->migration;
}

/* migration.c */
void mdev_pt_mig_state_lock(struct mdev_pt_function *fn);
void mdev_pt_mig_state_unlock(struct mdev_pt_function *fn);
struct file *mdev_pt_mig_set_state_locked(struct mdev_pt_function *fn,
					  enum vfio_device_mig_state new);
void mdev_pt_mig_fail_locked(struct mdev_pt_function *fn);

/* migration_file.c */
struct mdev_pt_mig_file *
mdev_pt_mig_file_new(struct mdev_pt_instance *inst, bool saving);
void mdev_pt_mig_file_disable(struct mdev_pt_mig_file *migf, int err);

/* migration_stream.c */
ssize_t mdev_pt_mig_file_save(struct mdev_pt_mig_file *migf);
ssize_t mdev_pt_mig_file_load(struct mdev_pt_mig_file *migf,
			      const void *kbuf, const char __user *ubuf,
			      size_t count);
u64 mdev_pt_mig_file_pending(struct mdev_pt_mig_file *migf);
u64 mdev_pt_mig_pending(struct mdev_pt_function *fn);

/* migration_v1.c */
void mdev_pt_mig_v1_reset(struct mdev_pt_function *fn);

#endif /* MDEV_PT_MIGRATION_H */
