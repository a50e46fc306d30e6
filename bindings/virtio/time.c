/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * time.c: the clocks and the wake-up timer. Monotonic time is the TSC,
 * whose frequency we measure at start of day against PIT channel 2 (its
 * input clock is a fixed 1.193182 MHz on every PC). Wall time is the CMOS
 * real-time clock, read once at start of day, plus monotonic time. PIT
 * channel 0 (line 0 of the master PIC) is the one-shot timer that wakes
 * solo5_yield() from HLT.
 */

#include "virtio.h"

#define NSEC_PER_SEC 1000000000ULL
#define PIT_HZ 1193182ULL

#define PIT_CH0 0x40
#define PIT_CH2 0x42
#define PIT_MODE 0x43
#define PIT_SEL_CH0 0x00
#define PIT_SEL_CH2 0x80
#define PIT_LOHI 0x30       /* access: low byte, then high byte */
#define PIT_MODE0 0x00      /* interrupt on terminal count (one shot) */
#define PORT_B 0x61         /* NMI status and control */
#define PORT_B_GATE2 0x01   /* channel 2 counts while set */
#define PORT_B_SPEAKER 0x02 /* channel 2 output to the speaker */
#define PORT_B_OUT2 0x20    /* channel 2 output, read-only */

/* Calibration interval: 20 ms of PIT ticks. Longer is more precise; the
 * whole interval is boot time. */
#define CALIBRATION_TICKS (PIT_HZ / 50)
#define CALIBRATION_TSC_LIMIT (1ULL << 36)

#define RTC_INDEX 0x70
#define RTC_DATA 0x71
#define RTC_NMI_OFF 0x80 /* keep NMIs disabled while we index the CMOS */

static uint64_t tick_base;   /* TSC at start of day */
static uint64_t ns_per_tick; /* 32.32 fixed point */
static uint64_t wall_base;   /* wall clock at start of day, ns */

static void timer_irq(void)
{
    /* Waking the CPU from HLT was the whole job. */
}

static uint64_t measure_tsc_hz(void)
{
    uint8_t b = inb(PORT_B);

    /* Gate off, speaker off, then channel 2 in mode 0 with the count. */
    outb(PORT_B, (uint8_t)(b & ~(PORT_B_GATE2 | PORT_B_SPEAKER)));
    outb(PIT_MODE, PIT_SEL_CH2 | PIT_LOHI | PIT_MODE0);
    outb(PIT_CH2, (uint8_t)CALIBRATION_TICKS);
    outb(PIT_CH2, (uint8_t)(CALIBRATION_TICKS >> 8));

    uint64_t t0 = rdtsc();
    outb(PORT_B, (uint8_t)((b & ~PORT_B_SPEAKER) | PORT_B_GATE2));
    /* Bounded: a machine without a working PIT must not hang here. 2^36
     * TSC ticks are over 10 s on any CPU of this century. */
    uint64_t t1;
    bool counted;
    do {
        counted = inb(PORT_B) & PORT_B_OUT2;
        t1 = rdtsc();
    } while (!counted && t1 - t0 < CALIBRATION_TSC_LIMIT);
    outb(PORT_B, b);
    if (!counted)
        return 0;

    return (t1 - t0) * PIT_HZ / CALIBRATION_TICKS;
}

static uint8_t cmos_read(uint8_t reg)
{
    outb(RTC_INDEX, RTC_NMI_OFF | reg);
    return inb(RTC_DATA);
}

static unsigned from_bcd(uint8_t v, bool binary)
{
    return binary ? v : (unsigned)(v >> 4) * 10 + (v & 0xf);
}

/* Days from 1970-01-01 to (y, m, d) in the proleptic Gregorian calendar. */
static uint64_t days_from_civil(unsigned y, unsigned m, unsigned d)
{
    /* Count years from March, so that the leap day is the year's last. */
    if (m <= 2)
        y--;
    uint64_t era = y / 400;
    uint64_t yoe = y - era * 400;
    uint64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    uint64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* Seconds since the epoch from the CMOS clock (UTC, as hypervisors keep
 * it), read twice until two reads agree so no update falls in between. */
static uint64_t rtc_seconds(void)
{
    uint8_t r[7], prev[7];

    for (int tries = 0;; tries++) {
        /* An update takes under 2 ms; reads of a missing RTC give 0xff
         * for ever, hence the bound. */
        for (int spin = 0; spin < 100000 && (cmos_read(0x0a) & 0x80); spin++)
            ;
        const uint8_t regs[7] = {0x00, 0x02, 0x04, 0x07, 0x08, 0x09, 0x32};
        for (int i = 0; i < 7; i++)
            r[i] = cmos_read(regs[i]);
        if (tries > 0 && memcmp(r, prev, sizeof r) == 0)
            break;
        memcpy(prev, r, sizeof r);
    }
    uint8_t status_b = cmos_read(0x0b);
    bool binary = status_b & 0x04;
    bool h24 = status_b & 0x02;

    unsigned sec = from_bcd(r[0], binary);
    unsigned min = from_bcd(r[1], binary);
    unsigned hour = from_bcd(r[2] & 0x7f, binary);
    if (!h24 && (r[2] & 0x80))
        hour = (hour % 12) + 12;
    else if (!h24)
        hour %= 12;
    unsigned day = from_bcd(r[3], binary);
    unsigned month = from_bcd(r[4], binary);
    unsigned year = from_bcd(r[5], binary);
    unsigned century = from_bcd(r[6], binary);
    /* No century register (0 or nonsense): assume the 21st. */
    year += (century >= 19 && century <= 30) ? century * 100 : 2000;
    if (month < 1 || month > 12 || day < 1 || day > 31)
        return 0;

    return days_from_civil(year, month, day) * 86400 + hour * 3600ULL +
           min * 60ULL + sec;
}

void time_init(void)
{
    uint64_t hz = measure_tsc_hz();

    if (hz == 0)
        bindings_panic("cannot measure the TSC frequency: PIT channel 2 "
                       "does not count");
    ns_per_tick = (NSEC_PER_SEC << 32) / hz;
    tick_base = rdtsc();
    wall_base = rtc_seconds() * NSEC_PER_SEC;
    log_printf(LOG_DEBUG, "Solo5: TSC at %llu Hz\n", (unsigned long long)hz);

    intr_register(0, timer_irq);
    intr_unmask(0);
}

solo5_time_t solo5_clock_monotonic(void)
{
    uint64_t ticks = rdtsc() - tick_base;

    return (solo5_time_t)(((unsigned __int128)ticks * ns_per_tick) >> 32);
}

solo5_time_t solo5_clock_wall(void)
{
    return wall_base + solo5_clock_monotonic();
}

void time_arm_timer(uint64_t ns)
{
    uint64_t ticks = ns / 1000 * PIT_HZ / 1000000 + 1;

    if (ticks > 0xffff)
        ticks = 0xffff;
    /* Writing the mode sets the output low; it rises (and interrupts)
     * when the count runs out. */
    outb(PIT_MODE, PIT_SEL_CH0 | PIT_LOHI | PIT_MODE0);
    outb(PIT_CH0, (uint8_t)ticks);
    outb(PIT_CH0, (uint8_t)(ticks >> 8));
}
