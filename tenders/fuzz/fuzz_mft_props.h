/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * fuzz_mft_props.h: what a manifest that mft_check() accepted must satisfy.
 */

#ifndef TENDER_FUZZ_MFT_PROPS_H
#define TENDER_FUZZ_MFT_PROPS_H

#include <stddef.h>

#include "mft_abi.h"

/*
 * Fails (fuzz_fail) unless (mft), of (size) bytes and accepted by
 * mft_check(), is one the tender can trust: the size its entries need,
 * terminated, unique, non-empty device names of known types, the reserved
 * type only first, nothing attached; every device found by name and
 * claimable once with its own type only.
 */
void fuzz_check_mft(struct mft *mft, size_t size);

#endif /* TENDER_FUZZ_MFT_PROPS_H */
