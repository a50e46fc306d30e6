/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * hvt_cpu_x86_64.h: x86_64 facts shared by the tender's x86_64 files: the
 * low memory layout, control register bits and the boot GDT. (The halt
 * cookie of a guest that dies of a CPU exception is in hvt_trap_x86_64.h.)
 *
 * Low guest memory (below HVT_GUEST_MIN_BASE):
 *   0x00000  page zero            never mapped
 *   0x01000  boot GDT             not mapped in the guest
 *   0x02000  PML4                 not mapped
 *   0x03000  PDPT                 not mapped
 *   0x04000  4 page directories   not mapped (one per GiB)
 *   0x08000  boot info            read-only
 *   0x09000  command line, 8 KiB  read-only
 *   0x0b000  manifest, 8 KiB      read-only
 *   0x10000  page tables          not mapped (4 KiB pages where needed)
 */

#ifndef TENDER_HVT_CPU_X86_64_H
#define TENDER_HVT_CPU_X86_64_H

#include <stdint.h>

#define X86_GDT_BASE 0x1000
#define X86_PML4_BASE 0x2000
#define X86_PDPT_BASE 0x3000
#define X86_PD_BASE 0x4000
#define X86_PD_PAGES 4
#define X86_BOOT_INFO_BASE 0x8000
#define X86_CMDLINE_BASE 0x9000
#define X86_MFT_BASE 0xb000
#define X86_MFT_MAX 0x2000
#define X86_LOW_RO_END 0xd000
#define X86_PT_BASE 0x10000
#define X86_PT_END 0x100000

#define X86_MAX_MEM ((uint64_t)X86_PD_PAGES << 30)

/* Boot GDT: null, 64-bit code, data. */
#define X86_GDT_CODE 0x08
#define X86_GDT_DATA 0x10
#define X86_GDT_ENTRIES 3

#define X86_CR0_PE (1ULL << 0)
#define X86_CR0_MP (1ULL << 1)
#define X86_CR0_NE (1ULL << 5)
#define X86_CR0_WP (1ULL << 16)
#define X86_CR0_PG (1ULL << 31)
#define X86_CR4_PAE (1ULL << 5)
#define X86_CR4_OSFXSR (1ULL << 9)
#define X86_CR4_OSXMMEXCPT (1ULL << 10)
#define X86_EFER_LME (1ULL << 8)
#define X86_EFER_LMA (1ULL << 10)
#define X86_EFER_NXE (1ULL << 11)
#define X86_RFLAGS_RESERVED (1ULL << 1)

#endif /* TENDER_HVT_CPU_X86_64_H */
