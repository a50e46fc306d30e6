/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * irq_x86_64.S: entry stubs for interrupt lines 0..15 (IDT vectors 32..47)
 * in the bindings that own a PC. Each saves the registers a C call may
 * clobber (the stack is 16-byte aligned after the CPU's 40-byte frame and
 * these nine pushes), calls the binding's intr_dispatch(line), restores
 * and returns. irq_entry_table[line] is the stub's address, for
 * cpu_trap_set_interrupt().
 */

    .section .text
.macro irq_stub n
irq_entry_\n:
    pushq %rax
    pushq %rcx
    pushq %rdx
    pushq %rsi
    pushq %rdi
    pushq %r8
    pushq %r9
    pushq %r10
    pushq %r11
    movl $\n, %edi
    cld
    call intr_dispatch
    popq %r11
    popq %r10
    popq %r9
    popq %r8
    popq %rdi
    popq %rsi
    popq %rdx
    popq %rcx
    popq %rax
    iretq
.endm
.irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
    irq_stub \n
.endr

    .section .rodata
    .balign 8
    .globl irq_entry_table
    .hidden irq_entry_table
irq_entry_table:
.irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
    .quad irq_entry_\n
.endr

    .section .note.GNU-stack, "", @progbits
