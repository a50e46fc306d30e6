/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * tls_aarch64.c: aarch64 uses TLS variant I. The thread pointer
 * (TPIDR_EL0) points at a 16-byte thread control block, and the TLS image
 * follows it; compilers and linkers address a variable as the thread
 * pointer plus 16 plus its offset in the image:
 *
 *     tls = tp          tp + 16
 *     | TCB, 16 bytes   | .tdata | .tbss        |
 *
 * The linker actually puts the image at the TCB size rounded up to the
 * image's alignment; the linker scripts keep that alignment at 16 unless
 * a variable asks for more, which nothing here supports.
 */

#include "bindings.h"

#define TCB_SIZE 16

size_t tls_arch_size(size_t block)
{
    return TCB_SIZE + block;
}

uintptr_t tls_arch_tp(uintptr_t tls, size_t block)
{
    (void)block;
    return tls;
}

uintptr_t tls_arch_data(uintptr_t tls)
{
    return tls + TCB_SIZE;
}

void tls_arch_init_tcb(uintptr_t tls, uintptr_t tp)
{
    (void)tp;
    /* Nothing reads it (no dynamic TLS), so it is simply cleared. */
    memset((void *)tls, 0, TCB_SIZE);
}
