/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * solo5.h: the interface a unikernel programs against. Names, types and
 * values are those of the Solo5 API (0.9 series), so code written for Solo5
 * builds unchanged.
 *
 * Conventions:
 *  - Functions returning solo5_result_t return SOLO5_R_OK on success. Callers
 *    must not count on seeing SOLO5_R_EINVAL or SOLO5_R_EUNSPEC: an
 *    implementation may abort the unikernel instead.
 *  - Functions without a result either cannot fail or abort on failure.
 *  - Using a device that is not in the manifest, or not acquired, aborts.
 *
 * Freestanding: depends only on <stddef.h>, <stdint.h> and <stdbool.h>.
 */

#ifndef SOLO5_H_INCLUDED
#define SOLO5_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    SOLO5_R_OK = 0,     /* success */
    SOLO5_R_AGAIN = 1,  /* nothing to do now; retry later */
    SOLO5_R_EINVAL = 2, /* bad argument */
    SOLO5_R_EUNSPEC = 3 /* other failure */
} solo5_result_t;

/*
 * Start of day.
 *
 * The bindings call solo5_app_main() once, with (info) pointing at read-only
 * data: the command line and one contiguous read/write, non-executable
 * region [heap_start, heap_start + heap_size) for the application's heap and
 * stacks. The initial stack grows down from the end of that region. Nothing
 * else about the memory layout is promised.
 *
 * Returning from solo5_app_main(status) is the same as solo5_exit(status).
 */
struct solo5_start_info {
    const char *cmdline;
    uintptr_t heap_start;
    size_t heap_size;
};

int solo5_app_main(const struct solo5_start_info *info);

/*
 * Termination. The status reaches the host where the target allows it;
 * 255 and above are reserved for Solo5 itself.
 */
#define SOLO5_EXIT_SUCCESS 0
#define SOLO5_EXIT_FAILURE 1
#define SOLO5_EXIT_ABORT 255

void solo5_exit(int status) __attribute__((noreturn));

/* Abnormal exit (status SOLO5_EXIT_ABORT); a tender may dump core. */
void solo5_abort(void) __attribute__((noreturn));

/*
 * Thread-local storage, local-exec model only. To give a thread its TLS:
 * allocate solo5_tls_size() bytes (zeroed) at address tls, call
 * solo5_tls_init(tls) to copy in the .tdata image, then
 * solo5_set_tls_base(solo5_tls_tp_offset(tls)). Switching threads is one
 * more solo5_set_tls_base() call.
 */
size_t solo5_tls_size(void);
uintptr_t solo5_tls_tp_offset(uintptr_t tls);
solo5_result_t solo5_tls_init(uintptr_t tls);

/* Load the arch's TLS base register; SOLO5_R_EINVAL if (base) is unusable. */
solo5_result_t solo5_set_tls_base(uintptr_t base);

/*
 * Time, in nanoseconds.
 *
 * solo5_clock_monotonic(): fast, counter-based, from an unspecified origin;
 * it may drift from real time (for example while the host suspends us).
 * solo5_clock_wall(): the host's UTC clock, ns since 1970-01-01; may cost a
 * hypercall or system call per reading.
 */
typedef uint64_t solo5_time_t;

solo5_time_t solo5_clock_monotonic(void);
solo5_time_t solo5_clock_wall(void);

/* Device handles, and sets of up to 64 of them (bit n = handle n). */
typedef uint64_t solo5_handle_t;
typedef uint64_t solo5_handle_set_t;

/* Bits in a solo5_handle_set_t. (Not in Solo5's header; ours only.) */
#define SOLO5_HANDLE_SET_MAXSIZE 64

/*
 * Block until the monotonic clock reaches (deadline) or some device has
 * input. If (ready_set) is not NULL it receives the handles with input.
 */
void solo5_yield(solo5_time_t deadline, solo5_handle_set_t *ready_set);

/* Console output: best effort, never fails, may drop data. */
void solo5_console_write(const char *buf, size_t size);

/*
 * Network devices: Ethernet frames, one per call, never blocking.
 */
#define SOLO5_NET_ALEN 6  /* MAC address length */
#define SOLO5_NET_HLEN 14 /* Ethernet header: dst, src, ethertype */

struct solo5_net_info {
    uint8_t mac_address[SOLO5_NET_ALEN];
    size_t mtu; /* payload bytes, Ethernet header excluded */
};

/*
 * Acquire the network device the manifest calls (name). Allowed once per
 * device; a second call returns SOLO5_R_EINVAL.
 */
solo5_result_t solo5_net_acquire(const char *name, solo5_handle_t *handle,
                                 struct solo5_net_info *info);

/*
 * Send one frame (header included, at most mtu + SOLO5_NET_HLEN bytes).
 * A frame that cannot be sent right now is dropped silently.
 */
solo5_result_t solo5_net_write(solo5_handle_t handle, const uint8_t *buf,
                               size_t size);

/*
 * Receive one frame into (buf), which must hold mtu + SOLO5_NET_HLEN bytes.
 * SOLO5_R_AGAIN if none is waiting; otherwise the frame's length (header
 * included) is stored in (*read_size).
 */
solo5_result_t solo5_net_read(solo5_handle_t handle, uint8_t *buf, size_t size,
                              size_t *read_size);

/*
 * Block devices. Offsets and sizes are in bytes and must be multiples of the
 * block size (else SOLO5_R_EINVAL); implementations currently also limit
 * each call to a single block. Transfers are all or nothing.
 */
typedef uint64_t solo5_off_t;

struct solo5_block_info {
    solo5_off_t capacity;   /* bytes */
    solo5_off_t block_size; /* bytes, smallest unit of I/O */
};

/* Acquire the block device named (name); once per device, as for net. */
solo5_result_t solo5_block_acquire(const char *name, solo5_handle_t *handle,
                                   struct solo5_block_info *info);

solo5_result_t solo5_block_write(solo5_handle_t handle, solo5_off_t offset,
                                 const uint8_t *buf, size_t size);

solo5_result_t solo5_block_read(solo5_handle_t handle, solo5_off_t offset,
                                uint8_t *buf, size_t size);

#ifdef __cplusplus
}
#endif

#endif /* SOLO5_H_INCLUDED */
