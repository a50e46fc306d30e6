/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * pvh_x86_64.S: how a PVH loader (Xen's domain builder, QEMU's -kernel)
 * finds us, and the page Xen fills with hypercall stubs.
 *
 * The XEN_ELFNOTE_PHYS32_ENTRY note (type 18, owner "Xen") gives the
 * 32-bit physical entry point: _start in common/boot_x86_64.S, entered
 * in protected mode, paging off, %ebx pointing at the hvm_start_info.
 * It is the one Xen note Solo5's xen binding carries, too.
 */

#define XEN_ELFNOTE_PHYS32_ENTRY 18

    .section .note.solo5.xen, "a", @note
    .balign 4
    .long 4                        /* name size: "Xen" and its NUL */
    .long 4                        /* descriptor size */
    .long XEN_ELFNOTE_PHYS32_ENTRY
    .asciz "Xen"
    .long _start

/*
 * Xen writes the stubs (32 bytes per hypercall) into this page when we
 * give its physical address to the hypercall MSR (hypercall.c). It is
 * code, so it lives in .text; the hypervisor writes guest memory, not
 * through our read-only mapping. Until then every byte is INT3, so a
 * hypercall made too early traps with a report.
 */
    .section .text
    .balign 4096
    .globl hypercall_page
    .hidden hypercall_page
    .type hypercall_page, @object
hypercall_page:
    .fill 4096, 1, 0xcc
    .size hypercall_page, 4096

    .section .note.GNU-stack, "", @progbits
