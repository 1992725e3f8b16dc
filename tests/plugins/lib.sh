# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=bash
#
# Helpers for the plugin tests (tests/plugins/*.sh), on top of
# tests/lib/common.sh.  Source common.sh first.

EDU_MOD=mdev_pt_edu
SAMPLE_MOD=mdev_pt_sample
MOCK_MOD=mdev_pt_mock
EDU_TYPES="mdev_pt-edu-audited mdev_pt-edu-migratable mdev_pt-edu-passthrough mdev_pt-passthrough"
AUDITED=mdev_pt-edu-audited
# A modprobe.d file that keeps plugin modules from loading (the guest's /
# is a throw-away overlay; cleanup removes it anyway).
BLOCKER=/etc/modprobe.d/mdevpt-test-blocker.conf

# Results of C programs go straight to the TAP stream: run_tests captures
# a test's stdout and turns it into comments, so keep the real one.
exec 3>&1

module_loaded()
{
	[ -d "/sys/module/$1" ]
}

# block_modules MODULE...: make request_module() and modprobe fail for them.
block_modules()
{
	local m

	mkdir -p "$(dirname "$BLOCKER")"
	for m in "$@"; do
		echo "install $m /bin/false"
	done > "$BLOCKER"
}

unblock_modules()
{
	rm -f "$BLOCKER"
}

# --- a modprobe for request_module() that the test controls ---------------
#
# modprobe_wrap: make the kernel run a wrapper instead of modprobe for its
# module requests.  The wrapper logs "start ARGS", then runs the real
# modprobe and logs "ran ARGS STATUS", and "end ARGS STATUS" when it exits;
# it waits (up to 60 s) while $MODPROBE_HOLD exists before running
# modprobe, and while $MODPROBE_HOLD_AFTER exists after it (a request that
# looked the modules up but is not over yet).
# modprobe_unwrap (cleanup) restores the kernel's modprobe.
MODPROBE_WRAPPER=/tmp/mdevpt-modprobe
MODPROBE_LOG=/tmp/mdevpt-modprobe.log
MODPROBE_HOLD=/tmp/mdevpt-modprobe.hold
MODPROBE_HOLD_AFTER=/tmp/mdevpt-modprobe.hold-after
MODPROBE_SAVED=/tmp/mdevpt-modprobe.saved

modprobe_wrap()
{
	[ -e $MODPROBE_SAVED ] || cat /proc/sys/kernel/modprobe > $MODPROBE_SAVED
	{
		echo '#!/bin/sh'
		echo 'hold() { i=0; while [ -e "$1" ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done; }'
		echo "echo \"start \$*\" >> $MODPROBE_LOG"
		echo "hold $MODPROBE_HOLD"
		echo "$(cat $MODPROBE_SAVED) \"\$@\""
		echo 'rc=$?'
		echo "echo \"ran \$* \$rc\" >> $MODPROBE_LOG"
		echo "hold $MODPROBE_HOLD_AFTER"
		echo "echo \"end \$* \$rc\" >> $MODPROBE_LOG"
		echo 'exit $rc'
	} > $MODPROBE_WRAPPER
	chmod 755 $MODPROBE_WRAPPER
	: > $MODPROBE_LOG
	echo $MODPROBE_WRAPPER > /proc/sys/kernel/modprobe
}

modprobe_unwrap()
{
	rm -f $MODPROBE_HOLD $MODPROBE_HOLD_AFTER
	[ -e $MODPROBE_SAVED ] || return 0
	cat $MODPROBE_SAVED > /proc/sys/kernel/modprobe
	rm -f $MODPROBE_SAVED
}

# modprobe_count start|ran|end: how many requests started, ran modprobe,
# or ended, so far.
modprobe_count()
{
	grep -c "^$1 " $MODPROBE_LOG
}

# modprobe_reached N: at least N requests started.
modprobe_reached()
{
	[ "$(modprobe_count start)" -ge "$1" ]
}

# modprobe_idle: every request that started has ended.
modprobe_idle()
{
	[ "$(modprobe_count start)" = "$(modprobe_count end)" ]
}

# delete_module MODULE: the delete_module(2) result as "OK" or an errno
# name (rmmod checks the reference count itself and never asks the kernel
# when it sees a user).
delete_module()
{
	python3 - "$1" <<'EOF'
import ctypes, errno, os, sys
libc = ctypes.CDLL(None, use_errno=True)
ret = libc.syscall(176, sys.argv[1].encode(), os.O_NONBLOCK)  # delete_module
print("OK" if ret == 0 else errno.errorcode[ctypes.get_errno()])
EOF
}

# types_of BDF: the function's type directories, sorted, on one line.
types_of()
{
	ls "/sys/bus/pci/devices/$1/mdev_supported_types" 2> /dev/null | sort | xargs
}

# has_types BDF TYPES: the function offers exactly TYPES (sorted, one line).
has_types()
{
	[ "$(types_of "$1")" = "$2" ]
}

# remove_instances: remove every mdev instance there is.
remove_instances()
{
	local m

	for m in /sys/bus/mdev/devices/*; do
		[ -e "$m/remove" ] && echo 1 > "$m/remove"
	done
	return 0
}

# unbind_driver DRIVER: unbind every function bound to DRIVER (and clear
# the driver_override of those functions).
unbind_driver()
{
	local d

	for d in "/sys/bus/pci/drivers/$1"/0000:*; do
		[ -e "$d" ] || continue
		pci_unbind "$(basename "$d")"
	done
}

# run_tap PREFIX COMMAND...: run a TAP program; its results become results
# of the calling test file, renamed "PREFIX: name"; everything else it
# prints becomes comments.  Returns its status, or 1 if it reported no
# result at all (e.g. a harness filter that matched nothing).
run_tap()
{
	local prefix=$1 line n=0 rc

	shift
	while IFS= read -r line; do
		case "$line" in
		"ok "* | "not ok "*)
			n=$((n + 1))
			printf '%s\n' "$line" |
				sed -E "s/^(not ok|ok) [0-9]+ /\1 0 $prefix: /" >&3 ;;
		"__status "*)
			rc=${line#__status } ;;
		*)
			printf '%s\n' "$line" ;;
		esac
	done < <("$@" 2>&1; echo "__status $?")
	[ "$n" -gt 0 ] || { echo "no results from $*"; return 1; }
	return "$rc"
}

# uevents_start FILE: record kernel uevents (with properties) into FILE
# until uevents_stop; sets UEVENT_PID.
UEVENT_PID=
uevents_start()
{
	udevadm monitor --kernel --property > "$1" 2>&1 &
	UEVENT_PID=$!
	# It prints a header once it listens.
	wait_for 5 grep -q "KERNEL" "$1"
}

uevents_stop()
{
	[ -n "$UEVENT_PID" ] && kill "$UEVENT_PID" 2> /dev/null
	[ -n "$UEVENT_PID" ] && wait "$UEVENT_PID" 2> /dev/null
	UEVENT_PID=
	return 0
}

# uevent_count FILE DEVPATH_SUFFIX PROPERTY: how many "change" uevents of
# that device carried PROPERTY.
uevent_count()
{
	awk -v dev="$2" -v prop="$3" '
		function end() { if (a == "change" && p && d) n++; a = ""; p = 0; d = 0 }
		/^$/ { end(); next }
		/^ACTION=/ { a = substr($0, 8) }
		/^DEVPATH=/ { d = (substr($0, length($0) - length(dev) + 1) == dev) }
		$0 == prop { p = 1 }
		END { end(); print n + 0 }' "$1"
}

# uevent_seen FILE DEVPATH_SUFFIX PROPERTY: a "change" uevent of a device
# whose DEVPATH ends in DEVPATH_SUFFIX carried PROPERTY (e.g.
# MDEV_STATE=registered).
uevent_seen()
{
	[ "$(uevent_count "$@")" -gt 0 ]
}

# ms_now: a monotonic clock in milliseconds.
ms_now()
{
	local up

	read -r up _ < /proc/uptime
	echo $((${up%.*} * 1000 + 10#${up#*.} * 10))
}

# before_deadline T0: less than 4 s passed since T0 (ms_now at a bind), so
# the function's registration deadline, 5 s after the bind
# (MDEV_PT_AUTOLOAD_REGISTER), cannot have passed yet.
before_deadline()
{
	[ $(($(ms_now) - $1)) -lt 4000 ]
}

# mdev_attr UUID ATTR: an attribute of an instance (e.g. vendor/dma_bytes).
mdev_attr()
{
	cat "/sys/bus/mdev/devices/$1/$2"
}

# --- one edu device and one NVMe VF, for the fuzzer and fault injection ---

# edu_vf_fixture: EDU is the first edu function, PF the NVMe PF, VF empty
# until enable_one_vf.  The test file's cleanup (run after each test) and
# the exit trap call edu_vf_cleanup.
edu_vf_fixture()
{
	EDU=$(edu_bdfs | head -n 1)
	PF=$(nvme_pf_bdf)
	VF=
	trap edu_vf_cleanup EXIT
}

# edu_vf_cleanup: every instance removed, EDU unbound, PF's VFs unbound
# and disabled.  It does not rely on VF: a test runs in a subshell.
edu_vf_cleanup()
{
	local vf

	remove_instances
	[ -n "$EDU" ] && pci_unbind "$EDU"
	if [ -n "$PF" ] &&
	   [ "$(cat "/sys/bus/pci/devices/$PF/sriov_numvfs")" != 0 ]; then
		for vf in $(vm_nvme_vf_bdfs "$PF"); do
			pci_unbind "$vf"
		done
		vm_nvme_enable_vfs 0 "$PF"
	fi
	return 0
}

# enable_one_vf: enable one VF of PF, into VF.
enable_one_vf()
{
	[ -n "$PF" ] || fail "no NVMe PF"
	VF=$(vm_nvme_enable_vfs 1 "$PF" | head -n 1)
	[ -n "$VF" ] || fail "cannot enable a VF"
}

# type_ready BDF TYPE MODULE: mdev_pt and MODULE (the plugin providing
# TYPE, "" for none) loaded, BDF bound to mdev_pt and offering TYPE.
type_ready()
{
	local bdf=$1 type=$2 mod=$3

	[ -n "$bdf" ] || fail "no device for $type"
	modprobe mdev_pt || fail "modprobe mdev_pt"
	[ -z "$mod" ] || modprobe "$mod" || fail "modprobe $mod"
	if [ "$(pci_driver "$bdf")" != mdev_pt ]; then
		pt_bind "$bdf" || fail "cannot bind $bdf to mdev_pt"
	fi
	[ -d "$(type_dir "$bdf" "$type")" ] || fail "$bdf has no type $type"
}

# type_usable BDF TYPE: an instance of TYPE is created, opens and is
# removed, and available_instances is what it was before.
type_usable()
{
	local bdf=$1 type=$2 uuid before

	before=$(cat "$(type_dir "$bdf" "$type")/available_instances")
	[ "$before" -ge 1 ] || fail "$type: available_instances $before"
	uuid=$(new_uuid)
	pt_create "$bdf" "$uuid" "$type"
	expect_eq "open $type" OK \
		"$("$BIN/vfio_open" "$(iommu_group_of "/sys/bus/mdev/devices/$uuid")" "$uuid")"
	pt_remove "$uuid"
	expect_eq "$type available_instances" "$before" \
		"$(cat "$(type_dir "$bdf" "$type")/available_instances")"
}
