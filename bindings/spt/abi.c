/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * abi.c: the ELF note that tells tenders this unikernel was built for spt,
 * ABI version 2.
 */

#include "spt.h"

ABI1_NOTE_DECLARE_BEGIN{
    .abi_target = SPT_ABI_TARGET,
    .abi_version = SPT_ABI_VERSION,
} ABI1_NOTE_DECLARE_END
