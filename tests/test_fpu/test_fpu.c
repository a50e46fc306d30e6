/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * test_fpu: scalar floating point and vector (SSE on x86_64) arithmetic
 * give the right results, also across calls into the bindings.
 */

#include "../common/testlib.h"

typedef float v4sf __attribute__((vector_size(16)));
typedef double v2df __attribute__((vector_size(16)));

static volatile double three = 3.0;
static volatile float f_in[4] = {1.5f, -2.25f, 3.0f, 0.125f};

static double fabs_(double x)
{
    return x < 0 ? -x : x;
}

static double newton_sqrt(double x)
{
    double r = x;

    for (int i = 0; i < 40; i++)
        r = 0.5 * (r + x / r);
    return r;
}

int solo5_app_main(const struct solo5_start_info *si)
{
    (void)si;
    t_banner("fpu");

    /* Scalar: Basel series and a square root. */
    double sum = 0.0;
    for (int k = 1; k <= 100000; k++)
        sum += 1.0 / ((double)k * (double)k);
    /* pi^2/6 minus the tail, ~1/100000 */
    if (fabs_(sum - (1.6449340668482264 - 0.0000099999500003)) > 1e-9)
        return t_fail("scalar double arithmetic is wrong");
    double r = newton_sqrt(three);
    if (fabs_(r * r - 3.0) > 1e-12)
        return t_fail("square root by Newton's method is wrong");

    /* Vectors. */
    v4sf a = {f_in[0], f_in[1], f_in[2], f_in[3]};
    v4sf b = {2.0f, 4.0f, -1.0f, 8.0f};
    v4sf c = a * b + a;
    const float want[4] = {4.5f, -11.25f, 0.0f, 1.125f};
    for (int i = 0; i < 4; i++) {
        if (c[i] != want[i])
            return t_fail("float vector arithmetic is wrong");
    }
    v2df d = {three, 0.5};
    v2df e = d / (v2df){2.0, 0.25};
    if (e[0] != 1.5 || e[1] != 2.0)
        return t_fail("double vector arithmetic is wrong");

    /* Registers survive a trip through the bindings. */
    v4sf keep = c * (v4sf){2.0f, 2.0f, 2.0f, 2.0f};
    double keep_d = r * three;
    solo5_yield(solo5_clock_monotonic() + 1000000ULL, NULL);
    t_puts("(yielded)\n");
    for (int i = 0; i < 4; i++) {
        if (keep[i] != want[i] * 2.0f)
            return t_fail("vector registers changed across solo5_yield()");
    }
    if (fabs_(keep_d - 3.0 * newton_sqrt(3.0)) > 1e-12)
        return t_fail("FPU registers changed across solo5_yield()");

    t_puts("SUCCESS\n");
    return SOLO5_EXIT_SUCCESS;
}
