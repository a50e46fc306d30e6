/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * test_triplefault (hvt): leaves the CPU no way to deliver an exception.
 * On x86_64 it loads an empty IDT and executes an invalid instruction: the
 * #UD cannot be delivered, which is a #GP, which cannot be delivered
 * either, which is a double fault, which cannot be delivered: a triple
 * fault, and the CPU shuts down. The tender must report that and exit,
 * not hang. Other architectures have no such thing; there the test just
 * traps.
 */

#include "../common/testlib.h"

int solo5_app_main(const struct solo5_start_info *si)
{
    (void)si;
    t_banner("triplefault");
#if defined(__x86_64__)
    struct {
        uint16_t limit;
        uint64_t base;
    } __attribute__((packed)) empty_idt = {0, 0};

    t_puts("Loading an empty IDT, then executing an invalid instruction...\n");
    __asm__ __volatile__("lidt %0\n\t"
                         "ud2"
                         :
                         : "m"(empty_idt)
                         : "memory");
#else
    t_puts("No triple fault on this architecture: trapping instead...\n");
    __builtin_trap();
#endif
    t_puts("FAILURE: the CPU went on\n");
    return SOLO5_EXIT_FAILURE;
}
