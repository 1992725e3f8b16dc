// SPDX-License-Identifier: GPL-2.0-only
/*
 * Stop-copy throughput of the mock migratable type (bench/README in the
 * top README's "Benchmarks" section says how to read the output).
 *
 * For each state size (MiB) in MDEVPT_BENCH_SIZES (default "1 16 256") an
 * instance of mdev_pt-mock-migratable is made on MDEVPT_BENCH_VF and its
 * whole state saved, each path timed from the arc that starts the save to
 * the last byte:
 *
 *   v2-datafd   RUNNING -> STOP_COPY, read() of the data fd in 1 MiB reads
 *               until EOF (what QEMU 8+ does);
 *   v1-mmap     the v1 region as QEMU 7.2 drives it, data copied from the
 *               mmap'd data section;
 *   v1-pread8   the same without mmap: QEMU 7.2 then moves the data in
 *               8-byte preads (only up to MDEVPT_BENCH_PREAD_MAX MiB,
 *               default 16: 256 MiB would be 32 million system calls);
 *   pipe        the same number of bytes (the v2 stream itself) written by
 *               a child into a pipe and read in 1 MiB reads: the cost of
 *               moving bytes through a file descriptor in this VM.
 *
 * One line per measurement: size, path, stream bytes, overhead (stream
 * bytes beyond the state size: record headers, the mock's chunk headers),
 * milliseconds, MB/s (10^6 bytes per second) and the ratio to the pipe.
 */

#include "../tests/vfio/harness.h"

#include <sys/utsname.h>
#include <sys/wait.h>

#include "../tests/migration/mig_util.h"

#define MIB		(1ul << 20)
#define READ_CHUNK	MIB

struct result {
	const char *path;
	uint64_t bytes;
	uint64_t ns;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static double mbps(const struct result *r)
{
	return r->ns ? (double)r->bytes * 1000.0 / (double)r->ns : 0;
}

static void report(unsigned long mib, const struct result *r,
		   const struct result *pipe_r, uint64_t state)
{
	printf("%8lu  %-10s %12llu %9lld %9.1f %9.1f %7.3f\n", mib, r->path,
	       (unsigned long long)r->bytes,
	       (long long)r->bytes - (long long)state, r->ns / 1e6, mbps(r),
	       pipe_r && mbps(pipe_r) ? mbps(r) / mbps(pipe_r) : 1.0);
	fflush(stdout);
}

/*
 * Every path delivers the bytes into @sink, allocated and faulted in
 * beforehand, as a VMM fills its migration buffer: what is timed is the
 * path, not the allocator.
 */
static void sink_reset(struct mig_buf *sink)
{
	sink->len = 0;
}

/* read() @fd to EOF straight into @sink; the byte count. */
static uint64_t read_into(struct __test_metadata *_metadata, int fd,
			  struct mig_buf *sink)
{
	ssize_t n;

	for (;;) {
		size_t room = sink->cap - sink->len;

		ASSERT_LT(0ul, room) TH_LOG("stream larger than the sink");
		n = read(fd, sink->data + sink->len,
			 room < READ_CHUNK ? room : READ_CHUNK);
		ASSERT_LE(0, n) TH_LOG("read: %m");
		if (!n)
			return sink->len;
		sink->len += n;
	}
}

static void bench_v2(struct __test_metadata *_metadata,
		     struct vfio_test_device *dev, struct mig_buf *sink,
		     struct result *r)
{
	uint64_t t0;
	int dfd;

	sink_reset(sink);
	t0 = now_ns();
	ASSERT_EQ(0, mig_set(dev->fd, VFIO_DEVICE_STATE_STOP_COPY, &dfd));
	r->bytes = read_into(_metadata, dfd, sink);
	r->ns = now_ns() - t0;
	r->path = "v2-datafd";
	close(dfd);
	ASSERT_EQ(0, mig_set(dev->fd, VFIO_DEVICE_STATE_RUNNING, NULL));
}

static void bench_v1(struct __test_metadata *_metadata,
		     struct vfio_test_device *dev, bool use_mmap,
		     struct mig_buf *sink, struct result *r)
{
	struct v1_region reg;
	uint64_t t0;

	ASSERT_TRUE(v1_find(_metadata, dev, &reg, use_mmap));
	sink_reset(sink);
	t0 = now_ns();
	ASSERT_EQ(0, v1_save(&reg, sink, NULL, 0));
	r->ns = now_ns() - t0;
	ASSERT_GE(sink->cap, sink->len) TH_LOG("the sink grew");
	r->bytes = sink->len;
	r->path = use_mmap ? "v1-mmap" : "v1-pread8";
	ASSERT_EQ(0, v1_set_state(&reg, ~VFIO_DEVICE_STATE_MASK,
				  VFIO_DEVICE_STATE_V1_RUNNING));
	v1_unmap(&reg);
}

/*
 * A child writes @stream into a pipe; read into @sink.  The child is
 * forked before the clock starts (fork copies the page tables of the big
 * buffers) and starts writing on a go byte.
 */
static void bench_pipe(struct __test_metadata *_metadata,
		       const struct mig_buf *stream, struct mig_buf *sink,
		       struct result *r)
{
	int p[2], go[2], status;
	uint64_t t0;
	char c = 0;
	pid_t pid;

	ASSERT_EQ(0, pipe(p));
	ASSERT_EQ(0, pipe(go));
	fcntl(p[0], F_SETPIPE_SZ, (int)READ_CHUNK);
	sink_reset(sink);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		close(p[0]);
		close(go[1]);
		if (read(go[0], &c, 1) != 1)
			_exit(1);
		_exit(mig_write_all(p[1], stream->data, stream->len,
				    READ_CHUNK) ? 1 : 0);
	}
	close(p[1]);
	close(go[0]);
	t0 = now_ns();
	ASSERT_EQ(1, write(go[1], &c, 1));
	r->bytes = read_into(_metadata, p[0], sink);
	r->ns = now_ns() - t0;
	close(p[0]);
	close(go[1]);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_EQ(0, status);
	ASSERT_EQ(stream->len, r->bytes);
	r->path = "pipe";
}

/* Keep the faster of @r and @best in @best. */
static void keep_best(struct result *best, const struct result *r)
{
	if (!best->ns || r->ns < best->ns)
		*best = *r;
}

FIXTURE(bench) {
	int unused;
};

FIXTURE_SETUP(bench)
{
	self->unused = 0;
}

FIXTURE_TEARDOWN(bench)
{
}

/* Under TCG 256 MiB through every path takes minutes. */
TEST_F_TIMEOUT(bench, stop_copy, 3000)
{
	const char *vf = getenv("MDEVPT_BENCH_VF");
	const char *sizes = getenv("MDEVPT_BENCH_SIZES");
	const char *pmax = getenv("MDEVPT_BENCH_PREAD_MAX");
	const char *reps_env = getenv("MDEVPT_BENCH_REPS");
	unsigned long mib, pread_max = pmax ? strtoul(pmax, NULL, 0) : 16;
	unsigned int rep, reps = reps_env ? strtoul(reps_env, NULL, 0) : 3;
	struct result pipe_r, v2, mm, p8, r;
	struct mig_buf stream = { 0 }, sink = { 0 };
	char uuid[64], *list, *tok, *save;
	struct vfio_test_device dev;
	struct utsname u;

	if (!vf)
		SKIP(return, "set MDEVPT_BENCH_VF to a function bound to mdev_pt");
	list = strdup(sizes ? sizes : "1 16 256");
	ASSERT_NE(NULL, list);
	uname(&u);
	printf("kernel %s, function %s, best of %u runs (v1-pread8: 1 run)\n",
	       u.release, vf, reps);
	printf("%8s  %-10s %12s %9s %9s %9s %7s\n", "size_MiB", "path", "bytes",
	       "overhead", "ms", "MB/s", "x_pipe");
	for (tok = strtok_r(list, " ", &save); tok;
	     tok = strtok_r(NULL, " ", &save)) {
		mib = strtoul(tok, NULL, 0);
		mock_create(_metadata, vf, uuid, sizeof(uuid), mib * MIB);
		mig_open(_metadata, &dev, uuid);

		/* An untimed save: the stream for the pipe, the sink's size. */
		stream.len = 0;
		ASSERT_EQ(0, mig_v2_save(dev.fd, &stream));
		ASSERT_EQ(0, mig_set(dev.fd, VFIO_DEVICE_STATE_RUNNING, NULL));
		mig_buf_free(&sink);
		sink.cap = stream.len + READ_CHUNK;
		sink.data = malloc(sink.cap);
		ASSERT_NE(NULL, sink.data);
		memset(sink.data, 0x5a, sink.cap);

		memset(&pipe_r, 0, sizeof(pipe_r));
		memset(&v2, 0, sizeof(v2));
		memset(&mm, 0, sizeof(mm));
		memset(&p8, 0, sizeof(p8));
		for (rep = 0; rep < reps; rep++) {
			bench_pipe(_metadata, &stream, &sink, &r);
			keep_best(&pipe_r, &r);
			bench_v2(_metadata, &dev, &sink, &r);
			ASSERT_EQ(stream.len, r.bytes);
			keep_best(&v2, &r);
			bench_v1(_metadata, &dev, true, &sink, &r);
			ASSERT_EQ(stream.len, r.bytes);
			keep_best(&mm, &r);
		}
		if (mib <= pread_max) {
			bench_v1(_metadata, &dev, false, &sink, &p8);
			ASSERT_EQ(stream.len, p8.bytes);
		}
		report(mib, &pipe_r, NULL, mib * MIB);
		report(mib, &v2, &pipe_r, mib * MIB);
		report(mib, &mm, &pipe_r, mib * MIB);
		if (mib <= pread_max)
			report(mib, &p8, &pipe_r, mib * MIB);
		else
			printf("%8lu  %-10s skipped: above MDEVPT_BENCH_PREAD_MAX=%lu MiB\n",
			       mib, "v1-pread8", pread_max);
		vfio_test_close(&dev);
		ASSERT_EQ(0, mdev_remove(uuid));
	}
	mig_buf_free(&stream);
	mig_buf_free(&sink);
	free(list);
}

TEST_HARNESS_MAIN
