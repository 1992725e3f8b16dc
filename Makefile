# SPDX-License-Identifier: GPL-2.0-only
#
# mdev-pt top-level Makefile.
#
#   make                 build the modules for every supported Debian kernel
#   make KDIR=<dir>      build against one kernel tree or headers directory
#   make W=1             extra compiler warnings (passed to Kbuild)
#   make tests           build the user-space test programs
#   make lint            checkpatch --strict and sparse (C=2) on both kernels
#   make install         build and install the modules for the running kernel
#                        (KRELEASE_RUN=, INSTALL_MOD_PATH=; SIGN=y to sign)
#   make dkms-source     copy the module sources to $(DKMS_SOURCE_TREE)/mdev-pt-<version>
#   make install-tools   install tools/mdev-pt-status into $(DESTDIR)$(PREFIX)/bin
#   make check           build everything and run the suite in the VM test bed
#   make check-debug     the suite on the debug kernel (KASAN, lockdep,
#                        kmemleak...), failing on any report; builds the
#                        kernel first (about 30 min, cached)
#   make debug-kernel    only build the debug kernel (cached)
#   make deb13           the Debian 13 root (cached) and the modules for its
#                        kernel, built through DKMS inside it (needs root)
#   make demo            show the product working in the VM test bed
#   make bench           bench-mig and bench-vfio, in the VM test bed (not part
#                        of make check; results in bench/results/)
#   make bench-mig       migration stop-copy throughput, both kernels
#   make bench-vfio      mdev-pt against vfio-pci, both kernels
#   make bench-dirty     QEMU 10 live migration with device dirty tracking
#                        (6.1, Debian 13 stack; needs make deb13; ~20 min)
#   make clean

TOP		:= $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
BUILD		:= $(TOP)/build

# The two supported kernel lines, found from the installed Debian headers.
KDIR_6.1	:= $(firstword $(wildcard /usr/src/linux-headers-6.1.*-amd64))
KDIR_6.12	:= $(firstword $(wildcard /usr/src/linux-headers-6.12.*-amd64))
KDIRS		?= $(if $(KDIR),$(KDIR),$(KDIR_6.1) $(KDIR_6.12))

# Kernel release of a headers directory as uname -r reports it (Debian's
# include/config/kernel.release holds the upstream version instead).
KRELEASE	= sed -n 's/.*UTS_RELEASE "\(.*\)"/\1/p' \
			$$kdir/include/generated/utsrelease.h

# Sources copied into each per-kernel build tree: Kbuild writes its objects
# next to the sources, so each kernel builds in a tree of its own.
KSRC_DIRS	:= drivers include samples tests/modules
KSRC_FILES	:= Kbuild

LINUX_SOURCE	?= $(firstword $(wildcard /usr/src/linux-source-6.12.tar.xz))
KSFT_DIR	:= $(BUILD)/ksft
TOOLS_DIR	:= $(BUILD)/tools
CHECKPATCH	:= $(TOOLS_DIR)/scripts/checkpatch.pl

KBUILD_ARGS	:= CONFIG_VFIO_MDEV_PT=m CONFIG_VFIO_MDEV_PT_EDU=m CONFIG_VFIO_MDEV_PT_MOCK=m CONFIG_SAMPLE_MDEV_PT=m $(if $(W),W=$(W)) $(if $(C),C=$(C))

.PHONY: all modules tests lint checkpatch sparse setup check demo bench \
	bench-mig bench-vfio bench-dirty clean ksft-headers install dkms-source \
	debug-kernel check-debug deb13 install-tools

all: modules tests

modules:
	@test -n "$(strip $(KDIRS))" || \
		{ echo "no kernel headers found: run scripts/setup.sh" >&2; exit 1; }
	@set -e; for kdir in $(KDIRS); do \
		rel=$$($(KRELEASE)); \
		out=$(BUILD)/$$rel; \
		mkdir -p $$out; \
		cd $(TOP) && cp -r --parents --update --preserve=timestamps \
			$(KSRC_DIRS) $(KSRC_FILES) $$out/; \
		echo "  MODULES $$rel"; \
		$(MAKE) -C $$kdir M=$$out $(KBUILD_ARGS) modules; \
	done

# Installing: the production modules only, from a tree of their own, into
# /lib/modules/<release>/updates/mdev-pt, then depmod so that modprobe finds
# them and the plugins' aliases.  The test and template plugins (mock,
# sample) are for the VM test bed, which takes them from build/<release>:
# they are never built or installed here.  Keep the CONFIG_ list in step
# with MAKE[0] in dkms.conf and tests/packaging/lib.sh's INSTALLED.
VERSION		:= $(shell sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' $(TOP)/dkms.conf)
INST_SRC	:= drivers include samples Kbuild
# Not copied at all: the mock plugin's sources (the top-level Kbuild
# needs samples/ to exist, so the template's sources stay, unbuilt).
INST_EXCLUDE	:= drivers/vfio/mdev-pt/vendors/mock
INST_KBUILD_ARGS := CONFIG_VFIO_MDEV_PT=m CONFIG_VFIO_MDEV_PT_EDU=m \
		   MDEV_PT_TEST_MODULES=n $(if $(W),W=$(W)) $(if $(C),C=$(C))
KRELEASE_RUN	?= $(shell uname -r)
INST_KDIR	?= /lib/modules/$(KRELEASE_RUN)/build
DKMS_SOURCE_TREE ?= /usr/src

install:
	@test -d "$(INST_KDIR)" || { echo "no kernel build tree $(INST_KDIR):" \
		"install the headers of $(KRELEASE_RUN) or set KRELEASE_RUN=" >&2; exit 1; }
	@set -e; out=$(BUILD)/install/$(KRELEASE_RUN); \
	rm -rf $$out; mkdir -p $$out; \
	cd $(TOP) && cp -r --parents $(INST_SRC) $$out/; \
	cd $$out && rm -rf $(INST_EXCLUDE); \
	$(MAKE) -C $(INST_KDIR) M=$$out $(INST_KBUILD_ARGS) modules; \
	$(MAKE) -C $(INST_KDIR) M=$$out MDEV_PT_TEST_MODULES=n \
		INSTALL_MOD_DIR=updates/mdev-pt CONFIG_MODULE_SIG_ALL=$(SIGN) \
		$(if $(INSTALL_MOD_PATH),INSTALL_MOD_PATH=$(abspath $(INSTALL_MOD_PATH))) \
		modules_install; \
	depmod -a $(if $(INSTALL_MOD_PATH),-b $(abspath $(INSTALL_MOD_PATH))) $(KRELEASE_RUN)

dkms-source:
	@test -n "$(VERSION)" || { echo "no PACKAGE_VERSION in dkms.conf" >&2; exit 1; }
	rm -rf $(DKMS_SOURCE_TREE)/mdev-pt-$(VERSION)
	mkdir -p $(DKMS_SOURCE_TREE)/mdev-pt-$(VERSION)
	cd $(TOP) && cp -r --parents $(INST_SRC) dkms.conf $(DKMS_SOURCE_TREE)/mdev-pt-$(VERSION)/
	cd $(DKMS_SOURCE_TREE)/mdev-pt-$(VERSION) && rm -rf $(INST_EXCLUDE)

# The user-space tools: only the Python 3 standard library is needed.
PREFIX		?= /usr/local

install-tools:
	install -D -m 0755 $(TOP)/tools/mdev-pt-status \
		$(DESTDIR)$(PREFIX)/bin/mdev-pt-status

# kselftest harness, checkpatch and friends come from the Debian kernel
# source package; they are extracted, never copied into the tree.
$(KSFT_DIR)/.stamp $(TOOLS_DIR)/.stamp: $(LINUX_SOURCE)
	@test -n "$(LINUX_SOURCE)" || \
		{ echo "linux-source-6.12 missing: run scripts/setup.sh" >&2; exit 1; }
	@rm -rf $(BUILD)/.src && mkdir -p $(BUILD)/.src $(KSFT_DIR) $(TOOLS_DIR)
	tar -xJf $(LINUX_SOURCE) -C $(BUILD)/.src --strip-components=1 \
		--wildcards '*/tools/testing/selftests/kselftest_harness.h' \
		'*/tools/testing/selftests/kselftest.h' \
		'*/scripts/checkpatch.pl' '*/scripts/spelling.txt' \
		'*/scripts/const_structs.checkpatch'
	mv $(BUILD)/.src/tools/testing/selftests/*.h $(KSFT_DIR)/
	rm -rf $(TOOLS_DIR)/scripts && mv $(BUILD)/.src/scripts $(TOOLS_DIR)/
	rm -rf $(BUILD)/.src
	@touch $(KSFT_DIR)/.stamp $(TOOLS_DIR)/.stamp

ksft-headers: $(KSFT_DIR)/.stamp

include tests/tests.mk
include bench/vfio/bench.mk
include bench/migration/bench.mk

CHECKPATCH_FILES = $(shell cd $(TOP) && git ls-files -co --exclude-standard \
	'*.c' '*.h' | grep -v '^build/')

checkpatch: $(TOOLS_DIR)/.stamp
	cd $(TOP) && $(CHECKPATCH) --strict --no-tree --quiet --show-types \
		--ignore FILE_PATH_CHANGES,SPDX_LICENSE_TAG \
		-f $(filter drivers/% include/% samples/% tests/modules/%,$(CHECKPATCH_FILES))

sparse:
	@command -v sparse >/dev/null || \
		{ echo "sparse missing: run scripts/setup.sh" >&2; exit 1; }
	$(MAKE) -C $(TOP) modules C=2 W=1 2>&1 | tee $(BUILD)/sparse.log
	@! grep -E 'warning:|error:' $(BUILD)/sparse.log

lint: checkpatch sparse

setup:
	$(TOP)/scripts/setup.sh

check:
	$(TOP)/scripts/check

demo:
	$(TOP)/scripts/demo

bench: bench-mig bench-vfio

bench-mig: modules tests $(BENCH_PROGS)
	$(TOP)/bench/bench.sh

# The debug kernel: 6.12 with the kernel's checkers, see tests/vm/README.md.
# Its build is niced: it must not slow down VMs running beside it.
DEBUG_KERNEL	:= $(TOP)/scripts/build-debug-kernel.sh
# tests/vm/run's limit for the suite on it (the build is not counted).
DEBUG_TIMEOUT	?= 7200

debug-kernel:
	nice -n 19 $(DEBUG_KERNEL) >/dev/null

# On the debug kernel the fuzzer runs at least 100k operations (20k on each
# of the five types) without a time cap, and the stress phase is longer.
DEBUG_FUZZ_OPS	?= 20000
DEBUG_STRESS_SECONDS ?= 120

check-debug: debug-kernel tests
	$(MAKE) -C $(TOP) KDIR=$$($(DEBUG_KERNEL) --dir)/build modules
	cd $(TOP) && MDEVPT_FUZZ_OPS=$(DEBUG_FUZZ_OPS) MDEVPT_FUZZ_SECONDS=0 \
		MDEVPT_STRESS_SECONDS=$(DEBUG_STRESS_SECONDS) \
		tests/vm/run --kernel debug --timeout $(DEBUG_TIMEOUT) -- \
		tests/debug-suite

# Debian 13: the root of the test bed's second user space (mmdebstrap,
# cached) and mdev-pt for its kernel through DKMS in it; see tests/vm/README.md.
deb13:
	$(TOP)/scripts/build-deb13-modules.sh

clean:
	@if grep -qs " $(BUILD)/deb13/" /proc/self/mounts; then \
		echo "build/deb13 is still mounted: scripts/build-deb13-modules.sh running?" >&2; \
		exit 1; fi
	rm -rf $(BUILD)
