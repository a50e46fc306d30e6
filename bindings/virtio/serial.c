/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * serial.c: the console, on the first PC serial port (COM1, a 16550 UART at
 * I/O port 0x3f8), 115200 baud, 8 data bits, no parity, 1 stop bit, output
 * only and polled. Bytes go out unchanged (no CR is added to LF): a test
 * that hashes its output sees exactly what the application wrote.
 */

#include "virtio.h"

#define COM1 0x3f8
#define UART_DATA 0 /* with DLAB: divisor low byte */
#define UART_IER 1  /* with DLAB: divisor high byte */
#define UART_FCR 2
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5

#define LCR_8N1 0x03
#define LCR_DLAB 0x80
#define FCR_ENABLE_CLEAR 0x07
#define MCR_DTR_RTS 0x03
#define LSR_THR_EMPTY 0x20

/* Spins at most this many times per byte for the transmitter: a UART that
 * never drains (none there) must not hang the unikernel. */
#define TX_SPIN_LIMIT 100000

void serial_init(void)
{
    outb(COM1 + UART_IER, 0x00); /* no interrupts */
    outb(COM1 + UART_LCR, LCR_DLAB);
    outb(COM1 + UART_DATA, 1); /* 115200 / 1 */
    outb(COM1 + UART_IER, 0);
    outb(COM1 + UART_LCR, LCR_8N1);
    outb(COM1 + UART_FCR, FCR_ENABLE_CLEAR);
    outb(COM1 + UART_MCR, MCR_DTR_RTS);
}

void serial_write(const char *buf, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        for (int spin = 0; spin < TX_SPIN_LIMIT; spin++) {
            if (inb(COM1 + UART_LSR) & LSR_THR_EMPTY)
                break;
            __asm__ __volatile__("pause");
        }
        outb(COM1 + UART_DATA, (uint8_t)buf[i]);
    }
}
