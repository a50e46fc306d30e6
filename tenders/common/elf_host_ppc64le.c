/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * elf_host_ppc64le.c: the ELF machine and byte order a tender on ppc64le
 * (little-endian 64-bit Power) accepts.
 */

#include "elf_image.h"

const uint16_t elf_host_machine = EM_PPC64;
const unsigned char elf_host_data = ELFDATA2LSB;
