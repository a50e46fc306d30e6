//! The end-to-end proof of `--block:NAME=@FD` and `--net:NAME=@FD` with
//! the installed tenders: a shell script outside the repository opens a
//! disk image (`exec 3<>disk.img`) and a tap (through tapfd, built from
//! `tests/tools/tapfd.c` into the scratch directory), passes both by
//! descriptor to the installed tender, and a unikernel built with the
//! installed toolchain uses both: it reads what the script wrote on the
//! disk, writes a block of its own, sends a frame and waits for one (the
//! ARP request of a ping). spt runs natively, as root, with its tap in a
//! network namespace of its own; other placements run in the guest.

use super::e2e::{clean, script, Verdict};
use crate::model::layout::solo5_triple;
use crate::runner::guest;
use anyhow::{bail, Result};
use std::path::{Path, PathBuf};

const NETBLK_C: &str = r#"/* Uses a block device and a net device, both passed by descriptor. */
#include <stddef.h>
#include <stdint.h>
#include <solo5.h>

static void put(const char *s)
{
    size_t n = 0;

    while (s[n])
        n++;
    solo5_console_write(s, n);
}

static int starts(const uint8_t *buf, const char *s)
{
    for (size_t i = 0; s[i]; i++)
        if (buf[i] != (uint8_t)s[i])
            return 0;
    return 1;
}

static uint8_t block[4096];
static uint8_t frame[65536 + SOLO5_NET_HLEN];

int solo5_app_main(const struct solo5_start_info *si)
{
    struct solo5_block_info bi;
    struct solo5_net_info ni;
    solo5_handle_t bh, nh;
    const char *mine = "written by the unikernel\n";
    size_t n;

    (void)si;
    if (solo5_block_acquire("storage", &bh, &bi) != SOLO5_R_OK ||
        bi.block_size > sizeof block ||
        solo5_block_read(bh, 0, block, bi.block_size) != SOLO5_R_OK ||
        !starts(block, "solo5 e2e disk\n")) {
        put("block: the script's data was not read\n");
        return SOLO5_EXIT_FAILURE;
    }
    put("block: read the script's data\n");
    for (n = 0; mine[n]; n++)
        block[n] = (uint8_t)mine[n];
    if (solo5_block_write(bh, bi.block_size, block, bi.block_size) !=
        SOLO5_R_OK) {
        put("block: write failed\n");
        return SOLO5_EXIT_FAILURE;
    }
    put("block: wrote block 1\n");
    if (solo5_net_acquire("service", &nh, &ni) != SOLO5_R_OK ||
        ni.mtu + SOLO5_NET_HLEN > sizeof frame) {
        put("net: cannot acquire service\n");
        return SOLO5_EXIT_FAILURE;
    }
    for (n = 0; n < 6; n++) {
        frame[n] = 0xff;
        frame[6 + n] = ni.mac_address[n];
    }
    frame[12] = 0x88; /* local experimental ethertype */
    frame[13] = 0xb5;
    for (n = 14; n < 60; n++)
        frame[n] = 0;
    if (solo5_net_write(nh, frame, 60) != SOLO5_R_OK) {
        put("net: write failed\n");
        return SOLO5_EXIT_FAILURE;
    }
    put("net: sent a frame\n");
    solo5_time_t deadline = solo5_clock_monotonic() + 20000000000ULL;
    while (solo5_clock_monotonic() < deadline) {
        solo5_handle_set_t ready = 0;

        solo5_yield(deadline, &ready);
        if ((ready & (1ULL << nh)) &&
            solo5_net_read(nh, frame, ni.mtu + SOLO5_NET_HLEN, &n) ==
                SOLO5_R_OK) {
            put("net: received a frame\nSUCCESS\n");
            return SOLO5_EXIT_SUCCESS;
        }
    }
    put("net: no frame came\n");
    return SOLO5_EXIT_FAILURE;
}
"#;

const NETBLK_MANIFEST: &str = r#"{"type":"solo5.manifest","version":1,"devices":[
{"name":"storage","type":"BLOCK_BASIC"},{"name":"service","type":"NET_BASIC"}]}"#;

/// What the unikernel prints when it used both devices.
pub const EXPECT: [&str; 4] = [
    "block: read the script's data",
    "block: wrote block 1",
    "net: sent a frame",
    "net: received a frame",
];

/// What the guest's shell says when the unikernel's block is on the disk.
pub const GUEST_DISK: &str = "disk: the unikernel wrote block 1";

/// The disk image as the script prepares it (one line in block 0).
const DISK_PREP: &str = "truncate -s 1M disk.img\n\
     printf 'solo5 e2e disk\\n' | dd of=disk.img conv=notrunc 2>/dev/null\n";

/// Builds the unikernel for each binding with the installed toolchain of
/// `arch`; returns the unikernel per binding.
pub fn build(
    work: &Path,
    bins: &[PathBuf],
    arch: &str,
    bindings: &[String],
) -> Result<Vec<(String, PathBuf)>> {
    let dir = work.join(format!("{arch}-netblk"));
    std::fs::create_dir_all(&dir)?;
    std::fs::write(dir.join("netblk.c"), NETBLK_C)?;
    std::fs::write(dir.join("manifest.json"), NETBLK_MANIFEST)?;
    let t = solo5_triple(arch);
    let mut text = format!(
        "{t}-cc -O2 -Wall -Werror -c netblk.c -o netblk.o\n\
         solo5-elftool gen-manifest manifest.json manifest.c\n\
         {t}-cc -c manifest.c -o manifest.o\n"
    );
    for b in bindings {
        text.push_str(&format!(
            "{t}-cc -z solo5-abi={b} netblk.o manifest.o -o netblk.{b}\n"
        ));
    }
    script(&dir, bins, &text)?;
    Ok(bindings
        .iter()
        .map(|b| (b.clone(), dir.join(format!("netblk.{b}"))))
        .collect())
}

/// The check's name for (arch, binding).
pub fn check_name(arch: &str, binding: &str) -> String {
    format!("e2e {arch} {binding}: installed tender, disk and tap passed by descriptor")
}

/// Natively, as root: the script makes a network namespace with a tap,
/// opens the disk and the tap and runs the installed tender on them.
pub fn run_native(
    work: &Path,
    bins: &[PathBuf],
    tapfd: &Path,
    tender: &Path,
    unikernel: &Path,
) -> Verdict {
    let root = crate::util::process::all_output(clean("id", work, bins).arg("-u"))
        .is_ok_and(|u| u.trim() == "0");
    if !root {
        return Verdict::Skip("needs root (a network namespace and a tap)".into());
    }
    let dir = work.join("netblk-native");
    let ns = format!("solo5-e2e-{}", std::process::id());
    let result = std::fs::create_dir_all(&dir)
        .map_err(anyhow::Error::from)
        .and_then(|()| native_script(&dir, bins, &ns, tapfd, tender, unikernel));
    let _ = std::process::Command::new("ip")
        .args(["netns", "del", &ns])
        .output();
    match result {
        Ok(d) => Verdict::Pass(format!(" ({d})")),
        Err(e) => Verdict::Fail(format!("{e:#}")),
    }
}

fn native_script(
    dir: &Path,
    bins: &[PathBuf],
    ns: &str,
    tapfd: &Path,
    tender: &Path,
    unikernel: &Path,
) -> Result<String> {
    let (tapfd, tender, uk) = (tapfd.display(), tender.display(), unikernel.display());
    let text = format!(
        "export PATH=\"$PATH:/usr/sbin:/sbin\"\n\
         in_ns() {{ ip netns exec {ns} \"$@\"; }}\n\
         ip netns add {ns}\n\
         in_ns ip link set lo up\n\
         in_ns ip tuntap add e2etap0 mode tap\n\
         in_ns ip addr add 10.9.0.1/24 dev e2etap0\n\
         in_ns ip link set e2etap0 up\n\
         {DISK_PREP}\
         in_ns sh -c 'exec 3<>disk.img; exec {tapfd} 4 e2etap0 -- {tender} \
         --block:storage=@3 --net:service=@4 {uk}' >out.txt 2>&1 &\n\
         pid=$!\n\
         sleep 1\n\
         in_ns ping -c 3 -i 0.5 -W 1 10.9.0.2 >/dev/null 2>&1 || true\n\
         status=0; wait $pid || status=$?\n\
         cat out.txt\n\
         test $status -eq 0\n\
         grep -q 'written by the unikernel' disk.img\n\
         rx=$(in_ns cat /sys/class/net/e2etap0/statistics/rx_packets)\n\
         echo \"tap rx_packets $rx\"\n\
         test \"$rx\" -gt 0\n"
    );
    let log = script(dir, bins, &text)?;
    if let Some(missing) = EXPECT.iter().find(|e| !log.contains(*e)) {
        bail!("the unikernel did not say {missing:?}:\n{}", log.trim_end());
    }
    Ok("in a network namespace of its own".into())
}

/// The guest cell: the tap made with tunctl in the guest (a machine of
/// its own), the disk opened by the shell, the tap by tapfd.
pub fn guest_cell(b: &str, tender_at: &str, unikernel_at: &str) -> guest::Cell {
    let img = format!("/tmp/e2e-{b}-disk.img");
    let tap = format!("e2e{b}0");
    let line = format!(
        "/t/tapfd 4 {tap} -- {tender_at} --block:storage=@3 --net:service=@4 \
         {unikernel_at} 3<>{img}; rc=$?; grep -q 'written by the unikernel' {img} \
         && echo '{GUEST_DISK}'; exit $rc"
    );
    guest::Cell {
        id: format!("e2efd{b}"),
        argv: vec!["sh".into(), "-c".into(), line],
        setup: vec![
            format!("truncate -s 1M {img}"),
            format!("printf 'solo5 e2e disk\\n' | dd of={img} conv=notrunc"),
            format!("tunctl -t {tap}"),
            format!("ip addr add 10.9.0.1/24 dev {tap}"),
            format!("ip link set {tap} up"),
        ],
        during: vec![
            "sleep 1".into(),
            "ping -c 3 -i 0.5 -w 3 10.9.0.2 >/dev/null 2>&1 || true".into(),
        ],
        fetch: None,
        timeout_secs: 30,
    }
}
