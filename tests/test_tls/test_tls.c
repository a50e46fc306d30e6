/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * test_tls: two TLS blocks set up with solo5_tls_init(), switched with
 * solo5_set_tls_base(): zero-initialised (.tbss) and initialised (.tdata)
 * thread-local variables start with their initial values in each block and
 * are independent of each other.
 */

#include "../common/testlib.h"

static __thread uint64_t tls_zero;
static __thread uint64_t tls_value = 0x1122334455667788ULL;
static __thread char tls_text[40] = "thread-local text";
static __thread uint32_t tls_zero_array[50];

/*
 * Compilers assume the thread pointer never changes inside a function, so
 * every access after a switch happens in a separate, non-inlined function.
 */
#define NOINLINE __attribute__((noinline))

static NOINLINE bool fresh(void)
{
    for (int i = 0; i < 50; i++) {
        if (tls_zero_array[i] != 0)
            return false;
    }
    return tls_zero == 0 && tls_value == 0x1122334455667788ULL &&
           t_streq(tls_text, "thread-local text");
}

static NOINLINE bool inside(uintptr_t block, size_t size)
{
    uintptr_t v = (uintptr_t)&tls_value;
    uintptr_t z = (uintptr_t)&tls_zero;

    return v >= block && v < block + size && z >= block && z < block + size;
}

static NOINLINE void modify_a(void)
{
    tls_zero = 1;
    tls_value = 2;
    tls_text[0] = 'T';
    tls_zero_array[49] = 3;
}

static NOINLINE void modify_b(void)
{
    tls_value = 20;
}

static NOINLINE bool a_kept(void)
{
    return tls_zero == 1 && tls_value == 2 && tls_text[0] == 'T' &&
           tls_zero_array[49] == 3;
}

int solo5_app_main(const struct solo5_start_info *si)
{
    t_banner("tls");

    size_t size = solo5_tls_size();
    uintptr_t a = (si->heap_start + 63) & ~(uintptr_t)63;
    uintptr_t b = (a + size + 63) & ~(uintptr_t)63;
    t_printf("TLS block size: %lu bytes\n", (unsigned long)size);
    if (size < sizeof(uint64_t) * 2 + 40 + 200)
        return t_fail("solo5_tls_size() is too small");

    /* Garbage first, so solo5_tls_init() must really clear .tbss. */
    t_memset((void *)a, 0xa5, size);
    t_memset((void *)b, 0x5a, size);
    if (solo5_tls_init(a) != SOLO5_R_OK || solo5_tls_init(b) != SOLO5_R_OK)
        return t_fail("solo5_tls_init() failed");
    if (solo5_tls_init(0) != SOLO5_R_EINVAL)
        return t_fail("solo5_tls_init(0) did not fail");

    if (solo5_set_tls_base(solo5_tls_tp_offset(a)) != SOLO5_R_OK)
        return t_fail("solo5_set_tls_base(a) failed");
    if (!fresh())
        return t_fail("block a does not hold the initial values");
    if (!inside(a, size))
        return t_fail("TLS variables are not inside block a");
    modify_a();

    if (solo5_set_tls_base(solo5_tls_tp_offset(b)) != SOLO5_R_OK)
        return t_fail("solo5_set_tls_base(b) failed");
    if (!fresh())
        return t_fail("block b does not hold the initial values");
    if (!inside(b, size))
        return t_fail("TLS variables are not inside block b");
    modify_b();

    if (solo5_set_tls_base(solo5_tls_tp_offset(a)) != SOLO5_R_OK)
        return t_fail("switching back to block a failed");
    if (!a_kept())
        return t_fail("block a lost its values");

    t_puts("SUCCESS\n");
    return SOLO5_EXIT_SUCCESS;
}
