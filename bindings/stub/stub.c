/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * stub.c: the 'stub' binding. It exists so that build systems which are not
 * Solo5-aware (autoconf tests and the like) can link "programs" with the
 * Solo5 toolchain: every Solo5 API function is here, none of them does
 * anything useful, and nothing linked against this binding is ever run.
 *
 * Deliberately self-contained: it depends on no other binding source, and
 * defines no string functions (memcpy() & co. belong to the unikernel's own
 * C library, and defining them here would clash with it).
 */

#include "solo5.h"
#include "elf_abi.h"

/*
 * Park the CPU for good. The empty asm keeps the compiler from treating the
 * loop as something it may remove.
 */
__attribute__((noreturn)) static inline void stub_hang(void)
{
    for (;;)
        __asm__ __volatile__("" ::: "memory");
}

/*
 * ABI note. Solo5 has no ABI target for the stub binding, so this note uses
 * target 0, a value no tender accepts: an executable linked against the stub
 * is refused by every tender (and, thanks to PT_INTERP, by the host kernel),
 * while solo5-elftool query-abi can still name what it was linked for.
 */
#define STUB_NOTE_ABI_TARGET 0
#define STUB_NOTE_ABI_VERSION 1

/*
 * Stack protector support: code is built with -fstack-protector-strong and
 * -mstack-protector-guard=global, so a canary variable and a failure handler
 * must exist. The canary is a constant: nothing here ever runs.
 */
extern uintptr_t __stack_chk_guard;
uintptr_t __stack_chk_guard = (uintptr_t)0x5c0d5ba1e0f1e1d5ULL;

void __stack_chk_fail(void) __attribute__((noreturn));

void __stack_chk_fail(void)
{
    stub_hang();
}

/* The (empty) command line; zero-initialised, so it also gives .bss. */
static char stub_cmdline[1];

/* Entry point named by the linker script. */
void _start(void *arg) __attribute__((noreturn));

void _start(void *arg)
{
    (void)arg;

    struct solo5_start_info si = {
        .cmdline = stub_cmdline,
        .heap_start = 0,
        .heap_size = 0,
    };

    (void)solo5_app_main(&si);
    stub_hang();
}

void solo5_exit(int status)
{
    (void)status;
    stub_hang();
}

void solo5_abort(void)
{
    stub_hang();
}

size_t solo5_tls_size(void)
{
    return 0;
}

uintptr_t solo5_tls_tp_offset(uintptr_t tls)
{
    (void)tls;
    return 0;
}

solo5_result_t solo5_tls_init(uintptr_t tls)
{
    (void)tls;
    return SOLO5_R_EUNSPEC;
}

solo5_result_t solo5_set_tls_base(uintptr_t base)
{
    (void)base;
    return SOLO5_R_EUNSPEC;
}

solo5_time_t solo5_clock_monotonic(void)
{
    return 0;
}

solo5_time_t solo5_clock_wall(void)
{
    return 0;
}

void solo5_yield(solo5_time_t deadline, solo5_handle_set_t *ready_set)
{
    (void)deadline;
    if (ready_set != NULL)
        *ready_set = 0;
}

void solo5_console_write(const char *buf, size_t size)
{
    (void)buf;
    (void)size;
}

solo5_result_t solo5_net_acquire(const char *name, solo5_handle_t *handle,
                                 struct solo5_net_info *info)
{
    (void)name;
    (void)handle;
    (void)info;
    return SOLO5_R_EUNSPEC;
}

solo5_result_t solo5_net_write(solo5_handle_t handle, const uint8_t *buf,
                               size_t size)
{
    (void)handle;
    (void)buf;
    (void)size;
    return SOLO5_R_EUNSPEC;
}

solo5_result_t solo5_net_read(solo5_handle_t handle, uint8_t *buf, size_t size,
                              size_t *read_size)
{
    (void)handle;
    (void)buf;
    (void)size;
    (void)read_size;
    return SOLO5_R_EUNSPEC;
}

solo5_result_t solo5_block_acquire(const char *name, solo5_handle_t *handle,
                                   struct solo5_block_info *info)
{
    (void)name;
    (void)handle;
    (void)info;
    return SOLO5_R_EUNSPEC;
}

solo5_result_t solo5_block_write(solo5_handle_t handle, solo5_off_t offset,
                                 const uint8_t *buf, size_t size)
{
    (void)handle;
    (void)offset;
    (void)buf;
    (void)size;
    return SOLO5_R_EUNSPEC;
}

solo5_result_t solo5_block_read(solo5_handle_t handle, solo5_off_t offset,
                                uint8_t *buf, size_t size)
{
    (void)handle;
    (void)offset;
    (void)buf;
    (void)size;
    return SOLO5_R_EUNSPEC;
}

/* Last in the file: the macros end a declaration clang-format cannot see. */
ABI1_NOTE_DECLARE_BEGIN{
    .abi_target = STUB_NOTE_ABI_TARGET,
    .abi_version = STUB_NOTE_ABI_VERSION,
} ABI1_NOTE_DECLARE_END
