#!/bin/sh
# solo5-ng: Solo5-compatible unikernel execution environment.
# SPDX-License-Identifier: ISC
#
# xen-launch: boots one unikernel built for the xen binding as a PVH
# domain under QEMU's Xen emulation (KVM with CONFIG_KVM_XEN), and exits
# with the unikernel's status. The test runner runs it inside its xen
# guest (docs/xen.md, "How the tests run"); POSIX sh, busybox-compatible.
#
# What it relies on (the binding's side of the contract): the unikernel
# writes its exit status with a 16-bit outw to port 0x501, where
# isa-debug-exit makes QEMU exit with (status << 1) | 1; its console is
# the Xen PV console; its block and network devices are matched to the
# manifest in the order given here (xvda, xvdb, ... and vif 0, 1, ...).

prog=xen-launch

usage() {
    cat >&2 <<EOF
usage: $prog -A ARGS_FILE [ OPTIONS ] UNIKERNEL [ -- ] [ ARGUMENTS ... ]

Boots UNIKERNEL (a Xen PVH ELF) under QEMU's Xen emulation; its console
is this command's standard output, and this command exits with the
unikernel's exit status: 124 when the hang guard stopped it, 125 when
QEMU died of a signal before the unikernel wrote a status, 1 for QEMU's
own errors (with its message).

Options:
    -A FILE: QEMU's machine and accelerator words, one per line (the
        test runner writes targets.toml's xen_args there).
    -d DISK: attach a Xen PV disk backed by the raw image file DISK.
    -n TAP: attach a Xen PV network device on the tap interface TAP.
    -m MEM: give the domain MEM megabytes of memory (default 128).
    -t SECS: stop QEMU after SECS seconds and say so (default: never).
    -q: quiet; do not print the QEMU command line.
The QEMU binary is \$XEN_QEMU, default qemu-system-x86_64.
EOF
    exit 1
}

die() {
    printf '%s: error: %s\n' "$prog" "$*" >&2
    exit 1
}

# QEMU's words go one per line into qemu_args (no word has a newline:
# checked where user input enters), and become "$@" before QEMU runs.
add() {
    for w in "$@"; do
        qemu_args="$qemu_args$w
"
    done
}

no_newline() {
    case $1 in
    *'
'*) die "$2 contains a newline: $1" ;;
    esac
}

# A literal comma in a QEMU option value is written twice.
qemu_escape() {
    printf '%s' "$1" | sed -e 's/,/,,/g'
}

args_file=
mem=128
guard=0
quiet=
disks=
nets=
while [ $# -gt 0 ]; do
    case $1 in
    -A)
        [ $# -ge 2 ] || usage
        [ -f "$2" ] || die "not found: $2 (-A takes a file of QEMU words)"
        args_file=$2
        shift 2
        ;;
    -d)
        [ $# -ge 2 ] || usage
        [ -f "$2" ] || die "not found: $2 (-d takes a disk image file)"
        no_newline "$2" "the disk image name"
        disks="$disks$2
"
        shift 2
        ;;
    -n)
        [ $# -ge 2 ] || usage
        no_newline "$2" "the interface name"
        [ -e "/sys/class/net/$2" ] || die "no such network interface: $2 (create a tap device first)"
        nets="$nets$2
"
        shift 2
        ;;
    -m | -t)
        [ $# -ge 2 ] || usage
        case $2 in
        '' | *[!0-9]*) die "$1 $2: a number is wanted" ;;
        esac
        if [ "$1" = -m ]; then mem=$2; else guard=$2; fi
        shift 2
        ;;
    -q)
        quiet=1
        shift
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
[ $# -ge 1 ] || usage
[ -n "$args_file" ] || die "no -A file: QEMU's Xen machine words are needed"
unikernel=$1
shift
[ "${1-}" = -- ] && shift
[ -f "$unikernel" ] || die "not found: $unikernel"
no_newline "$unikernel" "the unikernel's file name"

qemu=${XEN_QEMU:-qemu-system-x86_64}
command -v "$qemu" >/dev/null 2>&1 || die "$qemu not found"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/xen-launch.XXXXXX") || die "cannot create a temporary directory"
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

qemu_args=
add "$qemu"
while IFS= read -r w; do
    [ -n "$w" ] && add "$w"
done <"$args_file"
add -m "$mem" -chardev stdio,id=c0 -device xen-console,chardev=c0
add -device isa-debug-exit,iobase=0x501,iosize=2
# QEMU 10 can die of SIGSEGV while it tears down a xen-net-device, after
# the domain wrote its status (isa-debug-exit's exit() runs the teardown):
# QEMU's own trace of that write keeps the status.
add -trace memory_region_ops_write -D "$tmp/qemu.log"

# The letters of disk N's name, as Linux and Xen count: a..z, then aa..zz.
disk_letters() {
    letters=abcdefghijklmnopqrstuvwxyz
    if [ "$1" -lt 26 ]; then
        echo "$letters" | cut -c $(($1 + 1))
    else
        printf '%s%s\n' "$(echo "$letters" | cut -c $(($1 / 26)))" \
            "$(echo "$letters" | cut -c $(($1 % 26 + 1)))"
    fi
}

# Disk i is xvd<letters of i> (vbd 51712 + 16 i up to xvdp, then QEMU's
# extended numbers (1 << 28) + (i << 8)), in the order given.
i=0
while IFS= read -r d; do
    [ -n "$d" ] || continue
    [ "$i" -lt 702 ] || die "too many disks: xvda to xvdzz"
    add -drive "file=$(qemu_escape "$d"),if=none,id=blk$i,format=raw,cache=unsafe"
    add -device "xen-disk,vdev=xvd$(disk_letters "$i"),drive=blk$i"
    i=$((i + 1))
done <<EOF
$disks
EOF

i=0
while IFS= read -r n; do
    [ -n "$n" ] || continue
    add -netdev "tap,id=net$i,ifname=$(qemu_escape "$n"),script=no,downscript=no"
    add -device "xen-net-device,netdev=net$i,mac=$(printf '52:54:00:12:34:%02x' $((0x56 + i)))"
    i=$((i + 1))
done <<EOF
$nets
EOF

add -kernel "$unikernel"
[ $# -gt 0 ] && add -append "$*"

old_ifs=$IFS
IFS='
'
# shellcheck disable=SC2086 # split on newlines only, on purpose
set -- $qemu_args
IFS=$old_ifs

if [ -z "$quiet" ]; then
    line='+'
    for w in "$@"; do
        case $w in
        *[!A-Za-z0-9_./:=,@+-]*) w="'$(printf '%s' "$w" | sed -e "s/'/'\\\\''/g")'" ;;
        esac
        line="$line $w"
    done
    printf '%s\n' "$line" >&2
fi

errlog=$tmp/stderr
mkfifo "$tmp/fifo" || die "cannot create a FIFO in $tmp"
tee "$errlog" <"$tmp/fifo" >&2 &
tee_pid=$!
"$@" 2>"$tmp/fifo" </dev/null &
qemu_pid=$!
guard_pid=
if [ "$guard" -gt 0 ]; then
    (
        sleep "$guard"
        : >"$tmp/timedout"
        kill "$qemu_pid" 2>/dev/null
        sleep 2
        kill -9 "$qemu_pid" 2>/dev/null
    ) &
    guard_pid=$!
fi
# The shell says on stderr when a job dies of a signal; the status alone
# cannot tell SIGSEGV (128 + 11) from isa-debug-exit's 139 (status 69).
wait "$qemu_pid" 2>"$tmp/died"
rc=$?
[ -n "$guard_pid" ] && kill "$guard_pid" 2>/dev/null
wait "$tee_pid"

if [ -e "$tmp/timedout" ]; then
    printf '%s: the hang guard stopped QEMU after %s s\n' "$prog" "$guard" >&2
    exit 124
fi
if [ "$rc" -gt 128 ] && [ -s "$tmp/died" ]; then
    died="signal $((rc - 128)) ($(head -n 1 "$tmp/died"))"
    written=$(sed -n "s/.* value 0x\([0-9a-f]*\) size [0-9]* name 'isa-debug-exit'.*/\1/p" \
        "$tmp/qemu.log" 2>/dev/null | tail -n 1)
    if [ -z "$written" ]; then
        printf '%s: QEMU died of %s; the domain reported no exit status\n' "$prog" "$died" >&2
        exit 125
    fi
    printf '%s: QEMU died of %s after the domain wrote 0x%s to isa-debug-exit: that status stands\n' \
        "$prog" "$died" "$written" >&2
    # What QEMU would have exited with, mapped back as below.
    rc=$((((0x$written << 1) | 1) & 255))
fi
# QEMU's own errors (a bad option, a tap it cannot open) are lines that
# start with its name; they make it exit 1, as status 0 does.
if [ "$rc" -eq 1 ] && grep -q -e '^qemu-system-[a-z0-9_]*: ' "$errlog" &&
    grep -v -q -e '^qemu-system-[a-z0-9_]*: warning:' -e '^$' "$errlog"; then
    die "QEMU failed (exit status 1; its message is above)"
fi
# A crashed domain (SCHEDOP_shutdown with SHUTDOWN_crash, with no status
# written first) is a guest panic: QEMU dumps the vCPU's registers.
if grep -q -e '^[ER]IP=' "$errlog" "$tmp/qemu.log" 2>/dev/null; then
    printf '%s: the domain crashed (QEMU exited %s after dumping its registers)\n' "$prog" "$rc" >&2
    exit 255
fi
case $rc in
0)
    printf '%s: the domain stopped without reporting an exit status (QEMU exited 0: a poweroff, a triple fault or a signal)\n' "$prog" >&2
    exit 255
    ;;
255) exit 255 ;;
*[13579]) exit $((rc >> 1)) ;;
*)
    printf '%s: QEMU exited with status %s\n' "$prog" "$rc" >&2
    exit "$rc"
    ;;
esac
