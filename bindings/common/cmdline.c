/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * cmdline.c: options for the bindings themselves, given at the front of the
 * unikernel's command line:
 *
 *     --solo5:quiet   print only errors (no banner, no exit message)
 *     --solo5:debug   print debugging messages as well
 *
 * They are removed before the application sees the command line. Unknown
 * --solo5: options are reported and ignored.
 */

#include "bindings.h"

/* Same size as the spt ABI's command line buffer. */
#define CMDLINE_MAX 8192

static char cmdline_copy[CMDLINE_MAX];

static bool is_space(char c)
{
    return c == ' ' || c == '\t';
}

const char *cmdline_parse(const char *cmdline)
{
    static const char prefix[] = "--solo5:";
    const size_t prefix_len = sizeof prefix - 1;

    if (cmdline == NULL)
        return "";
    size_t n = strnlen(cmdline, sizeof cmdline_copy - 1);
    memcpy(cmdline_copy, cmdline, n);
    cmdline_copy[n] = '\0';

    char *p = cmdline_copy;
    for (;;) {
        while (is_space(*p))
            p++;
        if (strncmp(p, prefix, prefix_len) != 0)
            break;
        char *opt = p + prefix_len;
        char *end = opt;
        while (*end != '\0' && !is_space(*end))
            end++;
        size_t len = (size_t)(end - opt);
        if (len == 5 && strncmp(opt, "quiet", 5) == 0)
            log_set_level(LOG_ERROR);
        else if (len == 5 && strncmp(opt, "debug", 5) == 0)
            log_set_level(LOG_DEBUG);
        else
            log_printf(LOG_ERROR, "Solo5: ignoring unknown option %.*s\n",
                       (int)(end - p), p);
        p = end;
    }
    return p;
}

void cmdline_take(char *dst, size_t size, const char *src)
{
    size_t n = strnlen(src, size - 1);
    memcpy(dst, src, n);
    dst[n] = '\0';
    if (src[n] != '\0')
        log_printf(LOG_ERROR,
                   "Solo5: command line too long, truncated to %zu bytes\n", n);
    const char *app = cmdline_parse(dst);
    memmove(dst, app, strlen(app) + 1);
}
