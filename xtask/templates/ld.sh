#!/bin/sh
# @TRIPLE@-ld: the linker for Solo5 unikernels on @ARCH@.
# Rendered by `cargo xtask build` from xtask/templates/ld.sh; do not edit.
#
# It runs @LD_SHOWN@ with -nostdlib -static, the page size and no build
# id, plus the object and linker script of the bindings `-z solo5-abi=BINDING`
# selects (default: stub). A relocatable link (-r) gets bindings only when
# asked for. -v, -V, --version and --help alone go to the linker as they are.
# Bindings are found relative to this script (following symbolic links).
# Set SOLO5_TOOLCHAIN_TRACE=1 to see the command it runs.

prog=${0##*/}

die() {
    printf '%s: %s\n' "$prog" "$*" >&2
    exit 1
}

self=$0
while [ -h "$self" ]; do
    link=$(readlink "$self") || die "cannot read the symbolic link $self"
    case $link in
        /*) self=$link ;;
        *) case $self in */*) self=${self%/*}/$link ;; *) self=$link ;; esac ;;
    esac
done
case $self in */*) dir=${self%/*} ;; *) dir=. ;; esac
prefix=$(cd -P -- "$dir/.." && pwd -P) || die "cannot find the directory above $dir"
lib=$prefix/lib/@TRIPLE@

[ "$#" -gt 0 ] || die "no input files"
if [ "$#" -eq 1 ]; then
    case $1 in
        -v | -V | --version | --help) exec @LD@ "$1" ;;
    esac
fi
[ -d "$lib" ] || die "cannot find the bindings: $lib is not a directory"

abi=
zarg=
relocatable=
for arg do
    shift
    if [ -n "$zarg" ]; then
        zarg=
        case $arg in
            solo5-abi=*) abi=${arg#solo5-abi=} ;;
            *) set -- "$@" -z "$arg" ;;
        esac
        continue
    fi
    case $arg in
        -z)
            zarg=1
            continue
            ;;
        -zsolo5-abi=*)
            abi=${arg#-zsolo5-abi=}
            continue
            ;;
        -r | -i | --relocatable) relocatable=1 ;;
    esac
    set -- "$@" "$arg"
done
[ -z "$zarg" ] || die "-z needs an argument"

[ -n "${SOLO5_TOOLCHAIN_TRACE-}" ] && set -x
if [ -n "$relocatable" ] && [ -z "$abi" ]; then
    exec @LD@ "$@"
fi
abi=${abi:-stub}
if [ ! -f "$lib/solo5_$abi.o" ] || [ ! -f "$lib/solo5_$abi.lds" ]; then
    die "no bindings named '$abi' in $lib (this toolchain has: @BINDINGS@)"
fi
exec @LD@ @LDFLAGS@ -T "$lib/solo5_$abi.lds" "$lib/solo5_$abi.o" "$@"
