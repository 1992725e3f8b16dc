#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Runs inside the VM test bed (bench/vfio/run starts it): the vfio-pci
# comparison benchmark of bench/vfio/README.md on the first edu device and
# the NVMe PF's VFs.  The report goes to stdout, progress and the benchmark
# program's TAP output to stderr.
#
# MDEVPT_BENCH_ITERS, MDEVPT_BENCH_OPEN_ITERS: iterations (vfio_bench.c);
# MDEVPT_BENCH_ROUNDS: rounds over the three edu set-ups (default 3);
# MDEVPT_BENCH_SCALE_ROUNDS: rounds over the scale runs (default 5);
# MDEVPT_BENCH_SCALE: the N of the scale runs (default "1 4 16 32 64" and
# all VFs the test bed offers, MDEVPT_VM_NVME_VFS); MDEVPT_BENCH_COMMIT:
# the commit, for the report.

. "$(dirname "$0")/../../tests/lib/common.sh"

BENCH=$TOP/build/bench/vfio_bench
PASSTHROUGH=mdev_pt-passthrough
AUDITED=mdev_pt-edu-audited
RAW=$(mktemp)
EDU=$(edu_bdfs | head -n 1)
ROUNDS=${MDEVPT_BENCH_ROUNDS:-3}
SCALE_ROUNDS=${MDEVPT_BENCH_SCALE_ROUNDS:-5}

die()
{
	echo "bench: $*" >&2
	exit 1
}

log()
{
	echo "bench: $*" >&2
}

# bench CONFIG VAR=VALUE... -- ARGS...: run the program, keep its results
# as "CONFIG METRIC VALUE UNIT [SAMPLES]" in $RAW.
bench()
{
	local config=$1 vars=() out rc

	shift
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		vars+=("$1")
		shift
	done
	shift
	out=$(env "${vars[@]}" "$BENCH" "$@" 2>&1)
	rc=$?
	printf '%s\n' "$out" | grep -v '^BENCH ' >&2
	printf '%s\n' "$out" | sed -n "s/^BENCH /$config /p" >> "$RAW"
	[ $rc -eq 0 ] || die "$config: vfio_bench $* failed"
}

[ -x "$BENCH" ] || die "$BENCH missing: run make"
[ -n "$EDU" ] || die "no edu device"
modprobe vfio-pci || die "modprobe vfio-pci"
modprobe mdev_pt || die "modprobe mdev_pt"
modprobe mdev_pt_edu || die "modprobe mdev_pt_edu"

# --- the edu device: vfio-pci, then an instance of each type --------------

# One round of every edu measurement on each of the three.
edu_round()
{
	local type uuid trapped

	pci_bind "$EDU" vfio-pci || die "bind $EDU to vfio-pci"
	bench vfio-pci MDEVPT_BDF="$EDU" -- -f dev
	pci_unbind "$EDU"
	echo vfio-pci > "/sys/bus/pci/devices/$EDU/driver_override"
	bench vfio-pci MDEVPT_BENCH_BDF="$EDU" -- -t lifecycle
	pci_unbind "$EDU"

	for type in "$PASSTHROUGH" "$AUDITED"; do
		pt_bind "$EDU" || die "bind $EDU to mdev_pt"
		uuid=$(new_uuid)
		echo "$uuid" > "$(type_dir "$EDU" "$type")/create" ||
			die "create $type"
		trapped=0
		[ "$type" = "$AUDITED" ] && trapped=1
		bench "$type" MDEVPT_UUID="$uuid" MDEVPT_SYSFS_BDF="$EDU" \
			MDEVPT_BENCH_TRAPPED=$trapped -- -f dev
		echo 1 > "/sys/bus/mdev/devices/$uuid/remove"
		bench "$type" MDEVPT_BENCH_BDF="$EDU" MDEVPT_BENCH_TYPE="$type" \
			-- -t lifecycle
		pci_unbind "$EDU"
	done
}

# Rounds interleave the three, so that a busy host (other VMs on the same
# cores slow TCG down for seconds) does not land on one of them only.
for round in $(seq "$ROUNDS"); do
	log "edu round $round of $ROUNDS on $EDU"
	edu_round
done

# --- the NVMe VFs: bind N, create N ----------------------------------------

nvfs=${MDEVPT_VM_NVME_VFS:-8}
log "enabling $nvfs NVMe VFs"
vfs=$(vm_nvme_enable_vfs "$nvfs" | xargs) || die "enable $nvfs VFs"
scale=${MDEVPT_BENCH_SCALE:-$(for n in 1 4 16 32 64 "$nvfs"; do
	[ "$n" -le "$nvfs" ] && echo "$n"; done | sort -nu | xargs)}
# Warm-up (not reported): the first binds of a boot allocate caches, and
# the first binds to mdev_pt load the plugins (mdev_pt_sample and
# mdev_pt_mock serve these VFs), which stay loaded.
MDEVPT_BENCH_SCALE=$nvfs MDEVPT_BENCH_DRIVER=vfio-pci MDEVPT_BENCH_VFS="$vfs" \
	"$BENCH" -t scale > /dev/null 2>&1
MDEVPT_BENCH_SCALE=$nvfs MDEVPT_BENCH_DRIVER=mdev_pt MDEVPT_BENCH_VFS="$vfs" \
	MDEVPT_BENCH_TYPE=$PASSTHROUGH "$BENCH" -t scale > /dev/null 2>&1
modprobe_path=$(cat /proc/sys/kernel/modprobe)
TEST_PLUGINS="mdev_pt_sample mdev_pt_mock"
NO_PLUGINS=/etc/modprobe.d/zz-mdev-pt-bench.conf

# The VFs as on a host with no plugin for them: the two test plugins that
# serve QEMU's NVMe VFs blacklisted (modprobe, which the plugin request
# still runs, then finds no module for their IDs) and unloaded, so that a
# VF offers the generic type only.
bench_generic()
{
	local m

	for m in $TEST_PLUGINS; do
		echo "blacklist $m"
	done > $NO_PLUGINS
	# shellcheck disable=SC2086 # a list of modules
	rmmod $TEST_PLUGINS || die "rmmod $TEST_PLUGINS"
	bench generic "$@"
	rm -f $NO_PLUGINS
	for m in $TEST_PLUGINS; do
		modprobe "$m" || die "modprobe $m"
	done
}

# Rounds, and in each N the four set-ups one after the other, so that a
# busy host slows all of them down alike.
for round in $(seq "$SCALE_ROUNDS"); do
	log "scale round $round of $SCALE_ROUNDS, N = $scale"
	for n in $scale; do
		bench vfio-pci MDEVPT_BENCH_SCALE="$n" MDEVPT_BENCH_DRIVER=vfio-pci \
			MDEVPT_BENCH_VFS="$vfs" -- -t scale
		bench_generic MDEVPT_BENCH_SCALE="$n" MDEVPT_BENCH_DRIVER=mdev_pt \
			MDEVPT_BENCH_TYPE=$PASSTHROUGH MDEVPT_BENCH_VFS="$vfs" -- -t scale
		bench "$PASSTHROUGH" MDEVPT_BENCH_SCALE="$n" MDEVPT_BENCH_DRIVER=mdev_pt \
			MDEVPT_BENCH_TYPE=$PASSTHROUGH MDEVPT_BENCH_VFS="$vfs" -- -t scale
		# The same without running modprobe: the plugin request
		# returns at once on an empty path.
		echo > /proc/sys/kernel/modprobe
		bench nomodprobe MDEVPT_BENCH_SCALE="$n" MDEVPT_BENCH_DRIVER=mdev_pt \
			MDEVPT_BENCH_TYPE=$PASSTHROUGH MDEVPT_BENCH_VFS="$vfs" -- -t scale
		echo "$modprobe_path" > /proc/sys/kernel/modprobe
	done
done
vm_nvme_enable_vfs 0 > /dev/null

if vm_kernel_trouble > /dev/null; then
	vm_kernel_trouble | sed 's/^/bench: dmesg: /' >&2
	die "kernel trouble during the benchmark"
fi

# --- the report ---------------------------------------------------------------

cat <<EOF
mdev-pt vs vfio-pci benchmark (bench/vfio/README.md tells how to read it)
date:    $(date -u '+%Y-%m-%d %H:%M UTC')
kernel:  $(uname -r)
commit:  ${MDEVPT_BENCH_COMMIT:-unknown}
machine: QEMU TCG guest ($(nproc) vCPUs): absolute times mean little, ratios do
device:  edu $EDU; NVMe VFs: $nvfs
iters:   latency ${MDEVPT_BENCH_ITERS:-2000}, open/lifecycle ${MDEVPT_BENCH_OPEN_ITERS:-30} per round, $ROUNDS rounds;
         scale $SCALE_ROUNDS rounds (each value: the median over the rounds)

EOF

awk -v pt="$PASSTHROUGH" -v au="$AUDITED" '
function us(v) { return v < 0 ? "n/a" : sprintf("%.1f", v / 1000) }
function ratio(v, base) {
	return (v < 0 || base <= 0 || v == "") ? "-" : sprintf("%.2fx", v / base)
}
function cell(c, m) { return (c SUBSEP m) in val ? val[c, m] : "" }
{ k = $1 SUBSEP $2; all[k] = (k in all ? all[k] " " : "") $3 }
END {
	# The median of the values a key got over the rounds.
	for (k in all) {
		n = split(all[k], v, " ")
		for (i = 2; i <= n; i++)
			for (j = i; j > 1 && v[j - 1] + 0 > v[j] + 0; j--) {
				t = v[j]; v[j] = v[j - 1]; v[j - 1] = t
			}
		val[k] = n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
		best[k] = v[1]
	}
	split("config_read bar0_pread bar0_pread_trap_shadow bar0_pread_trap_dev " \
	      "bar0_mmap_read msi_roundtrip msi_roundtrip_xcpu device_open device_close " \
	      "lifecycle_up lifecycle_open lifecycle_close lifecycle_down " \
	      "lifecycle_total", lat, " ")
	printf "Latency, median in microseconds (ratio to vfio-pci)\n"
	printf "%-24s %10s %10s %8s %10s %8s\n", "metric", "vfio-pci",
	       "pt", "pt/vfio", "audited", "au/vfio"
	for (i = 1; i in lat; i++) {
		m = lat[i]; b = cell("vfio-pci", m); p = cell(pt, m); a = cell(au, m)
		if (b == "" && p == "" && a == "")
			continue
		base = m ~ /trap/ ? cell("vfio-pci", "bar0_pread") : b
		printf "%-24s %10s %10s %8s %10s %8s\n", m,
		       b == "" ? "-" : us(b), p == "" ? "-" : us(p), ratio(p, base),
		       a == "" ? "-" : us(a), ratio(a, base)
	}

	printf "\nScale: NVMe VFs, time per function (total / N), microseconds\n"
	printf "%5s %9s %9s %8s %9s %8s %9s %8s %9s %9s %9s %9s %8s\n", "N",
	       "vfio bind", "gen bind", "gen/vfio", "pt bind", "pt/vfio",
	       "pt ready", "rdy/vfio", "pt create", "vfio unb", "pt unb",
	       "pt bind*", "pt*/vfio"
	for (n = 1; n <= 1024; n++) {
		m = "scale_bind_n" n
		if (cell("vfio-pci", m) == "" && cell(pt, m) == "")
			continue
		b = cell("vfio-pci", m); p = cell(pt, m); g = cell("generic", m)
		r = cell(pt, "scale_ready_n" n)
		q = cell("nomodprobe", m)
		printf "%5d %9s %9s %8s %9s %8s %9s %8s %9s %9s %9s %9s %8s\n", n,
		       us(b), g == "" ? "-" : us(g), ratio(g, b), us(p),
		       ratio(p, b), r == "" ? "-" : us(r), ratio(r, b),
		       us(cell(pt, "scale_create_n" n)),
		       us(cell("vfio-pci", "scale_unbind_n" n)),
		       us(cell(pt, "scale_unbind_n" n)), q == "" ? "-" : us(q),
		       ratio(q, b)
		last = n
	}

	printf "(gen: the VFs with no plugin for them, the generic type only;\n"
	printf " pt: with the two test plugins that serve them, four types;\n"
	printf " pt ready: from the first bind until every function'"'"'s plugin\n"
	printf " autoload is done; * four types, /proc/sys/kernel/modprobe empty)\n"

	# Other VMs on the host only ever add time: the best round is the
	# closest to what the operation itself costs.
	printf "\nScale, bind only, best of the rounds, microseconds per function\n"
	printf "%5s %9s %9s %8s %9s %8s %9s %8s\n", "N", "vfio bind",
	       "gen bind", "gen/vfio", "pt bind", "pt/vfio", "pt bind*",
	       "pt*/vfio"
	for (n = 1; n <= 1024; n++) {
		m = "scale_bind_n" n
		if (!(("vfio-pci" SUBSEP m) in best) || !((pt SUBSEP m) in best))
			continue
		b = best["vfio-pci", m]; p = best[pt, m]
		g = ("generic" SUBSEP m) in best ? best["generic", m] : ""
		q = ("nomodprobe" SUBSEP m) in best ? best["nomodprobe", m] : ""
		printf "%5d %9s %9s %8s %9s %8s %9s %8s\n", n, us(b),
		       g == "" ? "-" : us(g), ratio(g, b), us(p), ratio(p, b),
		       q == "" ? "-" : us(q), ratio(q, b)
	}
	printf "\nMemory (N = %d): slab bytes per function / instance\n", last
	printf "%-28s %14s %14s\n", "what", "slabinfo objs", "meminfo Slab"
	printf "%-28s %14s %14s\n", "vfio-pci bind, per function",
	       cell("vfio-pci", "scale_bind_n" last "_slab_objs"),
	       cell("vfio-pci", "scale_bind_n" last "_slab_pages")
	printf "%-28s %14s %14s\n", "mdev_pt bind, generic type",
	       cell("generic", "scale_bind_n" last "_slab_objs"),
	       cell("generic", "scale_bind_n" last "_slab_pages")
	printf "%-28s %14s %14s\n", "mdev_pt bind, four types",
	       cell(pt, "scale_bind_n" last "_slab_objs"),
	       cell(pt, "scale_bind_n" last "_slab_pages")
	printf "%-28s %14s %14s\n", "mdev_pt bind*, per function",
	       cell("nomodprobe", "scale_bind_n" last "_slab_objs"),
	       cell("nomodprobe", "scale_bind_n" last "_slab_pages")
	printf "%-28s %14s %14s\n", "mdev_pt create, per instance",
	       cell(pt, "scale_create_n" last "_slab_objs"),
	       cell(pt, "scale_create_n" last "_slab_pages")
}' "$RAW"

printf '\nRaw results (config metric value unit samples):\n'
cat "$RAW"
rm -f "$RAW"
