/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * tender.h: helpers shared by the tenders (solo5-spt, solo5-hvt): fatal
 * errors, command line parsing, device attachment and option modules.
 */

#ifndef TENDER_COMMON_H
#define TENDER_COMMON_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mft_abi.h"

/* The version string, from the generated solo5_version.h (version.c). */
extern const char tender_version[];

#define PRINTF_LIKE(f, a) __attribute__((format(printf, f, a)))
#define NORETURN __attribute__((noreturn))

/*
 * ---- Messages (fatal.c) ----
 *
 * Every message starts with the program name ("solo5-spt: ..."). die()
 * prints "<prog>: <message>" and exits with status 1; die_errno() appends
 * ": <strerror(errno)>".
 */
extern const char *tender_prog;

/*
 * Sets tender_prog from argv[0] as POSIX basename() would (trailing slashes
 * dropped in place), or to (fallback) when there is no argv[0]. Not libc's
 * basename(): it is the only code in its 64 KiB of libc a tender runs, and
 * each such stretch of libc code run costs resident memory.
 */
void tender_set_prog(int argc, char **argv, const char *fallback);

void die(const char *fmt, ...) PRINTF_LIKE(1, 2) NORETURN;
void die_errno(const char *fmt, ...) PRINTF_LIKE(1, 2) NORETURN;
void warn_msg(const char *fmt, ...) PRINTF_LIKE(1, 2);
/* warn_msg() with a fixed prefix after the program name; the prefix is not
 * quoted or shortened (it is ours, not the input's). */
void vwarn_prefixed(const char *prefix, const char *fmt, va_list ap)
    PRINTF_LIKE(2, 0);

/*
 * ---- Argument helpers (args.c) ----
 */

/* Parses the MB count of --mem=MB; dies with a message naming (arg) when it
 * is not a whole number between 1 and (max_mb). Returns bytes. */
uint64_t args_parse_mem(const char *arg, const char *value, uint64_t max_mb);

/*
 * First pass over the command line: handles --help/-h (calls usage) and
 * --version (calls version), both exiting 0, and returns the index of the
 * unikernel argument (dies when there is none).
 */
int args_find_unikernel(int argc, char **argv, void (*usage)(void),
                        void (*version)(void));

/*
 * Splits "--PREFIX:NAME=VALUE" (PREFIX given with its "--" and ":"). Returns
 * false if (arg) does not start with (prefix); dies if it does but NAME or
 * VALUE are malformed. (name) must hold MFT_NAME_SIZE bytes; (value) points
 * into (arg).
 */
bool args_split_device(const char *arg, const char *prefix, char *name,
                       const char **value);

/* Parses the FD of "NAME=@FD" (value: what follows the '@'); dies naming
 * (arg) unless it is a whole number that fits an int. */
int args_parse_fd(const char *arg, const char *value);

/* Parses "xx:xx:xx:xx:xx:xx"; dies naming (arg) if malformed. */
void args_parse_mac(const char *arg, const char *value, uint8_t mac[6]);

/*
 * ---- Device options (device_options.c) ----
 */

struct tender;

/*
 * Second pass over the command line, up to the unikernel at argv[first]:
 * --mem=MB (at most max_mem_mb) into *mem_size, every other option offered
 * to the modules; dies on an option no module takes.
 */
void devopt_parse_all(struct tender *t, char **argv, int first,
                      uint64_t max_mem_mb, uint64_t *mem_size);

/* The --help text of the block and of the net options. */
extern const char devopt_block_usage[];
extern const char devopt_net_usage[];

/* Largest --block-sector-size: Solo5's manifest holds it in 16 bits. */
#define DEVOPT_MAX_SECTOR_SIZE 32768

/*
 * --block:NAME=PATH or --block:NAME=@FD: attaches PATH, or the file or
 * block device open read-write as descriptor FD, as block device NAME of
 * (mft), with (block_size)-byte blocks unless --block-sector-size:NAME=N
 * (before or after it) chose N. False if (arg) is neither option; dies
 * naming (arg) and the unikernel (file) if it is but cannot be honoured.
 */
bool devopt_block(struct mft *mft, const char *file, const char *arg,
                  unsigned block_size);

/*
 * --net:NAME=TAP attaches tap interface TAP as network device NAME,
 * --net:NAME=@FD the tap device already open as descriptor FD;
 * --net-mac:NAME=MAC sets its MAC address. False if (arg) is neither.
 */
bool devopt_net(struct mft *mft, const char *file, const char *arg);

/* Once all options are in: the MACs given, a random one for the rest. */
void devopt_net_macs(struct mft *mft);

/*
 * Forgets every option seen so far. A tender parses one command line and
 * never needs it; a harness that feeds many command lines to one process
 * does.
 */
void devopt_reset(void);

/*
 * ---- Manifest (mft.c) ----
 */

/*
 * The first manifest rule (elftool/src/mft_rules.rs, rendered into
 * mft_rules.h) a manifest breaks: (rule) is an enum mft_rule, 0 if none;
 * (entry) the entry at fault or -1; (value) what the message quotes.
 */
struct mft_verdict {
    int rule;
    int entry;
    unsigned long long value;
};

/* Checks (size) bytes of manifest; false, with the verdict, if invalid. */
bool mft_validate(const struct mft *mft, size_t size, struct mft_verdict *v);

/* The message for (v), "entry N: " first for an entry's fault. */
void mft_verdict_message(const struct mft_verdict *v, char *buf, size_t size);

/* The rule's short name ("duplicate", ...), as elftool's Rule::id(). */
const char *mft_rule_id(int rule);

/* Whether (c) may appear in a device name. */
bool mft_name_char_ok(char c);

/* Checks a manifest read from (file); dies naming the file if it is bad.
 * Clears what a tender fills in (host descriptors, device parameters). */
void mft_check(struct mft *mft, size_t size, const char *file);

/* Entry called (name), or NULL. */
struct mft_entry *mft_lookup(struct mft *mft, const char *name);

/* "block", "net", ... for messages. */
const char *mft_type_name(mft_type_t type);

/*
 * Finds the entry for a device option: dies unless (name) is in the
 * manifest, has (type), and has not been attached yet.
 */
struct mft_entry *mft_claim(struct mft *mft, const char *name, mft_type_t type,
                            const char *arg, const char *file);

/* Dies listing the manifest devices that no option attached. */
void mft_check_all_attached(const struct mft *mft, const char *file);

/*
 * ---- Host devices (block_attach.c, tap_attach.c) ----
 */

/* Opens a file or block device read-write for use as a block device and
 * returns its size in *capacity; dies naming (path) on any problem. */
int block_attach(const char *path, uint64_t *capacity);

/* The same for descriptor (fd), which must be open read-write on a file
 * or block device; dies naming (arg) otherwise. */
int block_attach_fd(const char *arg, int fd, uint64_t *capacity);

/* Opens tap interface (ifname), non-blocking; returns the fd and the
 * interface MTU. Dies naming the interface on any problem. */
int tap_attach(const char *ifname, unsigned *mtu);

/* The same for descriptor (fd), which must be an open tap device (checked
 * with TUNGETIFF); made non-blocking. Dies naming (arg) otherwise. */
int tap_attach_fd(const char *arg, int fd, unsigned *mtu);

/* A random, unicast, locally administered MAC address. */
void tap_random_mac(uint8_t mac[6]);

#endif /* TENDER_COMMON_H */
