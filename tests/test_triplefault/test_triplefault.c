/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * test_triplefault (hvt): leaves the CPU no way to deliver an exception.
 * On x86_64 it loads an empty IDT and executes an invalid instruction: the
 * #UD cannot be delivered, which is a #GP, which cannot be delivered
 * either, which is a double fault, which cannot be delivered: a triple
 * fault, and the CPU shuts down. The tender must report that and exit,
 * not hang.
 *
 * aarch64 has no triple fault: an exception that cannot be taken loops in
 * the guest. The nearest case the binding must survive is a fault whose
 * handler would need the stack: the test points SP at page zero, which is
 * not mapped, and executes an invalid instruction. The binding's handler
 * runs on a stack of its own and must report the fault (sp=0x0), not
 * fault again forever. Other architectures just trap.
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
#elif defined(__aarch64__)
    t_puts("Pointing SP at unmapped page zero, then executing an invalid "
           "instruction...\n");
    __asm__ __volatile__("mov sp, %0\n\t"
                         "udf #0"
                         :
                         : "r"(0UL)
                         : "memory");
#else
    t_puts("No triple fault on this architecture: trapping instead...\n");
    __builtin_trap();
#endif
    t_puts("FAILURE: the CPU went on\n");
    return SOLO5_EXIT_FAILURE;
}
