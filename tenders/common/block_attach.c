/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * block_attach.c: the file or block device behind a block device, opened
 * here from a path or inherited as an open descriptor.
 */

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tender.h"

/* Size of (fd), opened from (what); dies unless a non-empty file or block
 * device. Whether the size fits the block size is checked by the caller. */
static uint64_t backing_size(int fd, const char *what)
{
    struct stat st;
    if (fstat(fd, &st) == -1)
        die_errno("cannot stat %s", what);
    uint64_t size;
    if (S_ISREG(st.st_mode)) {
        size = (uint64_t)st.st_size;
    } else if (S_ISBLK(st.st_mode)) {
        if (ioctl(fd, BLKGETSIZE64, &size) == -1)
            die_errno("cannot get the size of block device %s", what);
    } else {
        die("%s: not a regular file or block device", what);
    }
    if (size == 0)
        die("%s: is empty; a block device needs at least one block", what);
    return size;
}

int block_attach(const char *path, uint64_t *capacity)
{
    int fd = open(path, O_RDWR | O_CLOEXEC);
    if (fd == -1)
        die_errno("cannot open block device backing %s", path);
    *capacity = backing_size(fd, path);
    return fd;
}

int block_attach_fd(const char *arg, int fd, uint64_t *capacity)
{
    int flags = fcntl(fd, F_GETFL);
    if (flags == -1)
        die("%s: descriptor %d is not open", arg, fd);
    if ((flags & O_ACCMODE) != O_RDWR)
        die("%s: descriptor %d is not open for reading and writing", arg, fd);
    *capacity = backing_size(fd, arg);
    /* Ours now: keep it from anything this process might exec. */
    if (fcntl(fd, F_SETFD, FD_CLOEXEC) == -1)
        die_errno("%s: cannot set close-on-exec on descriptor %d", arg, fd);
    return fd;
}
