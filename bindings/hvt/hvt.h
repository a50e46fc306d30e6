/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * hvt.h: internals of the hvt binding. The unikernel runs alone in a KVM
 * virtual machine set up by solo5-hvt, in the CPU's most privileged mode,
 * and asks the tender for everything else by hypercalls (hvt_abi.h). The
 * architecture-specific parts are in cpu_<arch>.c.
 */

#ifndef BINDINGS_HVT_H
#define BINDINGS_HVT_H

#include "common/bindings.h"
#include "hvt_abi.h"

#pragma GCC visibility push(hidden)

/*
 * ---- Architecture (cpu_<arch>.c) ----
 */

/* Descriptor tables, exception handlers, FPU/SIMD state. */
void hvt_cpu_init(void);

/* The free-running cycle counter whose frequency the tender measured. */
uint64_t hvt_cpu_ticks(void);

/* Stops the CPU for good; only reached if the halt hypercall returns. */
void hvt_cpu_halt(void) NORETURN;

/*
 * ---- Clocks (time.c) ----
 */

/* Reads the cycle counter frequency and the wall clock at start of day. */
void time_init(const struct hvt_boot_info *bi);

#pragma GCC visibility pop

#endif /* BINDINGS_HVT_H */
