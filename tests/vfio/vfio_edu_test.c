// SPDX-License-Identifier: GPL-2.0-only
/*
 * VFIO functional test against QEMU's "edu" device (1234:11e8), opened either
 * as an mdev-pt instance (MDEVPT_UUID) or through plain vfio-pci (MDEVPT_BDF).
 * Both must behave the same: only the way the group and device are found
 * differs. The edu register map is in QEMU's docs/specs/edu.rst.
 *
 * Careful: QEMU 7.2 aborts the whole VM on an edu DMA whose device-side range
 * leaves 0x40000..0x40ffe, so every transfer here stays inside it.
 */

#include "harness.h"

#include "vfio_test_util.h"
#include "edu_regs.h"

/* Generous: the test bed runs under TCG, possibly nested. */
#define IRQ_TIMEOUT_MS		5000
#define NO_IRQ_WINDOW_MS	1000
#define DMA_TIMEOUT_MS		10000
#define FACT_TIMEOUT_MS		5000

#define IOVA_SRC		0x100000ULL	/* below the 28-bit DMA mask */
#define IOVA_DST		0x200000ULL

/* BAR0 accessed either through pread/pwrite on the device fd or an mmap. */
struct edu_bar {
	int fd;
	uint64_t offset;
	volatile uint32_t *map;
};

static uint32_t edu_read(struct __test_metadata *_metadata,
			 const struct edu_bar *bar, unsigned int reg)
{
	uint32_t val;

	if (bar->map)
		return bar->map[reg / 4];
	ASSERT_EQ(4, pread(bar->fd, &val, 4, bar->offset + reg))
		TH_LOG("BAR0 read at 0x%x: %m", reg);
	return val;
}

static void edu_write(struct __test_metadata *_metadata,
		      const struct edu_bar *bar, unsigned int reg, uint32_t val)
{
	if (bar->map) {
		bar->map[reg / 4] = val;
		return;
	}
	ASSERT_EQ(4, pwrite(bar->fd, &val, 4, bar->offset + reg))
		TH_LOG("BAR0 write at 0x%x: %m", reg);
}

/* Poll until (@reg & @mask) == 0; returns false on timeout. */
static bool edu_wait_clear(struct __test_metadata *_metadata,
			   const struct edu_bar *bar, unsigned int reg,
			   uint32_t mask, int timeout_ms)
{
	uint64_t deadline = now_ms() + timeout_ms;

	do {
		if (!(edu_read(_metadata, bar, reg) & mask))
			return true;
		usleep(1000);
	} while (now_ms() < deadline);
	return !(edu_read(_metadata, bar, reg) & mask);
}

/* ID, liveness and factorial: the register file works through @bar. */
static void edu_check_registers(struct __test_metadata *_metadata,
				const struct edu_bar *bar)
{
	uint32_t vals[] = { 0, 0xffffffff, 0x5a5aa5a5, (uint32_t)getpid() };
	uint32_t n = 10, expect = 1, i;

	ASSERT_EQ(EDU_ID_VALUE, edu_read(_metadata, bar, EDU_REG_ID));

	for (i = 0; i < ARRAY_SIZE(vals); i++) {
		edu_write(_metadata, bar, EDU_REG_LIVENESS, vals[i]);
		ASSERT_EQ(~vals[i], edu_read(_metadata, bar, EDU_REG_LIVENESS));
	}

	for (i = 2; i <= n; i++)
		expect *= i;
	ASSERT_TRUE(edu_wait_clear(_metadata, bar, EDU_REG_STATUS,
				   EDU_STATUS_COMPUTING, FACT_TIMEOUT_MS));
	edu_write(_metadata, bar, EDU_REG_FACTORIAL, n);
	ASSERT_TRUE(edu_wait_clear(_metadata, bar, EDU_REG_STATUS,
				   EDU_STATUS_COMPUTING, FACT_TIMEOUT_MS))
		TH_LOG("factorial still computing after %d ms", FACT_TIMEOUT_MS);
	ASSERT_EQ(expect, edu_read(_metadata, bar, EDU_REG_FACTORIAL));
}

FIXTURE(edu) {
	struct vfio_test_device dev;
	struct vfio_region_info bar0_info;
	struct edu_bar bar;
};

FIXTURE_SETUP(edu)
{
	vfio_test_device_init(&self->dev);
	if (!vfio_test_get_target(_metadata, &self->dev.target))
		SKIP(return, "set MDEVPT_UUID (mdev) or MDEVPT_BDF (vfio-pci)");
	vfio_test_open(_metadata, &self->dev);

	/* Never program DMA into something that is not an edu. */
	ASSERT_EQ(EDU_VENDOR_ID, cfg_read(_metadata, &self->dev, PCI_VENDOR_ID, 2));
	ASSERT_EQ(EDU_DEVICE_ID, cfg_read(_metadata, &self->dev, PCI_DEVICE_ID, 2));

	vfio_test_region_info(_metadata, &self->dev, VFIO_PCI_BAR0_REGION_INDEX,
			      &self->bar0_info);
	self->bar.fd = self->dev.fd;
	self->bar.offset = self->bar0_info.offset;
	self->bar.map = NULL;

	/* Let BAR0 decode; vfio-pci fails BAR accesses otherwise. */
	cfg_set_command(_metadata, &self->dev, PCI_COMMAND_MEMORY);
}

FIXTURE_TEARDOWN(edu)
{
	vfio_test_close(&self->dev);
}

TEST_F(edu, group_container_device)
{
	struct vfio_group_status status = { .argsz = sizeof(status) };
	struct vfio_iommu_type1_info iommu = { .argsz = sizeof(iommu) };

	ASSERT_EQ(0, ioctl(self->dev.group, VFIO_GROUP_GET_STATUS, &status));
	ASSERT_EQ((uint32_t)(VFIO_GROUP_FLAGS_VIABLE | VFIO_GROUP_FLAGS_CONTAINER_SET),
		  status.flags);

	ASSERT_EQ(0, ioctl(self->dev.container, VFIO_IOMMU_GET_INFO, &iommu));
	ASSERT_FLAGS(iommu.flags, VFIO_IOMMU_INFO_PGSIZES);
	ASSERT_FLAGS(iommu.iova_pgsizes, (uint64_t)getpagesize());

	ASSERT_LE(0, self->dev.fd);
}

/* GET_DEVICE_FD matches only the exact name: the UUID for an mdev. */
TEST_F(edu, device_fd_by_name_only)
{
	vfio_test_assert_name_only(_metadata, &self->dev);
}

/* An mdev-pt instance lives in its function's real IOMMU group. */
TEST_F(edu, mdev_iommu_group_is_parents)
{
	char pci[PATH_MAX];

	if (!self->dev.target.is_mdev)
		SKIP(return, "not an mdev");
	vfio_test_pci_sysfs(&self->dev.target, pci, sizeof(pci));
	ASSERT_EQ(sysfs_iommu_group(pci), self->dev.target.group_id);
}

TEST_F(edu, device_info)
{
	ASSERT_FLAGS(self->dev.info.flags, VFIO_DEVICE_FLAGS_PCI);
	ASSERT_FLAGS(self->dev.info.flags, VFIO_DEVICE_FLAGS_RESET);
	ASSERT_LE((uint32_t)VFIO_PCI_NUM_REGIONS, self->dev.info.num_regions);
	ASSERT_LE((uint32_t)VFIO_PCI_NUM_IRQS, self->dev.info.num_irqs);
}

TEST_F(edu, config_ids)
{
	unsigned long vendor = 0, device = 0;
	char pci[PATH_MAX];

	vfio_test_pci_sysfs(&self->dev.target, pci, sizeof(pci));
	ASSERT_EQ(0, sysfs_read_ulong(pci, "vendor", &vendor));
	ASSERT_EQ(0, sysfs_read_ulong(pci, "device", &device));

	ASSERT_EQ(vendor, cfg_read(_metadata, &self->dev, PCI_VENDOR_ID, 2));
	ASSERT_EQ(device, cfg_read(_metadata, &self->dev, PCI_DEVICE_ID, 2));
	ASSERT_EQ((unsigned long)EDU_VENDOR_ID, vendor);
	ASSERT_EQ((unsigned long)EDU_DEVICE_ID, device);
	/* Whole-dword access sees the same IDs. */
	ASSERT_EQ(vendor | device << 16,
		  cfg_read(_metadata, &self->dev, PCI_VENDOR_ID, 4));
}

TEST_F(edu, bar0_region_info)
{
	uint32_t want = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE |
			VFIO_REGION_INFO_FLAG_MMAP;
	char pci[PATH_MAX];
	uint64_t size = 0;

	ASSERT_EQ(EDU_BAR0_SIZE, self->bar0_info.size);
	ASSERT_FLAGS(self->bar0_info.flags, want);

	vfio_test_pci_sysfs(&self->dev.target, pci, sizeof(pci));
	ASSERT_EQ(0, sysfs_bar_size(pci, 0, &size));
	ASSERT_EQ(size, self->bar0_info.size);
}

TEST_F_TIMEOUT(edu, bar0_pread_pwrite, 60)
{
	edu_check_registers(_metadata, &self->bar);
}

TEST_F_TIMEOUT(edu, bar0_mmap, 60)
{
	struct edu_bar mbar = self->bar;
	void *map;

	ASSERT_FLAGS(self->bar0_info.flags, VFIO_REGION_INFO_FLAG_MMAP);
	map = mmap(NULL, self->bar0_info.size, PROT_READ | PROT_WRITE,
		   MAP_SHARED, self->dev.fd, self->bar0_info.offset);
	ASSERT_NE(MAP_FAILED, map) TH_LOG("mmap BAR0: %m");
	mbar.map = map;

	edu_check_registers(_metadata, &mbar);

	/* Both paths reach the same registers. */
	edu_write(_metadata, &mbar, EDU_REG_LIVENESS, 0x12345678);
	ASSERT_EQ(~0x12345678u, edu_read(_metadata, &self->bar, EDU_REG_LIVENESS));

	ASSERT_EQ(0, munmap(map, self->bar0_info.size));
}

TEST_F(edu, irq_info)
{
	struct vfio_irq_info info;
	unsigned int msi, pcie;
	uint16_t flags;

	/* INTx: one, if the device has an interrupt pin; maskable, automasked. */
	ASSERT_EQ(0, vfio_test_irq_info(&self->dev, VFIO_PCI_INTX_IRQ_INDEX, &info));
	ASSERT_NE(0u, cfg_read(_metadata, &self->dev, PCI_INTERRUPT_PIN, 1));
	ASSERT_EQ(1u, info.count);
	ASSERT_FLAGS(info.flags, VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_MASKABLE |
				 VFIO_IRQ_INFO_AUTOMASKED);

	/* MSI: as many vectors as the capability offers. */
	msi = cfg_find_cap(_metadata, &self->dev, PCI_CAP_ID_MSI);
	ASSERT_NE(0u, msi);
	flags = cfg_read(_metadata, &self->dev, msi + PCI_MSI_FLAGS, 2);
	ASSERT_EQ(0, vfio_test_irq_info(&self->dev, VFIO_PCI_MSI_IRQ_INDEX, &info));
	ASSERT_EQ(1u << ((flags & PCI_MSI_FLAGS_QMASK) >> 1), info.count);
	ASSERT_FLAGS(info.flags, VFIO_IRQ_INFO_EVENTFD);

	/* No MSI-X capability, no MSI-X vectors. */
	ASSERT_EQ(0u, cfg_find_cap(_metadata, &self->dev, PCI_CAP_ID_MSIX));
	ASSERT_EQ(0, vfio_test_irq_info(&self->dev, VFIO_PCI_MSIX_IRQ_INDEX, &info));
	ASSERT_EQ(0u, info.count);

	/* ERR (AER) exists only for PCIe functions; edu is conventional. */
	pcie = cfg_find_cap(_metadata, &self->dev, PCI_CAP_ID_EXP);
	if (vfio_test_irq_info(&self->dev, VFIO_PCI_ERR_IRQ_INDEX, &info) == 0)
		ASSERT_EQ(pcie ? 1u : 0u, info.count);

	/* REQ: QEMU wires it to hot-unplug the device on removal. */
	ASSERT_EQ(0, vfio_test_irq_info(&self->dev, VFIO_PCI_REQ_IRQ_INDEX, &info));
	ASSERT_EQ(1u, info.count);
	ASSERT_FLAGS(info.flags, VFIO_IRQ_INFO_EVENTFD);
}

/* Clear any interrupt a previous (failed) test left raised. */
static void edu_ack_all(struct __test_metadata *_metadata,
			const struct edu_bar *bar)
{
	edu_write(_metadata, bar, EDU_REG_IRQ_ACK,
		  edu_read(_metadata, bar, EDU_REG_IRQ_STATUS));
	ASSERT_EQ(0u, edu_read(_metadata, bar, EDU_REG_IRQ_STATUS));
}

TEST_F_TIMEOUT(edu, msi, 60)
{
	int efd;

	efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ASSERT_LE(0, efd);
	cfg_set_command(_metadata, &self->dev, PCI_COMMAND_MASTER);
	edu_ack_all(_metadata, &self->bar);

	ASSERT_EQ(0, vfio_test_set_irqs(&self->dev, VFIO_PCI_MSI_IRQ_INDEX,
					VFIO_IRQ_SET_ACTION_TRIGGER, 0, 1, &efd))
		TH_LOG("enable MSI: %m");

	/* Nothing is raised yet. */
	ASSERT_EQ(0, eventfd_wait(efd, 0));

	edu_write(_metadata, &self->bar, EDU_REG_IRQ_RAISE, 0x1);
	ASSERT_EQ(1u, edu_read(_metadata, &self->bar, EDU_REG_IRQ_STATUS));
	ASSERT_LT(0, eventfd_wait(efd, IRQ_TIMEOUT_MS))
		TH_LOG("no MSI within %d ms", IRQ_TIMEOUT_MS);
	edu_write(_metadata, &self->bar, EDU_REG_IRQ_ACK, 0x1);
	ASSERT_EQ(0u, edu_read(_metadata, &self->bar, EDU_REG_IRQ_STATUS));

	/* Edge triggered: a second raise is a second message. */
	edu_write(_metadata, &self->bar, EDU_REG_IRQ_RAISE, 0x2);
	ASSERT_LT(0, eventfd_wait(efd, IRQ_TIMEOUT_MS));
	edu_write(_metadata, &self->bar, EDU_REG_IRQ_ACK, 0x2);

	ASSERT_EQ(0, vfio_test_set_irqs(&self->dev, VFIO_PCI_MSI_IRQ_INDEX,
					VFIO_IRQ_SET_ACTION_TRIGGER, 0, 0, NULL))
		TH_LOG("disable MSI: %m");
	close(efd);
}

static int intx_mask(struct vfio_test_device *dev, uint32_t action)
{
	return vfio_test_set_irqs(dev, VFIO_PCI_INTX_IRQ_INDEX, action, 0, 1, NULL);
}

TEST_F_TIMEOUT(edu, intx, 90)
{
	int efd;

	efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ASSERT_LE(0, efd);
	edu_ack_all(_metadata, &self->bar);

	ASSERT_EQ(0, vfio_test_set_irqs(&self->dev, VFIO_PCI_INTX_IRQ_INDEX,
					VFIO_IRQ_SET_ACTION_TRIGGER, 0, 1, &efd))
		TH_LOG("enable INTx: %m");
	ASSERT_EQ(0, eventfd_wait(efd, 0));

	/* Raise: delivered, then automasked. */
	edu_write(_metadata, &self->bar, EDU_REG_IRQ_RAISE, 0x1);
	ASSERT_LT(0, eventfd_wait(efd, IRQ_TIMEOUT_MS))
		TH_LOG("no INTx within %d ms", IRQ_TIMEOUT_MS);

	/* Still asserted, but automasked: no further events. */
	ASSERT_EQ(1u, edu_read(_metadata, &self->bar, EDU_REG_IRQ_STATUS));
	ASSERT_EQ(0, eventfd_wait(efd, NO_IRQ_WINDOW_MS))
		TH_LOG("INTx delivered again while automasked");

	/* Unmask with the line still asserted: delivered again. */
	ASSERT_EQ(0, intx_mask(&self->dev, VFIO_IRQ_SET_ACTION_UNMASK));
	ASSERT_LT(0, eventfd_wait(efd, IRQ_TIMEOUT_MS))
		TH_LOG("pending INTx not delivered on unmask");

	/* Ack (deassert), unmask: quiet. */
	edu_write(_metadata, &self->bar, EDU_REG_IRQ_ACK, 0x1);
	ASSERT_EQ(0u, edu_read(_metadata, &self->bar, EDU_REG_IRQ_STATUS));
	ASSERT_EQ(0, intx_mask(&self->dev, VFIO_IRQ_SET_ACTION_UNMASK));
	ASSERT_EQ(0, eventfd_wait(efd, NO_IRQ_WINDOW_MS))
		TH_LOG("INTx delivered with the line deasserted");

	/* Explicit mask: a new interrupt is raised but not delivered... */
	ASSERT_EQ(0, intx_mask(&self->dev, VFIO_IRQ_SET_ACTION_MASK));
	edu_write(_metadata, &self->bar, EDU_REG_IRQ_RAISE, 0x4);
	ASSERT_EQ(4u, edu_read(_metadata, &self->bar, EDU_REG_IRQ_STATUS));
	ASSERT_EQ(0, eventfd_wait(efd, NO_IRQ_WINDOW_MS))
		TH_LOG("INTx delivered while masked");

	/* ...until unmasked. */
	ASSERT_EQ(0, intx_mask(&self->dev, VFIO_IRQ_SET_ACTION_UNMASK));
	ASSERT_LT(0, eventfd_wait(efd, IRQ_TIMEOUT_MS))
		TH_LOG("masked INTx not delivered on unmask");
	edu_write(_metadata, &self->bar, EDU_REG_IRQ_ACK, 0x4);
	ASSERT_EQ(0, intx_mask(&self->dev, VFIO_IRQ_SET_ACTION_UNMASK));

	/* A fresh interrupt after all that is delivered normally. */
	edu_write(_metadata, &self->bar, EDU_REG_IRQ_RAISE, 0x8);
	ASSERT_LT(0, eventfd_wait(efd, IRQ_TIMEOUT_MS));
	edu_write(_metadata, &self->bar, EDU_REG_IRQ_ACK, 0x8);

	ASSERT_EQ(0, vfio_test_set_irqs(&self->dev, VFIO_PCI_INTX_IRQ_INDEX,
					VFIO_IRQ_SET_ACTION_TRIGGER, 0, 0, NULL))
		TH_LOG("disable INTx: %m");
	close(efd);
}

static void edu_dma(struct __test_metadata *_metadata,
		    const struct edu_bar *bar, uint64_t src, uint64_t dst,
		    uint32_t count, uint32_t cmd)
{
	ASSERT_TRUE(edu_wait_clear(_metadata, bar, EDU_REG_DMA_CMD,
				   EDU_DMA_START, DMA_TIMEOUT_MS));
	/* 4-byte writes: IOVAs and the device window fit in 32 bits. */
	edu_write(_metadata, bar, EDU_REG_DMA_SRC, (uint32_t)src);
	edu_write(_metadata, bar, EDU_REG_DMA_DST, (uint32_t)dst);
	edu_write(_metadata, bar, EDU_REG_DMA_COUNT, count);
	ASSERT_EQ((uint32_t)src, edu_read(_metadata, bar, EDU_REG_DMA_SRC));
	ASSERT_EQ((uint32_t)dst, edu_read(_metadata, bar, EDU_REG_DMA_DST));
	ASSERT_EQ(count, edu_read(_metadata, bar, EDU_REG_DMA_COUNT));
	edu_write(_metadata, bar, EDU_REG_DMA_CMD, cmd | EDU_DMA_START);
	ASSERT_TRUE(edu_wait_clear(_metadata, bar, EDU_REG_DMA_CMD,
				   EDU_DMA_START, DMA_TIMEOUT_MS))
		TH_LOG("DMA not done after %d ms", DMA_TIMEOUT_MS);
}

TEST_F_TIMEOUT(edu, dma_round_trip, 90)
{
	struct vfio_iommu_type1_dma_map map = { .argsz = sizeof(map) };
	struct vfio_iommu_type1_dma_unmap unmap = { .argsz = sizeof(unmap) };
	size_t len = getpagesize();
	uint8_t *src, *dst;
	unsigned int i, seed;

	ASSERT_LE((size_t)EDU_DMA_MAX + 1, len);
	src = mmap(NULL, len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, src);
	dst = mmap(NULL, len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, dst);

	/* A fresh pattern each run: stale device buffer contents can't pass. */
	seed = (unsigned int)(now_ms() ^ getpid());
	srand(seed);
	for (i = 0; i < len; i++) {
		src[i] = rand();
		dst[i] = ~src[i];
	}

	map.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE;
	map.vaddr = (uintptr_t)src;
	map.iova = IOVA_SRC;
	map.size = len;
	ASSERT_EQ(0, ioctl(self->dev.container, VFIO_IOMMU_MAP_DMA, &map))
		TH_LOG("MAP_DMA src: %m");
	map.vaddr = (uintptr_t)dst;
	map.iova = IOVA_DST;
	ASSERT_EQ(0, ioctl(self->dev.container, VFIO_IOMMU_MAP_DMA, &map))
		TH_LOG("MAP_DMA dst: %m");

	cfg_set_command(_metadata, &self->dev, PCI_COMMAND_MASTER);

	/* RAM -> device buffer, then device buffer -> the other RAM page. */
	edu_dma(_metadata, &self->bar, IOVA_SRC, EDU_DMA_BUF, EDU_DMA_MAX, 0);
	edu_dma(_metadata, &self->bar, EDU_DMA_BUF, IOVA_DST, EDU_DMA_MAX,
		EDU_DMA_TO_RAM);

	for (i = 0; i < EDU_DMA_MAX; i++)
		if (dst[i] != src[i])
			break;
	ASSERT_EQ(EDU_DMA_MAX, i)
		TH_LOG("seed %u: byte %u is 0x%02x, expected 0x%02x",
		       seed, i, dst[i], src[i]);
	/* Nothing written past the transfer. */
	ASSERT_EQ((uint8_t)~src[EDU_DMA_MAX], dst[EDU_DMA_MAX]);

	unmap.iova = IOVA_SRC;
	unmap.size = len;
	ASSERT_EQ(0, ioctl(self->dev.container, VFIO_IOMMU_UNMAP_DMA, &unmap));
	ASSERT_EQ((uint64_t)len, unmap.size);
	unmap.iova = IOVA_DST;
	unmap.size = len;
	ASSERT_EQ(0, ioctl(self->dev.container, VFIO_IOMMU_UNMAP_DMA, &unmap));
	ASSERT_EQ((uint64_t)len, unmap.size);

	munmap(src, len);
	munmap(dst, len);
}

TEST_F_TIMEOUT(edu, reset, 60)
{
	ASSERT_EQ(0, ioctl(self->dev.fd, VFIO_DEVICE_RESET)) TH_LOG("%m");

	/* Still a working edu afterwards. */
	ASSERT_EQ(EDU_VENDOR_ID, cfg_read(_metadata, &self->dev, PCI_VENDOR_ID, 2));
	cfg_set_command(_metadata, &self->dev, PCI_COMMAND_MEMORY);
	edu_check_registers(_metadata, &self->bar);
}

TEST_HARNESS_MAIN
