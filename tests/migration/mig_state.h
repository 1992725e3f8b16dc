/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The VFIO migration v2 state machine as user space drives it
 * (VFIO_DEVICE_FEATURE_MIGRATION, _MIG_DEVICE_STATE, _MIG_DATA_SIZE), with
 * no test harness: every function returns 0 (or the value asked for) or
 * -errno.  Shared by the migration tests, the benchmark and the fail-nth
 * sweeps.
 */
#ifndef MDEVPT_MIG_STATE_H
#define MDEVPT_MIG_STATE_H

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <sys/ioctl.h>

#include <linux/vfio.h>

/*
 * The 6.1 uAPI headers of the build host lack what 6.2+ added for
 * pre-copy; the values are uAPI and the same on every kernel that has them.
 */
#ifndef VFIO_MIGRATION_PRE_COPY
#define VFIO_MIGRATION_PRE_COPY		(1 << 2)
#endif
#define MIG_STATE_PRE_COPY		6
#define MIG_STATE_PRE_COPY_P2P		7
#define MIG_STATE_NR			8
#ifndef VFIO_MIG_GET_PRECOPY_INFO
struct vfio_precopy_info {
	__u32 argsz;
	__u32 flags;
	__aligned_u64 initial_bytes;
	__aligned_u64 dirty_bytes;
};
#define VFIO_MIG_GET_PRECOPY_INFO	_IO(VFIO_TYPE, VFIO_BASE + 21)
#endif
#ifndef VFIO_DEVICE_FEATURE_MIG_DATA_SIZE
struct vfio_device_feature_mig_data_size {
	__aligned_u64 stop_copy_length;
};
#define VFIO_DEVICE_FEATURE_MIG_DATA_SIZE 9
#endif

/*
 * VFIO_DEVICE_FEATURE with @flags (GET or SET, and the feature) and the
 * feature's @size byte payload @data, copied in and, on success, back out:
 * one ioctl, 0 or -errno.
 */
static inline int vfio_feature(int fd, uint32_t flags, void *data, size_t size)
{
	uint64_t buf[(sizeof(struct vfio_device_feature) + 64) / 8];
	struct vfio_device_feature *f = (void *)buf;

	if (size > sizeof(buf) - sizeof(*f))
		return -EINVAL;
	f->argsz = sizeof(*f) + size;
	f->flags = flags;
	memcpy(f->data, data, size);
	if (ioctl(fd, VFIO_DEVICE_FEATURE, f))
		return -errno;
	memcpy(data, f->data, size);
	return 0;
}

/* VFIO_DEVICE_FEATURE_MIGRATION: 0 with *flags, or -errno. */
static inline int mig_flags(int fd, uint64_t *flags)
{
	struct vfio_device_feature_migration m = {};
	int ret;

	ret = vfio_feature(fd, VFIO_DEVICE_FEATURE_GET |
			   VFIO_DEVICE_FEATURE_MIGRATION, &m, sizeof(m));
	if (!ret)
		*flags = m.flags;
	return ret;
}

/*
 * Set the v2 state: 0 (with *data_fd, -1 if the arc makes none) or -errno.
 * @data_fd may be NULL (a new fd is then closed).
 */
static inline int mig_set(int fd, uint32_t state, int *data_fd)
{
	struct vfio_device_feature_mig_state s = {
		.device_state = state,
		.data_fd = -1,
	};
	int ret;

	if (data_fd)
		*data_fd = -1;
	ret = vfio_feature(fd, VFIO_DEVICE_FEATURE_SET |
			   VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE, &s, sizeof(s));
	if (ret)
		return ret;
	if (data_fd)
		*data_fd = s.data_fd;
	else if (s.data_fd >= 0)
		close(s.data_fd);
	return 0;
}

/* The v2 state, or -errno. */
static inline int mig_get(int fd)
{
	struct vfio_device_feature_mig_state s = {};
	int ret;

	ret = vfio_feature(fd, VFIO_DEVICE_FEATURE_GET |
			   VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE, &s, sizeof(s));
	return ret ? ret : (int)s.device_state;
}

/* VFIO_DEVICE_FEATURE_MIG_DATA_SIZE: 0 with *len, or -errno. */
static inline int mig_data_size(int fd, uint64_t *len)
{
	struct vfio_device_feature_mig_data_size d = {};
	int ret;

	ret = vfio_feature(fd, VFIO_DEVICE_FEATURE_GET |
			   VFIO_DEVICE_FEATURE_MIG_DATA_SIZE, &d, sizeof(d));
	if (!ret)
		*len = d.stop_copy_length;
	return ret;
}

#endif /* MDEVPT_MIG_STATE_H */
