/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * tls.c: the solo5_tls_*() API. A TLS block is allocated by the
 * application (solo5_tls_size() bytes, suitably aligned), initialised by
 * solo5_tls_init() and made current with
 * solo5_set_tls_base(solo5_tls_tp_offset(block)).
 *
 * Where the thread pointer sits in the block, and what the thread control
 * block holds, is architecture-specific: see tls_<arch>.c.
 */

#include "bindings.h"

/* The TLS image, from the linker script: .tdata is [_stdata, _etdata),
 * .tbss follows it up to _etbss. */
extern char _stdata[], _etdata[], _etbss[];

static size_t tls_block(void)
{
    return (size_t)(_etbss - _stdata);
}

size_t solo5_tls_size(void)
{
    return tls_arch_size(tls_block());
}

uintptr_t solo5_tls_tp_offset(uintptr_t tls)
{
    return tls_arch_tp(tls, tls_block());
}

solo5_result_t solo5_tls_init(uintptr_t tls)
{
    if (tls == 0)
        return SOLO5_R_EINVAL;

    size_t tdata = (size_t)(_etdata - _stdata);
    char *data = (char *)tls_arch_data(tls);
    memcpy(data, _stdata, tdata);
    memset(data + tdata, 0, tls_block() - tdata);
    tls_arch_init_tcb(tls, solo5_tls_tp_offset(tls));
    return SOLO5_R_OK;
}

solo5_result_t solo5_set_tls_base(uintptr_t base)
{
    return platform_set_tls_base(base) == 0 ? SOLO5_R_OK : SOLO5_R_EINVAL;
}

void tls_reset(void)
{
    (void)platform_set_tls_base(0);
}
