/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * abi.c: the ELF note that tells tenders this unikernel was built for hvt,
 * ABI version 2.
 */

#include "hvt.h"

ABI1_NOTE_DECLARE_BEGIN{
    .abi_target = HVT_ABI_TARGET,
    .abi_version = HVT_ABI_VERSION,
} ABI1_NOTE_DECLARE_END
