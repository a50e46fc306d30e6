#!/bin/sh
# solo5-ng: Solo5-compatible unikernel execution environment.
# SPDX-License-Identifier: ISC
#
# solo5-virtio-mkimage: a bootable disk image holding a virtio unikernel,
# for clouds and hypervisors that boot disks, not kernels. Same command
# line as Solo5's script of that name; see usage().
#
# The image: an MBR with SYSLINUX's boot code and one bootable FAT32
# partition from sector 2048, holding SYSLINUX, its multiboot loader
# (mboot.c32, told to use the unikernel's multiboot a.out-kludge fields,
# as a 64-bit ELF is not something it loads) and the unikernel, whose
# arguments are written into syslinux.cfg. The console is COM1. Everything
# is built in files with mtools: no loop devices, no root.

prog=solo5-virtio-mkimage
# Sparse: the file takes the space of what is written, not this.
size_mb=1024

usage() {
    cat >&2 <<EOF
usage: $prog [ OPTIONS ] [ -- ] IMAGE UNIKERNEL [ ARGUMENTS ... ]

Writes IMAGE, an MBR-partitioned disk image with a boot loader and
UNIKERNEL (built for the virtio binding) in it. ARGUMENTS, if any, are
stored in the image and given to the unikernel when it boots.

Options:
    -f FORMAT: 'raw' (default): a raw disk image; 'tar': a gzipped tar
        file holding it as disk.raw, as Google Compute Engine imports.
    -d: run in Docker: not supported by this $prog; install its
        tools instead (see below).

Needs sfdisk, mkfs.fat, mcopy and syslinux with its BIOS modules (Debian
and Ubuntu packages: fdisk dosfstools mtools syslinux syslinux-common).
EOF
    exit 1
}

die() {
    printf '%s: error: %s\n' "$prog" "$*" >&2
    exit 1
}

# The first of the files given that exists.
first_file() {
    for f in "$@"; do
        if [ -f "$f" ]; then
            printf '%s\n' "$f"
            return 0
        fi
    done
    return 1
}

format=raw
while [ $# -gt 0 ]; do
    case $1 in
    -f)
        [ $# -ge 2 ] || usage
        case $2 in
        raw | tar) format=$2 ;;
        *) die "-f $2: unknown format (use raw or tar)" ;;
        esac
        shift 2
        ;;
    -d)
        die "-d (Docker) is not supported: install fdisk dosfstools mtools syslinux syslinux-common and run without it"
        ;;
    -h | --help) usage ;;
    --)
        shift
        break
        ;;
    -*)
        printf '%s: unknown option %s\n' "$prog" "$1" >&2
        usage
        ;;
    *) break ;;
    esac
done
[ $# -ge 2 ] || usage
image=$1
unikernel=$2
shift 2
[ -f "$unikernel" ] || die "not found: $unikernel"
[ "$(uname -s)" = Linux ] || die "this tool runs on Linux only"
case $* in
*'
'*) die "the unikernel's arguments must not contain newlines" ;;
esac

missing=
for tool in sfdisk:fdisk mkfs.fat:dosfstools mcopy:mtools syslinux:syslinux; do
    # sfdisk and mkfs.fat live in sbin, which a user's PATH may lack.
    PATH=$PATH:/usr/sbin:/sbin command -v "${tool%%:*}" >/dev/null 2>&1 ||
        missing="$missing ${tool#*:}"
done
[ -z "$missing" ] ||
    die "missing tools: install${missing} (Debian and Ubuntu: apt-get install fdisk dosfstools mtools syslinux syslinux-common)"
PATH=$PATH:/usr/sbin:/sbin

bios=/usr/lib/syslinux
mbr=$(first_file $bios/mbr/mbr.bin /usr/share/syslinux/mbr.bin $bios/bios/mbr.bin) ||
    die "cannot find SYSLINUX's mbr.bin (install syslinux-common)"
mboot=$(first_file $bios/modules/bios/mboot.c32 /usr/share/syslinux/mboot.c32 $bios/bios/mboot.c32) ||
    die "cannot find SYSLINUX's mboot.c32 (install syslinux-common)"
libcom32=$(first_file $bios/modules/bios/libcom32.c32 /usr/share/syslinux/libcom32.c32 $bios/bios/libcom32.c32) ||
    die "cannot find SYSLINUX's libcom32.c32 (install syslinux-common)"

# Written next to IMAGE and renamed at the end: a failure never leaves a
# half-made image under its name.
dir=$(dirname -- "$image")
[ -d "$dir" ] || die "$dir does not exist (the directory of $image)"
tmp=$(mktemp -d "$dir/.solo5-virtio-mkimage.XXXXXX") || die "cannot create a temporary directory in $dir"
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
log=$tmp/log

step() {
    what=$1
    shift
    "$@" >>"$log" 2>&1 || {
        cat "$log" >&2
        die "$what failed: $*"
    }
}

part=$tmp/part.img
disk=$tmp/disk.raw
part_mb=$((size_mb - 1))
step "sizing the partition" truncate -s "${part_mb}M" "$part"
step "mkfs.fat" mkfs.fat -F 32 -n SOLO5 "$part"
step "installing SYSLINUX" syslinux --install "$part"
cat >"$tmp/syslinux.cfg" <<EOF
SERIAL 0 115200
DEFAULT unikernel
LABEL unikernel
  KERNEL mboot.c32
  APPEND -aout unikernel.bin $*
EOF
# mtools checks the geometry against a sectors-per-track it assumes; a
# plain file has none.
printf 'mtools_skip_check=1\n' >"$tmp/mtoolsrc"
MTOOLSRC=$tmp/mtoolsrc
export MTOOLSRC
step "copying syslinux.cfg" mcopy -i "$part" "$tmp/syslinux.cfg" ::syslinux.cfg
step "copying mboot.c32" mcopy -i "$part" "$mboot" ::mboot.c32
step "copying libcom32.c32" mcopy -i "$part" "$libcom32" ::libcom32.c32
step "copying the unikernel" mcopy -i "$part" "$unikernel" ::unikernel.bin

step "sizing the disk" truncate -s "${size_mb}M" "$disk"
step "writing the MBR" dd if="$mbr" of="$disk" conv=notrunc
printf 'label: dos\nstart=2048, type=c, bootable\n' >"$tmp/layout"
step "partitioning" sfdisk --no-reread --no-tell-kernel "$disk" <"$tmp/layout"
step "writing the partition" dd if="$part" of="$disk" bs=1M seek=1 conv=notrunc,sparse

if [ "$format" = raw ]; then
    mv -f "$disk" "$image" || die "cannot write $image"
else
    step "tar" tar -C "$tmp" -Sczf "$tmp/image.tar.gz" disk.raw
    mv -f "$tmp/image.tar.gz" "$image" || die "cannot write $image"
fi
