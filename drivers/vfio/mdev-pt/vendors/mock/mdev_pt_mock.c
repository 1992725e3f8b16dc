// SPDX-License-Identifier: GPL-2.0-only
/*
 * mdev-pt mock plugin: a migratable type without migratable hardware.
 *
 * "mock-migratable" passes an NVMe function through as usual and adds,
 * as the device state it migrates, a synthetic buffer of vendor/state_size
 * bytes whose initial content derives from the instance's UUID.  Tests
 * change it with vendor/poke, compare vendor/checksum on both sides, and
 * watch pre-copy hand out just the pages poked since they were last read.
 *
 * Device state chunks: struct mdev_pt_mock_mig_chunk, then whole pages of
 * the buffer from its offset.  Pre-copy first hands out every page, then
 * the pages dirtied since; stop-copy hands out what is left of both.
 *
 * A poke is the device's own work: quiesced (RUNNING_P2P), the device
 * holds the pokes written to it and carries them out, in order, once it
 * runs again.  "mock-no-p2p" is the same type without quiesce, so without
 * the P2P states.
 *
 * Device DMA dirty tracking: both types log the guest pages "the device
 * wrote" in a struct mdev_pt_dirty_bitmap.  The mock's device writes no
 * guest memory of its own; tests and benchmarks name the writes through
 * vendor/dirty_mark ("IOVA LENGTH"), which works at any time and fails
 * with ENODATA while logging is off.  mock-migratable logs up to
 * MDEV_PT_DIRTY_MAX_RANGES ranges, mock-no-p2p only two, so that the
 * core's merging of the ranges shows.
 *
 * The plugin declares that its types depend on the controlling function
 * (a VF's PF), as a plugin that migrates through the PF's driver does, and
 * counts every call the core makes into it for a function after that
 * function's controlling_gone: the read-only module parameter
 * calls_after_gone, which must stay 0.
 */

#include <linux/bitmap.h>
#include <linux/crc32.h>
#include <linux/jhash.h>
#include <linux/list.h>
#include <linux/log2.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/sysfs.h>
#include <linux/vmalloc.h>
#include <linux/mdev_pt.h>

#define MOCK_STATE_MIN		PAGE_SIZE
#define MOCK_STATE_MAX		BIT_ULL(30)
#define MOCK_STATE_DEFAULT	BIT_ULL(20)
#define MOCK_CHUNK_HDR		sizeof(struct mdev_pt_mock_mig_chunk)

/**
 * struct mock_state - one mock-migratable instance
 * @inst: the instance
 * @dma_log: the guest pages the device wrote while dirty logging is on
 *	(vendor/dirty_mark); its own lock
 * @lock: protects the fields below
 * @mem: the synthetic device state, @size bytes
 * @size: bytes of @mem, a multiple of PAGE_SIZE
 * @dirty: pages changed since pre-copy handed them out, one bit each
 * @next: first page the running save has not handed out yet
 * @saving: a save runs: @next and @dirty are in use
 * @quiesced: the device is in RUNNING_P2P: pokes are held
 * @held: the pokes held while quiesced, &struct mock_poke, oldest first
 */
struct mock_state {
	struct mdev_pt_instance *inst;
	struct mdev_pt_dirty_bitmap dma_log;
	struct mutex lock;		/* protects the fields below */
	u8 *mem;
	u64 size;
	unsigned long *dirty;
	unsigned long next;
	bool saving;
	bool quiesced;
	struct list_head held;
};

/**
 * struct mock_poke - a poke held while the device is quiesced
 * @node: entry in &mock_state.held
 * @offset: first byte
 * @len: bytes
 */
struct mock_poke {
	struct list_head node;
	u64 offset;
	u64 len;
};

/**
 * struct mock_function - per-function state, from probe to remove
 * @gone: the function's controlling function went away
 * @lock: protects @ms
 * @ms: the instance on the function, from create to destroy
 */
struct mock_function {
	bool gone;
	struct mutex lock;		/* protects ms */
	struct mock_state *ms;
};

static struct mdev_pt_plugin mock_plugin;

static atomic_t mock_calls_after_gone = ATOMIC_INIT(0);

static int calls_after_gone_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%d\n", atomic_read(&mock_calls_after_gone));
}

static const struct kernel_param_ops calls_after_gone_ops = {
	.get	= calls_after_gone_get,
};
module_param_cb(calls_after_gone, &calls_after_gone_ops, NULL, 0444);
MODULE_PARM_DESC(calls_after_gone,
		 "calls into the plugin after its function's controlling function went away (must stay 0)");

static struct mock_function *mock_function_of(struct mdev_pt_instance *inst)
{
	return mdev_pt_function_get_drvdata(mdev_pt_instance_function(inst),
					    &mock_plugin);
}

/* Every callback but destroy: count a call the core must not make. */
static void mock_called(struct mdev_pt_instance *inst, const char *what)
{
	struct mock_function *mf = mock_function_of(inst);

	if (mf && READ_ONCE(mf->gone)) {
		atomic_inc(&mock_calls_after_gone);
		dev_err(mdev_pt_instance_dev(inst), "mock: %s called after the controlling function went away\n",
			what);
	}
}

static unsigned long mock_pages(u64 size)
{
	return size >> PAGE_SHIFT;
}

/* Deterministic content from the instance name (its UUID). */
static void mock_fill(struct mock_state *ms, u8 *mem, u64 size)
{
	const char *name = dev_name(mdev_pt_instance_dev(ms->inst));
	u64 x = jhash(name, strlen(name), 0x4d4f434b) | 1ULL << 32;
	u64 *p = (u64 *)mem;
	u64 i;

	for (i = 0; i < size / sizeof(u64); i++) {
		/* xorshift64 */
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		p[i] = x;
	}
}

/* A buffer of @size bytes with its dirty bitmap, or -ENOMEM. */
static int mock_alloc(u64 size, u8 **mem, unsigned long **dirty)
{
	*mem = vmalloc(size);
	*dirty = bitmap_zalloc(mock_pages(size), GFP_KERNEL);
	if (*mem && *dirty)
		return 0;
	vfree(*mem);
	bitmap_free(*dirty);
	return -ENOMEM;
}

/* Add 1 to every byte of a range and mark its pages dirty. */
static void mock_poke_range(struct mock_state *ms, u64 offset, u64 len)
{
	u64 i;

	lockdep_assert_held(&ms->lock);

	for (i = offset; i < offset + len; i++)
		ms->mem[i]++;
	bitmap_set(ms->dirty, offset >> PAGE_SHIFT,
		   ((offset + len - 1) >> PAGE_SHIFT) - (offset >> PAGE_SHIFT) + 1);
}

/* Carry out the held pokes (@apply), or forget them. */
static void mock_release_held(struct mock_state *ms, bool apply)
{
	struct mock_poke *p, *tmp;

	lockdep_assert_held(&ms->lock);

	list_for_each_entry_safe(p, tmp, &ms->held, node) {
		if (apply && p->offset + p->len <= ms->size)
			mock_poke_range(ms, p->offset, p->len);
		list_del(&p->node);
		kfree(p);
	}
}

/* Swap in a new buffer; the caller holds ms->lock or owns @ms alone. */
static void mock_replace(struct mock_state *ms, u8 *mem,
			 unsigned long *dirty, u64 size)
{
	vfree(ms->mem);
	bitmap_free(ms->dirty);
	ms->mem = mem;
	ms->dirty = dirty;
	ms->size = size;
	ms->next = 0;
}

static struct mock_state *mock_from_dev(struct device *dev)
{
	return mdev_pt_get_drvdata(mdev_pt_instance_from_dev(dev));
}

/* ---- migration verbs ---- */

/* Pokes are synchronous: nothing is ever in flight. */
static int mock_quiesce(struct mdev_pt_instance *inst)
{
	struct mock_state *ms = mdev_pt_get_drvdata(inst);

	mock_called(inst, "quiesce");
	mutex_lock(&ms->lock);
	ms->quiesced = true;
	mutex_unlock(&ms->lock);
	return 0;
}

static int mock_unquiesce(struct mdev_pt_instance *inst)
{
	struct mock_state *ms = mdev_pt_get_drvdata(inst);

	mock_called(inst, "unquiesce");
	mutex_lock(&ms->lock);
	ms->quiesced = false;
	mock_release_held(ms, true);
	mutex_unlock(&ms->lock);
	return 0;
}

static int mock_stop(struct mdev_pt_instance *inst)
{
	mock_called(inst, "stop");
	return 0;
}

static int mock_resume(struct mdev_pt_instance *inst)
{
	mock_called(inst, "resume");
	return 0;
}

static int mock_save_begin(struct mdev_pt_instance *inst, bool precopy)
{
	struct mock_state *ms = mdev_pt_get_drvdata(inst);

	mock_called(inst, "save_begin");
	mutex_lock(&ms->lock);
	ms->next = 0;
	bitmap_zero(ms->dirty, mock_pages(ms->size));
	ms->saving = true;
	mutex_unlock(&ms->lock);
	return 0;
}

static void mock_save_pending(struct mdev_pt_instance *inst, u64 *initial,
			      u64 *dirty)
{
	struct mock_state *ms = mdev_pt_get_drvdata(inst);
	unsigned long npages;

	mock_called(inst, "save_pending");
	mutex_lock(&ms->lock);
	npages = mock_pages(ms->size);
	if (ms->saving) {
		*initial = (u64)(npages - ms->next) << PAGE_SHIFT;
		*dirty = (u64)bitmap_weight(ms->dirty, npages) << PAGE_SHIFT;
	} else {
		*initial = ms->size;
		*dirty = 0;
	}
	mutex_unlock(&ms->lock);
}

/* Hand out the pages not sent yet, then those dirtied since. */
static ssize_t mock_save(struct mdev_pt_instance *inst, void *buf,
			 size_t size)
{
	struct mock_state *ms = mdev_pt_get_drvdata(inst);
	unsigned long max = (size - MOCK_CHUNK_HDR) >> PAGE_SHIFT;
	struct mdev_pt_mock_mig_chunk *chunk = buf;
	unsigned long npages, first, last;

	mock_called(inst, "save");
	mutex_lock(&ms->lock);
	npages = mock_pages(ms->size);
	if (ms->next < npages) {
		first = ms->next;
		last = min(npages, first + max);
		ms->next = last;
	} else {
		first = find_first_bit(ms->dirty, npages);
		if (first >= npages) {
			mutex_unlock(&ms->lock);
			return 0;
		}
		last = find_next_zero_bit(ms->dirty, min(npages, first + max),
					  first);
	}
	bitmap_clear(ms->dirty, first, last - first);

	chunk->state_size = cpu_to_le64(ms->size);
	chunk->offset = cpu_to_le64((u64)first << PAGE_SHIFT);
	memcpy(chunk + 1, ms->mem + ((u64)first << PAGE_SHIFT),
	       (last - first) << PAGE_SHIFT);
	mutex_unlock(&ms->lock);

	return MOCK_CHUNK_HDR + ((last - first) << PAGE_SHIFT);
}

static void mock_save_end(struct mdev_pt_instance *inst)
{
	struct mock_state *ms = mdev_pt_get_drvdata(inst);

	mock_called(inst, "save_end");
	mutex_lock(&ms->lock);
	ms->saving = false;
	mutex_unlock(&ms->lock);
}

static int mock_load(struct mdev_pt_instance *inst, const void *buf,
		     size_t size)
{
	struct mock_state *ms = mdev_pt_get_drvdata(inst);
	struct device *dev = mdev_pt_instance_dev(inst);
	const struct mdev_pt_mock_mig_chunk *chunk = buf;
	u64 state_size, offset, len = size - MOCK_CHUNK_HDR;
	unsigned long *dirty;
	int ret = 0;
	u8 *mem;

	mock_called(inst, "load");
	if (size < MOCK_CHUNK_HDR) {
		dev_err(dev, "mock state chunk of %zu bytes is too short\n",
			size);
		return -EINVAL;
	}
	state_size = le64_to_cpu(chunk->state_size);
	offset = le64_to_cpu(chunk->offset);
	if (state_size < MOCK_STATE_MIN || state_size > MOCK_STATE_MAX ||
	    !PAGE_ALIGNED(state_size) || !PAGE_ALIGNED(offset) ||
	    offset > state_size || len > state_size - offset) {
		dev_err(dev, "mock state chunk %llu+%llu does not fit a state of %llu bytes\n",
			offset, len, state_size);
		return -EINVAL;
	}

	mutex_lock(&ms->lock);
	/* The destination takes the source's state size. */
	if (state_size != ms->size) {
		ret = mock_alloc(state_size, &mem, &dirty);
		if (ret)
			goto out_unlock;
		memset(mem, 0, state_size);
		dev_info(dev, "state size %llu -> %llu from the migration stream\n",
			 ms->size, state_size);
		mock_replace(ms, mem, dirty, state_size);
	}
	memcpy(ms->mem + offset, chunk + 1, len);
out_unlock:
	mutex_unlock(&ms->lock);
	return ret;
}

static void mock_reset(struct mdev_pt_instance *inst)
{
	struct mock_state *ms = mdev_pt_get_drvdata(inst);

	mock_called(inst, "reset");
	mutex_lock(&ms->lock);
	ms->saving = false;
	ms->quiesced = false;
	mock_release_held(ms, false);
	mutex_unlock(&ms->lock);
}

/* The verbs both types share. */
#define MOCK_MIGRATION_VERBS				\
	.flags		= MDEV_PT_MIG_PRE_COPY,		\
	.stop		= mock_stop,			\
	.resume		= mock_resume,			\
	.save_begin	= mock_save_begin,		\
	.save_pending	= mock_save_pending,		\
	.save		= mock_save,			\
	.save_end	= mock_save_end,		\
	.load		= mock_load,			\
	.reset		= mock_reset

static const struct mdev_pt_migration_ops mock_migration_ops = {
	MOCK_MIGRATION_VERBS,
	.quiesce	= mock_quiesce,
	.unquiesce	= mock_unquiesce,
};

/* The same without quiesce: STOP_COPY (and PRE_COPY), no P2P states. */
static const struct mdev_pt_migration_ops mock_no_p2p_migration_ops = {
	MOCK_MIGRATION_VERBS,
};

/* ---- device DMA dirty tracking ---- */

static int mock_dirty_start(struct mdev_pt_instance *inst,
			    const struct mdev_pt_dirty_range *ranges,
			    unsigned int nr, u64 page_size)
{
	struct mock_state *ms = mdev_pt_get_drvdata(inst);
	struct device *dev = mdev_pt_instance_dev(inst);
	u64 pages = 0;
	unsigned int i;
	int ret;

	mock_called(inst, "dirty_start");
	ret = mdev_pt_dirty_bitmap_start(&ms->dma_log, ranges, nr, page_size);
	if (ret == -ENOSPC) {
		for (i = 0; i < nr; i++)
			pages += ranges[i].length >> ilog2(page_size);
		dev_err_ratelimited(dev, "dirty logging refused: %llu pages of %llu bytes are too many for the log\n",
				    pages, page_size);
	} else if (ret) {
		dev_err_ratelimited(dev, "dirty logging refused: %d\n", ret);
	}
	return ret;
}

static void mock_dirty_stop(struct mdev_pt_instance *inst)
{
	struct mock_state *ms = mdev_pt_get_drvdata(inst);

	mock_called(inst, "dirty_stop");
	mdev_pt_dirty_bitmap_stop(&ms->dma_log);
}

static int mock_dirty_report(struct mdev_pt_instance *inst, u64 iova,
			     u64 length, struct mdev_pt_dirty_report *report)
{
	struct mock_state *ms = mdev_pt_get_drvdata(inst);

	mock_called(inst, "dirty_report");
	return mdev_pt_dirty_bitmap_report(&ms->dma_log, iova, length, report);
}

/* The verbs both types share. */
#define MOCK_DIRTY_VERBS				\
	.start		= mock_dirty_start,		\
	.stop		= mock_dirty_stop,		\
	.report		= mock_dirty_report

static const struct mdev_pt_dirty_ops mock_dirty_ops = {
	.max_ranges	= MDEV_PT_DIRTY_MAX_RANGES,
	MOCK_DIRTY_VERBS,
};

/* Two ranges: more are merged by the core. */
static const struct mdev_pt_dirty_ops mock_no_p2p_dirty_ops = {
	.max_ranges	= 2,
	MOCK_DIRTY_VERBS,
};

/* ---- instance life ---- */

static int mock_create(struct mdev_pt_instance *inst)
{
	struct mock_function *mf = mock_function_of(inst);
	struct mock_state *ms;
	int ret;

	ms = kzalloc(sizeof(*ms), GFP_KERNEL);
	if (!ms)
		return -ENOMEM;
	ms->inst = inst;
	mdev_pt_dirty_bitmap_init(&ms->dma_log);
	mutex_init(&ms->lock);
	INIT_LIST_HEAD(&ms->held);

	ret = mock_alloc(MOCK_STATE_DEFAULT, &ms->mem, &ms->dirty);
	if (ret) {
		mutex_destroy(&ms->lock);
		kfree(ms);
		return ret;
	}
	ms->size = MOCK_STATE_DEFAULT;
	mock_fill(ms, ms->mem, ms->size);
	mdev_pt_set_drvdata(inst, ms);
	if (mf) {
		mutex_lock(&mf->lock);
		mf->ms = ms;
		mutex_unlock(&mf->lock);
	}
	return 0;
}

static void mock_destroy(struct mdev_pt_instance *inst)
{
	struct mock_state *ms = mdev_pt_get_drvdata(inst);
	struct mock_function *mf = mock_function_of(inst);

	if (mf) {
		mutex_lock(&mf->lock);
		mf->ms = NULL;
		mutex_unlock(&mf->lock);
	}
	mdev_pt_dirty_bitmap_stop(&ms->dma_log);
	mutex_lock(&ms->lock);
	mock_release_held(ms, false);
	mutex_unlock(&ms->lock);
	mock_replace(ms, NULL, NULL, 0);
	mutex_destroy(&ms->lock);
	kfree(ms);
}

static const struct mdev_pt_type_ops mock_type_ops = {
	.create		= mock_create,
	.destroy	= mock_destroy,
};

/* ---- attributes ---- */

static ssize_t state_size_show(struct device *dev,
			       struct device_attribute *attr, char *buf)
{
	struct mock_state *ms = mock_from_dev(dev);
	u64 size;

	mutex_lock(&ms->lock);
	size = ms->size;
	mutex_unlock(&ms->lock);
	return sysfs_emit(buf, "%llu\n", size);
}

static ssize_t state_size_store(struct device *dev,
				struct device_attribute *attr,
				const char *buf, size_t count)
{
	struct mdev_pt_instance *inst = mdev_pt_instance_from_dev(dev);
	struct mock_state *ms = mdev_pt_get_drvdata(inst);
	unsigned long *dirty;
	u64 size;
	u8 *mem;
	int ret;

	ret = kstrtou64(buf, 0, &size);
	if (ret || size < MOCK_STATE_MIN || size > MOCK_STATE_MAX ||
	    !PAGE_ALIGNED(size)) {
		dev_warn(dev, "state_size: '%.*s' is not a multiple of %lu in %lu..%llu\n",
			 (int)strcspn(buf, "\n"), buf, PAGE_SIZE,
			 MOCK_STATE_MIN, MOCK_STATE_MAX);
		return -EINVAL;
	}

	ret = mock_alloc(size, &mem, &dirty);
	if (ret) {
		dev_warn(dev, "state_size: cannot allocate %llu bytes\n", size);
		return ret;
	}
	mock_fill(ms, mem, size);

	mutex_lock(&ms->lock);
	if (mdev_pt_instance_opened(inst)) {
		mutex_unlock(&ms->lock);
		dev_warn(dev, "state_size: fixed once the device was opened\n");
		vfree(mem);
		bitmap_free(dirty);
		return -EBUSY;
	}
	mock_replace(ms, mem, dirty, size);
	mutex_unlock(&ms->lock);
	return count;
}
static DEVICE_ATTR_RW(state_size);

/*
 * "OFFSET LENGTH": add 1 to every byte of the range and mark it dirty;
 * held until RUNNING while the device is quiesced.
 */
static ssize_t poke_store(struct device *dev, struct device_attribute *attr,
			  const char *buf, size_t count)
{
	struct mock_state *ms = mock_from_dev(dev);
	unsigned long long offset, len;
	struct mock_poke *held;
	char extra;
	int n;

	n = sscanf(buf, "%lli %lli %c", &offset, &len, &extra);
	mutex_lock(&ms->lock);
	if (n != 2 || !len || offset >= ms->size || len > ms->size - offset) {
		mutex_unlock(&ms->lock);
		dev_warn(dev, "poke: '%.*s' is not \"OFFSET LENGTH\" inside the %llu byte state\n",
			 (int)strcspn(buf, "\n"), buf, ms->size);
		return -EINVAL;
	}
	if (ms->quiesced) {
		held = kmalloc(sizeof(*held), GFP_KERNEL);
		if (!held) {
			mutex_unlock(&ms->lock);
			return -ENOMEM;
		}
		held->offset = offset;
		held->len = len;
		list_add_tail(&held->node, &ms->held);
	} else {
		mock_poke_range(ms, offset, len);
	}
	mutex_unlock(&ms->lock);
	return count;
}
static DEVICE_ATTR_WO(poke);

static ssize_t checksum_show(struct device *dev,
			     struct device_attribute *attr, char *buf)
{
	struct mock_state *ms = mock_from_dev(dev);
	u32 crc;

	mutex_lock(&ms->lock);
	crc = crc32_le(~0U, ms->mem, ms->size) ^ ~0U;
	mutex_unlock(&ms->lock);
	return sysfs_emit(buf, "%08x\n", crc);
}
static DEVICE_ATTR_RO(checksum);

/* "A B": two numbers (decimal, 0x hexadecimal or 0 octal), nothing else. */
static int mock_parse_pair(const char *buf, size_t count, u64 *a, u64 *b)
{
	char *s, *p, *first;
	int ret = -EINVAL;

	s = kmemdup_nul(buf, count, GFP_KERNEL);
	if (!s)
		return -ENOMEM;
	p = strim(s);
	first = strsep(&p, " \t");
	if (p) {
		p = skip_spaces(p);
		if (!strpbrk(p, " \t") && !kstrtou64(first, 0, a) &&
		    !kstrtou64(p, 0, b))
			ret = 0;
	}
	kfree(s);
	return ret;
}

/*
 * "IOVA LENGTH": the device wrote those bytes of guest memory; the pages
 * they touch inside the logged ranges are marked dirty (outside, nothing
 * is).  While dirty logging is off there is no log to mark: ENODATA.
 */
static ssize_t dirty_mark_store(struct device *dev,
				struct device_attribute *attr,
				const char *buf, size_t count)
{
	struct mock_state *ms = mock_from_dev(dev);
	u64 iova, len;
	int ret;

	ret = mock_parse_pair(buf, count, &iova, &len);
	if (ret == -ENOMEM)
		return ret;
	if (ret || !len || len - 1 > U64_MAX - iova) {
		dev_err_ratelimited(dev, "dirty_mark: '%.*s' is not \"IOVA LENGTH\" with a length of 1 to 2^64 - IOVA\n",
				    (int)strcspn(buf, "\n"), buf);
		return -EINVAL;
	}
	if (!mdev_pt_dirty_bitmap_mark(&ms->dma_log, iova, len)) {
		dev_err_ratelimited(dev, "dirty_mark: dirty logging is off\n");
		return -ENODATA;
	}
	return count;
}
static DEVICE_ATTR_WO(dirty_mark);

static struct attribute *mock_attrs[] = {
	&dev_attr_state_size.attr,
	&dev_attr_poke.attr,
	&dev_attr_checksum.attr,
	&dev_attr_dirty_mark.attr,
	NULL
};

static const struct attribute_group mock_attr_group = {
	.name	= "vendor",
	.attrs	= mock_attrs,
};

static const struct mdev_pt_type mock_types[] = {
	{
		.sysfs_name	= "mock-migratable",
		.pretty_name	= "Mock migratable",
		.description	= "passthrough with a synthetic state of vendor/state_size bytes",
		.ops		= &mock_type_ops,
		.attrs		= &mock_attr_group,
		.migration	= &mock_migration_ops,
		.migration_compat = "mdev_pt-mock-migratable v1",
		.dirty		= &mock_dirty_ops,
	},
	{
		.sysfs_name	= "mock-no-p2p",
		.pretty_name	= "Mock migratable without P2P",
		.description	= "mock-migratable without quiesce: no RUNNING_P2P",
		.ops		= &mock_type_ops,
		.attrs		= &mock_attr_group,
		.migration	= &mock_no_p2p_migration_ops,
		.migration_compat = "mdev_pt-mock-no-p2p v1",
		.dirty		= &mock_no_p2p_dirty_ops,
	},
};

static int mock_probe(struct mdev_pt_function *fn,
		      const struct pci_device_id *id)
{
	struct mock_function *mf;

	mf = kzalloc(sizeof(*mf), GFP_KERNEL);
	if (!mf)
		return -ENOMEM;
	mutex_init(&mf->lock);
	mdev_pt_function_set_drvdata(fn, &mock_plugin, mf);
	return 0;
}

static void mock_remove(struct mdev_pt_function *fn)
{
	struct mock_function *mf = mdev_pt_function_get_drvdata(fn, &mock_plugin);

	mutex_destroy(&mf->lock);
	kfree(mf);
}

/*
 * The core stopped dirty logging without telling the plugin: the log is
 * dropped here, and vendor/dirty_mark fails with ENODATA from now on.
 */
static void mock_controlling_gone(struct mdev_pt_function *fn)
{
	struct mock_function *mf = mdev_pt_function_get_drvdata(fn, &mock_plugin);

	WRITE_ONCE(mf->gone, true);
	mutex_lock(&mf->lock);
	if (mf->ms)
		mdev_pt_dirty_bitmap_stop(&mf->ms->dma_log);
	mutex_unlock(&mf->lock);
	pci_info(mdev_pt_function_pdev(fn), "mock: controlling function %s gone\n",
		 pci_name(mdev_pt_function_controlling_pdev(fn)));
}

/*
 * A test module: the state that migrates is synthetic, so it must never
 * serve real hardware.  Only QEMU's emulated NVMe controller (1b36:0010,
 * its SR-IOV VFs included) matches.
 */
static const struct pci_device_id mock_ids[] = {
	{ PCI_DEVICE(PCI_VENDOR_ID_REDHAT, 0x0010) },
	{ }
};

static struct mdev_pt_plugin mock_plugin = {
	.name		= "mock",
	.owner		= THIS_MODULE,
	.id_table	= mock_ids,
	.types		= mock_types,
	.num_types	= ARRAY_SIZE(mock_types),
	.probe		= mock_probe,
	.remove		= mock_remove,
	.controlling_gone = mock_controlling_gone,
};
module_mdev_pt_plugin(mock_plugin);

MODULE_ALIAS_MDEV_PT("00001B36", "00000010");
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("mdev-pt migration test plugin with a synthetic device state");
