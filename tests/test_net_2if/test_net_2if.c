/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * test_net_2if: test_net with two network devices, service0 (10.0.1.2)
 * and service1 (10.0.2.2), served at the same time.
 */

#define TEST_NET_NIFS 2
#include "../test_net/test_net.c"
