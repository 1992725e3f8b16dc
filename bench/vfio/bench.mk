# SPDX-License-Identifier: GPL-2.0-only
# The vfio-pci comparison benchmark (bench/vfio/README.md): its program is
# built with the test programs, so that `make tests` keeps it compiling.

BENCH_VFIO_PROG	:= $(BUILD)/bench/vfio_bench

tests: $(BENCH_VFIO_PROG)

$(BENCH_VFIO_PROG): $(TOP)/bench/vfio/vfio_bench.c \
		$(wildcard $(TOP)/tests/vfio/*.h) $(TOP)/tests/lib/sysfs_util.h \
		$(KSFT_DIR)/.stamp
	@mkdir -p $(dir $@)
	$(CC) $(TEST_CFLAGS) -I$(TOP)/tests/vfio -o $@ $<

bench-vfio: modules tests
	$(TOP)/bench/vfio/run
