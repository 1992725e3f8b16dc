# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=bash
#
# Two libvirt hosts in the one test VM, for the live migration test of
# tests/mgmt/libvirt.sh.  Sourced after tests/lib/common.sh.
#
# libvirt refuses to migrate to itself (the host UUIDs in the migration
# cookie must differ), and the destination needs a second instance: the
# source's QEMU holds the first (one open per VFIO group).  So the test
# runs two more libvirtd, "hosts" a and b, next to the suite's own, each
# started by "unshare --mount --uts" (no network namespace: the QEMUs
# talk over loopback TCP) and in that namespace:
# - HOST_DIR/{etc,run,lib,log,cache} bind-mounted on /etc/libvirt,
#   /run/libvirt, /var/lib/libvirt, /var/log/libvirt, /var/cache/libvirt:
#   each daemon has its own configuration, state, domains and logs, and
#   the test reads them from outside at HOST_DIR (the cache starts as a
#   copy of the suite daemon's, so neither probes QEMU's capabilities
#   again);
# - libvirtd.conf with its own host_uuid (libvirt reads the host UUID
#   from the one SMBIOS otherwise: "Attempt to migrate guest to the same
#   host") and unix_sock_dir HOST_DIR/sock, outside the private mounts,
#   so one virsh reaches both: qemu+unix:///system?socket=HOST_DIR/sock/
#   libvirt-sock;
# - its own pid file (libvirtd's default, /run/libvirtd.pid, is the
#   suite daemon's);
# - hostname mdevpt-a or mdevpt-b (UTS namespace) and an /etc/hosts that
#   names both on 127.0.0.2 and 127.0.0.3: the destination's libvirt
#   tells the source's QEMU to connect to tcp:<its hostname>:<port> (a
#   name starting with "localhost" is refused), the source's QEMU
#   resolves it in its own namespace, as on two real hosts;
# - no cgroup file system (unmounted in the namespace): libvirt then
#   runs its QEMUs without cgroups instead of in
#   /sys/fs/cgroup/machine/qemu-<id>-<name>.libvirt-qemu, a name both
#   daemons would give their first domain, which migration keeps.
# QEMU's log, pid file and monitor stay the daemon's (HOST_DIR/log/qemu,
# HOST_DIR/run/qemu); its qtest socket and debug console are in
# HOST_DIR/qt, in the domain XML, so the destination XML (virsh migrate
# --xml) names the destination's instance and its own qtest socket.
# The test stops everything it started: the domains through virsh, then
# each libvirtd by its PID, then any QEMU a daemon left behind by the PID
# in that daemon's pid file; the namespaces end with their last process.

HOSTS_DIR=/run/mdevpt-hosts
declare -A HOST_PID=()

host_dir()
{
	echo "$HOSTS_DIR/$1"
}

host_uri()
{
	echo "qemu+unix:///system?socket=$(host_dir "$1")/sock/libvirt-sock"
}

# hv NAME VIRSH-ARGS...: virsh on host NAME.
hv()
{
	virsh -q -c "$(host_uri "$1")" "${@:2}"
}

# host_start NAME: libvirtd "mdevpt-NAME" in namespaces of its own (see
# above), answering.  The suite's libvirtd runs already (its directories
# are the mount points, its capability cache is copied).
host_start()
{
	local n=$1 h

	h=$(host_dir "$n")
	rm -rf "$h"
	mkdir -p "$h"/{etc,run,lib/qemu,log/qemu,cache,sock} || return 1
	edu_dir "$h/qt"
	[ -d /var/cache/libvirt ] && cp -a /var/cache/libvirt/. "$h/cache/"
	mkdir -p /etc/libvirt /run/libvirt /var/lib/libvirt /var/log/libvirt /var/cache/libvirt
	cat > "$h/etc/libvirtd.conf" <<EOF
unix_sock_dir = "$h/sock"
host_uuid = "$(new_uuid)"
log_outputs = "3:file:/var/log/libvirt/libvirtd.log"
EOF
	echo 'stdio_handler = "file"' > "$h/etc/qemu.conf"
	cat > "$h/hosts" <<EOF
127.0.0.1 localhost
127.0.0.2 mdevpt-a
127.0.0.3 mdevpt-b
EOF
	cat > "$h/start.sh" <<EOF
set -e
echo mdevpt-$n > /proc/sys/kernel/hostname
mount --bind $h/etc /etc/libvirt
mount --bind $h/run /run/libvirt
mount --bind $h/lib /var/lib/libvirt
mount --bind $h/log /var/log/libvirt
mount --bind $h/cache /var/cache/libvirt
mount --bind $h/hosts /etc/hosts
if grep -q " /sys/fs/cgroup " /proc/self/mounts; then umount -l /sys/fs/cgroup; fi
exec libvirtd --pid-file $h/libvirtd.pid
EOF
	unshare --mount --uts --propagation private /bin/sh "$h/start.sh" \
		> "$h/libvirtd.out" 2>&1 &
	HOST_PID[$n]=$!
	if ! wait_for 120 hv "$n" version > /dev/null 2>&1; then
		echo "# host $n: libvirtd did not answer"
		sed 's/^/# libvirtd.out: /' "$h/libvirtd.out"
		tail -n 20 "$h/log/libvirtd.log" 2> /dev/null | sed 's/^/# libvirtd.log: /'
		return 1
	fi
	echo "# host $n: libvirtd ${HOST_PID[$n]}, hostname $(hv "$n" hostname), $(grep host_uuid "$h/etc/libvirtd.conf")"
}

# exited PID: no such process, or a zombie.
exited()
{
	local s

	s=$(cat "/proc/$1/stat" 2> /dev/null) || return 0
	s=${s##*) }
	[ "${s%% *}" = Z ]
}

# host_qemu_pid NAME DOMAIN: the domain's QEMU on host NAME.
host_qemu_pid()
{
	cat "$(host_dir "$1")/run/qemu/$2.pid" 2> /dev/null
}

# host_stop NAME: its domains destroyed and undefined, the daemon ended
# (by PID), any QEMU it left ended (by the PID in its pid file).
host_stop()
{
	local n=$1 p=${HOST_PID[$1]:-} h d f q

	h=$(host_dir "$n")
	if [ -n "$p" ] && kill -0 "$p" 2> /dev/null; then
		for d in $(timeout 60 virsh -q -c "$(host_uri "$n")" list --all --name 2> /dev/null); do
			timeout 60 virsh -c "$(host_uri "$n")" destroy "$d" > /dev/null 2>&1
			timeout 60 virsh -c "$(host_uri "$n")" undefine "$d" > /dev/null 2>&1
		done
		kill "$p"
		wait_for 30 exited "$p" || kill -9 "$p" 2> /dev/null
		wait "$p" 2> /dev/null
	fi
	HOST_PID[$n]=
	for f in "$h"/run/qemu/*.pid; do
		[ -e "$f" ] || continue
		q=$(cat "$f")
		if [ -n "$q" ] && ! exited "$q" && grep -q qemu "/proc/$q/comm"; then
			kill "$q"
			wait_for 30 exited "$q" || kill -9 "$q" 2> /dev/null
		fi
	done
	rm -rf "$h"
}
