#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Inside the test VM (run by tests/vm/selftest): check that the test bed has
# what the tests rely on.  Prints one "ok"/"not ok" line per check and
# "N passed, N failed" at the end; exits non-zero on any failure.
# shellcheck source-path=SCRIPTDIR source=guest-lib.sh
. "$(dirname "$0")/guest-lib.sh"

count() { echo $#; }

passed=0 failed=0
check() { # check NAME COMMAND...
	_name=$1
	shift
	if _out=$("$@" 2>&1); then
		echo "ok - $_name"
		passed=$((passed + 1))
	else
		echo "not ok - $_name"
		printf '%s\n' "$_out" | sed 's/^/#   /'
		failed=$((failed + 1))
	fi
}

nvfs=${MDEVPT_VM_NVME_VFS:-8}
want_vfs=4
[ "$nvfs" -lt "$want_vfs" ] && want_vfs=$nvfs

t_env()
{
	vm_in_vm && [ "$(id -u)" = 0 ] && [ "$(hostname)" = mdevpt-vm ] &&
		[ "$PATH" = /usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin ] &&
		[ "$(command -v python3)" = /usr/bin/python3 ]
}

t_mounts()
{
	for m in /proc /sys /dev /dev/pts /dev/shm /dev/mqueue /sys/fs/cgroup /run /tmp; do
		grep -q " $m " /proc/self/mounts || { echo "$m not mounted"; return 1; }
	done
	for l in /dev/fd /dev/stdin /dev/stdout /dev/stderr; do
		[ -e "$l" ] || { echo "no $l"; return 1; }
	done
	f=$(mktemp) && echo x >"$f" && [ "$(cat /dev/stdin <"$f")" = x ] && rm "$f" &&
		touch /var/log/x /var/lib/libvirt/x /etc/x
}

t_dmesg()
{
	vm_dmesg_mark selftest && dmesg | grep -q 'mdevpt-test: selftest'
}

t_devices()
{
	lspci_like=$(for d in /sys/bus/pci/devices/*; do
		echo "${d##*/} $(cat "$d/vendor"):$(cat "$d/device") $(cat "$d/class")"
	done)
	echo "$lspci_like"
	[ "$(vm_edu_bdfs | wc -l)" = 2 ] && vm_nvme_pf_bdf >/dev/null
}

t_edu_groups()
{
	groups=
	for b in $(vm_edu_bdfs); do
		g=$(vm_iommu_group "$b") || return 1
		n=$(count "/sys/kernel/iommu_groups/$g/devices"/*)
		echo "$b: group $g, $n device(s)"
		[ "$n" = 1 ] || return 1
		groups="$groups $g"
	done
	[ "$(echo "$groups" | wc -w)" = 2 ]
}

t_vfs()
{
	vfs=$(vm_nvme_enable_vfs "$want_vfs") || return 1
	echo "$vfs"
	[ "$(echo "$vfs" | wc -w)" = "$want_vfs" ] || return 1
	seen=
	for vf in $vfs; do
		g=$(vm_iommu_group "$vf") || return 1
		n=$(count "/sys/kernel/iommu_groups/$g/devices"/*)
		[ "$n" = 1 ] || { echo "$vf: group $g has $n devices"; return 1; }
		case " $seen " in *" $g "*) return 1 ;; esac
		seen="$seen $g"
	done
	vm_nvme_enable_vfs 0
}

t_vfio()
{
	edu=$(vm_edu_bdfs | head -n 1)
	dev=$(vm_bind_vfio "$edu") || return 1
	echo "$edu -> $dev"
	[ -c /dev/vfio/vfio ] && vm_release "$edu" && [ -z "$(vm_pci_driver "$edu")" ]
}

t_project_modules()
{
	d=/lib/modules/$(uname -r)/updates/mdev-pt
	[ -d "$d" ] || { echo "no project modules (skipped)"; return 0; }
	for ko in "$d"/*.ko; do
		name=$(basename "$ko" .ko)
		modinfo "$name" >/dev/null || return 1
	done
	modprobe mdev_pt && modprobe -r mdev_pt
}

t_nested_qemu()
{
	dir=$(mktemp -d) || return 1
	qemu-system-x86_64 -M q35 -accel tcg -S -nographic -nodefaults -m 64 \
		-qmp "unix:$dir/qmp,server=on,wait=off" -pidfile "$dir/pid" </dev/null >"$dir/log" 2>&1 &
	pid=$!
	i=0
	while [ ! -S "$dir/qmp" ] && [ $i -lt 300 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	ok=1
	if [ -S "$dir/qmp" ]; then
		reply=$(python3 - "$dir/qmp" <<-'EOF'
			import json, socket, sys
			s = socket.socket(socket.AF_UNIX)
			s.settimeout(30)
			s.connect(sys.argv[1])
			f = s.makefile("rw")
			json.loads(f.readline())                      # greeting
			for cmd in ("qmp_capabilities", "query-status", "quit"):
			    f.write(json.dumps({"execute": cmd}) + "\n")
			    f.flush()
			    while True:
			        r = json.loads(f.readline())
			        if "return" in r or "error" in r:
			            break
			    if cmd == "query-status":
			        print(r["return"]["status"])
			EOF
		) && [ "$reply" = prelaunch ] && ok=0
	fi
	echo "query-status: ${reply:-none}"
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	cat "$dir/log"
	rm -rf "$dir"
	return $ok
}

check "environment (root, PATH, python3, hostname)" t_env
check "mounts, /dev links, writable dirs" t_mounts
check "dmesg readable, /dev/kmsg writable" t_dmesg
check "two edu devices and the NVMe PF" t_devices
check "each edu in its own IOMMU group" t_edu_groups
check "$want_vfs NVMe VFs, each in its own IOMMU group" t_vfs
check "edu bound to vfio-pci gives /dev/vfio/<group>" t_vfio
check "project modules load" t_project_modules
check "nested qemu-system-x86_64 starts and answers QMP" t_nested_qemu
if trouble=$(vm_kernel_trouble ""); then
	echo "not ok - kernel log clean"
	printf '%s\n' "$trouble" | sed 's/^/#   /'
	failed=$((failed + 1))
else
	echo "ok - kernel log clean"
	passed=$((passed + 1))
fi

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
