/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The edu device's migrating registers as the migration tests read and
 * write them through BAR0 of an open device (@fd, BAR0 at region offset
 * @bar0).  Include this after mig_util.h and ../vfio/edu_regs.h.
 */
#ifndef MDEVPT_EDU_MIG_H
#define MDEVPT_EDU_MIG_H

/* How long a factorial may take under TCG. */
#define FACT_TIMEOUT_MS		5000

/* The registers edu-migratable's contract says migrate, in this order. */
static const unsigned int edu_mig_regs[] = {
	EDU_REG_LIVENESS, EDU_REG_FACTORIAL, EDU_REG_STATUS, EDU_REG_IRQ_STATUS,
	EDU_REG_DMA_SRC, EDU_REG_DMA_DST, EDU_REG_DMA_COUNT, EDU_REG_DMA_CMD,
};
#define EDU_NREGS	ARRAY_SIZE(edu_mig_regs)

static inline uint32_t bar_read(struct __test_metadata *_metadata, int fd,
				uint64_t bar0, unsigned int reg)
{
	uint32_t val;

	ASSERT_EQ(4, pread(fd, &val, 4, bar0 + reg))
		TH_LOG("BAR0 read at 0x%x: %m", reg);
	return val;
}

static inline void bar_write(struct __test_metadata *_metadata, int fd,
			     uint64_t bar0, unsigned int reg, uint32_t val)
{
	ASSERT_EQ(4, pwrite(fd, &val, 4, bar0 + reg))
		TH_LOG("BAR0 write at 0x%x: %m", reg);
}

static inline void edu_snapshot(struct __test_metadata *_metadata, int fd,
				uint64_t bar0, uint32_t *regs)
{
	unsigned int i;

	for (i = 0; i < EDU_NREGS; i++)
		regs[i] = bar_read(_metadata, fd, bar0, edu_mig_regs[i]);
}

/* Wait until no factorial is being computed. */
static inline void edu_wait_idle(struct __test_metadata *_metadata, int fd,
				 uint64_t bar0)
{
	uint64_t deadline = now_ms() + FACT_TIMEOUT_MS;

	while (bar_read(_metadata, fd, bar0, EDU_REG_STATUS) &
	       EDU_STATUS_COMPUTING) {
		ASSERT_GT(deadline, now_ms()) TH_LOG("factorial still computing");
		usleep(1000);
	}
}

/* Wait until no DMA runs (its start bit clears; it takes ~100 ms). */
static inline void edu_wait_dma(struct __test_metadata *_metadata, int fd,
				uint64_t bar0)
{
	uint64_t deadline = now_ms() + FACT_TIMEOUT_MS;

	while (bar_read(_metadata, fd, bar0, EDU_REG_DMA_CMD) & EDU_DMA_START) {
		ASSERT_GT(deadline, now_ms()) TH_LOG("DMA still running");
		usleep(1000);
	}
}

/* Every migrating register reads @want (each difference is printed). */
static inline void edu_expect_regs(struct __test_metadata *_metadata, int fd,
				   uint64_t bar0, const uint32_t *want)
{
	uint32_t got[EDU_NREGS];
	unsigned int i, bad = 0;

	edu_snapshot(_metadata, fd, bar0, got);
	for (i = 0; i < EDU_NREGS; i++) {
		if (got[i] == want[i])
			continue;
		bad++;
		printf("# register 0x%02x: 0x%08x, want 0x%08x\n",
		       edu_mig_regs[i], got[i], want[i]);
	}
	ASSERT_EQ(0u, bad) TH_LOG("%u registers differ", bad);
}

#endif /* MDEVPT_EDU_MIG_H */
