# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=bash
#
# Shared helpers for the shell tests, which run as root inside the VM test
# bed.  A test file defines functions named test_<name> and ends with
# 'run_tests "$@"'; each test runs in a subshell and prints one TAP line.

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BIN=$TOP/build/tests
PT_TYPE=mdev_pt-passthrough

# --- assertions (inside a test; each failure ends the test) ---------------

fail()
{
	echo "# FAIL: $*"
	exit 1
}

# expect_eq WHAT EXPECTED ACTUAL
expect_eq()
{
	[ "$2" = "$3" ] || fail "$1: expected '$2', got '$3'"
}

# expect_write FILE VALUE RESULT: write VALUE to FILE in one write(2) and
# expect RESULT ("OK" or an errno name such as EEXIST).
expect_write()
{
	local got

	got=$("$BIN/sysfs_write" "$1" "$2")
	[ "$got" = "$3" ] || fail "write '$2' to $1: expected $3, got $got"
}

# wait_for TIMEOUT_S COMMAND...: poll COMMAND every 0.1 s until it succeeds.
wait_for()
{
	local deadline=$((SECONDS + $1))

	shift
	until "$@"; do
		[ "$SECONDS" -lt "$deadline" ] || return 1
		sleep 0.1
	done
}

# --- devices ----------------------------------------------------------------

# Device discovery and driver helpers of the test bed (vm_*).
. "$TOP/tests/vm/guest-lib.sh"

edu_bdfs()
{
	vm_edu_bdfs
}

nvme_pf_bdf()
{
	vm_nvme_pf_bdf
}

pci_driver()
{
	vm_pci_driver "$1"
}

# pci_bind BDF DRIVER: bind BDF to DRIVER through driver_override.
pci_bind()
{
	local dev=/sys/bus/pci/devices/$1 res

	[ -n "$(pci_driver "$1")" ] && echo "$1" > "$dev/driver/unbind"
	echo "$2" > "$dev/driver_override"
	res=$("$BIN/sysfs_write" "/sys/bus/pci/drivers/$2/bind" "$1")
	[ "$res" = OK ] || { echo "$res"; return 1; }
}

pci_unbind()
{
	vm_release "$1"
}

# core_unload: rmmod mdev_pt, then wait (up to 8 s) until its PCI and mdev
# drivers are gone from sysfs: a kernel with CONFIG_DEBUG_KOBJECT_RELEASE
# (the debug kernel) removes them up to 4 s later, and loading the module
# again before fails on the duplicate driver name.
core_unload()
{
	rmmod mdev_pt || return 1
	wait_for 8 eval '[ ! -e /sys/bus/pci/drivers/mdev_pt ] && [ ! -e /sys/bus/mdev/drivers/mdev_pt ]'
}

# pt_autoload BDF: the plugin autoload of a function bound to mdev_pt:
# "off", "pending" or "done" (empty if unbound).
pt_autoload()
{
	local s

	read -r s 2> /dev/null < "/sys/bus/pci/devices/$1/mdev_pt_autoload" &&
		echo "$s"
}

# pt_settle BDF...: wait (up to 60 s in all) until the plugin request of
# each function bound to mdev_pt finished and the plugins it loaded are
# attached (binding only queues that request).  Builtins only: a few
# hundred functions are checked in a moment.
pt_settle()
{
	local b s deadline=$((SECONDS + 60))

	for b in "$@"; do
		while read -r s 2> /dev/null < "/sys/bus/pci/devices/$b/mdev_pt_autoload" &&
		      [ "$s" = pending ]; do
			[ "$SECONDS" -lt "$deadline" ] ||
				{ echo "plugin autoload of $b still pending"; return 1; }
			sleep 0.1
		done
	done
}

# pt_bind BDF: bind BDF to mdev_pt, loading the module, and wait for its
# plugins (pci_bind BDF mdev_pt does not wait).
pt_bind()
{
	modprobe mdev_pt || return 1
	pci_bind "$1" mdev_pt || return 1
	pt_settle "$1"
}

type_dir()
{
	echo "/sys/bus/pci/devices/$1/mdev_supported_types/${2:-$PT_TYPE}"
}

new_uuid()
{
	cat /proc/sys/kernel/random/uuid
}

# uuid_create FILE UUID: write UUID to a create FILE and print the result
# (OK or an errno name).  The mdev core frees a removed instance's UUID only
# when the device is released, which the debug kernel
# (CONFIG_DEBUG_KOBJECT_RELEASE) delays by up to 4 s: a UUID just removed,
# EEXIST without its sysfs directory, is tried again for up to 8 s.
uuid_create()
{
	local got i

	for i in $(seq 80); do
		got=$("$BIN/sysfs_write" "$1" "$2")
		[ "$got" = EEXIST ] && [ ! -e "/sys/bus/mdev/devices/$2" ] || break
		sleep 0.1
	done
	echo "$got"
}

# pt_create BDF UUID [TYPE]
pt_create()
{
	local f got

	f="$(type_dir "$1" "${3:-}")/create"
	got=$(uuid_create "$f" "$2")
	[ "$got" = OK ] || fail "write '$2' to $f: expected OK, got $got"
}

pt_remove()
{
	expect_write "/sys/bus/mdev/devices/$1/remove" 1 OK
}

iommu_group_of()
{
	basename "$(readlink "$1/iommu_group")"
}

# --- the user space under test ----------------------------------------------

# tests/vm/run --stack deb12 runs the tests with the host's (Debian 12)
# user space, --stack deb13 with Debian 13's.  The real-client tests run on
# both; where the clients differ, they test each as it is, by version.

# Debian's major release of the running user space: 12, 13, ...
debian_release()
{
	sed -n 's/^VERSION_ID="\{0,1\}\([0-9]*\).*/\1/p' /etc/os-release
}

qemu_version()
{
	qemu-system-x86_64 --version | sed -n '1s/^QEMU emulator version \([0-9.]*\).*/\1/p'
}

mdevctl_version()
{
	mdevctl --version | awk '{ print $2 }'
}

libvirt_version()
{
	libvirtd --version | awk '{ print $NF }'
}

# version_ge A B: version A is B or newer (dotted numbers).
version_ge()
{
	[ "$(printf '%s\n%s\n' "$1" "$2" | sort -V | head -n 1)" = "$2" ]
}

# --- runner -----------------------------------------------------------------

# Kernel problems any test may have caused: checked after every test.
dmesg_problems()
{
	vm_kernel_trouble
}

# skip REASON: end the test as skipped, run_tests puts REASON on its line.
skip()
{
	echo "SKIP: $*"
	exit 4
}

run_tests()
{
	local t n=0 failed=0 name out rc why

	# In the order the test file defines them.
	for t in $(sed -n 's/^\(test_[a-z0-9_]*\)()$/\1/p' "$0"); do
		n=$((n + 1))
		name=${t#test_}
		dmesg -C
		out=$( (set -u; "$t") 2>&1)
		rc=$?
		[ -n "$out" ] && printf '%s\n' "$out" | sed 's/^\([^#]\)/# \1/'
		if [ $rc -eq 0 ] && dmesg_problems > /dev/null; then
			dmesg_problems | sed 's/^/# dmesg: /'
			rc=1
		fi
		if [ $rc -eq 0 ]; then
			echo "ok $n $name"
		elif [ $rc -eq 4 ]; then
			# The reason: skip's "SKIP: ..." line, else the last line.
			why=$(printf '%s\n' "$out" | sed -n 's/^\(# \)\{0,1\}SKIP: //p' | tail -n 1)
			[ -n "$why" ] || why=$(printf '%s\n' "$out" | sed -n '$s/^# //p')
			echo "ok $n $name # SKIP${why:+ $why}"
		else
			echo "not ok $n $name"
			dmesg | tail -n 20 | sed 's/^/# dmesg: /'
			failed=$((failed + 1))
		fi
		[ "$(type -t cleanup)" = function ] && cleanup > /dev/null 2>&1
	done
	[ $failed -eq 0 ]
}

# For programs that run as one sequence of steps instead of run_tests'
# independent test_ functions: result NAME COMMAND... prints one TAP line
# for COMMAND's success (its output as diagnostics when it fails) and
# remembers a failure in $status; bail MESSAGE ends the program with a
# failing line.  End such a program with "exit $status".
n=0
status=0

result()
{
	local name=$1 out

	shift
	n=$((n + 1))
	if out=$("$@" 2>&1); then
		echo "ok $n $name"
	else
		[ -n "$out" ] && printf '%s\n' "$out" | sed 's/^/# /'
		echo "not ok $n $name"
		status=1
	fi
}

bail()
{
	echo "not ok $((n + 1)) $*"
	exit 1
}
