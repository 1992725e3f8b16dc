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
 */

#include <linux/bitmap.h>
#include <linux/crc32.h>
#include <linux/jhash.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/slab.h>
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
 * @lock: protects the fields below
 * @mem: the synthetic device state, @size bytes
 * @size: bytes of @mem, a multiple of PAGE_SIZE
 * @dirty: pages changed since pre-copy handed them out, one bit each
 * @next: first page the running save has not handed out yet
 * @saving: a save runs: @next and @dirty are in use
 */
struct mock_state {
	struct mdev_pt_instance *inst;
	struct mutex lock;		/* protects the fields below */
	u8 *mem;
	u64 size;
	unsigned long *dirty;
	unsigned long next;
	bool saving;
};

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

/* A synthetic device has nothing in flight. */
static int mock_stop(struct mdev_pt_instance *inst)
{
	return 0;
}

static int mock_resume(struct mdev_pt_instance *inst)
{
	return 0;
}

static int mock_save_begin(struct mdev_pt_instance *inst, bool precopy)
{
	struct mock_state *ms = mdev_pt_get_drvdata(inst);

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
	mock_save_end(inst);
}

static const struct mdev_pt_migration_ops mock_migration_ops = {
	.flags		= MDEV_PT_MIG_PRE_COPY,
	.stop		= mock_stop,
	.resume		= mock_resume,
	.save_begin	= mock_save_begin,
	.save_pending	= mock_save_pending,
	.save		= mock_save,
	.save_end	= mock_save_end,
	.load		= mock_load,
	.reset		= mock_reset,
};

/* ---- instance life ---- */

static int mock_create(struct mdev_pt_instance *inst)
{
	struct mock_state *ms;
	int ret;

	ms = kzalloc(sizeof(*ms), GFP_KERNEL);
	if (!ms)
		return -ENOMEM;
	ms->inst = inst;
	mutex_init(&ms->lock);

	ret = mock_alloc(MOCK_STATE_DEFAULT, &ms->mem, &ms->dirty);
	if (ret) {
		mutex_destroy(&ms->lock);
		kfree(ms);
		return ret;
	}
	ms->size = MOCK_STATE_DEFAULT;
	mock_fill(ms, ms->mem, ms->size);
	mdev_pt_set_drvdata(inst, ms);
	return 0;
}

static void mock_destroy(struct mdev_pt_instance *inst)
{
	struct mock_state *ms = mdev_pt_get_drvdata(inst);

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

/* "OFFSET LENGTH": add 1 to every byte of the range and mark it dirty. */
static ssize_t poke_store(struct device *dev, struct device_attribute *attr,
			  const char *buf, size_t count)
{
	struct mock_state *ms = mock_from_dev(dev);
	unsigned long long offset, len;
	char extra;
	u64 i;
	int n;

	n = sscanf(buf, "%lli %lli %c", &offset, &len, &extra);
	mutex_lock(&ms->lock);
	if (n != 2 || !len || offset >= ms->size || len > ms->size - offset) {
		mutex_unlock(&ms->lock);
		dev_warn(dev, "poke: '%.*s' is not \"OFFSET LENGTH\" inside the %llu byte state\n",
			 (int)strcspn(buf, "\n"), buf, ms->size);
		return -EINVAL;
	}
	for (i = offset; i < offset + len; i++)
		ms->mem[i]++;
	bitmap_set(ms->dirty, offset >> PAGE_SHIFT,
		   ((offset + len - 1) >> PAGE_SHIFT) - (offset >> PAGE_SHIFT) + 1);
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

static struct attribute *mock_attrs[] = {
	&dev_attr_state_size.attr,
	&dev_attr_poke.attr,
	&dev_attr_checksum.attr,
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
	},
};

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
};
module_mdev_pt_plugin(mock_plugin);

MODULE_ALIAS_MDEV_PT("00001B36", "00000010");
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("mdev-pt migration test plugin with a synthetic device state");
