// SPDX-License-Identifier: GPL-2.0-only
/*
 * Live migration through the v1 migration region (VFIO_REGION_TYPE_
 * MIGRATION_DEPRECATED, struct vfio_device_migration_info), driven exactly
 * as QEMU 7.2's hw/vfio/migration.c drives it (shared/reference/
 * userspace-contract.md section C): read-modify-write state changes,
 * pending_bytes / data_offset / data_size loops, 8-byte pread/pwrite pieces
 * or the mmap'd data section, chunked resume writes, config writes and
 * SET_IRQS while RESUMING, the error state.  Fixtures ("-f FIXTURE"):
 *
 *   edu     mdev_pt-edu-migratable instances MDEVPT_MIG_EDU_A (source) and
 *           MDEVPT_MIG_EDU_B (destination), UUIDs;
 *   mock    mdev_pt-mock-migratable instances made by this program on
 *           MDEVPT_MIG_MOCK_VF_A and MDEVPT_MIG_MOCK_VF_B (BDFs).
 */

#include "../vfio/harness.h"

#include "mig_util.h"
#include "../vfio/edu_regs.h"
#include "edu_mig.h"

#define LIVE_ITERS		4

struct side {
	struct vfio_test_device dev;
	struct v1_region r;
	uint64_t bar0;
	bool open;
};

static void side_open(struct __test_metadata *_metadata, struct side *s,
		      const char *uuid, bool mmap_data)
{
	struct vfio_region_info info;
	uint32_t state = 0;

	mig_open(_metadata, &s->dev, uuid);
	s->open = true;
	vfio_test_region_info(_metadata, &s->dev, VFIO_PCI_BAR0_REGION_INDEX,
			      &info);
	s->bar0 = info.offset;
	ASSERT_TRUE(v1_find(_metadata, &s->dev, &s->r, mmap_data))
		TH_LOG("%s has no v1 migration region", uuid);
	/* QEMU never writes RUNNING first: the device must start there. */
	ASSERT_EQ(0, v1_state(&s->r, &state));
	ASSERT_EQ((uint32_t)VFIO_DEVICE_STATE_V1_RUNNING, state);
}

static void side_close(struct side *s)
{
	if (!s->open)
		return;
	v1_unmap(&s->r);
	vfio_test_close(&s->dev);
	s->open = false;
}

static void edu_program(struct __test_metadata *_metadata, struct side *s,
			uint32_t seed, uint32_t *regs)
{
	int fd = s->dev.fd;

	cfg_set_command(_metadata, &s->dev, PCI_COMMAND_MEMORY);
	edu_wait_idle(_metadata, fd, s->bar0);
	bar_write(_metadata, fd, s->bar0, EDU_REG_STATUS, 0);
	bar_write(_metadata, fd, s->bar0, EDU_REG_IRQ_ACK,
		  bar_read(_metadata, fd, s->bar0, EDU_REG_IRQ_STATUS));
	bar_write(_metadata, fd, s->bar0, EDU_REG_LIVENESS, 0x3c000000 ^ seed);
	bar_write(_metadata, fd, s->bar0, EDU_REG_FACTORIAL, 3 + seed % 8);
	edu_wait_idle(_metadata, fd, s->bar0);
	bar_write(_metadata, fd, s->bar0, EDU_REG_STATUS, EDU_STATUS_IRQFACT);
	bar_write(_metadata, fd, s->bar0, EDU_REG_IRQ_RAISE, 0x00200000 | seed << 4);
	bar_write(_metadata, fd, s->bar0, EDU_REG_DMA_SRC, 0x20000 + seed * 8);
	bar_write(_metadata, fd, s->bar0, EDU_REG_DMA_DST, EDU_DMA_BUF + seed % 32);
	bar_write(_metadata, fd, s->bar0, EDU_REG_DMA_COUNT, 8 + seed % 50);
	edu_snapshot(_metadata, fd, s->bar0, regs);
}

/*
 * QEMU's destination side: load_setup (-> RESUMING), one vfio_load_buffer()
 * per chunk the source produced, then the config section (PCI_COMMAND and
 * MSI through SET_IRQS, while still RESUMING), then VM start (-> RUNNING).
 */
static void v1_resume(struct __test_metadata *_metadata, struct side *d,
		      const struct mig_buf *b, const struct v1_chunks *c)
{
	struct vfio_irq_info irq;
	uint64_t off = 0;
	unsigned int i;
	uint32_t state = 0, msi;
	int efd, ret;

	/*
	 * QEMU resets the device at machine start: vfio_pci_pre_reset()
	 * turns decoding and bus mastering off, and the guest's command
	 * register comes back only with the config section, after the data.
	 */
	cfg_write(_metadata, &d->dev, PCI_COMMAND, 2,
		  cfg_read(_metadata, &d->dev, PCI_COMMAND, 2) &
		  ~(PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER));
	ASSERT_EQ(0, v1_set_state(&d->r, ~VFIO_DEVICE_STATE_MASK,
				  VFIO_DEVICE_STATE_V1_RESUMING))
		TH_LOG("RUNNING -> RESUMING with decoding off refused");
	ASSERT_EQ(0, v1_state(&d->r, &state));
	ASSERT_EQ((uint32_t)VFIO_DEVICE_STATE_V1_RESUMING, state);
	for (i = 0; i < c->n; i++) {
		ret = v1_load_buffer(&d->r, b->data + off, c->size[i]);
		ASSERT_EQ(0, ret) TH_LOG("chunk %u of %u: %s", i, c->n, strerror(-ret));
		off += c->size[i];
	}
	ASSERT_EQ(b->len, off);

	/*
	 * vfio_pci_load_config(): config writes, then MSI (edu) or MSI-X
	 * (an NVMe VF has only that) through SET_IRQS, while RESUMING.
	 */
	cfg_set_command(_metadata, &d->dev, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	ASSERT_EQ(0, vfio_test_irq_info(&d->dev, VFIO_PCI_MSI_IRQ_INDEX, &irq));
	msi = irq.count ? VFIO_PCI_MSI_IRQ_INDEX : VFIO_PCI_MSIX_IRQ_INDEX;
	efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ASSERT_LE(0, efd);
	ASSERT_EQ(0, vfio_test_set_irqs(&d->dev, msi, VFIO_IRQ_SET_ACTION_TRIGGER,
					0, 1, &efd))
		TH_LOG("SET_IRQS %s while RESUMING: %m",
		       msi == VFIO_PCI_MSI_IRQ_INDEX ? "MSI" : "MSI-X");
	ASSERT_EQ(0, v1_state(&d->r, &state));
	ASSERT_EQ((uint32_t)VFIO_DEVICE_STATE_V1_RESUMING, state);

	/* VM start: (RESUMING & ~(SAVING|RESUMING)) | RUNNING. */
	ASSERT_EQ(0, v1_set_state(&d->r, ~(VFIO_DEVICE_STATE_V1_SAVING |
					   VFIO_DEVICE_STATE_V1_RESUMING),
				  VFIO_DEVICE_STATE_V1_RUNNING))
		TH_LOG("RESUMING -> RUNNING refused");
	ASSERT_EQ(0, v1_state(&d->r, &state));
	ASSERT_EQ((uint32_t)VFIO_DEVICE_STATE_V1_RUNNING, state);
	ASSERT_EQ(0, vfio_test_set_irqs(&d->dev, msi, VFIO_IRQ_SET_ACTION_TRIGGER,
					0, 0, NULL));
	close(efd);
}

/* --- edu ------------------------------------------------------------------- */

FIXTURE(edu) {
	const char *uuid_a, *uuid_b;
	struct side a, b;
	struct mig_buf stream;
	struct mig_stream s;
	struct v1_chunks *c;
	uint32_t regs_a[EDU_NREGS];
};

FIXTURE_SETUP(edu)
{
	memset(&self->stream, 0, sizeof(self->stream));
	self->a.open = self->b.open = false;
	self->c = calloc(1, sizeof(*self->c));
	ASSERT_NE(NULL, self->c);
	self->uuid_a = getenv("MDEVPT_MIG_EDU_A");
	self->uuid_b = getenv("MDEVPT_MIG_EDU_B");
	if (!self->uuid_a || !self->uuid_b)
		SKIP(return, "set MDEVPT_MIG_EDU_A and MDEVPT_MIG_EDU_B");
}

FIXTURE_TEARDOWN(edu)
{
	side_close(&self->a);
	side_close(&self->b);
	mig_buf_free(&self->stream);
	free(self->c);
}

static void edu_v1_round_trip(struct __test_metadata *_metadata,
			      FIXTURE_DATA(edu) *self, bool mmap_data)
{
	const char *bad;
	uint32_t junk[EDU_NREGS];

	side_open(_metadata, &self->a, self->uuid_a, mmap_data);
	side_open(_metadata, &self->b, self->uuid_b, mmap_data);
	edu_program(_metadata, &self->b, 0x77, junk);
	edu_program(_metadata, &self->a, (uint32_t)getpid() & 0xfff,
		    self->regs_a);

	ASSERT_EQ(0, v1_save(&self->a.r, &self->stream, self->c, LIVE_ITERS));
	bad = mig_parse(self->stream.data, self->stream.len, &self->s);
	ASSERT_EQ(NULL, bad) TH_LOG("v1 stream: %s", bad);
	TH_LOG("%s: %zu bytes in %u chunks", mmap_data ? "mmap" : "pread",
	       self->stream.len, self->c->n);
	v1_resume(_metadata, &self->b, &self->stream, self->c);
	edu_expect_regs(_metadata, self->b.dev.fd, self->b.bar0, self->regs_a);

	/* Migration cancelled/finished on the source: back to RUNNING. */
	ASSERT_EQ(0, v1_set_state(&self->a.r, ~(VFIO_DEVICE_STATE_V1_SAVING |
						VFIO_DEVICE_STATE_V1_RESUMING),
				  VFIO_DEVICE_STATE_V1_RUNNING));
	edu_expect_regs(_metadata, self->a.dev.fd, self->a.bar0, self->regs_a);
}

TEST_F(edu, region_layout)
{
	uint32_t page = getpagesize();

	side_open(_metadata, &self->a, self->uuid_a, false);
	ASSERT_LE(VFIO_PCI_NUM_REGIONS, self->a.r.index);
	ASSERT_FLAGS(self->a.r.flags, VFIO_REGION_INFO_FLAG_READ |
				      VFIO_REGION_INFO_FLAG_WRITE |
				      VFIO_REGION_INFO_FLAG_MMAP);
	ASSERT_LE((uint64_t)page, self->a.r.mmap_off);
	ASSERT_EQ(0ull, self->a.r.mmap_off % page);
	ASSERT_LT(0ull, self->a.r.mmap_size);
	ASSERT_GE(self->a.r.size, self->a.r.mmap_off + self->a.r.mmap_size);
	/* The header is not mappable. */
	ASSERT_EQ(MAP_FAILED, mmap(NULL, page, PROT_READ, MAP_SHARED,
				   self->a.dev.fd, self->a.r.offset));
	TH_LOG("region %d: size %llu, data section %llu+%llu", self->a.r.index,
	       (unsigned long long)self->a.r.size,
	       (unsigned long long)self->a.r.mmap_off,
	       (unsigned long long)self->a.r.mmap_size);
}

/* QEMU without mmap: every data byte moves in 8-byte preads/pwrites. */
TEST_F_TIMEOUT(edu, round_trip_pread, 60)
{
	edu_v1_round_trip(_metadata, self, false);
}

/* QEMU with the data section mmap'd. */
TEST_F_TIMEOUT(edu, round_trip_mmap, 60)
{
	edu_v1_round_trip(_metadata, self, true);
}

/*
 * Header reads have no side effect that fires twice: data_offset and
 * data_size read whole, again, 4+4 and byte by byte give the same values
 * and the stream still comes out whole.
 */
TEST_F_TIMEOUT(edu, split_header_reads, 60)
{
	uint64_t pending, first, again, v;
	uint32_t lo, hi, state;
	uint8_t byte;
	unsigned int i, k;
	uint64_t offs[2] = { V1_DATA_OFFSET, V1_DATA_SIZE };
	uint64_t size;
	const char *bad;
	uint32_t junk[EDU_NREGS];
	struct v1_region *r;

	side_open(_metadata, &self->a, self->uuid_a, false);
	side_open(_metadata, &self->b, self->uuid_b, false);
	r = &self->a.r;
	edu_program(_metadata, &self->b, 0x99, junk);
	edu_program(_metadata, &self->a, 0x123, self->regs_a);
	ASSERT_EQ(0, v1_set_state(r, VFIO_DEVICE_STATE_MASK,
				  VFIO_DEVICE_STATE_V1_SAVING));
	ASSERT_EQ(0, v1_set_state(r, ~VFIO_DEVICE_STATE_V1_RUNNING,
				  VFIO_DEVICE_STATE_V1_SAVING));
	ASSERT_EQ(0, v1_state(r, &state));
	ASSERT_EQ((uint32_t)VFIO_DEVICE_STATE_V1_SAVING, state);

	/* pending_bytes read twice is the same. */
	ASSERT_EQ(0, v1_read_u64(r, V1_PENDING, &pending));
	ASSERT_LT(0ull, pending);
	ASSERT_EQ(0, v1_read_u64(r, V1_PENDING, &v));
	ASSERT_EQ(pending, v);

	for (;;) {
		for (k = 0; k < 2; k++) {
			ASSERT_EQ(0, v1_read_u64(r, offs[k], &first));
			ASSERT_EQ(0, v1_read_u64(r, offs[k], &again));
			ASSERT_EQ(first, again);
			ASSERT_EQ(4, pread(r->fd, &lo, 4, r->offset + offs[k]));
			ASSERT_EQ(4, pread(r->fd, &hi, 4, r->offset + offs[k] + 4));
			ASSERT_EQ(first, (uint64_t)hi << 32 | lo);
			v = 0;
			for (i = 0; i < 8; i++) {
				ASSERT_EQ(1, pread(r->fd, &byte, 1,
						   r->offset + offs[k] + i));
				v |= (uint64_t)byte << (8 * i);
			}
			ASSERT_EQ(first, v);
		}
		ASSERT_EQ(0, v1_save_buffer(r, &self->stream, &size));
		if (!size)
			break;
		self->c->size[self->c->n++] = size;
		ASSERT_EQ(0, v1_read_u64(r, V1_PENDING, &pending));
		if (!pending)
			break;
	}
	ASSERT_EQ(0, v1_set_state(r, ~VFIO_DEVICE_STATE_V1_SAVING, 0));
	bad = mig_parse(self->stream.data, self->stream.len, &self->s);
	ASSERT_EQ(NULL, bad) TH_LOG("stream after split reads: %s", bad);
	v1_resume(_metadata, &self->b, &self->stream, self->c);
	edu_expect_regs(_metadata, self->b.dev.fd, self->b.bar0, self->regs_a);
}

/*
 * A bad chunk: the data_size write fails with EINVAL, device_state reads
 * the error state, VFIO_DEVICE_RESET returns to RUNNING and a good
 * migration works afterwards.
 */
TEST_F_TIMEOUT(edu, bad_chunk_error_state, 60)
{
	struct mig_buf bad = { 0 };
	uint64_t data_offset, size;
	uint32_t state = 0;
	ssize_t n;

	side_open(_metadata, &self->a, self->uuid_a, false);
	side_open(_metadata, &self->b, self->uuid_b, false);
	{
		uint32_t junk[EDU_NREGS];

		edu_program(_metadata, &self->a, 0x456, self->regs_a);
		edu_program(_metadata, &self->b, 0x654, junk);
	}
	ASSERT_EQ(0, v1_save(&self->a.r, &self->stream, self->c, LIVE_ITERS));
	ASSERT_EQ(NULL, mig_parse(self->stream.data, self->stream.len, &self->s));

	/* The header record with its magic damaged (crc then wrong too). */
	ASSERT_EQ(0, mig_buf_append(&bad, self->stream.data, self->stream.len));
	bad.data[self->s.rec[0].payload] ^= 0xff;
	ASSERT_EQ(0, v1_set_state(&self->b.r, ~VFIO_DEVICE_STATE_MASK,
				  VFIO_DEVICE_STATE_V1_RESUMING));
	ASSERT_EQ(0, v1_read_u64(&self->b.r, V1_DATA_OFFSET, &data_offset));
	size = bad.len < self->b.r.size - data_offset ?
		bad.len : self->b.r.size - data_offset;
	ASSERT_EQ(0, v1_rw(&self->b.r, bad.data, size, data_offset, true));
	n = pwrite(self->b.dev.fd, &size, 8, self->b.r.offset + V1_DATA_SIZE);
	ASSERT_EQ(-1, n) TH_LOG("a bad chunk was accepted");
	ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ(0, v1_state(&self->b.r, &state));
	ASSERT_EQ((uint32_t)(VFIO_DEVICE_STATE_V1_SAVING |
			     VFIO_DEVICE_STATE_V1_RESUMING), state);
	/* QEMU would now hw_error(); a management tool resets. */
	ASSERT_EQ(0, ioctl(self->b.dev.fd, VFIO_DEVICE_RESET)) TH_LOG("%m");
	ASSERT_EQ(0, v1_state(&self->b.r, &state));
	ASSERT_EQ((uint32_t)VFIO_DEVICE_STATE_V1_RUNNING, state);
	mig_buf_free(&bad);

	v1_resume(_metadata, &self->b, &self->stream, self->c);
	edu_expect_regs(_metadata, self->b.dev.fd, self->b.bar0, self->regs_a);
}

/* A stream that ends early: leaving RESUMING fails, error state, reset. */
TEST_F_TIMEOUT(edu, truncated_resume, 60)
{
	uint32_t state = 0;
	uint64_t cut;

	side_open(_metadata, &self->a, self->uuid_a, false);
	side_open(_metadata, &self->b, self->uuid_b, false);
	ASSERT_EQ(0, v1_save(&self->a.r, &self->stream, self->c, LIVE_ITERS));
	ASSERT_EQ(NULL, mig_parse(self->stream.data, self->stream.len, &self->s));
	cut = self->s.rec[self->s.n - 1].offset;	/* no END */

	ASSERT_EQ(0, v1_set_state(&self->b.r, ~VFIO_DEVICE_STATE_MASK,
				  VFIO_DEVICE_STATE_V1_RESUMING));
	ASSERT_EQ(0, v1_load_buffer(&self->b.r, self->stream.data, cut));
	ASSERT_EQ(-EINVAL, v1_set_state(&self->b.r,
					~(VFIO_DEVICE_STATE_V1_SAVING |
					  VFIO_DEVICE_STATE_V1_RESUMING),
					VFIO_DEVICE_STATE_V1_RUNNING));
	ASSERT_EQ(0, v1_state(&self->b.r, &state));
	ASSERT_EQ((uint32_t)(VFIO_DEVICE_STATE_V1_SAVING |
			     VFIO_DEVICE_STATE_V1_RESUMING), state);
	ASSERT_EQ(0, ioctl(self->b.dev.fd, VFIO_DEVICE_RESET));
	ASSERT_EQ(0, v1_state(&self->b.r, &state));
	ASSERT_EQ((uint32_t)VFIO_DEVICE_STATE_V1_RUNNING, state);
}

/* v1 and v2 move the same stream: a v1 save resumes through v2. */
TEST_F_TIMEOUT(edu, v1_save_v2_resume, 60)
{
	uint32_t junk[EDU_NREGS];
	const char *step;

	side_open(_metadata, &self->a, self->uuid_a, true);
	side_open(_metadata, &self->b, self->uuid_b, false);
	edu_program(_metadata, &self->b, 0x31, junk);
	edu_program(_metadata, &self->a, 0x13, self->regs_a);
	ASSERT_EQ(0, v1_save(&self->a.r, &self->stream, self->c, LIVE_ITERS));
	ASSERT_EQ(0, mig_v2_load(self->b.dev.fd, self->stream.data,
				 self->stream.len, self->stream.len,
				 VFIO_DEVICE_STATE_RUNNING, &step))
		TH_LOG("v2 resume of a v1 stream failed at %s", step);
	edu_expect_regs(_metadata, self->b.dev.fd, self->b.bar0, self->regs_a);
}

/* --- mock ------------------------------------------------------------------ */

FIXTURE(mock) {
	const char *vf_a, *vf_b;
	char uuid_a[64], uuid_b[64];
	struct side a, b;
	struct mig_buf stream;
	struct v1_chunks *c;
};

FIXTURE_SETUP(mock)
{
	memset(&self->stream, 0, sizeof(self->stream));
	self->uuid_a[0] = self->uuid_b[0] = '\0';
	self->a.open = self->b.open = false;
	self->c = calloc(1, sizeof(*self->c));
	ASSERT_NE(NULL, self->c);
	self->vf_a = getenv("MDEVPT_MIG_MOCK_VF_A");
	self->vf_b = getenv("MDEVPT_MIG_MOCK_VF_B");
	if (!self->vf_a || !self->vf_b)
		SKIP(return, "set MDEVPT_MIG_MOCK_VF_A and MDEVPT_MIG_MOCK_VF_B");
}

FIXTURE_TEARDOWN(mock)
{
	side_close(&self->a);
	side_close(&self->b);
	if (self->uuid_a[0])
		mdev_remove(self->uuid_a);
	if (self->uuid_b[0])
		mdev_remove(self->uuid_b);
	mig_buf_free(&self->stream);
	free(self->c);
}

static void mock_v1_round_trip(struct __test_metadata *_metadata,
			       FIXTURE_DATA(mock) *self, unsigned long size,
			       bool mmap_data)
{
	char sum_a[16], sum_b[16];
	struct mig_stream *s;
	const char *bad;
	uint64_t t0;

	mock_create(_metadata, self->vf_a, self->uuid_a, sizeof(self->uuid_a),
		    size);
	mock_create(_metadata, self->vf_b, self->uuid_b, sizeof(self->uuid_b),
		    size);
	side_open(_metadata, &self->a, self->uuid_a, mmap_data);
	side_open(_metadata, &self->b, self->uuid_b, mmap_data);
	ASSERT_EQ(0, mdev_attr_write(self->uuid_a, "vendor/poke", "0 4096"));
	ASSERT_EQ(0, mdev_attr_str(self->uuid_a, "vendor/checksum", sum_a, 16));

	t0 = now_ms();
	ASSERT_EQ(0, v1_save(&self->a.r, &self->stream, self->c, LIVE_ITERS));
	s = malloc(sizeof(*s));
	ASSERT_NE(NULL, s);
	bad = mig_parse(self->stream.data, self->stream.len, s);
	free(s);
	ASSERT_EQ(NULL, bad) TH_LOG("v1 stream: %s", bad);
	v1_resume(_metadata, &self->b, &self->stream, self->c);
	TH_LOG("%lu bytes by %s: %zu stream bytes in %u chunks, %llu ms", size,
	       mmap_data ? "mmap" : "8-byte pread", self->stream.len,
	       self->c->n, (unsigned long long)(now_ms() - t0));
	ASSERT_EQ(0, mdev_attr_str(self->uuid_b, "vendor/checksum", sum_b, 16));
	ASSERT_STREQ(sum_a, sum_b);
}

TEST_F_TIMEOUT(mock, round_trip_64k_pread, 90)
{
	mock_v1_round_trip(_metadata, self, 65536, false);
}

TEST_F_TIMEOUT(mock, round_trip_4m_mmap, 90)
{
	mock_v1_round_trip(_metadata, self, 4ul << 20, true);
}

TEST_HARNESS_MAIN
