#!/bin/sh
# solo5-ng: Solo5-compatible unikernel execution environment.
# SPDX-License-Identifier: ISC
#
# solo5-virtio-run: boots a unikernel built for the virtio binding as a
# QEMU machine of its own (the virtio binding has no tender: QEMU is the
# monitor). Same options as Solo5's script of that name; see usage().
#
# What it relies on (docs/virtio.md, the binding's contract): the unikernel carries a multiboot
# header that QEMU's -kernel loads; its console is COM1; it reports its
# exit status through QEMU's isa-debug-exit device at port 0x501, which
# makes QEMU exit with (status << 1) | 1; its devices are legacy virtio
# PCI functions, matched to the manifest in PCI order, so they are placed
# in the order given on the command line.

prog=solo5-virtio-run

usage() {
    cat >&2 <<EOF
usage: $prog [ OPTIONS ] UNIKERNEL [ -- ] [ ARGUMENTS ... ]

Boots UNIKERNEL (built for the virtio binding) in QEMU; its console is
this command's standard output, and this command exits with the
unikernel's exit status. UNIKERNEL may also be a disk image made by
solo5-virtio-mkimage, which boots through its own boot loader (its
arguments were fixed when the image was made).

Options:
    -d DISK: attach a virtio-blk device backed by the image file DISK.
    -m MEM: give the guest MEM megabytes of memory (default 128).
    -n NETIF: attach a virtio-net device on the tap interface NETIF.
    -q: quiet; do not print the QEMU command line.
    -H HV: hypervisor: kvm, qemu (TCG emulation) or best (default: kvm
        when /dev/kvm is usable and the CPU has vmx or svm, else qemu).

Devices are matched to the unikernel's manifest in the order given,
block devices among block devices and network devices among network
devices.
EOF
    exit 1
}

die() {
    printf '%s: error: %s\n' "$prog" "$*" >&2
    exit 1
}

# Appends one word to the QEMU command line, kept as the positional-free
# list "$@" of run_qemu through a newline-separated variable: words never
# contain newlines (checked where user input enters).
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

# QEMU's -drive and -netdev take comma-separated options: a literal comma
# in a value is written twice.
qemu_escape() {
    printf '%s' "$1" | sed -e 's/,/,,/g'
}

# kvm when /dev/kvm is usable and the CPU does hardware virtualisation:
# a paravirtual /dev/kvm without vmx or svm emulates guest instructions
# and rejects SSE, which every unikernel uses.
best_hypervisor() {
    if [ -c /dev/kvm ] && [ -r /dev/kvm ] && [ -w /dev/kvm ] &&
        grep -qw -e vmx -e svm /proc/cpuinfo 2>/dev/null; then
        echo kvm
    else
        echo qemu
    fi
}

# A MAC address of its own for network device N (QEMU would give every
# device the same one): QEMU's prefix 52:54:00, two random bytes drawn
# once per machine, and N.
mac() {
    printf '52:54:00:%s:%02x\n' "$mac_random" "$1"
}

# True when FILE starts like a disk image with an MBR boot signature and
# not like an ELF file.
is_disk_image() {
    magic=$(od -An -tx1 -N4 "$1" 2>/dev/null | tr -d ' \n')
    [ "$magic" = 7f454c46 ] && return 1
    sig=$(od -An -tx1 -j510 -N2 "$1" 2>/dev/null | tr -d ' \n')
    [ "$sig" = 55aa ]
}

mem=128
hv=best
quiet=
devices=
ndev=0
while [ $# -gt 0 ]; do
    case $1 in
    -d)
        [ $# -ge 2 ] || usage
        [ -f "$2" ] || die "not found: $2 (-d takes a disk image file)"
        no_newline "$2" "the disk image name"
        devices="${devices}blk $2
"
        ndev=$((ndev + 1))
        shift 2
        ;;
    -m)
        [ $# -ge 2 ] || usage
        case $2 in
        '' | *[!0-9]*) die "-m $2: the memory size must be a number of megabytes" ;;
        esac
        mem=$2
        shift 2
        ;;
    -n)
        [ $# -ge 2 ] || usage
        no_newline "$2" "the interface name"
        if [ ! -e "/sys/class/net/$2" ]; then
            die "no such network interface: $2 (create a tap device first, e.g. ip tuntap add $2 mode tap)"
        fi
        devices="${devices}net $2
"
        ndev=$((ndev + 1))
        shift 2
        ;;
    -q)
        quiet=1
        shift
        ;;
    -H)
        [ $# -ge 2 ] || usage
        hv=$2
        shift 2
        ;;
    -h | --help)
        usage
        ;;
    --)
        shift
        break
        ;;
    -*)
        printf '%s: unknown option %s\n' "$prog" "$1" >&2
        usage
        ;;
    *)
        break
        ;;
    esac
done
[ $# -ge 1 ] || usage
unikernel=$1
shift
[ "${1-}" = -- ] && shift
[ -f "$unikernel" ] || die "not found: $unikernel"
no_newline "$unikernel" "the unikernel's file name"

case $hv in
best) hv=$(best_hypervisor) ;;
kvm | qemu) ;;
*) die "unknown hypervisor $hv (use kvm, qemu or best)" ;;
esac

qemu=${SOLO5_QEMU:-qemu-system-x86_64}
command -v "$qemu" >/dev/null 2>&1 ||
    die "$qemu not found (install it: Debian and Ubuntu package qemu-system-x86)"

qemu_args=
add "$qemu"
case $hv in
kvm) add -accel kvm -cpu host ;;
qemu) add -accel tcg -cpu max ;;
esac
# No default devices, no ACPI and no display: the console is COM1 on
# standard output, and the machine stops rather than reboots when the
# unikernel faults beyond recovery (a triple fault).
add -m "$mem" -nodefaults -machine pc,acpi=off -display none -serial stdio
add -no-reboot -device isa-debug-exit,iobase=0x501,iosize=2

mac_random=$(od -An -tx1 -N2 /dev/urandom 2>/dev/null | tr -s ' \n' ':' | sed -e 's/^://' -e 's/:$//')
case $mac_random in
[0-9a-f][0-9a-f]:[0-9a-f][0-9a-f]) ;;
*) mac_random=$(printf '%02x:%02x' $(($$ >> 8 & 255)) $(($$ & 255))) ;;
esac

# PCI slots 0 and 1 hold the host bridge and the ISA bridge. Up to 30
# devices get a slot each, from slot 2, as Solo5's script places them;
# more are packed eight functions to a slot (multifunction), which keeps
# their order in a bus scan.
i=0
while IFS=' ' read -r kind name; do
    [ -n "$kind" ] || continue
    if [ "$ndev" -le 30 ]; then
        addr=$(printf '0x%x' $((i + 2)))
    else
        slot=$((i / 8 + 2))
        fn=$((i % 8))
        [ "$slot" -le 31 ] || die "too many devices: the PCI bus has room for 240"
        addr=$(printf '0x%x.%d' "$slot" "$fn")
        [ "$fn" -eq 0 ] && addr="$addr,multifunction=on"
    fi
    case $kind in
    blk)
        add -drive "id=blk$i,file=$(qemu_escape "$name"),if=none,format=raw"
        add -device "virtio-blk-pci,drive=blk$i,disable-modern=on,bus=pci.0,addr=$addr"
        ;;
    net)
        add -netdev "tap,id=net$i,ifname=$(qemu_escape "$name"),script=no,downscript=no"
        add -device "virtio-net-pci,netdev=net$i,disable-modern=on,mac=$(mac "$i"),bus=pci.0,addr=$addr"
        ;;
    esac
    i=$((i + 1))
done <<EOF
$devices
EOF

if is_disk_image "$unikernel"; then
    [ $# -eq 0 ] || die "$unikernel is a disk image: its arguments were fixed by solo5-virtio-mkimage"
    add -drive "file=$(qemu_escape "$unikernel"),format=raw,if=ide,index=0,snapshot=on"
    add -boot c
else
    add -kernel "$unikernel"
    # The command line reaches the unikernel after the kernel's file name
    # (multiboot): the binding drops that first word.
    [ $# -gt 0 ] && add -append "$*"
fi

# The words, one per line, become the positional parameters.
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

# QEMU's own errors (a bad option, a tap it cannot open) make it exit 1,
# which is also what a unikernel exiting with status 0 gives: stderr is
# kept aside (and shown as it comes) to tell them apart.
tmp=$(mktemp -d "${TMPDIR:-/tmp}/solo5-virtio-run.XXXXXX") || die "cannot create a temporary directory"
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
errlog=$tmp/stderr
mkfifo "$tmp/fifo" || die "cannot create a FIFO in $tmp"
tee "$errlog" <"$tmp/fifo" >&2 &
"$@" 2>"$tmp/fifo"
rc=$?
wait

# isa-debug-exit: QEMU exits with (status << 1) | 1, cut to 8 bits, so
# odd values carry statuses 0 to 127. 255 is the abort status (255, which
# wraps to 255) and 127 alike; abort is the one unikernels use.
if [ "$rc" -eq 1 ] && grep -v -q -e '^qemu-system-[a-z0-9_]*: warning:' -e '^$' "$errlog"; then
    die "QEMU failed (exit status 1; its message is above)"
fi
case $rc in
0)
    printf '%s: the unikernel stopped without reporting an exit status (QEMU exited 0: a triple fault, a reset or a signal)\n' "$prog" >&2
    exit 255
    ;;
255) exit 255 ;;
*[13579]) exit $((rc >> 1)) ;;
*)
    printf '%s: QEMU exited with status %s\n' "$prog" "$rc" >&2
    exit "$rc"
    ;;
esac
