# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=sh
#
# Helpers for commands running inside the mdev-pt test VM (tests/vm/run).
# Source it from sh or bash:  . "$TOP/tests/vm/guest-lib.sh"
#
# The VM has two edu devices (1234:11e8), each behind its own PCIe root port,
# and an NVMe PF (1b36:0010, class 0x010802) that offers SR-IOV VFs
# ($MDEVPT_VM_NVME_VFS, default 8).  Nothing loads drivers by itself (no udev
# unless a test starts it).  Functions print one item per line and return
# non-zero on failure, with a message on stderr.

VM_PCI=/sys/bus/pci/devices

vm_in_vm()
{
	[ "${MDEVPT_IN_VM:-}" = 1 ]
}

# vm_pci_find VENDOR DEVICE: BDFs of the functions with these IDs (hex, no 0x).
vm_pci_find()
{
	for _d in "$VM_PCI"/*; do
		[ "$(cat "$_d/vendor")" = "0x$1" ] && [ "$(cat "$_d/device")" = "0x$2" ] &&
			echo "${_d##*/}"
	done
	return 0
}

# vm_edu_bdfs: the two edu devices.
vm_edu_bdfs()
{
	vm_pci_find 1234 11e8
}

# vm_nvme_pf_bdf: the NVMe physical function (not its VFs).
vm_nvme_pf_bdf()
{
	for _d in "$VM_PCI"/*; do
		[ "$(cat "$_d/vendor")" = 0x1b36 ] && [ "$(cat "$_d/class")" = 0x010802 ] &&
			[ ! -e "$_d/physfn" ] && echo "${_d##*/}" && return 0
	done
	echo "vm_nvme_pf_bdf: no NVMe PF" >&2
	return 1
}

# vm_nvme_vf_bdfs [PF]: the PF's enabled VFs, in VF order.
vm_nvme_vf_bdfs()
{
	_pf=${1:-$(vm_nvme_pf_bdf)} || return 1
	_i=0
	while [ -e "$VM_PCI/$_pf/virtfn$_i" ]; do
		_l=$(readlink "$VM_PCI/$_pf/virtfn$_i")
		echo "${_l##*/}"
		_i=$((_i + 1))
	done
}

# vm_iommu_group BDF: the function's IOMMU group number.
vm_iommu_group()
{
	_l=$(readlink "$VM_PCI/$1/iommu_group") || {
		echo "vm_iommu_group: $1 has no IOMMU group" >&2
		return 1
	}
	echo "${_l##*/}"
}

# vm_pci_driver BDF: the bound driver's name (nothing if unbound).
vm_pci_driver()
{
	[ -L "$VM_PCI/$1/driver" ] || return 0
	_l=$(readlink "$VM_PCI/$1/driver")
	echo "${_l##*/}"
}

# vm_nvme_enable_vfs N [PF]: load the PF's driver (writing sriov_numvfs fails
# with EIO without it), keep the VFs driverless (the nvme driver would wait
# for VF controllers that have no queues assigned), and enable N VFs
# (0 disables them).  Prints the VFs' BDFs.
vm_nvme_enable_vfs()
{
	_pf=${2:-$(vm_nvme_pf_bdf)} || return 1
	modprobe nvme || return 1
	echo 0 >"$VM_PCI/$_pf/sriov_drivers_autoprobe" || return 1
	if [ "$(cat "$VM_PCI/$_pf/sriov_numvfs")" != 0 ]; then
		echo 0 >"$VM_PCI/$_pf/sriov_numvfs" || return 1
	fi
	[ "$1" = 0 ] && return 0
	echo "$1" >"$VM_PCI/$_pf/sriov_numvfs" || return 1
	vm_nvme_vf_bdfs "$_pf"
}

# vm_unbind BDF: unbind the function from its driver, if any.
vm_unbind()
{
	[ -L "$VM_PCI/$1/driver" ] || return 0
	echo "$1" >"$VM_PCI/$1/driver/unbind"
}

# vm_bind DRIVER BDF: bind the function to DRIVER through driver_override
# (the driver's module is loaded first).
vm_bind()
{
	modprobe "$1" 2>/dev/null || [ -d "/sys/bus/pci/drivers/$1" ] || {
		echo "vm_bind: no driver $1" >&2
		return 1
	}
	vm_unbind "$2" || return 1
	echo "$1" >"$VM_PCI/$2/driver_override" || return 1
	echo "$2" >/sys/bus/pci/drivers_probe 2>/dev/null
	[ "$(vm_pci_driver "$2")" = "$1" ] || {
		echo "vm_bind: $2 did not bind to $1" >&2
		return 1
	}
}

# vm_bind_vfio BDF: bind the function to vfio-pci; prints /dev/vfio/<group>.
vm_bind_vfio()
{
	vm_bind vfio-pci "$1" || return 1
	_g=$(vm_iommu_group "$1") || return 1
	[ -c "/dev/vfio/$_g" ] || {
		echo "vm_bind_vfio: no /dev/vfio/$_g" >&2
		return 1
	}
	echo "/dev/vfio/$_g"
}

# vm_release BDF: unbind the function and clear driver_override.
vm_release()
{
	vm_unbind "$1" || return 1
	echo >"$VM_PCI/$1/driver_override"
}

# vm_dmesg_mark TEXT: put a marker line into the kernel log.
vm_dmesg_mark()
{
	echo "mdevpt-test: $*" >/dev/kmsg
}

# vm_kernel_trouble [MARK]: print the kernel log lines that report a warning,
# bug, oops or lockdep/KASAN/UBSAN splat (after the last line containing
# "mdevpt-test: MARK" if given); returns 0 if there are any.
vm_kernel_trouble()
{
	dmesg | awk -v mark="mdevpt-test: ${1:-}" '
		$0 ~ /mdevpt-test: / && index($0, mark) && mark != "mdevpt-test: " { n = 0; delete l; next }
		/WARNING:|BUG:|Oops|kernel BUG|general protection fault|UBSAN:|KASAN:|possible circular locking|possible recursive locking|INFO: task .* blocked|refcount_t:|list_(add|del) corruption|kmemleak|Call Trace:/ { l[n++] = $0 }
		END { for (i = 0; i < n; i++) print l[i]; exit n ? 0 : 1 }'
}
