/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Helpers shared by the mdev-pt VFIO selftests.
 *
 * The device under test is chosen from the environment:
 *   MDEVPT_UUID=<uuid>  an mdev instance, opened through the IOMMU group that
 *                       /sys/bus/mdev/devices/<uuid>/iommu_group points at,
 *                       with the UUID as the VFIO_GROUP_GET_DEVICE_FD name;
 *   MDEVPT_BDF=<bdf>    a PCI function bound to plain vfio-pci, opened by BDF.
 * MDEVPT_SYSFS_BDF=<bdf> optionally names the PCI function whose sysfs
 * attributes describe the device (default: the BDF itself, or the mdev's
 * parent).
 *
 * The helpers take the harness' _metadata so that they can ASSERT_*().
 * Include this after kselftest_harness.h.
 */
#ifndef MDEVPT_VFIO_TEST_UTIL_H
#define MDEVPT_VFIO_TEST_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include <linux/pci_regs.h>
#include <linux/vfio.h>

/* All bits of @want are set in @flags (prints both on failure). */
#define ASSERT_FLAGS(flags, want) \
	ASSERT_EQ((__typeof__(flags))(want), (flags) & (want))
#define EXPECT_FLAGS(flags, want) \
	EXPECT_EQ((__typeof__(flags))(want), (flags) & (want))

#define MDEV_SYSFS_PATH	"/sys/bus/mdev/devices"
#define PCI_SYSFS_PATH	"/sys/bus/pci/devices"

/* What to open, resolved from the environment. */
struct vfio_test_target {
	bool is_mdev;
	char name[64];			/* VFIO_GROUP_GET_DEVICE_FD name */
	char sysfs[PATH_MAX];		/* sysfs directory of that device */
	char pci_bdf[64];		/* PCI function for sysfs comparisons */
	int group_id;			/* IOMMU group number */
};

struct vfio_test_device {
	struct vfio_test_target target;
	int container;
	int group;
	int fd;
	struct vfio_device_info info;
	struct vfio_region_info config;
};

static inline void vfio_test_device_init(struct vfio_test_device *dev)
{
	memset(dev, 0, sizeof(*dev));
	dev->container = -1;
	dev->group = -1;
	dev->fd = -1;
}

/* readlink(@dir/@link), basename, parse as the IOMMU group number. */
static inline int sysfs_iommu_group(const char *dir)
{
	char path[PATH_MAX], link[PATH_MAX];
	char *end;
	ssize_t len;
	long id;

	if (snprintf(path, sizeof(path), "%s/iommu_group", dir) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	len = readlink(path, link, sizeof(link) - 1);
	if (len < 0)
		return -errno;
	link[len] = '\0';
	errno = 0;
	id = strtol(basename(link), &end, 10);
	if (errno || *end || id < 0 || id > INT_MAX)
		return -EINVAL;
	return (int)id;
}

/* Read a sysfs attribute holding one number ("0x1234\n" or "42\n"). */
static inline int sysfs_read_ulong(const char *dir, const char *attr,
				   unsigned long *val)
{
	char path[PATH_MAX], buf[64], *end;
	ssize_t len;
	int fd;

	if (snprintf(path, sizeof(path), "%s/%s", dir, attr) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -errno;
	len = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (len <= 0)
		return -EIO;
	buf[len] = '\0';
	errno = 0;
	*val = strtoul(buf, &end, 0);
	if (errno || end == buf || (*end && *end != '\n'))
		return -EINVAL;
	return 0;
}

/* Size of BAR @bar from the function's sysfs "resource" file (0 if unused). */
static inline int sysfs_bar_size(const char *dir, int bar, uint64_t *size)
{
	unsigned long long start, end, flags;
	char path[PATH_MAX];
	int i, ret = -ENOENT;
	FILE *f;

	if (snprintf(path, sizeof(path), "%s/resource", dir) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	f = fopen(path, "r");
	if (!f)
		return -errno;
	for (i = 0; i <= bar; i++) {
		if (fscanf(f, "%llx %llx %llx", &start, &end, &flags) != 3)
			break;
		if (i == bar) {
			*size = end ? end - start + 1 : 0;
			ret = 0;
		}
	}
	fclose(f);
	return ret;
}

/* Copy @src into @dst of @len bytes; it must fit. */
static inline void str_set(struct __test_metadata *_metadata, char *dst,
			   size_t len, const char *src)
{
	ASSERT_GT((int)len, snprintf(dst, len, "%s", src))
		TH_LOG("too long: %s", src);
}

/*
 * Resolve the device under test. Returns false if the environment names none
 * (the caller SKIPs); asserts on an environment that names a device that is
 * not there.
 */
static inline bool vfio_test_get_target(struct __test_metadata *_metadata,
					struct vfio_test_target *t)
{
	const char *uuid = getenv("MDEVPT_UUID");
	const char *bdf = getenv("MDEVPT_BDF");
	const char *sysfs_bdf = getenv("MDEVPT_SYSFS_BDF");
	char path[PATH_MAX], real[PATH_MAX];

	memset(t, 0, sizeof(*t));
	if (uuid && *uuid) {
		t->is_mdev = true;
		str_set(_metadata, t->name, sizeof(t->name), uuid);
		snprintf(t->sysfs, sizeof(t->sysfs), "%s/%s",
			 MDEV_SYSFS_PATH, uuid);
		/* The mdev's parent is the PCI function it leases. */
		ASSERT_GT((int)sizeof(path),
			  snprintf(path, sizeof(path), "%s/..", t->sysfs));
		ASSERT_NE(NULL, realpath(path, real))
			TH_LOG("mdev %s does not exist", uuid);
		str_set(_metadata, t->pci_bdf, sizeof(t->pci_bdf), basename(real));
	} else if (bdf && *bdf) {
		t->is_mdev = false;
		str_set(_metadata, t->name, sizeof(t->name), bdf);
		str_set(_metadata, t->pci_bdf, sizeof(t->pci_bdf), bdf);
		snprintf(t->sysfs, sizeof(t->sysfs), "%s/%s",
			 PCI_SYSFS_PATH, bdf);
	} else {
		return false;
	}

	if (sysfs_bdf && *sysfs_bdf) {
		str_set(_metadata, t->pci_bdf, sizeof(t->pci_bdf), sysfs_bdf);
	}

	t->group_id = sysfs_iommu_group(t->sysfs);
	ASSERT_LE(0, t->group_id)
		TH_LOG("%s/iommu_group: %s", t->sysfs, strerror(-t->group_id));
	return true;
}

/* Path of the PCI function's sysfs directory. */
static inline void vfio_test_pci_sysfs(const struct vfio_test_target *t,
				       char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", PCI_SYSFS_PATH, t->pci_bdf);
}

/*
 * Open the group, attach it to a new TYPE1v2 container and get the device
 * fd by name: what QEMU's vfio_get_group()/vfio_get_device() do.
 */
static inline void vfio_test_open(struct __test_metadata *_metadata,
				  struct vfio_test_device *dev)
{
	struct vfio_group_status status = { .argsz = sizeof(status) };
	char path[64];

	dev->container = open("/dev/vfio/vfio", O_RDWR);
	ASSERT_LE(0, dev->container) TH_LOG("/dev/vfio/vfio: %m");
	ASSERT_EQ(VFIO_API_VERSION,
		  ioctl(dev->container, VFIO_GET_API_VERSION));
	ASSERT_EQ(1, ioctl(dev->container, VFIO_CHECK_EXTENSION,
			   VFIO_TYPE1v2_IOMMU));

	snprintf(path, sizeof(path), "/dev/vfio/%d", dev->target.group_id);
	dev->group = open(path, O_RDWR);
	ASSERT_LE(0, dev->group) TH_LOG("%s: %m", path);

	ASSERT_EQ(0, ioctl(dev->group, VFIO_GROUP_GET_STATUS, &status));
	ASSERT_FLAGS(status.flags, VFIO_GROUP_FLAGS_VIABLE)
		TH_LOG("group %d is not viable: bind every device in it to vfio",
		       dev->target.group_id);
	ASSERT_EQ(0u, status.flags & VFIO_GROUP_FLAGS_CONTAINER_SET);

	ASSERT_EQ(0, ioctl(dev->group, VFIO_GROUP_SET_CONTAINER,
			   &dev->container));
	ASSERT_EQ(0, ioctl(dev->container, VFIO_SET_IOMMU,
			   VFIO_TYPE1v2_IOMMU));

	dev->fd = ioctl(dev->group, VFIO_GROUP_GET_DEVICE_FD, dev->target.name);
	ASSERT_LE(0, dev->fd)
		TH_LOG("VFIO_GROUP_GET_DEVICE_FD(%s): %m", dev->target.name);

	dev->info.argsz = sizeof(dev->info);
	ASSERT_EQ(0, ioctl(dev->fd, VFIO_DEVICE_GET_INFO, &dev->info));

	dev->config.argsz = sizeof(dev->config);
	dev->config.index = VFIO_PCI_CONFIG_REGION_INDEX;
	ASSERT_EQ(0, ioctl(dev->fd, VFIO_DEVICE_GET_REGION_INFO, &dev->config));
	ASSERT_LE((uint64_t)PCI_STD_HEADER_SIZEOF, dev->config.size);
}

/*
 * VFIO_DEVICE_FEATURE_PCI_VF_TOKEN on device fd @fd with @token, a UUID in
 * its usual text form: 0 or -errno.
 */
static inline int vfio_test_set_vf_token(int fd, const char *token)
{
	struct {
		struct vfio_device_feature hdr;
		unsigned char uuid[16];
	} feat = {
		.hdr.argsz = sizeof(feat),
		.hdr.flags = VFIO_DEVICE_FEATURE_SET |
			     VFIO_DEVICE_FEATURE_PCI_VF_TOKEN,
	};
	unsigned int i;

	for (i = 0; i < 16; i++) {
		if (*token == '-')
			token++;
		if (sscanf(token, "%2hhx", &feat.uuid[i]) != 1)
			return -EINVAL;
		token += 2;
	}
	return ioctl(fd, VFIO_DEVICE_FEATURE, &feat) ? -errno : 0;
}

static inline void vfio_test_close(struct vfio_test_device *dev)
{
	if (dev->fd >= 0)
		close(dev->fd);
	if (dev->group >= 0)
		close(dev->group);
	if (dev->container >= 0)
		close(dev->container);
	dev->fd = -1;
	dev->group = -1;
	dev->container = -1;
}

static inline void vfio_test_region_info(struct __test_metadata *_metadata,
					 struct vfio_test_device *dev,
					 uint32_t index,
					 struct vfio_region_info *info)
{
	memset(info, 0, sizeof(*info));
	info->argsz = sizeof(*info);
	info->index = index;
	ASSERT_EQ(0, ioctl(dev->fd, VFIO_DEVICE_GET_REGION_INFO, info))
		TH_LOG("GET_REGION_INFO(%u): %m", index);
}

static inline int vfio_test_irq_info(struct vfio_test_device *dev,
				     uint32_t index, struct vfio_irq_info *info)
{
	memset(info, 0, sizeof(*info));
	info->argsz = sizeof(*info);
	info->index = index;
	return ioctl(dev->fd, VFIO_DEVICE_GET_IRQ_INFO, info);
}

/* Config space accesses through the config region (little endian). */
static inline uint32_t cfg_read(struct __test_metadata *_metadata,
				struct vfio_test_device *dev,
				unsigned int off, unsigned int size)
{
	uint32_t val = 0;

	ASSERT_EQ((ssize_t)size,
		  pread(dev->fd, &val, size, dev->config.offset + off))
		TH_LOG("config read of %u bytes at 0x%x: %m", size, off);
	return val;
}

static inline void cfg_write(struct __test_metadata *_metadata,
			     struct vfio_test_device *dev,
			     unsigned int off, unsigned int size, uint32_t val)
{
	ASSERT_EQ((ssize_t)size,
		  pwrite(dev->fd, &val, size, dev->config.offset + off))
		TH_LOG("config write of %u bytes at 0x%x: %m", size, off);
}

static inline void cfg_set_command(struct __test_metadata *_metadata,
				   struct vfio_test_device *dev, uint16_t bits)
{
	uint16_t cmd = cfg_read(_metadata, dev, PCI_COMMAND, 2);

	cfg_write(_metadata, dev, PCI_COMMAND, 2, cmd | bits);
	ASSERT_EQ(bits, cfg_read(_metadata, dev, PCI_COMMAND, 2) & bits);
}

/* Offset of standard capability @id in config space, 0 if absent. */
static inline unsigned int cfg_find_cap(struct __test_metadata *_metadata,
					struct vfio_test_device *dev, uint8_t id)
{
	unsigned int pos, ttl = 48;

	if (!(cfg_read(_metadata, dev, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST))
		return 0;
	pos = cfg_read(_metadata, dev, PCI_CAPABILITY_LIST, 1) & ~3u;
	while (pos >= PCI_STD_HEADER_SIZEOF && ttl--) {
		if (cfg_read(_metadata, dev, pos + PCI_CAP_LIST_ID, 1) == id)
			return pos;
		pos = cfg_read(_metadata, dev, pos + PCI_CAP_LIST_NEXT, 1) & ~3u;
	}
	return 0;
}

/*
 * VFIO_DEVICE_SET_IRQS with exactly the given @flags and @data_len bytes of
 * @data (argsz covers them); returns the ioctl's result.
 */
static inline int set_irqs_raw(struct vfio_test_device *dev, uint32_t index,
			       uint32_t flags, uint32_t start, uint32_t count,
			       const void *data, size_t data_len)
{
	char buf[sizeof(struct vfio_irq_set) + 64];
	struct vfio_irq_set *set = (struct vfio_irq_set *)buf;

	if (data_len > 64) {
		errno = E2BIG;
		return -1;
	}
	memset(buf, 0, sizeof(buf));
	set->argsz = sizeof(*set) + data_len;
	set->flags = flags;
	set->index = index;
	set->start = start;
	set->count = count;
	if (data_len)
		memcpy(set->data, data, data_len);
	return ioctl(dev->fd, VFIO_DEVICE_SET_IRQS, set);
}

/* VFIO_DEVICE_SET_IRQS with @count eventfds (or none if @fds is NULL). */
static inline int vfio_test_set_irqs(struct vfio_test_device *dev,
				     uint32_t index, uint32_t flags,
				     uint32_t start, uint32_t count,
				     const int *fds)
{
	return set_irqs_raw(dev, index,
			    flags | (fds ? VFIO_IRQ_SET_DATA_EVENTFD :
					   VFIO_IRQ_SET_DATA_NONE),
			    start, count, fds, fds ? count * sizeof(int) : 0);
}

/*
 * Wait up to @timeout_ms for @efd to fire; returns its counter (consumed),
 * 0 on timeout, or -errno.
 */
static inline int64_t eventfd_wait(int efd, int timeout_ms)
{
	struct pollfd pfd = { .fd = efd, .events = POLLIN };
	uint64_t cnt;
	int ret;

	ret = poll(&pfd, 1, timeout_ms);
	if (ret < 0)
		return -errno;
	if (ret == 0)
		return 0;
	if (read(efd, &cnt, sizeof(cnt)) != sizeof(cnt))
		return -errno;
	return (int64_t)cnt;
}

static inline uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A device name that differs from @name in its last character. */
static inline void vfio_test_other_name(const char *name, char *buf, size_t len)
{
	size_t n;

	snprintf(buf, len, "%s", name);
	n = strlen(buf);
	if (n)
		buf[n - 1] = buf[n - 1] == '0' ? '1' : '0';
}

/*
 * VFIO_GROUP_GET_DEVICE_FD matches only the exact name (the UUID for an
 * mdev): an unrelated name, and for an mdev its parent's BDF, get ENODEV.
 */
static inline void vfio_test_assert_name_only(struct __test_metadata *_metadata,
					      struct vfio_test_device *dev)
{
	char other[64];
	int fd;

	vfio_test_other_name(dev->target.name, other, sizeof(other));
	fd = ioctl(dev->group, VFIO_GROUP_GET_DEVICE_FD, other);
	ASSERT_GT(0, fd) TH_LOG("device fd opened by unrelated name %s", other);
	ASSERT_EQ(ENODEV, errno);

	if (dev->target.is_mdev) {
		/* The leased function's BDF is not the instance's name. */
		fd = ioctl(dev->group, VFIO_GROUP_GET_DEVICE_FD,
			   dev->target.pci_bdf);
		ASSERT_GT(0, fd)
			TH_LOG("mdev's device opened by parent BDF %s",
			       dev->target.pci_bdf);
		ASSERT_EQ(ENODEV, errno);
	}
}

#endif /* MDEVPT_VFIO_TEST_UTIL_H */
