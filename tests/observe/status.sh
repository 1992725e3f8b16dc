#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# tools/mdev-pt-status (issue 15), installed with make install-tools into a
# staging root and run against the VM's real sysfs and debugfs:
#  - every bound function, with its IDs, IOMMU group, plugin autoload
#    ("pending" with no types while modprobe is held) and types (name,
#    description, device_api, available_instances, migration
#    compatibility) as sysfs has them, and its instances (type, health,
#    pci_errors, vendor attributes, debugfs lease and counters);
#  - a failed migration shows in health and in the debugfs state, and
#    --check then exits with 1; healthy again after the reset;
#  - without root, the same document without the debugfs parts;
#  - without mdev_pt: loaded false, no functions.

. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../plugins/lib.sh"
. "$(dirname "$0")/lib.sh"

read -r EDU0 EDU1 <<< "$(edu_bdfs | xargs)"
WORK=$(mktemp -d)
# The tool runs as nobody too.
chmod 755 "$WORK"
STATUS=$WORK/root/usr/local/bin/mdev-pt-status
JSON=$WORK/status.json

teardown()
{
	observe_cleanup
	remove_instances
	[ -n "$EDU0" ] && pci_unbind "$EDU0"
	[ -n "$EDU1" ] && pci_unbind "$EDU1"
	rm -rf "$WORK"
}
trap teardown EXIT

cleanup()
{
	observe_cleanup
	remove_instances
	modprobe_unwrap
}

# jq-less checks: check_json PYTHON-EXPRESSION... each must hold for the
# document d (and the names below); prints the first that does not.
check_json()
{
	python3 - "$JSON" "$@" <<'EOF' || fail "mdev-pt-status: $(cat "$JSON")"
import json, os, sys
d = json.load(open(sys.argv[1]))
fn = {f["address"]: f for f in d["functions"]}
def sysfs(path):
    with open(path) as f:
        return f.read().rstrip("\n")
def inst(uuid):
    return [i for f in d["functions"] for i in f["instances"] if i["uuid"] == uuid][0]
for expr in sys.argv[2:]:
    if not eval(expr):
        print("does not hold:", expr)
        sys.exit(1)
EOF
}

setup()
{
	[ -n "$EDU1" ] || fail "needs two edu devices"
	modprobe mdev_pt_edu || fail "modprobe mdev_pt_edu"
	[ -x "$STATUS" ] ||
		make -s -C "$TOP" install-tools DESTDIR="$WORK/root" > /dev/null ||
		fail "make install-tools"
	[ -x "$STATUS" ] || fail "no $STATUS"
	for b in "$EDU0" "$EDU1"; do
		[ "$(pci_driver "$b")" = mdev_pt ] ||
			pt_bind "$b" > /dev/null || fail "cannot bind $b"
	done
}

test_functions_types_instances()
{
	local u0

	setup
	u0=$(new_uuid)
	pt_create "$EDU0" "$u0" "$AUDITED"
	expect_write "/sys/bus/mdev/devices/$u0/vendor/max_dma_bytes" 100 OK
	"$STATUS" > "$JSON" || fail "mdev-pt-status failed"
	check_json \
		'd["schema"] == 1 and d["module"]["loaded"] is True' \
		'd["module"]["autoload_plugins"] is True' \
		"sorted(fn) == sorted(a for a in os.listdir('/sys/bus/pci/drivers/mdev_pt') if a.startswith('0000:'))" \
		"'$EDU0' in fn and '$EDU1' in fn" \
		"fn['$EDU0']['vendor'] == '0x1234' and fn['$EDU0']['device'] == '0x11e8'" \
		"fn['$EDU0']['iommu_group'] == int(os.path.basename(os.readlink('/sys/bus/pci/devices/$EDU0/iommu_group')))" \
		"fn['$EDU0']['physfn'] is None and fn['$EDU0']['sriov'] is None" \
		"fn['$EDU0']['autoload'] == 'done' and fn['$EDU1']['autoload'] == 'done'" \
		"[t['type'] for t in fn['$EDU0']['types']] == sorted(os.listdir('/sys/bus/pci/devices/$EDU0/mdev_supported_types'))" \
		"all(t[k] == (int if k == 'available_instances' else str)(sysfs('/sys/bus/pci/devices/$EDU0/mdev_supported_types/%s/%s' % (t['type'], k))) for t in fn['$EDU0']['types'] for k in ('name', 'description', 'device_api', 'available_instances'))" \
		"all(t['available_instances'] == 0 for t in fn['$EDU0']['types'])" \
		"all(t['available_instances'] == 1 for t in fn['$EDU1']['types'])" \
		"[t['migration_compatibility'] for t in fn['$EDU1']['types'] if t['type'] == '$MIGRATABLE'] == ['mdev_pt-edu-migratable v1']" \
		"[t['migration_compatibility'] for t in fn['$EDU1']['types'] if t['type'] == '$AUDITED'] == [None]" \
		"[i['uuid'] for i in fn['$EDU0']['instances']] == ['$u0'] and fn['$EDU1']['instances'] == []" \
		"inst('$u0')['type'] == '$AUDITED' and inst('$u0')['health'] == 'ok'" \
		"inst('$u0')['pci_errors'] == {'nonfatal': 0, 'fatal': 0, 'perm_failure': 0}" \
		"inst('$u0')['iommu_group'] == fn['$EDU0']['iommu_group']" \
		"inst('$u0')['vendor'] == {'max_dma_bytes': 100, 'dma_commands': 0, 'dma_bytes': 0, 'dma_violations': 0}" \
		"inst('$u0')['migration_compatibility'] is None" \
		"fn['$EDU0']['debug']['lease'] == {'instance': '$u0', 'type': '$AUDITED', 'open': 0, 'removing': 0, 'controlling_gone': 0}" \
		"fn['$EDU1']['debug']['lease']['instance'] == 'none'" \
		"fn['$EDU0']['debug']['pci_errors'] == {'nonfatal': 0, 'fatal': 0, 'perm_failure': 0}" \
		"inst('$u0')['debug'] == {'traps': {'reads': 0, 'writes': 0, 'errors': 0}, 'vendor': {'dma': {'commands': 0, 'bytes': 0, 'violations': 0, 'max_dma_bytes': 100}}}" \
		"d['healthy'] is True"
	"$STATUS" --check --compact > "$JSON" || fail "--check failed while healthy"
	expect_eq "compact lines" 1 "$(wc -l < "$JSON")"
}

# A function whose plugin request is still running: bound, autoload
# "pending" and no types yet; "done" with its types once modprobe ran.
test_types_still_to_come()
{
	local t0

	setup
	pci_unbind "$EDU1"
	modprobe_wrap
	: > $MODPROBE_HOLD
	t0=$(ms_now)
	pci_bind "$EDU1" mdev_pt || fail "cannot bind $EDU1"
	wait_for 30 modprobe_reached 1 || fail "no plugin request reached modprobe"
	"$STATUS" > "$JSON" || fail "mdev-pt-status failed"
	check_json "fn['$EDU1']['autoload'] == 'pending'"
	# The parent registers 5 s after the bind even with modprobe held.
	if before_deadline "$t0"; then
		check_json "fn['$EDU1']['types'] == []"
	else
		echo "# slow: no types before the deadline not checked"
	fi
	rm -f $MODPROBE_HOLD
	pt_settle "$EDU1" || fail "autoload of $EDU1 not done"
	modprobe_unwrap
	"$STATUS" > "$JSON" || fail "mdev-pt-status failed"
	check_json \
		"fn['$EDU1']['autoload'] == 'done'" \
		"[t['type'] for t in fn['$EDU1']['types']] == sorted(os.listdir('/sys/bus/pci/devices/$EDU1/mdev_supported_types'))" \
		"len(fn['$EDU1']['types']) > 1"
}

test_unhealthy()
{
	local u1 rc

	setup
	u1=$(new_uuid)
	pt_create "$EDU1" "$u1" "$MIGRATABLE"
	ctl_open "$u1" || fail "open $u1"
	ctl_expect mig stop "mig OK"
	ctl_expect mig resuming "mig OK data"
	ctl_expect close_data "close_data OK"
	ctl_expect mig stop "mig EINVAL"
	"$STATUS" --check > "$JSON"
	rc=$?
	expect_eq "--check status" 1 "$rc"
	check_json \
		"inst('$u1')['health'] == 'migration-failed' and d['healthy'] is False" \
		"inst('$u1')['migration_compatibility'] == 'mdev_pt-edu-migratable v1'" \
		"inst('$u1')['debug']['migration']['state'] == 'ERROR'" \
		"inst('$u1')['debug']['migration']['counters']['errors'] == 1" \
		"inst('$u1')['debug']['migration']['counters']['arcs'] == 3" \
		"fn['$EDU1']['debug']['lease']['open'] == 1"
	ctl_expect reset "reset OK"
	ctl_close || fail "close"
	"$STATUS" --check > "$JSON" || fail "--check failed after the reset"
	check_json "inst('$u1')['health'] == 'ok'" \
		"inst('$u1')['debug']['migration']['state'] == 'RUNNING'"
}

test_not_root()
{
	local u0

	setup
	u0=$(new_uuid)
	pt_create "$EDU0" "$u0" "$PT_TYPE"
	setpriv --reuid=65534 --regid=65534 --clear-groups "$STATUS" > "$JSON" ||
		fail "mdev-pt-status as nobody failed"
	check_json \
		"inst('$u0')['health'] == 'ok' and inst('$u0')['debug'] is None" \
		"all(f['debug'] is None for f in d['functions'])" \
		"fn['$EDU0']['types'] != []"
	"$STATUS" --no-debugfs > "$JSON" || fail "--no-debugfs failed"
	check_json "inst('$u0')['debug'] is None"
}

test_no_module()
{
	setup
	"$STATUS" --sysfs "$WORK/empty" > "$JSON" || fail "mdev-pt-status failed"
	check_json 'd == {"schema": 1, "module": {"loaded": False, "autoload_plugins": None, "vf_autobind": []}, "functions": [], "healthy": True}'
}

run_tests "$@"
