// SPDX-License-Identifier: GPL-2.0-only
/*
 * mdev_pt_fuzz: a seeded, bounded fuzzer for one open mdev-pt instance.
 *
 * It opens the instance named by MDEVPT_UUID (as QEMU does: TYPE1v2
 * container, group, VFIO_GROUP_GET_DEVICE_FD) and runs MDEVPT_FUZZ_OPS
 * (default 5000) random but structured operations on it:
 *
 *  - every VFIO device ioctl: GET_INFO, GET_REGION_INFO and GET_IRQ_INFO
 *    with random index and argsz (capability chains are walked and checked,
 *    including the mdev-pt IRQ capability of <linux/mdev_pt.h>), SET_IRQS
 *    with random flags, index, start, count and data (eventfds, -1, bad
 *    fds, bools), RESET, IOEVENTFD, DEVICE_FEATURE with every feature id
 *    and random flags and argsz, PCI_HOT_RESET_INFO and PCI_HOT_RESET;
 *  - migration, when the device offers it: VFIO_DEVICE_FEATURE_MIGRATION
 *    probe, random MIG_DEVICE_STATE arcs, reads and writes of the data fd,
 *    and the v1 migration region (found by its VFIO_REGION_INFO_CAP_TYPE)
 *    through the generic region accesses;
 *  - reads, writes and mmaps of every region at random offsets and sizes;
 *  - writes of random strings to every writable sysfs attribute of the
 *    instance (except remove) and of its type.
 *
 * What it never does, because the device would then do something outside
 * this process' control rather than something the driver must refuse:
 *  - write the edu DMA command register (BAR0 0x98-0x9f): a DMA to a
 *    random address is stopped by the IOMMU, but QEMU's edu model aborts
 *    the whole VM on a device-side address outside its buffer;
 *  - write any BAR of a non-edu function (the NVMe VFs): enabling the
 *    controller makes it DMA to whatever the queue registers say;
 *  - write the config space command register, BARs, expansion ROM BAR and
 *    the PM control/status register: that would only disable the decoding
 *    the invariant checks rely on.  Everything else in config space is
 *    written, including capabilities (vfio-pci virtualizes them).
 *
 * Invariants, checked after every operation or every 128 operations:
 *  - no EFAULT (all buffers are valid) and no unexpected result for a
 *    well-formed query (GET_INFO, GET_REGION_INFO of a valid index, ...);
 *  - the device still answers: config space vendor ID, and on edu the ID
 *    register and the liveness register (it returns the inverse of what
 *    was written);
 *  - GET_INFO still reports the same regions and IRQs;
 *  - no operation takes longer than MDEVPT_FUZZ_OP_TIMEOUT seconds (30).
 * Kernel warnings are checked by the caller (tests/fuzz/fuzz.sh).
 *
 * Environment: MDEVPT_UUID (required), MDEVPT_FUZZ_SEED (default: from
 * the clock, printed at the start), MDEVPT_FUZZ_OPS, MDEVPT_FUZZ_REPLAY_UNTIL
 * (stop after that operation index, printing every operation),
 * MDEVPT_FUZZ_VERBOSE=1 (print every operation), MDEVPT_FUZZ_SECONDS (stop
 * early, at an invariant check, after that many seconds; 0: no limit).  A failure prints the
 * seed and the index of the failing operation and the command line that
 * replays it.  Exit status 0 on success, 1 on a failure, 4 if there is
 * nothing to fuzz.
 */
#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <stddef.h>
#include <signal.h>
#include <stdarg.h>
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
#include <sys/stat.h>

#include <linux/pci_regs.h>
#include <linux/vfio.h>

#include "../../include/uapi/linux/mdev_pt.h"
#include "../vfio/edu_regs.h"

/* Newer than the oldest uAPI headers the programs are built against. */
#define FEAT_MIG_DATA_SIZE		9
#define FEAT_BUS_MASTER			10
#define FEAT_MAX			16
#define MIG_STATE_PRE_COPY		6
#define MIG_STATE_PRE_COPY_P2P		7
#define MIG_PRECOPY_INFO		_IO(VFIO_TYPE, VFIO_BASE + 21)

#define offsetofend(type, member) \
	(offsetof(type, member) + sizeof(((type *)0)->member))

#define MAX_REGIONS	32
#define MAX_IRQS	32
#define MAX_ATTRS	64
#define CHECK_EVERY	128
#define NR_EFDS		4

struct region {
	bool valid;
	struct vfio_region_info info;
	uint32_t cap_type, cap_subtype;		/* from CAP_TYPE, 0 if none */
	unsigned int nr_areas;			/* sparse mmap areas */
	struct vfio_region_sparse_mmap_area areas[8];
};

static struct {
	uint64_t seed, rng, ops, op, replay_until, seconds;
	bool verbose;
	unsigned int op_timeout;
	char desc[512];
	const char *uuid;

	int container, group, fd;
	struct vfio_device_info info;
	struct region regions[MAX_REGIONS];
	unsigned int nr_regions;
	unsigned int nr_irqs;
	bool irq_ok[MAX_IRQS];			/* GET_IRQ_INFO works at open */
	uint16_t vendor;
	bool edu;
	uint32_t liveness_probe;
	bool low_power;				/* mmap'd BARs fault (SIGBUS) */

	uint32_t mig_flags;			/* 0: no v2 migration */
	int data_fd;
	int v1_region;				/* -1: none */

	int efds[NR_EFDS];
	int efd_never;				/* never signalled */
	int notefd;				/* an fd that is not an eventfd */

	char attrs[MAX_ATTRS][PATH_MAX];
	unsigned int nr_attrs;

	unsigned long nr_ok, nr_err;
} F = {
	.container = -1, .group = -1, .fd = -1, .data_fd = -1, .v1_region = -1,
};


/* --- random numbers (splitmix64) ------------------------------------------ */

static uint64_t rnd(void)
{
	uint64_t z = (F.rng += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Uniform in [0, n). */
static uint64_t below(uint64_t n)
{
	return n ? rnd() % n : 0;
}

/* True with probability 1/n. */
static bool one_in(unsigned int n)
{
	return below(n) == 0;
}

/* A size biased to the interesting ones. */
static uint32_t rnd_size(uint32_t max)
{
	static const uint32_t sizes[] = { 1, 2, 4, 8, 3, 16, 64, 4096 };

	if (one_in(8))
		return below(max + 1);
	return sizes[below(sizeof(sizes) / sizeof(sizes[0]))];
}

/* argsz around @min: exact, smaller, a little larger, or much larger. */
static uint32_t rnd_argsz(uint32_t min, uint32_t max)
{
	switch (below(6)) {
	case 0:
		return below(min);
	case 1:
		return min + below(max - min + 1);
	case 2:
		return max;
	default:
		return min;
	}
}

/* --- reporting ------------------------------------------------------------- */

static void describe(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(F.desc, sizeof(F.desc), fmt, ap);
	va_end(ap);
	if (F.verbose)
		printf("# op %" PRIu64 ": %s\n", F.op, F.desc);
}

static void __attribute__((noreturn, format(printf, 1, 2))) failure(const char *fmt, ...)
{
	va_list ap;

	printf("# FAIL at op %" PRIu64 " (%s): ", F.op, F.desc);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n# replay: MDEVPT_FUZZ_SEED=%" PRIu64
	       " MDEVPT_FUZZ_REPLAY_UNTIL=%" PRIu64 " MDEVPT_UUID=%s %s\n",
	       F.seed, F.op, F.uuid, "build/tests/mdev_pt_fuzz");
	fflush(stdout);
	exit(1);
}

/* A hung operation (SIGALRM) or a fault on a mapped region (SIGBUS). */
static void on_signal(int sig)
{
	char buf[768];
	int len;

	len = snprintf(buf, sizeof(buf),
		       "# FAIL at op %" PRIu64 " (%s): %s\n# replay: MDEVPT_FUZZ_SEED=%" PRIu64
		       " MDEVPT_FUZZ_REPLAY_UNTIL=%" PRIu64 "\n",
		       F.op, F.desc, sig == SIGALRM ? "took too long" : "SIGBUS",
		       F.seed, F.op);
	if (write(STDOUT_FILENO, buf, len) < 0)
		_exit(2);
	_exit(1);
}

/*
 * The result of an operation with valid buffers: EFAULT is always a bug;
 * anything else is the driver's business (the caller checks more where
 * the answer is known).
 */
static long result_efault(long ret, bool efault_ok)
{
	if (ret < 0 && errno == EFAULT && !efault_ok)
		failure("EFAULT with valid buffers");
	if (ret < 0)
		F.nr_err++;
	else
		F.nr_ok++;
	return ret;
}

static long result(long ret)
{
	return result_efault(ret, false);
}

/*
 * vfio-pci itself answers a config space access that crosses the end of
 * config space with EFAULT (vfio_config_do_rw()), on both kernels.
 */
static bool cfg_past_end(unsigned int index, uint64_t off, uint64_t len)
{
	return index == VFIO_PCI_CONFIG_REGION_INDEX &&
	       off + len > F.regions[index].info.size;
}

/* --- device discovery ------------------------------------------------------ */

static void walk_region_caps(struct region *r, const char *buf, uint32_t len)
{
	const struct vfio_info_cap_header *hdr;
	uint32_t off = r->info.cap_offset;
	unsigned int ttl = 16;

	while (off && ttl--) {
		if (off < sizeof(struct vfio_region_info) ||
		    off + sizeof(*hdr) > len)
			failure("region %u: cap offset %u outside %u bytes",
				r->info.index, off, len);
		hdr = (const void *)(buf + off);
		if (hdr->id == VFIO_REGION_INFO_CAP_TYPE) {
			const struct vfio_region_info_cap_type *t = (const void *)hdr;

			if (off + sizeof(*t) > len)
				failure("region %u: short CAP_TYPE", r->info.index);
			r->cap_type = t->type;
			r->cap_subtype = t->subtype;
		} else if (hdr->id == VFIO_REGION_INFO_CAP_SPARSE_MMAP) {
			const struct vfio_region_info_cap_sparse_mmap *s = (const void *)hdr;
			unsigned int i;

			if (off + sizeof(*s) + (uint64_t)s->nr_areas * sizeof(s->areas[0]) > len)
				failure("region %u: sparse cap beyond argsz", r->info.index);
			for (i = 0; i < s->nr_areas && i < 8; i++) {
				if (s->areas[i].offset + s->areas[i].size > r->info.size)
					failure("region %u: sparse area %u outside the region",
						r->info.index, i);
				r->areas[i] = s->areas[i];
			}
			r->nr_areas = i;
		}
		if (hdr->next && hdr->next <= off)
			failure("region %u: cap chain goes backwards", r->info.index);
		off = hdr->next;
	}
}

/* GET_REGION_INFO of @index with a buffer as large as it asks for. */
static int region_info(uint32_t index, struct region *r)
{
	uint32_t size = sizeof(struct vfio_region_info);
	struct vfio_region_info *info;
	int ret;

	memset(r, 0, sizeof(*r));
	for (;;) {
		info = calloc(1, size);
		if (!info)
			failure("out of memory");
		info->argsz = size;
		info->index = index;
		ret = ioctl(F.fd, VFIO_DEVICE_GET_REGION_INFO, info);
		if (ret < 0) {
			free(info);
			return -errno;
		}
		if (info->argsz <= size)
			break;
		if (info->argsz > 65536)
			failure("region %u asks for argsz %u", index, info->argsz);
		size = info->argsz;
		free(info);
	}
	r->info = *info;
	r->valid = true;
	if (info->flags & VFIO_REGION_INFO_FLAG_CAPS)
		walk_region_caps(r, (const char *)info, size);
	free(info);
	return 0;
}

static void discover(void)
{
	struct vfio_device_feature *feat;
	struct vfio_device_feature_migration *mig;
	char buf[sizeof(*feat) + sizeof(*mig)];
	unsigned int i;

	F.info.argsz = sizeof(F.info);
	if (ioctl(F.fd, VFIO_DEVICE_GET_INFO, &F.info))
		failure("GET_INFO: %m");
	if (!(F.info.flags & VFIO_DEVICE_FLAGS_PCI))
		failure("not a vfio-pci device: flags %#x", F.info.flags);
	F.nr_regions = F.info.num_regions < MAX_REGIONS ? F.info.num_regions : MAX_REGIONS;
	F.nr_irqs = F.info.num_irqs;
	for (i = 0; i < F.nr_irqs && i < MAX_IRQS; i++) {
		struct vfio_irq_info irq = { .argsz = sizeof(irq), .index = i };

		/* vfio-pci refuses ERR on conventional PCI functions. */
		F.irq_ok[i] = !ioctl(F.fd, VFIO_DEVICE_GET_IRQ_INFO, &irq);
	}
	for (i = 0; i < F.nr_regions; i++) {
		struct region *r = &F.regions[i];
		int ret = region_info(i, r);

		if (ret && ret != -EINVAL)
			failure("GET_REGION_INFO(%u): %s", i, strerror(-ret));
		if (r->valid && r->cap_type == VFIO_REGION_TYPE_MIGRATION_DEPRECATED &&
		    r->cap_subtype == VFIO_REGION_SUBTYPE_MIGRATION_DEPRECATED)
			F.v1_region = i;
		if (r->valid)
			printf("# region %u: size %#llx flags %#x type %#x/%u areas %u\n",
			       i, (unsigned long long)r->info.size, r->info.flags,
			       r->cap_type, r->cap_subtype, r->nr_areas);
	}
	if (pread(F.fd, &F.vendor, 2, F.regions[VFIO_PCI_CONFIG_REGION_INDEX].info.offset) != 2)
		failure("config read: %m");
	if (F.vendor == EDU_VENDOR_ID) {
		uint16_t dev = 0;

		if (pread(F.fd, &dev, 2, F.regions[VFIO_PCI_CONFIG_REGION_INDEX].info.offset + 2) != 2)
			failure("config read: %m");
		F.edu = dev == EDU_DEVICE_ID;
	}

	memset(buf, 0, sizeof(buf));
	feat = (void *)buf;
	mig = (void *)feat->data;
	feat->argsz = sizeof(buf);
	feat->flags = VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_MIGRATION;
	if (!ioctl(F.fd, VFIO_DEVICE_FEATURE, feat))
		F.mig_flags = mig->flags;
	else if (errno != ENOTTY)
		failure("FEATURE_MIGRATION GET: %m (ENOTTY expected without migration)");
	printf("# device %04x%s: %u regions, %u irqs, migration v2 flags %#x, v1 region %d\n",
	       F.vendor, F.edu ? " (edu)" : "", F.info.num_regions, F.nr_irqs,
	       F.mig_flags, F.v1_region);
}

/* Every writable attribute under @dir (not following links), minus remove. */
static void collect_attrs(const char *dir, int depth)
{
	char path[PATH_MAX];
	struct dirent *de;
	struct stat st;
	DIR *d;

	d = opendir(dir);
	if (!d)
		return;
	while ((de = readdir(d)) && F.nr_attrs < MAX_ATTRS) {
		if (de->d_name[0] == '.' || !strcmp(de->d_name, "remove"))
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", dir, de->d_name) >= (int)sizeof(path))
			continue;
		if (lstat(path, &st))
			continue;
		if (S_ISDIR(st.st_mode) && depth < 2)
			collect_attrs(path, depth + 1);
		else if (S_ISREG(st.st_mode) && (st.st_mode & S_IWUSR))
			snprintf(F.attrs[F.nr_attrs++], PATH_MAX, "%s", path);
	}
	closedir(d);
}

static void open_device(void)
{
	struct vfio_group_status status = { .argsz = sizeof(status) };
	char path[PATH_MAX], link[PATH_MAX];
	ssize_t len;
	int i;

	snprintf(path, sizeof(path), "/sys/bus/mdev/devices/%s/iommu_group", F.uuid);
	len = readlink(path, link, sizeof(link) - 1);
	if (len < 0)
		failure("%s: %m", path);
	link[len] = '\0';
	snprintf(path, sizeof(path), "/dev/vfio/%s", basename(link));

	F.container = open("/dev/vfio/vfio", O_RDWR);
	F.group = open(path, O_RDWR);
	if (F.container < 0 || F.group < 0)
		failure("open /dev/vfio/vfio or %s: %m", path);
	if (ioctl(F.group, VFIO_GROUP_GET_STATUS, &status) ||
	    !(status.flags & VFIO_GROUP_FLAGS_VIABLE))
		failure("group %s not viable", path);
	if (ioctl(F.group, VFIO_GROUP_SET_CONTAINER, &F.container) ||
	    ioctl(F.container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU))
		failure("container: %m");
	F.fd = ioctl(F.group, VFIO_GROUP_GET_DEVICE_FD, F.uuid);
	if (F.fd < 0)
		failure("GET_DEVICE_FD(%s): %m", F.uuid);

	for (i = 0; i < NR_EFDS; i++) {
		F.efds[i] = eventfd(0, EFD_NONBLOCK);
		if (F.efds[i] < 0)
			failure("eventfd: %m");
	}
	F.efd_never = eventfd(0, EFD_NONBLOCK);
	F.notefd = open("/dev/null", O_RDWR);
	if (F.efd_never < 0 || F.notefd < 0)
		failure("eventfd or /dev/null: %m");

	snprintf(path, sizeof(path), "/sys/bus/mdev/devices/%s", F.uuid);
	collect_attrs(path, 0);
	snprintf(path, sizeof(path), "/sys/bus/mdev/devices/%s/mdev_type", F.uuid);
	if (realpath(path, link))
		collect_attrs(link, 1);
	printf("# %u writable sysfs attributes\n", F.nr_attrs);
}

/* --- what may be written --------------------------------------------------- */

static unsigned int cfg_cap(uint8_t id)
{
	uint64_t base = F.regions[VFIO_PCI_CONFIG_REGION_INDEX].info.offset;
	uint8_t pos = 0, cid = 0;
	unsigned int ttl = 48;

	if (pread(F.fd, &pos, 1, base + PCI_CAPABILITY_LIST) != 1)
		return 0;
	while (pos >= PCI_STD_HEADER_SIZEOF && ttl--) {
		pos &= ~3;
		if (pread(F.fd, &cid, 1, base + pos) != 1)
			return 0;
		if (cid == id)
			return pos;
		if (pread(F.fd, &pos, 1, base + pos + 1) != 1)
			return 0;
	}
	return 0;
}

static bool overlaps(uint64_t off, uint64_t len, uint64_t start, uint64_t end)
{
	return off < end && off + len > start;
}

/* May [@off, @off + @len) of region @index be written? See the top. */
static bool writable(unsigned int index, uint64_t off, uint64_t len)
{
	unsigned int pm;

	if (index == VFIO_PCI_CONFIG_REGION_INDEX) {
		if (overlaps(off, len, PCI_COMMAND, PCI_COMMAND + 2) ||
		    overlaps(off, len, PCI_BASE_ADDRESS_0, PCI_CARDBUS_CIS) ||
		    overlaps(off, len, PCI_ROM_ADDRESS, PCI_ROM_ADDRESS + 4))
			return false;
		pm = cfg_cap(PCI_CAP_ID_PM);
		return !pm || !overlaps(off, len, pm + PCI_PM_CTRL, pm + PCI_PM_CTRL + 2);
	}
	if (index <= VFIO_PCI_BAR5_REGION_INDEX)
		return F.edu && index == VFIO_PCI_BAR0_REGION_INDEX &&
		       !overlaps(off, len, EDU_REG_DMA_CMD, EDU_REG_DMA_CMD + 8);
	if (index == VFIO_PCI_ROM_REGION_INDEX || index == VFIO_PCI_VGA_REGION_INDEX)
		return true;	/* read-only or absent: must be refused */
	return true;		/* vendor and migration regions */
}

/* --- operations ------------------------------------------------------------ */

static void op_get_info(void)
{
	struct vfio_device_info info;
	uint32_t argsz = rnd_argsz(offsetofend(struct vfio_device_info, num_irqs),
				   sizeof(info));
	char buf[256];
	long ret;

	memset(buf, 0xa5, sizeof(buf));
	memcpy(&info, buf, sizeof(info));
	info.argsz = argsz;
	describe("GET_INFO argsz %u", argsz);
	memcpy(buf, &info, sizeof(info));
	ret = result(ioctl(F.fd, VFIO_DEVICE_GET_INFO, buf));
	memcpy(&info, buf, sizeof(info));
	if (argsz >= offsetofend(struct vfio_device_info, num_irqs)) {
		if (ret)
			failure("GET_INFO: %m");
		if (info.num_regions != F.info.num_regions || info.num_irqs != F.info.num_irqs)
			failure("GET_INFO changed: %u regions %u irqs", info.num_regions,
				info.num_irqs);
	} else if (!ret || errno != EINVAL) {
		failure("GET_INFO with argsz %u: %ld (%m), want EINVAL", argsz, ret);
	}
}

static void op_region_info(void)
{
	uint32_t index = one_in(4) ? (uint32_t)rnd() % 64 : below(F.info.num_regions + 2);
	uint32_t argsz = rnd_argsz(sizeof(struct vfio_region_info), 1024);
	char *buf = malloc(argsz + 16);
	struct vfio_region_info *info = (void *)buf;
	long ret;

	if (!buf)
		failure("out of memory");
	memset(buf, 0x5a, argsz + 16);
	info->argsz = argsz;
	info->index = index;
	describe("GET_REGION_INFO index %u argsz %u", index, argsz);
	ret = result(ioctl(F.fd, VFIO_DEVICE_GET_REGION_INFO, buf));
	if (argsz >= offsetofend(struct vfio_region_info, offset) &&
	    index < F.nr_regions && F.regions[index].valid) {
		if (ret)
			failure("GET_REGION_INFO(%u): %m", index);
		if (info->size != F.regions[index].info.size ||
		    info->offset != F.regions[index].info.offset)
			failure("region %u changed", index);
		if ((info->flags & VFIO_REGION_INFO_FLAG_CAPS) && info->argsz <= argsz) {
			struct region r = F.regions[index];

			walk_region_caps(&r, buf, argsz);
		}
	} else if (argsz < offsetofend(struct vfio_region_info, offset) && !ret) {
		failure("GET_REGION_INFO with argsz %u succeeded", argsz);
	}
	free(buf);
}

static void op_irq_info(void)
{
	uint32_t index = one_in(4) ? (uint32_t)rnd() : below(F.nr_irqs + 2);
	uint32_t argsz = rnd_argsz(sizeof(struct vfio_irq_info), 256);
	char *buf = calloc(1, argsz + 16);
	struct mdev_pt_irq_info *info = (void *)buf;
	long ret;

	if (!buf)
		failure("out of memory");
	info->argsz = argsz;
	info->index = index;
	describe("GET_IRQ_INFO index %u argsz %u", index, argsz);
	ret = result(ioctl(F.fd, VFIO_DEVICE_GET_IRQ_INFO, buf));
	if (argsz < sizeof(struct vfio_irq_info)) {
		if (!ret)
			failure("GET_IRQ_INFO with argsz %u succeeded", argsz);
	} else if (index < MAX_IRQS && index < F.nr_irqs && !F.irq_ok[index]) {
		if (!ret)
			failure("GET_IRQ_INFO(%u) works now, failed at open", index);
	} else if (index < VFIO_PCI_NUM_IRQS) {
		if (ret)
			failure("GET_IRQ_INFO(%u): %m", index);
		if (info->flags & MDEV_PT_IRQ_INFO_FLAG_CAPS)
			failure("standard index %u has capabilities", index);
	} else if (index < F.nr_irqs) {
		if (ret)
			failure("GET_IRQ_INFO(%u): %m", index);
		if ((info->flags & MDEV_PT_IRQ_INFO_FLAG_CAPS) &&
		    argsz >= sizeof(*info) && info->argsz <= argsz) {
			const struct mdev_pt_irq_info_cap_type *cap;

			if (info->cap_offset < sizeof(*info) ||
			    info->cap_offset + sizeof(*cap) > argsz)
				failure("IRQ %u: cap offset %u", index, info->cap_offset);
			cap = (const void *)(buf + info->cap_offset);
			if (cap->header.id != MDEV_PT_IRQ_INFO_CAP_TYPE)
				failure("IRQ %u: cap id %#x", index, cap->header.id);
		}
	} else if (!ret) {
		failure("GET_IRQ_INFO of index %u (num_irqs %u) succeeded", index, F.nr_irqs);
	}
	free(buf);
}

static int rnd_fd(void)
{
	switch (below(8)) {
	case 0:
		return -1;
	case 1:
		return F.notefd;
	case 2:
		return 1000 + below(1000);	/* not open */
	default:
		return F.efds[below(NR_EFDS)];
	}
}

static void op_set_irqs(void)
{
	static const uint32_t datas[] = {
		VFIO_IRQ_SET_DATA_NONE, VFIO_IRQ_SET_DATA_BOOL, VFIO_IRQ_SET_DATA_EVENTFD,
	};
	static const uint32_t actions[] = {
		VFIO_IRQ_SET_ACTION_MASK, VFIO_IRQ_SET_ACTION_UNMASK,
		VFIO_IRQ_SET_ACTION_TRIGGER,
	};
	uint32_t flags, index, start, count, argsz, datalen = 0, i;
	struct vfio_irq_set *set;

	flags = datas[below(3)] | actions[below(3)];
	if (one_in(10))
		flags |= 1u << below(32);
	index = one_in(8) ? (uint32_t)rnd() : below(F.nr_irqs + 1);
	start = one_in(8) ? (uint32_t)rnd() : below(4);
	count = one_in(8) ? (uint32_t)rnd() : below(5);
	if (flags & VFIO_IRQ_SET_DATA_EVENTFD)
		datalen = (count < 64 ? count : 64) * sizeof(int32_t);
	else if (flags & VFIO_IRQ_SET_DATA_BOOL)
		datalen = count < 64 ? count : 64;
	argsz = sizeof(*set) + datalen;
	if (one_in(8))
		argsz = rnd_argsz(sizeof(*set), sizeof(*set) + 256);
	set = calloc(1, (argsz > sizeof(*set) + datalen ? argsz : sizeof(*set) + datalen) + 8);
	if (!set)
		failure("out of memory");
	set->argsz = argsz;
	set->flags = flags;
	set->index = index;
	set->start = start;
	set->count = count;
	for (i = 0; i < datalen; i++) {
		if (flags & VFIO_IRQ_SET_DATA_EVENTFD) {
			((int32_t *)set->data)[i / 4] = rnd_fd();
			i += 3;
		} else {
			set->data[i] = below(2);
		}
	}
	describe("SET_IRQS flags %#x index %u start %u count %u argsz %u",
		 flags, index, start, count, argsz);
	result(ioctl(F.fd, VFIO_DEVICE_SET_IRQS, set));
	free(set);
}

/* Disable every IRQ index (the state at the end of a run). */
static void irqs_off(void)
{
	struct vfio_irq_set set = {
		.argsz = sizeof(set),
		.flags = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER,
	};

	for (set.index = 0; set.index < F.nr_irqs; set.index++)
		ioctl(F.fd, VFIO_DEVICE_SET_IRQS, &set);
}

/* Memory decoding on, for the accesses after a reset. */
static void memory_on(void)
{
	uint64_t off = F.regions[VFIO_PCI_CONFIG_REGION_INDEX].info.offset + PCI_COMMAND;
	uint16_t cmd = 0;

	if (pread(F.fd, &cmd, 2, off) == 2 && !(cmd & PCI_COMMAND_MEMORY)) {
		cmd |= PCI_COMMAND_MEMORY;
		if (pwrite(F.fd, &cmd, 2, off) != 2)
			failure("enabling memory decoding: %m");
	}
}

static void op_reset(void)
{
	describe("RESET");
	result(ioctl(F.fd, VFIO_DEVICE_RESET));
	memory_on();
}

static void op_ioeventfd(void)
{
	struct vfio_device_ioeventfd ioe = { .argsz = sizeof(ioe) };
	unsigned int bar = below(VFIO_PCI_ROM_REGION_INDEX + 1);
	const struct region *r = &F.regions[bar];

	ioe.flags = 1u << below(4);
	if (one_in(8))
		ioe.flags = rnd();
	ioe.offset = r->info.offset + below(r->info.size + 16);
	ioe.data = rnd();
	ioe.fd = one_in(3) ? -1 : F.efd_never;
	if (F.edu && one_in(3)) {
		/* One that fires: the liveness register. */
		ioe.flags = VFIO_DEVICE_IOEVENTFD_32;
		ioe.offset = F.regions[0].info.offset + EDU_REG_LIVENESS;
		ioe.fd = F.efds[0];
	}
	if (one_in(10))
		ioe.argsz = below(sizeof(ioe));
	describe("IOEVENTFD argsz %u flags %#x offset %#llx data %#llx fd %d",
		 ioe.argsz, ioe.flags, (unsigned long long)ioe.offset,
		 (unsigned long long)ioe.data, ioe.fd);
	result(ioctl(F.fd, VFIO_DEVICE_IOEVENTFD, &ioe));
	if (F.edu && one_in(2)) {
		uint64_t one = 1;

		if (write(F.efds[0], &one, sizeof(one)) != sizeof(one))
			failure("eventfd write: %m");
	}
}

static void mig_data_io(void)
{
	char buf[8192];
	size_t len = rnd_size(sizeof(buf));
	ssize_t ret;

	if (F.data_fd < 0)
		return;
	if (one_in(2)) {
		describe("read %zu from data fd", len);
		ret = result(read(F.data_fd, buf, len));
	} else {
		size_t i;

		for (i = 0; i < len; i++)
			buf[i] = rnd();
		if (one_in(3) && len >= 4)	/* a plausible record tag */
			buf[0] = 1 + below(5), buf[1] = buf[2] = buf[3] = 0;
		describe("write %zu to data fd", len);
		ret = result(write(F.data_fd, buf, len));
	}
	(void)ret;
	if (one_in(4)) {
		struct { uint64_t initial, dirty; } info = { 0, 0 };

		describe("PRECOPY_INFO");
		result(ioctl(F.data_fd, MIG_PRECOPY_INFO, &info));
	}
}

static void op_feature(void)
{
	static const uint32_t dirs[] = {
		VFIO_DEVICE_FEATURE_GET, VFIO_DEVICE_FEATURE_SET,
		VFIO_DEVICE_FEATURE_PROBE | VFIO_DEVICE_FEATURE_GET,
		VFIO_DEVICE_FEATURE_PROBE | VFIO_DEVICE_FEATURE_SET,
		VFIO_DEVICE_FEATURE_PROBE,
	};
	static uint64_t ranges[2 * 4], bitmap[64];
	char buf[sizeof(struct vfio_device_feature) + 256];
	struct vfio_device_feature *feat = (void *)buf;
	uint32_t id = one_in(10) ? (uint32_t)below(0x10000) : below(FEAT_MAX);
	uint32_t argsz, i;
	long ret;

	memset(buf, 0, sizeof(buf));
	for (i = sizeof(*feat); i < sizeof(buf); i++)
		buf[i] = rnd();
	feat->flags = id | dirs[below(5)];
	if (one_in(10))
		feat->flags |= 1u << (19 + below(13));
	argsz = sizeof(*feat) + 8;
	switch (id) {
	case VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE: {
		struct vfio_device_feature_mig_state *st = (void *)feat->data;

		st->device_state = one_in(10) ? (uint32_t)rnd() : below(8);
		st->data_fd = -1;
		break;
	}
	case VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY_WITH_WAKEUP: {
		struct vfio_device_low_power_entry_with_wakeup *w = (void *)feat->data;

		w->wakeup_eventfd = rnd_fd();
		w->reserved = one_in(4) ? rnd() : 0;
		break;
	}
	case VFIO_DEVICE_FEATURE_DMA_LOGGING_START: {
		struct vfio_device_feature_dma_logging_control *c = (void *)feat->data;

		for (i = 0; i < 8; i++)
			ranges[i] = rnd() & 0xfffff000;
		c->page_size = 1ull << below(32);
		c->num_ranges = below(5);
		c->ranges = (uintptr_t)ranges;
		argsz = sizeof(*feat) + sizeof(*c);
		break;
	}
	case VFIO_DEVICE_FEATURE_DMA_LOGGING_REPORT: {
		struct vfio_device_feature_dma_logging_report *rep = (void *)feat->data;

		rep->iova = rnd() & 0xfffff000;
		rep->length = below(sizeof(bitmap) * 8) * 4096;
		rep->page_size = 4096;
		rep->bitmap = (uintptr_t)bitmap;
		argsz = sizeof(*feat) + sizeof(*rep);
		break;
	}
	}
	if (one_in(4))
		argsz = below(sizeof(buf) + 1);
	feat->argsz = argsz;
	describe("DEVICE_FEATURE id %u flags %#x argsz %u", id, feat->flags, argsz);
	ret = result(ioctl(F.fd, VFIO_DEVICE_FEATURE, feat));
	if (!ret && id == VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE &&
	    (feat->flags & (VFIO_DEVICE_FEATURE_SET | VFIO_DEVICE_FEATURE_PROBE)) ==
	    VFIO_DEVICE_FEATURE_SET) {
		struct vfio_device_feature_mig_state *st = (void *)feat->data;

		if (!F.mig_flags)
			failure("MIG_DEVICE_STATE SET succeeded without migration");
		if (st->data_fd >= 0) {
			if (F.data_fd >= 0)
				close(F.data_fd);
			F.data_fd = st->data_fd;
		}
	}
	if (!ret && id == VFIO_DEVICE_FEATURE_MIGRATION && !F.mig_flags &&
	    (feat->flags & VFIO_DEVICE_FEATURE_GET) && argsz >= sizeof(*feat) + 8)
		failure("FEATURE_MIGRATION GET succeeded, probe said ENOTTY");
	if (!ret && (feat->flags & VFIO_DEVICE_FEATURE_SET) &&
	    !(feat->flags & VFIO_DEVICE_FEATURE_PROBE)) {
		if (id == VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY ||
		    id == VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY_WITH_WAKEUP)
			F.low_power = true;
		else if (id == VFIO_DEVICE_FEATURE_LOW_POWER_EXIT)
			F.low_power = false;
	}
}

static void op_hot_reset(void)
{
	uint32_t argsz = rnd_argsz(sizeof(struct vfio_pci_hot_reset_info), 512);
	char *buf = calloc(1, argsz + 16);
	struct vfio_pci_hot_reset_info *info = (void *)buf;
	struct {
		struct vfio_pci_hot_reset reset;
		int32_t fds[4];
	} r;
	unsigned int i;

	if (!buf)
		failure("out of memory");
	info->argsz = argsz;
	info->flags = one_in(8) ? rnd() : 0;
	describe("GET_PCI_HOT_RESET_INFO argsz %u", argsz);
	result(ioctl(F.fd, VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, buf));
	free(buf);
	if (!one_in(4))
		return;

	memset(&r, 0, sizeof(r));
	r.reset.count = below(5);
	r.reset.argsz = sizeof(r.reset) + r.reset.count * sizeof(int32_t);
	if (one_in(6))
		r.reset.argsz = below(sizeof(r));
	r.reset.flags = one_in(8) ? rnd() : 0;
	for (i = 0; i < 4; i++)
		r.fds[i] = one_in(2) ? F.group : rnd_fd();
	describe("PCI_HOT_RESET argsz %u count %u", r.reset.argsz, r.reset.count);
	result(ioctl(F.fd, VFIO_DEVICE_PCI_HOT_RESET, &r));
	memory_on();
}

/* A random offset in @r: mostly inside, sometimes across or past the end. */
static uint64_t rnd_offset(const struct region *r, uint32_t len)
{
	uint64_t size = r->info.size;

	if (one_in(16))
		return size + below(4096);
	if (one_in(16) && size >= len)
		return size - len + below(len + 1);
	if (F.v1_region >= 0 && r == &F.regions[F.v1_region] && one_in(2))
		return below(32);		/* the header */
	if (size > 0x10000 && one_in(2))
		return below(0x1000);		/* the registers that matter */
	return below(size ? size : 1);
}

static void op_region_rw(void)
{
	static char buf[16384];
	unsigned int index = below(F.nr_regions + 1);
	const struct region *r = &F.regions[index < F.nr_regions ? index : 0];
	uint32_t len = rnd_size(sizeof(buf));
	uint64_t off, pos, i;
	bool write_op = one_in(2);

	if (index >= F.nr_regions) {
		/* Past the last region. */
		pos = ((uint64_t)F.nr_regions + below(8)) << 40;
		describe("pread %u at %#llx (no region)", len, (unsigned long long)pos);
		if (result(pread(F.fd, buf, len, pos)) >= 0 && len)
			failure("read past the last region succeeded");
		return;
	}
	if (!r->valid)
		return;
	off = rnd_offset(r, len);
	pos = r->info.offset + off;
	if (!write_op) {
		describe("pread region %u off %#llx len %u", index,
			 (unsigned long long)off, len);
		result_efault(pread(F.fd, buf, len, pos), cfg_past_end(index, off, len));
		return;
	}
	if (!writable(index, off, len))
		return;
	for (i = 0; i < len; i++)
		buf[i] = rnd();
	if (F.v1_region == (int)index && off == 0 && len >= 4)
		*(uint32_t *)buf = below(8);	/* device_state */
	describe("pwrite region %u off %#llx len %u", index,
		 (unsigned long long)off, len);
	result_efault(pwrite(F.fd, buf, len, pos), cfg_past_end(index, off, len));
	if (index == VFIO_PCI_CONFIG_REGION_INDEX)
		memory_on();
}

static bool in_area(const struct region *r, uint64_t off, uint64_t len)
{
	unsigned int i;

	if (!(r->info.flags & VFIO_REGION_INFO_FLAG_MMAP))
		return false;
	if (!r->nr_areas)
		return off + len <= r->info.size;
	for (i = 0; i < r->nr_areas; i++)
		if (off >= r->areas[i].offset &&
		    off + len <= r->areas[i].offset + r->areas[i].size)
			return true;
	return false;
}

static void op_mmap(void)
{
	unsigned int index = below(F.nr_regions);
	const struct region *r = &F.regions[index];
	long page = sysconf(_SC_PAGESIZE);
	uint64_t off, len, at;
	int prot = PROT_READ | (one_in(2) ? PROT_WRITE : 0);
	volatile uint32_t *p;
	void *map;

	if (!r->valid)
		return;
	off = below(r->info.size / page + 2) * page;
	if (r->nr_areas && one_in(2))
		off = r->areas[below(r->nr_areas)].offset;
	if (one_in(10))
		off += below(page);
	len = (1 + below(4)) * page;
	if (one_in(10))
		len = r->info.size + page;
	describe("mmap region %u off %#llx len %#llx prot %d", index,
		 (unsigned long long)off, (unsigned long long)len, prot);
	map = mmap(NULL, len, prot, MAP_SHARED, F.fd, r->info.offset + off);
	if (map == MAP_FAILED) {
		result(-1);
		if (in_area(r, off, len) && !(off % page) && errno != EINVAL)
			failure("mmap of an mmap area: %m");
		return;
	}
	F.nr_ok++;
	at = below(len / 4) * 4;
	if (in_area(r, off + at, 4) && !F.low_power) {
		p = (volatile uint32_t *)((char *)map + at);
		describe("mmap region %u off %#llx len %#llx prot %d: access %#llx",
			 index, (unsigned long long)off, (unsigned long long)len,
			 prot, (unsigned long long)at);
		(void)*p;
		if ((prot & PROT_WRITE) && writable(index, off + at, 4))
			*p = rnd();
	}
	if (munmap(map, len))
		failure("munmap: %m");
}

/* Random strings for sysfs: numbers, words, junk, long and empty ones. */
static size_t rnd_string(char *buf, size_t max)
{
	static const char *const words[] = {
		"0", "1", "-1", "on", "off", "auto", "4096", "0x1000", "0 1",
		"0x0 0x1000", "1048576", "18446744073709551616", "\n", " ",
		"add", "change", "remove", "4096 4096\n",
	};
	size_t len, i;

	switch (below(5)) {
	case 0:
		return snprintf(buf, max, "%s", words[below(sizeof(words) / sizeof(words[0]))]);
	case 1:
		return snprintf(buf, max, "%lld", (long long)rnd() >> below(64));
	case 2:
		return snprintf(buf, max, "%08x-%04x-4%03x-8%03x-%012llx",
				(unsigned int)rnd(), (unsigned int)below(0x10000),
				(unsigned int)below(0x1000), (unsigned int)below(0x1000),
				(unsigned long long)(rnd() & 0xffffffffffffull));
	case 3:
		len = one_in(4) ? max : below(64);
		for (i = 0; i < len; i++)
			buf[i] = rnd();
		return len;
	default:
		len = below(32);
		for (i = 0; i < len; i++)
			buf[i] = ' ' + below(95);
		return len;
	}
}

static void op_sysfs(void)
{
	char buf[8192];
	const char *path;
	size_t len;
	int fd;

	if (!F.nr_attrs)
		return;
	path = F.attrs[below(F.nr_attrs)];
	len = rnd_string(buf, one_in(8) ? sizeof(buf) : 128);
	describe("write %zu bytes to %s", len, path);
	fd = open(path, O_WRONLY);
	if (fd < 0) {
		result(fd);
		return;
	}
	result(write(fd, buf, len));
	close(fd);
}

/* --- invariants ------------------------------------------------------------- */

static void check_alive(void)
{
	uint64_t cfg = F.regions[VFIO_PCI_CONFIG_REGION_INDEX].info.offset;
	struct vfio_device_info info = { .argsz = sizeof(info) };
	uint16_t vendor = 0;
	uint32_t val;

	describe("invariants");
	/* Undo what the fuzzer may have left: low power, a migration state. */
	{
		struct vfio_device_feature feat = {
			.argsz = sizeof(feat),
			.flags = VFIO_DEVICE_FEATURE_SET | VFIO_DEVICE_FEATURE_LOW_POWER_EXIT,
		};

		ioctl(F.fd, VFIO_DEVICE_FEATURE, &feat);
		F.low_power = false;
	}
	if (F.data_fd >= 0) {
		close(F.data_fd);
		F.data_fd = -1;
	}
	if (F.mig_flags) {
		char buf[sizeof(struct vfio_device_feature) +
			 sizeof(struct vfio_device_feature_mig_state)] = { 0 };
		struct vfio_device_feature *feat = (void *)buf;
		struct vfio_device_feature_mig_state *st = (void *)feat->data;

		feat->argsz = sizeof(buf);
		feat->flags = VFIO_DEVICE_FEATURE_SET | VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE;
		st->device_state = VFIO_DEVICE_STATE_RUNNING;
		if (ioctl(F.fd, VFIO_DEVICE_FEATURE, feat)) {
			if (ioctl(F.fd, VFIO_DEVICE_RESET))
				failure("back to RUNNING and RESET both failed: %m");
		} else if (st->data_fd >= 0) {
			close(st->data_fd);
		}
	}
	if (F.v1_region >= 0) {
		uint32_t state = VFIO_DEVICE_STATE_V1_RUNNING;

		if (pwrite(F.fd, &state, 4, F.regions[F.v1_region].info.offset) != 4 &&
		    ioctl(F.fd, VFIO_DEVICE_RESET))
			failure("v1 back to RUNNING and RESET both failed: %m");
	}
	memory_on();

	if (ioctl(F.fd, VFIO_DEVICE_GET_INFO, &info))
		failure("GET_INFO: %m");
	if (info.num_regions != F.info.num_regions || info.num_irqs != F.info.num_irqs)
		failure("GET_INFO changed");
	if (pread(F.fd, &vendor, 2, cfg) != 2 || vendor != F.vendor)
		failure("config vendor ID %#x (%m), want %#x", vendor, F.vendor);
	if (!F.edu)
		return;
	if (pread(F.fd, &val, 4, F.regions[0].info.offset + EDU_REG_ID) != 4 ||
	    val != EDU_ID_VALUE)
		failure("edu ID register %#x (%m)", val);
	F.liveness_probe = rnd();
	if (pwrite(F.fd, (void *)&F.liveness_probe, 4,
		   F.regions[0].info.offset + EDU_REG_LIVENESS) != 4 ||
	    pread(F.fd, &val, 4, F.regions[0].info.offset + EDU_REG_LIVENESS) != 4 ||
	    val != ~F.liveness_probe)
		failure("edu liveness: wrote %#x read %#x (%m)", F.liveness_probe, val);
}

/*
 * MDEVPT_FUZZ_MIG_HOLD=STATE: no fuzzing; move the device to migration
 * STATE (enum vfio_device_mig_state), read a little of the data fd if there
 * is one, print "# held" and wait to be killed (tests/stress/stress.sh
 * kills it in the middle of a migration).
 */
static int mig_hold(unsigned int state)
{
	char buf[sizeof(struct vfio_device_feature) +
		 sizeof(struct vfio_device_feature_mig_state)] = { 0 };
	struct vfio_device_feature *feat = (void *)buf;
	struct vfio_device_feature_mig_state *st = (void *)feat->data;
	char data[4096];

	if (!F.mig_flags) {
		printf("# SKIP: the device does not migrate\n");
		return 4;
	}
	feat->argsz = sizeof(buf);
	feat->flags = VFIO_DEVICE_FEATURE_SET | VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE;
	st->device_state = state;
	if (ioctl(F.fd, VFIO_DEVICE_FEATURE, feat)) {
		printf("# refused: state %u: %m\n", state);
	} else if (st->data_fd >= 0 && state != VFIO_DEVICE_STATE_RESUMING) {
		if (read(st->data_fd, data, sizeof(data)) < 0)
			printf("# data fd read: %m\n");
	}
	printf("# held in state %u\n", state);
	for (;;)
		pause();
}

/* --- main ------------------------------------------------------------------- */

static uint64_t env_u64(const char *name, uint64_t def)
{
	const char *s = getenv(name);

	return s && *s ? strtoull(s, NULL, 0) : def;
}

int main(void)
{
	static void (*const ops[])(void) = {
		op_get_info, op_region_info, op_region_info, op_irq_info,
		op_irq_info, op_set_irqs, op_set_irqs, op_set_irqs, op_reset,
		op_ioeventfd, op_feature, op_feature, op_feature, op_hot_reset,
		op_region_rw, op_region_rw, op_region_rw, op_region_rw,
		op_region_rw, op_mmap, op_mmap, op_sysfs, op_sysfs,
	};
	struct timespec ts;
	time_t start;

	setvbuf(stdout, NULL, _IOLBF, 0);
	F.uuid = getenv("MDEVPT_UUID");
	if (!F.uuid || !*F.uuid) {
		printf("# SKIP: set MDEVPT_UUID to an mdev-pt instance\n");
		return 4;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	F.seed = env_u64("MDEVPT_FUZZ_SEED", (uint64_t)ts.tv_sec * 1000003 + ts.tv_nsec);
	F.ops = env_u64("MDEVPT_FUZZ_OPS", 5000);
	F.replay_until = env_u64("MDEVPT_FUZZ_REPLAY_UNTIL", UINT64_MAX);
	F.verbose = env_u64("MDEVPT_FUZZ_VERBOSE", 0) || F.replay_until != UINT64_MAX;
	F.op_timeout = env_u64("MDEVPT_FUZZ_OP_TIMEOUT", 30);
	F.seconds = env_u64("MDEVPT_FUZZ_SECONDS", 0);
	F.rng = F.seed;
	printf("# mdev_pt_fuzz: MDEVPT_FUZZ_SEED=%" PRIu64 " MDEVPT_FUZZ_OPS=%" PRIu64
	       " on %s\n", F.seed, F.ops, F.uuid);

	signal(SIGALRM, on_signal);
	signal(SIGBUS, on_signal);
	signal(SIGPIPE, SIG_IGN);
	describe("open");
	open_device();
	discover();
	if (getenv("MDEVPT_FUZZ_MIG_HOLD"))
		return mig_hold(env_u64("MDEVPT_FUZZ_MIG_HOLD", 0));
	check_alive();

	start = time(NULL);
	for (F.op = 0; F.op < F.ops && F.op <= F.replay_until; F.op++) {
		alarm(F.op_timeout);
		ops[below(sizeof(ops) / sizeof(ops[0]))]();
		if (F.data_fd >= 0 && one_in(2))
			mig_data_io();
		if ((F.op + 1) % CHECK_EVERY == 0) {
			check_alive();
			if (F.seconds && time(NULL) - start >= (time_t)F.seconds)
				break;
		}
	}
	alarm(F.op_timeout);
	check_alive();
	irqs_off();
	describe("close");
	if (close(F.fd))
		failure("close: %m");
	close(F.group);
	close(F.container);
	alarm(0);
	printf("# %" PRIu64 " operations in %ld s: %lu succeeded, %lu refused\n",
	       F.op, (long)(time(NULL) - start), F.nr_ok, F.nr_err);
	return 0;
}
