// SPDX-License-Identifier: GPL-2.0-only
/*
 * Device DMA dirty tracking of mdev-pt's migratable types, through
 * VFIO_DEVICE_FEATURE_DMA_LOGGING_START, _STOP and _REPORT on an instance
 * opened through its IOMMU group and a type1 container, with a user buffer
 * mapped at BUF_IOVA.  Fixtures, picked with the harness' "-f FIXTURE":
 *
 *   mock         mdev_pt-mock-migratable and mdev_pt-mock-no-p2p (at most
 *                two logged ranges) instances this program makes on the
 *                function MDEVPT_DIRTY_MOCK_VF (a BDF bound to mdev_pt);
 *                the device's writes are named through vendor/dirty_mark,
 *                so every report must be exact: the flow, every refusal
 *                with its errno, the merging of ranges, stopping on close,
 *                reset and removal, removal while reports run;
 *   edu          mdev_pt-edu-migratable instances made on the edu
 *                MDEVPT_DIRTY_EDU: real DMA into the buffer; no written
 *                page may be missing from the reports (MDEVPT_DIRTY_DMAS
 *                random transfers, default 200), pages reported but not
 *                written are counted; a transfer in flight at a report is
 *                in the next one;
 *   unsupported  a kernel whose vfio core cannot report dirty pages (6.8
 *                and later without CONFIG_IOMMUFD_DRIVER): a mock
 *                instance on MDEVPT_DIRTY_MOCK_VF (and edu-migratable on
 *                MDEVPT_DIRTY_EDU) offers no dirty tracking at all;
 *   gone         a mock instance on MDEVPT_GONE_VF, logging, whose PF
 *                MDEVPT_GONE_PF is unbound from its driver: every dirty
 *                feature fails with ENOTCONN (tests/migration/dirty.sh).
 *
 * MDEVPT_DIRTY_SEED fixes the random seed (printed by each test using it).
 * The kernel log's reason for each refusal is checked by
 * tests/migration/dirty.sh.
 */

#include "harness.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/wait.h>

#include "../migration/mig_util.h"
#include "edu_regs.h"

#define PAGE			UINT64_C(4096)
/* Below edu's 28-bit DMA mask. */
#define BUF_IOVA		UINT64_C(0x1000000)
#define BUF_LEN			(UINT64_C(4) << 20)
#define BUF_PAGES		(BUF_LEN / PAGE)
/* One page outside the logged ranges: the edu DMA source pattern. */
#define SRC_IOVA		UINT64_C(0x800000)

#define DMA_TIMEOUT_MS		10000
#define REQ_TIMEOUT_MS		20000
#define REMOVE_TIMEOUT_S	30
/* vfio core refuses more ranges itself (PAGE_SIZE / 16 on x86). */
#define CORE_MAX_RANGES		256u
/* What mdev-pt logs at most (MDEV_PT_DIRTY_MAX_RANGES). */
#define PT_MAX_RANGES		32u
/* The most pages a struct mdev_pt_dirty_bitmap logs. */
#define BITMAP_MAX_PAGES	(UINT64_C(1) << 28)

#define DBG_PATH		"/sys/kernel/debug/mdev_pt"

typedef struct vfio_device_feature_dma_logging_range drange;

/* --- the three features ------------------------------------------------------ */

/* START over @n @ranges at @page_size: 0 or -errno; *@page_size is updated. */
static int log_start(int fd, uint64_t *page_size, const drange *ranges,
		     uint32_t n)
{
	struct vfio_device_feature_dma_logging_control ctl = {
		.page_size = *page_size,
		.num_ranges = n,
		.ranges = (uintptr_t)ranges,
	};
	int ret;

	ret = vfio_feature(fd, VFIO_DEVICE_FEATURE_SET |
			   VFIO_DEVICE_FEATURE_DMA_LOGGING_START,
			   &ctl, sizeof(ctl));
	if (!ret)
		*page_size = ctl.page_size;
	return ret;
}

static int log_start1(int fd, uint64_t page_size, uint64_t iova, uint64_t len)
{
	drange r = { .iova = iova, .length = len };

	return log_start(fd, &page_size, &r, 1);
}

static int log_stop(int fd)
{
	return vfio_feature(fd, VFIO_DEVICE_FEATURE_SET |
			    VFIO_DEVICE_FEATURE_DMA_LOGGING_STOP, NULL, 0);
}

/* REPORT into @bitmap, which is zeroed first: 0 or -errno. */
static int log_report(int fd, uint64_t iova, uint64_t len, uint64_t page_size,
		      uint64_t *bitmap)
{
	struct vfio_device_feature_dma_logging_report rep = {
		.iova = iova,
		.length = len,
		.page_size = page_size,
		.bitmap = (uintptr_t)bitmap,
	};

	memset(bitmap, 0, ((len / page_size + 63) / 64) * 8);
	return vfio_feature(fd, VFIO_DEVICE_FEATURE_GET |
			    VFIO_DEVICE_FEATURE_DMA_LOGGING_REPORT,
			    &rep, sizeof(rep));
}

/* PROBE of @feature with @dir (SET or GET): 0 or -errno. */
static int log_probe(int fd, uint32_t feature, uint32_t dir)
{
	return vfio_feature(fd, VFIO_DEVICE_FEATURE_PROBE | dir | feature,
			    NULL, 0);
}

static bool test_bit64(const uint64_t *bm, uint64_t i)
{
	return bm[i / 64] >> (i % 64) & 1;
}

static void set_bit64(uint64_t *bm, uint64_t i)
{
	bm[i / 64] |= 1ull << (i % 64);
}

static uint64_t weight64(const uint64_t *bm, uint64_t nbits)
{
	uint64_t i, n = 0;

	for (i = 0; i < nbits; i++)
		n += test_bit64(bm, i);
	return n;
}

/* Bitmap words for @len bytes of @page_size pages. */
static size_t bm_words(uint64_t len, uint64_t page_size)
{
	return (len / page_size + 63) / 64;
}

/* --- xorshift, seeded from MDEVPT_DIRTY_SEED or the clock ------------------- */

static uint64_t rng_state;

static uint64_t rng_seed(void)
{
	const char *s = getenv("MDEVPT_DIRTY_SEED");

	rng_state = s && *s ? strtoull(s, NULL, 0) :
		    (now_ms() ^ ((uint64_t)getpid() << 32));
	if (!rng_state)
		rng_state = 1;
	return rng_state;
}

static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* --- an instance with the buffer mapped ------------------------------------- */

struct dt {
	char uuid[64];
	char bdf[64];
	struct vfio_test_device dev;
	bool open;
	pid_t pid;
	uint8_t *buf;
	uint8_t *src;
};

static void dt_init(struct dt *d)
{
	memset(d, 0, sizeof(*d));
	vfio_test_device_init(&d->dev);
}

static void dt_map(struct __test_metadata *_metadata, struct dt *d,
		   void *vaddr, uint64_t iova, uint64_t len)
{
	struct vfio_iommu_type1_dma_map map = {
		.argsz = sizeof(map),
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		.vaddr = (uintptr_t)vaddr,
		.iova = iova,
		.size = len,
	};

	ASSERT_EQ(0, ioctl(d->dev.container, VFIO_IOMMU_MAP_DMA, &map))
		TH_LOG("MAP_DMA 0x%" PRIx64 "+0x%" PRIx64 ": %m", iova, len);
}

/* Open the instance and map the buffer (zeroed) and the source page. */
static void dt_open(struct __test_metadata *_metadata, struct dt *d)
{
	mig_open(_metadata, &d->dev, d->uuid);
	d->open = true;
	d->pid = getpid();
	if (!d->buf) {
		d->buf = mmap(NULL, BUF_LEN, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		ASSERT_NE(MAP_FAILED, d->buf);
		d->src = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		ASSERT_NE(MAP_FAILED, d->src);
	}
	memset(d->buf, 0, BUF_LEN);
	dt_map(_metadata, d, d->buf, BUF_IOVA, BUF_LEN);
	dt_map(_metadata, d, d->src, SRC_IOVA, PAGE);
}

static void dt_close(struct dt *d)
{
	if (d->open)
		vfio_test_close(&d->dev);
	d->open = false;
}

/* A new instance of @type on @bdf, opened. */
static void dt_create(struct __test_metadata *_metadata, struct dt *d,
		      const char *bdf, const char *type)
{
	int ret;

	snprintf(d->bdf, sizeof(d->bdf), "%s", bdf);
	ASSERT_EQ(0, new_uuid(d->uuid, sizeof(d->uuid)));
	ret = mdev_create(bdf, type, d->uuid);
	if (ret)
		d->uuid[0] = '\0';
	ASSERT_EQ(0, ret) TH_LOG("create %s on %s: %s", type, bdf,
				 strerror(-ret));
	dt_open(_metadata, d);
}

/*
 * The fixtures' teardown, meant for the harness' parent process (an
 * ASSERT's longjmp in the test's process skips a teardown there): the
 * test's process has exited, which closed the device; only the instance
 * is left.  But after that longjmp the 6.12 harness' wrapper may take the
 * parent's path in the test's process itself (its "child" variable is not
 * volatile): then the device is still open here, and the removal would
 * wait for this very process to close it.
 */
static void dt_remove(struct dt *d)
{
	if (d->open && d->pid == getpid())
		dt_close(d);
	if (d->uuid[0])
		mdev_remove(d->uuid);
	d->uuid[0] = '\0';
}

static void dt_destroy(struct dt *d)
{
	dt_close(d);
	if (d->uuid[0])
		mdev_remove(d->uuid);
	d->uuid[0] = '\0';
	if (d->buf)
		munmap(d->buf, BUF_LEN);
	if (d->src)
		munmap(d->src, PAGE);
	d->buf = d->src = NULL;
}

/* vendor/dirty_mark: 0 or -errno. */
static int mark(const struct dt *d, uint64_t iova, uint64_t len)
{
	char val[64];

	snprintf(val, sizeof(val), "0x%" PRIx64 " %" PRIu64, iova, len);
	return mdev_attr_write(d->uuid, "vendor/dirty_mark", val);
}

/* --- debugfs migration/dirty ------------------------------------------------ */

/* The file's text into @buf; false if there is no such file. */
static bool dbg_read(const struct dt *d, char *buf, size_t len)
{
	char path[PATH_MAX];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s/%s/migration/dirty", DBG_PATH,
		 d->bdf, d->uuid);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return false;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return false;
	buf[n] = '\0';
	return true;
}

/* The value of the "@key value" line (the rest of the line in @val). */
static bool dbg_line(const char *text, const char *key, char *val, size_t len)
{
	size_t k = strlen(key);
	const char *p = text;

	while (p && *p) {
		if (!strncmp(p, key, k) && p[k] == ' ') {
			snprintf(val, len, "%.*s", (int)strcspn(p + k + 1, "\n"),
				 p + k + 1);
			return true;
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return false;
}

static void dbg_expect(struct __test_metadata *_metadata, const struct dt *d,
		       const char *key, const char *want)
{
	char text[8192], val[128];

	ASSERT_TRUE(dbg_read(d, text, sizeof(text)))
		TH_LOG("no debugfs migration/dirty for %s", d->uuid);
	ASSERT_TRUE(dbg_line(text, key, val, sizeof(val)))
		TH_LOG("no '%s' in migration/dirty:\n%s", key, text);
	ASSERT_STREQ(want, val) TH_LOG("migration/dirty:\n%s", text);
}

static uint64_t dbg_u64(struct __test_metadata *_metadata, const struct dt *d,
			const char *key)
{
	char text[8192], val[128];

	ASSERT_TRUE(dbg_read(d, text, sizeof(text)));
	ASSERT_TRUE(dbg_line(text, key, val, sizeof(val)))
		TH_LOG("no '%s' in migration/dirty:\n%s", key, text);
	return strtoull(val, NULL, 0);
}

/* The "range IOVA LENGTH" lines into @r (at most @max): how many. */
static unsigned int dbg_ranges(struct __test_metadata *_metadata,
			       const struct dt *d, drange *r, unsigned int max)
{
	char text[8192];
	unsigned long long iova, len;
	unsigned int n = 0;
	const char *p;

	ASSERT_TRUE(dbg_read(d, text, sizeof(text)));
	for (p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		if (sscanf(p, "range %llx %llx", &iova, &len) != 2)
			continue;
		if (n < max) {
			r[n].iova = iova;
			r[n].length = len;
		}
		n++;
	}
	return n;
}

/* --- checks ------------------------------------------------------------------ */

/*
 * REPORT [@iova, +@len) at @page_size: the pages set are exactly @want
 * (bits in @page_size pages from @iova).
 */
static void expect_report(struct __test_metadata *_metadata, int fd,
			  uint64_t iova, uint64_t len, uint64_t page_size,
			  const uint64_t *want, const char *what)
{
	uint64_t nbits = len / page_size, i, bad = 0;
	uint64_t *got = calloc(bm_words(len, page_size), 8);
	int ret;

	ASSERT_NE(NULL, got);
	ret = log_report(fd, iova, len, page_size, got);
	ASSERT_EQ(0, ret) TH_LOG("%s: REPORT 0x%" PRIx64 "+0x%" PRIx64 ": %s",
				 what, iova, len, strerror(-ret));
	for (i = 0; i < nbits; i++) {
		if (test_bit64(got, i) == test_bit64(want, i))
			continue;
		if (bad++ < 16)
			TH_LOG("%s: page 0x%" PRIx64 " %s", what,
			       iova + i * page_size,
			       test_bit64(want, i) ? "missing" : "reported but not written");
	}
	free(got);
	ASSERT_EQ(0ull, bad) TH_LOG("%s: %" PRIu64 " pages differ", what, bad);
}

/* REPORT of [@iova, +@len) reports nothing. */
static void expect_clean(struct __test_metadata *_metadata, int fd,
			 uint64_t iova, uint64_t len, const char *what)
{
	uint64_t *none = calloc(bm_words(len, PAGE), 8);

	ASSERT_NE(NULL, none);
	expect_report(_metadata, fd, iova, len, PAGE, none, what);
	free(none);
}

/* Mark the pages of [@iova, +@len) in @want (pages of @ps from @base). */
static void want_pages(uint64_t *want, uint64_t base, uint64_t limit,
		       uint64_t ps, uint64_t iova, uint64_t len)
{
	uint64_t first = iova, last = iova + len - 1, p;

	if (last < base || first >= limit)
		return;
	if (first < base)
		first = base;
	if (last >= limit)
		last = limit - 1;
	for (p = (first - base) / ps; p <= (last - base) / ps; p++)
		set_bit64(want, p);
}

static void expect_logging(struct __test_metadata *_metadata,
			   const struct dt *d, bool on)
{
	dbg_expect(_metadata, d, "logging", on ? "on" : "off");
}

/* The instance's type offers dirty tracking: PROBE of all three. */
static void expect_dirty_type(struct __test_metadata *_metadata,
			      const struct dt *d)
{
	int fd = d->dev.fd;

	ASSERT_EQ(0, log_probe(fd, VFIO_DEVICE_FEATURE_DMA_LOGGING_START,
			       VFIO_DEVICE_FEATURE_SET))
		TH_LOG("no dirty tracking: a kernel without CONFIG_IOMMUFD_DRIVER? (-f unsupported)");
	ASSERT_EQ(0, log_probe(fd, VFIO_DEVICE_FEATURE_DMA_LOGGING_STOP,
			       VFIO_DEVICE_FEATURE_SET));
	ASSERT_EQ(0, log_probe(fd, VFIO_DEVICE_FEATURE_DMA_LOGGING_REPORT,
			       VFIO_DEVICE_FEATURE_GET));
}

/* --- mock -------------------------------------------------------------------- */

FIXTURE(mock) {
	const char *vf;
	struct dt d;
};

FIXTURE_SETUP(mock)
{
	dt_init(&self->d);
	self->vf = getenv("MDEVPT_DIRTY_MOCK_VF");
	if (!self->vf)
		SKIP(return, "set MDEVPT_DIRTY_MOCK_VF");
}

FIXTURE_TEARDOWN_PARENT(mock)
{
	dt_remove(&self->d);
}

static void mock_new(struct __test_metadata *_metadata,
		     FIXTURE_DATA(mock) *self, const char *type)
{
	dt_create(_metadata, &self->d, self->vf, type);
	expect_dirty_type(_metadata, &self->d);
}

TEST_F(mock, probe)
{
	int fd;

	mock_new(_metadata, self, MOCK_MIG_TYPE);
	fd = self->d.dev.fd;
	/* START and STOP are SET only, REPORT is GET only (vfio core). */
	ASSERT_EQ(-EINVAL, log_probe(fd, VFIO_DEVICE_FEATURE_DMA_LOGGING_START,
				     VFIO_DEVICE_FEATURE_GET));
	ASSERT_EQ(-EINVAL, log_probe(fd, VFIO_DEVICE_FEATURE_DMA_LOGGING_REPORT,
				     VFIO_DEVICE_FEATURE_SET));
	dbg_expect(_metadata, &self->d, "supported", "yes");
	expect_logging(_metadata, &self->d, false);
	ASSERT_EQ(0ull, dbg_u64(_metadata, &self->d, "starts"));
	/* The other mock type too. */
	dt_destroy(&self->d);
	mock_new(_metadata, self, MOCK_NO_P2P_TYPE);
}

/* START, marks, REPORT exactly them, REPORT again nothing, STOP. */
TEST_F(mock, basic_flow)
{
	uint64_t want[BUF_PAGES / 64] = { 0 }, ps = PAGE;
	const uint64_t pages[] = { 0, 5, 511, 1023 };
	struct dt *d = &self->d;
	unsigned int i;
	drange r;
	int fd;

	mock_new(_metadata, self, MOCK_MIG_TYPE);
	fd = d->dev.fd;
	r.iova = BUF_IOVA;
	r.length = BUF_LEN;
	ASSERT_EQ(0, log_start(fd, &ps, &r, 1));
	ASSERT_EQ(PAGE, ps);
	expect_logging(_metadata, d, true);
	dbg_expect(_metadata, d, "page_size", "4096");
	dbg_expect(_metadata, d, "range", "0x1000000 0x400000");
	ASSERT_EQ(1ull, dbg_u64(_metadata, d, "starts"));

	expect_clean(_metadata, fd, BUF_IOVA, BUF_LEN, "nothing written yet");

	for (i = 0; i < ARRAY_SIZE(pages); i++) {
		ASSERT_EQ(0, mark(d, BUF_IOVA + pages[i] * PAGE + 8, 1));
		set_bit64(want, pages[i]);
	}
	/* 3 bytes across a page boundary; 2 pages and 1 byte: 4 pages. */
	ASSERT_EQ(0, mark(d, BUF_IOVA + 20 * PAGE - 1, 3));
	set_bit64(want, 19);
	set_bit64(want, 20);
	ASSERT_EQ(0, mark(d, BUF_IOVA + 100 * PAGE - 1, 2 * PAGE + 2));
	for (i = 99; i <= 102; i++)
		set_bit64(want, i);

	expect_report(_metadata, fd, BUF_IOVA, BUF_LEN, PAGE, want, "marked");
	ASSERT_EQ(weight64(want, BUF_PAGES), dbg_u64(_metadata, d, "pages"));
	expect_clean(_metadata, fd, BUF_IOVA, BUF_LEN, "second report");

	ASSERT_EQ(0, log_stop(fd));
	expect_logging(_metadata, d, false);
	ASSERT_EQ(-EINVAL, log_report(fd, BUF_IOVA, BUF_LEN, PAGE, want))
		TH_LOG("REPORT after STOP");
	ASSERT_EQ(-ENODATA, mark(d, BUF_IOVA, 1));
	/* Stopping what is stopped succeeds (vfio core expects it). */
	ASSERT_EQ(0, log_stop(fd));
	ASSERT_EQ(1ull, dbg_u64(_metadata, d, "errors"));
}

/*
 * Random writes over two ranges and around them: every report names
 * exactly the pages written inside the ranges since the last report that
 * covered them, in pieces or whole, at the logging page size or larger.
 */
TEST_F(mock, exact_random)
{
	const uint64_t lo = BUF_IOVA, hi = BUF_IOVA + 2 * (1 << 20);
	const uint64_t rlen = 1 << 20, span = 4 << 20;
	uint64_t want_lo[256 / 64], want_hi[256 / 64], want2[128 / 64];
	drange r[2] = { { lo, rlen }, { hi, rlen } };
	uint64_t seed, ps = PAGE, iova, len, i;
	struct dt *d = &self->d;
	unsigned int round;
	int fd;

	mock_new(_metadata, self, MOCK_MIG_TYPE);
	fd = d->dev.fd;
	seed = rng_seed();
	TH_LOG("seed 0x%" PRIx64, seed);
	ASSERT_EQ(0, log_start(fd, &ps, r, 2));

	for (round = 0; round < 6; round++) {
		memset(want_lo, 0, sizeof(want_lo));
		memset(want_hi, 0, sizeof(want_hi));
		for (i = 0; i < 200; i++) {
			/* Anywhere from 1 MiB below the first range on. */
			iova = lo - (1 << 20) + rng() % span;
			len = 1 + rng() % (i % 4 ? PAGE : 5 * PAGE);
			ASSERT_EQ(0, mark(d, iova, len));
			want_pages(want_lo, lo, lo + rlen, PAGE, iova, len);
			want_pages(want_hi, hi, hi + rlen, PAGE, iova, len);
		}
		switch (round % 3) {
		case 0:		/* range by range */
			expect_report(_metadata, fd, lo, rlen, PAGE, want_lo, "low range");
			expect_report(_metadata, fd, hi, rlen, PAGE, want_hi, "high range");
			break;
		case 1:		/* in halves, the second half first */
			expect_report(_metadata, fd, lo + rlen / 2, rlen / 2, PAGE,
				      want_lo + 2, "low range, upper half");
			expect_report(_metadata, fd, lo, rlen / 2, PAGE, want_lo,
				      "low range, lower half");
			expect_report(_metadata, fd, hi, rlen, PAGE, want_hi, "high range");
			break;
		default:	/* at 8 KiB: a bit for each pair of pages */
			memset(want2, 0, sizeof(want2));
			for (i = 0; i < 256; i++)
				if (test_bit64(want_lo, i))
					set_bit64(want2, i / 2);
			expect_report(_metadata, fd, lo, rlen, 2 * PAGE, want2,
				      "low range at 8 KiB");
			memset(want2, 0, sizeof(want2));
			for (i = 0; i < 256; i++)
				if (test_bit64(want_hi, i))
					set_bit64(want2, i / 2);
			expect_report(_metadata, fd, hi, rlen, 2 * PAGE, want2,
				      "high range at 8 KiB");
			break;
		}
		expect_clean(_metadata, fd, lo, rlen, "low range again");
		expect_clean(_metadata, fd, hi, rlen, "high range again");
	}
	ASSERT_EQ(0, log_stop(fd));
}

/*
 * Logging at 8 KiB, reported at 4 KiB: each logged page shows as both of
 * its halves; a report of one half must not lose the other half's write
 * for the report that covers it later.
 */
TEST_F(mock, report_below_logging_page_size)
{
	uint64_t want[BUF_PAGES / 64] = { 0 };
	struct dt *d = &self->d;
	int fd;

	mock_new(_metadata, self, MOCK_MIG_TYPE);
	fd = d->dev.fd;
	ASSERT_EQ(0, log_start1(fd, 2 * PAGE, BUF_IOVA, BUF_LEN));
	dbg_expect(_metadata, d, "page_size", "8192");

	ASSERT_EQ(0, mark(d, BUF_IOVA + 6 * PAGE, 1));
	set_bit64(want, 6);
	set_bit64(want, 7);
	expect_report(_metadata, fd, BUF_IOVA, BUF_LEN, PAGE, want,
		      "an 8 KiB page as two 4 KiB ones");

	/* Written in the lower half, the upper half reported first. */
	ASSERT_EQ(0, mark(d, BUF_IOVA + 10 * PAGE, 1));
	memset(want, 0, sizeof(want));
	set_bit64(want, 0);
	expect_report(_metadata, fd, BUF_IOVA + 11 * PAGE, PAGE, PAGE, want,
		      "upper half of a written 8 KiB page");
	expect_report(_metadata, fd, BUF_IOVA + 10 * PAGE, PAGE, PAGE, want,
		      "lower half, written, reported after the upper half");
	ASSERT_EQ(0, log_stop(fd));
}

/* Writes outside the logged ranges are ignored; they are still accepted. */
TEST_F(mock, marks_outside_ignored)
{
	uint64_t want[256 / 64] = { 0 };
	const uint64_t rlen = 1 << 20;
	struct dt *d = &self->d;
	int fd;

	mock_new(_metadata, self, MOCK_MIG_TYPE);
	fd = d->dev.fd;
	ASSERT_EQ(0, log_start1(fd, PAGE, BUF_IOVA, rlen));
	ASSERT_EQ(0, mark(d, BUF_IOVA - 2 * PAGE, PAGE));
	ASSERT_EQ(0, mark(d, BUF_IOVA + rlen, PAGE));
	ASSERT_EQ(0, mark(d, 0, 1));
	ASSERT_EQ(0, mark(d, 0xfffffffffffff000ull, PAGE));
	expect_clean(_metadata, fd, BUF_IOVA, rlen, "writes outside");

	/* Across both ends: only the pages inside. */
	ASSERT_EQ(0, mark(d, BUF_IOVA - PAGE, 2 * PAGE));
	ASSERT_EQ(0, mark(d, BUF_IOVA + rlen - PAGE, 2 * PAGE));
	set_bit64(want, 0);
	set_bit64(want, 255);
	expect_report(_metadata, fd, BUF_IOVA, rlen, PAGE, want, "across the ends");
	ASSERT_EQ(0, log_stop(fd));
}

/* vendor/dirty_mark's input: EINVAL for anything but "IOVA LENGTH". */
TEST_F(mock, mark_input)
{
	static const char * const bad[] = {
		"\n", "4096", "4096 ", "4096 4096 1", "abc 4096",
		"4096 abc", "4096 0", "-4096 4096", "4096 -1", "0x 1",
		"18446744073709551615 2", "18446744073709547520 4097",
		"18446744073709551616 1", "1,1",
	};
	static const char * const good[] = {
		"16781312 4096", "0x1001000 0x1000", " 0x1001000\t010000\n",
		"18446744073709551615 1", "0 18446744073709551615",
	};
	uint64_t want[BUF_PAGES / 64] = { 0 };
	unsigned int i, failed = 0;
	struct dt *d = &self->d;
	int ret;

	mock_new(_metadata, self, MOCK_MIG_TYPE);
	/* Off: ENODATA for good input, EINVAL for bad. */
	ASSERT_EQ(-ENODATA, mdev_attr_write(d->uuid, "vendor/dirty_mark", good[0]));
	ASSERT_EQ(-EINVAL, mdev_attr_write(d->uuid, "vendor/dirty_mark", bad[4]));

	ASSERT_EQ(0, log_start1(d->dev.fd, PAGE, BUF_IOVA, BUF_LEN));
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		ret = mdev_attr_write(d->uuid, "vendor/dirty_mark", bad[i]);
		if (ret != -EINVAL) {
			TH_LOG("'%s': %s, not EINVAL", bad[i], strerror(-ret));
			failed++;
		}
	}
	expect_clean(_metadata, d->dev.fd, BUF_IOVA, BUF_LEN, "after refusals");
	for (i = 0; i < ARRAY_SIZE(good); i++) {
		ret = mdev_attr_write(d->uuid, "vendor/dirty_mark", good[i]);
		if (ret) {
			TH_LOG("'%s': %s", good[i], strerror(-ret));
			failed++;
		}
	}
	ASSERT_EQ(0u, failed);
	/* 0x1001000 is page 1 (three times); the last one covers everything. */
	memset(want, 0xff, sizeof(want));
	expect_report(_metadata, d->dev.fd, BUF_IOVA, BUF_LEN, PAGE, want,
		      "accepted marks");
	ASSERT_EQ(0, log_stop(d->dev.fd));
}

/* A second START is refused; the first session goes on unharmed. */
TEST_F(mock, start_twice)
{
	uint64_t want[BUF_PAGES / 64] = { 0 };
	struct dt *d = &self->d;
	int fd;

	mock_new(_metadata, self, MOCK_MIG_TYPE);
	fd = d->dev.fd;
	ASSERT_EQ(0, log_start1(fd, PAGE, BUF_IOVA, BUF_LEN));
	ASSERT_EQ(0, mark(d, BUF_IOVA + 3 * PAGE, 1));
	ASSERT_EQ(-EBUSY, log_start1(fd, PAGE, BUF_IOVA, BUF_LEN));
	ASSERT_EQ(-EBUSY, log_start1(fd, 2 * PAGE, BUF_IOVA, PAGE * 2));
	ASSERT_EQ(2ull, dbg_u64(_metadata, d, "errors"));
	ASSERT_EQ(1ull, dbg_u64(_metadata, d, "starts"));
	dbg_expect(_metadata, d, "range", "0x1000000 0x400000");
	set_bit64(want, 3);
	expect_report(_metadata, fd, BUF_IOVA, BUF_LEN, PAGE, want,
		      "the first session");
	ASSERT_EQ(0, log_stop(fd));
	/* Stopped, it starts again, from a clean log. */
	ASSERT_EQ(0, log_start1(fd, PAGE, BUF_IOVA, BUF_LEN));
	expect_clean(_metadata, fd, BUF_IOVA, BUF_LEN, "a new session");
	ASSERT_EQ(2ull, dbg_u64(_metadata, d, "starts"));
	ASSERT_EQ(0, log_stop(fd));
}

/* Page sizes: powers of two of at least 4 KiB. */
TEST_F(mock, bad_page_size)
{
	static const uint64_t bad[] = { 2048, 12288, 1024 };
	uint64_t bm[BUF_LEN / 2048 / 64];
	struct dt *d = &self->d;
	unsigned int i;
	int fd;

	mock_new(_metadata, self, MOCK_MIG_TYPE);
	fd = d->dev.fd;
	/* These reach mdev-pt: the range is aligned to them. */
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		EXPECT_EQ(-EINVAL, log_start1(fd, bad[i], BUF_IOVA, BUF_LEN))
			TH_LOG("page size %" PRIu64, bad[i]);
		expect_logging(_metadata, d, false);
	}
	ASSERT_EQ(ARRAY_SIZE(bad), dbg_u64(_metadata, d, "errors"));
	/* vfio core refuses a page size of 0 or misaligned ranges itself. */
	EXPECT_EQ(-EINVAL, log_start1(fd, 0, BUF_IOVA, BUF_LEN));
	EXPECT_EQ(-EINVAL, log_start1(fd, 2 * PAGE, BUF_IOVA + PAGE, BUF_LEN));
	EXPECT_EQ(-EINVAL, log_start1(fd, PAGE, BUF_IOVA, BUF_LEN - 1));
	ASSERT_EQ(ARRAY_SIZE(bad), dbg_u64(_metadata, d, "errors"));
	expect_logging(_metadata, d, false);

	/* A large one works. */
	ASSERT_EQ(0, log_start1(fd, 1 << 21, BUF_IOVA - (1 << 21) * 8, 1 << 25));
	dbg_expect(_metadata, d, "page_size", "2097152");
	/* REPORT's page size is checked by vfio core. */
	ASSERT_EQ(-EINVAL, log_report(fd, BUF_IOVA, BUF_LEN, 2048, bm));
	ASSERT_EQ(0, log_stop(fd));
}

/* More than 32 ranges: E2BIG (more than 256 from vfio core itself). */
TEST_F(mock, too_many_ranges)
{
	drange r[CORE_MAX_RANGES + 1];
	uint64_t want[1] = { 0 }, ps;
	drange got[PT_MAX_RANGES + 1];
	struct dt *d = &self->d;
	unsigned int i, n;
	int fd;

	mock_new(_metadata, self, MOCK_MIG_TYPE);
	fd = d->dev.fd;
	/* One page every other page. */
	for (i = 0; i < ARRAY_SIZE(r); i++) {
		r[i].iova = BUF_IOVA + 2 * i * PAGE;
		r[i].length = PAGE;
	}
	ps = PAGE;
	ASSERT_EQ(-E2BIG, log_start(fd, &ps, r, PT_MAX_RANGES + 1));
	ASSERT_EQ(1ull, dbg_u64(_metadata, d, "errors"));
	ps = PAGE;
	ASSERT_EQ(-E2BIG, log_start(fd, &ps, r, CORE_MAX_RANGES + 1));
	ps = PAGE;
	ASSERT_EQ(-EINVAL, log_start(fd, &ps, r, 0));
	ASSERT_EQ(1ull, dbg_u64(_metadata, d, "errors"));
	expect_logging(_metadata, d, false);

	/* 32: logged as they are. */
	ps = PAGE;
	ASSERT_EQ(0, log_start(fd, &ps, r, PT_MAX_RANGES));
	n = dbg_ranges(_metadata, d, got, ARRAY_SIZE(got));
	ASSERT_EQ(PT_MAX_RANGES, n);
	for (i = 0; i < n; i++) {
		EXPECT_EQ(r[i].iova, got[i].iova) TH_LOG("range %u", i);
		EXPECT_EQ(r[i].length, got[i].length) TH_LOG("range %u", i);
	}
	ASSERT_EQ(0, mark(d, r[PT_MAX_RANGES - 1].iova + 100, 1));
	ASSERT_EQ(0, mark(d, r[PT_MAX_RANGES - 1].iova + PAGE, 1));
	want[0] = 1;
	expect_report(_metadata, fd, r[PT_MAX_RANGES - 1].iova, PAGE, PAGE,
		      want, "the last of 32 ranges");
	ASSERT_EQ(0, log_stop(fd));
}

/* Overlapping ranges are vfio core's EINVAL; touching ones are fine. */
TEST_F(mock, overlapping_ranges)
{
	drange r[2] = { { BUF_IOVA, 4 * PAGE }, { BUF_IOVA + 3 * PAGE, 4 * PAGE } };
	uint64_t want[1] = { 0 }, ps = PAGE;
	struct dt *d = &self->d;
	int fd;

	mock_new(_metadata, self, MOCK_MIG_TYPE);
	fd = d->dev.fd;
	ASSERT_EQ(-EINVAL, log_start(fd, &ps, r, 2));
	ASSERT_EQ(0ull, dbg_u64(_metadata, d, "errors"));
	r[1].iova = BUF_IOVA + 4 * PAGE;
	ASSERT_EQ(0, log_start(fd, &ps, r, 2));
	ASSERT_EQ(0, mark(d, BUF_IOVA + 4 * PAGE - 1, 2));
	want[0] = 3 << 3;
	expect_report(_metadata, fd, BUF_IOVA, 8 * PAGE, PAGE, want,
		      "across two touching ranges");
	ASSERT_EQ(0, log_stop(fd));
}

/*
 * vfio core passes a range of length 0 on (as the interval [iova,
 * iova - 1]): it is no range to log and must be refused.  Nothing is
 * marked if it is taken: a log of an empty range has no bits.
 */
TEST_F(mock, empty_range)
{
	drange r[2] = { { BUF_IOVA, PAGE }, { BUF_IOVA + 4 * PAGE, 0 } };
	struct dt *d = &self->d;
	uint64_t ps = PAGE;
	int fd, ret;

	mock_new(_metadata, self, MOCK_MIG_TYPE);
	fd = d->dev.fd;
	ret = log_start(fd, &ps, r, 2);
	if (!ret)
		log_stop(fd);
	ASSERT_EQ(-EINVAL, ret) TH_LOG("START with an empty range");
	ps = PAGE;
	ret = log_start(fd, &ps, &r[1], 1);
	if (!ret)
		log_stop(fd);
	ASSERT_EQ(-EINVAL, ret) TH_LOG("START with only an empty range");
	r[1].iova = 0;
	ps = PAGE;
	ret = log_start(fd, &ps, &r[1], 1);
	if (!ret)
		log_stop(fd);
	ASSERT_EQ(-EINVAL, ret) TH_LOG("START with an empty range at 0");
}

/* At most 2^28 pages in all: ENOSPC above (and nothing allocated). */
TEST_F(mock, bitmap_too_large)
{
	drange r[2] = {
		{ 0, BITMAP_MAX_PAGES * PAGE / 2 },
		{ 1ull << 44, BITMAP_MAX_PAGES * PAGE / 2 + PAGE },
	};
	struct dt *d = &self->d;
	uint64_t ps = PAGE;
	int fd;

	mock_new(_metadata, self, MOCK_MIG_TYPE);
	fd = d->dev.fd;
	ASSERT_EQ(-ENOSPC, log_start(fd, &ps, r, 2));
	ASSERT_EQ(1ull, dbg_u64(_metadata, d, "errors"));
	expect_logging(_metadata, d, false);
	ps = PAGE;
	ASSERT_EQ(-ENOSPC, log_start1(fd, PAGE, 0, (BITMAP_MAX_PAGES + 1) * PAGE));
	/* Exactly the most: a 32 MiB log. */
	ps = PAGE;
	r[1].length -= PAGE;
	ASSERT_EQ(0, log_start(fd, &ps, r, 2));
	ASSERT_EQ(0, mark(d, (1ull << 44) + 5 * PAGE, 1));
	ASSERT_EQ(0, mark(d, 0, 1ull << 45));
	ASSERT_EQ(0, log_stop(fd));
	/* Twice the IOVA at 2 MiB pages is a small log. */
	ASSERT_EQ(0, log_start1(fd, 1 << 21, 0, 2 * BITMAP_MAX_PAGES * PAGE));
	ASSERT_EQ(0, log_stop(fd));
}

/* REPORT only while started, only inside the started ranges. */
TEST_F(mock, report_outside)
{
	const uint64_t rlen = 1 << 20;
	drange r[2] = { { BUF_IOVA, rlen }, { BUF_IOVA + 2 * rlen, rlen } };
	static const struct { int64_t off; uint64_t len; } out[] = {
		{ -(int64_t)PAGE, 2 * PAGE },		/* across the start */
		{ (1 << 20) - PAGE, 2 * PAGE },		/* across the end */
		{ 1 << 20, 1 << 20 },			/* the gap */
		{ 0, 3 << 20 },				/* with the gap */
		{ -(1 << 20), 1 << 20 },		/* below */
		{ 3 << 20, PAGE },			/* above */
	};
	uint64_t *bm, want[256 / 64] = { 0 }, ps = PAGE, errors;
	struct dt *d = &self->d;
	unsigned int i;
	int fd;

	mock_new(_metadata, self, MOCK_MIG_TYPE);
	fd = d->dev.fd;
	bm = calloc(bm_words(4 << 20, PAGE), 8);
	ASSERT_NE(NULL, bm);
	ASSERT_EQ(-EINVAL, log_report(fd, BUF_IOVA, rlen, PAGE, bm))
		TH_LOG("REPORT before START");
	ASSERT_EQ(1ull, dbg_u64(_metadata, d, "errors"));

	ASSERT_EQ(0, log_start(fd, &ps, r, 2));
	ASSERT_EQ(0, mark(d, BUF_IOVA + 7 * PAGE, 1));
	for (i = 0; i < ARRAY_SIZE(out); i++)
		EXPECT_EQ(-ERANGE, log_report(fd, BUF_IOVA + out[i].off,
					      out[i].len, PAGE, bm))
			TH_LOG("REPORT %+" PRId64 "+0x%" PRIx64, out[i].off,
			       out[i].len);
	errors = dbg_u64(_metadata, d, "errors");
	ASSERT_EQ((uint64_t)(1 + ARRAY_SIZE(out)), errors);
	/* A refused report cleared nothing. */
	set_bit64(want, 7);
	expect_report(_metadata, fd, BUF_IOVA, rlen, PAGE, want,
		      "after refused reports");
	expect_clean(_metadata, fd, BUF_IOVA + 2 * rlen, rlen, "second range");
	/* Both ranges in one report that also covers no gap: fine in parts. */
	expect_clean(_metadata, fd, BUF_IOVA + rlen - PAGE, PAGE, "last page");
	ASSERT_EQ(0, log_stop(fd));
	free(bm);
}

/*
 * mock-no-p2p logs two ranges: five are merged across the smallest gaps;
 * mock-migratable logs all five.
 */
TEST_F(mock, merge)
{
	const uint64_t K = 1024, B = BUF_IOVA;
	drange r[5] = {
		{ B, 64 * K },				/* gap 64K to the next */
		{ B + 128 * K, 64 * K },		/* gap 832K */
		{ B + 1024 * K, 64 * K },		/* gap 32K */
		{ B + 1120 * K, 64 * K },		/* gap ~2.8M */
		{ B + 4096 * K, 64 * K },
	};
	const drange merged[2] = {
		{ B, 1184 * K },
		{ B + 4096 * K, 64 * K },
	};
	uint64_t want[1] = { 0 }, ps = PAGE;
	drange got[8];
	struct dt *d = &self->d;
	unsigned int i, n;
	int fd;

	mock_new(_metadata, self, MOCK_NO_P2P_TYPE);
	fd = d->dev.fd;
	ASSERT_EQ(0, log_start(fd, &ps, r, 5));
	n = dbg_ranges(_metadata, d, got, ARRAY_SIZE(got));
	ASSERT_EQ(2u, n);
	for (i = 0; i < 2; i++) {
		EXPECT_EQ(merged[i].iova, got[i].iova) TH_LOG("range %u", i);
		EXPECT_EQ(merged[i].length, got[i].length) TH_LOG("range %u", i);
	}
	/* A write in each range the user asked for is reported. */
	want[0] = 1ull << 15;
	for (i = 0; i < 5; i++) {
		ASSERT_EQ(0, mark(d, r[i].iova + r[i].length - 1, 1));
		expect_report(_metadata, fd, r[i].iova, r[i].length, PAGE,
			      want, "the last page of a merged range");
	}
	ASSERT_EQ(0, log_stop(fd));
	dt_destroy(d);

	mock_new(_metadata, self, MOCK_MIG_TYPE);
	fd = d->dev.fd;
	ps = PAGE;
	ASSERT_EQ(0, log_start(fd, &ps, r, 5));
	n = dbg_ranges(_metadata, d, got, ARRAY_SIZE(got));
	ASSERT_EQ(5u, n);
	for (i = 0; i < 5; i++) {
		EXPECT_EQ(r[i].iova, got[i].iova) TH_LOG("range %u", i);
		EXPECT_EQ(r[i].length, got[i].length) TH_LOG("range %u", i);
	}
	ASSERT_EQ(-ERANGE, log_report(fd, B + 64 * K, PAGE, PAGE, want));
	ASSERT_EQ(0, log_stop(fd));
}

/* Closing the device stops logging; the next open starts clean. */
TEST_F(mock, close_stops)
{
	uint64_t bm[BUF_PAGES / 64];
	struct dt *d = &self->d;

	mock_new(_metadata, self, MOCK_MIG_TYPE);
	ASSERT_EQ(0, log_start1(d->dev.fd, PAGE, BUF_IOVA, BUF_LEN));
	ASSERT_EQ(0, mark(d, BUF_IOVA, 1));
	dt_close(d);
	expect_logging(_metadata, d, false);
	ASSERT_EQ(-ENODATA, mark(d, BUF_IOVA, 1));
	dt_open(_metadata, d);
	ASSERT_EQ(-EINVAL, log_report(d->dev.fd, BUF_IOVA, BUF_LEN, PAGE, bm))
		TH_LOG("REPORT after reopening");
	ASSERT_EQ(0, log_start1(d->dev.fd, PAGE, BUF_IOVA, BUF_LEN));
	expect_clean(_metadata, d->dev.fd, BUF_IOVA, BUF_LEN, "after reopening");
	ASSERT_EQ(0, log_stop(d->dev.fd));
}

/* VFIO_DEVICE_RESET stops logging. */
TEST_F(mock, reset_stops)
{
	uint64_t bm[BUF_PAGES / 64];
	struct dt *d = &self->d;

	mock_new(_metadata, self, MOCK_MIG_TYPE);
	if (!(d->dev.info.flags & VFIO_DEVICE_FLAGS_RESET))
		SKIP(return, "%s cannot be reset", self->vf);
	ASSERT_EQ(0, log_start1(d->dev.fd, PAGE, BUF_IOVA, BUF_LEN));
	ASSERT_EQ(0, mark(d, BUF_IOVA, 1));
	ASSERT_EQ(0, ioctl(d->dev.fd, VFIO_DEVICE_RESET)) TH_LOG("reset: %m");
	expect_logging(_metadata, d, false);
	ASSERT_EQ(-EINVAL, log_report(d->dev.fd, BUF_IOVA, BUF_LEN, PAGE, bm))
		TH_LOG("REPORT after VFIO_DEVICE_RESET");
	ASSERT_EQ(-ENODATA, mark(d, BUF_IOVA, 1));
	ASSERT_EQ(0, log_start1(d->dev.fd, PAGE, BUF_IOVA, BUF_LEN));
	expect_clean(_metadata, d->dev.fd, BUF_IOVA, BUF_LEN, "after the reset");
	ASSERT_EQ(0, log_stop(d->dev.fd));
}

/* --- teardown while reports run ---------------------------------------- */

struct hammer {
	int fd;
	const char *uuid;
	atomic_bool closing;
	atomic_bool stop;
	unsigned long ok;
	int first_err;
	bool err_before_close;
};

/* REPORT until one fails; a failure before the close is a bug. */
static void *report_loop(void *arg)
{
	struct hammer *h = arg;
	uint64_t *bm = calloc(bm_words(BUF_LEN, PAGE), 8);
	int ret;

	while (bm && !atomic_load(&h->stop)) {
		ret = log_report(h->fd, BUF_IOVA, BUF_LEN, PAGE, bm);
		if (ret) {
			/* The close is announced before it happens. */
			h->first_err = ret;
			h->err_before_close = !atomic_load(&h->closing);
			break;
		}
		h->ok++;
	}
	free(bm);
	return NULL;
}

/* dirty_mark until the attribute is gone. */
static void *mark_loop(void *arg)
{
	struct hammer *h = arg;
	char path[PATH_MAX];
	uint64_t i = 0;
	int ret;

	snprintf(path, sizeof(path), "%s/%s/vendor/dirty_mark",
		 MDEV_SYSFS_PATH, h->uuid);
	while (!atomic_load(&h->stop)) {
		char val[64];

		snprintf(val, sizeof(val), "0x%" PRIx64 " 1",
			 BUF_IOVA + (i++ % BUF_PAGES) * PAGE);
		ret = sysfs_write(path, val);
		if (ret == -ENOENT)
			break;
	}
	return NULL;
}

/* "echo 1 > remove" in a child that holds none of our files; its pid. */
static pid_t remove_async(const char *uuid)
{
	pid_t pid = fork();
	int null;

	if (pid == 0) {
		null = open("/dev/null", O_RDWR);
		if (null >= 0) {
			dup2(null, STDOUT_FILENO);
			dup2(null, STDERR_FILENO);
		}
		closefrom(3);
		_exit(mdev_remove(uuid) ? 1 : 0);
	}
	return pid;
}

static int wait_child(pid_t pid, int secs)
{
	int status, i;

	for (i = 0; i < secs * 10; i++) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
		usleep(100000);
	}
	return -1;
}

/*
 * The instance is removed while one thread reports and another marks:
 * the removal asks for the device through REQ, the user closes it while
 * the reports go on; nothing may be left behind (the debug kernel's
 * kmemleak and KASAN watch).
 */
TEST_F_TIMEOUT(mock, remove_while_reporting, 120)
{
	struct hammer h = { .first_err = 0 };
	struct dt *d = &self->d;
	pthread_t rep, mk;
	int efd, rc;
	pid_t pid;

	mock_new(_metadata, self, MOCK_MIG_TYPE);
	ASSERT_EQ(0, log_start1(d->dev.fd, PAGE, BUF_IOVA, BUF_LEN));
	efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ASSERT_LE(0, efd);
	ASSERT_EQ(0, vfio_test_set_irqs(&d->dev, VFIO_PCI_REQ_IRQ_INDEX,
					VFIO_IRQ_SET_ACTION_TRIGGER, 0, 1, &efd));
	h.fd = d->dev.fd;
	h.uuid = d->uuid;
	ASSERT_EQ(0, pthread_create(&rep, NULL, report_loop, &h));
	ASSERT_EQ(0, pthread_create(&mk, NULL, mark_loop, &h));
	usleep(200000);

	pid = remove_async(d->uuid);
	ASSERT_LT(0, pid);
	EXPECT_LT(0, eventfd_wait(efd, REQ_TIMEOUT_MS))
		TH_LOG("no REQ within %d ms of the removal", REQ_TIMEOUT_MS);
	usleep(200000);
	atomic_store(&h.closing, true);
	dt_close(d);
	rc = wait_child(pid, REMOVE_TIMEOUT_S);
	atomic_store(&h.stop, true);
	pthread_join(rep, NULL);
	pthread_join(mk, NULL);
	close(efd);
	ASSERT_EQ(0, rc) TH_LOG("removal: %s", rc < 0 ? "still blocked" : "failed");
	TH_LOG("%lu reports, then %s", h.ok,
	       h.first_err ? strerrorname_np(-h.first_err) : "none");
	ASSERT_LT(0ul, h.ok);
	ASSERT_FALSE(h.err_before_close)
		TH_LOG("a report failed before the close: %s",
		       strerrorname_np(-h.first_err));
	ASSERT_FALSE(mdev_exists(d->uuid));
	d->uuid[0] = '\0';
}

/* The device fd closed while another thread reports on it. */
TEST_F_TIMEOUT(mock, close_while_reporting, 60)
{
	struct hammer h = { .first_err = 0 };
	uint64_t bm[BUF_PAGES / 64];
	struct dt *d = &self->d;
	pthread_t rep;
	int fd;

	mock_new(_metadata, self, MOCK_MIG_TYPE);
	fd = d->dev.fd;
	ASSERT_EQ(0, log_start1(fd, PAGE, BUF_IOVA, BUF_LEN));
	h.fd = fd;
	h.uuid = d->uuid;
	ASSERT_EQ(0, pthread_create(&rep, NULL, report_loop, &h));
	usleep(300000);
	atomic_store(&h.closing, true);
	close(fd);
	d->dev.fd = -1;
	usleep(100000);
	atomic_store(&h.stop, true);
	pthread_join(rep, NULL);
	ASSERT_LT(0ul, h.ok);
	ASSERT_FALSE(h.err_before_close)
		TH_LOG("a report failed before the close: %s",
		       strerrorname_np(-h.first_err));
	dt_close(d);
	expect_logging(_metadata, d, false);
	dt_open(_metadata, d);
	ASSERT_EQ(-EINVAL, log_report(d->dev.fd, BUF_IOVA, BUF_LEN, PAGE, bm));
}

/* --- edu ----------------------------------------------------------------------- */

FIXTURE(edu) {
	const char *bdf;
	struct dt d;
	uint64_t bar0;
};

static void edu_w32(struct __test_metadata *_metadata, FIXTURE_DATA(edu) *self,
		    unsigned int reg, uint32_t val)
{
	ASSERT_EQ(4, pwrite(self->d.dev.fd, &val, 4, self->bar0 + reg))
		TH_LOG("BAR0 write at 0x%x: %m", reg);
}

static uint32_t edu_r32(struct __test_metadata *_metadata,
			FIXTURE_DATA(edu) *self, unsigned int reg)
{
	uint32_t val;

	ASSERT_EQ(4, pread(self->d.dev.fd, &val, 4, self->bar0 + reg))
		TH_LOG("BAR0 read at 0x%x: %m", reg);
	return val;
}

static bool edu_dma_busy(struct __test_metadata *_metadata,
			 FIXTURE_DATA(edu) *self)
{
	return edu_r32(_metadata, self, EDU_REG_DMA_CMD) & EDU_DMA_START;
}

static void edu_dma_wait(struct __test_metadata *_metadata,
			 FIXTURE_DATA(edu) *self)
{
	uint64_t deadline = now_ms() + DMA_TIMEOUT_MS;

	while (edu_dma_busy(_metadata, self)) {
		ASSERT_GT(deadline, now_ms()) TH_LOG("DMA still running");
		usleep(1000);
	}
}

/* Start a DMA of @count bytes (at most 4095) from @src to @dst. */
static void edu_dma_start(struct __test_metadata *_metadata,
			  FIXTURE_DATA(edu) *self, uint64_t src, uint64_t dst,
			  uint32_t count, bool to_ram)
{
	edu_dma_wait(_metadata, self);
	edu_w32(_metadata, self, EDU_REG_DMA_SRC, (uint32_t)src);
	edu_w32(_metadata, self, EDU_REG_DMA_DST, (uint32_t)dst);
	edu_w32(_metadata, self, EDU_REG_DMA_COUNT, count);
	edu_w32(_metadata, self, EDU_REG_DMA_CMD,
		EDU_DMA_START | (to_ram ? EDU_DMA_TO_RAM : 0));
}

/* Device buffer -> @count bytes of RAM at @dst. */
static void edu_dma_to_ram(struct __test_metadata *_metadata,
			   FIXTURE_DATA(edu) *self, uint64_t dst,
			   uint32_t count)
{
	edu_dma_start(_metadata, self, EDU_DMA_BUF, dst, count, true);
}

FIXTURE_SETUP(edu)
{
	struct vfio_region_info info;
	unsigned int i;

	dt_init(&self->d);
	self->bdf = getenv("MDEVPT_DIRTY_EDU");
	if (!self->bdf)
		SKIP(return, "set MDEVPT_DIRTY_EDU");
	dt_create(_metadata, &self->d, self->bdf, EDU_MIG_TYPE);
	if (log_probe(self->d.dev.fd, VFIO_DEVICE_FEATURE_DMA_LOGGING_START,
		      VFIO_DEVICE_FEATURE_SET) == -ENOTTY &&
	    !dbg_read(&self->d, (char[16]){ 0 }, 16)) {
		/* No teardown after a skipped setup. */
		dt_destroy(&self->d);
		SKIP(return, "%s has no dirty tracking", EDU_MIG_TYPE);
	}
	expect_dirty_type(_metadata, &self->d);
	ASSERT_EQ(EDU_VENDOR_ID, cfg_read(_metadata, &self->d.dev, PCI_VENDOR_ID, 2));
	ASSERT_EQ(EDU_DEVICE_ID, cfg_read(_metadata, &self->d.dev, PCI_DEVICE_ID, 2));
	vfio_test_region_info(_metadata, &self->d.dev, VFIO_PCI_BAR0_REGION_INDEX,
			      &info);
	self->bar0 = info.offset;
	cfg_set_command(_metadata, &self->d.dev,
			PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);

	/* A pattern without zero bytes into the device's buffer. */
	for (i = 0; i < PAGE; i++)
		self->d.src[i] = 1 + (i * 7 + getpid()) % 255;
	edu_dma_start(_metadata, self, SRC_IOVA, EDU_DMA_BUF, EDU_DMA_MAX, false);
	edu_dma_wait(_metadata, self);
}

FIXTURE_TEARDOWN_PARENT(edu)
{
	dt_remove(&self->d);
}

/* REPORT the whole buffer, OR the result into @acc; -errno or 0. */
static int edu_report_acc(FIXTURE_DATA(edu) *self, uint64_t *acc)
{
	uint64_t bm[BUF_PAGES / 64];
	unsigned int i;
	int ret;

	ret = log_report(self->d.dev.fd, BUF_IOVA, BUF_LEN, PAGE, bm);
	for (i = 0; !ret && i < BUF_PAGES / 64; i++)
		acc[i] |= bm[i];
	return ret;
}

/*
 * Many DMAs to random places of the buffer: every page written must be
 * reported; pages reported but not written are only counted.
 */
TEST_F_TIMEOUT(edu, exactness, 600)
{
	uint64_t written[BUF_PAGES / 64] = { 0 }, rep[BUF_PAGES / 64] = { 0 };
	uint64_t seed, missing = 0, over = 0, p, t0;
	unsigned int i, n = 200, count;
	const char *env = getenv("MDEVPT_DIRTY_DMAS");
	uint64_t dst;
	bool nonzero;
	int ret;

	if (env && *env)
		n = strtoul(env, NULL, 0);
	seed = rng_seed();
	TH_LOG("seed 0x%" PRIx64 ", %u DMAs", seed, n);
	ASSERT_EQ(0, log_start1(self->d.dev.fd, PAGE, BUF_IOVA, BUF_LEN));
	t0 = now_ms();
	for (i = 0; i < n; i++) {
		count = 1 + rng() % EDU_DMA_MAX;
		dst = BUF_IOVA + rng() % (BUF_LEN - count + 1);
		edu_dma_to_ram(_metadata, self, dst, count);
		want_pages(written, BUF_IOVA, BUF_IOVA + BUF_LEN, PAGE, dst, count);
		/* Now and then a report, with transfers done or in flight. */
		if (rng() % 16 == 0) {
			ret = edu_report_acc(self, rep);
			ASSERT_EQ(0, ret) TH_LOG("REPORT: %s", strerror(-ret));
		}
	}
	edu_dma_wait(_metadata, self);
	ret = edu_report_acc(self, rep);
	ASSERT_EQ(0, ret) TH_LOG("REPORT: %s", strerror(-ret));
	TH_LOG("%u DMAs in %" PRIu64 " ms", n, now_ms() - t0);

	for (p = 0; p < BUF_PAGES; p++) {
		nonzero = false;
		for (i = 0; i < PAGE && !nonzero; i++)
			nonzero = self->d.buf[p * PAGE + i];
		/* What the device really wrote is what the test asked for. */
		EXPECT_EQ(test_bit64(written, p), nonzero)
			TH_LOG("page %" PRIu64 ": %s", p,
			       nonzero ? "written unasked" : "not written");
		if ((test_bit64(written, p) || nonzero) && !test_bit64(rep, p)) {
			if (missing++ < 16)
				TH_LOG("page 0x%" PRIx64 " written, not reported",
				       BUF_IOVA + p * PAGE);
		} else if (!test_bit64(written, p) && test_bit64(rep, p)) {
			over++;
		}
	}
	ksft_print_msg("edu exactness: %" PRIu64 " pages written, %" PRIu64
		       " missing, %" PRIu64 " reported but not written\n",
		       weight64(written, BUF_PAGES), missing, over);
	ASSERT_EQ(0ull, missing);
	expect_clean(_metadata, self->d.dev.fd, BUF_IOVA, BUF_LEN, "after the last DMA");
	ASSERT_EQ(0, log_stop(self->d.dev.fd));
}

/*
 * A DMA in flight at a report is reported again by the next report after
 * it completed.
 */
TEST_F_TIMEOUT(edu, in_flight, 120)
{
	uint64_t a[BUF_PAGES / 64], b[BUF_PAGES / 64], page;
	unsigned int i, in_flight = 0;
	bool busy;
	int ret;

	rng_seed();
	ASSERT_EQ(0, log_start1(self->d.dev.fd, PAGE, BUF_IOVA, BUF_LEN));
	for (i = 0; i < 8; i++) {
		page = rng() % BUF_PAGES;
		memset(a, 0, sizeof(a));
		memset(b, 0, sizeof(b));
		edu_dma_to_ram(_metadata, self, BUF_IOVA + page * PAGE + 16, 64);
		ret = edu_report_acc(self, a);
		ASSERT_EQ(0, ret);
		busy = edu_dma_busy(_metadata, self);
		in_flight += busy;
		edu_dma_wait(_metadata, self);
		ret = edu_report_acc(self, b);
		ASSERT_EQ(0, ret);
		ASSERT_TRUE(test_bit64(a, page) || test_bit64(b, page))
			TH_LOG("page %" PRIu64 " in neither report", page);
		if (busy) {
			ASSERT_TRUE(test_bit64(b, page))
				TH_LOG("page %" PRIu64 ": in flight at the first report, not in the next", page);
		}
		expect_clean(_metadata, self->d.dev.fd, BUF_IOVA, BUF_LEN,
			     "after the report that followed completion");
	}
	TH_LOG("%u of 8 DMAs in flight at the first report", in_flight);
	ASSERT_LT(0u, in_flight) TH_LOG("no DMA was in flight: nothing tested");
	ASSERT_EQ(0, log_stop(self->d.dev.fd));
}

/*
 * A DMA to RAM in flight at a report, then, right after it completed, the
 * next DMA to RAM before any other report: the first one's pages, written
 * after the report that named them, must be in the next report.
 */
TEST_F_TIMEOUT(edu, back_to_back, 120)
{
	uint64_t a[BUF_PAGES / 64], b[BUF_PAGES / 64];
	unsigned int i, tried = 0, lost = 0;
	uint64_t x, y;
	bool busy;

	ASSERT_EQ(0, log_start1(self->d.dev.fd, PAGE, BUF_IOVA, BUF_LEN));
	for (i = 0; i < 8; i++) {
		x = 2 * i;
		y = 2 * i + 1;
		memset(a, 0, sizeof(a));
		memset(b, 0, sizeof(b));
		edu_dma_to_ram(_metadata, self, BUF_IOVA + x * PAGE + 16, 64);
		ASSERT_EQ(0, edu_report_acc(self, a));
		busy = edu_dma_busy(_metadata, self);
		/* Waits for x to complete, then starts y at once. */
		edu_dma_to_ram(_metadata, self, BUF_IOVA + y * PAGE + 16, 64);
		edu_dma_wait(_metadata, self);
		ASSERT_EQ(0, edu_report_acc(self, b));
		if (busy) {
			tried++;
			if (!test_bit64(b, x)) {
				lost++;
				TH_LOG("page %" PRIu64 ": in flight at a report, landed, next DMA started: not in the next report (y %s)",
				       x, test_bit64(b, y) ? "reported" : "missing");
			}
		}
	}
	TH_LOG("%u of %u in-flight DMAs lost", lost, tried);
	ASSERT_LT(0u, tried);
	ASSERT_EQ(0u, lost);
	ASSERT_EQ(0, log_stop(self->d.dev.fd));
}

/* A DMA started before logging and still running is in the first report. */
TEST_F_TIMEOUT(edu, started_before_logging, 60)
{
	uint64_t want[BUF_PAGES / 64] = { 0 }, got[BUF_PAGES / 64] = { 0 };
	bool busy;

	edu_dma_to_ram(_metadata, self, BUF_IOVA + 9 * PAGE, 100);
	ASSERT_EQ(0, log_start1(self->d.dev.fd, PAGE, BUF_IOVA, BUF_LEN));
	busy = edu_dma_busy(_metadata, self);
	edu_dma_wait(_metadata, self);
	ASSERT_EQ(0, edu_report_acc(self, got));
	set_bit64(want, 9);
	if (busy) {
		ASSERT_TRUE(test_bit64(got, 9))
			TH_LOG("a DMA running at START is not reported");
	} else {
		TH_LOG("the DMA ended before START: nothing tested");
	}
	ASSERT_EQ(0, log_stop(self->d.dev.fd));
}

/* A DMA held while quiesced is reported once it ran. */
TEST_F_TIMEOUT(edu, held_in_p2p, 60)
{
	uint64_t got[BUF_PAGES / 64] = { 0 };
	int fd = self->d.dev.fd;

	ASSERT_EQ(0, log_start1(fd, PAGE, BUF_IOVA, BUF_LEN));
	ASSERT_EQ(0, mig_set(fd, VFIO_DEVICE_STATE_RUNNING_P2P, NULL));
	edu_dma_to_ram(_metadata, self, BUF_IOVA + 33 * PAGE, 8);
	usleep(300000);
	ASSERT_EQ(0, edu_report_acc(self, got));
	ASSERT_EQ(0, mig_set(fd, VFIO_DEVICE_STATE_RUNNING, NULL));
	edu_dma_wait(_metadata, self);
	ASSERT_NE(0, self->d.buf[33 * PAGE]) TH_LOG("the held DMA did not run");
	ASSERT_EQ(0, edu_report_acc(self, got));
	ASSERT_TRUE(test_bit64(got, 33)) TH_LOG("the held DMA is not reported");
	ASSERT_EQ(0, log_stop(fd));
}

/* Close and VFIO_DEVICE_RESET stop logging; STOP then REPORT: EINVAL. */
TEST_F_TIMEOUT(edu, stop_close_reset, 60)
{
	uint64_t bm[BUF_PAGES / 64];
	int fd = self->d.dev.fd;

	ASSERT_EQ(0, log_start1(fd, PAGE, BUF_IOVA, BUF_LEN));
	ASSERT_EQ(0, log_stop(fd));
	ASSERT_EQ(-EINVAL, log_report(fd, BUF_IOVA, BUF_LEN, PAGE, bm));

	ASSERT_EQ(0, log_start1(fd, PAGE, BUF_IOVA, BUF_LEN));
	ASSERT_EQ(0, ioctl(fd, VFIO_DEVICE_RESET)) TH_LOG("reset: %m");
	expect_logging(_metadata, &self->d, false);
	ASSERT_EQ(-EINVAL, log_report(fd, BUF_IOVA, BUF_LEN, PAGE, bm));

	ASSERT_EQ(0, log_start1(fd, PAGE, BUF_IOVA, BUF_LEN));
	dt_close(&self->d);
	expect_logging(_metadata, &self->d, false);
	dt_open(_metadata, &self->d);
	ASSERT_EQ(-EINVAL, log_report(self->d.dev.fd, BUF_IOVA, BUF_LEN, PAGE, bm));
}

/* --- kernels without dirty reporting ------------------------------------- */

FIXTURE(unsupported) {
	struct dt d;
};

FIXTURE_SETUP(unsupported)
{
	dt_init(&self->d);
}

FIXTURE_TEARDOWN_PARENT(unsupported)
{
	dt_remove(&self->d);
}

static void expect_unsupported(struct __test_metadata *_metadata,
			       struct dt *d)
{
	uint64_t bm[BUF_PAGES / 64];
	int fd = d->dev.fd;

	dbg_expect(_metadata, d, "supported",
		   "no (kernel without CONFIG_IOMMUFD_DRIVER)");
	ASSERT_EQ(-ENOTTY, log_probe(fd, VFIO_DEVICE_FEATURE_DMA_LOGGING_START,
				     VFIO_DEVICE_FEATURE_SET));
	ASSERT_EQ(-ENOTTY, log_probe(fd, VFIO_DEVICE_FEATURE_DMA_LOGGING_REPORT,
				     VFIO_DEVICE_FEATURE_GET));
	ASSERT_EQ(-ENOTTY, log_start1(fd, PAGE, BUF_IOVA, BUF_LEN));
	ASSERT_EQ(-ENOTTY, log_report(fd, BUF_IOVA, BUF_LEN, PAGE, bm));
	ASSERT_EQ(-ENOTTY, log_stop(fd));
	expect_logging(_metadata, d, false);
}

TEST_F(unsupported, mock)
{
	const char *vf = getenv("MDEVPT_DIRTY_MOCK_VF");

	if (!vf)
		SKIP(return, "set MDEVPT_DIRTY_MOCK_VF");
	dt_create(_metadata, &self->d, vf, MOCK_MIG_TYPE);
	expect_unsupported(_metadata, &self->d);
	ASSERT_EQ(-ENODATA, mark(&self->d, BUF_IOVA, 1));
}

TEST_F(unsupported, edu)
{
	const char *bdf = getenv("MDEVPT_DIRTY_EDU");
	char text[16];

	if (!bdf)
		SKIP(return, "set MDEVPT_DIRTY_EDU");
	dt_create(_metadata, &self->d, bdf, EDU_MIG_TYPE);
	if (!dbg_read(&self->d, text, sizeof(text)))
		SKIP(return, "%s has no dirty tracking", EDU_MIG_TYPE);
	expect_unsupported(_metadata, &self->d);
}

/* --- the controlling function goes away while logging -------------------- */

FIXTURE(gone) {
	const char *vf, *pf;
	struct dt d;
};

FIXTURE_SETUP(gone)
{
	dt_init(&self->d);
	self->vf = getenv("MDEVPT_GONE_VF");
	self->pf = getenv("MDEVPT_GONE_PF");
	if (!self->vf || !self->pf)
		SKIP(return, "set MDEVPT_GONE_VF and MDEVPT_GONE_PF");
	dt_create(_metadata, &self->d, self->vf, MOCK_MIG_TYPE);
}

FIXTURE_TEARDOWN_PARENT(gone)
{
	/* The close (at the exit of the test's process) too. */
	dt_remove(&self->d);
}

TEST_F(gone, logging)
{
	uint64_t want[BUF_PAGES / 64] = { 0 }, bm[BUF_PAGES / 64];
	struct dt *d = &self->d;
	char path[128];
	int fd = d->dev.fd;

	ASSERT_EQ(0, log_start1(fd, PAGE, BUF_IOVA, BUF_LEN));
	ASSERT_EQ(0, mark(d, BUF_IOVA + PAGE, 1));
	set_bit64(want, 1);
	expect_report(_metadata, fd, BUF_IOVA, BUF_LEN, PAGE, want, "before");
	ASSERT_EQ(0, mark(d, BUF_IOVA + 2 * PAGE, 1));

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver/unbind",
		 self->pf);
	ASSERT_EQ(0, sysfs_write(path, self->pf)) TH_LOG("unbind %s", self->pf);

	ASSERT_EQ(-ENOTCONN, log_report(fd, BUF_IOVA, BUF_LEN, PAGE, bm));
	ASSERT_EQ(-ENOTCONN, log_stop(fd));
	ASSERT_EQ(-ENOTCONN, log_start1(fd, PAGE, BUF_IOVA, BUF_LEN));
	/* The core forgot the session, the plugin dropped its log. */
	expect_logging(_metadata, d, false);
	ASSERT_EQ(-ENODATA, mark(d, BUF_IOVA, 1));
}

TEST_HARNESS_MAIN
