/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * test_mprotect: memory protection. The argument picks one forbidden
 * access, which must fault (on spt: SIGSEGV):
 *
 *   write_text    write to the code
 *   write_rodata  write to read-only data
 *   exec_data     execute from initialised data
 *   exec_bss      execute from zero-initialised data
 *   exec_stack    execute from the stack
 *   exec_heap     execute from the heap
 *   null_read     read from address 0
 *   null_write    write to address 0
 *
 * Surviving the access prints FAILURE and exits with status 1.
 */

#include "../common/testlib.h"

/* A function body that just returns. */
#if defined(__x86_64__)
#define RET_BYTES                                                              \
    {                                                                          \
        0xc3                                                                   \
    }
#elif defined(__aarch64__)
#define RET_BYTES                                                              \
    {                                                                          \
        0xc0, 0x03, 0x5f, 0xd6                                                 \
    }
#elif defined(__powerpc64__)
#define RET_BYTES                                                              \
    {                                                                          \
        0x20, 0x00, 0x80, 0x4e                                                 \
    }
#else
#error "test_mprotect: no return instruction for this architecture"
#endif

static const uint8_t ret_insn[] = RET_BYTES;
static uint8_t code_data[16] = RET_BYTES;
static uint8_t code_bss[16];
static const uint32_t rodata_word = 0x600dc0de;
/* Opaque to the optimiser, so a NULL access is not turned into a trap. */
static volatile uintptr_t null_addr = 0;

static void call(void *code)
{
    void (*volatile fn)(void) = (void (*)(void))(uintptr_t)code;

    fn();
}

int solo5_app_main(const struct solo5_start_info *si)
{
    char what[32];
    uint8_t code_stack[16];

    t_banner("mprotect");
    if (!t_arg(si->cmdline, 0, what, sizeof what))
        return t_fail("no case given (write_text, exec_data, ...)");
    t_printf("case %s: this must fault\n", what);

    if (t_streq(what, "write_text")) {
        volatile uint8_t *p = (volatile uint8_t *)(uintptr_t)&solo5_app_main;
        *p = *p;
    } else if (t_streq(what, "write_rodata")) {
        *(volatile uint32_t *)(uintptr_t)&rodata_word = 0;
    } else if (t_streq(what, "exec_data")) {
        call(code_data);
    } else if (t_streq(what, "exec_bss")) {
        t_memcpy(code_bss, ret_insn, sizeof ret_insn);
        call(code_bss);
    } else if (t_streq(what, "exec_stack")) {
        t_memcpy(code_stack, ret_insn, sizeof ret_insn);
        call(code_stack);
    } else if (t_streq(what, "exec_heap")) {
        t_memcpy((void *)si->heap_start, ret_insn, sizeof ret_insn);
        call((void *)si->heap_start);
    } else if (t_streq(what, "null_read")) {
        t_printf("read %u\n", *(volatile uint32_t *)null_addr);
    } else if (t_streq(what, "null_write")) {
        *(volatile uint32_t *)null_addr = 1;
    } else {
        return t_fail("unknown case");
    }

    t_printf("FAILURE: %s did not fault\n", what);
    return SOLO5_EXIT_FAILURE;
}
