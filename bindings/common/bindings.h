/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * bindings.h: what the code shared by all bindings (bindings/common/)
 * offers, and the hooks each binding must provide in return.
 *
 * Everything here is freestanding: no libc, no host headers.
 */

#ifndef BINDINGS_COMMON_H
#define BINDINGS_COMMON_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "solo5.h"
#include "mft_abi.h"

/*
 * Everything declared below, up to the string library, is internal to the
 * bindings: hidden, so that "objcopy --localize-hidden" on the binding
 * object can keep these names from clashing with the application's.
 */
#pragma GCC visibility push(hidden)

#define NORETURN __attribute__((noreturn))
#define PRINTF_LIKE(f, a) __attribute__((format(printf, f, a)))

/*
 * Functions that run before the stack protector guard has its final value
 * (and so must not be instrumented). -fstack-protector-strong leaves
 * functions without arrays or address-taken locals alone anyway; the
 * attribute makes it explicit where the compiler knows it.
 */
#if defined(__has_attribute)
#if __has_attribute(no_stack_protector)
#define NO_SSP __attribute__((no_stack_protector))
#endif
#endif
#ifndef NO_SSP
#define NO_SSP
#endif

#define PAGE_SIZE 4096UL
#define ALIGN_UP(x, a) (((x) + ((a)-1)) & ~((uint64_t)(a)-1))
#define ALIGN_DOWN(x, a) ((x) & ~((uint64_t)(a)-1))

/*
 * ---- Hooks every binding implements ----
 */

/* Writes (n) bytes to the console; best effort. */
void platform_puts(const char *buf, size_t n);

/* Ends the unikernel with (status); (cookie) is binding-specific context,
 * e.g. a register dump on a fatal trap, or NULL. */
void platform_exit(int status, void *cookie) NORETURN;

/* Points the CPU's thread pointer at (base). Returns 0 on success. */
int platform_set_tls_base(uintptr_t base);

/*
 * ---- Per-architecture helpers (cpu_<arch>.c) ----
 */

/* 64 bits of the best randomness the CPU offers without help from the
 * host (a hardware RNG if present, else mixed-up cycle counters). */
uint64_t cpu_random_u64(void) NO_SSP;

/*
 * For bindings that own the CPU (hvt, later virtio), in trap_<arch>.c and
 * fpu_<arch>.c:
 *
 * cpu_trap_init() installs the binding's own descriptor tables and
 * exception handlers. Every CPU exception is reported on the console
 * (vector, error code, where) and ends the unikernel through
 * platform_exit(SOLO5_EXIT_ABORT, cookie), the cookie describing the trap
 * (its layout is part of the binding's contract with its tender).
 *
 * cpu_fpu_init() lets compiled code use the floating point and SIMD
 * registers the CPU has.
 */
void cpu_trap_init(void);
void cpu_fpu_init(void);

/*
 * x86_64 only (trap_x86_64.c): points IDT vector (vector), 32..47, at
 * (entry), an interrupt handler that ends in IRETQ, and extends the IDT
 * limit to cover it.
 */
void cpu_trap_set_interrupt(unsigned vector, uint64_t entry);

/*
 * TLS block layout (tls_<arch>.c). (block) is the size of the TLS image,
 * .tdata plus .tbss, as laid out by the linker script.
 */
size_t tls_arch_size(size_t block);                  /* bytes to allocate */
uintptr_t tls_arch_tp(uintptr_t tls, size_t block);  /* thread pointer */
uintptr_t tls_arch_data(uintptr_t tls);              /* where .tdata goes */
void tls_arch_init_tcb(uintptr_t tls, uintptr_t tp); /* fill in the TCB */

/*
 * ---- Console and formatted output (log.c, printf.c) ----
 */

enum log_level {
    LOG_ERROR = 0, /* always shown */
    LOG_INFO = 1,  /* start-up banner and similar; off with --solo5:quiet */
    LOG_DEBUG = 2  /* only with --solo5:debug */
};

int fmt_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int fmt_snprintf(char *buf, size_t size, const char *fmt, ...)
    PRINTF_LIKE(3, 4);

/*
 * Text built piece by piece, for the messages every start and exit prints
 * (the banner, the exit line): parsing a format costs guest instructions,
 * which are expensive where the guest is emulated. (len) counts every byte
 * put, as fmt_vsnprintf's result does; only the first (cap) are stored.
 */
struct fmt_out {
    char *buf;
    size_t cap;
    size_t len;
};
void fmt_put(struct fmt_out *o, const char *s, size_t n);
/* A string literal, its length known when compiling. */
#define FMT_PUT_LIT(o, lit) fmt_put((o), (lit), sizeof(lit) - 1)
/* (v) in base 10 or 16 (lowercase), zero-padded to at least (digits)
 * digits: "%0<digits>llu" or "%0<digits>llx". */
void fmt_put_uint(struct fmt_out *o, unsigned long long v, unsigned base,
                  unsigned digits);

/* log_printf() prints at most LOG_LINE_MAX - 1 bytes of a message. */
#define LOG_LINE_MAX 256

void log_set_level(enum log_level level);
bool log_enabled(enum log_level level);
void log_printf(enum log_level level, const char *fmt, ...) PRINTF_LIKE(2, 3);

/* Prints "Solo5: ABORT: <reason>" and exits with SOLO5_EXIT_ABORT, giving
 * (cookie) (a trap's register dump, or NULL) to platform_exit(). */
void bindings_abort(const char *reason, void *cookie) NORETURN;

/* Reports a broken invariant inside a binding and aborts. */
void bindings_panic(const char *fmt, ...) PRINTF_LIKE(1, 2) NORETURN;

#define BINDINGS_ASSERT(e)                                                     \
    do {                                                                       \
        if (!(e))                                                              \
            bindings_panic("%s:%d: assertion `%s' failed", __FILE__, __LINE__, \
                           #e);                                                \
    } while (0)

/*
 * ---- Start of day (run_app.c cmdline.c mem.c banner.c ssp.c tls.c) ----
 */

/* Sets the stack protector guard. Call first thing from the entry point. */
void ssp_init(uint64_t seed) NO_SSP;

/*
 * Handles the "--solo5:" options at the front of (cmdline) (--solo5:quiet,
 * --solo5:debug) and returns what is left for the application. The result
 * lives in a static buffer.
 */
const char *cmdline_parse(const char *cmdline);

/*
 * For bindings whose loader leaves the command line in guest memory: copies
 * (src) into (dst) of (size) bytes, cut with an error message when longer,
 * then removes the "--solo5:" options from the copy, so that they apply to
 * the binding's own start-up messages too (bindings_run_app() then finds
 * none left).
 */
void cmdline_take(char *dst, size_t size, const char *src);

/* Guest memory as the binding sees it at start-up. */
struct mem_layout {
    uint64_t mem_size;   /* bytes of guest memory, from address 0 */
    uint64_t kernel_end; /* first byte after the loaded image */
    uint64_t stack_top;  /* initial stack pointer region top */
};

/* Computes the heap region [start, start + size), stack included at top. */
void mem_heap_region(const struct mem_layout *m, uintptr_t *start,
                     size_t *size);

/* Prints the "Solo5:" banner and the memory map (LOG_INFO). */
void banner_print(const char *binding, const struct mem_layout *m);

/* Clears the thread pointer so any stray TLS access faults. */
void tls_reset(void);

/*
 * Common tail of every binding's entry point: parses the command line,
 * prints the banner, runs solo5_app_main() and exits with its result.
 */
void bindings_run_app(const char *binding, const char *raw_cmdline,
                      const struct mem_layout *m) NORETURN;

/*
 * ---- Manifest (mft.c) ----
 */

/* Remembers the manifest the tender attached devices in. */
void mft_set(const struct mft *mft);

/* Looks up an attached entry by name and type; NULL if there is none.
 * (*index) receives its position, which is also its solo5_handle_t. */
const struct mft_entry *mft_find(const char *name, mft_type_t type,
                                 unsigned *index);

/* The entry behind (handle) if it is attached and of (type), else NULL. */
const struct mft_entry *mft_by_handle(solo5_handle_t handle, mft_type_t type);

/* Number of attached entries of (type). */
unsigned mft_count(mft_type_t type);

/*
 * The attached device behind (handle) if the request's size fits it, else
 * NULL: a frame of (size) bytes, header included, to send; a buffer of
 * (size) bytes to receive into (it must hold the largest frame); one whole
 * block at (offset) inside a block device.
 */
const struct mft_entry *mft_net_for_write(solo5_handle_t handle, size_t size);
const struct mft_entry *mft_net_for_read(solo5_handle_t handle, size_t size);
const struct mft_entry *mft_block_for_io(solo5_handle_t handle,
                                         solo5_off_t offset, size_t size);

#pragma GCC visibility pop

/*
 * ---- Minimal string library (string.c) ----
 *
 * Public and weak: compilers emit calls to these, and an application with
 * its own C library overrides them.
 */

void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strncpy(char *dst, const char *src, size_t n);
char *strchr(const char *s, int c);

#endif /* BINDINGS_COMMON_H */
