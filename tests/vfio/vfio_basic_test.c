// SPDX-License-Identifier: GPL-2.0-only
/*
 * Device-independent VFIO basics on any PCI function (used for NVMe VFs),
 * opened either as an mdev-pt instance (MDEVPT_UUID) or through plain vfio-pci
 * (MDEVPT_BDF). What vfio reports is compared with what the PCI core reports
 * in sysfs for the function (MDEVPT_SYSFS_BDF, by default the mdev's parent or
 * the BDF itself). MDEVPT_EXPECT_BAR0_NONZERO=1 also requires BAR0 offset 0
 * (an NVMe controller's CAP register) to read as non-zero.
 *
 * Only reads BAR0; it never writes to the device except PCI_COMMAND.
 */

#include "harness.h"

#include "vfio_test_util.h"

FIXTURE(basic) {
	struct vfio_test_device dev;
	char pci_sysfs[PATH_MAX];
	struct vfio_region_info bar0;
};

FIXTURE_SETUP(basic)
{
	vfio_test_device_init(&self->dev);
	if (!vfio_test_get_target(_metadata, &self->dev.target))
		SKIP(return, "set MDEVPT_UUID (mdev) or MDEVPT_BDF (vfio-pci)");
	vfio_test_pci_sysfs(&self->dev.target, self->pci_sysfs,
			    sizeof(self->pci_sysfs));
	vfio_test_open(_metadata, &self->dev);
	vfio_test_region_info(_metadata, &self->dev, VFIO_PCI_BAR0_REGION_INDEX,
			      &self->bar0);
}

FIXTURE_TEARDOWN(basic)
{
	vfio_test_close(&self->dev);
}

TEST_F(basic, group_container_device)
{
	struct vfio_group_status status = { .argsz = sizeof(status) };

	ASSERT_EQ(0, ioctl(self->dev.group, VFIO_GROUP_GET_STATUS, &status));
	ASSERT_EQ((uint32_t)(VFIO_GROUP_FLAGS_VIABLE |
			     VFIO_GROUP_FLAGS_CONTAINER_SET), status.flags);
	ASSERT_LE(0, self->dev.fd);
}

/* GET_DEVICE_FD matches only the exact name: the UUID for an mdev. */
TEST_F(basic, device_fd_by_name_only)
{
	vfio_test_assert_name_only(_metadata, &self->dev);
}

/* An mdev-pt instance lives in its function's real IOMMU group. */
TEST_F(basic, mdev_iommu_group_is_parents)
{
	if (!self->dev.target.is_mdev)
		SKIP(return, "not an mdev");
	ASSERT_EQ(sysfs_iommu_group(self->pci_sysfs), self->dev.target.group_id);
}

TEST_F(basic, device_info)
{
	ASSERT_FLAGS(self->dev.info.flags, VFIO_DEVICE_FLAGS_PCI);
	ASSERT_FLAGS(self->dev.info.flags, VFIO_DEVICE_FLAGS_RESET);
	ASSERT_LE((uint32_t)VFIO_PCI_NUM_REGIONS, self->dev.info.num_regions);
	ASSERT_LE((uint32_t)VFIO_PCI_NUM_IRQS, self->dev.info.num_irqs);
}

TEST_F(basic, config_matches_sysfs)
{
	unsigned long vendor = 0, device = 0, class = 0, revision = 0;

	ASSERT_EQ(0, sysfs_read_ulong(self->pci_sysfs, "vendor", &vendor));
	ASSERT_EQ(0, sysfs_read_ulong(self->pci_sysfs, "device", &device));
	ASSERT_EQ(0, sysfs_read_ulong(self->pci_sysfs, "class", &class));
	ASSERT_EQ(0, sysfs_read_ulong(self->pci_sysfs, "revision", &revision));

	/* A VF's own vendor/device registers read 0xffff; vfio fills them in. */
	ASSERT_EQ(vendor, cfg_read(_metadata, &self->dev, PCI_VENDOR_ID, 2));
	ASSERT_EQ(device, cfg_read(_metadata, &self->dev, PCI_DEVICE_ID, 2));
	ASSERT_EQ(class << 8 | revision,
		  cfg_read(_metadata, &self->dev, PCI_CLASS_REVISION, 4));
}

/* Every BAR region is as large as the PCI core says the BAR is. */
TEST_F(basic, bar_regions_match_sysfs)
{
	struct vfio_region_info info;
	uint64_t size;
	int i;

	for (i = 0; i < PCI_STD_NUM_BARS; i++) {
		size = 0;
		ASSERT_EQ(0, sysfs_bar_size(self->pci_sysfs, i, &size));
		vfio_test_region_info(_metadata, &self->dev,
				      VFIO_PCI_BAR0_REGION_INDEX + i, &info);
		ASSERT_EQ(size, info.size) TH_LOG("BAR%d", i);
	}
	ASSERT_NE(0u, self->bar0.size);
	ASSERT_FLAGS(self->bar0.flags, VFIO_REGION_INFO_FLAG_READ |
				       VFIO_REGION_INFO_FLAG_WRITE);
}

/*
 * Whether BAR0 must not read as zero at offset 0. Not by default: an NVMe VF
 * of QEMU whose secondary controller is offline reads as all zeros (see
 * nvme_vf.sh, which brings it online and sets this).
 */
static bool expect_bar0_nonzero(void)
{
	const char *s = getenv("MDEVPT_EXPECT_BAR0_NONZERO");

	return s && *s && strcmp(s, "0");
}

/*
 * The first 8 bytes of BAR0 (the CAP register of an NVMe controller) read
 * the same through pread and an mmap, and not as all ones (which is what a
 * read that reaches no device returns).
 */
TEST_F(basic, bar0_read_and_mmap)
{
	uint64_t val = ~0ULL;
	volatile uint32_t *map;
	uint32_t lo, hi;
	size_t len;

	cfg_set_command(_metadata, &self->dev, PCI_COMMAND_MEMORY);

	ASSERT_EQ(8, pread(self->dev.fd, &val, 8, self->bar0.offset))
		TH_LOG("pread BAR0: %m");
	TH_LOG("BAR0[0..7] = 0x%016llx", (unsigned long long)val);
	ASSERT_NE(~0ULL, val);
	ASSERT_NE(0xffffffffu, (uint32_t)val);
	if (expect_bar0_nonzero())
		ASSERT_NE(0ULL, val) TH_LOG("BAR0 offset 0 reads as zero");

	ASSERT_FLAGS(self->bar0.flags, VFIO_REGION_INFO_FLAG_MMAP);
	len = self->bar0.size;
	map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED,
		   self->dev.fd, self->bar0.offset);
	ASSERT_NE(MAP_FAILED, (void *)map) TH_LOG("mmap BAR0: %m");
	lo = map[0];
	hi = map[1];
	ASSERT_EQ(val, (uint64_t)hi << 32 | lo);
	ASSERT_EQ(0, munmap((void *)map, len));
}

TEST_F_TIMEOUT(basic, reset, 60)
{
	unsigned long vendor = 0;

	ASSERT_EQ(0, ioctl(self->dev.fd, VFIO_DEVICE_RESET)) TH_LOG("%m");
	/* The function is still there and still answers. */
	ASSERT_EQ(0, sysfs_read_ulong(self->pci_sysfs, "vendor", &vendor));
	ASSERT_EQ(vendor, cfg_read(_metadata, &self->dev, PCI_VENDOR_ID, 2));
}

TEST_HARNESS_MAIN
