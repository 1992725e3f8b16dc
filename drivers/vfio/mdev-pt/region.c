// SPDX-License-Identifier: GPL-2.0-only
/*
 * mdev-pt: device-specific regions and trapped BAR ranges of plugin types.
 *
 * Regions are registered with vfio_pci_core at every open (it frees them at
 * close) and dispatched to the plugin after bounds and permission checks.
 * Trapped ranges are carved out of the BAR: accesses inside go to the
 * plugin, the rest passes through to vfio_pci_core, and the pages they
 * touch are neither mmap-able nor reachable by ioeventfd.
 */

#include <linux/pm_runtime.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vfio.h>

#include "compat.h"
#include "mdev_pt_priv.h"
#include "mdev_pt_trace.h"

static ssize_t mdev_pt_region_rw(struct vfio_pci_core_device *vdev,
				 char __user *ubuf, size_t count, loff_t *ppos,
				 bool iswrite)
{
	unsigned int i = VFIO_PCI_OFFSET_TO_INDEX(*ppos) - VFIO_PCI_NUM_REGIONS;
	struct mdev_pt_region_ctx *ctx = vdev->region[i].data;
	const struct mdev_pt_region *region = ctx->region;
	u64 pos = *ppos & VFIO_PCI_OFFSET_MASK;
	ssize_t ret;
	char *buf;

	if (!(region->flags & (iswrite ? VFIO_REGION_INFO_FLAG_WRITE :
					 VFIO_REGION_INFO_FLAG_READ)))
		return -EINVAL;
	if (pos >= region->size)
		return -EINVAL;
	count = min3(count, (size_t)(region->size - pos), (size_t)MDEV_PT_MAX_IO);

	buf = kmalloc(count, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;

	if (iswrite && copy_from_user(buf, ubuf, count)) {
		ret = -EFAULT;
		goto out_free;
	}

	ret = region->rw(ctx->inst, region, buf, count, pos, iswrite);
	trace_mdev_pt_plugin_call(ctx->inst, MDEV_PT_OP_REGION_RW, ret);
	if (ret > (ssize_t)count)
		ret = -EIO;
	if (ret > 0 && !iswrite && copy_to_user(ubuf, buf, ret))
		ret = -EFAULT;
	if (ret > 0)
		*ppos += ret;
out_free:
	kfree(buf);
	return ret;
}

static int mdev_pt_region_mmap(struct vfio_pci_core_device *vdev,
			       struct vfio_pci_region *vregion,
			       struct vm_area_struct *vma)
{
	struct mdev_pt_region_ctx *ctx = vregion->data;
	const struct mdev_pt_region *region = ctx->region;
	unsigned long pgoff, len = vma->vm_end - vma->vm_start;
	int ret;

	pgoff = vma->vm_pgoff &
		((1UL << (VFIO_PCI_OFFSET_SHIFT - PAGE_SHIFT)) - 1);
	if (pgoff >= region->size >> PAGE_SHIFT ||
	    len > region->size - (pgoff << PAGE_SHIFT))
		return -EINVAL;

	vma->vm_pgoff = pgoff;
	ret = region->mmap(ctx->inst, region, vma);
	trace_mdev_pt_plugin_call(ctx->inst, MDEV_PT_OP_REGION_MMAP, ret);
	return ret;
}

/* The regions belong to the instance: nothing to free here. */
static void mdev_pt_region_release(struct vfio_pci_core_device *vdev,
				   struct vfio_pci_region *region)
{
}

static const struct vfio_pci_regops mdev_pt_regops = {
	.rw		= mdev_pt_region_rw,
	.mmap		= mdev_pt_region_mmap,
	.release	= mdev_pt_region_release,
};

bool mdev_pt_type_traps_bar(const struct mdev_pt_type *type, unsigned int bar)
{
	unsigned int i;

	for (i = 0; type && i < type->num_traps; i++)
		if (type->traps[i].bar == bar)
			return true;
	return false;
}

/**
 * mdev_pt_regions_open() - set up an instance's regions and traps at open
 * @inst: the instance, its function enabled by vfio_pci_core
 *
 * Return: 0 or a negative errno; nothing is left behind on failure but
 * the BAR mappings, which are vfio_pci_core's and go with
 * vfio_pci_core_disable().
 */
int mdev_pt_regions_open(struct mdev_pt_instance *inst)
{
	const struct mdev_pt_type *type = mdev_pt_inst_type(inst);
	struct vfio_pci_core_device *vdev = &inst->fn->core_device;
	struct pci_dev *pdev = vdev->pdev;
	const struct mdev_pt_trap *trap;
	unsigned int i;
	int ret;

	if (!type)
		return 0;

	for (i = 0; i < type->num_traps; i++) {
		trap = &type->traps[i];
		if (!(pci_resource_flags(pdev, trap->bar) & IORESOURCE_MEM) ||
		    trap->offset + trap->size > pci_resource_len(pdev, trap->bar)) {
			dev_err(mdev_pt_instance_dev(inst), "trapped range %#llx+%#llx is not inside memory BAR%u\n",
				trap->offset, trap->size, trap->bar);
			ret = -EINVAL;
			goto out_close;
		}
		if (inst->bar_io[trap->bar])
			continue;
		/*
		 * vfio_pci_core's own mapping of the BAR, requested for vfio;
		 * vfio_pci_core_disable() unmaps and releases it at close.
		 */
		ret = vfio_pci_core_setup_barmap(vdev, trap->bar);
		if (ret) {
			dev_err(mdev_pt_instance_dev(inst), "cannot map BAR%u of the trapped range: %d\n",
				trap->bar, ret);
			goto out_close;
		}
		inst->bar_io[trap->bar] = vdev->barmap[trap->bar];
	}

	for (i = 0; i < type->num_regions; i++) {
		const struct mdev_pt_region *region = &type->regions[i];

		inst->regions[i].inst = inst;
		inst->regions[i].region = region;
		/* vfio_pci_core_disable() drops the regions at close. */
		ret = vfio_pci_core_register_dev_region(vdev, region->type,
							region->subtype,
							&mdev_pt_regops,
							region->size,
							region->flags,
							&inst->regions[i]);
		if (ret)
			goto out_close;
	}

	/* The v1 migration region comes after the type's own regions. */
	if (type->migration) {
		ret = mdev_pt_mig_v1_open(inst);
		if (ret)
			goto out_close;
	}
	return 0;

out_close:
	mdev_pt_regions_close(inst);
	return ret;
}

void mdev_pt_regions_close(struct mdev_pt_instance *inst)
{
	const struct mdev_pt_type *type = mdev_pt_inst_type(inst);
	unsigned int bar;

	if (type && type->migration)
		mdev_pt_mig_v1_close(inst->fn);

	/* The mappings are vfio_pci_core's: it drops them at close. */
	for (bar = 0; bar < PCI_STD_NUM_BARS; bar++)
		inst->bar_io[bar] = NULL;
}

/* The trap nearest after @pos in @bar that ends beyond @pos, or NULL. */
static const struct mdev_pt_trap *
mdev_pt_next_trap(const struct mdev_pt_type *type, unsigned int bar, u64 pos)
{
	const struct mdev_pt_trap *trap, *next = NULL;
	unsigned int i;

	for (i = 0; i < type->num_traps; i++) {
		trap = &type->traps[i];
		if (trap->bar == bar && trap->offset + trap->size > pos &&
		    (!next || trap->offset < next->offset))
			next = trap;
	}
	return next;
}

static ssize_t mdev_pt_core_rw(struct mdev_pt_function *fn, char __user *buf,
			       size_t count, loff_t *ppos, bool iswrite)
{
	struct vfio_device *core_vdev = &fn->core_device.vdev;

	if (iswrite)
		return vfio_pci_core_write(core_vdev, buf, count, ppos);
	return vfio_pci_core_read(core_vdev, buf, count, ppos);
}

/* The largest naturally aligned access of at most 8 bytes at @pos. */
static size_t mdev_pt_trap_chunk(u64 pos, size_t count)
{
	size_t n = 8;

	while (n > count || !IS_ALIGNED(pos, n))
		n >>= 1;
	return n;
}

/*
 * Hand an access inside a trapped range to the plugin as naturally aligned
 * pieces of 1, 2, 4 or 8 bytes, the way a CPU would issue them.
 */
static ssize_t mdev_pt_trap_rw(struct mdev_pt_instance *inst,
			       const struct mdev_pt_trap *trap,
			       char __user *ubuf, size_t count, u64 pos,
			       bool iswrite)
{
	const struct mdev_pt_type *type = mdev_pt_inst_type(inst);
	size_t done = 0, n;
	u8 buf[8];
	ssize_t ret;

	count = min3(count, (size_t)(trap->offset + trap->size - pos),
		     (size_t)MDEV_PT_MAX_IO);

	while (done < count) {
		n = mdev_pt_trap_chunk(pos + done, count - done);
		if (iswrite && copy_from_user(buf, ubuf + done, n)) {
			ret = -EFAULT;
			break;
		}
		ret = type->ops->trap_rw(inst, trap->bar, buf, n, pos + done,
					 iswrite);
		trace_mdev_pt_plugin_call(inst, MDEV_PT_OP_TRAP_RW, ret);
		atomic64_inc(iswrite ? &inst->traps.writes : &inst->traps.reads);
		if (ret >= 0 && ret != n)
			ret = -EIO;
		if (ret < 0) {
			atomic64_inc(&inst->traps.errors);
			break;
		}
		if (!iswrite && copy_to_user(ubuf + done, buf, n)) {
			ret = -EFAULT;
			break;
		}
		done += n;
	}
	return done ? done : ret;
}

/**
 * mdev_pt_rw() - read or write of the device file
 * @fn: the function, open
 * @buf: user buffer
 * @count: bytes
 * @ppos: region index and offset
 * @iswrite: direction
 *
 * An access that starts before a trapped range passes through up to the
 * range's start; one that starts inside goes to the plugin up to its end.
 * Callers see a short count and continue, as with any file.
 *
 * Return: bytes done or a negative errno.
 */
ssize_t mdev_pt_rw(struct mdev_pt_function *fn, char __user *buf,
		   size_t count, loff_t *ppos, bool iswrite)
{
	unsigned int index = VFIO_PCI_OFFSET_TO_INDEX(*ppos);
	struct mdev_pt_instance *inst = mdev_pt_open_instance(fn);
	const struct mdev_pt_type *type = mdev_pt_inst_type(inst);
	u64 pos = *ppos & VFIO_PCI_OFFSET_MASK;
	struct pci_dev *pdev = mdev_pt_pdev(fn);
	const struct mdev_pt_trap *trap;
	ssize_t ret;

	if (index > VFIO_PCI_BAR5_REGION_INDEX || !count ||
	    !mdev_pt_type_traps_bar(type, index))
		return mdev_pt_core_rw(fn, buf, count, ppos, iswrite);

	trap = mdev_pt_next_trap(type, index, pos);
	if (!trap || pos + count <= trap->offset)
		return mdev_pt_core_rw(fn, buf, count, ppos, iswrite);
	if (pos < trap->offset)
		return mdev_pt_core_rw(fn, buf, trap->offset - pos, ppos,
				       iswrite);

	/*
	 * As vfio_pci_core does for its own accesses: wake the function if
	 * user space put it in low power (VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY)
	 * and keep it awake for the access.
	 */
	ret = pm_runtime_resume_and_get(&pdev->dev);
	if (ret) {
		pci_info_ratelimited(pdev, "runtime resume failed %zd\n", ret);
		return -EIO;
	}
	ret = mdev_pt_trap_rw(inst, trap, buf, count, pos, iswrite);
	pm_runtime_put(&pdev->dev);

	if (ret > 0)
		*ppos += ret;
	return ret;
}

/* Whether [start, start + len) of @bar touches a page of a trapped range. */
static bool mdev_pt_touches_trap(const struct mdev_pt_type *type,
				 unsigned int bar, u64 start, u64 len)
{
	const struct mdev_pt_trap *trap;
	unsigned int i;

	for (i = 0; type && i < type->num_traps; i++) {
		trap = &type->traps[i];
		if (trap->bar == bar &&
		    start < PAGE_ALIGN(trap->offset + trap->size) &&
		    ALIGN_DOWN(trap->offset, PAGE_SIZE) < start + len)
			return true;
	}
	return false;
}

/**
 * mdev_pt_mmap() - mmap of the device file, refusing trapped pages
 * @fn: the function, open
 * @vma: the mapping
 *
 * Return: 0 or a negative errno.
 */
int mdev_pt_mmap(struct mdev_pt_function *fn, struct vm_area_struct *vma)
{
	unsigned int index = vma->vm_pgoff >>
			     (VFIO_PCI_OFFSET_SHIFT - PAGE_SHIFT);
	const struct mdev_pt_type *type = mdev_pt_inst_type(mdev_pt_open_instance(fn));
	u64 start;

	if (index <= VFIO_PCI_BAR5_REGION_INDEX &&
	    mdev_pt_type_traps_bar(type, index)) {
		start = (u64)(vma->vm_pgoff &
			      ((1UL << (VFIO_PCI_OFFSET_SHIFT - PAGE_SHIFT)) - 1))
			<< PAGE_SHIFT;
		if (mdev_pt_touches_trap(type, index, start,
					 vma->vm_end - vma->vm_start)) {
			dev_warn_ratelimited(&mdev_pt_pdev(fn)->dev,
					     "mmap of BAR%u %#llx+%#lx refused: it covers a trapped range\n",
					     index, start,
					     vma->vm_end - vma->vm_start);
			return -EINVAL;
		}
	}
	return vfio_pci_core_mmap(&fn->core_device.vdev, vma);
}

/**
 * mdev_pt_add_sparse_mmap_cap() - add a sparse mmap capability to region info
 * @caps: the capability chain of a VFIO_DEVICE_GET_REGION_INFO answer
 * @areas: the parts of the region user space may mmap, in order
 * @nr_areas: how many; 0 if no part of the region may be mapped
 *
 * Builds VFIO_REGION_INFO_CAP_SPARSE_MMAP (version 1) listing @areas: for a
 * BAR with trapped ranges, and for a device-specific region whose
 * &vfio_pci_regops.add_capability lets only part of it be mapped.
 *
 * Return: 0 or a negative errno.
 */
int mdev_pt_add_sparse_mmap_cap(struct vfio_info_cap *caps,
				const struct vfio_region_sparse_mmap_area *areas,
				u32 nr_areas)
{
	struct vfio_region_info_cap_sparse_mmap *sparse;
	size_t size = struct_size(sparse, areas, nr_areas);
	int ret;

	sparse = kzalloc(size, GFP_KERNEL);
	if (!sparse)
		return -ENOMEM;

	sparse->header.id = VFIO_REGION_INFO_CAP_SPARSE_MMAP;
	sparse->header.version = 1;
	sparse->nr_areas = nr_areas;
	if (nr_areas)
		memcpy(sparse->areas, areas,
		       flex_array_size(sparse, areas, nr_areas));
	ret = vfio_info_add_capability(caps, &sparse->header, size);
	kfree(sparse);
	return ret;
}

/* The sparse mmap capability of @bar: the pages no trapped range touches. */
static int mdev_pt_trap_sparse_cap(const struct mdev_pt_type *type,
				   unsigned int bar, u64 bar_len,
				   struct vfio_info_cap *caps)
{
	/* Each trap ends at most one area, and one more follows the last. */
	struct vfio_region_sparse_mmap_area areas[MDEV_PT_MAX_TRAPS + 1];
	const struct mdev_pt_trap *trap;
	u64 pos = 0, start, end;
	u32 nr = 0;

	while (pos < bar_len) {
		trap = mdev_pt_next_trap(type, bar, pos);
		start = trap ? ALIGN_DOWN(trap->offset, PAGE_SIZE) : bar_len;
		end = trap ? PAGE_ALIGN(trap->offset + trap->size) : bar_len;
		if (start > pos) {
			if (WARN_ON_ONCE(nr == ARRAY_SIZE(areas)))
				return -EINVAL;
			areas[nr].offset = pos;
			areas[nr].size = start - pos;
			nr++;
		}
		pos = max(end, pos + 1);
	}
	return mdev_pt_add_sparse_mmap_cap(caps, areas, nr);
}

/*
 * What vfio_pci_core says of the BAR holding the MSI-X table: user space
 * may map the table's pages too (interrupt remapping protects the host),
 * so it need not leave them out of its mappings.
 */
static int mdev_pt_msix_mappable_cap(struct vfio_info_cap *caps)
{
	struct vfio_info_cap_header header = {
		.id = VFIO_REGION_INFO_CAP_MSIX_MAPPABLE,
		.version = 1,
	};

	return vfio_info_add_capability(caps, &header, sizeof(header));
}

/**
 * mdev_pt_ioctl_region_info() - VFIO_DEVICE_GET_REGION_INFO
 * @fn: the function, open
 * @arg: the user's struct vfio_region_info
 *
 * BARs with trapped ranges are described here as vfio_pci_core describes
 * them (flags, and the MSI-X capability of the BAR holding the table: the
 * only capability 6.1 and 6.12 give a BAR), plus a sparse mmap capability
 * that leaves the trapped pages out; the rest is vfio_pci_core's.
 *
 * Return: 0 or a negative errno.
 */
long mdev_pt_ioctl_region_info(struct mdev_pt_function *fn, void __user *arg)
{
	unsigned long minsz = offsetofend(struct vfio_region_info, offset);
	const struct mdev_pt_type *type = mdev_pt_inst_type(mdev_pt_open_instance(fn));
	struct vfio_pci_core_device *vdev = &fn->core_device;
	struct vfio_info_cap caps = { .buf = NULL, .size = 0 };
	struct vfio_region_info info;
	int ret = 0;

	if (copy_from_user(&info, arg, minsz))
		return -EFAULT;
	if (info.argsz < minsz)
		return -EINVAL;

	if (info.index > VFIO_PCI_BAR5_REGION_INDEX ||
	    !mdev_pt_type_traps_bar(type, info.index))
		return vfio_pci_core_ioctl(&vdev->vdev,
					   VFIO_DEVICE_GET_REGION_INFO,
					   (unsigned long)arg);

	info.offset = VFIO_PCI_INDEX_TO_OFFSET(info.index);
	info.size = pci_resource_len(vdev->pdev, info.index);
	info.flags = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE;
	info.cap_offset = 0;

	if (vdev->bar_mmap_supported[info.index]) {
		info.flags |= VFIO_REGION_INFO_FLAG_MMAP;
		ret = mdev_pt_trap_sparse_cap(type, info.index, info.size,
					      &caps);
		if (!ret && info.index == vdev->msix_bar)
			ret = mdev_pt_msix_mappable_cap(&caps);
		if (ret)
			goto out_free;
	}

	if (caps.size) {
		info.flags |= VFIO_REGION_INFO_FLAG_CAPS;
		if (info.argsz < sizeof(info) + caps.size) {
			info.argsz = sizeof(info) + caps.size;
		} else {
			vfio_info_cap_shift(&caps, sizeof(info));
			if (copy_to_user(arg + sizeof(info), caps.buf,
					 caps.size)) {
				ret = -EFAULT;
				goto out_free;
			}
			info.cap_offset = sizeof(info);
		}
	}

	if (copy_to_user(arg, &info, minsz))
		ret = -EFAULT;
out_free:
	kfree(caps.buf);
	return ret;
}

/**
 * mdev_pt_ioctl_ioeventfd() - VFIO_DEVICE_IOEVENTFD, refusing trapped ranges
 * @fn: the function, open
 * @arg: the user's struct vfio_device_ioeventfd
 *
 * An ioeventfd writes to the device directly; inside a trapped range that
 * would bypass the plugin.
 *
 * Return: 0 or a negative errno.
 */
long mdev_pt_ioctl_ioeventfd(struct mdev_pt_function *fn, void __user *arg)
{
	unsigned long minsz = offsetofend(struct vfio_device_ioeventfd, fd);
	const struct mdev_pt_type *type = mdev_pt_inst_type(mdev_pt_open_instance(fn));
	struct vfio_device_ioeventfd ioeventfd;
	unsigned int index;
	u64 pos;

	if (copy_from_user(&ioeventfd, arg, minsz))
		return -EFAULT;

	index = VFIO_PCI_OFFSET_TO_INDEX(ioeventfd.offset);
	pos = ioeventfd.offset & VFIO_PCI_OFFSET_MASK;
	if (index <= VFIO_PCI_BAR5_REGION_INDEX &&
	    mdev_pt_touches_trap(type, index, pos,
				 ioeventfd.flags & VFIO_DEVICE_IOEVENTFD_SIZE_MASK)) {
		dev_warn_ratelimited(&mdev_pt_pdev(fn)->dev,
				     "ioeventfd at BAR%u %#llx refused: trapped range\n",
				     index, pos);
		return -EPERM;
	}
	return vfio_pci_core_ioctl(&fn->core_device.vdev, VFIO_DEVICE_IOEVENTFD,
				   (unsigned long)arg);
}

/*
 * One naturally aligned access of 1, 2, 4 or 8 bytes at @io through
 * vfio_pci_core's accessors; with @test_mem only while the BAR decodes.
 * @buf holds the register's bytes in the device's order, as do the
 * accessors' values in memory.
 */
static ssize_t mdev_pt_io(struct vfio_pci_core_device *vdev, bool test_mem,
			  void __iomem *io, void *buf, size_t count,
			  bool iswrite)
{
	union {
		u8 b;
		u16 w;
		u32 l;
		u64 q;
	} v;
	int ret;

	if (count != 1 && count != 2 && count != 4 && count != 8)
		return -EINVAL;
	if (iswrite)
		memcpy(&v, buf, count);

	switch (count) {
	case 1:
		ret = iswrite ? vfio_pci_core_iowrite8(vdev, test_mem, v.b, io) :
				vfio_pci_core_ioread8(vdev, test_mem, &v.b, io);
		break;
	case 2:
		ret = iswrite ? vfio_pci_core_iowrite16(vdev, test_mem, v.w, io) :
				vfio_pci_core_ioread16(vdev, test_mem, &v.w, io);
		break;
	case 4:
		ret = iswrite ? vfio_pci_core_iowrite32(vdev, test_mem, v.l, io) :
				vfio_pci_core_ioread32(vdev, test_mem, &v.l, io);
		break;
	case 8:
		ret = iswrite ? vfio_pci_core_iowrite64(vdev, test_mem, v.q, io) :
				vfio_pci_core_ioread64(vdev, test_mem, &v.q, io);
		break;
	default:
		return -EINVAL;
	}
	if (ret)
		return ret;

	if (!iswrite)
		memcpy(buf, &v, count);
	return count;
}

/* The host mapping of @count bytes at @offset of @bar, or NULL. */
static void __iomem *mdev_pt_bar_io(struct mdev_pt_instance *inst,
				    unsigned int bar, size_t count, u64 offset)
{
	struct pci_dev *pdev = mdev_pt_pdev(inst->fn);

	if (bar >= PCI_STD_NUM_BARS || !inst->bar_io[bar] ||
	    !IS_ALIGNED(offset, count) ||
	    offset + count > pci_resource_len(pdev, bar))
		return NULL;
	return inst->bar_io[bar] + offset;
}

ssize_t mdev_pt_bar_rw(struct mdev_pt_instance *inst, unsigned int bar,
		       void *buf, size_t count, u64 offset, bool iswrite)
{
	struct vfio_pci_core_device *vdev = &inst->fn->core_device;
	void __iomem *io = mdev_pt_bar_io(inst, bar, count, offset);

	if (!io)
		return -EINVAL;
	return mdev_pt_io(vdev, true, io, buf, count, iswrite);
}
EXPORT_SYMBOL_GPL(mdev_pt_bar_rw);

ssize_t mdev_pt_bar_rw_decoding(struct mdev_pt_instance *inst,
				unsigned int bar, void *buf, size_t count,
				u64 offset, bool iswrite)
{
	struct vfio_pci_core_device *vdev = &inst->fn->core_device;
	void __iomem *io = mdev_pt_bar_io(inst, bar, count, offset);
	struct pci_dev *pdev = vdev->pdev;
	u16 cmd = 0;
	ssize_t ret;

	if (!io)
		return -EINVAL;

	/*
	 * The write side of memory_lock: user space can neither change the
	 * command register nor touch the BARs while decoding is forced on.
	 */
	down_write(&vdev->memory_lock);
	if (pdev->current_state != PCI_D0) {
		ret = -EIO;
		goto out_unlock;
	}
	pci_read_config_word(pdev, PCI_COMMAND, &cmd);
	if (!(cmd & PCI_COMMAND_MEMORY))
		pci_write_config_word(pdev, PCI_COMMAND,
				      cmd | PCI_COMMAND_MEMORY);
	ret = mdev_pt_io(vdev, false, io, buf, count, iswrite);
	if (!(cmd & PCI_COMMAND_MEMORY))
		pci_write_config_word(pdev, PCI_COMMAND, cmd);
out_unlock:
	up_write(&vdev->memory_lock);
	return ret;
}
EXPORT_SYMBOL_GPL(mdev_pt_bar_rw_decoding);
