/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The kernel's kselftest harness, as the mdev-pt test programs include it.
 *
 * ASSERT_*() longjmp()s back into the harness, which then only tears down
 * and exits without reading the test's locals: -Wclobbered warnings about
 * them (and about the harness' own wrappers) are noise. The 6.12 harness
 * also has an unused signal handler parameter.
 */
#ifndef MDEVPT_VFIO_HARNESS_H
#define MDEVPT_VFIO_HARNESS_H

#if !defined(__clang__)
#pragma GCC diagnostic ignored "-Wclobbered"
#endif
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include "kselftest_harness.h"
#pragma GCC diagnostic pop

#endif /* MDEVPT_VFIO_HARNESS_H */
