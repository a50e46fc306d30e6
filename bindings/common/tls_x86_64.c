/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * tls_x86_64.c: x86_64 uses TLS variant II. The thread pointer (%fs base)
 * points just past the TLS image, and the first word there (the thread
 * control block) holds the thread pointer itself, so that code reading
 * %fs:0 finds it:
 *
 *     tls                      tp = tls + block
 *     | .tdata | .tbss        | self pointer |
 */

#include "bindings.h"

size_t tls_arch_size(size_t block)
{
    return block + sizeof(uintptr_t);
}

uintptr_t tls_arch_tp(uintptr_t tls, size_t block)
{
    return tls + block;
}

uintptr_t tls_arch_data(uintptr_t tls)
{
    return tls;
}

void tls_arch_init_tcb(uintptr_t tls, uintptr_t tp)
{
    (void)tls;
    *(uintptr_t *)tp = tp;
}
