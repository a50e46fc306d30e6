/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * hypercall.c: calls into Xen. The hypervisor announces itself in a block
 * of CPUID leaves from 0x40000000 on (stepping 0x100: a hypervisor that
 * also emulates another's interface puts Xen's block higher up), with
 * "XenVMMXenVMM" as signature; leaf base+2 names the MSR that makes Xen
 * write the hypercall stubs into a page of ours. Stub n is at byte 32 * n;
 * arguments go in %rdi, %rsi, %rdx, the result comes back in %rax.
 */

#include "xen.h"

#define CPUID_XEN_FIRST 0x40000000U
#define CPUID_XEN_LAST 0x40010000U
#define XEN_SIG_EBX 0x566e6558U /* "XenV" */
#define XEN_SIG_ECX 0x65584d4dU /* "MMXe" */
#define XEN_SIG_EDX 0x4d4d566eU /* "nVMM" */

#define HVMOP_set_param 0
#define HVMOP_get_param 1
#define SCHEDOP_shutdown 2

extern uint8_t hypercall_page[PAGE_SIZE];

bool hypercall_init(void)
{
    uint32_t base;

    for (base = CPUID_XEN_FIRST; base < CPUID_XEN_LAST; base += 0x100) {
        struct cpuid_regs r = cpuid(base, 0);
        if (r.ebx == XEN_SIG_EBX && r.ecx == XEN_SIG_ECX &&
            r.edx == XEN_SIG_EDX && r.eax - base >= 2)
            break;
    }
    if (base >= CPUID_XEN_LAST)
        return false;
    struct cpuid_regs r = cpuid(base + 2, 0);
    if (r.eax < 1)
        return false;
    wrmsr(r.ebx, (uint64_t)(uintptr_t)hypercall_page);
    /* The page was all INT3; the hypervisor has now written stubs. */
    return hypercall_page[0] != 0xcc;
}

long hypercall(unsigned nr, uint64_t a1, uint64_t a2, uint64_t a3)
{
    long ret;
    void *stub = hypercall_page + 32 * nr;

    /* The hypervisor may change the argument registers. */
    __asm__ __volatile__("call *%[stub]"
                         : "=a"(ret), "+D"(a1), "+S"(a2), "+d"(a3)
                         : [stub] "r"(stub)
                         : "memory", "rcx", "r8", "r9", "r10", "r11");
    return ret;
}

struct xen_hvm_param {
    uint16_t domid;
    uint16_t pad;
    uint32_t index;
    uint64_t value;
};

uint64_t hvm_param(uint32_t index)
{
    struct xen_hvm_param p = {.domid = DOMID_SELF, .index = index};
    long rc = hypercall(HYPERVISOR_hvm_op, HVMOP_get_param, (uintptr_t)&p, 0);

    if (rc != 0)
        bindings_panic("HVMOP_get_param %u: error %ld", (unsigned)index, rc);
    return p.value;
}

int hvm_set_param(uint32_t index, uint64_t value)
{
    struct xen_hvm_param p = {
        .domid = DOMID_SELF, .index = index, .value = value};

    return (int)hypercall(HYPERVISOR_hvm_op, HVMOP_set_param, (uintptr_t)&p, 0);
}

void sched_shutdown(unsigned reason)
{
    uint32_t arg = reason;

    (void)hypercall(HYPERVISOR_sched_op, SCHEDOP_shutdown, (uintptr_t)&arg, 0);
}

#define XENMEM_add_to_physmap 7

struct xen_add_to_physmap {
    uint16_t domid;
    uint16_t size;
    uint32_t space;
    uint64_t idx;
    uint64_t gpfn;
};

long physmap_add(unsigned space, uint64_t idx, void *page)
{
    struct xen_add_to_physmap xatp = {
        .domid = DOMID_SELF,
        .space = space,
        .idx = idx,
        .gpfn = (uintptr_t)page >> 12,
    };

    return hypercall(HYPERVISOR_memory_op, XENMEM_add_to_physmap,
                     (uintptr_t)&xatp, 0);
}
