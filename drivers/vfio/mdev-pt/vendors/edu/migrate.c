// SPDX-License-Identifier: GPL-2.0-only
/*
 * mdev-pt edu plugin: the edu-migratable type.
 *
 * The device state is what software can reach over MMIO (struct
 * mdev_pt_edu_mig_state): liveness, factorial, the IRQ-on-completion bit
 * of the status register, the interrupt status and the DMA registers.
 * The 4 KiB DMA buffer inside the device is not reachable over MMIO and
 * does not migrate.
 *
 * Two registers cannot simply be written back:
 * - factorial: a write of n starts computing n! (modulo 2^32) and the
 *   register then reads the result.  Every value it can show is n! for
 *   some n <= 34 (34! is 0 modulo 2^32), so the destination finds that n
 *   and has the device compute it again.
 * - DMA command: the device ignores writes without the start bit.  The
 *   register is trapped; after a restore it reads the saved command until
 *   user space writes a new one.
 * STOP waits, bounded, for a running computation or DMA to end.
 *
 * Quiesced (RUNNING_P2P), the device starts no DMA: a start command
 * written then is held, reads of the command register show it with its
 * start bit, and it is written to the device when the device runs again
 * (RUNNING).  A DMA in flight when quiesce is asked for completes first.
 * A command still held when the state is saved travels with its start bit
 * and starts on the destination once that runs.
 *
 * Dirty tracking: the DMA registers are trapped, so every start command
 * that writes guest memory (EDU_DMA_CMD_TO_RAM) passes through the plugin,
 * which marks the pages it will write in a struct mdev_pt_dirty_bitmap
 * before the command reaches the device: the device's count bytes at its
 * destination register, masked to the device's 28 address bits.  The
 * device copies later, from a timer, so the transfer in flight is marked
 * again at every report until a report finds the device done, and once
 * more when the next transfer replaces it: the report that follows its
 * completion always names its pages.
 *
 * The migration verbs reach the registers with mdev_pt_bar_rw_decoding():
 * QEMU 7.2 resets the device, clearing memory decoding, before it moves
 * the destination to RESUMING, and restores the command register only
 * after the device state.
 */

#include <linux/delay.h>
#include <linux/device.h>
#include <linux/jiffies.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <uapi/linux/mdev_pt.h>

#include "edu.h"

#define EDU_REG_LIVENESS	0x04
#define EDU_REG_FACTORIAL	0x08
#define EDU_REG_STATUS		0x20
#define EDU_REG_IRQ_STATUS	0x24
#define EDU_REG_IRQ_RAISE	0x60
#define EDU_REG_IRQ_ACK		0x64

#define EDU_STATUS_COMPUTING	BIT(0)
#define EDU_STATUS_IRQFACT	BIT(7)

/* How long STOP waits for the device to finish what it is doing. */
#define EDU_IDLE_TIMEOUT_MS	5000
/* n! modulo 2^32 is 0 from n = 34 on. */
#define EDU_FACT_MAX_N		34

/**
 * struct edu_mig - state of one edu-migratable instance
 * @inst: the instance
 * @lock: serializes trapped accesses with the verbs; protects @cmd,
 *	@cmd_restored, @quiesced, @held_cmd, @cmd_held, @dma_iova and @dma_len
 * @cmd: the DMA command register as restored
 * @cmd_restored: reads of the command register return @cmd
 * @quiesced: RUNNING_P2P: start commands are held
 * @held_cmd: the start command written while quiesced
 * @cmd_held: @held_cmd waits for RUNNING; reads of the command register
 *	return it
 * @dma_iova: start of the guest memory the last DMA to RAM writes
 * @dma_len: its length, 0 once a report found it complete
 * @dirty: the pages DMA to RAM wrote while logging
 * @saved: the state of the current save or resume
 * @sent: the save handed out @saved
 * @loaded: the resume received @saved
 */
struct edu_mig {
	struct mdev_pt_instance *inst;
	struct mutex lock;		/* protects the seven fields below */
	u64 cmd;
	bool cmd_restored;
	bool quiesced;
	u64 held_cmd;
	bool cmd_held;
	u64 dma_iova;
	u64 dma_len;
	struct mdev_pt_dirty_bitmap dirty;
	struct mdev_pt_edu_mig_state saved;
	bool sent;
	bool loaded;
};

/* One access to the edu BAR, also while user space has decoding off. */
static int edu_bar_rw(struct mdev_pt_instance *inst, u64 reg, void *buf,
		      size_t count, bool is_write)
{
	ssize_t ret;

	ret = mdev_pt_bar_rw_decoding(inst, EDU_BAR, buf, count, reg, is_write);
	return ret < 0 ? ret : 0;
}

static int edu_read32(struct mdev_pt_instance *inst, u64 reg, u32 *val)
{
	__le32 v;
	int ret = edu_bar_rw(inst, reg, &v, sizeof(v), false);

	if (!ret)
		*val = le32_to_cpu(v);
	return ret;
}

static int edu_write32(struct mdev_pt_instance *inst, u64 reg, u32 val)
{
	__le32 v = cpu_to_le32(val);

	return edu_bar_rw(inst, reg, &v, sizeof(v), true);
}

static int edu_read64(struct mdev_pt_instance *inst, u64 reg, u64 *val)
{
	__le64 v;
	int ret = edu_bar_rw(inst, reg, &v, sizeof(v), false);

	if (!ret)
		*val = le64_to_cpu(v);
	return ret;
}

static int edu_write64(struct mdev_pt_instance *inst, u64 reg, u64 val)
{
	__le64 v = cpu_to_le64(val);

	return edu_bar_rw(inst, reg, &v, sizeof(v), true);
}

static int edu_mig_io_error(struct mdev_pt_instance *inst, int ret)
{
	dev_err(mdev_pt_instance_dev(inst), "cannot reach the device registers: %d%s\n",
		ret, ret == -EIO ? " (the function is not in D0)" : "");
	return ret;
}

/* Wait until no factorial computation and no DMA runs. */
static int edu_mig_wait_idle(struct mdev_pt_instance *inst)
{
	unsigned long timeout = jiffies + msecs_to_jiffies(EDU_IDLE_TIMEOUT_MS);
	u32 status;
	u64 cmd;
	int ret;

	for (;;) {
		ret = edu_read32(inst, EDU_REG_STATUS, &status);
		if (!ret)
			ret = edu_read64(inst, EDU_REG_DMA_CMD, &cmd);
		if (ret)
			return edu_mig_io_error(inst, ret);
		if (!(status & EDU_STATUS_COMPUTING) &&
		    !(cmd & EDU_DMA_CMD_START))
			return 0;
		if (time_after(jiffies, timeout))
			break;
		usleep_range(1000, 2000);
	}

	dev_err(mdev_pt_instance_dev(inst), "device still busy after %u ms:%s%s\n",
		EDU_IDLE_TIMEOUT_MS,
		status & EDU_STATUS_COMPUTING ? " factorial computing" : "",
		cmd & EDU_DMA_CMD_START ? " DMA running" : "");
	return -ETIMEDOUT;
}

/*
 * A start command @cmd is about to reach the device: if it writes guest
 * memory, note where (from the device's registers, which only trapped
 * accesses change) and log the pages first.  @user: the access is user
 * space's, subject to its memory decoding.
 */
static int edu_mig_dma_starts(struct edu_mig *em, u64 cmd, bool user)
{
	struct mdev_pt_instance *inst = em->inst;
	__le64 dst, count;
	ssize_t ret;

	lockdep_assert_held(&em->lock);

	if (!(cmd & EDU_DMA_CMD_START) || !(cmd & EDU_DMA_CMD_TO_RAM))
		return 0;
	if (user) {
		ret = mdev_pt_bar_rw(inst, EDU_BAR, &dst, sizeof(dst),
				     EDU_REG_DMA_DST, false);
		if (ret > 0)
			ret = mdev_pt_bar_rw(inst, EDU_BAR, &count,
					     sizeof(count), EDU_REG_DMA_COUNT,
					     false);
	} else {
		ret = edu_bar_rw(inst, EDU_REG_DMA_DST, &dst, sizeof(dst),
				 false);
		if (!ret)
			ret = edu_bar_rw(inst, EDU_REG_DMA_COUNT, &count,
					 sizeof(count), false);
	}
	if (ret < 0)
		return ret;

	/*
	 * The transfer this one replaces has ended (the device takes a start
	 * command only when idle), but maybe after the last report: it may
	 * have written pages that report already cleared.
	 */
	if (em->dma_len)
		mdev_pt_dirty_bitmap_mark(&em->dirty, em->dma_iova,
					  em->dma_len);
	em->dma_iova = le64_to_cpu(dst) & (EDU_DMA_RAM_LIMIT - 1);
	em->dma_len = le64_to_cpu(count);
	mdev_pt_dirty_bitmap_mark(&em->dirty, em->dma_iova, em->dma_len);
	return 0;
}

/* RUNNING -> RUNNING_P2P: hold new DMA, let the one in flight end. */
static int edu_mig_quiesce(struct mdev_pt_instance *inst)
{
	struct edu_mig *em = mdev_pt_get_drvdata(inst);

	mutex_lock(&em->lock);
	em->quiesced = true;
	mutex_unlock(&em->lock);
	return edu_mig_wait_idle(inst);
}

/* RUNNING_P2P -> RUNNING: start the DMA held meanwhile. */
static int edu_mig_unquiesce(struct mdev_pt_instance *inst)
{
	struct edu_mig *em = mdev_pt_get_drvdata(inst);
	int ret = 0;

	mutex_lock(&em->lock);
	em->quiesced = false;
	if (em->cmd_held) {
		ret = edu_mig_dma_starts(em, em->held_cmd, false);
		if (!ret)
			ret = edu_write64(inst, EDU_REG_DMA_CMD, em->held_cmd);
		em->cmd_held = false;
		em->cmd_restored = false;
	}
	mutex_unlock(&em->lock);
	return ret ? edu_mig_io_error(inst, ret) : 0;
}

static int edu_mig_stop(struct mdev_pt_instance *inst)
{
	return edu_mig_wait_idle(inst);
}

static int edu_mig_resume(struct mdev_pt_instance *inst)
{
	return 0;
}

static int edu_mig_save_begin(struct mdev_pt_instance *inst, bool precopy)
{
	struct edu_mig *em = mdev_pt_get_drvdata(inst);

	em->sent = false;
	return 0;
}

static void edu_mig_save_pending(struct mdev_pt_instance *inst, u64 *initial,
				 u64 *dirty)
{
	struct edu_mig *em = mdev_pt_get_drvdata(inst);

	*initial = em->sent ? 0 : sizeof(em->saved);
	*dirty = 0;
}

/*
 * The command register as it travels: a held command with its start bit,
 * else what user space sees, without it (the device is idle).
 */
static int edu_mig_cmd(struct edu_mig *em, u64 *cmd)
{
	int ret = 0;

	mutex_lock(&em->lock);
	if (em->cmd_held)
		*cmd = em->held_cmd;
	else if (em->cmd_restored)
		*cmd = em->cmd;
	else
		ret = edu_read64(em->inst, EDU_REG_DMA_CMD, cmd);
	if (!ret && !em->cmd_held)
		*cmd &= ~EDU_DMA_CMD_START;
	mutex_unlock(&em->lock);
	return ret;
}

static ssize_t edu_mig_save(struct mdev_pt_instance *inst, void *buf,
			    size_t size)
{
	struct edu_mig *em = mdev_pt_get_drvdata(inst);
	struct mdev_pt_edu_mig_state *st = &em->saved;
	u32 liveness, fact, status, irq_status;
	u64 src, dst, count, cmd;
	int ret;

	if (em->sent)
		return 0;

	ret = edu_read32(inst, EDU_REG_LIVENESS, &liveness);
	if (!ret)
		ret = edu_read32(inst, EDU_REG_FACTORIAL, &fact);
	if (!ret)
		ret = edu_read32(inst, EDU_REG_STATUS, &status);
	if (!ret)
		ret = edu_read32(inst, EDU_REG_IRQ_STATUS, &irq_status);
	if (!ret)
		ret = edu_read64(inst, EDU_REG_DMA_SRC, &src);
	if (!ret)
		ret = edu_read64(inst, EDU_REG_DMA_DST, &dst);
	if (!ret)
		ret = edu_read64(inst, EDU_REG_DMA_COUNT, &count);
	if (!ret)
		ret = edu_mig_cmd(em, &cmd);
	if (ret)
		return edu_mig_io_error(inst, ret);

	st->liveness = cpu_to_le32(liveness);
	st->factorial = cpu_to_le32(fact);
	st->status = cpu_to_le32(status & EDU_STATUS_IRQFACT);
	st->irq_status = cpu_to_le32(irq_status);
	st->dma_src = cpu_to_le64(src);
	st->dma_dst = cpu_to_le64(dst);
	st->dma_count = cpu_to_le64(count);
	st->dma_cmd = cpu_to_le64(cmd);

	memcpy(buf, st, sizeof(*st));
	em->sent = true;
	return sizeof(*st);
}

static int edu_mig_load_begin(struct mdev_pt_instance *inst)
{
	struct edu_mig *em = mdev_pt_get_drvdata(inst);

	em->loaded = false;
	return 0;
}

static int edu_mig_load(struct mdev_pt_instance *inst, const void *buf,
			size_t size)
{
	struct edu_mig *em = mdev_pt_get_drvdata(inst);
	struct device *dev = mdev_pt_instance_dev(inst);

	if (em->loaded || size != sizeof(em->saved)) {
		dev_err(dev, "edu state: %s record of %zu bytes, expected one of %zu\n",
			em->loaded ? "another" : "a", size, sizeof(em->saved));
		return -EINVAL;
	}
	memcpy(&em->saved, buf, size);
	em->loaded = true;
	return 0;
}

/* The n whose factorial the device shows as @val, or -1. */
static int edu_fact_input(u32 val)
{
	u32 f = 1;
	int n;

	for (n = 0; n <= EDU_FACT_MAX_N; n++) {
		if (f == val)
			return n;
		f *= n + 1;
	}
	return -1;
}

/* Have the device compute the factorial that reads @val. */
static int edu_mig_restore_fact(struct mdev_pt_instance *inst, u32 val)
{
	struct device *dev = mdev_pt_instance_dev(inst);
	int n = edu_fact_input(val);
	u32 now;
	int ret;

	if (n < 0) {
		dev_err(dev, "edu state: factorial %#x is no n! the device can compute\n",
			val);
		return -EINVAL;
	}

	ret = edu_read32(inst, EDU_REG_FACTORIAL, &now);
	if (ret || now == val)
		return ret;

	ret = edu_write32(inst, EDU_REG_FACTORIAL, n);
	if (!ret)
		ret = edu_mig_wait_idle(inst);
	if (!ret)
		ret = edu_read32(inst, EDU_REG_FACTORIAL, &now);
	if (!ret && now != val) {
		dev_err(dev, "edu state: computing %d! gave %#x, not %#x\n",
			n, now, val);
		ret = -EIO;
	}
	return ret;
}

/* The whole stream arrived: write the state into the device. */
static int edu_mig_apply(struct edu_mig *em)
{
	const struct mdev_pt_edu_mig_state *st = &em->saved;
	struct mdev_pt_instance *inst = em->inst;
	int ret;

	ret = edu_mig_wait_idle(inst);
	if (ret)
		return ret;

	/* No completion IRQ for the factorial computed here. */
	ret = edu_write32(inst, EDU_REG_STATUS, 0);
	if (!ret)
		ret = edu_mig_restore_fact(inst, le32_to_cpu(st->factorial));
	if (!ret)
		ret = edu_write32(inst, EDU_REG_LIVENESS,
				  ~le32_to_cpu(st->liveness));
	if (!ret)
		ret = edu_write32(inst, EDU_REG_IRQ_ACK, ~0U);
	if (!ret && st->irq_status)
		ret = edu_write32(inst, EDU_REG_IRQ_RAISE,
				  le32_to_cpu(st->irq_status));
	if (!ret)
		ret = edu_write32(inst, EDU_REG_STATUS,
				  le32_to_cpu(st->status) & EDU_STATUS_IRQFACT);
	if (!ret)
		ret = edu_write64(inst, EDU_REG_DMA_SRC,
				  le64_to_cpu(st->dma_src));
	if (!ret)
		ret = edu_write64(inst, EDU_REG_DMA_DST,
				  le64_to_cpu(st->dma_dst));
	if (!ret)
		ret = edu_write64(inst, EDU_REG_DMA_COUNT,
				  le64_to_cpu(st->dma_count));
	if (ret)
		return ret == -EIO ? edu_mig_io_error(inst, ret) : ret;

	mutex_lock(&em->lock);
	em->cmd = le64_to_cpu(st->dma_cmd) & ~EDU_DMA_CMD_START;
	em->cmd_restored = true;
	/* Held on the source: it starts once this device runs. */
	em->held_cmd = le64_to_cpu(st->dma_cmd);
	em->cmd_held = !!(em->held_cmd & EDU_DMA_CMD_START);
	mutex_unlock(&em->lock);
	return 0;
}

static int edu_mig_load_end(struct mdev_pt_instance *inst, bool complete)
{
	struct edu_mig *em = mdev_pt_get_drvdata(inst);
	bool loaded = em->loaded;

	em->loaded = false;
	if (!complete)
		return 0;
	if (!loaded) {
		dev_err(mdev_pt_instance_dev(inst), "edu state: the stream has no device state\n");
		return -EINVAL;
	}
	return edu_mig_apply(em);
}

static void edu_mig_reset(struct mdev_pt_instance *inst)
{
	struct edu_mig *em = mdev_pt_get_drvdata(inst);

	em->sent = false;
	em->loaded = false;
	mutex_lock(&em->lock);
	em->cmd_restored = false;
	em->quiesced = false;
	em->cmd_held = false;
	mutex_unlock(&em->lock);
}

const struct mdev_pt_migration_ops mdev_pt_edu_migration_ops = {
	.quiesce	= edu_mig_quiesce,
	.unquiesce	= edu_mig_unquiesce,
	.stop		= edu_mig_stop,
	.resume		= edu_mig_resume,
	.save_begin	= edu_mig_save_begin,
	.save_pending	= edu_mig_save_pending,
	.save		= edu_mig_save,
	.load_begin	= edu_mig_load_begin,
	.load		= edu_mig_load,
	.load_end	= edu_mig_load_end,
	.reset		= edu_mig_reset,
};

/* The trapped DMA command register (0x98-0x9f). */
static ssize_t edu_mig_trap_rw(struct mdev_pt_instance *inst,
			       unsigned int bar, char *buf, size_t count,
			       u64 offset, bool iswrite)
{
	struct edu_mig *em = mdev_pt_get_drvdata(inst);
	__le64 val;
	ssize_t ret;

	mutex_lock(&em->lock);
	if (!iswrite && (em->cmd_held || em->cmd_restored) &&
	    offset == EDU_REG_DMA_CMD && (count == 4 || count == 8)) {
		val = cpu_to_le64(em->cmd_held ? em->held_cmd : em->cmd);
		memcpy(buf, &val, count);
		ret = count;
		goto out_unlock;
	}
	/* Quiesced: a start command waits for RUNNING. */
	if (iswrite && em->quiesced && offset == EDU_REG_DMA_CMD &&
	    (count == 4 || count == 8) && (buf[0] & EDU_DMA_CMD_START)) {
		val = 0;
		memcpy(&val, buf, count);
		em->held_cmd = le64_to_cpu(val);
		em->cmd_held = true;
		ret = count;
		goto out_unlock;
	}

	if (iswrite && offset == EDU_REG_DMA_CMD &&
	    (buf[0] & EDU_DMA_CMD_START)) {
		ret = edu_mig_dma_starts(em, buf[0], true);
		if (ret)
			goto out_unlock;
	}
	ret = mdev_pt_bar_rw(inst, bar, buf, count, offset, iswrite);
	/* A start command replaces the whole register in the device. */
	if (ret > 0 && iswrite && offset == EDU_REG_DMA_CMD &&
	    (buf[0] & EDU_DMA_CMD_START))
		em->cmd_restored = false;
out_unlock:
	mutex_unlock(&em->lock);
	return ret;
}

static int edu_mig_create(struct mdev_pt_instance *inst)
{
	struct edu_mig *em;

	em = kzalloc(sizeof(*em), GFP_KERNEL);
	if (!em)
		return -ENOMEM;
	em->inst = inst;
	mutex_init(&em->lock);
	mdev_pt_dirty_bitmap_init(&em->dirty);
	mdev_pt_set_drvdata(inst, em);
	return 0;
}

static void edu_mig_destroy(struct mdev_pt_instance *inst)
{
	struct edu_mig *em = mdev_pt_get_drvdata(inst);

	mdev_pt_dirty_bitmap_stop(&em->dirty);
	mutex_destroy(&em->lock);
	kfree(em);
}

/*
 * The remembered DMA to RAM has ended: the device clears the start bit
 * after its last write.  Unreadable, the device counts as busy.
 */
static bool edu_mig_dma_ended(struct edu_mig *em)
{
	u64 cmd;

	lockdep_assert_held(&em->lock);

	return !edu_read64(em->inst, EDU_REG_DMA_CMD, &cmd) &&
	       !(cmd & EDU_DMA_CMD_START);
}

static int edu_dirty_start(struct mdev_pt_instance *inst,
			   const struct mdev_pt_dirty_range *ranges,
			   unsigned int nr, u64 page_size)
{
	struct edu_mig *em = mdev_pt_get_drvdata(inst);
	int ret;

	mutex_lock(&em->lock);
	ret = mdev_pt_dirty_bitmap_start(&em->dirty, ranges, nr, page_size);
	/*
	 * A DMA started before logging may still be writing; one the device
	 * finished before now wrote nothing to log.
	 */
	if (!ret && em->dma_len) {
		if (edu_mig_dma_ended(em))
			em->dma_len = 0;
		else
			mdev_pt_dirty_bitmap_mark(&em->dirty, em->dma_iova,
						  em->dma_len);
	}
	mutex_unlock(&em->lock);
	if (ret)
		dev_err(mdev_pt_instance_dev(inst), "cannot start dirty logging: %d\n",
			ret);
	return ret;
}

static void edu_dirty_stop(struct mdev_pt_instance *inst)
{
	struct edu_mig *em = mdev_pt_get_drvdata(inst);

	mutex_lock(&em->lock);
	mdev_pt_dirty_bitmap_stop(&em->dirty);
	mutex_unlock(&em->lock);
}

/*
 * The DMA to RAM in flight at the last report is marked again, and
 * forgotten once the device shows it done: its pages are in the first
 * report after its completion.
 */
static int edu_dirty_report(struct mdev_pt_instance *inst, u64 iova,
			    u64 length, struct mdev_pt_dirty_report *report)
{
	struct edu_mig *em = mdev_pt_get_drvdata(inst);

	mutex_lock(&em->lock);
	if (em->dma_len) {
		mdev_pt_dirty_bitmap_mark(&em->dirty, em->dma_iova,
					  em->dma_len);
		if (edu_mig_dma_ended(em))
			em->dma_len = 0;
	}
	mutex_unlock(&em->lock);
	return mdev_pt_dirty_bitmap_report(&em->dirty, iova, length, report);
}

const struct mdev_pt_dirty_ops mdev_pt_edu_dirty_ops = {
	.max_ranges	= MDEV_PT_DIRTY_MAX_RANGES,
	.start		= edu_dirty_start,
	.stop		= edu_dirty_stop,
	.report		= edu_dirty_report,
};

const struct mdev_pt_type_ops mdev_pt_edu_mig_type_ops = {
	.create		= edu_mig_create,
	.destroy	= edu_mig_destroy,
	.trap_rw	= edu_mig_trap_rw,
};
