// SPDX-License-Identifier: GPL-2.0-only
/*
 * mdev-pt edu plugin: the edu-audited type.
 *
 * The DMA registers (BAR0 0x80-0x9f) are trapped.  Source, destination and
 * count go to shadow registers; only a start command whose transfer stays
 * inside the device's DMA buffer and below the device's 28-bit DMA mask
 * reaches the device, preceded by the shadow values.  A refused command
 * never touches the device: it counts as a violation and raises the
 * type's DMA violation IRQ.
 */

#include <linux/debugfs.h>
#include <linux/device.h>
#include <linux/mutex.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/sysfs.h>
#include <uapi/linux/mdev_pt.h>

#include "edu.h"

/**
 * struct edu_audit_counters - the audit's counters, in CPU byte order
 * @commands: DMA commands forwarded to the device
 * @bytes: bytes those commands moved
 * @violations: DMA commands refused
 */
struct edu_audit_counters {
	u64 commands;
	u64 bytes;
	u64 violations;
};

/**
 * struct edu_audit - state of one edu-audited instance
 * @inst: the instance
 * @lock: serializes trapped accesses, the counters and the attributes
 * @dma_src: shadow of the DMA source address register
 * @dma_dst: shadow of the DMA destination address register
 * @dma_count: shadow of the DMA count register
 * @max_dma_bytes: largest transfer allowed, fixed from the first open on
 * @counters: what the audit saw over the instance's life
 */
struct edu_audit {
	struct mdev_pt_instance *inst;
	struct mutex lock;		/* protects all fields below */
	u64 dma_src;
	u64 dma_dst;
	u64 dma_count;
	unsigned int max_dma_bytes;
	struct edu_audit_counters counters;
};

static struct edu_audit *edu_audit_from_dev(struct device *dev)
{
	return mdev_pt_get_drvdata(mdev_pt_instance_from_dev(dev));
}

static struct edu_audit_counters edu_audit_counters(struct edu_audit *audit)
{
	struct edu_audit_counters counters;

	mutex_lock(&audit->lock);
	counters = audit->counters;
	mutex_unlock(&audit->lock);
	return counters;
}

static u64 *edu_audit_shadow(struct edu_audit *audit, u64 reg)
{
	switch (reg) {
	case EDU_REG_DMA_SRC:
		return &audit->dma_src;
	case EDU_REG_DMA_DST:
		return &audit->dma_dst;
	case EDU_REG_DMA_COUNT:
		return &audit->dma_count;
	default:
		return NULL;
	}
}

/*
 * A shadow register as the device would present it: 8 little-endian bytes,
 * of which a 4-byte access reaches one half.
 */
static void edu_audit_shadow_rw(u64 *shadow, char *buf, size_t count,
				unsigned int start, bool iswrite)
{
	__le64 reg = cpu_to_le64(*shadow);

	if (iswrite) {
		memcpy((u8 *)&reg + start, buf, count);
		*shadow = le64_to_cpu(reg);
	} else {
		memcpy(buf, (u8 *)&reg + start, count);
	}
}

/* Whether the shadow registers describe a transfer the device may run. */
static bool edu_audit_dma_allowed(struct edu_audit *audit, u64 cmd)
{
	struct device *dev = mdev_pt_instance_dev(audit->inst);
	bool to_ram = cmd & EDU_DMA_CMD_TO_RAM;
	const char *dir = to_ram ? "device to RAM" : "RAM to device";
	u64 dev_addr = to_ram ? audit->dma_src : audit->dma_dst;
	u64 ram_addr = to_ram ? audit->dma_dst : audit->dma_src;
	u64 count = audit->dma_count;

	lockdep_assert_held(&audit->lock);

	if (!count || count > audit->max_dma_bytes) {
		dev_warn_ratelimited(dev, "DMA %s refused: count %llu outside 1..%u\n",
				     dir, count, audit->max_dma_bytes);
		return false;
	}

	/* count <= EDU_DMA_MAX_BYTES: neither subtraction wraps */
	if (dev_addr < EDU_DMA_BUF_START ||
	    dev_addr > EDU_DMA_BUF_END - count) {
		dev_warn_ratelimited(dev, "DMA %s refused: device range %#llx+%llu outside %#llx..%#llx\n",
				     dir, dev_addr, count, EDU_DMA_BUF_START,
				     EDU_DMA_BUF_END - 1);
		return false;
	}

	if (ram_addr > EDU_DMA_RAM_LIMIT - count) {
		dev_warn_ratelimited(dev, "DMA %s refused: RAM range %#llx+%llu beyond the 28-bit DMA mask\n",
				     dir, ram_addr, count);
		return false;
	}

	return true;
}

/*
 * Start an allowed transfer: the shadow registers, then the user's command
 * write.  The device drops writes to its DMA registers while a transfer
 * runs, and that transfer may end between two of our writes, leaving the
 * device with a mix of old and new registers that was never checked.  Only
 * a command forwarded here sets the running bit, under audit->lock, so a
 * device found idle stays idle until the command is written; a command
 * for a busy device is dropped as the device itself would drop it.
 */
static ssize_t edu_audit_start(struct edu_audit *audit, char *buf,
			       size_t count, u64 offset)
{
	static const u64 regs[] = {
		EDU_REG_DMA_SRC, EDU_REG_DMA_DST, EDU_REG_DMA_COUNT,
	};
	struct mdev_pt_instance *inst = audit->inst;
	__le64 val;
	unsigned int i;
	ssize_t ret;

	lockdep_assert_held(&audit->lock);

	ret = mdev_pt_bar_rw(inst, EDU_BAR, &val, sizeof(val),
			     EDU_REG_DMA_CMD, false);
	if (ret < 0)
		return ret;
	if (le64_to_cpu(val) & EDU_DMA_CMD_START) {
		dev_dbg_ratelimited(mdev_pt_instance_dev(inst),
				    "DMA command while a transfer runs, dropped\n");
		return count;
	}

	for (i = 0; i < ARRAY_SIZE(regs); i++) {
		val = cpu_to_le64(*edu_audit_shadow(audit, regs[i]));
		ret = mdev_pt_bar_rw(inst, EDU_BAR, &val, sizeof(val),
				     regs[i], true);
		if (ret < 0)
			return ret;
	}

	ret = mdev_pt_bar_rw(inst, EDU_BAR, buf, count, offset, true);
	if (ret < 0)
		return ret;

	audit->counters.commands++;
	audit->counters.bytes += audit->dma_count;
	return count;
}

static ssize_t edu_audit_trap_rw(struct mdev_pt_instance *inst,
				 unsigned int bar, char *buf, size_t count,
				 u64 offset, bool iswrite)
{
	struct edu_audit *audit = mdev_pt_get_drvdata(inst);
	u64 reg = offset & ~7ULL;
	bool violation = false;
	__le64 cmd = 0;
	u64 *shadow;
	ssize_t ret;

	if ((count != 4 && count != 8) || !IS_ALIGNED(offset, count)) {
		dev_warn_ratelimited(mdev_pt_instance_dev(inst),
				     "DMA register access at %#llx refused: size %zu, only naturally aligned 4 or 8\n",
				     offset, count);
		return -EINVAL;
	}

	mutex_lock(&audit->lock);

	shadow = edu_audit_shadow(audit, reg);
	if (shadow) {
		edu_audit_shadow_rw(shadow, buf, count, offset - reg, iswrite);
		ret = count;
		goto out_unlock;
	}

	/* The command register: a start is checked, the rest passes. */
	if (iswrite && offset == EDU_REG_DMA_CMD)
		memcpy(&cmd, buf, count);
	if (!(le64_to_cpu(cmd) & EDU_DMA_CMD_START)) {
		ret = mdev_pt_bar_rw(inst, bar, buf, count, offset, iswrite);
		goto out_unlock;
	}

	if (edu_audit_dma_allowed(audit, le64_to_cpu(cmd))) {
		ret = edu_audit_start(audit, buf, count, offset);
	} else {
		audit->counters.violations++;
		violation = true;
		ret = count;
	}

out_unlock:
	mutex_unlock(&audit->lock);

	if (violation)
		mdev_pt_irq_signal(inst, 0, 0);
	return ret;
}

static int edu_audit_create(struct mdev_pt_instance *inst)
{
	struct edu_audit *audit;

	audit = kzalloc(sizeof(*audit), GFP_KERNEL);
	if (!audit)
		return -ENOMEM;

	audit->inst = inst;
	mutex_init(&audit->lock);
	audit->max_dma_bytes = EDU_DMA_MAX_BYTES;
	mdev_pt_set_drvdata(inst, audit);
	return 0;
}

static void edu_audit_destroy(struct mdev_pt_instance *inst)
{
	struct edu_audit *audit = mdev_pt_get_drvdata(inst);

	mutex_destroy(&audit->lock);
	kfree(audit);
}

static int edu_audit_open(struct mdev_pt_instance *inst)
{
	struct edu_audit *audit = mdev_pt_get_drvdata(inst);

	mutex_lock(&audit->lock);
	audit->dma_src = 0;
	audit->dma_dst = 0;
	audit->dma_count = 0;
	mutex_unlock(&audit->lock);
	return 0;
}

/* debugfs: vendor/dma, the audit's counters and limit. */
static int edu_audit_dma_show(struct seq_file *s, void *unused)
{
	struct edu_audit *audit = s->private;
	struct edu_audit_counters counters;
	unsigned int max;

	mutex_lock(&audit->lock);
	counters = audit->counters;
	max = audit->max_dma_bytes;
	mutex_unlock(&audit->lock);

	seq_printf(s, "commands %llu\n", counters.commands);
	seq_printf(s, "bytes %llu\n", counters.bytes);
	seq_printf(s, "violations %llu\n", counters.violations);
	seq_printf(s, "max_dma_bytes %u\n", max);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(edu_audit_dma);

/* The core removes the file before edu_audit_destroy() frees @audit. */
static void edu_audit_debugfs_init(struct mdev_pt_instance *inst,
				   struct dentry *dir)
{
	debugfs_create_file("dma", 0400, dir, mdev_pt_get_drvdata(inst),
			    &edu_audit_dma_fops);
}

const struct mdev_pt_type_ops mdev_pt_edu_audit_ops = {
	.create		= edu_audit_create,
	.destroy	= edu_audit_destroy,
	.open		= edu_audit_open,
	.trap_rw	= edu_audit_trap_rw,
	.debugfs_init	= edu_audit_debugfs_init,
};

/* The DMA stats region: struct mdev_pt_edu_dma_stats, read-only. */
ssize_t mdev_pt_edu_stats_rw(struct mdev_pt_instance *inst,
			     const struct mdev_pt_region *region, char *buf,
			     size_t count, loff_t pos, bool iswrite)
{
	struct edu_audit_counters counters;
	struct mdev_pt_edu_dma_stats stats;

	/* The core refuses writes: the region has no WRITE flag. */
	if (WARN_ON_ONCE(iswrite))
		return -EINVAL;

	counters = edu_audit_counters(mdev_pt_get_drvdata(inst));
	stats.commands = cpu_to_le64(counters.commands);
	stats.bytes = cpu_to_le64(counters.bytes);
	stats.violations = cpu_to_le64(counters.violations);

	memcpy(buf, (u8 *)&stats + pos, count);
	return count;
}

static ssize_t max_dma_bytes_show(struct device *dev,
				  struct device_attribute *attr, char *buf)
{
	struct edu_audit *audit = edu_audit_from_dev(dev);
	unsigned int val;

	mutex_lock(&audit->lock);
	val = audit->max_dma_bytes;
	mutex_unlock(&audit->lock);

	return sysfs_emit(buf, "%u\n", val);
}

static ssize_t max_dma_bytes_store(struct device *dev,
				   struct device_attribute *attr,
				   const char *buf, size_t count)
{
	struct mdev_pt_instance *inst = mdev_pt_instance_from_dev(dev);
	struct edu_audit *audit = mdev_pt_get_drvdata(inst);
	unsigned int val;
	ssize_t ret;

	ret = kstrtouint(buf, 10, &val);
	if (ret || !val || val > EDU_DMA_MAX_BYTES) {
		dev_warn(dev, "max_dma_bytes: '%.*s' is not a number in 1..%u\n",
			 (int)strcspn(buf, "\n"), buf, EDU_DMA_MAX_BYTES);
		return -EINVAL;
	}

	/*
	 * audit->lock orders this against edu_audit_open(): a store that
	 * slips in before the core marks the instance opened still lands
	 * before the first access to the device.
	 */
	mutex_lock(&audit->lock);
	if (mdev_pt_instance_opened(inst)) {
		dev_warn(dev, "max_dma_bytes: fixed once the device was opened\n");
		ret = -EBUSY;
		goto out_unlock;
	}
	audit->max_dma_bytes = val;
	ret = count;
out_unlock:
	mutex_unlock(&audit->lock);
	return ret;
}
static DEVICE_ATTR_RW(max_dma_bytes);

static ssize_t dma_commands_show(struct device *dev,
				 struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%llu\n",
			  edu_audit_counters(edu_audit_from_dev(dev)).commands);
}
static DEVICE_ATTR_RO(dma_commands);

static ssize_t dma_bytes_show(struct device *dev,
			      struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%llu\n",
			  edu_audit_counters(edu_audit_from_dev(dev)).bytes);
}
static DEVICE_ATTR_RO(dma_bytes);

static ssize_t dma_violations_show(struct device *dev,
				   struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%llu\n",
			  edu_audit_counters(edu_audit_from_dev(dev)).violations);
}
static DEVICE_ATTR_RO(dma_violations);

static struct attribute *edu_audit_attrs[] = {
	&dev_attr_max_dma_bytes.attr,
	&dev_attr_dma_commands.attr,
	&dev_attr_dma_bytes.attr,
	&dev_attr_dma_violations.attr,
	NULL
};

const struct attribute_group mdev_pt_edu_audit_attr_group = {
	.name	= "vendor",
	.attrs	= edu_audit_attrs,
};
