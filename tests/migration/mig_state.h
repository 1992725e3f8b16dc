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

/* VFIO_DEVICE_FEATURE_MIGRATION: 0 with *flags, or -errno. */
static inline int mig_flags(int fd, uint64_t *flags)
{
	struct {
		struct vfio_device_feature f;
		struct vfio_device_feature_migration m;
	} buf = {
		.f = {
			.argsz = sizeof(buf),
			.flags = VFIO_DEVICE_FEATURE_GET |
				 VFIO_DEVICE_FEATURE_MIGRATION,
		},
	};

	if (ioctl(fd, VFIO_DEVICE_FEATURE, &buf))
		return -errno;
	*flags = buf.m.flags;
	return 0;
}

/*
 * Set the v2 state: 0 (with *data_fd, -1 if the arc makes none) or -errno.
 * @data_fd may be NULL (a new fd is then closed).
 */
static inline int mig_set(int fd, uint32_t state, int *data_fd)
{
	struct {
		struct vfio_device_feature f;
		struct vfio_device_feature_mig_state s;
	} buf = {
		.f = {
			.argsz = sizeof(buf),
			.flags = VFIO_DEVICE_FEATURE_SET |
				 VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE,
		},
		.s = { .device_state = state, .data_fd = -1 },
	};

	if (data_fd)
		*data_fd = -1;
	if (ioctl(fd, VFIO_DEVICE_FEATURE, &buf))
		return -errno;
	if (data_fd)
		*data_fd = buf.s.data_fd;
	else if (buf.s.data_fd >= 0)
		close(buf.s.data_fd);
	return 0;
}

/* The v2 state, or -errno. */
static inline int mig_get(int fd)
{
	struct {
		struct vfio_device_feature f;
		struct vfio_device_feature_mig_state s;
	} buf = {
		.f = {
			.argsz = sizeof(buf),
			.flags = VFIO_DEVICE_FEATURE_GET |
				 VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE,
		},
	};

	if (ioctl(fd, VFIO_DEVICE_FEATURE, &buf))
		return -errno;
	return (int)buf.s.device_state;
}

/* VFIO_DEVICE_FEATURE_MIG_DATA_SIZE: 0 with *len, or -errno. */
static inline int mig_data_size(int fd, uint64_t *len)
{
	struct {
		struct vfio_device_feature f;
		struct vfio_device_feature_mig_data_size d;
	} buf = {
		.f = {
			.argsz = sizeof(buf),
			.flags = VFIO_DEVICE_FEATURE_GET |
				 VFIO_DEVICE_FEATURE_MIG_DATA_SIZE,
		},
	};

	if (ioctl(fd, VFIO_DEVICE_FEATURE, &buf))
		return -errno;
	*len = buf.d.stop_copy_length;
	return 0;
}

#endif /* MDEVPT_MIG_STATE_H */
