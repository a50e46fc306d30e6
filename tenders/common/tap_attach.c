/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * tap_attach.c: opening an existing tap interface, and MAC addresses.
 */

#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tender.h"

int tap_attach(const char *ifname, unsigned *mtu)
{
    struct ifreq ifr;

    if (strlen(ifname) >= IFNAMSIZ)
        die("%s: interface name longer than %d characters", ifname,
            IFNAMSIZ - 1);
    /*
     * Only attach to an interface that exists: TUNSETIFF would otherwise
     * quietly create a new, unconfigured one.
     */
    if (if_nametoindex(ifname) == 0)
        die("%s: no such network interface (create it first, e.g. "
            "ip tuntap add %s mode tap)",
            ifname, ifname);

    int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd == -1)
        die_errno("%s: cannot open /dev/net/tun", ifname);
    memset(&ifr, 0, sizeof ifr);
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
    strncpy(ifr.ifr_name, ifname, IFNAMSIZ - 1);
    if (ioctl(fd, TUNSETIFF, &ifr) == -1) {
        if (errno == EINVAL)
            die("%s: not a tap interface", ifname);
        if (errno == EBUSY)
            die("%s: tap interface is in use by another process", ifname);
        die_errno("%s: cannot attach to tap interface", ifname);
    }
    if (strncmp(ifr.ifr_name, ifname, IFNAMSIZ) != 0)
        die("%s: kernel attached interface %s instead", ifname, ifr.ifr_name);

    *mtu = 1500;
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s != -1) {
        memset(&ifr, 0, sizeof ifr);
        strncpy(ifr.ifr_name, ifname, IFNAMSIZ - 1);
        if (ioctl(s, SIOCGIFMTU, &ifr) == 0 && ifr.ifr_mtu > 0)
            *mtu = (unsigned)ifr.ifr_mtu;
        close(s);
    }
    return fd;
}

void tap_random_mac(uint8_t mac[6])
{
    if (getrandom(mac, 6, 0) != 6)
        die_errno("cannot get random bytes for a MAC address");
    mac[0] &= 0xfe; /* unicast */
    mac[0] |= 0x02; /* locally administered */
}
