#!/bin/sh
# @TRIPLE@-objcopy: objcopy for Solo5 unikernels on @ARCH@.
# Rendered by `cargo xtask build` from xtask/templates/objcopy.sh; do not edit.
#
# It runs @OBJCOPY_SHOWN@ with the arguments given.

[ "$#" -gt 0 ] || {
    printf '%s: no input file\n' "${0##*/}" >&2
    exit 1
}
exec @OBJCOPY@ "$@"
