#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# make bench: the migration benchmark (bench/mig_bench.c) in the VM test
# bed, once per kernel, each run's output kept in
# bench/results/<date>-<kernel>.txt.  Not part of the test suite.
#
#   bench/bench.sh [6.1|6.12 ...]      (default: both)

TOP=$(cd "$(dirname "$0")/.." && pwd)
cd "$TOP" || exit 1
status=0
for k in "${@:-6.1 6.12}"; do
	for kernel in $k; do
		out=bench/results/$(date -u +%Y-%m-%d)-$kernel.txt
		echo "== kernel $kernel -> $out"
		echo "mdev-pt $(git describe --always --dirty 2> /dev/null), modules of build/ (make bench builds them first)" > "$out.tmp"
		if tests/vm/run --kernel "$kernel" --timeout 3000 -- bench/guest.sh >> "$out.tmp"; then
			mv "$out.tmp" "$out"
			cat "$out"
		else
			cat "$out.tmp"
			echo "benchmark on $kernel failed" >&2
			status=1
		fi
	done
done
exit $status
