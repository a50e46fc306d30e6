/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * xen.h: internals of the xen binding. The unikernel is a PVH guest: it
 * owns an x86_64 PC (shared code in common/pc_x86_64.h) and talks to the
 * hypervisor through hypercalls, the shared info page and event channels,
 * and to its devices through shared rings. docs/xen.md is the contract.
 *
 * The structures below carry the layouts of Xen's public interface
 * (xen/include/public/), written out for the few fields we use.
 */

#ifndef BINDINGS_XEN_H
#define BINDINGS_XEN_H

#include "common/bindings.h"
#include "common/pc_x86_64.h"

#pragma GCC visibility push(hidden)

/*
 * ---- Hypercalls (hypercall.c, pvh_x86_64.S) ----
 */

#define HYPERVISOR_memory_op 12
#define HYPERVISOR_sched_op 29
#define HYPERVISOR_event_channel_op 32
#define HYPERVISOR_hvm_op 34

#define DOMID_SELF 0x7ff0U

/* Xen's error numbers are Linux's, negated. */
#define XEN_ENOSYS 38

/* Finds Xen's CPUID leaves and has it fill in the hypercall page. False
 * if this is not a Xen (or Xen-emulating) hypervisor. */
bool hypercall_init(void);

long hypercall(unsigned nr, uint64_t a1, uint64_t a2, uint64_t a3);

/* An HVM parameter of our own domain (HVM_PARAM_*); panics on error. */
uint64_t hvm_param(uint32_t index);
int hvm_set_param(uint32_t index, uint64_t value);

#define HVM_PARAM_CALLBACK_IRQ 0
#define HVM_PARAM_STORE_PFN 1
#define HVM_PARAM_STORE_EVTCHN 2
#define HVM_PARAM_CONSOLE_PFN 17
#define HVM_PARAM_CONSOLE_EVTCHN 18

/* Puts frame (idx) of hypervisor space (space) where (page), a page of
 * our memory, was (XENMEM_add_to_physmap). Returns 0 or a Xen error. */
long physmap_add(unsigned space, uint64_t idx, void *page);

#define XENMAPSPACE_shared_info 0
#define XENMAPSPACE_grant_table 1

/* Asks the hypervisor to end the domain (SHUTDOWN_*). */
void sched_shutdown(unsigned reason);

#define SHUTDOWN_poweroff 0
#define SHUTDOWN_crash 3

/*
 * ---- Shared info and event channels (evtchn.c) ----
 */

struct vcpu_time_info {
    uint32_t version;
    uint32_t pad0;
    uint64_t tsc_timestamp;
    uint64_t system_time;
    uint32_t tsc_to_system_mul;
    int8_t tsc_shift;
    uint8_t flags;
    uint8_t pad1[2];
};

struct vcpu_info {
    uint8_t evtchn_upcall_pending;
    uint8_t evtchn_upcall_mask;
    uint8_t pad[6];
    uint64_t evtchn_pending_sel;
    uint64_t cr2, pad2;
    struct vcpu_time_info time;
};

#define EVTCHN_WORDS 64
#define EVTCHN_PORTS (EVTCHN_WORDS * 64)

struct shared_info {
    struct vcpu_info vcpu_info[32];
    uint64_t evtchn_pending[EVTCHN_WORDS];
    uint64_t evtchn_mask[EVTCHN_WORDS];
    uint32_t wc_version;
    uint32_t wc_sec;
    uint32_t wc_nsec;
    uint32_t wc_sec_hi;
    /* arch_shared_info follows; unused */
};

typedef uint32_t evtchn_port_t;

/* Maps the shared info page and has event channel upcalls delivered on
 * interrupt line XEN_UPCALL_IRQ. */
void evtchn_init(void);

#define XEN_UPCALL_IRQ 0
#define XEN_TIMER_IRQ 1
#define XEN_SPURIOUS_IRQ 15

/* The shared info page, once evtchn_init() has mapped it. */
extern volatile struct shared_info *shared_info;

/* Notifies the other end of (port). */
void evtchn_send(evtchn_port_t port);

/* Lets events on (port) interrupt us (and wake intr_wait()). */
void evtchn_unmask(evtchn_port_t port);

/* A new event channel for (remote_domid) to bind to, unmasked. */
evtchn_port_t evtchn_alloc(uint16_t remote_domid);

/* True (and forgets it) if an event arrived on (port) since the last
 * call. Call with interrupts disabled, i.e. outside intr_wait(). */
bool evtchn_take(evtchn_port_t port);

/* The upcall handler (interrupt line XEN_UPCALL_IRQ). */
void evtchn_upcall(void);

/*
 * ---- Console (console.c) ----
 */

void console_init(void);
void console_write(const char *buf, size_t n);
/* Waits (a bounded time) until the console backend has taken every byte
 * written: the exit must not cut off the last lines. */
void console_flush(void);

/*
 * ---- Clocks and the wake-up timer (time.c) ----
 */

/* Reads the PV clock and sets up the local APIC timer. */
void time_init(void);

/* Arms the timer to interrupt at monotonic time (deadline), or a little
 * earlier. */
void time_arm_timer(solo5_time_t deadline);

/* The timer's interrupt handler (line XEN_TIMER_IRQ). */
void time_timer_irq(void);

/* Waits until (ready)(arg) holds, at most (timeout_ns) nanoseconds; false
 * if it still does not. (ready) runs with interrupts disabled. */
bool xen_wait(bool (*ready)(void *), void *arg, uint64_t timeout_ns);

/* How long we wait for a backend (xenstore, a device) to answer before we
 * give up on it: a hang guard far beyond its normal pace, even on a
 * loaded machine. */
#define BACKEND_TIMEOUT_NS (30ULL * 1000000000ULL)

/*
 * ---- Xenstore (xenstore.c) ----
 */

void xenstore_init(void);

/* Reads (path) (relative paths are under our domain's home) into (buf),
 * NUL-terminated; false if it does not exist or does not fit. */
bool xs_read(const char *path, char *buf, size_t size);

/* Reads (path) as a decimal number. */
bool xs_read_u64(const char *path, uint64_t *value);

/* Writes (value) to (path). */
bool xs_write(const char *path, const char *value);

/* Lists the children of (path) into (buf), each NUL-terminated; returns
 * the bytes used, or -1. */
int xs_directory(const char *path, char *buf, size_t size);

/*
 * ---- Grant table (gnttab.c) ----
 */

typedef uint32_t grant_ref_t;

void gnttab_init(void);

/* Lets domain (domid) map the page at (addr) (read-only if (readonly)),
 * for good. */
grant_ref_t gnttab_grant(uint16_t domid, const void *addr, bool readonly);

/*
 * ---- Devices (devices.c, block.c, net.c) ----
 */

/* The head of a shared ring page (io/ring.h): the producer and event
 * indexes of both directions, then padding to 64 bytes; the entries
 * follow, as many as fit rounded down to a power of two. */
struct sring_header {
    uint32_t req_prod, req_event;
    uint32_t rsp_prod, rsp_event;
    uint8_t pad[48];
};

/* True if (ring) holds responses past (rsp_cons). If not, asks for an
 * event at the next one and looks again, so that a response that came
 * in between is seen now and a later one notifies us. */
bool ring_has_responses(volatile struct sring_header *ring, uint32_t rsp_cons);

/* The frontend's side of the xenbus state handshake. */
enum xenbus_state {
    XENBUS_INITIALISING = 1,
    XENBUS_INIT_WAIT = 2,
    XENBUS_INITIALISED = 3,
    XENBUS_CONNECTED = 4,
    XENBUS_CLOSING = 5,
    XENBUS_CLOSED = 6,
};

/* A frontend's view of its device in xenstore. */
struct xenbus_dev {
    char fe[48];  /* our directory, device/<kind>/<id> */
    char be[192]; /* the backend's */
    uint16_t be_domid;
};

/* Finds the backend of device/(kind)/(id) and waits until it is ready
 * for us (InitWait); panics if it does not come. */
void xenbus_open(struct xenbus_dev *d, const char *kind, uint64_t id);

/* Writes our state. */
bool xenbus_set_state(const struct xenbus_dev *d, enum xenbus_state state);

/* Waits until the backend's state reaches (state) or passes it: false on
 * time out, with what it did reach in (*seen). */
bool xenbus_wait_state(const struct xenbus_dev *d, enum xenbus_state state,
                       uint64_t timeout_ns, uint64_t *seen);

/* Writes (value) (printf-style) to our node (node). */
bool xenbus_write(const struct xenbus_dev *d, const char *node, const char *fmt,
                  ...) PRINTF_LIKE(3, 4);

/* Reads node (node) of directory (dir); of the backend's, as a number. */
bool xenbus_read(const char *dir, const char *node, char *buf, size_t size);
bool xenbus_read_be_u64(const struct xenbus_dev *d, const char *node,
                        uint64_t *value);

/* Sets up the blkfront of vbd (id) for manifest entry (e) at (handle). */
void block_attach(uint64_t id, struct mft_entry *e, solo5_handle_t handle);

/* Sets up the netfront of vif (id) for manifest entry (e) at (handle). */
void net_attach(uint64_t id, struct mft_entry *e, solo5_handle_t handle);

/* Waits (a bounded time) until the backends have sent every frame given
 * to them, then closes the vifs. */
void net_close(void);

/* Matches the manifest's devices to the domain's; panics if any is
 * missing. */
void devices_init(void);

/* Handles of network devices with frames waiting. */
solo5_handle_set_t net_ready(void);

/* Closes the devices before the domain ends. */
void devices_close(void);

#pragma GCC visibility pop

#endif /* BINDINGS_XEN_H */
