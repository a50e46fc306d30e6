/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * boot_x86_64.S: from a PC boot loader to C, for the bindings that own an
 * x86_64 machine. Multiboot loaders (virtio) and PVH loaders (xen) both
 * start us in 32-bit protected mode with flat segments and paging off,
 * with %ebx pointing at their boot information (multiboot: the magic in
 * %eax too; PVH: the magic is inside the information). We identity-map
 * the first 4 GiB with 2 MiB pages, enter long mode and call
 * boot_start(eax, ebx) on a boot stack in .bss. Each binding's own file
 * says how a loader finds _start (multiboot header, PVH ELF note).
 */

#define CR0_PE (1 << 0)
#define CR0_PG (1 << 31)
#define CR4_PAE (1 << 5)
#define MSR_EFER 0xc0000080
#define EFER_LME (1 << 8)

#define PTE_P 0x1
#define PTE_W 0x2
#define PTE_PS 0x80 /* 2 MiB page, in a page directory entry */

#define BOOT_STACK_SIZE 16384

    .section .bss
    .balign 4096
boot_pml4:
    .skip 4096
boot_pdpt:
    .skip 4096
boot_pd:
    .skip 4 * 4096
    .balign 16
boot_stack:
    .skip BOOT_STACK_SIZE
boot_stack_top:
boot_eax:
    .skip 4
boot_ebx:
    .skip 4

    .section .rodata
    .balign 16
boot_gdt:
    .quad 0
    .quad 0x00af9a000000ffff /* 0x08: 64-bit code, ring 0 */
    .quad 0x00cf92000000ffff /* 0x10: flat data, ring 0 */
boot_gdt_end:
boot_gdt_ptr:
    .word boot_gdt_end - boot_gdt - 1
    .long boot_gdt

    .section .text
    .code32
    .globl _start
    .type _start, @function
_start:
    cli
    cld
    movl %eax, boot_eax
    movl %ebx, boot_ebx
    movl $boot_stack_top, %esp

    /* 2048 page directory entries of 2 MiB each: 0 .. 4 GiB. */
    movl $boot_pd, %edi
    xorl %ecx, %ecx
1:  movl %ecx, %eax
    shll $21, %eax
    orl $(PTE_P | PTE_W | PTE_PS), %eax
    movl %eax, (%edi, %ecx, 8)
    movl %ecx, %eax
    shrl $11, %eax /* bits 32 and up of the address */
    movl %eax, 4(%edi, %ecx, 8)
    incl %ecx
    cmpl $2048, %ecx
    jne 1b

    /* Four page directory pointers, one page map level 4 entry. */
    movl $boot_pdpt, %edi
    xorl %ecx, %ecx
2:  movl %ecx, %eax
    shll $12, %eax
    addl $(boot_pd + PTE_P + PTE_W), %eax
    movl %eax, (%edi, %ecx, 8)
    incl %ecx
    cmpl $4, %ecx
    jne 2b
    movl $(boot_pdpt + PTE_P + PTE_W), boot_pml4

    movl %cr4, %eax
    orl $CR4_PAE, %eax
    movl %eax, %cr4
    movl $boot_pml4, %eax
    movl %eax, %cr3
    movl $MSR_EFER, %ecx
    rdmsr
    orl $EFER_LME, %eax
    wrmsr
    movl %cr0, %eax
    orl $(CR0_PE | CR0_PG), %eax
    movl %eax, %cr0

    lgdt boot_gdt_ptr
    ljmp $0x08, $long_mode

    .code64
long_mode:
    movl $0x10, %eax
    movl %eax, %ds
    movl %eax, %es
    movl %eax, %ss
    movl %eax, %fs
    movl %eax, %gs
    movq $boot_stack_top, %rsp
    movl boot_eax, %edi
    movl boot_ebx, %esi
    call boot_start
3:  cli
    hlt
    jmp 3b
    .size _start, . - _start

/* void boot_switch_stack(uint64_t stack_top, void (*fn)(void)) */
    .globl boot_switch_stack
    .hidden boot_switch_stack
    .type boot_switch_stack, @function
boot_switch_stack:
    movq %rdi, %rsp
    xorl %ebp, %ebp
    call *%rsi
4:  cli
    hlt
    jmp 4b
    .size boot_switch_stack, . - boot_switch_stack

    .section .note.GNU-stack, "", @progbits
