/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * module.h: optional tender features (block devices, networking, ...) as
 * modules. Each module is one file that ends with TENDER_MODULE(x); the
 * linker gathers the registrations into one array, so adding a module
 * touches nothing else.
 *
 * struct tender and struct tender_policy_in are defined by each tender (spt.h,
 * hvt.h).
 */

#ifndef TENDER_MODULE_H
#define TENDER_MODULE_H

#include <stdbool.h>

struct tender;
struct tender_policy_in;
struct sc_policy;

struct tender_module {
    const char *name;
    /* Lines for --help, each "  --option  explanation\n". */
    const char *usage;
    /*
     * Offered every option before the unikernel name that the core does
     * not handle. Returns true if the option is the module's (dying with a
     * message if it is malformed), false to let others look at it.
     */
    bool (*handle_arg)(struct tender *t, const char *arg);
    /* Runs once all options are handled and guest memory is set up. */
    void (*setup)(struct tender *t);
    /*
     * Adds the module's seccomp rules to (p). Depends on nothing but (in),
     * plain values (descriptors, device sizes) that setup() left there or
     * a test made up: no system calls, no other state.
     */
    void (*policy)(struct sc_policy *p, const struct tender_policy_in *in);
};

/*
 * Registration: a pointer to each module in section "tender_modules".
 * Pointers rather than the structs themselves, so compiler padding can
 * never put gaps between the entries.
 */
#define TENDER_MODULE(m)                                                       \
    static const struct tender_module *const m##_registration                  \
        __attribute__((used, section("tender_modules"))) = &(m)

extern const struct tender_module *const __start_tender_modules[];
extern const struct tender_module *const __stop_tender_modules[];

#define FOR_EACH_TENDER_MODULE(mp)                                             \
    for (const struct tender_module *const *mp = __start_tender_modules;       \
         mp < __stop_tender_modules; mp++)

#endif /* TENDER_MODULE_H */
