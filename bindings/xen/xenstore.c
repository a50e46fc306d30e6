/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * xenstore.c: a xenstore client on the shared page the hypervisor gives
 * (HVM_PARAM_STORE_PFN, event channel HVM_PARAM_STORE_EVTCHN): a request
 * ring and a response ring of 1 KiB each. A message is a 16-byte header
 * (type, request id, transaction id, payload length) and the payload.
 * One request at a time, outside any transaction; we set no watches, so
 * the only messages that come back are answers (anything else is read
 * and dropped).
 */

#include "xen.h"

#define RING_SIZE 1024U
#define PAYLOAD_MAX 4096U

enum xs_type {
    XS_DIRECTORY = 1,
    XS_READ = 2,
    XS_WRITE = 11,
    XS_ERROR = 16,
};

struct xs_header {
    uint32_t type;
    uint32_t req_id;
    uint32_t tx_id;
    uint32_t len;
};

struct xenstore_interface {
    char req[RING_SIZE];
    char rsp[RING_SIZE];
    uint32_t req_cons, req_prod;
    uint32_t rsp_cons, rsp_prod;
};

static volatile struct xenstore_interface *xs;
static evtchn_port_t port;
static uint32_t next_req_id;

void xenstore_init(void)
{
    uint64_t pfn = hvm_param(HVM_PARAM_STORE_PFN);

    if (pfn == 0 || pfn >= (4ULL << 30) >> 12)
        bindings_panic("no usable xenstore page (pfn 0x%llx)",
                       (unsigned long long)pfn);
    xs = (volatile struct xenstore_interface *)(uintptr_t)(pfn << 12);
    port = (evtchn_port_t)hvm_param(HVM_PARAM_STORE_EVTCHN);
    evtchn_unmask(port);
}

static bool req_room(void *arg)
{
    (void)arg;
    return xs->req_prod - xs->req_cons < RING_SIZE;
}

static bool rsp_data(void *arg)
{
    (void)arg;
    return xs->rsp_prod != xs->rsp_cons;
}

static bool send_bytes(const void *data, size_t n)
{
    const char *p = data;

    while (n > 0) {
        if (!xen_wait(req_room, NULL, BACKEND_TIMEOUT_NS))
            return false;
        uint32_t prod = xs->req_prod;
        while (n > 0 && prod - xs->req_cons < RING_SIZE) {
            xs->req[prod % RING_SIZE] = *p++;
            prod++;
            n--;
        }
        /* The bytes before the index that publishes them. */
        compiler_barrier();
        xs->req_prod = prod;
        evtchn_send(port);
    }
    return true;
}

/* Reads (n) bytes of the response stream into (data), or drops them if
 * (data) is NULL. */
static bool recv_bytes(void *data, size_t n)
{
    char *p = data;

    while (n > 0) {
        if (!xen_wait(rsp_data, NULL, BACKEND_TIMEOUT_NS))
            return false;
        uint32_t cons = xs->rsp_cons;
        uint32_t prod = xs->rsp_prod;
        /* The index before the bytes it covers. */
        compiler_barrier();
        while (n > 0 && cons != prod) {
            char c = xs->rsp[cons % RING_SIZE];
            if (p != NULL)
                *p++ = c;
            cons++;
            n--;
        }
        /* Done with the bytes before giving their room back. */
        memory_barrier();
        xs->rsp_cons = cons;
        evtchn_send(port);
    }
    return true;
}

/*
 * Sends request (type) with payload (a) and its NUL, then (b) without one
 * (if not NULL). Puts the answer's payload, NUL-terminated, in (reply).
 * Returns its length, or -1 on an error answer, a time out, or an answer
 * that does not fit.
 */
static int request(enum xs_type type, const char *a, const char *b, char *reply,
                   size_t size)
{
    size_t alen = strlen(a) + 1;
    size_t blen = b != NULL ? strlen(b) : 0;

    if (alen + blen > PAYLOAD_MAX || size == 0)
        return -1;
    struct xs_header h = {
        .type = type, .req_id = ++next_req_id, .len = (uint32_t)(alen + blen)};
    if (!send_bytes(&h, sizeof h) || !send_bytes(a, alen) ||
        !send_bytes(b, blen)) {
        log_printf(LOG_ERROR, "Solo5: xenstore: no room for a request\n");
        return -1;
    }
    for (;;) {
        struct xs_header r;
        if (!recv_bytes(&r, sizeof r) || r.len > PAYLOAD_MAX) {
            log_printf(LOG_ERROR, "Solo5: xenstore: no answer to %s\n", a);
            return -1;
        }
        if (r.req_id != h.req_id || r.len >= size) {
            if (!recv_bytes(NULL, r.len))
                return -1;
            if (r.req_id != h.req_id)
                continue;
            return -1;
        }
        if (!recv_bytes(reply, r.len))
            return -1;
        reply[r.len] = '\0';
        if (r.type != XS_ERROR)
            return (int)r.len;
        /* A read of a node that is not there is an everyday answer. */
        if (type != XS_READ)
            log_printf(LOG_ERROR, "Solo5: xenstore: %s: %s\n", a, reply);
        return -1;
    }
}

bool xs_read(const char *path, char *buf, size_t size)
{
    return request(XS_READ, path, NULL, buf, size) >= 0;
}

bool xs_read_u64(const char *path, uint64_t *value)
{
    char buf[24];

    if (!xs_read(path, buf, sizeof buf) || buf[0] == '\0')
        return false;
    uint64_t v = 0;
    for (const char *p = buf; *p != '\0'; p++) {
        if (*p < '0' || *p > '9' || v > (UINT64_MAX - 9) / 10)
            return false;
        v = v * 10 + (uint64_t)(*p - '0');
    }
    *value = v;
    return true;
}

bool xs_write(const char *path, const char *value)
{
    char ok[8];

    return request(XS_WRITE, path, value, ok, sizeof ok) >= 0;
}

int xs_directory(const char *path, char *buf, size_t size)
{
    return request(XS_DIRECTORY, path, NULL, buf, size);
}
