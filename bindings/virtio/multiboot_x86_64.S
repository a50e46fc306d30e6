/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * multiboot_x86_64.S: how a multiboot loader finds us (Multiboot
 * Specification 0.6.96, section 3.1). The linker script puts this header
 * first in the image; the loader jumps to _start (common/boot_x86_64.S)
 * with the loader magic in %eax and the information in %ebx.
 */

#define MB_HEADER_MAGIC 0x1badb002
/* Page-aligned modules, memory information, addresses in the header (the
 * "a.out kludge": the loader need not parse our ELF64 headers). */
#define MB_FLAGS ((1 << 0) | (1 << 1) | (1 << 16))

    .section .multiboot, "a"
    .balign 4
multiboot_header:
    .long MB_HEADER_MAGIC
    .long MB_FLAGS
    .long -(MB_HEADER_MAGIC + MB_FLAGS)
    .long multiboot_header /* header_addr */
    .long _stext           /* load_addr */
    .long _edata           /* load_end_addr */
    .long _ebss            /* bss_end_addr */
    .long _start           /* entry_addr */

    .section .note.GNU-stack, "", @progbits
