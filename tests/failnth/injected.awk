# SPDX-License-Identifier: GPL-2.0-only
#
# Drops from a kernel log what the fail-nth sweeps' injected faults make the
# kernel print, and passes everything else through (tests/failnth/failnth.sh
# says what and why):
#  - warn_alloc()'s report of the injected allocation failure itself;
#  - kmemleak's "Cannot allocate a scan area" fallback notice;
#  - two upstream 6.12 warnings outside mdev-pt, each only as a whole
#    "cut here" ... "end trace" report naming its file and caller:
#    vfio_group_release() after a failed vfio_create_group() (on the
#    debug kernel, with its delayed kobject release, the release runs from
#    kobject_delayed_cleanup() instead, after the failed call returned),
#    and remove_proc_entry() from unregister_irq_proc().
#
# With -v mark=MARK -v prog=PROGRAM only the part of the log from the line
# "MARK PROGRAM" up to the next MARK line is filtered (tests/debug-suite
# reads the whole suite's log that way); without mark, all of it.

function flush(i)
{
	if (inwarn)
		for (i = 0; i < n; i++)
			print b[i]
	inwarn = 0
	skip = 0
}

BEGIN { active = (mark == "") }

mark != "" && index($0, mark) {
	flush()
	p = substr($0, index($0, mark) + length(mark))
	sub(/[ \r]+$/, "", p)
	active = (p == prog)
	print
	next
}
!active { print; next }

/: page allocation failure: order:[0-9]+, mode:/ { skip = 1; next }
/: vmalloc error: size [0-9]+, .*mode:/ { skip = 1; next }
skip && /<\/TASK>/ { skip = 0; next }
skip { next }
/kmemleak: Cannot allocate a scan area, scanning the full object$/ { next }
/------------\[ cut here \]------------/ { n = 0; inwarn = 1 }
inwarn { b[n++] = $0 }
inwarn && /---\[ end trace/ {
	t = ""
	for (i = 0; i < n; i++)
		t = t "\n" b[i]
	known = (t ~ /at drivers\/vfio\/group.c:[0-9]+ vfio_group_release/ &&
		 (t ~ /vfio_create_group/ || t ~ /kobject_delayed_cleanup/)) ||
		(t ~ /at fs\/proc\/generic.c:[0-9]+ remove_proc_entry/ &&
		 t ~ /unregister_irq_proc/)
	if (!known)
		for (i = 0; i < n; i++)
			print b[i]
	inwarn = 0
	next
}
!inwarn
END { flush() }
