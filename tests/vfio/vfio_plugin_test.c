// SPDX-License-Identifier: GPL-2.0-only
/*
 * VFIO tests of mdev-pt plugin types, run against an instance given by
 * MDEVPT_UUID.  Each fixture serves one kind of type and skips the others;
 * pick one with the harness' "-f FIXTURE":
 *
 *   edu_audited     mdev_pt-edu-audited (edu plugin): the custom DMA
 *                   violation IRQ, the DMA stats region, the trapped DMA
 *                   registers with their sparse mmap, and the audit itself;
 *   sample_scratch  mdev_pt-sample-scratch (samples/mdev-pt): the scratch
 *                   region by pread/pwrite and mmap;
 *   passthrough     types without traps or extras (mdev_pt-passthrough,
 *                   mdev_pt-edu-passthrough): what vfio-pci gives, no more.
 *
 * Careful: QEMU 7.2 aborts the whole VM when an edu DMA whose device-side
 * range leaves 0x40000..0x40ffe reaches the device.  The edu_audited tests
 * program such DMAs on purpose: the audit must refuse them, so a test bed
 * that dies here has found a hole in the audit.  Never point this program
 * at an edu instance of another type (the fixture checks the type).
 */

#include "harness.h"

#include <endian.h>

#include "vfio_test_util.h"
#include "plugin_util.h"
#include "edu_regs.h"

#define EDU_AUDITED_TYPE	"mdev_pt-edu-audited"
#define EDU_STATS_SIZE		24u
#define EDU_NUM_IRQS		(VFIO_PCI_NUM_IRQS + 1)
#define EDU_NUM_REGIONS		(VFIO_PCI_NUM_REGIONS + 1)
#define EDU_VENDOR_TYPE		(VFIO_REGION_TYPE_PCI_VENDOR_TYPE | EDU_VENDOR_ID)
#define EDU_IRQ_VENDOR_TYPE	(MDEV_PT_IRQ_TYPE_PCI_VENDOR_TYPE | EDU_VENDOR_ID)

/* Where vfio_pci_core puts region @i in the device file (not uAPI). */
#define REGION_OFFSET(i)	((uint64_t)(i) << 40)

#define SAMPLE_TYPE		"mdev_pt-sample-scratch"
#define SAMPLE_VENDOR_TYPE	(VFIO_REGION_TYPE_PCI_VENDOR_TYPE | 0x1b36u)
#define SAMPLE_SUBTYPE		0x8000u

/* Generous: the test bed runs under TCG. */
#define IRQ_TIMEOUT_MS		5000
#define NO_IRQ_WINDOW_MS	500
#define DMA_TIMEOUT_MS		10000
#define FACT_TIMEOUT_MS		5000

/* IOVAs of the three RAM pages, below the device's 28-bit DMA mask. */
#define IOVA_SRC		0x100000ull
#define IOVA_DST		0x200000ull
#define IOVA_EDGE		(EDU_RAM_LIMIT - 0x1000ull)

static size_t page_size(void)
{
	return (size_t)getpagesize();
}

static uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/* --- edu-audited --------------------------------------------------------- */

struct dma_stats {
	uint64_t commands;
	uint64_t bytes;
	uint64_t violations;
};

FIXTURE(edu_audited) {
	struct vfio_test_device dev;
	struct vfio_region_info bar0;
	struct vfio_region_info stats;
	int stats_index;
	int irq_index;
	uint64_t max_dma;	/* vendor/max_dma_bytes of the instance */
	uint64_t good;		/* length of a good transfer */
	uint8_t *src, *dst, *edge;	/* RAM pages at IOVA_SRC, _DST, _EDGE */
	int efd;
};

static void audited_map(struct __test_metadata *_metadata,
			FIXTURE_DATA(edu_audited) *self, void *vaddr,
			uint64_t iova)
{
	struct vfio_iommu_type1_dma_map map = { .argsz = sizeof(map) };

	map.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE;
	map.vaddr = (uintptr_t)vaddr;
	map.iova = iova;
	map.size = page_size();
	ASSERT_EQ(0, ioctl(self->dev.container, VFIO_IOMMU_MAP_DMA, &map))
		TH_LOG("MAP_DMA at 0x%llx: %m", (unsigned long long)iova);
}

/* Open the device, find the type's extras, let it decode and DMA. */
static void audited_open(struct __test_metadata *_metadata,
			 FIXTURE_DATA(edu_audited) *self)
{
	struct mdev_pt_irq_info irq;

	vfio_test_open(_metadata, &self->dev);

	/* Never program DMA into something that is not an edu. */
	ASSERT_EQ(EDU_VENDOR_ID, cfg_read(_metadata, &self->dev, PCI_VENDOR_ID, 2));
	ASSERT_EQ(EDU_DEVICE_ID, cfg_read(_metadata, &self->dev, PCI_DEVICE_ID, 2));

	vfio_test_region_info(_metadata, &self->dev, VFIO_PCI_BAR0_REGION_INDEX,
			      &self->bar0);
	self->stats_index = find_region_by_type(_metadata, &self->dev,
						EDU_VENDOR_TYPE,
						MDEV_PT_EDU_REGION_SUBTYPE_DMA_STATS,
						&self->stats);
	ASSERT_LE(0, self->stats_index) TH_LOG("no DMA stats region");
	self->irq_index = find_irq_by_type(_metadata, &self->dev,
					   EDU_IRQ_VENDOR_TYPE,
					   MDEV_PT_EDU_IRQ_SUBTYPE_DMA_VIOLATION,
					   &irq);
	ASSERT_LE(0, self->irq_index) TH_LOG("no DMA violation IRQ");

	audited_map(_metadata, self, self->src, IOVA_SRC);
	audited_map(_metadata, self, self->dst, IOVA_DST);
	audited_map(_metadata, self, self->edge, IOVA_EDGE);
	cfg_set_command(_metadata, &self->dev,
			PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
}

FIXTURE_SETUP(edu_audited)
{
	char type[NAME_MAX];
	unsigned long max;

	vfio_test_device_init(&self->dev);
	self->efd = -1;
	if (!vfio_test_get_target(_metadata, &self->dev.target) ||
	    !self->dev.target.is_mdev)
		SKIP(return, "set MDEVPT_UUID to an instance of " EDU_AUDITED_TYPE);
	mdev_type_name(self->dev.target.name, type, sizeof(type));
	if (strcmp(type, EDU_AUDITED_TYPE))
		SKIP(return, "instance is of type %s, not " EDU_AUDITED_TYPE, type);

	ASSERT_EQ(0, mdev_attr_read(&self->dev.target, "vendor/max_dma_bytes", &max));
	ASSERT_LE(1ul, max);
	ASSERT_GE((unsigned long)EDU_DMA_MAX, max);
	self->max_dma = max;
	self->good = max;

	self->src = mmap(NULL, 3 * page_size(), PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->src);
	self->dst = self->src + page_size();
	self->edge = self->dst + page_size();

	self->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ASSERT_LE(0, self->efd);

	audited_open(_metadata, self);
}

FIXTURE_TEARDOWN(edu_audited)
{
	vfio_test_close(&self->dev);
	if (self->efd >= 0)
		close(self->efd);
}

static uint64_t bar0_read(struct __test_metadata *_metadata,
			  FIXTURE_DATA(edu_audited) *self, unsigned int reg,
			  unsigned int size)
{
	uint64_t val = 0;

	ASSERT_EQ((ssize_t)size, pread(self->dev.fd, &val, size,
				       self->bar0.offset + reg))
		TH_LOG("BAR0 read of %u bytes at 0x%x: %m", size, reg);
	return val;
}

static void bar0_write(struct __test_metadata *_metadata,
		       FIXTURE_DATA(edu_audited) *self, unsigned int reg,
		       uint64_t val, unsigned int size)
{
	ASSERT_EQ((ssize_t)size, pwrite(self->dev.fd, &val, size,
					self->bar0.offset + reg))
		TH_LOG("BAR0 write of %u bytes at 0x%x: %m", size, reg);
}

static struct dma_stats read_stats(struct __test_metadata *_metadata,
				   FIXTURE_DATA(edu_audited) *self)
{
	struct mdev_pt_edu_dma_stats raw;
	struct dma_stats s = { 0, 0, 0 };

	ASSERT_EQ((ssize_t)sizeof(raw),
		  pread(self->dev.fd, &raw, sizeof(raw), self->stats.offset))
		TH_LOG("stats region read: %m");
	s.commands = le64toh(raw.commands);
	s.bytes = le64toh(raw.bytes);
	s.violations = le64toh(raw.violations);
	return s;
}

/* The sysfs counters tell the same as the region. */
static void check_sysfs_counters(struct __test_metadata *_metadata,
				 FIXTURE_DATA(edu_audited) *self)
{
	struct dma_stats s = read_stats(_metadata, self);
	unsigned long v;

	ASSERT_EQ(0, mdev_attr_read(&self->dev.target, "vendor/dma_commands", &v));
	ASSERT_EQ(s.commands, (uint64_t)v);
	ASSERT_EQ(0, mdev_attr_read(&self->dev.target, "vendor/dma_bytes", &v));
	ASSERT_EQ(s.bytes, (uint64_t)v);
	ASSERT_EQ(0, mdev_attr_read(&self->dev.target, "vendor/dma_violations", &v));
	ASSERT_EQ(s.violations, (uint64_t)v);
}

static bool dma_idle(struct __test_metadata *_metadata,
		     FIXTURE_DATA(edu_audited) *self, int timeout_ms)
{
	uint64_t deadline = now_ms() + timeout_ms;

	do {
		if (!(bar0_read(_metadata, self, EDU_REG_DMA_CMD, 4) & EDU_DMA_START))
			return true;
		usleep(1000);
	} while (now_ms() < deadline);
	return !(bar0_read(_metadata, self, EDU_REG_DMA_CMD, 4) & EDU_DMA_START);
}

/* Program a transfer through the trapped registers, 8 bytes at a time. */
static void dma_program(struct __test_metadata *_metadata,
			FIXTURE_DATA(edu_audited) *self, uint64_t src,
			uint64_t dst, uint64_t count, uint64_t cmd)
{
	ASSERT_TRUE(dma_idle(_metadata, self, DMA_TIMEOUT_MS));
	bar0_write(_metadata, self, EDU_REG_DMA_SRC, src, 8);
	bar0_write(_metadata, self, EDU_REG_DMA_DST, dst, 8);
	bar0_write(_metadata, self, EDU_REG_DMA_COUNT, count, 8);
	ASSERT_EQ(src, bar0_read(_metadata, self, EDU_REG_DMA_SRC, 8));
	ASSERT_EQ(dst, bar0_read(_metadata, self, EDU_REG_DMA_DST, 8));
	ASSERT_EQ(count, bar0_read(_metadata, self, EDU_REG_DMA_COUNT, 8));
	bar0_write(_metadata, self, EDU_REG_DMA_CMD, cmd | EDU_DMA_START, 8);
}

/* A transfer the audit allows: it runs and is counted. */
static void dma_good(struct __test_metadata *_metadata,
		     FIXTURE_DATA(edu_audited) *self, uint64_t src,
		     uint64_t dst, uint64_t count, uint64_t cmd)
{
	struct dma_stats before = read_stats(_metadata, self), after;

	dma_program(_metadata, self, src, dst, count, cmd);
	ASSERT_TRUE(dma_idle(_metadata, self, DMA_TIMEOUT_MS))
		TH_LOG("DMA not done after %d ms", DMA_TIMEOUT_MS);
	after = read_stats(_metadata, self);
	ASSERT_EQ(before.commands + 1, after.commands)
		TH_LOG("DMA 0x%llx -> 0x%llx, %llu bytes, not forwarded",
		       (unsigned long long)src, (unsigned long long)dst,
		       (unsigned long long)count);
	ASSERT_EQ(before.bytes + count, after.bytes);
	ASSERT_EQ(before.violations, after.violations);
}

/*
 * A transfer the audit must refuse: counted as a violation, signalled on
 * the violation eventfd if @signalled, never started.
 */
static void dma_bad(struct __test_metadata *_metadata,
		    FIXTURE_DATA(edu_audited) *self, const char *what,
		    uint64_t src, uint64_t dst, uint64_t count, uint64_t cmd,
		    bool signalled)
{
	struct dma_stats before = read_stats(_metadata, self), after;

	dma_program(_metadata, self, src, dst, count, cmd);
	if (signalled)
		ASSERT_LT(0, eventfd_wait(self->efd, IRQ_TIMEOUT_MS))
			TH_LOG("%s: no violation IRQ", what);
	after = read_stats(_metadata, self);
	ASSERT_EQ(before.violations + 1, after.violations)
		TH_LOG("%s: not counted as a violation", what);
	ASSERT_EQ(before.commands, after.commands) TH_LOG("%s: forwarded", what);
	ASSERT_EQ(before.bytes, after.bytes);
	/* The device never saw the start. */
	ASSERT_EQ(0ull, bar0_read(_metadata, self, EDU_REG_DMA_CMD, 4) & EDU_DMA_START)
		TH_LOG("%s: the device is running a transfer", what);
}

static void violation_trigger(struct __test_metadata *_metadata,
			      FIXTURE_DATA(edu_audited) *self, int efd)
{
	ASSERT_EQ(0, set_irqs_raw(&self->dev, self->irq_index,
				  VFIO_IRQ_SET_DATA_EVENTFD |
				  VFIO_IRQ_SET_ACTION_TRIGGER, 0, 1,
				  &efd, sizeof(efd)))
		TH_LOG("SET_IRQS trigger: %m");
}

static void violation_action(struct __test_metadata *_metadata,
			     FIXTURE_DATA(edu_audited) *self, uint32_t action)
{
	ASSERT_EQ(0, set_irqs_raw(&self->dev, self->irq_index,
				  VFIO_IRQ_SET_DATA_NONE | action, 0, 1, NULL, 0))
		TH_LOG("SET_IRQS action 0x%x: %m", action);
}

/* A violation that is easy to spot in the kernel log: count 0. */
static void violate(struct __test_metadata *_metadata,
		    FIXTURE_DATA(edu_audited) *self, bool signalled)
{
	dma_bad(_metadata, self, "count 0", IOVA_SRC, EDU_DMA_BUF, 0, 0,
		signalled);
}

/* Fill the RAM pages: @src random, the others its complement. */
static unsigned int fill_pages(FIXTURE_DATA(edu_audited) *self)
{
	unsigned int seed = (unsigned int)(now_ms() ^ getpid()), i;

	srand(seed);
	for (i = 0; i < page_size(); i++) {
		self->src[i] = rand();
		self->dst[i] = ~self->src[i];
		self->edge[i] = ~self->src[i];
	}
	return seed;
}

TEST_F(edu_audited, device_info)
{
	ASSERT_FLAGS(self->dev.info.flags, VFIO_DEVICE_FLAGS_PCI);
	ASSERT_FLAGS(self->dev.info.flags, VFIO_DEVICE_FLAGS_RESET);
	ASSERT_EQ((uint32_t)EDU_NUM_IRQS, self->dev.info.num_irqs);
	ASSERT_EQ((uint32_t)EDU_NUM_REGIONS, self->dev.info.num_regions);
}

/* Walk every custom index: exactly one, the violation IRQ, fully described. */
TEST_F(edu_audited, custom_irq_found_by_capability)
{
	struct mdev_pt_irq_info_cap_type *cap;
	struct mdev_pt_irq_info *info;
	char buf[INFO_BUF_SIZE];
	uint32_t index;
	int found = 0;

	info = (struct mdev_pt_irq_info *)buf;
	for (index = VFIO_PCI_NUM_IRQS; index < self->dev.info.num_irqs; index++) {
		ASSERT_EQ(0, irq_info_argsz(&self->dev, index, buf, INFO_BUF_SIZE))
			TH_LOG("GET_IRQ_INFO(%u): %m", index);
		ASSERT_EQ(index, info->index);
		ASSERT_FLAGS(info->flags, MDEV_PT_IRQ_INFO_FLAG_CAPS);
		ASSERT_EQ(sizeof(*info), info->cap_offset);
		cap = (struct mdev_pt_irq_info_cap_type *)
			info_find_cap(buf, INFO_BUF_SIZE, info->cap_offset,
				      MDEV_PT_IRQ_INFO_CAP_TYPE);
		ASSERT_NE(NULL, cap) TH_LOG("index %u has no type capability", index);
		ASSERT_EQ(1, cap->header.version);
		ASSERT_EQ(0u, cap->header.next);
		ASSERT_EQ(sizeof(*info) + sizeof(*cap), info->argsz);
		if (cap->type != EDU_IRQ_VENDOR_TYPE ||
		    cap->subtype != MDEV_PT_EDU_IRQ_SUBTYPE_DMA_VIOLATION)
			continue;
		found++;
		ASSERT_EQ((int)index, self->irq_index);
		ASSERT_EQ(1u, info->count);
		ASSERT_EQ((uint32_t)(VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_MASKABLE |
				     MDEV_PT_IRQ_INFO_FLAG_CAPS), info->flags);
		ASSERT_EQ(0u, info->pad);
	}
	ASSERT_EQ(1, found);
	ASSERT_EQ(VFIO_PCI_NUM_IRQS, self->irq_index);
}

/* argsz of the fixed part only: the size needed comes back, no chain. */
TEST_F(edu_audited, custom_irq_info_short_argsz)
{
	struct mdev_pt_irq_info_cap_type *cap;
	struct mdev_pt_irq_info *info;
	char buf[INFO_BUF_SIZE];
	uint32_t need;

	info = (struct mdev_pt_irq_info *)buf;
	memset(buf, 0xa5, sizeof(buf));
	ASSERT_EQ(0, irq_info_argsz(&self->dev, self->irq_index, buf,
				    sizeof(*info)));
	need = info->argsz;
	ASSERT_EQ(sizeof(*info) + sizeof(*cap), need);
	ASSERT_EQ(0u, info->cap_offset);
	ASSERT_EQ(1u, info->count);
	ASSERT_FLAGS(info->flags, VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_MASKABLE);

	/* Asked again with what it said: the chain is there. */
	ASSERT_EQ(0, irq_info_argsz(&self->dev, self->irq_index, buf, need));
	ASSERT_EQ(need, info->argsz);
	ASSERT_FLAGS(info->flags, MDEV_PT_IRQ_INFO_FLAG_CAPS);
	ASSERT_EQ(sizeof(*info), info->cap_offset);
	cap = (struct mdev_pt_irq_info_cap_type *)(buf + info->cap_offset);
	ASSERT_EQ(MDEV_PT_IRQ_INFO_CAP_TYPE, cap->header.id);
	ASSERT_EQ((uint32_t)EDU_IRQ_VENDOR_TYPE, cap->type);
	ASSERT_EQ((uint32_t)MDEV_PT_EDU_IRQ_SUBTYPE_DMA_VIOLATION, cap->subtype);

	/* One byte short of the chain: still no chain. */
	ASSERT_EQ(0, irq_info_argsz(&self->dev, self->irq_index, buf, need - 1));
	ASSERT_EQ(0u, info->cap_offset);
	ASSERT_EQ(need, info->argsz);
}

/* The plain 16-byte struct vfio_irq_info (QEMU's) works as for any index. */
TEST_F(edu_audited, custom_irq_info_plain)
{
	struct {
		struct vfio_irq_info info;
		uint32_t guard[2];
	} b;

	memset(&b, 0xa5, sizeof(b));
	b.info.argsz = sizeof(b.info);
	b.info.index = self->irq_index;
	ASSERT_EQ(0, ioctl(self->dev.fd, VFIO_DEVICE_GET_IRQ_INFO, &b.info));
	ASSERT_EQ(1u, b.info.count);
	ASSERT_EQ((uint32_t)(VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_MASKABLE),
		  b.info.flags);
	ASSERT_EQ((uint32_t)self->irq_index, b.info.index);
	/* Nothing written past the caller's 16 bytes. */
	ASSERT_EQ(0xa5a5a5a5u, b.guard[0]);
	ASSERT_EQ(0xa5a5a5a5u, b.guard[1]);

	/* Shorter than struct vfio_irq_info: refused. */
	b.info.argsz = sizeof(b.info) - 1;
	b.info.index = self->irq_index;
	ASSERT_EQ(-1, ioctl(self->dev.fd, VFIO_DEVICE_GET_IRQ_INFO, &b.info));
	ASSERT_EQ(EINVAL, errno);
}

/* vfio-pci's own indexes carry no capabilities. */
TEST_F(edu_audited, standard_irqs_unchanged)
{
	struct mdev_pt_irq_info *info;
	char buf[INFO_BUF_SIZE];
	uint32_t index;

	info = (struct mdev_pt_irq_info *)buf;
	for (index = 0; index < VFIO_PCI_NUM_IRQS; index++) {
		/* vfio-pci has no ERR index for conventional PCI (edu). */
		if (irq_info_argsz(&self->dev, index, buf, INFO_BUF_SIZE) &&
		    index == VFIO_PCI_ERR_IRQ_INDEX && errno == EINVAL)
			continue;
		ASSERT_EQ(0, irq_info_argsz(&self->dev, index, buf, INFO_BUF_SIZE))
			TH_LOG("GET_IRQ_INFO(%u): %m", index);
		ASSERT_EQ(0u, info->flags & MDEV_PT_IRQ_INFO_FLAG_CAPS);
		ASSERT_EQ(0u, info->cap_offset);
	}
	ASSERT_EQ(0, irq_info_argsz(&self->dev, VFIO_PCI_INTX_IRQ_INDEX, buf,
				    INFO_BUF_SIZE));
	ASSERT_EQ(1u, info->count);
	ASSERT_EQ(0, irq_info_argsz(&self->dev, VFIO_PCI_REQ_IRQ_INDEX, buf,
				    INFO_BUF_SIZE));
	ASSERT_EQ(1u, info->count);
}

TEST_F(edu_audited, irq_info_bad_index)
{
	static const uint32_t bad[] = { EDU_NUM_IRQS, EDU_NUM_IRQS + 1, 100,
					0x7fffffff, 0xffffffff };
	struct mdev_pt_irq_info info;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		ASSERT_EQ(-1, irq_info_argsz(&self->dev, bad[i], &info, sizeof(info)))
			TH_LOG("GET_IRQ_INFO(%u) succeeded", bad[i]);
		ASSERT_EQ(EINVAL, errno);
	}
}

TEST_F(edu_audited, stats_region)
{
	struct mdev_pt_edu_dma_stats raw;
	struct dma_stats s;
	uint64_t part[3];

	ASSERT_EQ(VFIO_PCI_NUM_REGIONS, self->stats_index);
	ASSERT_EQ(EDU_STATS_SIZE, self->stats.size);
	ASSERT_EQ(sizeof(raw), self->stats.size);
	ASSERT_EQ((uint32_t)(VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_CAPS),
		  self->stats.flags);
	ASSERT_EQ(REGION_OFFSET(self->stats_index), self->stats.offset);

	/* Each counter alone reads the same as the whole structure. */
	s = read_stats(_metadata, self);
	ASSERT_EQ(8, pread(self->dev.fd, &part[0], 8, self->stats.offset + 0));
	ASSERT_EQ(8, pread(self->dev.fd, &part[1], 8, self->stats.offset + 8));
	ASSERT_EQ(8, pread(self->dev.fd, &part[2], 8, self->stats.offset + 16));
	ASSERT_EQ(s.commands, le64toh(part[0]));
	ASSERT_EQ(s.bytes, le64toh(part[1]));
	ASSERT_EQ(s.violations, le64toh(part[2]));
	check_sysfs_counters(_metadata, self);
}

TEST_F(edu_audited, stats_region_refusals)
{
	uint64_t off = self->stats.offset, val = 0;
	char big[64];
	void *map;

	/* Read-only. */
	ASSERT_EQ(-1, pwrite(self->dev.fd, &val, 8, off));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ(-1, pwrite(self->dev.fd, &val, 1, off + 23));
	ASSERT_EQ(EINVAL, errno);

	/* Past the end: refused; across it: a short read. */
	ASSERT_EQ(-1, pread(self->dev.fd, &val, 8, off + EDU_STATS_SIZE));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ(-1, pread(self->dev.fd, &val, 1, off + 4096));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ(8, pread(self->dev.fd, big, sizeof(big), off + 16));

	/* Not mmap-able. */
	map = mmap(NULL, page_size(), PROT_READ, MAP_SHARED, self->dev.fd, off);
	ASSERT_EQ(MAP_FAILED, map);
	ASSERT_EQ(EINVAL, errno);
}

TEST_F(edu_audited, region_offsets_past_end)
{
	struct vfio_region_info info;
	uint64_t val;

	memset(&info, 0, sizeof(info));
	info.argsz = sizeof(info);
	info.index = EDU_NUM_REGIONS;
	ASSERT_EQ(-1, ioctl(self->dev.fd, VFIO_DEVICE_GET_REGION_INFO, &info));
	ASSERT_EQ(EINVAL, errno);
	info.index = 0xffffffff;
	ASSERT_EQ(-1, ioctl(self->dev.fd, VFIO_DEVICE_GET_REGION_INFO, &info));
	ASSERT_EQ(EINVAL, errno);

	/* Reads of a region index that does not exist. */
	ASSERT_EQ(-1, pread(self->dev.fd, &val, 4,
			    REGION_OFFSET(EDU_NUM_REGIONS)));
	ASSERT_EQ(EINVAL, errno);
	/* BAR0 ends at 1 MiB, the trapped part included. */
	ASSERT_EQ(-1, pread(self->dev.fd, &val, 4,
			    self->bar0.offset + EDU_BAR0_SIZE));
	ASSERT_EQ(EINVAL, errno);
}

/* BAR0: mmap-able except for the page of the DMA registers. */
TEST_F(edu_audited, bar0_sparse_mmap)
{
	struct vfio_region_info_cap_sparse_mmap *sparse;
	struct vfio_region_info *info;
	char buf[INFO_BUF_SIZE];
	uint64_t covered = 0, end, a_end;
	uint32_t i, need;
	bool progress;

	ASSERT_EQ(EDU_BAR0_SIZE, self->bar0.size);
	ASSERT_EQ((uint32_t)(VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE |
			     VFIO_REGION_INFO_FLAG_MMAP | VFIO_REGION_INFO_FLAG_CAPS),
		  self->bar0.flags);
	/* The fixture asked with the bare structure: told to ask again. */
	ASSERT_LT(sizeof(struct vfio_region_info), self->bar0.argsz);
	ASSERT_EQ(0u, self->bar0.cap_offset);
	need = self->bar0.argsz;

	info = (struct vfio_region_info *)buf;
	memset(buf, 0, sizeof(buf));
	info->argsz = need;
	info->index = VFIO_PCI_BAR0_REGION_INDEX;
	ASSERT_EQ(0, ioctl(self->dev.fd, VFIO_DEVICE_GET_REGION_INFO, info));
	ASSERT_EQ(need, info->argsz);
	ASSERT_NE(0u, info->cap_offset);
	sparse = (struct vfio_region_info_cap_sparse_mmap *)
		info_find_cap(buf, need, info->cap_offset,
			      VFIO_REGION_INFO_CAP_SPARSE_MMAP);
	ASSERT_NE(NULL, sparse);
	ASSERT_EQ(1, sparse->header.version);
	ASSERT_LE(1u, sparse->nr_areas);
	ASSERT_GE(need, (uint32_t)((char *)&sparse->areas[sparse->nr_areas] - buf));

	/* No area touches page 0; together they cover [4096, 1 MiB) exactly. */
	for (i = 0; i < sparse->nr_areas; i++) {
		TH_LOG("area %u: 0x%llx+0x%llx", i,
		       (unsigned long long)sparse->areas[i].offset,
		       (unsigned long long)sparse->areas[i].size);
		ASSERT_LE(page_size(), sparse->areas[i].offset);
		ASSERT_NE(0ull, sparse->areas[i].size);
		ASSERT_LE(sparse->areas[i].offset + sparse->areas[i].size,
			  (uint64_t)EDU_BAR0_SIZE);
		ASSERT_EQ(0ull, sparse->areas[i].offset % page_size());
		ASSERT_EQ(0ull, sparse->areas[i].size % page_size());
		covered += sparse->areas[i].size;
	}
	ASSERT_EQ(EDU_BAR0_SIZE - page_size(), covered);
	/* Disjoint: grow [4096, end) one adjacent area at a time. */
	end = page_size();
	do {
		progress = false;
		for (i = 0; i < sparse->nr_areas; i++) {
			a_end = sparse->areas[i].offset + sparse->areas[i].size;
			if (sparse->areas[i].offset == end) {
				end = a_end;
				progress = true;
			}
		}
	} while (progress && end < EDU_BAR0_SIZE);
	ASSERT_EQ((uint64_t)EDU_BAR0_SIZE, end);
}

TEST_F(edu_audited, bar0_mmap)
{
	size_t ps = page_size();
	volatile uint32_t *p;
	void *map;

	/* Page 0 holds the trapped DMA registers. */
	map = mmap(NULL, ps, PROT_READ | PROT_WRITE, MAP_SHARED, self->dev.fd,
		   self->bar0.offset);
	ASSERT_EQ(MAP_FAILED, map) TH_LOG("page 0 of BAR0 mmap'd");
	ASSERT_EQ(EINVAL, errno);
	map = mmap(NULL, ps, PROT_READ, MAP_SHARED, self->dev.fd,
		   self->bar0.offset);
	ASSERT_EQ(MAP_FAILED, map) TH_LOG("page 0 of BAR0 mmap'd read-only");
	map = mmap(NULL, EDU_BAR0_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
		   self->dev.fd, self->bar0.offset);
	ASSERT_EQ(MAP_FAILED, map) TH_LOG("all of BAR0 mmap'd");

	/* The rest maps. */
	map = mmap(NULL, ps, PROT_READ | PROT_WRITE, MAP_SHARED, self->dev.fd,
		   self->bar0.offset + ps);
	ASSERT_NE(MAP_FAILED, map) TH_LOG("mmap page 1 of BAR0: %m");
	ASSERT_EQ(0, munmap(map, ps));
	map = mmap(NULL, EDU_BAR0_SIZE - ps, PROT_READ | PROT_WRITE, MAP_SHARED,
		   self->dev.fd, self->bar0.offset + ps);
	ASSERT_NE(MAP_FAILED, map) TH_LOG("mmap BAR0 from page 1 on: %m");
	p = map;
	(void)p[0];
	(void)p[(EDU_BAR0_SIZE - ps) / 4 - 1];
	ASSERT_EQ(0, munmap(map, EDU_BAR0_SIZE - ps));
}

/* The untrapped registers of page 0 still pass through by pread/pwrite. */
TEST_F_TIMEOUT(edu_audited, bar0_passthrough_registers, 60)
{
	uint64_t deadline;
	char buf[16];

	ASSERT_EQ(EDU_ID_VALUE, bar0_read(_metadata, self, EDU_REG_ID, 4));
	bar0_write(_metadata, self, EDU_REG_LIVENESS, 0x12345678, 4);
	ASSERT_EQ(~0x12345678u, (uint32_t)bar0_read(_metadata, self, EDU_REG_LIVENESS, 4));

	bar0_write(_metadata, self, EDU_REG_FACTORIAL, 5, 4);
	deadline = now_ms() + FACT_TIMEOUT_MS;
	while ((bar0_read(_metadata, self, EDU_REG_STATUS, 4) & EDU_STATUS_COMPUTING) &&
	       now_ms() < deadline)
		usleep(1000);
	ASSERT_EQ(120u, bar0_read(_metadata, self, EDU_REG_FACTORIAL, 4));

	/* A read that runs into the trapped range stops at its start. */
	ASSERT_EQ(8, pread(self->dev.fd, buf, sizeof(buf),
			   self->bar0.offset + EDU_REG_DMA_SRC - 8));
}

/* The DMA registers are the audit's shadows, in halves or whole. */
TEST_F(edu_audited, dma_registers_shadowed)
{
	uint64_t val = 0;

	bar0_write(_metadata, self, EDU_REG_DMA_SRC, 0x1122334455667788ull, 8);
	ASSERT_EQ(0x1122334455667788ull, bar0_read(_metadata, self, EDU_REG_DMA_SRC, 8));
	ASSERT_EQ(0x55667788ull, bar0_read(_metadata, self, EDU_REG_DMA_SRC, 4));
	ASSERT_EQ(0x11223344ull, bar0_read(_metadata, self, EDU_REG_DMA_SRC + 4, 4));
	bar0_write(_metadata, self, EDU_REG_DMA_SRC + 4, 0xaabbccdd, 4);
	ASSERT_EQ(0xaabbccdd55667788ull, bar0_read(_metadata, self, EDU_REG_DMA_SRC, 8));
	bar0_write(_metadata, self, EDU_REG_DMA_COUNT, 0x10, 4);
	ASSERT_EQ(0x10ull, bar0_read(_metadata, self, EDU_REG_DMA_COUNT, 8) & 0xffffffff);

	/* 1 and 2 bytes, or misaligned: refused as the device would. */
	ASSERT_EQ(-1, pread(self->dev.fd, &val, 2, self->bar0.offset + EDU_REG_DMA_DST));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ(-1, pwrite(self->dev.fd, &val, 1, self->bar0.offset + EDU_REG_DMA_CMD));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ(-1, pwrite(self->dev.fd, &val, 4, self->bar0.offset + EDU_REG_DMA_DST + 2));
	ASSERT_EQ(EINVAL, errno);

	/* 8 bytes across two registers: two 4-byte halves, as vfio-pci does. */
	bar0_write(_metadata, self, EDU_REG_DMA_DST, 0x0123456789abcdefull, 8);
	bar0_write(_metadata, self, EDU_REG_DMA_COUNT, 0xfedcba9876543210ull, 8);
	ASSERT_EQ(8, pread(self->dev.fd, &val, 8, self->bar0.offset + EDU_REG_DMA_DST + 4));
	ASSERT_EQ(0x7654321001234567ull, val);
}

/*
 * A long read over the trapped registers: vfio-pci splits long accesses into
 * naturally aligned ones of at most 8 bytes; the core promises trap_rw
 * "1, 2, 4 or 8" bytes, so it must split too (a short count is fine).
 */
TEST_F(edu_audited, dma_registers_long_read)
{
	uint64_t regs[4];
	ssize_t n;

	bar0_write(_metadata, self, EDU_REG_DMA_SRC, 0x1000, 8);
	bar0_write(_metadata, self, EDU_REG_DMA_DST, 0x2000, 8);
	n = pread(self->dev.fd, regs, sizeof(regs), self->bar0.offset + EDU_REG_DMA_SRC);
	ASSERT_LE(8, n) TH_LOG("32-byte read at 0x80: %zd (%m)", n);
	ASSERT_EQ(0, n % 8);
	ASSERT_EQ(0x1000ull, regs[0]);
	if (n >= 16)
		ASSERT_EQ(0x2000ull, regs[1]);
}

/* An ioeventfd would write to the device behind the audit's back. */
TEST_F(edu_audited, ioeventfd_refused_on_trapped_page)
{
	struct vfio_device_ioeventfd ioe = { .argsz = sizeof(ioe) };
	int efd;

	efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ASSERT_LE(0, efd);

	ioe.flags = VFIO_DEVICE_IOEVENTFD_64;
	ioe.offset = self->bar0.offset + EDU_REG_DMA_CMD;
	ioe.data = EDU_DMA_START;
	ioe.fd = efd;
	ASSERT_EQ(-1, ioctl(self->dev.fd, VFIO_DEVICE_IOEVENTFD, &ioe))
		TH_LOG("ioeventfd on the DMA command register accepted");
	ASSERT_EQ(EPERM, errno);

	ioe.flags = VFIO_DEVICE_IOEVENTFD_32;
	ioe.offset = self->bar0.offset + EDU_REG_DMA_SRC;
	ASSERT_EQ(-1, ioctl(self->dev.fd, VFIO_DEVICE_IOEVENTFD, &ioe));
	ASSERT_EQ(EPERM, errno);
	/* The whole page is the trap's, as for mmap. */
	ioe.offset = self->bar0.offset + EDU_REG_LIVENESS;
	ASSERT_EQ(-1, ioctl(self->dev.fd, VFIO_DEVICE_IOEVENTFD, &ioe));
	ASSERT_EQ(EPERM, errno);

	/* Outside the trapped page it works as with vfio-pci. */
	ioe.offset = self->bar0.offset + page_size();
	ASSERT_EQ(0, ioctl(self->dev.fd, VFIO_DEVICE_IOEVENTFD, &ioe))
		TH_LOG("ioeventfd on page 1: %m");
	ioe.fd = -1;
	ASSERT_EQ(0, ioctl(self->dev.fd, VFIO_DEVICE_IOEVENTFD, &ioe))
		TH_LOG("ioeventfd removal: %m");
	close(efd);
}

TEST_F_TIMEOUT(edu_audited, dma_round_trip, 90)
{
	struct dma_stats before, after;
	unsigned int seed, i;
	uint64_t n = self->good;

	seed = fill_pages(self);
	before = read_stats(_metadata, self);

	/* RAM -> device buffer, then device buffer -> the other RAM page. */
	dma_good(_metadata, self, IOVA_SRC, EDU_DMA_BUF, n, 0);
	dma_good(_metadata, self, EDU_DMA_BUF, IOVA_DST, n, EDU_DMA_TO_RAM);

	for (i = 0; i < n; i++)
		if (self->dst[i] != self->src[i])
			break;
	ASSERT_EQ(n, i) TH_LOG("seed %u: byte %u is 0x%02x, expected 0x%02x",
			       seed, i, self->dst[i], self->src[i]);
	ASSERT_EQ((uint8_t)~self->src[n], self->dst[n]);

	after = read_stats(_metadata, self);
	ASSERT_EQ(before.commands + 2, after.commands);
	ASSERT_EQ(before.bytes + 2 * n, after.bytes);
	ASSERT_EQ(before.violations, after.violations);
	check_sysfs_counters(_metadata, self);
}

/* Transfers that end exactly at the allowed limits run. */
TEST_F_TIMEOUT(edu_audited, dma_at_the_limits, 90)
{
	uint64_t n = self->good;
	unsigned int i;

	fill_pages(self);
	/* Device side: the last byte a transfer may touch is 0x40ffe. */
	dma_good(_metadata, self, IOVA_SRC, EDU_DMA_BUF_END - n, n, 0);
	dma_good(_metadata, self, EDU_DMA_BUF_END - n, IOVA_DST, n, EDU_DMA_TO_RAM);
	for (i = 0; i < n; i++)
		ASSERT_EQ(self->src[i], self->dst[i]);

	/* RAM side: the last byte below the 28-bit DMA mask. */
	dma_good(_metadata, self, EDU_DMA_BUF_END - n, EDU_RAM_LIMIT - n, n,
		 EDU_DMA_TO_RAM);
	for (i = 0; i < n; i++)
		ASSERT_EQ(self->src[i], self->edge[page_size() - n + i]);
	ASSERT_EQ((uint8_t)~self->src[page_size() - n - 1],
		  self->edge[page_size() - n - 1]);
	dma_good(_metadata, self, EDU_RAM_LIMIT - n, EDU_DMA_BUF, n, 0);
}

/* Every refused DMA: no harm, a counted violation and an IRQ. */
TEST_F_TIMEOUT(edu_audited, dma_violations, 120)
{
	uint64_t n = min_u64(self->max_dma, 0x200), s = min_u64(self->max_dma, 0x20);
	const struct {
		const char *what;
		uint64_t src, dst, count, cmd;
	} bad[] = {
		{ "device range crossing the buffer end", IOVA_SRC,
		  0x41000 - n / 2, n, 0 },
		{ "device range one byte too long", IOVA_SRC,
		  EDU_DMA_BUF_END - n + 1, n, 0 },
		{ "device range 0x40f00+0x200", IOVA_SRC, 0x40f00, 0x200, 0 },
		{ "device range before the buffer", EDU_DMA_BUF - s / 2,
		  IOVA_DST, s, EDU_DMA_TO_RAM },
		{ "device address above 4 GiB", IOVA_SRC,
		  (1ull << 32) | EDU_DMA_BUF, s, 0 },
		{ "device range wrapping around", IOVA_SRC,
		  ~0ull - s / 2, s, 0 },
		{ "RAM address at the 28-bit limit", EDU_RAM_LIMIT, EDU_DMA_BUF,
		  s, 0 },
		{ "RAM range crossing the 28-bit limit", EDU_DMA_BUF,
		  EDU_RAM_LIMIT - n + 1, n, EDU_DMA_TO_RAM },
		{ "RAM address far beyond", EDU_DMA_BUF, ~0ull - 0xfff, s,
		  EDU_DMA_TO_RAM },
		{ "count 0", IOVA_SRC, EDU_DMA_BUF, 0, 0 },
		{ "count above max_dma_bytes", IOVA_SRC, EDU_DMA_BUF,
		  self->max_dma + 1, 0 },
		{ "count 4096", EDU_DMA_BUF, IOVA_DST, 4096, EDU_DMA_TO_RAM },
		{ "count 2^64-1", IOVA_SRC, EDU_DMA_BUF, ~0ull, 0 },
	};
	struct dma_stats before, after;
	unsigned int i;

	violation_trigger(_metadata, self, self->efd);
	before = read_stats(_metadata, self);
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		TH_LOG("%s: 0x%llx -> 0x%llx, %llu bytes", bad[i].what,
		       (unsigned long long)bad[i].src,
		       (unsigned long long)bad[i].dst,
		       (unsigned long long)bad[i].count);
		dma_bad(_metadata, self, bad[i].what, bad[i].src, bad[i].dst,
			bad[i].count, bad[i].cmd, true);
		/* One signal per violation, not more. */
		ASSERT_EQ(0, eventfd_wait(self->efd, 0));
	}
	after = read_stats(_metadata, self);
	ASSERT_EQ(before.violations + i, after.violations);
	check_sysfs_counters(_metadata, self);

	/* The device is fine, and so is the audit. */
	ASSERT_EQ(EDU_ID_VALUE, bar0_read(_metadata, self, EDU_REG_ID, 4));
	dma_good(_metadata, self, IOVA_SRC, EDU_DMA_BUF, self->good, 0);
}

/* A start written as the low half of the command register is checked too. */
TEST_F_TIMEOUT(edu_audited, dma_violation_4byte_command, 60)
{
	struct dma_stats before, after;

	violation_trigger(_metadata, self, self->efd);
	before = read_stats(_metadata, self);
	ASSERT_TRUE(dma_idle(_metadata, self, DMA_TIMEOUT_MS));
	bar0_write(_metadata, self, EDU_REG_DMA_SRC, IOVA_SRC, 4);
	bar0_write(_metadata, self, EDU_REG_DMA_SRC + 4, 0, 4);
	bar0_write(_metadata, self, EDU_REG_DMA_DST, 0x40f00, 4);
	bar0_write(_metadata, self, EDU_REG_DMA_DST + 4, 0, 4);
	bar0_write(_metadata, self, EDU_REG_DMA_COUNT, 0x200, 4);
	bar0_write(_metadata, self, EDU_REG_DMA_COUNT + 4, 0, 4);
	bar0_write(_metadata, self, EDU_REG_DMA_CMD, EDU_DMA_START, 4);
	ASSERT_LT(0, eventfd_wait(self->efd, IRQ_TIMEOUT_MS));
	after = read_stats(_metadata, self);
	ASSERT_EQ(before.violations + 1, after.violations);
	ASSERT_EQ(before.commands, after.commands);

	/* The high half of the command register holds no start bit. */
	bar0_write(_metadata, self, EDU_REG_DMA_CMD + 4, EDU_DMA_START, 4);
	ASSERT_EQ(0, eventfd_wait(self->efd, NO_IRQ_WINDOW_MS));
	ASSERT_TRUE(dma_idle(_metadata, self, DMA_TIMEOUT_MS));
	after = read_stats(_metadata, self);
	ASSERT_EQ(before.violations + 1, after.violations);
	ASSERT_EQ(before.commands, after.commands);
}

/*
 * Another process keeps writing a bad device address into the shadow
 * registers while this one starts good transfers: whatever mix a start
 * sees is checked as a whole, so every combination either runs (and is
 * harmless) or is refused.  A check that let the registers change between
 * the audit and the device would abort the VM here.
 */
TEST_F_TIMEOUT(edu_audited, concurrent_register_writers, 120)
{
	const uint64_t bad_dst = 0x40f00, bad_count = 0x200;
	struct dma_stats before, after;
	uint64_t forwarded, refused;
	unsigned int i, starts = 0;
	uint64_t *writes;
	pid_t child;
	int status;

	fill_pages(self);
	violation_trigger(_metadata, self, self->efd);
	before = read_stats(_metadata, self);
	writes = mmap(NULL, sizeof(*writes), PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, (void *)writes);

	child = fork();
	ASSERT_LE(0, child);
	if (child == 0) {
		for (;;) {
			if (pwrite(self->dev.fd, &bad_dst, 8,
				   self->bar0.offset + EDU_REG_DMA_DST) != 8 ||
			    pwrite(self->dev.fd, &bad_count, 8,
				   self->bar0.offset + EDU_REG_DMA_COUNT) != 8)
				_exit(1);
			__atomic_fetch_add(writes, 1, __ATOMIC_RELAXED);
		}
	}

	for (i = 0; i < 20; i++) {
		ASSERT_TRUE(dma_idle(_metadata, self, DMA_TIMEOUT_MS));
		/* Every other start takes whatever the registers hold. */
		if (i % 2 == 0) {
			bar0_write(_metadata, self, EDU_REG_DMA_SRC, IOVA_SRC, 8);
			bar0_write(_metadata, self, EDU_REG_DMA_DST, EDU_DMA_BUF, 8);
			bar0_write(_metadata, self, EDU_REG_DMA_COUNT, self->good, 8);
		} else {
			usleep(10000);
		}
		bar0_write(_metadata, self, EDU_REG_DMA_CMD, EDU_DMA_START, 8);
		starts++;
	}
	kill(child, SIGKILL);
	ASSERT_EQ(child, waitpid(child, &status, 0));
	ASSERT_TRUE(WIFSIGNALED(status)) TH_LOG("the writer failed: status 0x%x", status);
	ASSERT_LT(0u, __atomic_load_n(writes, __ATOMIC_RELAXED));
	ASSERT_TRUE(dma_idle(_metadata, self, DMA_TIMEOUT_MS));

	after = read_stats(_metadata, self);
	forwarded = after.commands - before.commands;
	refused = after.violations - before.violations;
	TH_LOG("%u starts, %llu register writes by the other process: %llu forwarded, %llu refused",
	       starts,
	       (unsigned long long)__atomic_load_n(writes, __ATOMIC_RELAXED),
	       (unsigned long long)forwarded, (unsigned long long)refused);
	/* A start for a busy device is dropped, as the device would. */
	ASSERT_GE(starts, forwarded + refused);
	ASSERT_LE(1u, refused);
	check_sysfs_counters(_metadata, self);

	/* Quiet again: a good transfer runs. */
	dma_good(_metadata, self, IOVA_SRC, EDU_DMA_BUF, self->good, 0);
}

/* Smaller than 4095 only if the admin set vendor/max_dma_bytes. */
TEST_F_TIMEOUT(edu_audited, dma_over_max_dma_bytes, 60)
{
	uint64_t n = self->max_dma;

	TH_LOG("max_dma_bytes %llu", (unsigned long long)n);
	violation_trigger(_metadata, self, self->efd);
	dma_bad(_metadata, self, "max_dma_bytes + 1", IOVA_SRC, EDU_DMA_BUF,
		n + 1, 0, true);
	if (n < EDU_DMA_MAX - 100)
		dma_bad(_metadata, self, "max_dma_bytes + 100", IOVA_SRC,
			EDU_DMA_BUF, n + 100, 0, true);
	dma_good(_metadata, self, IOVA_SRC, EDU_DMA_BUF, n, 0);
}

TEST_F_TIMEOUT(edu_audited, violation_irq_mask_unmask, 60)
{
	violation_trigger(_metadata, self, self->efd);

	/* Masked: the violation is held back... */
	violation_action(_metadata, self, VFIO_IRQ_SET_ACTION_MASK);
	violate(_metadata, self, false);
	ASSERT_EQ(0, eventfd_wait(self->efd, NO_IRQ_WINDOW_MS))
		TH_LOG("violation IRQ delivered while masked");
	/* ...and delivered once on unmask, even after two violations. */
	violate(_metadata, self, false);
	violation_action(_metadata, self, VFIO_IRQ_SET_ACTION_UNMASK);
	ASSERT_LT(0, eventfd_wait(self->efd, IRQ_TIMEOUT_MS))
		TH_LOG("pending violation IRQ not delivered on unmask");
	ASSERT_EQ(0, eventfd_wait(self->efd, NO_IRQ_WINDOW_MS));

	/* Unmasking with nothing pending delivers nothing. */
	violation_action(_metadata, self, VFIO_IRQ_SET_ACTION_UNMASK);
	ASSERT_EQ(0, eventfd_wait(self->efd, NO_IRQ_WINDOW_MS));

	/* Unmasked again: delivered at once. */
	violate(_metadata, self, true);
}

TEST_F_TIMEOUT(edu_audited, violation_irq_bool_and_loopback, 60)
{
	uint8_t yes = 1, no = 0;

	violation_trigger(_metadata, self, self->efd);

	/* DATA_BOOL false: nothing happens. */
	ASSERT_EQ(0, set_irqs_raw(&self->dev, self->irq_index,
				  VFIO_IRQ_SET_DATA_BOOL | VFIO_IRQ_SET_ACTION_MASK,
				  0, 1, &no, 1));
	violate(_metadata, self, true);
	/* DATA_BOOL true masks and unmasks. */
	ASSERT_EQ(0, set_irqs_raw(&self->dev, self->irq_index,
				  VFIO_IRQ_SET_DATA_BOOL | VFIO_IRQ_SET_ACTION_MASK,
				  0, 1, &yes, 1));
	violate(_metadata, self, false);
	ASSERT_EQ(0, eventfd_wait(self->efd, NO_IRQ_WINDOW_MS));
	ASSERT_EQ(0, set_irqs_raw(&self->dev, self->irq_index,
				  VFIO_IRQ_SET_DATA_BOOL | VFIO_IRQ_SET_ACTION_UNMASK,
				  0, 1, &yes, 1));
	ASSERT_LT(0, eventfd_wait(self->efd, IRQ_TIMEOUT_MS));

	/* Loopback triggers, as vfio-pci offers for its IRQs. */
	violation_action(_metadata, self, VFIO_IRQ_SET_ACTION_TRIGGER);
	ASSERT_LT(0, eventfd_wait(self->efd, IRQ_TIMEOUT_MS));
	ASSERT_EQ(0, set_irqs_raw(&self->dev, self->irq_index,
				  VFIO_IRQ_SET_DATA_BOOL | VFIO_IRQ_SET_ACTION_TRIGGER,
				  0, 1, &no, 1));
	ASSERT_EQ(0, eventfd_wait(self->efd, NO_IRQ_WINDOW_MS));
	ASSERT_EQ(0, set_irqs_raw(&self->dev, self->irq_index,
				  VFIO_IRQ_SET_DATA_BOOL | VFIO_IRQ_SET_ACTION_TRIGGER,
				  0, 1, &yes, 1));
	ASSERT_LT(0, eventfd_wait(self->efd, IRQ_TIMEOUT_MS));
}

TEST_F_TIMEOUT(edu_audited, violation_irq_disable_and_replace, 60)
{
	int fd = -1, efd2;

	violation_trigger(_metadata, self, self->efd);

	/* TRIGGER, DATA_NONE, count 0: the eventfd is gone. */
	ASSERT_EQ(0, set_irqs_raw(&self->dev, self->irq_index,
				  VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER,
				  0, 0, NULL, 0));
	violate(_metadata, self, false);
	ASSERT_EQ(0, eventfd_wait(self->efd, NO_IRQ_WINDOW_MS));

	/* An fd of -1 drops it as well. */
	violation_trigger(_metadata, self, self->efd);
	violation_trigger(_metadata, self, fd);
	violate(_metadata, self, false);
	ASSERT_EQ(0, eventfd_wait(self->efd, NO_IRQ_WINDOW_MS));

	/* A new eventfd replaces the old one. */
	efd2 = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ASSERT_LE(0, efd2);
	violation_trigger(_metadata, self, self->efd);
	violation_trigger(_metadata, self, efd2);
	violate(_metadata, self, false);
	ASSERT_LT(0, eventfd_wait(efd2, IRQ_TIMEOUT_MS));
	ASSERT_EQ(0, eventfd_wait(self->efd, 0));
	close(efd2);
}

TEST_F(edu_audited, set_irqs_bad_input)
{
	int fds[2] = { self->efd, self->efd }, minus2 = -2, nullfd;
	uint8_t yes[2] = { 1, 1 };
	struct vfio_irq_set set;

	/* No such index. */
	ASSERT_EQ(-1, set_irqs_raw(&self->dev, EDU_NUM_IRQS,
				   VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER,
				   0, 1, fds, sizeof(int)));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ(-1, set_irqs_raw(&self->dev, 0xffffffff,
				   VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER,
				   0, 0, NULL, 0));
	ASSERT_EQ(EINVAL, errno);

	/* Vectors beyond the one there is. */
	ASSERT_EQ(-1, set_irqs_raw(&self->dev, self->irq_index,
				   VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER,
				   1, 1, fds, sizeof(int)));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ(-1, set_irqs_raw(&self->dev, self->irq_index,
				   VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER,
				   0, 2, fds, 2 * sizeof(int)));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ(-1, set_irqs_raw(&self->dev, self->irq_index,
				   VFIO_IRQ_SET_DATA_BOOL | VFIO_IRQ_SET_ACTION_MASK,
				   0, 2, yes, 2));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ(-1, set_irqs_raw(&self->dev, self->irq_index,
				   VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_UNMASK,
				   0xffffffff, 2, NULL, 0));
	ASSERT_EQ(EINVAL, errno);

	/* Two data types, two actions, none of either, unknown bits. */
	ASSERT_EQ(-1, set_irqs_raw(&self->dev, self->irq_index,
				   VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_DATA_EVENTFD |
				   VFIO_IRQ_SET_ACTION_TRIGGER, 0, 1, fds, sizeof(int)));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ(-1, set_irqs_raw(&self->dev, self->irq_index,
				   VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_MASK |
				   VFIO_IRQ_SET_ACTION_UNMASK, 0, 1, NULL, 0));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ(-1, set_irqs_raw(&self->dev, self->irq_index,
				   VFIO_IRQ_SET_ACTION_TRIGGER, 0, 1, NULL, 0));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ(-1, set_irqs_raw(&self->dev, self->irq_index,
				   VFIO_IRQ_SET_DATA_NONE, 0, 1, NULL, 0));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ(-1, set_irqs_raw(&self->dev, self->irq_index,
				   VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER |
				   (1u << 12), 0, 1, NULL, 0));
	ASSERT_EQ(EINVAL, errno);

	/* An eventfd is only for TRIGGER. */
	ASSERT_EQ(-1, set_irqs_raw(&self->dev, self->irq_index,
				   VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_MASK,
				   0, 1, fds, sizeof(int)));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ(-1, set_irqs_raw(&self->dev, self->irq_index,
				   VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_UNMASK,
				   0, 1, fds, sizeof(int)));
	ASSERT_EQ(EINVAL, errno);

	/* Bad eventfds: below -1, and an fd that is not an eventfd. */
	ASSERT_EQ(-1, set_irqs_raw(&self->dev, self->irq_index,
				   VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER,
				   0, 1, &minus2, sizeof(int)));
	ASSERT_EQ(EINVAL, errno);
	nullfd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, nullfd);
	ASSERT_EQ(-1, set_irqs_raw(&self->dev, self->irq_index,
				   VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER,
				   0, 1, &nullfd, sizeof(int)));
	ASSERT_EQ(EINVAL, errno);
	close(nullfd);

	/* argsz too small for the header, or for the data. */
	memset(&set, 0, sizeof(set));
	set.argsz = sizeof(set) - 1;
	set.flags = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER;
	set.index = self->irq_index;
	set.count = 1;
	ASSERT_EQ(-1, ioctl(self->dev.fd, VFIO_DEVICE_SET_IRQS, &set));
	ASSERT_EQ(EINVAL, errno);
	set.argsz = sizeof(set) + 1;
	set.flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER;
	ASSERT_EQ(-1, ioctl(self->dev.fd, VFIO_DEVICE_SET_IRQS, &set));
	ASSERT_EQ(EINVAL, errno);

	/* Nothing of that changed the IRQ: not set up, not masked. */
	violation_trigger(_metadata, self, self->efd);
	violate(_metadata, self, true);
}

/* Closing drops the eventfd and the mask; opening clears the shadows. */
TEST_F_TIMEOUT(edu_audited, state_reset_by_close_and_open, 60)
{
	int efd2;

	violation_trigger(_metadata, self, self->efd);
	violation_action(_metadata, self, VFIO_IRQ_SET_ACTION_MASK);
	bar0_write(_metadata, self, EDU_REG_DMA_SRC, 0x1234, 8);
	bar0_write(_metadata, self, EDU_REG_DMA_COUNT, 0x10, 8);

	vfio_test_close(&self->dev);
	audited_open(_metadata, self);

	ASSERT_EQ(0ull, bar0_read(_metadata, self, EDU_REG_DMA_SRC, 8));
	ASSERT_EQ(0ull, bar0_read(_metadata, self, EDU_REG_DMA_COUNT, 8));

	/* The old eventfd hears nothing. */
	violate(_metadata, self, false);
	ASSERT_EQ(0, eventfd_wait(self->efd, NO_IRQ_WINDOW_MS));

	/* A new one does, at once: the mask went with the close. */
	efd2 = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ASSERT_LE(0, efd2);
	violation_trigger(_metadata, self, efd2);
	violate(_metadata, self, false);
	ASSERT_LT(0, eventfd_wait(efd2, IRQ_TIMEOUT_MS));
	close(efd2);
}

/* A function reset leaves the traps and the audit in place. */
TEST_F_TIMEOUT(edu_audited, reset_keeps_the_audit, 60)
{
	struct vfio_device_ioeventfd ioe = { .argsz = sizeof(ioe) };

	ASSERT_EQ(0, ioctl(self->dev.fd, VFIO_DEVICE_RESET)) TH_LOG("%m");
	cfg_set_command(_metadata, &self->dev,
			PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);

	ioe.flags = VFIO_DEVICE_IOEVENTFD_64;
	ioe.offset = self->bar0.offset + EDU_REG_DMA_CMD;
	ioe.data = EDU_DMA_START;
	ioe.fd = self->efd;
	ASSERT_EQ(-1, ioctl(self->dev.fd, VFIO_DEVICE_IOEVENTFD, &ioe));
	ASSERT_EQ(EPERM, errno);

	violation_trigger(_metadata, self, self->efd);
	dma_bad(_metadata, self, "device range 0x40f00+0x200", IOVA_SRC,
		0x40f00, 0x200, 0, true);
	dma_good(_metadata, self, IOVA_SRC, EDU_DMA_BUF, self->good, 0);
}

/* --- sample-scratch -------------------------------------------------------- */

FIXTURE(sample_scratch) {
	struct vfio_test_device dev;
	struct vfio_region_info scratch;
	int index;
};

static void sample_open(struct __test_metadata *_metadata,
			FIXTURE_DATA(sample_scratch) *self)
{
	vfio_test_open(_metadata, &self->dev);
	self->index = find_region_by_type(_metadata, &self->dev,
					  SAMPLE_VENDOR_TYPE, SAMPLE_SUBTYPE,
					  &self->scratch);
	ASSERT_LE(0, self->index) TH_LOG("no scratch region");
}

FIXTURE_SETUP(sample_scratch)
{
	char type[NAME_MAX];

	vfio_test_device_init(&self->dev);
	if (!vfio_test_get_target(_metadata, &self->dev.target) ||
	    !self->dev.target.is_mdev)
		SKIP(return, "set MDEVPT_UUID to an instance of " SAMPLE_TYPE);
	mdev_type_name(self->dev.target.name, type, sizeof(type));
	if (strcmp(type, SAMPLE_TYPE))
		SKIP(return, "instance is of type %s, not " SAMPLE_TYPE, type);
	sample_open(_metadata, self);
}

FIXTURE_TEARDOWN(sample_scratch)
{
	vfio_test_close(&self->dev);
}

TEST_F(sample_scratch, device_info)
{
	ASSERT_FLAGS(self->dev.info.flags, VFIO_DEVICE_FLAGS_PCI);
	ASSERT_EQ((uint32_t)VFIO_PCI_NUM_REGIONS + 1, self->dev.info.num_regions);
	ASSERT_EQ((uint32_t)VFIO_PCI_NUM_IRQS, self->dev.info.num_irqs);
}

TEST_F(sample_scratch, region_info)
{
	ASSERT_EQ(VFIO_PCI_NUM_REGIONS, self->index);
	ASSERT_EQ(4096ull, self->scratch.size);
	ASSERT_EQ((uint32_t)(VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE |
			     VFIO_REGION_INFO_FLAG_MMAP | VFIO_REGION_INFO_FLAG_CAPS),
		  self->scratch.flags);
	ASSERT_EQ(REGION_OFFSET(self->index), self->scratch.offset);
}

TEST_F(sample_scratch, pread_pwrite)
{
	uint8_t out[4096], in[4096], big[256];
	uint64_t off = self->scratch.offset;
	unsigned int i;

	srand((unsigned int)(now_ms() ^ getpid()));
	for (i = 0; i < sizeof(out); i++)
		out[i] = rand();
	ASSERT_EQ(4096, pwrite(self->dev.fd, out, sizeof(out), off));
	memset(in, 0, sizeof(in));
	ASSERT_EQ(4096, pread(self->dev.fd, in, sizeof(in), off));
	ASSERT_EQ(0, memcmp(in, out, sizeof(in)));

	/* Small and odd accesses. */
	ASSERT_EQ(1, pwrite(self->dev.fd, "x", 1, off + 4095));
	ASSERT_EQ(3, pwrite(self->dev.fd, "abc", 3, off + 1001));
	ASSERT_EQ(5, pread(self->dev.fd, in, 5, off + 1000));
	ASSERT_EQ(out[1000], in[0]);
	ASSERT_EQ(0, memcmp(in + 1, "abc", 3));
	ASSERT_EQ(out[1004], in[4]);
	ASSERT_EQ(1, pread(self->dev.fd, in, 1, off + 4095));
	ASSERT_EQ('x', in[0]);

	/* Across the end: short; past it: refused. */
	ASSERT_EQ(16, pread(self->dev.fd, big, sizeof(big), off + 4080));
	ASSERT_EQ(16, pwrite(self->dev.fd, big, sizeof(big), off + 4080));
	ASSERT_EQ(-1, pread(self->dev.fd, big, 1, off + 4096));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ(-1, pwrite(self->dev.fd, big, 1, off + 4096));
	ASSERT_EQ(EINVAL, errno);
}

TEST_F(sample_scratch, mmap)
{
	uint64_t off = self->scratch.offset;
	uint8_t buf[64];
	uint8_t *map;
	void *bad;

	ASSERT_EQ(11, pwrite(self->dev.fd, "from pwrite", 11, off + 100));
	map = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, self->dev.fd, off);
	ASSERT_NE(MAP_FAILED, map) TH_LOG("mmap scratch: %m");
	ASSERT_EQ(0, memcmp(map + 100, "from pwrite", 11));

	memcpy(map + 2000, "from mmap", 9);
	ASSERT_EQ(9, pread(self->dev.fd, buf, 9, off + 2000));
	ASSERT_EQ(0, memcmp(buf, "from mmap", 9));
	ASSERT_EQ(0, munmap(map, 4096));

	/* A second mapping sees the same page. */
	map = mmap(NULL, 4096, PROT_READ, MAP_SHARED, self->dev.fd, off);
	ASSERT_NE(MAP_FAILED, map);
	ASSERT_EQ(0, memcmp(map + 2000, "from mmap", 9));
	ASSERT_EQ(0, munmap(map, 4096));

	/* Beyond the region, or private: refused. */
	bad = mmap(NULL, 8192, PROT_READ, MAP_SHARED, self->dev.fd, off);
	ASSERT_EQ(MAP_FAILED, bad);
	bad = mmap(NULL, 4096, PROT_READ, MAP_SHARED, self->dev.fd, off + 4096);
	ASSERT_EQ(MAP_FAILED, bad);
	bad = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, self->dev.fd, off);
	ASSERT_EQ(MAP_FAILED, bad);
}

/* The scratch page belongs to the instance: it outlives a close. */
TEST_F(sample_scratch, survives_reopen)
{
	uint64_t off = self->scratch.offset;
	char tag[32], in[32];

	snprintf(tag, sizeof(tag), "pid %d at %llu", getpid(),
		 (unsigned long long)now_ms());
	ASSERT_EQ((ssize_t)sizeof(tag), pwrite(self->dev.fd, tag, sizeof(tag), off + 512));
	vfio_test_close(&self->dev);
	sample_open(_metadata, self);
	ASSERT_EQ((ssize_t)sizeof(in), pread(self->dev.fd, in, sizeof(in), off + 512));
	ASSERT_EQ(0, memcmp(tag, in, sizeof(tag)));
}

/* On a fresh instance (MDEVPT_SCRATCH_FRESH=1): zeroed at create. */
TEST_F(sample_scratch, zeroed_at_create)
{
	const char *fresh = getenv("MDEVPT_SCRATCH_FRESH");
	uint8_t in[4096];
	unsigned int i;
	uint8_t *map;

	if (!fresh || strcmp(fresh, "1"))
		SKIP(return, "set MDEVPT_SCRATCH_FRESH=1 for a new instance");
	ASSERT_EQ(4096, pread(self->dev.fd, in, sizeof(in), self->scratch.offset));
	for (i = 0; i < sizeof(in) && !in[i]; i++)
		;
	ASSERT_EQ(sizeof(in), i) TH_LOG("byte %u is not 0", i);
	map = mmap(NULL, 4096, PROT_READ, MAP_SHARED, self->dev.fd,
		   self->scratch.offset);
	ASSERT_NE(MAP_FAILED, map);
	for (i = 0; i < sizeof(in) && !map[i]; i++)
		;
	ASSERT_EQ(sizeof(in), i) TH_LOG("mapped byte %u is not 0", i);
	ASSERT_EQ(0, munmap(map, 4096));
	/* Leave something behind for the next instance to not see. */
	memset(in, 0x5a, sizeof(in));
	ASSERT_EQ(4096, pwrite(self->dev.fd, in, sizeof(in), self->scratch.offset));
}

TEST_F(sample_scratch, no_custom_irqs)
{
	struct mdev_pt_irq_info info;

	ASSERT_EQ(-1, irq_info_argsz(&self->dev, VFIO_PCI_NUM_IRQS, &info,
				     sizeof(info)));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ(-1, set_irqs_raw(&self->dev, VFIO_PCI_NUM_IRQS,
				   VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER,
				   0, 0, NULL, 0));
	ASSERT_EQ(EINVAL, errno);
}

/* --- types without extras -------------------------------------------------- */

FIXTURE(passthrough) {
	struct vfio_test_device dev;
	struct vfio_region_info bar0;
};

FIXTURE_SETUP(passthrough)
{
	char type[NAME_MAX];

	vfio_test_device_init(&self->dev);
	if (!vfio_test_get_target(_metadata, &self->dev.target) ||
	    !self->dev.target.is_mdev)
		SKIP(return, "set MDEVPT_UUID to an instance without traps");
	mdev_type_name(self->dev.target.name, type, sizeof(type));
	if (strcmp(type, "mdev_pt-passthrough") &&
	    strcmp(type, "mdev_pt-edu-passthrough"))
		SKIP(return, "instance is of type %s, which has extras", type);
	vfio_test_open(_metadata, &self->dev);
	vfio_test_region_info(_metadata, &self->dev, VFIO_PCI_BAR0_REGION_INDEX,
			      &self->bar0);
	cfg_set_command(_metadata, &self->dev, PCI_COMMAND_MEMORY);
}

FIXTURE_TEARDOWN(passthrough)
{
	vfio_test_close(&self->dev);
}

TEST_F(passthrough, device_info)
{
	ASSERT_EQ((uint32_t)VFIO_PCI_NUM_IRQS, self->dev.info.num_irqs);
	ASSERT_EQ((uint32_t)VFIO_PCI_NUM_REGIONS, self->dev.info.num_regions);
}

TEST_F(passthrough, bar0_whole_mmap)
{
	void *map;

	ASSERT_EQ(0u, self->bar0.flags & VFIO_REGION_INFO_FLAG_CAPS);
	ASSERT_FLAGS(self->bar0.flags, VFIO_REGION_INFO_FLAG_MMAP);
	map = mmap(NULL, self->bar0.size, PROT_READ | PROT_WRITE, MAP_SHARED,
		   self->dev.fd, self->bar0.offset);
	ASSERT_NE(MAP_FAILED, map) TH_LOG("mmap BAR0: %m");
	ASSERT_EQ(0, munmap(map, self->bar0.size));
}

/* VFIO_DEVICE_IOEVENTFD works as with vfio-pci anywhere in BAR0. */
TEST_F(passthrough, ioeventfd)
{
	struct vfio_device_ioeventfd ioe = { .argsz = sizeof(ioe) };
	int efd;

	efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ASSERT_LE(0, efd);
	ioe.flags = VFIO_DEVICE_IOEVENTFD_32;
	ioe.offset = self->bar0.offset + page_size();
	ioe.data = 0;
	ioe.fd = efd;
	ASSERT_EQ(0, ioctl(self->dev.fd, VFIO_DEVICE_IOEVENTFD, &ioe))
		TH_LOG("ioeventfd: %m");
	ioe.fd = -1;
	ASSERT_EQ(0, ioctl(self->dev.fd, VFIO_DEVICE_IOEVENTFD, &ioe))
		TH_LOG("ioeventfd removal: %m");
	close(efd);
}

TEST_F(passthrough, no_custom_irqs)
{
	struct mdev_pt_irq_info info;

	ASSERT_EQ(-1, irq_info_argsz(&self->dev, VFIO_PCI_NUM_IRQS, &info,
				     sizeof(info)));
	ASSERT_EQ(EINVAL, errno);
}

TEST_HARNESS_MAIN
