// SPDX-License-Identifier: GPL-2.0-only
/*
 * Live migration through the v2 uAPI (VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE
 * and the data fd) of mdev-pt's migratable types, and the stream format's
 * refusals.  Fixtures, picked with the harness' "-f FIXTURE":
 *
 *   edu     two mdev_pt-edu-migratable instances, MDEVPT_MIG_EDU_A on one
 *           edu and MDEVPT_MIG_EDU_B on the other (UUIDs): the register
 *           round trip, every arc, the data fd's misuse, damaged streams;
 *   mock    mdev_pt-mock-migratable instances this program makes on the
 *           functions MDEVPT_MIG_MOCK_VF_A and MDEVPT_MIG_MOCK_VF_B (BDFs
 *           bound to mdev_pt): round trips at several sizes, pre-copy (6.12),
 *           streams of one type fed to the other;
 *   life    the edu instance A removed during a migration (the REQ path) and
 *           closed during STOP_COPY: nothing may be left behind;
 *   plain   MDEVPT_MIG_PLAIN, an instance of a type without migration: no
 *           v2 feature, no v1 region;
 *   gone    a mock instance on MDEVPT_GONE_VF whose PF MDEVPT_GONE_PF is
 *           unbound from its driver mid-migration (tests/migration/gate.sh).
 *
 * Careful: these tests leave the edu registers in states no DMA may start
 * from; they never set the DMA start bit.
 */

#include "../vfio/harness.h"

#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <linux/userfaultfd.h>

#include "mig_util.h"
#include "../vfio/edu_regs.h"
#include "edu_mig.h"

#define REQ_TIMEOUT_MS		20000
#define REMOVE_TIMEOUT_S	30

/* 6.2 added PRE_COPY and VFIO_MIG_GET_PRECOPY_INFO to the VFIO core. */
static bool kernel_has_precopy(void)
{
	struct utsname u;
	int major = 0, minor = 0;

	if (uname(&u) || sscanf(u.release, "%d.%d", &major, &minor) != 2)
		return false;
	return major > 6 || (major == 6 && minor >= 2);
}

/* --- edu registers ---------------------------------------------------------- */

struct edu_side {
	struct vfio_test_device dev;
	uint64_t bar0;
	bool open;
};

static void edu_side_open(struct __test_metadata *_metadata,
			  struct edu_side *s, const char *uuid)
{
	struct vfio_region_info info;

	mig_open(_metadata, &s->dev, uuid);
	s->open = true;
	ASSERT_EQ(EDU_VENDOR_ID, cfg_read(_metadata, &s->dev, PCI_VENDOR_ID, 2));
	ASSERT_EQ(EDU_DEVICE_ID, cfg_read(_metadata, &s->dev, PCI_DEVICE_ID, 2));
	vfio_test_region_info(_metadata, &s->dev, VFIO_PCI_BAR0_REGION_INDEX,
			      &info);
	s->bar0 = info.offset;
	cfg_set_command(_metadata, &s->dev, PCI_COMMAND_MEMORY);
}

static void edu_side_close(struct edu_side *s)
{
	if (s->open)
		vfio_test_close(&s->dev);
	s->open = false;
}

/*
 * Put distinctive values into every migrating register of @s (a function
 * of @seed) and return what reads back in @regs.
 */
static void edu_program(struct __test_metadata *_metadata, struct edu_side *s,
			uint32_t seed, uint32_t *regs)
{
	struct edu_side *d = s;

	edu_wait_idle(_metadata, d->dev.fd, d->bar0);
	bar_write(_metadata, d->dev.fd, d->bar0, EDU_REG_STATUS, 0);
	bar_write(_metadata, d->dev.fd, d->bar0, EDU_REG_IRQ_ACK,
		  bar_read(_metadata, d->dev.fd, d->bar0, EDU_REG_IRQ_STATUS));
	bar_write(_metadata, d->dev.fd, d->bar0, EDU_REG_LIVENESS, 0x5a000000 ^ seed);
	bar_write(_metadata, d->dev.fd, d->bar0, EDU_REG_FACTORIAL, 5 + seed % 7);
	edu_wait_idle(_metadata, d->dev.fd, d->bar0);
	bar_write(_metadata, d->dev.fd, d->bar0, EDU_REG_STATUS, EDU_STATUS_IRQFACT);
	bar_write(_metadata, d->dev.fd, d->bar0, EDU_REG_IRQ_RAISE,
		  0x00100000 | (seed & 0xff) << 8);
	bar_write(_metadata, d->dev.fd, d->bar0, EDU_REG_DMA_SRC, 0x10000 + seed * 16);
	bar_write(_metadata, d->dev.fd, d->bar0, EDU_REG_DMA_DST, EDU_DMA_BUF + seed % 64);
	bar_write(_metadata, d->dev.fd, d->bar0, EDU_REG_DMA_COUNT, 16 + seed % 100);
	edu_snapshot(_metadata, d->dev.fd, d->bar0, regs);
	ASSERT_EQ(~(0x5a000000 ^ seed), regs[0]);
}

/* --- refusals -------------------------------------------------------------- */

/*
 * Feed @len bytes of a stream the device must refuse into @dev, which is
 * RUNNING: the write or the arc to @final fails with EINVAL, the device is
 * then in ERROR, refuses every arc, and VFIO_DEVICE_RESET brings it back to
 * RUNNING.
 */
static void expect_refused(struct __test_metadata *_metadata,
			   struct vfio_test_device *dev, const void *p,
			   size_t len, uint32_t final, const char *what)
{
	const char *step;
	int ret;

	ASSERT_EQ(VFIO_DEVICE_STATE_RUNNING, mig_get(dev->fd));
	ret = mig_v2_load(dev->fd, p, len, len ? len : 1, final, &step);
	ASSERT_EQ(-EINVAL, ret) TH_LOG("%s: %s gave %d, not EINVAL", what, step, ret);
	ASSERT_STRNE("resuming", step);
	if (!strcmp(step, "write")) {
		/* The device enters ERROR on the next arc attempt. */
		ASSERT_EQ(-EINVAL, mig_set(dev->fd, final, NULL)) TH_LOG("%s", what);
	}
	ASSERT_EQ(VFIO_DEVICE_STATE_ERROR, mig_get(dev->fd)) TH_LOG("%s", what);
	ASSERT_EQ(-EINVAL, mig_set(dev->fd, VFIO_DEVICE_STATE_RUNNING, NULL));
	ASSERT_EQ(-EINVAL, mig_set(dev->fd, VFIO_DEVICE_STATE_STOP, NULL));
	ASSERT_EQ(0, ioctl(dev->fd, VFIO_DEVICE_RESET)) TH_LOG("reset: %m");
	ASSERT_EQ(VFIO_DEVICE_STATE_RUNNING, mig_get(dev->fd)) TH_LOG("%s", what);
}

/* --- edu ------------------------------------------------------------------- */

FIXTURE(edu) {
	struct edu_side a, b;
	const char *uuid_a, *uuid_b;
	uint32_t regs_a[EDU_NREGS];
	struct mig_buf stream;
	struct mig_stream s;
};

FIXTURE_SETUP(edu)
{
	memset(&self->stream, 0, sizeof(self->stream));
	self->uuid_a = getenv("MDEVPT_MIG_EDU_A");
	self->uuid_b = getenv("MDEVPT_MIG_EDU_B");
	if (!self->uuid_a || !self->uuid_b)
		SKIP(return, "set MDEVPT_MIG_EDU_A and MDEVPT_MIG_EDU_B");
	edu_side_open(_metadata, &self->a, self->uuid_a);
	edu_side_open(_metadata, &self->b, self->uuid_b);
}

FIXTURE_TEARDOWN(edu)
{
	mig_buf_free(&self->stream);
	edu_side_close(&self->a);
	edu_side_close(&self->b);
}

/* Program A and save its stream into self->stream (A ends in STOP). */
static void edu_save_a(struct __test_metadata *_metadata,
		       FIXTURE_DATA(edu) *self)
{
	const char *bad;

	edu_program(_metadata, &self->a, (uint32_t)getpid() & 0xffff,
		    self->regs_a);
	ASSERT_EQ(0, mig_v2_save(self->a.dev.fd, &self->stream));
	bad = mig_parse(self->stream.data, self->stream.len, &self->s);
	ASSERT_EQ(NULL, bad) TH_LOG("stream from A: %s", bad);
}

TEST_F(edu, features)
{
	uint64_t flags = 0, len = 0;
	int ret;

	ASSERT_EQ(0, mig_flags(self->a.dev.fd, &flags));
	ASSERT_FLAGS(flags, VFIO_MIGRATION_STOP_COPY | VFIO_MIGRATION_P2P);
	ASSERT_EQ(0u, flags & ~(uint64_t)(VFIO_MIGRATION_STOP_COPY |
					  VFIO_MIGRATION_P2P |
					  VFIO_MIGRATION_PRE_COPY));
	/* A fresh open is RUNNING. */
	ASSERT_EQ(VFIO_DEVICE_STATE_RUNNING, mig_get(self->a.dev.fd));
	ASSERT_EQ(VFIO_DEVICE_STATE_RUNNING, mig_get(self->b.dev.fd));

	/* 6.1's core does not know the feature: mdev-pt answers it there. */
	ret = mig_data_size(self->a.dev.fd, &len);
	ASSERT_EQ(0, ret) TH_LOG("MIG_DATA_SIZE: %s", strerror(-ret));
	ASSERT_LT(0ull, len);
	TH_LOG("stop_copy_length %llu", (unsigned long long)len);
}

/*
 * The v2 sequence: A (edu 1) RUNNING -> STOP_COPY, data fd read to EOF;
 * B (edu 2) RUNNING -> RESUMING, the stream written, -> RUNNING; B's
 * registers are then A's.
 */
TEST_F_TIMEOUT(edu, round_trip, 60)
{
	char type[64], compat[256], want[256];
	uint32_t regs_b[EDU_NREGS];
	const char *step;
	unsigned int i;
	bool differ = false;

	edu_program(_metadata, &self->b, 0xbeef, regs_b);
	edu_save_a(_metadata, self);
	for (i = 0; i < EDU_NREGS; i++)
		differ |= regs_b[i] != self->regs_a[i];
	ASSERT_TRUE(differ);

	mig_rec_str(self->stream.data, &self->s, 1, type, sizeof(type));
	ASSERT_STREQ("edu-migratable", type);
	mig_rec_str(self->stream.data, &self->s, 2, compat, sizeof(compat));
	ASSERT_EQ(0, mdev_attr_str(self->uuid_a, "migration_compatibility",
				   want, sizeof(want)));
	ASSERT_STREQ(want, compat);
	TH_LOG("stream: %zu bytes, %u records, %llu data bytes", self->stream.len,
	       self->s.n, (unsigned long long)self->s.data_bytes);

	/*
	 * As a VMM does: the destination device was reset (decoding off),
	 * the state goes in while RESUMING, the config (decoding on) comes
	 * after it, and only then does the device run.
	 */
	cfg_write(_metadata, &self->b.dev, PCI_COMMAND, 2,
		  cfg_read(_metadata, &self->b.dev, PCI_COMMAND, 2) &
		  ~(PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER));
	ASSERT_EQ(0, mig_v2_load(self->b.dev.fd, self->stream.data,
				 self->stream.len, self->stream.len,
				 VFIO_DEVICE_STATE_STOP, &step))
		TH_LOG("resume with decoding off failed at %s", step);
	cfg_set_command(_metadata, &self->b.dev, PCI_COMMAND_MEMORY);
	ASSERT_EQ(0, mig_set(self->b.dev.fd, VFIO_DEVICE_STATE_RUNNING, NULL));
	ASSERT_EQ(VFIO_DEVICE_STATE_RUNNING, mig_get(self->b.dev.fd));
	edu_expect_regs(_metadata, self->b.dev.fd, self->b.bar0, self->regs_a);

	/* The source can run again, its state intact. */
	ASSERT_EQ(VFIO_DEVICE_STATE_STOP, mig_get(self->a.dev.fd));
	ASSERT_EQ(0, mig_set(self->a.dev.fd, VFIO_DEVICE_STATE_RUNNING, NULL));
	edu_expect_regs(_metadata, self->a.dev.fd, self->a.bar0, self->regs_a);

	/* The resumed device works: a new factorial. */
	bar_write(_metadata, self->b.dev.fd, self->b.bar0, EDU_REG_FACTORIAL, 4);
	edu_wait_idle(_metadata, self->b.dev.fd, self->b.bar0);
	ASSERT_EQ(24u, bar_read(_metadata, self->b.dev.fd, self->b.bar0,
				EDU_REG_FACTORIAL));
}

/* The same stream written in small odd pieces resumes the same. */
TEST_F_TIMEOUT(edu, round_trip_small_writes, 60)
{
	const char *step;

	edu_save_a(_metadata, self);
	ASSERT_EQ(0, mig_v2_load(self->b.dev.fd, self->stream.data,
				 self->stream.len, 7, VFIO_DEVICE_STATE_STOP,
				 &step))
		TH_LOG("resume failed at %s", step);
	ASSERT_EQ(0, mig_set(self->b.dev.fd, VFIO_DEVICE_STATE_RUNNING, NULL));
	edu_expect_regs(_metadata, self->b.dev.fd, self->b.bar0, self->regs_a);
}

struct arc {
	uint32_t to;
	bool fd;	/* the arc returns a data fd */
};

/*
 * Every arc of the FSM the type supports (STOP_COPY | P2P), including the
 * combination arcs the core splits up; each leaves the device in the state
 * asked for, with a data fd exactly when a session starts.
 */
TEST_F_TIMEOUT(edu, valid_arcs, 60)
{
	static const struct arc arcs[] = {
		{ VFIO_DEVICE_STATE_RUNNING_P2P, false },
		{ VFIO_DEVICE_STATE_RUNNING, false },
		{ VFIO_DEVICE_STATE_RUNNING, false },		/* to itself */
		{ VFIO_DEVICE_STATE_RUNNING_P2P, false },
		{ VFIO_DEVICE_STATE_STOP, false },
		{ VFIO_DEVICE_STATE_STOP, false },
		{ VFIO_DEVICE_STATE_RUNNING_P2P, false },
		{ VFIO_DEVICE_STATE_STOP, false },
		{ VFIO_DEVICE_STATE_RUNNING, false },		/* STOP -> P2P -> RUNNING */
		{ VFIO_DEVICE_STATE_STOP, false },		/* RUNNING -> P2P -> STOP */
		{ VFIO_DEVICE_STATE_STOP_COPY, true },
		{ VFIO_DEVICE_STATE_STOP_COPY, false },	/* to itself: no new fd */
		{ VFIO_DEVICE_STATE_STOP, false },
		{ VFIO_DEVICE_STATE_STOP_COPY, true },
		{ VFIO_DEVICE_STATE_RUNNING, false },		/* STOP_COPY -> STOP -> ... */
		{ VFIO_DEVICE_STATE_STOP_COPY, true },	/* RUNNING -> ... -> STOP_COPY */
		{ VFIO_DEVICE_STATE_RUNNING_P2P, false },
		{ VFIO_DEVICE_STATE_STOP_COPY, true },
		{ VFIO_DEVICE_STATE_STOP, false },
	};
	unsigned int i;
	int fd;

	for (i = 0; i < ARRAY_SIZE(arcs); i++) {
		ASSERT_EQ(0, mig_set(self->b.dev.fd, arcs[i].to, &fd))
			TH_LOG("arc %u to state %u", i, arcs[i].to);
		ASSERT_EQ(arcs[i].fd, fd >= 0) TH_LOG("arc %u: data fd %d", i, fd);
		if (fd >= 0)
			close(fd);
		ASSERT_EQ((int)arcs[i].to, mig_get(self->b.dev.fd));
	}

	/*
	 * STOP -> RESUMING -> STOP with a complete stream (B's own), then
	 * RUNNING -> RESUMING -> RUNNING and RESUMING -> STOP_COPY.
	 */
	ASSERT_EQ(0, mig_set(self->b.dev.fd, VFIO_DEVICE_STATE_RUNNING, NULL));
	ASSERT_EQ(0, mig_v2_save(self->b.dev.fd, &self->stream));
	ASSERT_EQ(VFIO_DEVICE_STATE_STOP, mig_get(self->b.dev.fd));
	ASSERT_EQ(0, mig_set(self->b.dev.fd, VFIO_DEVICE_STATE_RESUMING, &fd));
	ASSERT_LE(0, fd);
	ASSERT_EQ(VFIO_DEVICE_STATE_RESUMING, mig_get(self->b.dev.fd));
	ASSERT_EQ(0, mig_write_all(fd, self->stream.data, self->stream.len, 4096));
	close(fd);
	ASSERT_EQ(0, mig_set(self->b.dev.fd, VFIO_DEVICE_STATE_STOP, NULL));
	ASSERT_EQ(VFIO_DEVICE_STATE_STOP, mig_get(self->b.dev.fd));

	ASSERT_EQ(0, mig_set(self->b.dev.fd, VFIO_DEVICE_STATE_RUNNING, NULL));
	ASSERT_EQ(0, mig_set(self->b.dev.fd, VFIO_DEVICE_STATE_RESUMING, &fd));
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, mig_write_all(fd, self->stream.data, self->stream.len, 4096));
	close(fd);
	ASSERT_EQ(0, mig_set(self->b.dev.fd, VFIO_DEVICE_STATE_STOP_COPY, &fd));
	ASSERT_LE(0, fd);
	close(fd);
	ASSERT_EQ(0, mig_set(self->b.dev.fd, VFIO_DEVICE_STATE_RUNNING, NULL));
	ASSERT_EQ(VFIO_DEVICE_STATE_RUNNING, mig_get(self->b.dev.fd));
}

/* Arcs to states that do not exist or the type lacks are refused. */
TEST_F(edu, invalid_arcs)
{
	static const uint32_t bad[] = {
		VFIO_DEVICE_STATE_ERROR, MIG_STATE_PRE_COPY,
		MIG_STATE_PRE_COPY_P2P, MIG_STATE_NR, 99, 0xffffffff,
	};
	uint64_t flags = 0;
	unsigned int i, from;
	static const uint32_t froms[] = {
		VFIO_DEVICE_STATE_RUNNING, VFIO_DEVICE_STATE_STOP,
		VFIO_DEVICE_STATE_RUNNING_P2P, VFIO_DEVICE_STATE_STOP_COPY,
	};
	int fd;

	ASSERT_EQ(0, mig_flags(self->b.dev.fd, &flags));
	for (from = 0; from < ARRAY_SIZE(froms); from++) {
		ASSERT_EQ(0, mig_set(self->b.dev.fd, froms[from], &fd));
		for (i = 0; i < ARRAY_SIZE(bad); i++) {
			/* The pre-copy states exist only with PRE_COPY. */
			if ((bad[i] == MIG_STATE_PRE_COPY ||
			     bad[i] == MIG_STATE_PRE_COPY_P2P) &&
			    (flags & VFIO_MIGRATION_PRE_COPY))
				continue;
			EXPECT_EQ(-EINVAL, mig_set(self->b.dev.fd, bad[i], NULL))
				TH_LOG("%u -> %u", froms[from], bad[i]);
			ASSERT_EQ((int)froms[from], mig_get(self->b.dev.fd))
				TH_LOG("a refused arc changed the state");
		}
		if (fd >= 0)
			close(fd);
	}
	ASSERT_EQ(0, mig_set(self->b.dev.fd, VFIO_DEVICE_STATE_RUNNING, NULL));
}

/* The data fds: one direction each, no seeking, dead after the session. */
TEST_F_TIMEOUT(edu, data_fd_misuse, 60)
{
	uint8_t buf[64];
	off_t pos;
	int sfd, rfd;

	ASSERT_EQ(0, mig_set(self->a.dev.fd, VFIO_DEVICE_STATE_STOP_COPY, &sfd));
	ASSERT_LE(0, sfd);
	/* A saving fd is not writable. */
	memset(buf, 0, sizeof(buf));
	ASSERT_EQ(-1, write(sfd, buf, sizeof(buf)));
	ASSERT_EQ(EBADF, errno);
	/* Streams do not seek. */
	pos = lseek(sfd, 0, SEEK_SET);
	ASSERT_EQ((off_t)-1, pos);
	ASSERT_EQ(ESPIPE, errno);
	ASSERT_EQ(-1, pread(sfd, buf, 8, 0));
	ASSERT_EQ(ESPIPE, errno);
	/* Partly read, then the state changes: the fd is dead. */
	ASSERT_EQ(16, read(sfd, buf, 16));
	ASSERT_EQ(0, mig_set(self->a.dev.fd, VFIO_DEVICE_STATE_STOP, NULL));
	errno = 0;
	ASSERT_EQ(-1, read(sfd, buf, sizeof(buf)))
		TH_LOG("read after leaving STOP_COPY did not fail");
	TH_LOG("read after the state changed: %s", strerrorname_np(errno));
	ASSERT_NE(EAGAIN, errno);
	close(sfd);

	/* A new session starts from the beginning. */
	ASSERT_EQ(0, mig_v2_save(self->a.dev.fd, &self->stream));
	ASSERT_EQ(NULL, mig_parse(self->stream.data, self->stream.len, &self->s));

	ASSERT_EQ(0, mig_set(self->b.dev.fd, VFIO_DEVICE_STATE_RESUMING, &rfd));
	ASSERT_LE(0, rfd);
	/* A resuming fd is not readable and does not seek. */
	ASSERT_EQ(-1, read(rfd, buf, sizeof(buf)));
	ASSERT_EQ(EBADF, errno);
	ASSERT_EQ((off_t)-1, lseek(rfd, 0, SEEK_CUR));
	ASSERT_EQ(ESPIPE, errno);
	ASSERT_EQ(-1, pwrite(rfd, self->stream.data, 8, 0));
	ASSERT_EQ(ESPIPE, errno);
	ASSERT_EQ(0, mig_write_all(rfd, self->stream.data, self->stream.len,
				   self->stream.len));
	ASSERT_EQ(0, mig_set(self->b.dev.fd, VFIO_DEVICE_STATE_RUNNING, NULL));
	/* The session is over: more writes fail. */
	ASSERT_EQ(-1, write(rfd, self->stream.data, 8))
		TH_LOG("write after leaving RESUMING did not fail");
	TH_LOG("write after the state changed: %s", strerrorname_np(errno));
	close(rfd);

	/* VFIO_DEVICE_RESET in STOP_COPY ends the session: back to RUNNING. */
	ASSERT_EQ(0, mig_set(self->a.dev.fd, VFIO_DEVICE_STATE_STOP_COPY, &sfd));
	ASSERT_LE(0, sfd);
	ASSERT_EQ(0, ioctl(self->a.dev.fd, VFIO_DEVICE_RESET)) TH_LOG("%m");
	ASSERT_EQ(VFIO_DEVICE_STATE_RUNNING, mig_get(self->a.dev.fd));
	ASSERT_EQ(-1, read(sfd, buf, sizeof(buf)))
		TH_LOG("read after a reset did not fail");
	close(sfd);
}

/* --- a read stopped inside the driver --------------------------------------- */

/*
 * A page on userfaultfd: the first access to it, by the kernel copying a
 * data fd read into it, stops until the test lets it go on.
 */
struct uffd_stall {
	int uffd;			/* -1: no userfaultfd here */
	void *page;
	char *src;
};

static void uffd_stall_init(struct __test_metadata *_metadata,
			    struct uffd_stall *st)
{
	struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_MISSING };
	struct uffdio_api api = { .api = UFFD_API };

	st->page = NULL;
	st->src = NULL;
	st->uffd = syscall(SYS_userfaultfd, O_CLOEXEC);
	if (st->uffd < 0)
		return;
	ASSERT_EQ(0, ioctl(st->uffd, UFFDIO_API, &api));
	st->page = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, st->page);
	reg.range.start = (unsigned long)st->page;
	reg.range.len = 4096;
	ASSERT_EQ(0, ioctl(st->uffd, UFFDIO_REGISTER, &reg));
	st->src = aligned_alloc(4096, 4096);
	ASSERT_NE(NULL, st->src);
	memset(st->src, 0, 4096);
}

/* Wait until an access stopped on the page. */
static void uffd_stall_wait(struct __test_metadata *_metadata,
			    struct uffd_stall *st)
{
	struct pollfd pfd = { .fd = st->uffd, .events = POLLIN };
	struct uffd_msg msg;

	ASSERT_EQ(1, poll(&pfd, 1, 30000)) TH_LOG("nothing faulted on the page");
	ASSERT_EQ((ssize_t)sizeof(msg), read(st->uffd, &msg, sizeof(msg)));
	ASSERT_EQ(UFFD_EVENT_PAGEFAULT, msg.event);
}

/* Let the stopped access go on. */
static void uffd_stall_release(struct __test_metadata *_metadata,
			       struct uffd_stall *st)
{
	struct uffdio_copy copy = {
		.dst = (unsigned long)st->page,
		.src = (unsigned long)st->src,
		.len = 4096,
	};

	ASSERT_EQ(0, ioctl(st->uffd, UFFDIO_COPY, &copy));
}

static void uffd_stall_free(struct uffd_stall *st)
{
	if (st->uffd >= 0)
		close(st->uffd);
	if (st->page)
		munmap(st->page, 4096);
	free(st->src);
}

/*
 * Two threads: a read of a data fd into a stalled page, and a call that
 * must wait for it.
 */
struct race {
	int dev_fd, data_fd;
	void *page;
	ssize_t read_ret;
	int read_err;
	int (*call)(struct race *r);
	int call_ret;
	pid_t call_tid;
	bool call_done;
};

static void *race_read(void *arg)
{
	struct race *r = arg;

	r->read_ret = read(r->data_fd, r->page, 4096);
	r->read_err = errno;
	return NULL;
}

static void *race_call(void *arg)
{
	struct race *r = arg;

	__atomic_store_n(&r->call_tid, gettid(), __ATOMIC_RELEASE);
	r->call_ret = r->call(r);
	__atomic_store_n(&r->call_done, true, __ATOMIC_RELEASE);
	return NULL;
}

static bool race_call_done(struct race *r)
{
	return __atomic_load_n(&r->call_done, __ATOMIC_ACQUIRE);
}

/*
 * Start a read of @r->data_fd into a stalled page, then r->call() in a
 * second thread: the call must wait in the core's migration code while
 * the read is inside the driver, and both must return once the read goes
 * on.
 */
static void race_run(struct __test_metadata *_metadata, struct race *r)
{
	struct uffd_stall st;
	pthread_t reader, caller;
	char path[64];
	int i;

	uffd_stall_init(_metadata, &st);
	if (st.uffd < 0)
		SKIP(return, "no userfaultfd: %s", strerror(errno));
	r->page = st.page;
	ASSERT_EQ(0, pthread_create(&reader, NULL, race_read, r));
	uffd_stall_wait(_metadata, &st);

	ASSERT_EQ(0, pthread_create(&caller, NULL, race_call, r));
	for (i = 0; i < 300; i++) {
		pid_t tid = __atomic_load_n(&r->call_tid, __ATOMIC_ACQUIRE);

		snprintf(path, sizeof(path), "/proc/self/task/%d/stack", tid);
		if (race_call_done(r) ||
		    (tid && proc_stack_top_in(path, "mdev_pt_mig_")))
			break;
		usleep(100000);
	}
	ASSERT_FALSE(race_call_done(r))
		TH_LOG("the call did not wait for the read in flight");
	ASSERT_LT(i, 300) TH_LOG("the call never waited for the read");

	uffd_stall_release(_metadata, &st);
	for (i = 0; i < 200 && !race_call_done(r); i++)
		usleep(100000);
	/* A deadlocked test cannot end: say so before the harness waits. */
	ASSERT_TRUE(race_call_done(r))
		TH_LOG("the call and the data fd read deadlocked");
	pthread_join(caller, NULL);
	pthread_join(reader, NULL);
	ASSERT_LT(0, r->read_ret) TH_LOG("read: %s", strerror(r->read_err));
	uffd_stall_free(&st);
}

static int race_reset(struct race *r)
{
	return ioctl(r->dev_fd, VFIO_DEVICE_RESET) ? -errno : 0;
}

/*
 * VFIO_DEVICE_RESET while a read of the data fd is inside the driver,
 * stopped on a userfaultfd page after the stream's preamble: the reset
 * waits for the read, the read then goes on to the plugin's save (which
 * reads the registers under vfio_pci_core's memory_lock), and both return.
 * The reset used to drop the data file from reset_done, holding
 * memory_lock: a deadlock that lockdep reported on the debug kernel.
 */
TEST_F_TIMEOUT(edu, reset_while_reading, 90)
{
	struct race r = { .dev_fd = self->a.dev.fd, .call = race_reset };
	char buf[64];

	ASSERT_EQ(0, mig_set(self->a.dev.fd, VFIO_DEVICE_STATE_STOP_COPY,
			     &r.data_fd));
	ASSERT_LE(0, r.data_fd);
	race_run(_metadata, &r);
	ASSERT_EQ(0, r.call_ret) TH_LOG("reset: %s", strerror(-r.call_ret));
	ASSERT_EQ(VFIO_DEVICE_STATE_RUNNING, mig_get(self->a.dev.fd));
	ASSERT_EQ(-1, read(r.data_fd, buf, sizeof(buf)))
		TH_LOG("the session survived the reset");
	close(r.data_fd);
}

static int race_data_size(struct race *r)
{
	uint64_t len;

	return mig_data_size(r->dev_fd, &len);
}

/*
 * The plugin's migration callbacks run one at a time: a
 * VFIO_DEVICE_FEATURE_MIG_DATA_SIZE query (the plugin's save_pending)
 * waits while a data fd read (the plugin's save) is inside the driver.  It
 * used to run beside the read, racing on the edu plugin's "sent" flag.
 */
TEST_F_TIMEOUT(edu, data_size_waits_for_read, 90)
{
	struct race r = { .dev_fd = self->a.dev.fd, .call = race_data_size };

	ASSERT_EQ(0, mig_set(self->a.dev.fd, VFIO_DEVICE_STATE_STOP_COPY,
			     &r.data_fd));
	ASSERT_LE(0, r.data_fd);
	race_run(_metadata, &r);
	ASSERT_EQ(0, r.call_ret) TH_LOG("MIG_DATA_SIZE: %s", strerror(-r.call_ret));
	close(r.data_fd);
	ASSERT_EQ(0, mig_set(self->a.dev.fd, VFIO_DEVICE_STATE_RUNNING, NULL));
}

struct hammer {
	int dev_fd;
	bool stop;
	unsigned long queries, errors;
};

static void *hammer_data_size(void *arg)
{
	struct hammer *h = arg;
	uint64_t len;

	while (!__atomic_load_n(&h->stop, __ATOMIC_ACQUIRE)) {
		if (mig_data_size(h->dev_fd, &len))
			h->errors++;
		__atomic_add_fetch(&h->queries, 1, __ATOMIC_RELEASE);
		sched_yield();
	}
	return NULL;
}

/*
 * MIG_DATA_SIZE queries hammering a save read in 1-byte pieces: the
 * stream stays whole and loads on B with A's registers.
 */
TEST_F_TIMEOUT(edu, data_size_hammers_read, 120)
{
	struct hammer h = { .dev_fd = self->a.dev.fd };
	uint32_t regs_b[EDU_NREGS];
	const char *bad, *step;
	pthread_t t;
	int dfd, i;
	uint8_t c;

	edu_program(_metadata, &self->a, 0x77, self->regs_a);
	ASSERT_EQ(0, mig_set(self->a.dev.fd, VFIO_DEVICE_STATE_STOP_COPY, &dfd));
	ASSERT_EQ(0, pthread_create(&t, NULL, hammer_data_size, &h));
	while (!__atomic_load_n(&h.queries, __ATOMIC_ACQUIRE))
		usleep(1000);
	for (i = 0; i < 1 << 16; i++) {
		ssize_t n = read(dfd, &c, 1);

		if (n <= 0)
			break;
		ASSERT_EQ(0, mig_buf_append(&self->stream, &c, 1));
	}
	__atomic_store_n(&h.stop, true, __ATOMIC_RELEASE);
	pthread_join(t, NULL);
	close(dfd);
	TH_LOG("%lu queries beside %zu one-byte reads", h.queries,
	       self->stream.len);
	ASSERT_EQ(0ul, h.errors);
	bad = mig_parse(self->stream.data, self->stream.len, &self->s);
	ASSERT_EQ(NULL, bad) TH_LOG("stream: %s", bad);
	ASSERT_EQ(0, mig_v2_load(self->b.dev.fd, self->stream.data,
				 self->stream.len, self->stream.len,
				 VFIO_DEVICE_STATE_RUNNING, &step))
		TH_LOG("resume failed at %s", step);
	edu_snapshot(_metadata, self->b.dev.fd, self->b.bar0, regs_b);
	ASSERT_EQ(0, memcmp(self->regs_a, regs_b, sizeof(regs_b)));
	ASSERT_EQ(0, mig_set(self->a.dev.fd, VFIO_DEVICE_STATE_RUNNING, NULL));
}

#define P2P_IOVA	0x100000ull
#define P2P_DMA_LEN	64u

/*
 * Quiesced (RUNNING_P2P), edu-migratable starts no DMA: a start command
 * written then is held (the command register shows it running), nothing
 * reaches guest memory and no completion is flagged; back in RUNNING it
 * runs.  Before quiesce existed RUNNING_P2P was RUNNING and the DMA ran.
 */
TEST_F_TIMEOUT(edu, p2p_holds_dma, 60)
{
	struct vfio_iommu_type1_dma_map map = { .argsz = sizeof(map) };
	struct vfio_iommu_type1_dma_unmap unmap = { .argsz = sizeof(unmap) };
	int fd = self->a.dev.fd;
	uint64_t bar0 = self->a.bar0;
	uint8_t *ram, *pat;
	unsigned int i;
	uint32_t cmd;

	ram = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, ram);
	pat = malloc(P2P_DMA_LEN);
	ASSERT_NE(NULL, pat);
	map.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE;
	map.vaddr = (uintptr_t)ram;
	map.iova = P2P_IOVA;
	map.size = 4096;
	ASSERT_EQ(0, ioctl(self->a.dev.container, VFIO_IOMMU_MAP_DMA, &map))
		TH_LOG("MAP_DMA: %m");
	cfg_set_command(_metadata, &self->a.dev,
			PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);

	/* A pattern into the device's buffer, RUNNING. */
	for (i = 0; i < P2P_DMA_LEN; i++)
		pat[i] = ram[i] = (uint8_t)(0xc3 ^ i ^ getpid());
	edu_wait_idle(_metadata, fd, bar0);
	bar_write(_metadata, fd, bar0, EDU_REG_IRQ_ACK, ~0u);
	bar_write(_metadata, fd, bar0, EDU_REG_DMA_SRC, P2P_IOVA);
	bar_write(_metadata, fd, bar0, EDU_REG_DMA_DST, EDU_DMA_BUF);
	bar_write(_metadata, fd, bar0, EDU_REG_DMA_COUNT, P2P_DMA_LEN);
	bar_write(_metadata, fd, bar0, EDU_REG_DMA_CMD, EDU_DMA_START);
	edu_wait_dma(_metadata, fd, bar0);
	memset(ram, 0x5a, 4096);

	/* Quiesced: device -> RAM with a completion IRQ is held. */
	ASSERT_EQ(0, mig_set(fd, VFIO_DEVICE_STATE_RUNNING_P2P, NULL));
	bar_write(_metadata, fd, bar0, EDU_REG_DMA_SRC, EDU_DMA_BUF);
	bar_write(_metadata, fd, bar0, EDU_REG_DMA_DST, P2P_IOVA);
	bar_write(_metadata, fd, bar0, EDU_REG_DMA_CMD,
		  EDU_DMA_START | EDU_DMA_TO_RAM | EDU_DMA_IRQ);
	usleep(500000);		/* a DMA takes about 100 ms */
	cmd = bar_read(_metadata, fd, bar0, EDU_REG_DMA_CMD);
	ASSERT_EQ((uint32_t)(EDU_DMA_START | EDU_DMA_TO_RAM | EDU_DMA_IRQ), cmd);
	ASSERT_EQ(0u, bar_read(_metadata, fd, bar0, EDU_REG_IRQ_STATUS) &
		      EDU_IRQ_DMA)
		TH_LOG("the DMA ran in RUNNING_P2P");
	for (i = 0; i < P2P_DMA_LEN; i++)
		ASSERT_EQ(0x5a, ram[i]) TH_LOG("byte %u written in RUNNING_P2P", i);

	/* RUNNING: it runs. */
	ASSERT_EQ(0, mig_set(fd, VFIO_DEVICE_STATE_RUNNING, NULL));
	edu_wait_dma(_metadata, fd, bar0);
	ASSERT_EQ(EDU_IRQ_DMA, bar_read(_metadata, fd, bar0,
					EDU_REG_IRQ_STATUS) & EDU_IRQ_DMA);
	ASSERT_EQ(0, memcmp(pat, ram, P2P_DMA_LEN));
	bar_write(_metadata, fd, bar0, EDU_REG_IRQ_ACK, ~0u);

	unmap.iova = P2P_IOVA;
	unmap.size = 4096;
	ASSERT_EQ(0, ioctl(self->a.dev.container, VFIO_IOMMU_UNMAP_DMA, &unmap));
	munmap(ram, 4096);
	free(pat);
}

/* A bit flipped in the payload of every kind of record. */
TEST_F_TIMEOUT(edu, corrupted_records, 90)
{
	struct mig_buf bad = { 0 };
	unsigned int i;
	char what[64];

	edu_save_a(_metadata, self);
	for (i = 0; i < self->s.n; i++) {
		/* One DATA record is enough. */
		if (i > 3 && self->s.rec[i].tag == MDEV_PT_MIG_TAG_DATA)
			continue;
		ASSERT_LT(0ull, self->s.rec[i].length);
		bad.len = 0;
		ASSERT_EQ(0, mig_buf_append(&bad, self->stream.data, self->stream.len));
		bad.data[self->s.rec[i].payload + self->s.rec[i].length / 2] ^= 0x10;
		snprintf(what, sizeof(what), "payload of record %u (tag %u)", i,
			 self->s.rec[i].tag);
		expect_refused(_metadata, &self->b.dev, bad.data, bad.len,
			       VFIO_DEVICE_STATE_RUNNING, what);
	}

	/* The crc field itself, and an impossible length. */
	bad.len = 0;
	ASSERT_EQ(0, mig_buf_append(&bad, self->stream.data, self->stream.len));
	bad.data[self->s.rec[1].offset + 4] ^= 1;
	expect_refused(_metadata, &self->b.dev, bad.data, bad.len,
		       VFIO_DEVICE_STATE_RUNNING, "crc field");
	bad.len = 0;
	ASSERT_EQ(0, mig_buf_append(&bad, self->stream.data, self->stream.len));
	bad.data[self->s.rec[3].offset + 15] ^= 0x80;
	expect_refused(_metadata, &self->b.dev, bad.data, bad.len,
		       VFIO_DEVICE_STATE_RUNNING, "length 2^63 + n");
	mig_buf_free(&bad);

	/* After all that, the good stream still resumes. */
	{
		const char *step;

		ASSERT_EQ(0, mig_v2_load(self->b.dev.fd, self->stream.data,
					 self->stream.len, self->stream.len,
					 VFIO_DEVICE_STATE_RUNNING, &step))
			TH_LOG("resume failed at %s", step);
		edu_expect_regs(_metadata, self->b.dev.fd, self->b.bar0, self->regs_a);
	}
}

/* Streams cut short: RESUMING -> STOP fails. */
TEST_F_TIMEOUT(edu, truncated, 60)
{
	size_t cuts[6];
	unsigned int i;
	char what[64];

	edu_save_a(_metadata, self);
	cuts[0] = 0;					/* nothing */
	cuts[1] = 8;					/* half a header */
	cuts[2] = self->s.rec[3].offset;		/* no DATA, no END */
	cuts[3] = self->s.rec[3].payload + 4;		/* inside DATA */
	cuts[4] = self->s.rec[self->s.n - 1].offset;	/* no END */
	cuts[5] = self->stream.len - 1;			/* END's last byte */
	for (i = 0; i < ARRAY_SIZE(cuts); i++) {
		snprintf(what, sizeof(what), "cut at %zu of %zu", cuts[i],
			 self->stream.len);
		expect_refused(_metadata, &self->b.dev, self->stream.data,
			       cuts[i], VFIO_DEVICE_STATE_STOP, what);
	}
}

enum hdr_edit { HDR_MAGIC, HDR_MAJOR, HDR_MINOR };

/*
 * Rebuild the stream in @out: HEADER edited as @edit says, TYPE and COMPAT
 * replaced if given, @extra_tag (if not 0) inserted after COMPAT and before
 * END, everything else copied.
 */
static void rebuild(struct __test_metadata *_metadata, FIXTURE_DATA(edu) *self,
		    struct mig_buf *out, int edit, const char *type,
		    const char *compat, uint32_t extra_tag)
{
	struct mdev_pt_mig_header h;
	unsigned int i;

	out->len = 0;
	memcpy(&h, self->stream.data + self->s.rec[0].payload, sizeof(h));
	if (edit == HDR_MAGIC)
		h.magic = htole32(0x5450444e);
	else if (edit == HDR_MAJOR)
		h.major = htole16(le16toh(h.major) + 1);
	else if (edit == HDR_MINOR)
		h.minor = htole16(le16toh(h.minor) + 1);
	ASSERT_EQ(0, mig_emit(out, MDEV_PT_MIG_TAG_HEADER, &h, sizeof(h)));
	if (type) {
		ASSERT_EQ(0, mig_emit(out, MDEV_PT_MIG_TAG_TYPE, type, strlen(type)));
	} else {
		ASSERT_EQ(0, mig_copy_rec(out, self->stream.data, &self->s, 1));
	}
	if (compat) {
		ASSERT_EQ(0, mig_emit(out, MDEV_PT_MIG_TAG_COMPAT, compat,
				      strlen(compat)));
	} else {
		ASSERT_EQ(0, mig_copy_rec(out, self->stream.data, &self->s, 2));
	}
	if (extra_tag) {
		ASSERT_EQ(0, mig_emit(out, extra_tag, "future", 6));
	}
	for (i = 3; i < self->s.n; i++) {
		if (extra_tag && i == self->s.n - 1) {
			ASSERT_EQ(0, mig_emit(out, extra_tag, "x", 1));
		}
		ASSERT_EQ(0, mig_copy_rec(out, self->stream.data, &self->s, i));
	}
}

/* Streams the device must refuse although every CRC is right. */
TEST_F_TIMEOUT(edu, mismatched, 60)
{
	struct mig_buf out = { 0 };
	char compat[256];

	edu_save_a(_metadata, self);

	rebuild(_metadata, self, &out, HDR_MAGIC, NULL, NULL, 0);
	expect_refused(_metadata, &self->b.dev, out.data, out.len,
		       VFIO_DEVICE_STATE_RUNNING, "bad magic");
	rebuild(_metadata, self, &out, HDR_MAJOR, NULL, NULL, 0);
	expect_refused(_metadata, &self->b.dev, out.data, out.len,
		       VFIO_DEVICE_STATE_RUNNING, "higher major");
	rebuild(_metadata, self, &out, -1, "edu-passthrough", NULL, 0);
	expect_refused(_metadata, &self->b.dev, out.data, out.len,
		       VFIO_DEVICE_STATE_RUNNING, "other type name");
	rebuild(_metadata, self, &out, -1, "mock-migratable", NULL, 0);
	expect_refused(_metadata, &self->b.dev, out.data, out.len,
		       VFIO_DEVICE_STATE_RUNNING, "mock type name");
	mig_rec_str(self->stream.data, &self->s, 2, compat, sizeof(compat) - 8);
	strcat(compat, "-other");
	rebuild(_metadata, self, &out, -1, NULL, compat, 0);
	expect_refused(_metadata, &self->b.dev, out.data, out.len,
		       VFIO_DEVICE_STATE_RUNNING, "other compatibility string");
	rebuild(_metadata, self, &out, -1, NULL, NULL, 0x77);
	expect_refused(_metadata, &self->b.dev, out.data, out.len,
		       VFIO_DEVICE_STATE_RUNNING, "unknown mandatory tag");
	mig_buf_free(&out);
}

/* What a newer writer may add: a higher minor, optional records. */
TEST_F_TIMEOUT(edu, accepted_extensions, 60)
{
	struct mig_buf out = { 0 };
	const char *step;
	uint32_t seed;

	edu_save_a(_metadata, self);
	for (seed = 0; seed < 2; seed++) {
		rebuild(_metadata, self, &out, seed ? -1 : HDR_MINOR, NULL,
			NULL, seed ? MDEV_PT_MIG_TAG_OPTIONAL | 0x77 : 0);
		/* Scramble B so the resume has something to restore. */
		{
			uint32_t junk[EDU_NREGS];

			edu_program(_metadata, &self->b, 0x1000 + seed, junk);
		}
		ASSERT_EQ(0, mig_v2_load(self->b.dev.fd, out.data, out.len,
					 out.len, VFIO_DEVICE_STATE_RUNNING,
					 &step))
			TH_LOG("%s refused at %s",
			       seed ? "optional tag" : "minor + 1", step);
		edu_expect_regs(_metadata, self->b.dev.fd, self->b.bar0, self->regs_a);
	}
	mig_buf_free(&out);
}

/* --- mock ------------------------------------------------------------------ */

FIXTURE(mock) {
	const char *vf_a, *vf_b;
	char uuid_a[64], uuid_b[64];
	struct vfio_test_device a, b;
	bool open_a, open_b;
	struct mig_buf stream;
	struct mig_stream s;
};

FIXTURE_SETUP(mock)
{
	memset(&self->stream, 0, sizeof(self->stream));
	self->uuid_a[0] = self->uuid_b[0] = '\0';
	self->open_a = self->open_b = false;
	self->vf_a = getenv("MDEVPT_MIG_MOCK_VF_A");
	self->vf_b = getenv("MDEVPT_MIG_MOCK_VF_B");
	if (!self->vf_a || !self->vf_b)
		SKIP(return, "set MDEVPT_MIG_MOCK_VF_A and MDEVPT_MIG_MOCK_VF_B");
}

FIXTURE_TEARDOWN(mock)
{
	mig_buf_free(&self->stream);
	if (self->open_a)
		vfio_test_close(&self->a);
	if (self->open_b)
		vfio_test_close(&self->b);
	if (self->uuid_a[0])
		mdev_remove(self->uuid_a);
	if (self->uuid_b[0])
		mdev_remove(self->uuid_b);
}

/* Fresh mock instances A and B of @size bytes each, opened. */
static void mock_pair(struct __test_metadata *_metadata,
		      FIXTURE_DATA(mock) *self, unsigned long size)
{
	mock_create(_metadata, self->vf_a, self->uuid_a, sizeof(self->uuid_a),
		    size);
	mock_create(_metadata, self->vf_b, self->uuid_b, sizeof(self->uuid_b),
		    size);
	mig_open(_metadata, &self->a, self->uuid_a);
	self->open_a = true;
	mig_open(_metadata, &self->b, self->uuid_b);
	self->open_b = true;
}

static void checksum(struct __test_metadata *_metadata, const char *uuid,
		     char *buf)
{
	ASSERT_EQ(0, mdev_attr_str(uuid, "vendor/checksum", buf, 16));
	ASSERT_EQ(8u, strlen(buf)) TH_LOG("checksum '%s'", buf);
}

static void mock_round_trip(struct __test_metadata *_metadata,
			    FIXTURE_DATA(mock) *self, unsigned long size,
			    size_t piece)
{
	char sum_a[16], sum_b[16], type[64];
	const char *bad, *step;
	uint64_t t0;

	mock_pair(_metadata, self, size);
	checksum(_metadata, self->uuid_a, sum_a);
	checksum(_metadata, self->uuid_b, sum_b);
	ASSERT_STRNE(sum_a, sum_b) TH_LOG("two instances start out equal");

	t0 = now_ms();
	ASSERT_EQ(0, mig_v2_save(self->a.fd, &self->stream));
	bad = mig_parse(self->stream.data, self->stream.len, &self->s);
	ASSERT_EQ(NULL, bad) TH_LOG("stream: %s", bad);
	mig_rec_str(self->stream.data, &self->s, 1, type, sizeof(type));
	ASSERT_STREQ("mock-migratable", type);
	ASSERT_LE((uint64_t)size, self->s.data_bytes);
	ASSERT_EQ(0, mig_v2_load(self->b.fd, self->stream.data, self->stream.len,
				 piece, VFIO_DEVICE_STATE_RUNNING, &step))
		TH_LOG("resume failed at %s", step);
	TH_LOG("%lu bytes: stream %zu bytes (%zu overhead), %llu ms", size,
	       self->stream.len, self->stream.len - (size_t)size,
	       (unsigned long long)(now_ms() - t0));
	checksum(_metadata, self->uuid_b, sum_b);
	ASSERT_STREQ(sum_a, sum_b);
	ASSERT_EQ(0, mig_set(self->a.fd, VFIO_DEVICE_STATE_RUNNING, NULL));
	checksum(_metadata, self->uuid_b, sum_b);
	ASSERT_STREQ(sum_a, sum_b);
}

TEST_F(mock, round_trip_4k)
{
	mock_round_trip(_metadata, self, 4096, 4096);
}

TEST_F(mock, round_trip_1m_plus_4k_odd_writes)
{
	mock_round_trip(_metadata, self, (1ul << 20) + 4096, 1000);
}

TEST_F_TIMEOUT(mock, round_trip_16m, 90)
{
	mock_round_trip(_metadata, self, 16ul << 20, 1ul << 20);
}

/* Poked while RUNNING, the change travels. */
TEST_F(mock, poke_then_migrate)
{
	char before[16], after[16], sum_b[16];
	const char *step;

	mock_pair(_metadata, self, 65536);
	checksum(_metadata, self->uuid_a, before);
	ASSERT_EQ(0, mdev_attr_write(self->uuid_a, "vendor/poke", "100 5000"));
	checksum(_metadata, self->uuid_a, after);
	ASSERT_STRNE(before, after);
	ASSERT_EQ(0, mig_v2_save(self->a.fd, &self->stream));
	ASSERT_EQ(0, mig_v2_load(self->b.fd, self->stream.data, self->stream.len,
				 self->stream.len, VFIO_DEVICE_STATE_RUNNING,
				 &step));
	checksum(_metadata, self->uuid_b, sum_b);
	ASSERT_STREQ(after, sum_b);
}

/*
 * VFIO_MIGRATION_P2P only for types that quiesce: mock-migratable does,
 * mock-no-p2p does not and goes from RUNNING to STOP and back directly.
 */
TEST_F(mock, flags_per_type)
{
	uint64_t pre = kernel_has_precopy() ? VFIO_MIGRATION_PRE_COPY : 0;
	uint64_t flags;
	char sum[16];

	mock_create(_metadata, self->vf_a, self->uuid_a, sizeof(self->uuid_a),
		    4096);
	mock_create_type(_metadata, self->vf_b, MOCK_NO_P2P_TYPE, self->uuid_b,
			 sizeof(self->uuid_b), 4096);
	mig_open(_metadata, &self->a, self->uuid_a);
	self->open_a = true;
	mig_open(_metadata, &self->b, self->uuid_b);
	self->open_b = true;

	ASSERT_EQ(0, mig_flags(self->a.fd, &flags));
	ASSERT_EQ(VFIO_MIGRATION_STOP_COPY | VFIO_MIGRATION_P2P | pre, flags);
	ASSERT_EQ(0, mig_flags(self->b.fd, &flags));
	ASSERT_EQ(VFIO_MIGRATION_STOP_COPY | pre, flags);

	ASSERT_EQ(-EINVAL, mig_set(self->b.fd, VFIO_DEVICE_STATE_RUNNING_P2P,
				   NULL));
	ASSERT_EQ(VFIO_DEVICE_STATE_RUNNING, mig_get(self->b.fd));
	ASSERT_EQ(0, mig_set(self->b.fd, VFIO_DEVICE_STATE_STOP, NULL));
	ASSERT_EQ(0, mig_set(self->b.fd, VFIO_DEVICE_STATE_RUNNING, NULL));
	/* A whole save without the P2P states, and back. */
	checksum(_metadata, self->uuid_b, sum);
	ASSERT_EQ(0, mig_v2_save(self->b.fd, &self->stream));
	ASSERT_EQ(VFIO_DEVICE_STATE_STOP, mig_get(self->b.fd));
	ASSERT_EQ(0, mig_set(self->b.fd, VFIO_DEVICE_STATE_RUNNING, NULL));
}

/* Quiesced, the mock holds pokes and carries them out in RUNNING. */
TEST_F(mock, p2p_holds_pokes)
{
	char before[16], held[16], after[16];

	mock_create(_metadata, self->vf_a, self->uuid_a, sizeof(self->uuid_a),
		    8192);
	mig_open(_metadata, &self->a, self->uuid_a);
	self->open_a = true;
	checksum(_metadata, self->uuid_a, before);

	ASSERT_EQ(0, mig_set(self->a.fd, VFIO_DEVICE_STATE_RUNNING_P2P, NULL));
	ASSERT_EQ(0, mdev_attr_write(self->uuid_a, "vendor/poke", "10 20"));
	ASSERT_EQ(0, mdev_attr_write(self->uuid_a, "vendor/poke", "4096 1"));
	checksum(_metadata, self->uuid_a, held);
	ASSERT_STREQ(before, held) TH_LOG("a poke ran in RUNNING_P2P");

	ASSERT_EQ(0, mig_set(self->a.fd, VFIO_DEVICE_STATE_RUNNING, NULL));
	checksum(_metadata, self->uuid_a, after);
	ASSERT_STRNE(before, after) TH_LOG("the held pokes never ran");

	/* A reset drops what is held. */
	ASSERT_EQ(0, mig_set(self->a.fd, VFIO_DEVICE_STATE_RUNNING_P2P, NULL));
	ASSERT_EQ(0, mdev_attr_write(self->uuid_a, "vendor/poke", "0 1"));
	ASSERT_EQ(0, ioctl(self->a.fd, VFIO_DEVICE_RESET));
	ASSERT_EQ(VFIO_DEVICE_STATE_RUNNING, mig_get(self->a.fd));
	checksum(_metadata, self->uuid_a, held);
	ASSERT_EQ(0, mig_set(self->a.fd, VFIO_DEVICE_STATE_RUNNING_P2P, NULL));
	ASSERT_EQ(0, mig_set(self->a.fd, VFIO_DEVICE_STATE_RUNNING, NULL));
	checksum(_metadata, self->uuid_a, after);
	ASSERT_STREQ(held, after) TH_LOG("a poke held before the reset ran");
}

static int precopy_info(int dfd, struct vfio_precopy_info *info)
{
	memset(info, 0, sizeof(*info));
	info->argsz = sizeof(*info);
	return ioctl(dfd, VFIO_MIG_GET_PRECOPY_INFO, info) ? -errno : 0;
}

/* Read pre-copy data until the temporary end of stream (ENOMSG). */
static void read_to_enomsg(struct __test_metadata *_metadata, int dfd,
			   struct mig_buf *b)
{
	static uint8_t chunk[65536];
	ssize_t n;

	for (;;) {
		n = read(dfd, chunk, sizeof(chunk));
		if (n < 0) {
			ASSERT_EQ(ENOMSG, errno) TH_LOG("pre-copy read: %m");
			return;
		}
		ASSERT_LT(0, n) TH_LOG("EOF in PRE_COPY");
		ASSERT_EQ(0, mig_buf_append(b, chunk, n));
	}
}

/*
 * PRE_COPY (6.2+): the initial bytes come first, a poke while RUNNING shows
 * up as dirty bytes, reading drains them, STOP_COPY ends the stream, and
 * the destination ends up equal to the source.
 */
TEST_F_TIMEOUT(mock, precopy, 60)
{
	struct vfio_precopy_info info;
	char sum_a[16], sum_b[16];
	uint64_t flags = 0;
	const char *step, *bad;
	int dfd;

	mock_pair(_metadata, self, 65536);
	ASSERT_EQ(0, mig_flags(self->a.fd, &flags));
	ASSERT_FLAGS(flags, VFIO_MIGRATION_STOP_COPY | VFIO_MIGRATION_P2P);
	if (!kernel_has_precopy()) {
		ASSERT_EQ(0u, flags & VFIO_MIGRATION_PRE_COPY);
		SKIP(return, "the VFIO core of this kernel has no PRE_COPY (6.2+)");
	}
	ASSERT_FLAGS(flags, VFIO_MIGRATION_PRE_COPY);

	ASSERT_EQ(0, mig_set(self->a.fd, MIG_STATE_PRE_COPY, &dfd));
	ASSERT_LE(0, dfd);
	ASSERT_EQ(MIG_STATE_PRE_COPY, mig_get(self->a.fd));
	ASSERT_EQ(0, precopy_info(dfd, &info));
	TH_LOG("start: initial %llu dirty %llu",
	       (unsigned long long)info.initial_bytes,
	       (unsigned long long)info.dirty_bytes);
	ASSERT_LT(0ull, info.initial_bytes);
	ASSERT_EQ(0ull, info.dirty_bytes);

	read_to_enomsg(_metadata, dfd, &self->stream);
	ASSERT_LE(65536ul, self->stream.len);
	ASSERT_EQ(0, precopy_info(dfd, &info));
	ASSERT_EQ(0ull, info.initial_bytes);
	ASSERT_EQ(0ull, info.dirty_bytes);

	/* The device runs in PRE_COPY: poke it. */
	ASSERT_EQ(0, mdev_attr_write(self->uuid_a, "vendor/poke", "8192 100"));
	ASSERT_EQ(0, precopy_info(dfd, &info));
	TH_LOG("after poking 100 bytes: dirty %llu",
	       (unsigned long long)info.dirty_bytes);
	ASSERT_LE(100ull, info.dirty_bytes);
	ASSERT_GE(4096ull * 2, info.dirty_bytes);
	read_to_enomsg(_metadata, dfd, &self->stream);
	ASSERT_EQ(0, precopy_info(dfd, &info));
	ASSERT_EQ(0ull, info.dirty_bytes);

	/* PRE_COPY_P2P keeps the session. */
	ASSERT_EQ(0, mig_set(self->a.fd, MIG_STATE_PRE_COPY_P2P, NULL));
	ASSERT_EQ(0, precopy_info(dfd, &info));

	/* A last poke, then STOP_COPY on the same fd to EOF. */
	ASSERT_EQ(-EINVAL, mdev_attr_write(self->uuid_a, "vendor/poke", "0x10000 16"));
	ASSERT_EQ(0, mdev_attr_write(self->uuid_a, "vendor/poke", "0xf000 16"));
	ASSERT_EQ(0, mig_set(self->a.fd, VFIO_DEVICE_STATE_STOP_COPY, NULL));
	ASSERT_EQ(-EINVAL, precopy_info(dfd, &info));
	ASSERT_EQ(0, mig_read_all(dfd, &self->stream));
	close(dfd);
	ASSERT_EQ(0, mig_set(self->a.fd, VFIO_DEVICE_STATE_STOP, NULL));
	checksum(_metadata, self->uuid_a, sum_a);

	bad = mig_parse(self->stream.data, self->stream.len, &self->s);
	ASSERT_EQ(NULL, bad) TH_LOG("pre-copy stream: %s", bad);
	ASSERT_EQ(0, mig_v2_load(self->b.fd, self->stream.data, self->stream.len,
				 self->stream.len, VFIO_DEVICE_STATE_RUNNING,
				 &step))
		TH_LOG("resume failed at %s", step);
	checksum(_metadata, self->uuid_b, sum_b);
	ASSERT_STREQ(sum_a, sum_b);
}

/* PRECOPY_INFO outside PRE_COPY is refused (6.2+). */
TEST_F(mock, precopy_info_outside_precopy)
{
	struct vfio_precopy_info info;
	int dfd;

	if (!kernel_has_precopy())
		SKIP(return, "the VFIO core of this kernel has no PRE_COPY (6.2+)");
	mock_pair(_metadata, self, 4096);
	ASSERT_EQ(0, mig_set(self->a.fd, VFIO_DEVICE_STATE_STOP_COPY, &dfd));
	ASSERT_EQ(-EINVAL, precopy_info(dfd, &info));
	close(dfd);
	ASSERT_EQ(0, mig_set(self->b.fd, VFIO_DEVICE_STATE_RESUMING, &dfd));
	ASSERT_EQ(-EINVAL, precopy_info(dfd, &info));
	close(dfd);
	ASSERT_EQ(0, ioctl(self->b.fd, VFIO_DEVICE_RESET));
}

/* A mock stream into edu and an edu stream into mock are refused. */
TEST_F_TIMEOUT(mock, other_type_streams, 60)
{
	const char *edu_a = getenv("MDEVPT_MIG_EDU_A");
	const char *edu_b = getenv("MDEVPT_MIG_EDU_B");
	struct mig_buf edu_stream = { 0 };
	struct vfio_test_device ea, eb;

	if (!edu_a || !edu_b)
		SKIP(return, "set MDEVPT_MIG_EDU_A and MDEVPT_MIG_EDU_B");
	mock_pair(_metadata, self, 4096);
	ASSERT_EQ(0, mig_v2_save(self->a.fd, &self->stream));
	mig_open(_metadata, &ea, edu_a);
	mig_open(_metadata, &eb, edu_b);
	ASSERT_EQ(0, mig_v2_save(ea.fd, &edu_stream));
	expect_refused(_metadata, &eb, self->stream.data, self->stream.len,
		       VFIO_DEVICE_STATE_RUNNING, "mock stream into edu");
	expect_refused(_metadata, &self->b, edu_stream.data, edu_stream.len,
		       VFIO_DEVICE_STATE_RUNNING, "edu stream into mock");
	mig_buf_free(&edu_stream);
	vfio_test_close(&ea);
	vfio_test_close(&eb);
}

/* --- life cycle ------------------------------------------------------------- */

/*
 * Run "echo 1 > remove" for @uuid in a child; returns its pid.  The child
 * closes what it inherited: a copy of the device fd would keep the device
 * open and the removal waiting for itself; a copy of stdout would keep the
 * TAP reader waiting for it.
 */
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

/* Wait up to @secs for child @pid; its exit status, or -1 on timeout. */
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

/* The instance of @uuid is gone for good and can be made again. */
static void expect_clean_and_recreate(struct __test_metadata *_metadata,
				      const char *uuid, const char *bdf,
				      const char *type)
{
	struct vfio_test_device dev;

	ASSERT_FALSE(mdev_exists(uuid));
	ASSERT_EQ(1, type_available(bdf, type));
	ASSERT_EQ(0, mdev_create(bdf, type, uuid));
	ASSERT_EQ(0, type_available(bdf, type));
	mig_open(_metadata, &dev, uuid);
	ASSERT_EQ(VFIO_DEVICE_STATE_RUNNING, mig_get(dev.fd));
	vfio_test_close(&dev);
}

FIXTURE(life) {
	struct mig_buf stream;
	struct mig_stream s;
	const char *uuid;
	char bdf[64];
	char type[128];
};

FIXTURE_SETUP(life)
{
	struct vfio_test_target t;

	memset(&self->stream, 0, sizeof(self->stream));
	self->uuid = getenv("MDEVPT_MIG_EDU_A");
	if (!self->uuid)
		SKIP(return, "set MDEVPT_MIG_EDU_A");
	mig_target(_metadata, &t, self->uuid);
	snprintf(self->bdf, sizeof(self->bdf), "%s", t.pci_bdf);
	mdev_type_name(self->uuid, self->type, sizeof(self->type));
	ASSERT_STREQ(EDU_MIG_TYPE, self->type);
}

FIXTURE_TEARDOWN(life)
{
	mig_buf_free(&self->stream);
	/* Leave the instance there for whoever runs next. */
	if (self->uuid && !mdev_exists(self->uuid))
		mdev_create(self->bdf, self->type, self->uuid);
}

/*
 * The instance is removed while a STOP_COPY session is open: the removal
 * signals REQ and waits; the user lets go; the removal completes.
 */
TEST_F_TIMEOUT(life, remove_during_migration, 90)
{
	struct vfio_test_device dev;
	uint8_t buf[64];
	int efd, dfd, rc;
	pid_t pid;

	mig_open(_metadata, &dev, self->uuid);
	efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ASSERT_LE(0, efd);
	ASSERT_EQ(0, vfio_test_set_irqs(&dev, VFIO_PCI_REQ_IRQ_INDEX,
					VFIO_IRQ_SET_ACTION_TRIGGER, 0, 1, &efd));
	ASSERT_EQ(0, mig_set(dev.fd, VFIO_DEVICE_STATE_STOP_COPY, &dfd));
	ASSERT_LE(0, dfd);
	ASSERT_EQ(16, read(dfd, buf, 16));

	pid = remove_async(self->uuid);
	ASSERT_LT(0, pid);
	ASSERT_LT(0, eventfd_wait(efd, REQ_TIMEOUT_MS))
		TH_LOG("no REQ within %d ms of the removal", REQ_TIMEOUT_MS);
	/* Still blocked: the device is open. */
	ASSERT_EQ(0, waitpid(pid, NULL, WNOHANG));
	/* The session still works while the removal waits. */
	ASSERT_LT(0, read(dfd, buf, sizeof(buf)));

	close(dfd);
	vfio_test_close(&dev);
	close(efd);
	rc = wait_child(pid, REMOVE_TIMEOUT_S);
	ASSERT_EQ(0, rc) TH_LOG("removal: %s", rc < 0 ? "still blocked" : "failed");
	expect_clean_and_recreate(_metadata, self->uuid, self->bdf, self->type);
}

/* The device fd closed with a STOP_COPY data fd still open. */
TEST_F_TIMEOUT(life, close_during_stop_copy, 60)
{
	struct vfio_test_device dev;
	uint8_t buf[64];
	ssize_t n;
	int dfd;

	mig_open(_metadata, &dev, self->uuid);
	ASSERT_EQ(0, mig_set(dev.fd, VFIO_DEVICE_STATE_STOP_COPY, &dfd));
	ASSERT_LE(0, dfd);
	ASSERT_EQ(16, read(dfd, buf, 16));
	vfio_test_close(&dev);
	/* The session died with the device. */
	n = read(dfd, buf, sizeof(buf));
	TH_LOG("read after the device closed: %zd (%s)", n,
	       n < 0 ? strerrorname_np(errno) : "-");
	ASSERT_GE(0, n);
	close(dfd);

	/* Open again: RUNNING, and a whole new save works. */
	mig_open(_metadata, &dev, self->uuid);
	ASSERT_EQ(VFIO_DEVICE_STATE_RUNNING, mig_get(dev.fd));
	ASSERT_EQ(0, mig_v2_save(dev.fd, &self->stream));
	ASSERT_EQ(NULL, mig_parse(self->stream.data, self->stream.len, &self->s));
	/* Closed in STOP_COPY again, then removed: nothing blocks. */
	ASSERT_EQ(0, mig_set(dev.fd, VFIO_DEVICE_STATE_STOP_COPY, &dfd));
	vfio_test_close(&dev);
	close(dfd);
	ASSERT_EQ(0, mdev_remove(self->uuid));
	expect_clean_and_recreate(_metadata, self->uuid, self->bdf, self->type);
}

/* --- types without migration ------------------------------------------------ */

FIXTURE(plain) {
	struct vfio_test_device dev;
};

FIXTURE_SETUP(plain)
{
	const char *uuid = getenv("MDEVPT_MIG_PLAIN");

	vfio_test_device_init(&self->dev);
	if (!uuid)
		SKIP(return, "set MDEVPT_MIG_PLAIN");
	mig_open(_metadata, &self->dev, uuid);
}

FIXTURE_TEARDOWN(plain)
{
	vfio_test_close(&self->dev);
}

TEST_F(plain, no_migration)
{
	struct v1_region r;
	uint64_t flags;

	ASSERT_EQ(-ENOTTY, mig_flags(self->dev.fd, &flags));
	ASSERT_EQ(-ENOTTY, mig_get(self->dev.fd));
	ASSERT_EQ(-ENOTTY, mig_set(self->dev.fd, VFIO_DEVICE_STATE_STOP, NULL));
	ASSERT_FALSE(v1_find(_metadata, &self->dev, &r, false));
}

/* --- gone: the controlling function goes away mid-migration -------------- */

/*
 * A mock-migratable instance on the VF MDEVPT_GONE_VF, whose PF
 * MDEVPT_GONE_PF is on its own driver; each test unbinds the PF from that
 * driver in the middle of a migration.  The mock declares that it depends
 * on the PF: from then on every path into the plugin must fail with
 * ENOTCONN (tests/migration/gate.sh checks that the plugin saw no call and
 * rebinds the PF and the VF between tests).
 */
FIXTURE(gone) {
	const char *vf, *pf;
	char uuid[64];
	struct vfio_test_device dev;
	bool open;
	int data_fd;
};

FIXTURE_SETUP(gone)
{
	self->uuid[0] = '\0';
	self->open = false;
	self->data_fd = -1;
	self->vf = getenv("MDEVPT_GONE_VF");
	self->pf = getenv("MDEVPT_GONE_PF");
	if (!self->vf || !self->pf)
		SKIP(return, "set MDEVPT_GONE_VF and MDEVPT_GONE_PF");
	mock_create(_metadata, self->vf, self->uuid, sizeof(self->uuid), 65536);
	mig_open(_metadata, &self->dev, self->uuid);
	self->open = true;
}

FIXTURE_TEARDOWN(gone)
{
	if (self->data_fd >= 0)
		close(self->data_fd);
	/* The close, too, must not reach the plugin. */
	if (self->open)
		vfio_test_close(&self->dev);
	if (self->uuid[0])
		mdev_remove(self->uuid);
}

/* Unbind the PF from its driver: the VF's controlling function goes. */
static void gone_pf_unbind(struct __test_metadata *_metadata,
			   FIXTURE_DATA(gone) *self)
{
	char path[128];

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver/unbind",
		 self->pf);
	ASSERT_EQ(0, sysfs_write(path, self->pf)) TH_LOG("unbind %s", self->pf);
}

/* Every path into the plugin fails with ENOTCONN. */
static void gone_expect_cut_off(struct __test_metadata *_metadata,
				FIXTURE_DATA(gone) *self)
{
	struct vfio_device_info info = { .argsz = sizeof(info) };
	uint64_t len;
	char buf[64];

	ASSERT_EQ(-ENOTCONN, mig_get(self->dev.fd));
	ASSERT_EQ(-ENOTCONN, mig_set(self->dev.fd, VFIO_DEVICE_STATE_RUNNING,
				     NULL));
	if (kernel_has_precopy())
		ASSERT_EQ(-ENOTCONN, mig_data_size(self->dev.fd, &len));
	ASSERT_EQ(-1, ioctl(self->dev.fd, VFIO_DEVICE_GET_INFO, &info));
	ASSERT_EQ(ENOTCONN, errno);
	ASSERT_EQ(-1, pread(self->dev.fd, buf, 4, 0));
	ASSERT_EQ(ENOTCONN, errno);
	if (self->data_fd >= 0) {
		ASSERT_EQ(-1, read(self->data_fd, buf, sizeof(buf)));
		ASSERT_EQ(ENOTCONN, errno);
	}
}

/* Mid-STOP_COPY: the data fd read part of the stream. */
TEST_F(gone, stop_copy)
{
	char buf[64];

	ASSERT_EQ(0, mig_set(self->dev.fd, VFIO_DEVICE_STATE_STOP_COPY,
			     &self->data_fd));
	ASSERT_EQ((ssize_t)sizeof(buf), read(self->data_fd, buf, sizeof(buf)));
	gone_pf_unbind(_metadata, self);
	gone_expect_cut_off(_metadata, self);
}

/* During PRE_COPY, VFIO_MIG_GET_PRECOPY_INFO too. */
TEST_F(gone, pre_copy)
{
	struct vfio_precopy_info info = { .argsz = sizeof(info) };
	char buf[64];

	if (!kernel_has_precopy())
		SKIP(return, "no PRE_COPY before 6.2");
	ASSERT_EQ(0, mig_set(self->dev.fd, MIG_STATE_PRE_COPY,
			     &self->data_fd));
	ASSERT_EQ((ssize_t)sizeof(buf), read(self->data_fd, buf, sizeof(buf)));
	ASSERT_EQ(0, precopy_info(self->data_fd, &info));
	gone_pf_unbind(_metadata, self);
	ASSERT_EQ(-ENOTCONN, precopy_info(self->data_fd, &info));
	gone_expect_cut_off(_metadata, self);
}

/* The v1 region mid-save: a chunk waits in the data section. */
TEST_F(gone, v1_mid_save)
{
	uint64_t pending, off;
	struct v1_region r;

	ASSERT_TRUE(v1_find(_metadata, &self->dev, &r, false));
	ASSERT_EQ(0, v1_set_state(&r, 0, VFIO_DEVICE_STATE_V1_SAVING));
	ASSERT_EQ(0, v1_read_u64(&r, V1_PENDING, &pending));
	ASSERT_LT(0ull, pending);
	ASSERT_EQ(0, v1_read_u64(&r, V1_DATA_OFFSET, &off));
	gone_pf_unbind(_metadata, self);
	ASSERT_EQ(-ENOTCONN, v1_read_u64(&r, V1_PENDING, &pending));
	gone_expect_cut_off(_metadata, self);
	v1_unmap(&r);
}

/*
 * A reset of the function (through sysfs: the PCI core calls reset_done,
 * which only queues the work that tells the plugin) right before the PF
 * goes: whenever that work runs, the plugin hears of it only while its
 * gate is open.
 */
TEST_F(gone, reset_queued)
{
	char path[128];

	ASSERT_EQ(0, mig_set(self->dev.fd, VFIO_DEVICE_STATE_STOP_COPY,
			     &self->data_fd));
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/reset", self->vf);
	ASSERT_EQ(0, sysfs_write(path, "1")) TH_LOG("reset %s", self->vf);
	gone_pf_unbind(_metadata, self);
	gone_expect_cut_off(_metadata, self);
}

TEST_HARNESS_MAIN
