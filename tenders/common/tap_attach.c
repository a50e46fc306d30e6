/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * tap_attach.c: opening an existing tap interface or taking an open tap
 * descriptor, and MAC addresses.
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

/* MTU of interface (ifname), 1500 if it cannot be read (for instance when
 * an inherited tap lives in another network namespace). */
static unsigned interface_mtu(const char *ifname)
{
    struct ifreq ifr;
    unsigned mtu = 1500;

    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s != -1) {
        memset(&ifr, 0, sizeof ifr);
        strncpy(ifr.ifr_name, ifname, IFNAMSIZ - 1);
        if (ioctl(s, SIOCGIFMTU, &ifr) == 0 && ifr.ifr_mtu > 0)
            mtu = (unsigned)ifr.ifr_mtu;
        close(s);
    }
    return mtu;
}

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

    *mtu = interface_mtu(ifname);
    return fd;
}

int tap_attach_fd(const char *arg, int fd, unsigned *mtu)
{
    struct ifreq ifr;

    int flags = fcntl(fd, F_GETFL);
    if (flags == -1)
        die("%s: descriptor %d is not open", arg, fd);
    memset(&ifr, 0, sizeof ifr);
    if (ioctl(fd, TUNGETIFF, &ifr) == -1)
        die("%s: descriptor %d is not a tap device (TUNGETIFF: %s)", arg, fd,
            strerror(errno));
    if ((ifr.ifr_flags & IFF_TAP) == 0)
        die("%s: descriptor %d is a tun device (%.*s), not a tap device", arg,
            fd, IFNAMSIZ, ifr.ifr_name);
    if ((ifr.ifr_flags & IFF_NO_PI) == 0)
        die("%s: tap device %.*s was set up without IFF_NO_PI", arg, IFNAMSIZ,
            ifr.ifr_name);
    if (fcntl(fd, F_SETFL, flags | O_NONBLOCK) == -1 ||
        fcntl(fd, F_SETFD, FD_CLOEXEC) == -1)
        die_errno("%s: cannot set the flags of descriptor %d", arg, fd);
    char ifname[IFNAMSIZ + 1];
    memcpy(ifname, ifr.ifr_name, IFNAMSIZ);
    ifname[IFNAMSIZ] = '\0';
    *mtu = interface_mtu(ifname);
    return fd;
}

void tap_random_mac(uint8_t mac[6])
{
    if (getrandom(mac, 6, 0) != 6)
        die_errno("cannot get random bytes for a MAC address");
    mac[0] &= 0xfe; /* unicast */
    mac[0] |= 0x02; /* locally administered */
}
