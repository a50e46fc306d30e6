/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * hvt_cpu_aarch64.h: aarch64 facts shared by the tender's aarch64 files: the
 * low memory layout, the MMIO window and the translation regime the guest
 * starts in. (The halt cookie of a guest that dies of an exception is in
 * hvt_trap_aarch64.h.)
 *
 * Guest physical memory (identity-mapped, 4 KiB pages):
 *   0x00000       page zero             never mapped
 *   0x01000       boot info             read-only
 *   0x02000       command line, 8 KiB   read-only
 *   0x04000       manifest, 8 KiB       read-only
 *   0x06000       boot vectors          read+execute
 *   0x10000       page tables           not mapped
 *   0x100000      the unikernel         as its segments say
 *   ... mem_size  heap and stack        read+write
 *   4 GiB         hypercall page        device memory, read+write
 * Guest memory ends at 4 GiB at most: hypercalls pass 32-bit addresses, and
 * the MMIO window starts there.
 */

#ifndef TENDER_HVT_CPU_AARCH64_H
#define TENDER_HVT_CPU_AARCH64_H

#include <stdint.h>

#define A64_BOOT_INFO_BASE 0x1000
#define A64_CMDLINE_BASE 0x2000
#define A64_MFT_BASE 0x4000
#define A64_MFT_MAX 0x2000
#define A64_LOW_RO_END 0x6000
#define A64_BOOT_VECTORS 0x6000
#define A64_PT_BASE 0x10000
#define A64_PT_END 0x100000

#define A64_MAX_MEM ((uint64_t)HVT_HYPERCALL_MMIO_BASE)
#define A64_MMIO_PAGE ((uint64_t)HVT_HYPERCALL_MMIO_BASE)

/*
 * The boot vectors (VBAR_EL1 at entry, until the guest installs its own)
 * report an exception by a 32-bit store of the vector's index to this
 * address, in the hypercall page but outside the hypercall slots. The
 * tender then reads ESR/ELR/FAR from the vCPU and ends the guest, instead
 * of letting it loop forever on an exception it cannot take.
 */
#define A64_BOOT_TRAP_ADDR (A64_MMIO_PAGE + 0x800)

/* MAIR_EL1 attribute indices used by the page tables. */
#define A64_ATTR_NORMAL 0 /* write-back cacheable */
#define A64_ATTR_DEVICE 1 /* Device-nGnRnE */

/* ESR_ELx.EC, the exception class. */
#define A64_ESR_EC(esr) ((unsigned)((esr) >> 26) & 0x3f)

/* "data abort", ... for messages (hvt_kvm_aarch64.c). */
const char *a64_exception_class_name(unsigned ec);

#endif /* TENDER_HVT_CPU_AARCH64_H */
