#!/bin/sh
# @TRIPLE@-cc: the C compiler for Solo5 unikernels on @ARCH@.
# Rendered by `cargo xtask build` from xtask/templates/cc.sh; do not edit.
#
# It runs @CC_SHOWN@ with the flags freestanding code for Solo5 needs:
#   - compiling (-c, -S, -E, -M, -MM, -fsyntax-only) adds the freestanding
#     flags and the include directory;
#   - anything else links a unikernel: `-z solo5-abi=BINDING` selects the
#     bindings (default: stub, so that configure-style link probes work),
#     whose object and linker script are added, with -nostdlib -static;
#   - -v alone, --version, --help, -dump* and -print-* go to the compiler as
#     they are.
# Headers and bindings are found relative to this script (following
# symbolic links), so an installed tree can be moved as a whole. Set
# SOLO5_TOOLCHAIN_TRACE=1 to see the command it runs.

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
inc=$prefix/include/@TRIPLE@
lib=$prefix/lib/@TRIPLE@

[ "$#" -gt 0 ] || die "no input files (give sources or objects; nothing is built from nothing)"
if [ "$#" -eq 1 ] && [ "$1" = -v ]; then
    exec @CC@ -v
fi
for arg do
    case $arg in
        --version | --help | -dumpmachine | -dumpversion | -dumpfullversion | -print-* | --print-*)
            exec @CC@ "$@"
            ;;
    esac
done

[ -d "$inc" ] || die "cannot find the headers: $inc is not a directory"
[ -d "$lib" ] || die "cannot find the bindings: $lib is not a directory"

# The compiler's own headers (stddef.h, stdint.h, ...) were copied into
# $inc from one compiler; another one (after an upgrade, say) may not work
# with them, so refuse rather than build something subtly wrong.
IFS= read -r want <"$inc/@STAMP@" || die "cannot read $inc/@STAMP@ (an incomplete install?)"
have=$(printf '__VERSION__\n' | @CC@ -E -P -x c - 2>/dev/null) ||
    die "cannot run @CC_SHOWN@"
if [ "$have" != "$want" ]; then
    die "@CC_SHOWN@ is not the compiler this toolchain was built with: it is $have now, but the headers in $inc came from $want. Rebuild and reinstall solo5 with the current compiler, or reinstall the compiler it was built with."
fi

compile_only=
abi=
zarg=
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
        -c | -S | -E | -M | -MM | -fsyntax-only) compile_only=1 ;;
    esac
    set -- "$@" "$arg"
done
[ -z "$zarg" ] || die "-z needs an argument"

[ -n "${SOLO5_TOOLCHAIN_TRACE-}" ] && set -x
if [ -n "$compile_only" ]; then
    exec @CC@ @CFLAGS@ -isystem "$inc" "$@"
fi

abi=${abi:-stub}
if [ ! -f "$lib/solo5_$abi.o" ] || [ ! -f "$lib/solo5_$abi.lds" ]; then
    die "no bindings named '$abi' in $lib (this toolchain has: @BINDINGS@)"
fi
exec @CC@ @CFLAGS@ -isystem "$inc" @LINKFLAGS@ \
    -T "$lib/solo5_$abi.lds" "$lib/solo5_$abi.o" "$@"
