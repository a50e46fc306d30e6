/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * elf_host_aarch64.c: the ELF machine a tender on aarch64 accepts.
 */

#include "elf_image.h"

const uint16_t elf_host_machine = EM_AARCH64;
const unsigned char elf_host_data = ELFDATA2LSB;
