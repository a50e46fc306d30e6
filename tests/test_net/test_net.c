/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * test_net: a minimal IPv4 host that answers ARP requests and ICMP echo
 * requests ("ping") on its network devices service0 .. service<N-1>,
 * device i having address 10.0.<i+1>.2.
 *
 * Arguments: [COUNT [SECONDS]]. The test succeeds once it has answered
 * COUNT echo requests (default 10) on every device, and fails if that has
 * not happened after SECONDS (default 25).
 */

#include "../common/testlib.h"

#ifndef TEST_NET_NIFS
#define TEST_NET_NIFS 1
#endif

#define ETH_HLEN 14
#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_ARP 0x0806
#define MAX_FRAME 16384

struct iface {
    char name[16];
    solo5_handle_t handle;
    struct solo5_net_info info;
    uint8_t ip[4];
    unsigned long replies;
    size_t largest;
};

static struct iface ifs[TEST_NET_NIFS];
static uint8_t frame[MAX_FRAME];

static uint16_t get16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

/* Internet checksum (RFC 1071) of (len) bytes. */
static uint16_t checksum(const uint8_t *p, size_t len)
{
    uint32_t sum = 0;

    for (; len > 1; len -= 2, p += 2)
        sum += get16(p);
    if (len == 1)
        sum += (uint32_t)p[0] << 8;
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

static void reply(struct iface *nif, size_t len)
{
    t_memcpy(frame, frame + 6, 6);
    t_memcpy(frame + 6, nif->info.mac_address, 6);
    if (solo5_net_write(nif->handle, frame, len) != SOLO5_R_OK)
        t_printf("%s: solo5_net_write() failed\n", nif->name);
}

static void handle_arp(struct iface *nif, size_t len)
{
    uint8_t *arp = frame + ETH_HLEN;

    if (len < ETH_HLEN + 28 || get16(arp) != 1 ||
        get16(arp + 2) != ETHERTYPE_IPV4 || arp[4] != 6 || arp[5] != 4 ||
        get16(arp + 6) != 1 || t_memcmp(arp + 24, nif->ip, 4) != 0)
        return;
    /* Request for our address: answer with our MAC. */
    put16(arp + 6, 2);
    t_memcpy(arp + 18, arp + 8, 10); /* target = requester */
    t_memcpy(arp + 8, nif->info.mac_address, 6);
    t_memcpy(arp + 14, nif->ip, 4);
    reply(nif, ETH_HLEN + 28);
}

static void handle_ipv4(struct iface *nif, size_t len)
{
    uint8_t *ip = frame + ETH_HLEN;

    if (len < ETH_HLEN + 20 || (ip[0] >> 4) != 4)
        return;
    size_t ihl = (size_t)(ip[0] & 15) * 4;
    size_t total = get16(ip + 2);
    if (ihl < 20 || total < ihl + 8 || ETH_HLEN + total > len ||
        checksum(ip, ihl) != 0 || ip[9] != 1 ||
        t_memcmp(ip + 16, nif->ip, 4) != 0)
        return;
    uint8_t *icmp = ip + ihl;
    size_t icmp_len = total - ihl;
    if (icmp[0] != 8 || icmp[1] != 0 || checksum(icmp, icmp_len) != 0)
        return;

    /* Echo request for us: turn it into the reply. */
    uint8_t src[4];
    t_memcpy(src, ip + 12, 4);
    t_memcpy(ip + 12, nif->ip, 4);
    t_memcpy(ip + 16, src, 4);
    ip[8] = 64;
    put16(ip + 10, 0);
    put16(ip + 10, checksum(ip, ihl));
    icmp[0] = 0;
    put16(icmp + 2, 0);
    put16(icmp + 2, checksum(icmp, icmp_len));
    reply(nif, ETH_HLEN + total);

    nif->replies++;
    if (ETH_HLEN + total > nif->largest)
        nif->largest = ETH_HLEN + total;
}

static void drain(struct iface *nif)
{
    for (;;) {
        size_t len;
        solo5_result_t rc =
            solo5_net_read(nif->handle, frame, sizeof frame, &len);
        if (rc == SOLO5_R_AGAIN)
            return;
        if (rc != SOLO5_R_OK) {
            t_printf("%s: solo5_net_read() failed\n", nif->name);
            return;
        }
        if (len < ETH_HLEN)
            continue;
        uint16_t type = get16(frame + 12);
        if (type == ETHERTYPE_ARP)
            handle_arp(nif, len);
        else if (type == ETHERTYPE_IPV4)
            handle_ipv4(nif, len);
    }
}

int solo5_app_main(const struct solo5_start_info *si)
{
    char arg[24];
    unsigned long count = 10;
    /* A hang guard only: the runner's own timeout normally ends a stuck
     * run first, and a loaded machine may need minutes for a flood. */
    unsigned long seconds = 600;

    t_banner("net");
    if (t_arg(si->cmdline, 0, arg, sizeof arg))
        count = t_atoul(arg);
    if (t_arg(si->cmdline, 1, arg, sizeof arg))
        seconds = t_atoul(arg);

    for (int i = 0; i < TEST_NET_NIFS; i++) {
        struct iface *nif = &ifs[i];
        t_memcpy(nif->name, "service", 7);
        nif->name[7] = (char)('0' + i);
        nif->name[8] = '\0';
        if (solo5_net_acquire(nif->name, &nif->handle, &nif->info) !=
            SOLO5_R_OK)
            return t_fail("cannot acquire network device");
        if (nif->info.mtu + ETH_HLEN > MAX_FRAME || nif->info.mtu < 576)
            return t_fail("implausible MTU");
        nif->ip[0] = 10;
        nif->ip[1] = 0;
        nif->ip[2] = (uint8_t)(i + 1);
        nif->ip[3] = 2;
        const uint8_t *m = nif->info.mac_address;
        t_printf("%s: mac %02x:%02x:%02x:%02x:%02x:%02x mtu %lu ip "
                 "10.0.%d.2\n",
                 nif->name, m[0], m[1], m[2], m[3], m[4], m[5],
                 (unsigned long)nif->info.mtu, i + 1);
    }
    t_printf("Serving ping, until %lu echo requests per device are "
             "answered\n",
             count);

    solo5_time_t limit = solo5_clock_monotonic() + seconds * 1000000000ULL;
    for (;;) {
        bool done = true;
        for (int i = 0; i < TEST_NET_NIFS; i++)
            done = done && ifs[i].replies >= count;
        if (done)
            break;
        solo5_time_t now = solo5_clock_monotonic();
        if (now >= limit) {
            for (int i = 0; i < TEST_NET_NIFS; i++)
                t_printf("%s: answered %lu echo requests\n", ifs[i].name,
                         ifs[i].replies);
            return t_fail("time limit reached");
        }
        solo5_handle_set_t ready = 0;
        solo5_yield(now + 100000000ULL, &ready);
        for (int i = 0; i < TEST_NET_NIFS; i++) {
            if (ready & (1ULL << ifs[i].handle))
                drain(&ifs[i]);
        }
    }

    for (int i = 0; i < TEST_NET_NIFS; i++)
        t_printf("%s: answered %lu echo requests, largest frame %lu bytes\n",
                 ifs[i].name, ifs[i].replies, (unsigned long)ifs[i].largest);
    t_puts("SUCCESS\n");
    return SOLO5_EXIT_SUCCESS;
}
