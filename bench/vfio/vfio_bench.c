// SPDX-License-Identifier: GPL-2.0-only
/*
 * Latency, lifecycle, memory and scale benchmarks of one VFIO device path,
 * to be run side by side on plain vfio-pci and on mdev-pt instances by
 * bench/vfio/guest.sh (see bench/vfio/README.md).
 *
 * Every result is one line on stdout:
 *
 *   BENCH <metric> <value> <unit> [<samples>]
 *
 * where <value> is a median over <samples> timed iterations (nanoseconds,
 * CLOCK_MONOTONIC) or a per-unit memory delta (bytes).  The tests:
 *
 *   latency     on an open device (MDEVPT_UUID or MDEVPT_BDF, as for the
 *               selftests): config read, BAR0 pread (and, with
 *               MDEVPT_BENCH_TRAPPED=1, the edu-audited type's trapped
 *               DMA registers), mmap'd BAR0 read, MSI -> eventfd round trip
 *               (the reader on CPU 0, the interrupt on CPU 0, then on 1),
 *               device fd open/close
 *   lifecycle   MDEVPT_BENCH_BDF with MDEVPT_BENCH_TYPE unset: vfio-pci bind
 *               -> open -> close -> unbind; with MDEVPT_BENCH_TYPE set (the
 *               function bound to mdev_pt): create -> open -> close -> remove
 *   scale       MDEVPT_BENCH_VFS (space separated BDFs) bound N at a time to
 *               MDEVPT_BENCH_DRIVER, with MDEVPT_BENCH_TYPE an instance
 *               created on each; N from MDEVPT_BENCH_SCALE ("1 4 16 32").
 *               On mdev_pt also the time until the N functions' plugin
 *               autoload is done (their mdev_pt_autoload reads "done" or
 *               "off"), from the first bind on.  Each burst of binds
 *               starts MDEVPT_BENCH_SETTLE_MS (default 1000) after the
 *               previous unbinds, whose deferred work (RCU, devtmpfs,
 *               kobject releases) would otherwise land in it
 *
 * Tests whose variables are unset SKIP.  MDEVPT_BENCH_ITERS (default 2000)
 * and MDEVPT_BENCH_OPEN_ITERS (default 30) set the iteration counts.
 */
#include <sched.h>
#include <stdarg.h>

#include "harness.h"
#include "vfio_test_util.h"
#include "../../tests/lib/sysfs_util.h"
#include "edu_regs.h"

#define BENCH_MAX_VFS		256
#define BENCH_IRQ_TIMEOUT_MS	5000
/* A BAR0 page outside the edu-audited type's trapped page (0x80..0x9f). */
#define BENCH_MMAP_OFFSET	0x1000u

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static unsigned long env_ulong(const char *name, unsigned long def)
{
	const char *s = getenv(name);
	char *end;
	unsigned long v;

	if (!s || !*s)
		return def;
	errno = 0;
	v = strtoul(s, &end, 0);
	return errno || *end || !v ? def : v;
}

static const char *env_str(const char *name)
{
	const char *s = getenv(name);

	return s && *s ? s : NULL;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static uint64_t median(uint64_t *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_u64);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* The harness runs each test in a child that leaves with _exit(). */
static void emit(const char *metric, long long value, const char *unit,
		 size_t samples)
{
	if (samples)
		printf("BENCH %s %lld %s %zu\n", metric, value, unit, samples);
	else
		printf("BENCH %s %lld %s\n", metric, value, unit);
	fflush(stdout);
}

static void emit_median(const char *metric, uint64_t *v, size_t n)
{
	emit(metric, (long long)median(v, n), "ns", n);
}

static void sysfs_writef(struct __test_metadata *_metadata, const char *val,
			 const char *fmt, ...)
{
	char path[PATH_MAX];
	va_list ap;
	int ret;

	va_start(ap, fmt);
	vsnprintf(path, sizeof(path), fmt, ap);
	va_end(ap);
	ret = sysfs_write(path, val);
	ASSERT_EQ(0, ret) TH_LOG("write '%s' to %s: %s", val, path, strerror(-ret));
}

/*
 * Slab memory in use: the sum of active objects times object size over
 * /proc/slabinfo, and /proc/meminfo's Slab (whole pages), both in bytes.
 */
struct slab_usage {
	long long objects;
	long long pages;
};

static void slab_usage(struct __test_metadata *_metadata, struct slab_usage *u)
{
	char line[512], name[128];
	long long active, total, size;
	FILE *f;

	memset(u, 0, sizeof(*u));
	f = fopen("/proc/slabinfo", "r");
	ASSERT_NE(NULL, f) TH_LOG("/proc/slabinfo: %m");
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%127s %lld %lld %lld", name, &active, &total,
			   &size) == 4 && name[0] != '#')
			u->objects += active * size;
	}
	fclose(f);

	f = fopen("/proc/meminfo", "r");
	ASSERT_NE(NULL, f);
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "Slab: %lld kB", &size) == 1)
			u->pages = size * 1024;
	}
	fclose(f);
}

static void emit_slab(const char *metric, const struct slab_usage *before,
		      const struct slab_usage *after, unsigned int n)
{
	char name[128];

	snprintf(name, sizeof(name), "%s_slab_objs", metric);
	emit(name, (after->objects - before->objects) / n, "B", n);
	snprintf(name, sizeof(name), "%s_slab_pages", metric);
	emit(name, (after->pages - before->pages) / n, "B", n);
}

/* Run on @cpu only; false if it is not there. */
static bool pin_self(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set) == 0;
}

/*
 * Route the Linux IRQ that vfio_pci_core named "vfio-msi[0](@bdf)" to @cpu
 * (the MSI's vector is allocated on some CPU at enable time: where the
 * eventfd reader runs relative to it decides the wake-up cost, under TCG
 * by far the largest part of the round trip).
 */
static bool route_msi(const char *bdf, int cpu)
{
	char line[1024], want[96], path[64], val[16];
	bool found = false;
	int irq = -1;
	FILE *f;

	snprintf(want, sizeof(want), "vfio-msi[0](%s)", bdf);
	f = fopen("/proc/interrupts", "r");
	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		found = strstr(line, want) && sscanf(line, " %d:", &irq) == 1;
	fclose(f);
	if (!found)
		return false;
	snprintf(path, sizeof(path), "/proc/irq/%d/smp_affinity_list", irq);
	snprintf(val, sizeof(val), "%d", cpu);
	return sysfs_write(path, val) == 0;
}

/* --- latency on an open device ------------------------------------------ */

FIXTURE(dev) {
	struct vfio_test_device dev;
	struct vfio_region_info bar0;
	unsigned long iters;
	uint64_t *samples;
};

FIXTURE_SETUP(dev)
{
	vfio_test_device_init(&self->dev);
	if (!vfio_test_get_target(_metadata, &self->dev.target))
		SKIP(return, "set MDEVPT_UUID or MDEVPT_BDF");
	vfio_test_open(_metadata, &self->dev);
	vfio_test_region_info(_metadata, &self->dev,
			      VFIO_PCI_BAR0_REGION_INDEX, &self->bar0);
	ASSERT_EQ(EDU_VENDOR_ID, cfg_read(_metadata, &self->dev,
					  PCI_VENDOR_ID, 2))
		TH_LOG("the latency benchmark drives an edu device");
	self->iters = env_ulong("MDEVPT_BENCH_ITERS", 2000);
	self->samples = calloc(self->iters, sizeof(*self->samples));
	ASSERT_NE(NULL, self->samples);
}

FIXTURE_TEARDOWN(dev)
{
	free(self->samples);
	vfio_test_close(&self->dev);
}

static void bar0_write(struct __test_metadata *_metadata,
		       FIXTURE_DATA(dev) *self, unsigned int reg, uint32_t val)
{
	ASSERT_EQ(4, pwrite(self->dev.fd, &val, 4, self->bar0.offset + reg))
		TH_LOG("BAR0 write at 0x%x: %m", reg);
}

/* Median of @iters 4-byte preads at @off of the device fd. */
static void bench_pread(struct __test_metadata *_metadata,
			FIXTURE_DATA(dev) *self, const char *metric,
			uint64_t off)
{
	unsigned long i;
	uint32_t val;
	uint64_t t0;

	for (i = 0; i < self->iters; i++) {
		t0 = now_ns();
		if (pread(self->dev.fd, &val, 4, off) != 4)
			break;
		self->samples[i] = now_ns() - t0;
	}
	ASSERT_EQ(self->iters, i) TH_LOG("%s: pread at 0x%llx: %m", metric,
					 (unsigned long long)off);
	emit_median(metric, self->samples, self->iters);
}

TEST_F_TIMEOUT(dev, latency, 1800)
{
	volatile uint32_t *map;
	unsigned long i;
	uint32_t val;
	uint64_t t0;
	void *addr;
	int efd, cpu;

	ASSERT_TRUE(pin_self(0)) TH_LOG("sched_setaffinity: %m");
	bench_pread(_metadata, self, "config_read",
		    self->dev.config.offset + PCI_VENDOR_ID);

	bench_pread(_metadata, self, "bar0_pread",
		    self->bar0.offset + EDU_REG_ID);
	if (env_ulong("MDEVPT_BENCH_TRAPPED", 0)) {
		/* Served from the plugin's shadow: no device access. */
		bench_pread(_metadata, self, "bar0_pread_trap_shadow",
			    self->bar0.offset + EDU_REG_DMA_SRC);
		/* Checked by the plugin, then read from the device. */
		bench_pread(_metadata, self, "bar0_pread_trap_dev",
			    self->bar0.offset + EDU_REG_DMA_CMD);
	}

	addr = mmap(NULL, getpagesize(), PROT_READ, MAP_SHARED, self->dev.fd,
		    self->bar0.offset + BENCH_MMAP_OFFSET);
	if (addr == MAP_FAILED) {
		TH_LOG("mmap of BAR0+0x%x: %m", BENCH_MMAP_OFFSET);
		emit("bar0_mmap_read", -1, "ns", 0);
	} else {
		map = addr;
		val = *map;	/* the first access faults the page in */
		for (i = 0; i < self->iters; i++) {
			t0 = now_ns();
			val = *map;
			self->samples[i] = now_ns() - t0;
		}
		(void)val;
		emit_median("bar0_mmap_read", self->samples, self->iters);
		munmap(addr, getpagesize());
	}

	/* MSI: raise (pwrite 0x60) -> eventfd read, then acknowledge. */
	efd = eventfd(0, EFD_CLOEXEC);
	ASSERT_LE(0, efd);
	cfg_set_command(_metadata, &self->dev, PCI_COMMAND_MASTER);
	pread(self->dev.fd, &val, 4, self->bar0.offset + EDU_REG_IRQ_STATUS);
	bar0_write(_metadata, self, EDU_REG_IRQ_ACK, val);
	ASSERT_EQ(0, vfio_test_set_irqs(&self->dev, VFIO_PCI_MSI_IRQ_INDEX,
					VFIO_IRQ_SET_ACTION_TRIGGER, 0, 1, &efd))
		TH_LOG("enable MSI: %m");
	/* The reader on CPU 0; the interrupt on CPU 0, then on CPU 1. */
	for (cpu = 0; cpu < 2; cpu++) {
		if (!route_msi(self->dev.target.pci_bdf, cpu)) {
			TH_LOG("cannot route the MSI of %s to CPU %d",
			       self->dev.target.pci_bdf, cpu);
			continue;
		}
		for (i = 0; i < self->iters; i++) {
			t0 = now_ns();
			bar0_write(_metadata, self, EDU_REG_IRQ_RAISE, 1);
			ASSERT_LT(0, eventfd_wait(efd, BENCH_IRQ_TIMEOUT_MS))
				TH_LOG("no MSI within %d ms",
				       BENCH_IRQ_TIMEOUT_MS);
			self->samples[i] = now_ns() - t0;
			bar0_write(_metadata, self, EDU_REG_IRQ_ACK, 1);
		}
		emit_median(cpu ? "msi_roundtrip_xcpu" : "msi_roundtrip",
			    self->samples, self->iters);
	}
	ASSERT_EQ(0, vfio_test_set_irqs(&self->dev, VFIO_PCI_MSI_IRQ_INDEX,
					VFIO_IRQ_SET_ACTION_TRIGGER, 0, 0, NULL));
	close(efd);
}

/* The device fd's open and release with group and container kept. */
TEST_F_TIMEOUT(dev, open_close, 1800)
{
	unsigned long n = env_ulong("MDEVPT_BENCH_OPEN_ITERS", 30), i;
	uint64_t *open_ns, *close_ns, t0;
	int fd;

	open_ns = calloc(n, sizeof(*open_ns));
	close_ns = calloc(n, sizeof(*close_ns));
	ASSERT_NE(NULL, open_ns);
	ASSERT_NE(NULL, close_ns);
	/* Only a last close releases the device. */
	close(self->dev.fd);
	self->dev.fd = -1;
	for (i = 0; i < n; i++) {
		t0 = now_ns();
		fd = ioctl(self->dev.group, VFIO_GROUP_GET_DEVICE_FD,
			   self->dev.target.name);
		open_ns[i] = now_ns() - t0;
		ASSERT_LE(0, fd) TH_LOG("open %s: %m", self->dev.target.name);
		t0 = now_ns();
		close(fd);
		close_ns[i] = now_ns() - t0;
	}
	emit_median("device_open", open_ns, n);
	emit_median("device_close", close_ns, n);
	free(open_ns);
	free(close_ns);
}

/* --- lifecycle and scale: no device open beforehand ---------------------- */

FIXTURE(sys) {
	int unused;
};

FIXTURE_SETUP(sys)
{
}

FIXTURE_TEARDOWN(sys)
{
}

/* Open @name in IOMMU group @group from scratch, as QEMU would, and close. */
static void open_close_once(struct __test_metadata *_metadata,
			    const char *sysfs, const char *name,
			    uint64_t *open_ns, uint64_t *close_ns)
{
	struct vfio_test_device dev;
	uint64_t t0;

	vfio_test_device_init(&dev);
	dev.target.is_mdev = false;
	str_set(_metadata, dev.target.name, sizeof(dev.target.name), name);
	t0 = now_ns();
	dev.target.group_id = sysfs_iommu_group(sysfs);
	ASSERT_LE(0, dev.target.group_id) TH_LOG("%s has no IOMMU group", sysfs);
	vfio_test_open(_metadata, &dev);
	*open_ns = now_ns() - t0;
	t0 = now_ns();
	vfio_test_close(&dev);
	*close_ns = now_ns() - t0;
}

TEST_F_TIMEOUT(sys, lifecycle, 1800)
{
	unsigned long n = env_ulong("MDEVPT_BENCH_OPEN_ITERS", 30), i;
	const char *bdf = env_str("MDEVPT_BENCH_BDF");
	const char *type = env_str("MDEVPT_BENCH_TYPE");
	uint64_t *up, *open_ns, *close_ns, *down, *total, t0;
	char sysfs[PATH_MAX], uuid[64];

	if (!bdf)
		SKIP(return, "set MDEVPT_BENCH_BDF");
	up = calloc(n, sizeof(*up));
	open_ns = calloc(n, sizeof(*open_ns));
	close_ns = calloc(n, sizeof(*close_ns));
	down = calloc(n, sizeof(*down));
	total = calloc(n, sizeof(*total));
	ASSERT_TRUE(up && open_ns && close_ns && down && total);

	for (i = 0; i < n; i++) {
		if (type) {
			ASSERT_EQ(0, new_uuid(uuid, sizeof(uuid)));
			t0 = now_ns();
			sysfs_writef(_metadata, uuid,
				     PCI_SYSFS_PATH "/%s/mdev_supported_types/%s/create",
				     bdf, type);
			up[i] = now_ns() - t0;
			snprintf(sysfs, sizeof(sysfs), MDEV_SYSFS_PATH "/%s",
				 uuid);
			open_close_once(_metadata, sysfs, uuid, &open_ns[i],
					&close_ns[i]);
			t0 = now_ns();
			sysfs_writef(_metadata, "1", "%s/remove", sysfs);
			down[i] = now_ns() - t0;
		} else {
			t0 = now_ns();
			sysfs_writef(_metadata, bdf,
				     "/sys/bus/pci/drivers/vfio-pci/bind");
			up[i] = now_ns() - t0;
			snprintf(sysfs, sizeof(sysfs), PCI_SYSFS_PATH "/%s",
				 bdf);
			open_close_once(_metadata, sysfs, bdf, &open_ns[i],
					&close_ns[i]);
			t0 = now_ns();
			sysfs_writef(_metadata, bdf,
				     "/sys/bus/pci/drivers/vfio-pci/unbind");
			down[i] = now_ns() - t0;
		}
		total[i] = up[i] + open_ns[i] + close_ns[i] + down[i];
	}
	emit_median("lifecycle_up", up, n);
	emit_median("lifecycle_open", open_ns, n);
	emit_median("lifecycle_close", close_ns, n);
	emit_median("lifecycle_down", down, n);
	emit_median("lifecycle_total", total, n);
	free(up);
	free(open_ns);
	free(close_ns);
	free(down);
	free(total);
}

static unsigned int split_words(char *s, char **words, unsigned int max)
{
	unsigned int n = 0;
	char *save, *w;

	for (w = strtok_r(s, " \t\n", &save); w && n < max;
	     w = strtok_r(NULL, " \t\n", &save))
		words[n++] = w;
	return n;
}

#define BENCH_AUTOLOAD_TIMEOUT_MS	120000

/*
 * Wait until the plugin request of @bdf, bound to mdev_pt, is over and
 * what it loaded attached (see Documentation/ABI/testing/sysfs-driver-mdev_pt).
 */
static void wait_autoload(struct __test_metadata *_metadata, const char *bdf)
{
	int ret = pt_autoload_wait(bdf, BENCH_AUTOLOAD_TIMEOUT_MS);

	/* An mdev_pt that loads its plugins inside the bind has no such file. */
	if (ret == -ENOENT)
		return;
	ASSERT_EQ(0, ret) TH_LOG("%s: autoload: %s", bdf, strerror(-ret));
}

TEST_F_TIMEOUT(sys, scale, 3600)
{
	const char *driver = env_str("MDEVPT_BENCH_DRIVER");
	const char *type = env_str("MDEVPT_BENCH_TYPE");
	const char *vfs_env = env_str("MDEVPT_BENCH_VFS");
	char *vfs[BENCH_MAX_VFS], *sizes[16], metric[96];
	char vfs_buf[BENCH_MAX_VFS * 16], sizes_buf[128];
	static char uuids[BENCH_MAX_VFS][64];
	unsigned int nvfs, nsizes, s, n, i;
	struct slab_usage before, after;
	uint64_t t0, t_bind, t_ready = 0, t_create;
	bool pt = driver && !strcmp(driver, "mdev_pt");
	unsigned long settle_ms = env_ulong("MDEVPT_BENCH_SETTLE_MS", 1000);

	if (!driver || !vfs_env)
		SKIP(return, "set MDEVPT_BENCH_DRIVER and MDEVPT_BENCH_VFS");
	snprintf(vfs_buf, sizeof(vfs_buf), "%s", vfs_env);
	snprintf(sizes_buf, sizeof(sizes_buf), "%s",
		 env_str("MDEVPT_BENCH_SCALE") ?: "1 4 16 32");
	nvfs = split_words(vfs_buf, vfs, BENCH_MAX_VFS);
	nsizes = split_words(sizes_buf, sizes, 16);

	for (s = 0; s < nsizes; s++) {
		n = strtoul(sizes[s], NULL, 10);
		if (!n || n > nvfs) {
			TH_LOG("N=%u: only %u VFs", n, nvfs);
			continue;
		}
		for (i = 0; i < n; i++)
			sysfs_writef(_metadata, driver, PCI_SYSFS_PATH
				     "/%s/driver_override", vfs[i]);

		usleep(settle_ms * 1000);
		slab_usage(_metadata, &before);
		t0 = now_ns();
		for (i = 0; i < n; i++)
			sysfs_writef(_metadata, vfs[i],
				     "/sys/bus/pci/drivers/%s/bind", driver);
		t_bind = now_ns() - t0;
		if (pt) {
			for (i = 0; i < n; i++)
				wait_autoload(_metadata, vfs[i]);
			t_ready = now_ns() - t0;
		}
		slab_usage(_metadata, &after);
		snprintf(metric, sizeof(metric), "scale_bind_n%u", n);
		emit(metric, t_bind / n, "ns", n);
		emit_slab(metric, &before, &after, n);
		if (pt) {
			snprintf(metric, sizeof(metric), "scale_ready_n%u", n);
			emit(metric, t_ready / n, "ns", n);
		}

		if (type) {
			for (i = 0; i < n; i++)
				ASSERT_EQ(0, new_uuid(uuids[i], sizeof(uuids[i])));
			slab_usage(_metadata, &before);
			t0 = now_ns();
			for (i = 0; i < n; i++)
				sysfs_writef(_metadata, uuids[i], PCI_SYSFS_PATH
					     "/%s/mdev_supported_types/%s/create",
					     vfs[i], type);
			t_create = now_ns() - t0;
			slab_usage(_metadata, &after);
			snprintf(metric, sizeof(metric), "scale_create_n%u", n);
			emit(metric, t_create / n, "ns", n);
			emit_slab(metric, &before, &after, n);
			for (i = 0; i < n; i++)
				sysfs_writef(_metadata, "1", MDEV_SYSFS_PATH
					     "/%s/remove", uuids[i]);
		}

		t0 = now_ns();
		for (i = 0; i < n; i++)
			sysfs_writef(_metadata, vfs[i],
				     "/sys/bus/pci/drivers/%s/unbind", driver);
		snprintf(metric, sizeof(metric), "scale_unbind_n%u", n);
		emit(metric, (now_ns() - t0) / n, "ns", n);
		for (i = 0; i < n; i++)
			sysfs_writef(_metadata, "\n", PCI_SYSFS_PATH
				     "/%s/driver_override", vfs[i]);
	}
}

TEST_HARNESS_MAIN
