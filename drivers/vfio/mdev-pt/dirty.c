// SPDX-License-Identifier: GPL-2.0-only
/*
 * mdev-pt: device DMA dirty tracking.
 *
 * vfio core implements VFIO_DEVICE_FEATURE_DMA_LOGGING_START, _STOP and
 * _REPORT on top of a device's vfio_log_ops; a migratable type with
 * &mdev_pt_type.dirty gets them here.  The core owns the contract: it
 * checks the page size and the ranges, merges the ranges down to what the
 * plugin can log, refuses a second start, reports only while started and
 * only inside the started ranges, and stops logging when the device is
 * closed or reset and when the instance goes.  The plugin knows which
 * pages its device wrote (&mdev_pt_dirty_ops).
 *
 * Locking: the log_ops enter the plugin gate, then take the migration
 * state mutex (mdev_pt_mig_state_lock()), which also serializes them with
 * the migration callbacks and protects &mdev_pt_mig.dirty.  A report runs
 * once per chunk of the user's bitmap (iova_bitmap_for_each()); a
 * &struct mdev_pt_dirty_report is only valid inside one such call.
 *
 * Also here: &struct mdev_pt_dirty_bitmap, the log kept by the host for
 * plugins that see their device's writes.
 */

#include <linux/bitmap.h>
#include <linux/interval_tree.h>
#include <linux/iova_bitmap.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/vfio.h>

#include "compat.h"
#include "migration.h"
#include "mdev_pt_trace.h"

#ifdef MDEV_PT_DIRTY_LOG_IMPORT_NS
MODULE_IMPORT_NS(IOMMUFD);
#endif

/* Most pages a &struct mdev_pt_dirty_bitmap logs: a 32 MiB bitmap. */
#define MDEV_PT_DIRTY_BITMAP_MAX_PAGES	BIT_ULL(28)

/**
 * struct mdev_pt_dirty_report - a report in progress
 * @bitmap: the user's bitmap, as vfio core walks it
 * @first: first IOVA of the range being reported
 * @last: last IOVA of the range being reported (inclusive)
 * @page_shift: log2 of the logging page size
 * @pages: pages reported so far, for the counters and the trace
 */
struct mdev_pt_dirty_report {
	struct iova_bitmap *bitmap;
	u64 first;
	u64 last;
	unsigned int page_shift;
	u64 pages;
};

/*
 * The last IOVA a device write of @length (not 0) bytes at @iova touches:
 * one that wraps past the top of the IOVA space ends there.
 */
static u64 mdev_pt_dirty_write_last(u64 iova, u64 length)
{
	u64 last;

	if (check_add_overflow(iova, length - 1, &last))
		return U64_MAX;
	return last;
}

void mdev_pt_dirty_report_set(struct mdev_pt_dirty_report *report, u64 iova,
			      u64 length)
{
	u64 first, last;

	if (!length)
		return;
	first = max(iova, report->first);
	last = min(mdev_pt_dirty_write_last(iova, length), report->last);
	if (first > last)
		return;
	/*
	 * iova_bitmap_set() must stay inside the chunk vfio core maps for
	 * this call: before 6.8 it does not check.
	 */
	iova_bitmap_set(report->bitmap, first, last - first + 1);
	report->pages += (last >> report->page_shift) -
			 (first >> report->page_shift) + 1;
}
EXPORT_SYMBOL_GPL(mdev_pt_dirty_report_set);

/* ---- the vfio_log_ops ---- */

/* The instance whose plugin the log_ops call, or NULL if none may be. */
static struct mdev_pt_instance *mdev_pt_dirty_inst(struct mdev_pt_function *fn)
{
	struct mdev_pt_instance *inst = fn->mig.inst;

	lockdep_assert_held(&fn->mig.state_mutex);
	mdev_pt_gate_assert_held(fn);

	return inst && inst->mt->type->dirty ? inst : NULL;
}

/*
 * Merge @ranges (sorted, not overlapping) across their smallest gaps until
 * at most @max remain.
 */
static unsigned int mdev_pt_dirty_merge(struct mdev_pt_dirty_range *ranges,
					unsigned int nr, unsigned int max)
{
	unsigned int i, best;
	u64 gap, best_gap;

	while (nr > max) {
		best = 0;
		best_gap = U64_MAX;
		for (i = 0; i + 1 < nr; i++) {
			gap = ranges[i + 1].iova -
			      (ranges[i].iova + ranges[i].length);
			if (gap < best_gap) {
				best_gap = gap;
				best = i;
			}
		}
		ranges[best].length = ranges[best + 1].iova +
				      ranges[best + 1].length - ranges[best].iova;
		memmove(&ranges[best + 1], &ranges[best + 2],
			(nr - best - 2) * sizeof(*ranges));
		nr--;
	}
	return nr;
}

static int mdev_pt_dirty_start_locked(struct mdev_pt_function *fn,
				      struct rb_root_cached *root, u32 nnodes,
				      u64 page_size)
{
	struct mdev_pt_instance *inst = mdev_pt_dirty_inst(fn);
	struct mdev_pt_dirty *dirty = &fn->mig.dirty;
	struct mdev_pt_dirty_range *ranges;
	struct interval_tree_node *node;
	const struct mdev_pt_dirty_ops *ops;
	struct device *dev;
	unsigned int nr = 0;
	int ret;

	if (!inst)
		return -ENOTTY;
	ops = inst->mt->type->dirty;
	dev = mdev_pt_instance_dev(inst);

	if (dirty->ranges) {
		dev_err_ratelimited(dev, "dirty logging refused: it is already started\n");
		return -EBUSY;
	}
	if (page_size < SZ_4K || !is_power_of_2(page_size)) {
		dev_err_ratelimited(dev, "dirty logging refused: page size %llu is not a power of two of at least 4 KiB\n",
				    page_size);
		return -EINVAL;
	}
	if (!nnodes || nnodes > MDEV_PT_DIRTY_MAX_RANGES) {
		dev_err_ratelimited(dev, "dirty logging refused: %u ranges, at most %u can be logged\n",
				    nnodes, MDEV_PT_DIRTY_MAX_RANGES);
		return -E2BIG;
	}

	ranges = kcalloc(nnodes, sizeof(*ranges), GFP_KERNEL_ACCOUNT);
	if (!ranges)
		return -ENOMEM;
	/* vfio core checked alignment, overflow and overlaps; in IOVA order. */
	for (node = interval_tree_iter_first(root, 0, ULONG_MAX);
	     node && nr < nnodes;
	     node = interval_tree_iter_next(node, 0, ULONG_MAX)) {
		ranges[nr].iova = node->start;
		ranges[nr].length = (u64)node->last - node->start + 1;
		/* vfio core passes a length of 0 on, as [iova, iova - 1]. */
		if (!ranges[nr].length) {
			dev_err_ratelimited(dev, "dirty logging refused: the range at %#llx is empty\n",
					    ranges[nr].iova);
			ret = -EINVAL;
			goto out_free_ranges;
		}
		nr++;
	}
	if (nr != nnodes) {
		ret = -EINVAL;
		goto out_free_ranges;
	}
	nr = mdev_pt_dirty_merge(ranges, nr, ops->max_ranges);

	ret = ops->start(inst, ranges, nr, page_size);
	trace_mdev_pt_plugin_call(inst, MDEV_PT_OP_DIRTY_START, ret);
	if (ret)
		goto out_free_ranges;

	dirty->ranges = ranges;
	dirty->nr_ranges = nr;
	dirty->page_size = page_size;
	dirty->stats.starts++;
	return 0;

out_free_ranges:
	kfree(ranges);
	return ret;
}

/**
 * mdev_pt_dirty_stop_locked() - stop dirty logging
 * @fn: the function, with the state mutex held
 * @gated: the caller is inside the plugin gate: tell the plugin
 *
 * Without @gated the plugin's gate closed, and its &mdev_pt_plugin
 * .controlling_gone dropped what it logged: logging is only forgotten.
 */
void mdev_pt_dirty_stop_locked(struct mdev_pt_function *fn, bool gated)
{
	struct mdev_pt_instance *inst = fn->mig.inst;
	struct mdev_pt_dirty *dirty = &fn->mig.dirty;

	lockdep_assert_held(&fn->mig.state_mutex);

	if (!dirty->ranges)
		return;
	if (gated) {
		mdev_pt_gate_assert_held(fn);
		inst->mt->type->dirty->stop(inst);
		trace_mdev_pt_plugin_call(inst, MDEV_PT_OP_DIRTY_STOP, 0);
	}
	trace_mdev_pt_dirty_stop(inst);
	kfree(dirty->ranges);
	dirty->ranges = NULL;
	dirty->nr_ranges = 0;
}

static int mdev_pt_dirty_report_locked(struct mdev_pt_function *fn,
				       unsigned long iova,
				       unsigned long length,
				       struct iova_bitmap *bitmap)
{
	struct mdev_pt_instance *inst = mdev_pt_dirty_inst(fn);
	struct mdev_pt_dirty *dirty = &fn->mig.dirty;
	struct mdev_pt_dirty_report report;
	u64 last = (u64)iova + length - 1;
	const struct mdev_pt_dirty_range *r;
	u64 covered = 0;
	unsigned int i;
	int ret;

	if (!inst)
		return -ENOTTY;
	if (!dirty->ranges) {
		dev_err_ratelimited(mdev_pt_instance_dev(inst),
				    "dirty log report refused: logging is not started\n");
		dirty->stats.errors++;
		return -EINVAL;
	}
	if (!length)
		return 0;

	for (i = 0; i < dirty->nr_ranges; i++) {
		r = &dirty->ranges[i];
		if (r->iova <= last && iova <= r->iova + r->length - 1)
			covered += min(last, r->iova + r->length - 1) -
				   max((u64)iova, r->iova) + 1;
	}
	if (covered != length) {
		dev_err_ratelimited(mdev_pt_instance_dev(inst),
				    "dirty log report refused: [%#lx, %#llx] is not inside the logged ranges\n",
				    iova, last);
		dirty->stats.errors++;
		return -ERANGE;
	}

	for (i = 0; i < dirty->nr_ranges; i++) {
		r = &dirty->ranges[i];
		if (r->iova > last || iova > r->iova + r->length - 1)
			continue;
		report = (struct mdev_pt_dirty_report) {
			.bitmap		= bitmap,
			.first		= max((u64)iova, r->iova),
			.last		= min(last, r->iova + r->length - 1),
			.page_shift	= ilog2(dirty->page_size),
		};
		ret = inst->mt->type->dirty->report(inst, report.first,
						    report.last - report.first + 1,
						    &report);
		trace_mdev_pt_plugin_call(inst, MDEV_PT_OP_DIRTY_REPORT, ret);
		trace_mdev_pt_dirty_report(inst, report.first,
					   report.last - report.first + 1,
					   report.pages, ret);
		dirty->stats.reports++;
		dirty->stats.pages += report.pages;
		if (ret) {
			dirty->stats.errors++;
			return ret;
		}
	}
	return 0;
}

static int mdev_pt_log_start(struct vfio_device *vdev,
			     struct rb_root_cached *ranges, u32 nnodes,
			     u64 *page_size)
{
	struct mdev_pt_function *fn = mdev_pt_from_vdev(vdev);
	int ret = -ENOTCONN, idx;

	if (mdev_pt_gate_enter(fn, &idx)) {
		mdev_pt_mig_state_lock(fn);
		ret = mdev_pt_dirty_start_locked(fn, ranges, nnodes,
						 *page_size);
		if (ret && fn->mig.inst)
			fn->mig.dirty.stats.errors++;
		if (fn->mig.inst)
			trace_mdev_pt_dirty_start(fn->mig.inst, nnodes,
						  *page_size, ret);
		mdev_pt_mig_state_unlock(fn);
		mdev_pt_gate_exit(fn, idx);
	}
	return ret;
}

/* Stopping what is not started succeeds: vfio core expects it. */
static int mdev_pt_log_stop(struct vfio_device *vdev)
{
	struct mdev_pt_function *fn = mdev_pt_from_vdev(vdev);
	int idx;

	if (!mdev_pt_gate_enter(fn, &idx))
		return -ENOTCONN;
	mdev_pt_mig_state_lock(fn);
	if (mdev_pt_dirty_inst(fn))
		mdev_pt_dirty_stop_locked(fn, true);
	mdev_pt_mig_state_unlock(fn);
	mdev_pt_gate_exit(fn, idx);
	return 0;
}

static int mdev_pt_log_read_and_clear(struct vfio_device *vdev,
				      unsigned long iova, unsigned long length,
				      struct iova_bitmap *dirty)
{
	struct mdev_pt_function *fn = mdev_pt_from_vdev(vdev);
	int ret = -ENOTCONN, idx;

	if (mdev_pt_gate_enter(fn, &idx)) {
		mdev_pt_mig_state_lock(fn);
		ret = mdev_pt_dirty_report_locked(fn, iova, length, dirty);
		mdev_pt_mig_state_unlock(fn);
		mdev_pt_gate_exit(fn, idx);
	}
	return ret;
}

static const struct vfio_log_ops mdev_pt_log_ops = {
	.log_start		= mdev_pt_log_start,
	.log_stop		= mdev_pt_log_stop,
	.log_read_and_clear	= mdev_pt_log_read_and_clear,
};

/**
 * mdev_pt_dirty_supported() - whether this kernel can report dirty pages
 *
 * Return: false where vfio core fails every dirty log report (since 6.8
 * without CONFIG_IOMMUFD_DRIVER, as in Debian's 6.12 kernels).
 */
bool mdev_pt_dirty_supported(void)
{
	return MDEV_PT_DIRTY_LOG;
}

/**
 * mdev_pt_dirty_seq_show() - dirty logging of the instance, for debugfs
 * @fn: the function, a type with dirty tracking holding the lease
 * @s: the file
 *
 * Takes the state mutex without applying a pending reset, which would
 * call into the plugin (as mdev_pt_mig_read_state() does).
 */
void mdev_pt_dirty_seq_show(struct mdev_pt_function *fn, struct seq_file *s)
{
	struct mdev_pt_dirty *dirty = &fn->mig.dirty;
	unsigned int i;

	mutex_lock(&fn->mig.state_mutex);
	seq_printf(s, "supported %s\n",
		   mdev_pt_dirty_supported() ? "yes" : "no (kernel without CONFIG_IOMMUFD_DRIVER)");
	seq_printf(s, "logging %s\n", dirty->ranges ? "on" : "off");
	if (dirty->ranges) {
		seq_printf(s, "page_size %llu\n", dirty->page_size);
		for (i = 0; i < dirty->nr_ranges; i++)
			seq_printf(s, "range 0x%llx 0x%llx\n",
				   dirty->ranges[i].iova,
				   dirty->ranges[i].length);
	}
	seq_printf(s, "starts %llu\n", dirty->stats.starts);
	seq_printf(s, "reports %llu\n", dirty->stats.reports);
	seq_printf(s, "pages %llu\n", dirty->stats.pages);
	seq_printf(s, "errors %llu\n", dirty->stats.errors);
	mutex_unlock(&fn->mig.state_mutex);
}

/**
 * mdev_pt_dirty_attach() - offer dirty tracking for a migratable instance
 * @inst: the instance taking the lease, before it can be opened
 *
 * vfio core reads log_ops only while the device is open, so they follow
 * the lease like the mig_ops (mdev_pt_mig_attach()).  vfio_pci_core
 * checks at registration that a device's log_ops are complete; these are.
 */
void mdev_pt_dirty_attach(struct mdev_pt_instance *inst)
{
	struct mdev_pt_function *fn = inst->fn;

	mdev_pt_mig_state_lock(fn);
	memset(&fn->mig.dirty.stats, 0, sizeof(fn->mig.dirty.stats));
	mdev_pt_mig_state_unlock(fn);

	if (inst->mt->type->dirty && mdev_pt_dirty_supported())
		fn->core_device.vdev.log_ops = &mdev_pt_log_ops;
}

/**
 * mdev_pt_dirty_detach() - the instance releases the lease
 * @inst: the instance, closed: logging was stopped at the close
 */
void mdev_pt_dirty_detach(struct mdev_pt_instance *inst)
{
	inst->fn->core_device.vdev.log_ops = NULL;
}

/* ---- the host's log, for plugins ---- */

/**
 * struct mdev_pt_dirty_map - the ranges a &struct mdev_pt_dirty_bitmap logs
 * @page_shift: log2 of the logging page size
 * @nr: number of @ranges
 * @bits: one bit per page of all ranges, in order
 * @ranges: the ranges, @first_bit their first page's bit in @bits
 */
struct mdev_pt_dirty_map {
	unsigned int page_shift;
	unsigned int nr;
	unsigned long *bits;
	struct {
		u64 iova;
		u64 npages;
		u64 first_bit;
	} ranges[];
};

void mdev_pt_dirty_bitmap_init(struct mdev_pt_dirty_bitmap *db)
{
	spin_lock_init(&db->lock);
	db->map = NULL;
}
EXPORT_SYMBOL_GPL(mdev_pt_dirty_bitmap_init);

int mdev_pt_dirty_bitmap_start(struct mdev_pt_dirty_bitmap *db,
			       const struct mdev_pt_dirty_range *ranges,
			       unsigned int nr, u64 page_size)
{
	struct mdev_pt_dirty_map *map;
	unsigned int shift = ilog2(page_size);
	u64 pages = 0;
	unsigned int i;

	for (i = 0; i < nr; i++) {
		pages += ranges[i].length >> shift;
		if (pages > MDEV_PT_DIRTY_BITMAP_MAX_PAGES)
			return -ENOSPC;
	}
	if (!pages)
		return -EINVAL;

	map = kzalloc(struct_size(map, ranges, nr), GFP_KERNEL_ACCOUNT);
	if (!map)
		return -ENOMEM;
	map->nr = nr;
	map->page_shift = shift;
	map->bits = kvcalloc(BITS_TO_LONGS(pages), sizeof(unsigned long),
			     GFP_KERNEL_ACCOUNT);
	if (!map->bits) {
		kfree(map);
		return -ENOMEM;
	}
	pages = 0;
	for (i = 0; i < nr; i++) {
		map->ranges[i].iova = ranges[i].iova;
		map->ranges[i].npages = ranges[i].length >> shift;
		map->ranges[i].first_bit = pages;
		pages += map->ranges[i].npages;
	}

	spin_lock(&db->lock);
	if (db->map) {
		spin_unlock(&db->lock);
		kvfree(map->bits);
		kfree(map);
		return -EBUSY;
	}
	db->map = map;
	spin_unlock(&db->lock);
	return 0;
}
EXPORT_SYMBOL_GPL(mdev_pt_dirty_bitmap_start);

void mdev_pt_dirty_bitmap_stop(struct mdev_pt_dirty_bitmap *db)
{
	struct mdev_pt_dirty_map *map;

	spin_lock(&db->lock);
	map = db->map;
	db->map = NULL;
	spin_unlock(&db->lock);

	if (map) {
		kvfree(map->bits);
		kfree(map);
	}
}
EXPORT_SYMBOL_GPL(mdev_pt_dirty_bitmap_stop);

/*
 * The bits of range @i of @map that [@iova, @last] touches, in @first and
 * @end (exclusive); false if none.
 */
static bool mdev_pt_dirty_map_bits(const struct mdev_pt_dirty_map *map,
				   unsigned int i, u64 iova, u64 last,
				   u64 *first, u64 *end)
{
	u64 start = map->ranges[i].iova;
	u64 stop = start + (map->ranges[i].npages << map->page_shift) - 1;

	if (iova > stop || last < start)
		return false;
	iova = max(iova, start);
	last = min(last, stop);
	*first = map->ranges[i].first_bit + ((iova - start) >> map->page_shift);
	*end = map->ranges[i].first_bit + ((last - start) >> map->page_shift) + 1;
	return true;
}

bool mdev_pt_dirty_bitmap_mark(struct mdev_pt_dirty_bitmap *db, u64 iova,
			       u64 length)
{
	struct mdev_pt_dirty_map *map;
	unsigned long flags;
	u64 last, first, end;
	unsigned int i;

	if (!length)
		return false;
	last = mdev_pt_dirty_write_last(iova, length);

	spin_lock_irqsave(&db->lock, flags);
	map = db->map;
	for (i = 0; map && i < map->nr; i++)
		if (mdev_pt_dirty_map_bits(map, i, iova, last, &first, &end))
			bitmap_set(map->bits, first, end - first);
	spin_unlock_irqrestore(&db->lock, flags);
	return map;
}
EXPORT_SYMBOL_GPL(mdev_pt_dirty_bitmap_mark);

int mdev_pt_dirty_bitmap_report(struct mdev_pt_dirty_bitmap *db, u64 iova,
				u64 length, struct mdev_pt_dirty_report *report)
{
	struct mdev_pt_dirty_map *map;
	u64 last = iova + length - 1, first, end, bit, run, keep_first, keep_last;
	unsigned long flags;
	unsigned int i;

	if (!length)
		return 0;
	/*
	 * Each run of set bits is cleared under the lock and reported after
	 * it: iova_bitmap_set() may pin pages of the user's bitmap.  Start,
	 * stop and report are serialized by their caller, so @map stays.
	 */
	map = READ_ONCE(db->map);
	if (!map)
		return -EINVAL;
	for (i = 0; i < map->nr; i++) {
		if (!mdev_pt_dirty_map_bits(map, i, iova, last, &first, &end))
			continue;
		/*
		 * A page the range covers only in part is reported but kept:
		 * the report that covers the rest of it must name it too.
		 */
		keep_first = U64_MAX;
		keep_last = U64_MAX;
		if ((max(iova, map->ranges[i].iova) - map->ranges[i].iova) &
		    ((1ULL << map->page_shift) - 1))
			keep_first = first;
		if ((min(last, map->ranges[i].iova +
				(map->ranges[i].npages << map->page_shift) - 1) -
		     map->ranges[i].iova + 1) & ((1ULL << map->page_shift) - 1))
			keep_last = end - 1;
		for (bit = first; bit < end; bit += run) {
			spin_lock_irqsave(&db->lock, flags);
			bit = find_next_bit(map->bits, end, bit);
			run = find_next_zero_bit(map->bits, end, bit) - bit;
			bitmap_clear(map->bits, bit, run);
			if (run && (keep_first == bit || keep_last == bit + run - 1)) {
				if (keep_first == bit)
					__set_bit(bit, map->bits);
				if (keep_last == bit + run - 1)
					__set_bit(bit + run - 1, map->bits);
			}
			spin_unlock_irqrestore(&db->lock, flags);
			if (!run)
				break;
			mdev_pt_dirty_report_set(report,
						 map->ranges[i].iova +
						 ((bit - map->ranges[i].first_bit) <<
						  map->page_shift),
						 run << map->page_shift);
		}
	}
	return 0;
}
EXPORT_SYMBOL_GPL(mdev_pt_dirty_bitmap_report);
