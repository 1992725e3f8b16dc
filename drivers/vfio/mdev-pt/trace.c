// SPDX-License-Identifier: GPL-2.0-only
/*
 * mdev-pt: the tracepoints of mdev_pt_trace.h are instantiated here.
 */

#define CREATE_TRACE_POINTS
#include "mdev_pt_trace.h"
