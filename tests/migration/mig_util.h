/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Helpers of the migration test programs and the benchmark: devices opened
 * by UUID, the v2 data fd read and written whole, the v1 migration region as
 * QEMU 7.2 drives it, and the mdev-pt stream format
 * (include/uapi/linux/mdev_pt.h) parsed and rebuilt so tests can damage it.
 * Instances are made through ../lib/sysfs_util.h and states set through
 * mig_state.h, which need no harness.
 *
 * Include this after kselftest_harness.h.
 */
#ifndef MDEVPT_MIG_UTIL_H
#define MDEVPT_MIG_UTIL_H

#include <endian.h>
#include <stddef.h>

#include "../vfio/vfio_test_util.h"
#include "../vfio/plugin_util.h"
#include "../lib/sysfs_util.h"
#include "mig_state.h"

#define EDU_MIG_TYPE		"mdev_pt-edu-migratable"
#define MOCK_MIG_TYPE		"mdev_pt-mock-migratable"
#define MOCK_NO_P2P_TYPE	"mdev_pt-mock-no-p2p"

/* --- small things --------------------------------------------------------- */

static inline uint32_t crc32_zlib(const void *buf, size_t len)
{
	const uint8_t *p = buf;
	uint32_t crc = ~0u;
	int k;

	while (len--) {
		crc ^= *p++;
		for (k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0xedb88320u & -(crc & 1));
	}
	return ~crc;
}

/* Fill @t for the mdev @uuid (what vfio_test_get_target does from env). */
static inline void mig_target(struct __test_metadata *_metadata,
			      struct vfio_test_target *t, const char *uuid)
{
	char path[PATH_MAX + 8], real[PATH_MAX];

	memset(t, 0, sizeof(*t));
	t->is_mdev = true;
	str_set(_metadata, t->name, sizeof(t->name), uuid);
	snprintf(t->sysfs, sizeof(t->sysfs), "%s/%s", MDEV_SYSFS_PATH, uuid);
	snprintf(path, sizeof(path), "%s/..", t->sysfs);
	ASSERT_NE(NULL, realpath(path, real)) TH_LOG("no mdev %s", uuid);
	str_set(_metadata, t->pci_bdf, sizeof(t->pci_bdf), basename(real));
	t->group_id = sysfs_iommu_group(t->sysfs);
	ASSERT_LE(0, t->group_id) TH_LOG("%s: no IOMMU group", uuid);
}

static inline void mig_open(struct __test_metadata *_metadata,
			    struct vfio_test_device *dev, const char *uuid)
{
	vfio_test_device_init(dev);
	mig_target(_metadata, &dev->target, uuid);
	vfio_test_open(_metadata, dev);
}

/*
 * A new instance of the mock plugin's @type with @size bytes of state on
 * @vf, its UUID into @uuid (@len bytes; left empty if it could not be
 * created).
 */
static inline void mock_create_type(struct __test_metadata *_metadata,
				    const char *vf, const char *type,
				    char *uuid, size_t len, unsigned long size)
{
	char val[32];
	int ret;

	ASSERT_EQ(0, new_uuid(uuid, len));
	ret = mdev_create(vf, type, uuid);
	if (ret)
		uuid[0] = '\0';
	ASSERT_EQ(0, ret) TH_LOG("create on %s: %s", vf, strerror(-ret));
	snprintf(val, sizeof(val), "%lu", size);
	ASSERT_EQ(0, mdev_attr_write(uuid, "vendor/state_size", val));
}

static inline void mock_create(struct __test_metadata *_metadata,
			       const char *vf, char *uuid, size_t len,
			       unsigned long size)
{
	mock_create_type(_metadata, vf, MOCK_MIG_TYPE, uuid, len, size);
}

/* --- v2 data fd ------------------------------------------------------------ */

/* A growable byte buffer. */
struct mig_buf {
	uint8_t *data;
	size_t len;
	size_t cap;
};

static inline void mig_buf_free(struct mig_buf *b)
{
	free(b->data);
	memset(b, 0, sizeof(*b));
}

static inline int mig_buf_append(struct mig_buf *b, const void *p, size_t len)
{
	if (b->len + len > b->cap) {
		size_t cap = b->cap ? b->cap : 65536;
		uint8_t *n;

		while (cap < b->len + len)
			cap *= 2;
		n = realloc(b->data, cap);
		if (!n)
			return -ENOMEM;
		b->data = n;
		b->cap = cap;
	}
	memcpy(b->data + b->len, p, len);
	b->len += len;
	return 0;
}

/* Read @fd to EOF into @b (appended); 0 or -errno. */
static inline int mig_read_all(int fd, struct mig_buf *b)
{
	static uint8_t chunk[1 << 20];
	ssize_t n;

	for (;;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return 0;
		if (mig_buf_append(b, chunk, n))
			return -ENOMEM;
	}
}

/* Write @len bytes of @p to @fd in pieces of at most @piece; 0 or -errno. */
static inline int mig_write_all(int fd, const void *p, size_t len, size_t piece)
{
	const uint8_t *c = p;
	ssize_t n;

	while (len) {
		n = write(fd, c, len < piece ? len : piece);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO;
		c += n;
		len -= n;
	}
	return 0;
}

/*
 * The v2 save of an open device: RUNNING -> STOP_COPY, read the data fd to
 * EOF into @b, -> STOP.  0 or -errno.
 */
static inline int mig_v2_save(int fd, struct mig_buf *b)
{
	int dfd, ret;

	ret = mig_set(fd, VFIO_DEVICE_STATE_STOP_COPY, &dfd);
	if (ret)
		return ret;
	if (dfd < 0)
		return -EBADF;
	ret = mig_read_all(dfd, b);
	close(dfd);
	if (ret)
		return ret;
	return mig_set(fd, VFIO_DEVICE_STATE_STOP, NULL);
}

/*
 * The v2 resume: -> RESUMING, write @len bytes in @piece-sized writes, ->
 * @final (STOP or RUNNING).  0, or the -errno of the step that failed with
 * *@step naming it ("resuming", "write", "final").
 */
static inline int mig_v2_load(int fd, const void *p, size_t len, size_t piece,
			      uint32_t final, const char **step)
{
	int dfd, ret;

	*step = "resuming";
	ret = mig_set(fd, VFIO_DEVICE_STATE_RESUMING, &dfd);
	if (ret)
		return ret;
	if (dfd < 0)
		return -EBADF;
	*step = "write";
	ret = mig_write_all(dfd, p, len, piece);
	close(dfd);
	if (ret)
		return ret;
	*step = "final";
	return mig_set(fd, final, NULL);
}

/* --- the stream ------------------------------------------------------------ */

#define MIG_MAX_RECORDS	4096

struct mig_rec {
	uint32_t tag;
	uint32_t crc;
	uint64_t length;
	size_t offset;		/* of the record header in the stream */
	size_t payload;		/* of the payload */
};

struct mig_stream {
	unsigned int n;
	struct mig_rec rec[MIG_MAX_RECORDS];
	uint64_t data_bytes;	/* DATA payload bytes */
};

static inline size_t mig_pad8(uint64_t len)
{
	return (len + 7) & ~(size_t)7;
}

/*
 * Parse @len bytes of a stream into @s, checking what the contract says a
 * writer produces: record order, CRCs, padding, the header, END's count.
 * Returns NULL if well formed, else what is wrong.
 */
static inline const char *mig_parse(const uint8_t *p, size_t len,
				    struct mig_stream *s)
{
	struct mdev_pt_mig_record r;
	size_t off = 0, i;
	struct mig_rec *m;

	memset(s, 0, sizeof(*s));
	while (off < len) {
		if (s->n == MIG_MAX_RECORDS)
			return "too many records";
		if (len - off < sizeof(r))
			return "truncated record header";
		memcpy(&r, p + off, sizeof(r));
		m = &s->rec[s->n++];
		m->tag = le32toh(r.tag);
		m->crc = le32toh(r.crc32);
		m->length = le64toh(r.length);
		m->offset = off;
		m->payload = off + sizeof(r);
		if (m->length > len - m->payload ||
		    mig_pad8(m->length) > len - m->payload)
			return "truncated payload";
		if (crc32_zlib(p + m->payload, m->length) != m->crc)
			return "crc mismatch";
		for (i = m->length; i < mig_pad8(m->length); i++)
			if (p[m->payload + i])
				return "non-zero padding";
		if (m->tag == MDEV_PT_MIG_TAG_DATA)
			s->data_bytes += m->length;
		off = m->payload + mig_pad8(m->length);
	}
	if (s->n < 4)
		return "fewer than 4 records";
	if (s->rec[0].tag != MDEV_PT_MIG_TAG_HEADER ||
	    s->rec[1].tag != MDEV_PT_MIG_TAG_TYPE ||
	    s->rec[2].tag != MDEV_PT_MIG_TAG_COMPAT ||
	    s->rec[s->n - 1].tag != MDEV_PT_MIG_TAG_END)
		return "records not HEADER, TYPE, COMPAT, ..., END";
	for (i = 3; i < s->n - 1; i++)
		if (s->rec[i].tag != MDEV_PT_MIG_TAG_DATA)
			return "a record other than DATA between COMPAT and END";
	if (s->rec[0].length != sizeof(struct mdev_pt_mig_header))
		return "HEADER payload size";
	if (s->rec[s->n - 1].length != 8)
		return "END payload size";
	{
		struct mdev_pt_mig_header h;
		uint64_t total;

		memcpy(&h, p + s->rec[0].payload, sizeof(h));
		if (le32toh(h.magic) != MDEV_PT_MIG_MAGIC)
			return "bad magic";
		if (le16toh(h.major) != 1 || le16toh(h.minor) != 0)
			return "version not 1.0";
		memcpy(&total, p + s->rec[s->n - 1].payload, 8);
		if (le64toh(total) != s->data_bytes)
			return "END data_bytes differs from the DATA bytes";
	}
	return NULL;
}

/* The payload of record @i as a string (TYPE, COMPAT). */
static inline void mig_rec_str(const uint8_t *p, const struct mig_stream *s,
			       unsigned int i, char *buf, size_t len)
{
	size_t n = s->rec[i].length < len - 1 ? s->rec[i].length : len - 1;

	memcpy(buf, p + s->rec[i].payload, n);
	buf[n] = '\0';
}

/* Append a record with a correct CRC and padding to @b. */
static inline int mig_emit(struct mig_buf *b, uint32_t tag, const void *payload,
			   uint64_t len)
{
	static const uint8_t zero[8];
	struct mdev_pt_mig_record r = {
		.tag = htole32(tag),
		.crc32 = htole32(crc32_zlib(payload, len)),
		.length = htole64(len),
	};

	if (mig_buf_append(b, &r, sizeof(r)) ||
	    mig_buf_append(b, payload, len) ||
	    mig_buf_append(b, zero, mig_pad8(len) - len))
		return -ENOMEM;
	return 0;
}

/* Append record @i of stream @p as it is. */
static inline int mig_copy_rec(struct mig_buf *b, const uint8_t *p,
			       const struct mig_stream *s, unsigned int i)
{
	return mig_buf_append(b, p + s->rec[i].offset,
			      sizeof(struct mdev_pt_mig_record) +
			      mig_pad8(s->rec[i].length));
}

/* Concatenated DATA payloads of a parsed stream into @out. */
static inline int mig_data_of(const uint8_t *p, const struct mig_stream *s,
			      struct mig_buf *out)
{
	unsigned int i;

	for (i = 0; i < s->n; i++)
		if (s->rec[i].tag == MDEV_PT_MIG_TAG_DATA &&
		    mig_buf_append(out, p + s->rec[i].payload, s->rec[i].length))
			return -ENOMEM;
	return 0;
}

/* --- v1 -------------------------------------------------------------------- */

#define V1_STATE	offsetof(struct vfio_device_migration_info, device_state)
#define V1_PENDING	offsetof(struct vfio_device_migration_info, pending_bytes)
#define V1_DATA_OFFSET	offsetof(struct vfio_device_migration_info, data_offset)
#define V1_DATA_SIZE	offsetof(struct vfio_device_migration_info, data_size)

struct v1_region {
	int fd;
	int index;
	uint64_t offset;	/* of the region in the device fd */
	uint64_t size;
	uint32_t flags;
	uint64_t mmap_off;	/* the sparse mmap area (data section) */
	uint64_t mmap_size;
	uint8_t *map;		/* mmap of the data section, or NULL */
};

/*
 * Find the v1 region the way QEMU 7.2's vfio_migration_init() does and,
 * if @want_mmap, map its data section as vfio_region_mmap() does.  Returns
 * false if the device has none.
 */
static inline bool v1_find(struct __test_metadata *_metadata,
			   struct vfio_test_device *dev, struct v1_region *r,
			   bool want_mmap)
{
	struct vfio_region_info_cap_sparse_mmap *sparse;
	struct vfio_region_info *info;
	char buf[INFO_BUF_SIZE];
	int index;

	memset(r, 0, sizeof(*r));
	r->fd = dev->fd;
	index = find_region_by_type(_metadata, dev,
				    VFIO_REGION_TYPE_MIGRATION_DEPRECATED,
				    VFIO_REGION_SUBTYPE_MIGRATION_DEPRECATED,
				    (struct vfio_region_info *)buf);
	if (index < 0)
		return false;
	r->index = index;
	ASSERT_EQ(0, region_info_caps(dev, index, buf));
	info = (struct vfio_region_info *)buf;
	r->offset = info->offset;
	r->size = info->size;
	r->flags = info->flags;
	sparse = (struct vfio_region_info_cap_sparse_mmap *)
		info_find_cap(buf, info->argsz, info->cap_offset,
			      VFIO_REGION_INFO_CAP_SPARSE_MMAP);
	if (sparse && sparse->nr_areas >= 1) {
		r->mmap_off = sparse->areas[0].offset;
		r->mmap_size = sparse->areas[0].size;
	}
	if (want_mmap) {
		void *m;

		ASSERT_FLAGS(r->flags, VFIO_REGION_INFO_FLAG_MMAP);
		ASSERT_NE(0ull, r->mmap_size) TH_LOG("no sparse mmap area");
		m = mmap(NULL, r->mmap_size, PROT_READ | PROT_WRITE, MAP_SHARED,
			 dev->fd, r->offset + r->mmap_off);
		ASSERT_NE(MAP_FAILED, m) TH_LOG("mmap v1 data section: %m");
		r->map = m;
	}
	return true;
}

static inline void v1_unmap(struct v1_region *r)
{
	if (r->map)
		munmap(r->map, r->mmap_size);
	r->map = NULL;
}

/*
 * QEMU 7.2's vfio_mig_rw(): one access per naturally aligned piece of 8, 4,
 * 2 or 1 bytes.  0 or -errno.
 */
static inline int v1_rw(const struct v1_region *r, void *buf, size_t count,
			uint64_t off, bool is_write)
{
	uint8_t *p = buf;
	uint64_t pos = r->offset + off;
	size_t sz;
	ssize_t n;

	while (count) {
		if (count >= 8 && !(pos % 8))
			sz = 8;
		else if (count >= 4 && !(pos % 4))
			sz = 4;
		else if (count >= 2 && !(pos % 2))
			sz = 2;
		else
			sz = 1;
		n = is_write ? pwrite(r->fd, p, sz, pos) : pread(r->fd, p, sz, pos);
		if (n < 0)
			return -errno;
		if ((size_t)n != sz)
			return -EIO;
		p += sz;
		pos += sz;
		count -= sz;
	}
	return 0;
}

static inline int v1_read_u64(const struct v1_region *r, uint64_t off,
			      uint64_t *val)
{
	return v1_rw(r, val, 8, off, false);
}

static inline int v1_state(const struct v1_region *r, uint32_t *state)
{
	return v1_rw(r, state, 4, V1_STATE, false);
}

/*
 * vfio_migration_set_state(): read the state, (old & @mask) | @value,
 * refuse an invalid result, write it.  0 or -errno.
 */
static inline int v1_set_state(const struct v1_region *r, uint32_t mask,
			       uint32_t value)
{
	uint32_t state;
	int ret;

	ret = v1_state(r, &state);
	if (ret)
		return ret;
	state = (state & mask) | value;
	if (!VFIO_DEVICE_STATE_VALID(state))
		return -EINVAL;
	return v1_rw(r, &state, 4, V1_STATE, true);
}

/*
 * vfio_save_buffer(): data_offset, data_size, the data (mmap'd or by
 * vfio_mig_rw pieces), appended to @b; *@size is data_size.  0 or -errno.
 */
static inline int v1_save_buffer(const struct v1_region *r, struct mig_buf *b,
				 uint64_t *size)
{
	uint64_t data_offset, data_size;
	uint8_t *tmp;
	int ret;

	ret = v1_read_u64(r, V1_DATA_OFFSET, &data_offset);
	if (!ret)
		ret = v1_read_u64(r, V1_DATA_SIZE, &data_size);
	if (ret)
		return ret;
	*size = data_size;
	if (!data_size)
		return 0;
	if (data_offset < sizeof(struct vfio_device_migration_info) ||
	    data_size > r->size - data_offset)
		return -ERANGE;
	if (r->map) {
		if (data_offset < r->mmap_off ||
		    data_offset + data_size > r->mmap_off + r->mmap_size)
			return -ERANGE;
		return mig_buf_append(b, r->map + (data_offset - r->mmap_off),
				      data_size);
	}
	tmp = malloc(data_size);
	if (!tmp)
		return -ENOMEM;
	ret = v1_rw(r, tmp, data_size, data_offset, false);
	if (!ret)
		ret = mig_buf_append(b, tmp, data_size);
	free(tmp);
	return ret;
}

/* Sizes of the chunks a save produced, for replaying them on resume. */
struct v1_chunks {
	unsigned int n;
	uint64_t size[65536];
};

/*
 * The save half of QEMU 7.2 from RUNNING: save_setup (-> RUNNING|SAVING),
 * up to @live_iters save_live_iterate rounds while pending_bytes is not 0,
 * VM stop (-> SAVING), save_live_complete_precopy's loop, -> STOP.
 * Appends the data to @b and the chunk sizes to @c (may be NULL).
 */
static inline int v1_save(const struct v1_region *r, struct mig_buf *b,
			  struct v1_chunks *c, unsigned int live_iters)
{
	uint64_t pending, size;
	unsigned int i;
	int ret;

	ret = v1_set_state(r, VFIO_DEVICE_STATE_MASK,
			   VFIO_DEVICE_STATE_V1_SAVING);
	if (ret)
		return ret;
	for (i = 0; i < live_iters; i++) {
		ret = v1_read_u64(r, V1_PENDING, &pending);
		if (ret)
			return ret;
		if (!pending)
			break;
		ret = v1_save_buffer(r, b, &size);
		if (ret)
			return ret;
		if (c && size && c->n < 65536)
			c->size[c->n++] = size;
	}
	ret = v1_set_state(r, ~VFIO_DEVICE_STATE_V1_RUNNING,
			   VFIO_DEVICE_STATE_V1_SAVING);
	if (ret)
		return ret;
	ret = v1_read_u64(r, V1_PENDING, &pending);
	while (!ret && pending) {
		ret = v1_save_buffer(r, b, &size);
		if (ret || !size)
			break;
		if (c && c->n < 65536)
			c->size[c->n++] = size;
		ret = v1_read_u64(r, V1_PENDING, &pending);
	}
	if (ret)
		return ret;
	return v1_set_state(r, ~VFIO_DEVICE_STATE_V1_SAVING, 0);
}

/*
 * vfio_load_buffer() for one chunk of @len bytes: read data_offset, write
 * what fits (mmap'd or in pieces), write data_size; repeat.  0 or -errno.
 */
static inline int v1_load_buffer(const struct v1_region *r, const uint8_t *p,
				 uint64_t len)
{
	uint64_t data_offset, report;
	int ret;

	do {
		ret = v1_read_u64(r, V1_DATA_OFFSET, &data_offset);
		if (ret)
			return ret;
		if (data_offset >= r->size)
			return -ERANGE;
		report = len < r->size - data_offset ? len : r->size - data_offset;
		if (r->map) {
			if (data_offset < r->mmap_off ||
			    data_offset + report > r->mmap_off + r->mmap_size)
				return -ERANGE;
			memcpy(r->map + (data_offset - r->mmap_off), p, report);
		} else {
			ret = v1_rw(r, (void *)p, report, data_offset, true);
			if (ret)
				return ret;
		}
		ret = v1_rw(r, &report, 8, V1_DATA_SIZE, true);
		if (ret)
			return ret;
		p += report;
		len -= report;
	} while (len);
	return 0;
}

#endif /* MDEVPT_MIG_UTIL_H */
