/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * fuzz_support.c: die() that returns to the harness, and the input file.
 */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz_support.h"
#include "tender.h"

const char *tender_prog = "solo5-fuzz";

jmp_buf fuzz_jmp;
unsigned long fuzz_deaths;
char fuzz_last_message[512];

/*
 * The sanitizers' allocator hooks (compiler-rt and GCC's libsanitizer both
 * have them), weak so a build without sanitizers links: then nothing is
 * tracked and a die() path leaks, which a short replay can afford.
 */
int __sanitizer_install_malloc_and_free_hooks(
    void (*on_malloc)(const volatile void *, size_t),
    void (*on_free)(const volatile void *)) __attribute__((weak));

#define MAX_TRACKED 256
static void *tracked[MAX_TRACKED];
static unsigned ntracked;
static int tracking;

static void on_malloc(const volatile void *p, size_t n)
{
    (void)n;
    if (tracking && ntracked < MAX_TRACKED)
        tracked[ntracked++] = (void *)p;
}

static void on_free(const volatile void *p)
{
    if (!tracking)
        return;
    for (unsigned i = 0; i < ntracked; i++) {
        if (tracked[i] == p) {
            tracked[i] = tracked[--ntracked];
            return;
        }
    }
}

void fuzz_track_begin(void)
{
    static int installed;

    if (!installed && __sanitizer_install_malloc_and_free_hooks != NULL)
        __sanitizer_install_malloc_and_free_hooks(on_malloc, on_free);
    installed = 1;
    ntracked = 0;
    tracking = 1;
}

void fuzz_track_end(void)
{
    tracking = 0;
}

/* Frees what the code that died still held. */
static void release_tracked(void)
{
    tracking = 0;
    for (unsigned i = 0; i < ntracked; i++)
        free(tracked[i]);
    ntracked = 0;
}

static void record(const char *fmt, va_list ap)
{
    vsnprintf(fuzz_last_message, sizeof fuzz_last_message, fmt, ap);
    fuzz_deaths++;
}

/* Back to FUZZ_TRY, as if the process had exited. */
static void NORETURN unwind(void)
{
    release_tracked();
    longjmp(fuzz_jmp, 1);
}

void die(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    record(fmt, ap);
    va_end(ap);
    unwind();
}

/* The errno text is left out: messages are only counted, never shown. */
void die_errno(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    record(fmt, ap);
    va_end(ap);
    unwind();
}

void warn_msg(const char *fmt, ...)
{
    char buf[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
}

void fuzz_fail(const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "fuzz property failed: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n");
    abort();
}

const char *fuzz_file(const uint8_t *data, size_t size)
{
    static int fd = -1;
    static char path[64];

    if (fd == -1) {
        fd = memfd_create("fuzz-input", MFD_CLOEXEC);
        if (fd == -1) {
            perror("memfd_create");
            abort();
        }
        snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    }
    if (ftruncate(fd, 0) == -1 ||
        (size > 0 && pwrite(fd, data, size, 0) != (ssize_t)size)) {
        fprintf(stderr, "cannot write the fuzz input file: %s\n",
                strerror(errno));
        abort();
    }
    return path;
}
