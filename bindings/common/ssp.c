/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * ssp.c: the stack protector guard and its failure handler.
 *
 * Code is compiled with -mstack-protector-guard=global, so the canary lives
 * in __stack_chk_guard rather than in TLS (which the application owns). The
 * guard starts out with a fixed value so code running before ssp_init() is
 * still consistent, and gets its random value as the very first thing the
 * entry point does.
 */

#include "bindings.h"

uintptr_t __stack_chk_guard = 0x00e5a90c7a11f00dULL;

void ssp_init(uint64_t seed)
{
    /*
     * A zero byte in the guard stops string functions from reading or
     * writing past it; put it in the second byte, as is customary, so the
     * low byte still carries randomness.
     */
    __stack_chk_guard = (uintptr_t)(seed & ~(uint64_t)0xff00);
}

void __stack_chk_fail(void) NORETURN;

void __stack_chk_fail(void)
{
    bindings_abort("stack smashing detected", NULL);
}
