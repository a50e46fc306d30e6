/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * block_attach.c: opening the file or block device behind a block device.
 */

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tender.h"

int block_attach(const char *path, unsigned block_size, uint64_t *capacity)
{
    int fd = open(path, O_RDWR | O_CLOEXEC);
    if (fd == -1)
        die_errno("cannot open block device backing %s", path);

    struct stat st;
    if (fstat(fd, &st) == -1)
        die_errno("cannot stat %s", path);
    uint64_t size;
    if (S_ISREG(st.st_mode)) {
        size = (uint64_t)st.st_size;
    } else if (S_ISBLK(st.st_mode)) {
        if (ioctl(fd, BLKGETSIZE64, &size) == -1)
            die_errno("cannot get the size of block device %s", path);
    } else {
        die("%s: not a regular file or block device", path);
    }
    if (size == 0)
        die("%s: is empty; a block device needs at least one %u-byte block",
            path, block_size);
    if (size % block_size != 0)
        die("%s: size %llu is not a multiple of the %u-byte block size", path,
            (unsigned long long)size, block_size);
    *capacity = size;
    return fd;
}
