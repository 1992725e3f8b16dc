# SPDX-License-Identifier: GPL-2.0-only
# User-space test programs, built against the installed uAPI headers and the
# kselftest harness of the Debian kernel source package.

TEST_CFLAGS	:= -O2 -g -Wall -Wextra -Werror -I$(KSFT_DIR) -D_GNU_SOURCE
TEST_PROGS	:= $(patsubst $(TOP)/tests/vfio/%.c,$(BUILD)/tests/%, \
			$(wildcard $(TOP)/tests/vfio/*_test.c)) \
		   $(patsubst $(TOP)/tests/tools/%.c,$(BUILD)/tests/%, \
			$(wildcard $(TOP)/tests/tools/*.c)) \
		   $(patsubst $(TOP)/tests/migration/%.c,$(BUILD)/tests/%, \
			$(wildcard $(TOP)/tests/migration/*_test.c)) \
		   $(BUILD)/tests/mdev_pt_fuzz $(BUILD)/tests/mdev_pt_stress \
		   $(BUILD)/tests/mdev_pt_failnth
BENCH_PROGS	:= $(patsubst $(TOP)/bench/%.c,$(BUILD)/bench/%, \
			$(wildcard $(TOP)/bench/*.c))

tests: $(TEST_PROGS)

$(BUILD)/tests/%: $(TOP)/tests/vfio/%.c $(wildcard $(TOP)/tests/vfio/*.h) \
		$(TOP)/tests/lib/sysfs_util.h \
		$(KSFT_DIR)/.stamp
	@mkdir -p $(dir $@)
	$(CC) $(TEST_CFLAGS) -o $@ $<

# The iommufd and VFIO cdev uAPI (6.6 and later) for the cdev test, from
# the 6.12 source package: the installed headers are 6.1's, which have
# neither.  Extracted like the kselftest harness, never copied into the tree;
# these are the raw headers, which headers_install would strip of __user.
UAPI_DIR	:= $(BUILD)/uapi

$(UAPI_DIR)/.stamp: $(LINUX_SOURCE)
	@test -n "$(LINUX_SOURCE)" || \
		{ echo "linux-source-6.12 missing: run scripts/setup.sh" >&2; exit 1; }
	@rm -rf $(UAPI_DIR) && mkdir -p $(UAPI_DIR)/.src $(UAPI_DIR)/linux
	tar -xJf $(LINUX_SOURCE) -C $(UAPI_DIR)/.src --strip-components=1 \
		--wildcards '*/include/uapi/linux/iommufd.h' \
		'*/include/uapi/linux/vfio.h'
	mv $(UAPI_DIR)/.src/include/uapi/linux/*.h $(UAPI_DIR)/linux/
	rm -rf $(UAPI_DIR)/.src
	@touch $@

$(BUILD)/tests/vfio_cdev_test: $(TOP)/tests/vfio/vfio_cdev_test.c \
		$(wildcard $(TOP)/tests/vfio/*.h) $(TOP)/tests/lib/sysfs_util.h \
		$(KSFT_DIR)/.stamp $(UAPI_DIR)/.stamp
	@mkdir -p $(dir $@)
	$(CC) $(TEST_CFLAGS) -I$(UAPI_DIR) -D__user= -o $@ $<

# The dirty tracking test uses the migration tests' helpers.
$(BUILD)/tests/vfio_dirty_test: $(TOP)/tests/vfio/vfio_dirty_test.c \
		$(wildcard $(TOP)/tests/vfio/*.h $(TOP)/tests/migration/*.h) \
		$(TOP)/tests/lib/sysfs_util.h $(KSFT_DIR)/.stamp
	@mkdir -p $(dir $@)
	$(CC) $(TEST_CFLAGS) -o $@ $<

$(BUILD)/tests/%: $(TOP)/tests/migration/%.c \
		$(wildcard $(TOP)/tests/migration/*.h $(TOP)/tests/vfio/*.h) \
		$(TOP)/tests/lib/sysfs_util.h \
		$(KSFT_DIR)/.stamp
	@mkdir -p $(dir $@)
	$(CC) $(TEST_CFLAGS) -o $@ $<

$(BUILD)/bench/%: $(TOP)/bench/%.c \
		$(wildcard $(TOP)/tests/migration/*.h $(TOP)/tests/vfio/*.h) \
		$(TOP)/tests/lib/sysfs_util.h \
		$(KSFT_DIR)/.stamp
	@mkdir -p $(dir $@)
	$(CC) $(TEST_CFLAGS) -o $@ $<

$(BUILD)/tests/%: $(TOP)/tests/tools/%.c $(TOP)/tests/tools/vfio_tool.h \
		$(TOP)/tests/lib/sysfs_util.h
	@mkdir -p $(dir $@)
	$(CC) $(TEST_CFLAGS) -o $@ $<

$(BUILD)/tests/mdev_pt_fuzz: $(TOP)/tests/fuzz/mdev_pt_fuzz.c \
		$(TOP)/include/uapi/linux/mdev_pt.h $(TOP)/tests/vfio/edu_regs.h
	@mkdir -p $(dir $@)
	$(CC) $(TEST_CFLAGS) -o $@ $<

$(BUILD)/tests/mdev_pt_stress: $(TOP)/tests/stress/mdev_pt_stress.c \
		$(TOP)/tests/lib/sysfs_util.h
	@mkdir -p $(dir $@)
	$(CC) $(TEST_CFLAGS) -o $@ $<

$(BUILD)/tests/mdev_pt_failnth: $(TOP)/tests/failnth/mdev_pt_failnth.c \
		$(TOP)/tests/lib/sysfs_util.h $(TOP)/tests/migration/mig_state.h
	@mkdir -p $(dir $@)
	$(CC) $(TEST_CFLAGS) -o $@ $<
