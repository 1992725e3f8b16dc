/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Helpers for the tests of mdev-pt plugin types: finding device-specific
 * regions and custom IRQs by their type capabilities, as a VMM would, and
 * raw VFIO_DEVICE_SET_IRQS calls with arbitrary flags.
 *
 * Include this after kselftest_harness.h and vfio_test_util.h.
 */
#ifndef MDEVPT_PLUGIN_UTIL_H
#define MDEVPT_PLUGIN_UTIL_H

#include "vfio_test_util.h"
#include "../../include/uapi/linux/mdev_pt.h"

/* Big enough for any capability chain these tests meet. */
#define INFO_BUF_SIZE	4096

/* The type directory name of mdev @uuid ("mdev_pt-..."), or "" if none. */
static inline void mdev_type_name(const char *uuid, char *buf, size_t len)
{
	char path[PATH_MAX], link[PATH_MAX];
	ssize_t n;

	buf[0] = '\0';
	snprintf(path, sizeof(path), "%s/%s/mdev_type", MDEV_SYSFS_PATH, uuid);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return;
	link[n] = '\0';
	snprintf(buf, len, "%s", basename(link));
}

/*
 * The capability @id in the chain of an info structure of @size bytes at
 * @buf whose first capability is at @cap_offset (0: none); NULL if absent.
 * Offsets are checked against @size so a broken chain fails cleanly.
 */
static inline struct vfio_info_cap_header *
info_find_cap(void *buf, size_t size, uint32_t cap_offset, uint16_t id)
{
	struct vfio_info_cap_header *hdr;
	unsigned int hops = 0;

	while (cap_offset && hops++ < 64) {
		if (cap_offset + sizeof(*hdr) > size)
			return NULL;
		hdr = (struct vfio_info_cap_header *)((char *)buf + cap_offset);
		if (hdr->id == id)
			return hdr;
		cap_offset = hdr->next;
	}
	return NULL;
}

/*
 * VFIO_DEVICE_GET_REGION_INFO with room for capabilities: @buf of
 * INFO_BUF_SIZE bytes.  Returns the ioctl's result (-1 with errno).
 */
static inline int region_info_caps(struct vfio_test_device *dev,
				   uint32_t index, void *buf)
{
	struct vfio_region_info *info = buf;

	memset(buf, 0, INFO_BUF_SIZE);
	info->argsz = INFO_BUF_SIZE;
	info->index = index;
	return ioctl(dev->fd, VFIO_DEVICE_GET_REGION_INFO, info);
}

/*
 * The device-specific region of @type and @subtype, found by walking the
 * indexes after the standard ones for VFIO_REGION_INFO_CAP_TYPE (what
 * QEMU's vfio_get_dev_region_info() does).  Fills @out and returns the
 * index, or -1 if there is none.
 */
static inline int find_region_by_type(struct __test_metadata *_metadata,
				      struct vfio_test_device *dev,
				      uint32_t type, uint32_t subtype,
				      struct vfio_region_info *out)
{
	struct vfio_region_info_cap_type *cap;
	struct vfio_region_info *info;
	char buf[INFO_BUF_SIZE];
	uint32_t index;

	info = (struct vfio_region_info *)buf;
	for (index = VFIO_PCI_NUM_REGIONS; index < dev->info.num_regions; index++) {
		ASSERT_EQ(0, region_info_caps(dev, index, buf))
			TH_LOG("GET_REGION_INFO(%u): %m", index);
		ASSERT_GE((uint32_t)INFO_BUF_SIZE, info->argsz);
		if (!(info->flags & VFIO_REGION_INFO_FLAG_CAPS))
			continue;
		cap = (struct vfio_region_info_cap_type *)
			info_find_cap(buf, info->argsz, info->cap_offset,
				      VFIO_REGION_INFO_CAP_TYPE);
		if (cap && cap->type == type && cap->subtype == subtype) {
			memcpy(out, info, sizeof(*out));
			return (int)index;
		}
	}
	return -1;
}

/*
 * VFIO_DEVICE_GET_IRQ_INFO through struct mdev_pt_irq_info with @argsz
 * (the caller's buffer @buf must hold that many bytes; it is zeroed).
 */
static inline int irq_info_argsz(struct vfio_test_device *dev, uint32_t index,
				 void *buf, uint32_t argsz)
{
	struct mdev_pt_irq_info *info = buf;

	memset(buf, 0, argsz);
	info->argsz = argsz;
	info->index = index;
	return ioctl(dev->fd, VFIO_DEVICE_GET_IRQ_INFO, info);
}

/*
 * The custom IRQ index of @type and @subtype, found as include/uapi/linux/
 * mdev_pt.h tells user space to: walk the indexes from VFIO_PCI_NUM_IRQS
 * with the long structure, grow the buffer if asked, look for
 * MDEV_PT_IRQ_INFO_CAP_TYPE.  Fills @out (the fixed part) and returns the
 * index, or -1 if there is none.
 */
static inline int find_irq_by_type(struct __test_metadata *_metadata,
				   struct vfio_test_device *dev,
				   uint32_t type, uint32_t subtype,
				   struct mdev_pt_irq_info *out)
{
	struct mdev_pt_irq_info_cap_type *cap;
	struct mdev_pt_irq_info *info;
	char buf[INFO_BUF_SIZE];
	uint32_t index, size;

	info = (struct mdev_pt_irq_info *)buf;
	for (index = VFIO_PCI_NUM_IRQS; index < dev->info.num_irqs; index++) {
		size = sizeof(*info);
		ASSERT_EQ(0, irq_info_argsz(dev, index, buf, size))
			TH_LOG("GET_IRQ_INFO(%u): %m", index);
		if (info->argsz > size) {
			ASSERT_GE((uint32_t)INFO_BUF_SIZE, info->argsz);
			size = info->argsz;
			ASSERT_EQ(0, irq_info_argsz(dev, index, buf, size))
				TH_LOG("GET_IRQ_INFO(%u), argsz %u: %m", index, size);
		}
		if (!(info->flags & MDEV_PT_IRQ_INFO_FLAG_CAPS))
			continue;
		cap = (struct mdev_pt_irq_info_cap_type *)
			info_find_cap(buf, size, info->cap_offset,
				      MDEV_PT_IRQ_INFO_CAP_TYPE);
		if (cap && cap->type == type && cap->subtype == subtype) {
			memcpy(out, info, sizeof(*out));
			return (int)index;
		}
	}
	return -1;
}

/* Read an attribute of the mdev device (e.g. "vendor/dma_commands"). */
static inline int mdev_attr_read(const struct vfio_test_target *t,
				 const char *attr, unsigned long *val)
{
	return sysfs_read_ulong(t->sysfs, attr, val);
}

#endif /* MDEVPT_PLUGIN_UTIL_H */
