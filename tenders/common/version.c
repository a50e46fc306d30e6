/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * version.c: the tender's version string. The only tender file that reads
 * the generated header, so a new version recompiles one file.
 */

#include "solo5_version.h"
#include "tender.h"

const char tender_version[] = SOLO5_VERSION;
