/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * tls_ppc64le.c: 64-bit Power (ELFv2 ABI) uses TLS variant I with a bias:
 * the thread pointer (r13) points 0x7000 bytes past the start of the TLS
 * image, so that signed 16-bit displacements from r13 reach 32 KiB more of
 * it. The ABI's thread control block lies below the image and belongs to
 * the C library, which a unikernel has none of; the block is the image
 * alone:
 *
 *     tls                              tp = tls + 0x7000
 *     | .tdata | .tbss ...                  (tp may lie past the end)
 */

#include "bindings.h"

#define TP_BIAS 0x7000

size_t tls_arch_size(size_t block)
{
    return block;
}

uintptr_t tls_arch_tp(uintptr_t tls, size_t block)
{
    (void)block;
    return tls + TP_BIAS;
}

uintptr_t tls_arch_data(uintptr_t tls)
{
    return tls;
}

void tls_arch_init_tcb(uintptr_t tls, uintptr_t tp)
{
    (void)tls;
    (void)tp;
}
