/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * abi.c: the ELF note that marks this unikernel as built for xen. As in
 * Solo5, xen has no tender to agree with, so its ABI version is 1.
 */

#include "xen.h"
#include "elf_abi.h"

ABI1_NOTE_DECLARE_BEGIN{
    .abi_target = XEN_ABI_TARGET,
    .abi_version = 1,
} ABI1_NOTE_DECLARE_END
