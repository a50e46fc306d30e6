/*
 * tapfd FD IFNAME -- PROGRAM [ARGS...]
 *
 * Attaches to the existing tap IFNAME (IFF_TAP | IFF_NO_PI), makes that
 * attachment descriptor FD (inherited across exec) and execs PROGRAM, so
 * that a shell can pass a tap by descriptor, e.g. to
 * `solo5-hvt --net:NAME=@FD`.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

static void usage(void)
{
    fprintf(stderr, "usage: tapfd FD IFNAME -- PROGRAM [ARGS...]\n");
    exit(2);
}

int main(int argc, char *argv[])
{
    char *end;
    long target;
    const char *ifname;
    struct ifreq ifr;
    int fd;

    if (argc < 5 || strcmp(argv[3], "--") != 0)
        usage();
    errno = 0;
    target = strtol(argv[1], &end, 10);
    if (errno || end == argv[1] || *end || target < 0 || target > INT_MAX) {
        fprintf(stderr, "tapfd: FD %s is not a descriptor number\n", argv[1]);
        return 2;
    }
    ifname = argv[2];
    if (strlen(ifname) == 0 || strlen(ifname) >= IFNAMSIZ) {
        fprintf(stderr, "tapfd: %s: a tap name has 1 to %d characters\n",
                ifname, IFNAMSIZ - 1);
        return 2;
    }
    fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
    if (fd == -1) {
        fprintf(stderr, "tapfd: %s: cannot open /dev/net/tun: %s\n", ifname,
                strerror(errno));
        return 1;
    }
    memset(&ifr, 0, sizeof ifr);
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
    memcpy(ifr.ifr_name, ifname, strlen(ifname));
    if (ioctl(fd, TUNSETIFF, &ifr) == -1) {
        fprintf(stderr, "tapfd: %s: cannot attach to the tap: %s\n", ifname,
                strerror(errno));
        return 1;
    }
    if (fd == (int)target) {
        /* dup2 onto itself keeps close-on-exec: clear it here. */
        if (fcntl(fd, F_SETFD, 0) == -1) {
            fprintf(stderr, "tapfd: %s: cannot keep descriptor %ld: %s\n",
                    ifname, target, strerror(errno));
            return 1;
        }
    } else {
        /* dup2 gives the new descriptor no close-on-exec flag. */
        if (dup2(fd, (int)target) == -1) {
            fprintf(stderr, "tapfd: %s: cannot make it descriptor %ld: %s\n",
                    ifname, target, strerror(errno));
            return 1;
        }
        close(fd);
    }
    execvp(argv[4], &argv[4]);
    fprintf(stderr, "tapfd: %s: cannot run %s: %s\n", ifname, argv[4],
            strerror(errno));
    return 127;
}
