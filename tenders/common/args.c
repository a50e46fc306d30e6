/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * args.c: parsing of the option values tenders share.
 */

#include <stdlib.h>
#include <string.h>

#include "tender.h"

uint64_t args_parse_mem(const char *arg, const char *value, uint64_t max_mb)
{
    uint64_t mb = 0;

    if (*value == '\0')
        die("%s: missing memory size (in MB)", arg);
    for (const char *p = value; *p != '\0'; p++) {
        if (*p < '0' || *p > '9')
            die("%s: '%s' is not a whole number of MB", arg, value);
        mb = mb * 10 + (uint64_t)(*p - '0');
        if (mb > max_mb)
            die("%s: too large, the maximum is %llu MB", arg,
                (unsigned long long)max_mb);
    }
    if (mb == 0)
        die("%s: guest memory cannot be 0 MB", arg);
    return mb << 20;
}

bool args_split_device(const char *arg, const char *prefix, char *name,
                       const char **value)
{
    size_t plen = strlen(prefix);

    if (strncmp(arg, prefix, plen) != 0)
        return false;
    const char *n = arg + plen;
    const char *eq = strchr(n, '=');
    if (eq == NULL)
        die("%s: expected %sNAME=VALUE", arg, prefix);
    size_t len = (size_t)(eq - n);
    if (len == 0)
        die("%s: missing device name before '='", arg);
    if (len > MFT_NAME_MAX)
        die("%s: device name longer than %d characters", arg, MFT_NAME_MAX);
    for (size_t i = 0; i < len; i++) {
        if (!mft_name_char_ok(n[i]))
            die("%s: invalid character '%c' in device name", arg, n[i]);
    }
    if (eq[1] == '\0')
        die("%s: missing value after '='", arg);
    memcpy(name, n, len);
    name[len] = '\0';
    *value = eq + 1;
    return true;
}

int args_parse_fd(const char *arg, const char *value)
{
    long fd = 0;

    if (*value == '\0')
        die("%s: missing descriptor number after '@'", arg);
    for (const char *p = value; *p != '\0'; p++) {
        if (*p < '0' || *p > '9')
            die("%s: '@%s' is not a descriptor number", arg, value);
        fd = fd * 10 + (*p - '0');
        if (fd > 1000000)
            die("%s: descriptor %s is out of range", arg, value);
    }
    return (int)fd;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

void args_parse_mac(const char *arg, const char *value, uint8_t mac[6])
{
    const char *p = value;

    for (int i = 0; i < 6; i++) {
        int hi = hexval(p[0]);
        int lo = hi < 0 ? -1 : hexval(p[1]);
        if (lo < 0 || (i < 5 && p[2] != ':') || (i == 5 && p[2] != '\0'))
            die("%s: '%s' is not a MAC address (expected "
                "xx:xx:xx:xx:xx:xx)",
                arg, value);
        mac[i] = (uint8_t)(hi << 4 | lo);
        p += 3;
    }
    if (mac[0] & 1)
        die("%s: %s is a multicast address, not usable by a device", arg,
            value);
}

int args_find_unikernel(int argc, char **argv, void (*usage)(void),
                        void (*version)(void))
{
    int first = 1;
    while (first < argc && argv[first][0] == '-') {
        if (strcmp(argv[first], "--") == 0) {
            first++;
            break;
        }
        if (strcmp(argv[first], "--help") == 0 ||
            strcmp(argv[first], "-h") == 0) {
            usage();
            exit(0);
        }
        if (strcmp(argv[first], "--version") == 0) {
            version();
            exit(0);
        }
        first++;
    }
    if (first >= argc)
        die("no unikernel given (usage: %s [OPTIONS] UNIKERNEL [ARGS...]; "
            "see --help)",
            tender_prog);
    return first;
}
