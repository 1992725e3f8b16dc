# SPDX-License-Identifier: GPL-2.0-only
# The dirty-tracking migration benchmark (bench/migration/README.md): QEMU 10
# migrating nested guests with and without an edu-migratable instance, in
# the VM test bed on 6.1 with the Debian 13 stack.

bench-dirty: modules tests
	$(TOP)/bench/migration/run
