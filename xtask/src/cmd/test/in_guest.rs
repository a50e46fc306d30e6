//! Cells for the emulated guest: the shell form of a cell, and its result
//! read back from the console as an outcome to judge.

use super::judge::Outcome;
use crate::model::tests::Test;
use crate::runner::{guest, xen};
use crate::util::process::sh_quote;
use anyhow::{Context, Result};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// One guest boot's worth of cells, with the files they need.
pub struct Batch {
    /// Guest path → host file.
    pub files: Vec<(String, PathBuf)>,
    pub tenders: Vec<PathBuf>,
    /// In the order of the cells given to `new`.
    pub cells: Vec<guest::Cell>,
    /// The host unikernel of each cell (for gdb on its core).
    unikernels: Vec<PathBuf>,
    /// The cells run xen-launch, whose hang guard exits 124.
    xen: bool,
}

impl Batch {
    /// `cells`: (test, host tender, host unikernel) each; `tapfd`: the
    /// guest arch's tapfd, shipped when a `pass_fds` cell has nets.
    pub fn new(cells: &[(&Test, &Path, &Path)], tapfd: Option<&Path>) -> Batch {
        let mut b = Batch {
            files: Vec::new(),
            tenders: Vec::new(),
            cells: Vec::new(),
            unikernels: Vec::new(),
            xen: false,
        };
        for (i, (t, tender, unikernel)) in cells.iter().enumerate() {
            let name = |p: &Path| {
                p.file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default()
            };
            let tender_guest = format!("/t/{}", name(tender));
            if !b.tenders.iter().any(|x| x == tender) {
                b.tenders.push(tender.to_path_buf());
                b.files.push((tender_guest.clone(), tender.to_path_buf()));
            }
            let uk_guest = format!("/t/{}", name(unikernel));
            b.files.push((uk_guest.clone(), unikernel.to_path_buf()));
            b.cells
                .push(guest_cell(&format!("c{i}"), t, &tender_guest, &uk_guest));
            b.unikernels.push(unikernel.to_path_buf());
        }
        if let Some(tapfd) = tapfd {
            if cells.iter().any(|(t, _, _)| needs_tapfd(t)) {
                b.files.push((TAPFD.to_string(), tapfd.to_path_buf()));
            }
        }
        b
    }

    /// Cells of a `xen` binding for the xen guest: (test, host unikernel)
    /// each, booted by the guest's launcher (runner/xen.rs).
    pub fn xen(cells: &[(&Test, &Path)]) -> Batch {
        let mut b = Batch {
            files: Vec::new(),
            tenders: Vec::new(),
            cells: Vec::new(),
            unikernels: Vec::new(),
            xen: true,
        };
        for (i, (t, unikernel)) in cells.iter().enumerate() {
            let name = unikernel
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let uk_guest = format!("/t/{name}");
            b.files.push((uk_guest.clone(), unikernel.to_path_buf()));
            b.cells
                .push(xen_cell(&format!("c{i}"), t, unikernel, &uk_guest));
            b.unikernels.push(unikernel.to_path_buf());
        }
        b
    }

    /// The outcome of cell `c` from what the guest reported.
    pub fn outcome(
        &self,
        c: &guest::Cell,
        r: &guest::CellResult,
        scratch: &Path,
    ) -> Result<Outcome> {
        let i = self
            .cells
            .iter()
            .position(|x| x.id == c.id)
            .context("a result for a cell not in the batch")?;
        let core = match &r.fetched {
            Some(bytes) => {
                let p = scratch.join(format!("{}.core", c.id));
                std::fs::write(&p, bytes)
                    .with_context(|| format!("cannot save the core to {}", p.display()))?;
                Some(p)
            }
            None => None,
        };
        // The shell reports death by signal N as 128 + N (N <= 64); 255 is
        // exit status 255 (a Solo5 abort), not a signal.
        let signalled = (129..=192).contains(&r.status);
        Ok(Outcome {
            core,
            unikernel: self.unikernels[i].clone(),
            exit: (!signalled).then_some(r.status),
            signal: signalled.then_some(r.status - 128),
            timed_out: r.timed_out || (self.xen && r.status == XEN_GUARD_STATUS),
            during_error: r
                .during_failed
                .then(|| "a command run during the test failed (see output)".to_string()),
            output: r.output.clone(),
            command: c.argv.join(" "),
            elapsed: Duration::ZERO,
            // A xen cell's own hang guard is the launcher's.
            timeout: if self.xen {
                c.timeout_secs.saturating_sub(XEN_GUARD_MARGIN)
            } else {
                c.timeout_secs
            },
        })
    }
}

/// Where the guest finds tapfd (tests/tools/tapfd.c).
const TAPFD: &str = "/t/tapfd";

/// Whether the cell passes taps by descriptor, which in the guest takes
/// tapfd (a shell cannot attach to a tap).
pub fn needs_tapfd(t: &Test) -> bool {
    t.pass_fds && !t.nets.is_empty()
}

/// xen-launch's status when its hang guard stopped QEMU.
const XEN_GUARD_STATUS: i32 = 124;

/// Seconds the guest's runner waits beyond xen-launch's own hang guard
/// (which kills QEMU, and says so) before it kills the launcher.
const XEN_GUARD_MARGIN: u64 = 15;

/// Taps for the cell's nets (10.0.N.1/24 on the guest's side), and the
/// pings to run while the unikernel serves; returns the tap names.
fn nets(id: &str, t: &Test, setup: &mut Vec<String>, during: &mut Vec<String>) -> Vec<String> {
    if !t.nets.is_empty() {
        // Taps of earlier cells persist and hold the same 10.0.N.1/24
        // addresses, which would route this cell's pings to them.
        setup.push(
            "for d in /sys/class/net/c*n*; do [ -e \"$d\" ] && tunctl -d \"${d##*/}\"; done"
                .to_string(),
        );
    }
    let mut taps = Vec::new();
    for i in 0..t.nets.len() {
        let tap = format!("{id}n{i}");
        setup.push(format!("tunctl -t {tap}"));
        setup.push(format!("ip addr add 10.0.{}.1/24 dev {tap}", i + 1));
        setup.push(format!("ip link set {tap} up"));
        if let Some(p) = &t.ping {
            if i == 0 {
                // As tests.toml says: once the unikernel serves (a xen
                // domain takes seconds to get there; a ping sent earlier
                // is lost and the unikernel waits for it forever).
                during.push(format!(
                    "n=0; until grep -q 'Serving ping' {out} || [ $n -ge {t} ]; do sleep 1; n=$((n + 1)); done",
                    out = guest::CELL_OUTPUT,
                    t = t.timeout()
                ));
            }
            // busybox ping has no -f; -A sends the next request as soon
            // as a reply arrives, -q keeps 2000 replies off the console.
            // Otherwise 0.2 s apart, as natively.
            during.push(format!(
                "ping -c {} -s {} -w {} {} 10.0.{}.2",
                p.count,
                p.size,
                t.timeout(),
                if p.flood { "-A -q" } else { "-i 0.2" },
                i + 1
            ));
        }
        taps.push(tap);
    }
    taps
}

/// The xen-launch form of a cell: images as disks in the manifest's order,
/// taps as network devices, under the launcher's hang guard.
fn xen_cell(id: &str, t: &Test, host_unikernel: &Path, unikernel: &str) -> guest::Cell {
    let mut argv: Vec<String> = [xen::LAUNCHER, "-A", xen::QEMU_ARGS, "-t"]
        .map(String::from)
        .to_vec();
    argv.push(t.timeout().to_string());
    let mut setup = Vec::new();
    let mut during = Vec::new();
    if let Some(mem) = t.mem {
        argv.extend(["-m".into(), mem.to_string()]);
    }
    for (name, size) in super::native::blocks_in_manifest_order(t, host_unikernel) {
        let img = format!("/tmp/{id}-{name}.img");
        setup.push(format!("rm -f {img}; truncate -s {size} {img}"));
        argv.extend(["-d".into(), img]);
    }
    for tap in nets(id, t, &mut setup, &mut during) {
        argv.extend(["-n".into(), tap]);
    }
    argv.push(unikernel.to_string());
    if !t.args.is_empty() {
        argv.push("--".into());
        argv.extend(t.args.iter().cloned());
    }
    guest::Cell {
        id: id.to_string(),
        argv,
        setup,
        during,
        fetch: None,
        timeout_secs: t.timeout() + XEN_GUARD_MARGIN,
    }
}

/// The shell form of a cell for the emulated guest.
fn guest_cell(id: &str, t: &Test, tender: &str, unikernel: &str) -> guest::Cell {
    let mut argv = vec![tender.to_string()];
    let mut setup = Vec::new();
    let mut during = Vec::new();
    if let Some(mem) = t.mem {
        argv.push(format!("--mem={mem}"));
    }
    let cell_dir = format!("/tmp/{id}.d");
    setup.push(format!("rm -rf {cell_dir}; mkdir -p {cell_dir}"));
    for a in &t.tender_args {
        argv.push(a.replace("{scratch}", &cell_dir));
    }
    // With pass_fds, the shell opens each image as descriptor 3, 4, ...
    // and tapfd each tap as the next ones (a shell cannot attach to a tap).
    let mut redirections = Vec::new();
    let mut tapfds: Vec<String> = Vec::new();
    for (name, size) in &t.blocks {
        let img = format!("/tmp/{id}-{name}.img");
        setup.push(format!("rm -f {img}; truncate -s {size} {img}"));
        if t.pass_fds {
            let fd = 3 + redirections.len();
            redirections.push(format!("{fd}<>{img}"));
            argv.push(format!("--block:{name}=@{fd}"));
        } else {
            argv.push(format!("--block:{name}={img}"));
        }
    }
    for (i, (name, tap)) in t
        .nets
        .iter()
        .zip(nets(id, t, &mut setup, &mut during))
        .enumerate()
    {
        if t.pass_fds {
            let fd = 3 + t.blocks.len() + i;
            tapfds.extend([TAPFD.to_string(), fd.to_string(), tap.clone(), "--".into()]);
            argv.push(format!("--net:{name}=@{fd}"));
        } else {
            argv.push(format!("--net:{name}={tap}"));
        }
    }
    argv.push(unikernel.to_string());
    argv.extend(t.args.iter().cloned());
    // tapfd attaches to each tap in turn and execs the next word.
    tapfds.append(&mut argv);
    argv = tapfds;
    if !redirections.is_empty() {
        // The cell's words are quoted one by one; the redirections need a
        // shell of their own, which then becomes the tender.
        let words: Vec<String> = argv.iter().map(|a| sh_quote(a)).collect();
        let line = format!("exec {} {}", words.join(" "), redirections.join(" "));
        argv = vec!["sh".to_string(), "-c".to_string(), line];
    }
    // A core comes back over the console, base64-encoded.
    let fetch = t.expect_core.then(|| format!("{cell_dir}/core.*"));
    guest::Cell {
        id: id.to_string(),
        argv,
        setup,
        during,
        fetch,
        timeout_secs: t.timeout(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xen_cells_run_the_launcher_with_disks_taps_and_its_hang_guard() {
        let t: Test = toml::from_str(
            r#"
            name = "x"
            bindings = ["xen"]
            nets = ["a", "b"]
            blocks = { storage = 512 }
            mem = 64
            args = ["10", "x y"]
            ping = { count = 3 }
            timeout_secs = 20
            "#,
        )
        .unwrap();
        let c = xen_cell("c3", &t, Path::new("/nonexistent/u"), "/t/u");
        assert_eq!(
            c.argv,
            [
                xen::LAUNCHER,
                "-A",
                xen::QEMU_ARGS,
                "-t",
                "20",
                "-m",
                "64",
                "-d",
                "/tmp/c3-storage.img",
                "-n",
                "c3n0",
                "-n",
                "c3n1",
                "/t/u",
                "--",
                "10",
                "x y"
            ]
        );
        // The runner's kill comes after the launcher's own guard.
        assert_eq!(c.timeout_secs, 20 + XEN_GUARD_MARGIN);
        assert!(
            c.setup.iter().any(|l| l == "tunctl -t c3n1"),
            "{:?}",
            c.setup
        );
        assert!(
            c.during[0].contains("Serving ping") && c.during[1].starts_with("ping -c 3"),
            "pings wait for the unikernel: {:?}",
            c.during
        );
        let b = Batch::xen(&[(&t, Path::new("/nonexistent/u"))]);
        let r = guest::CellResult {
            status: 124,
            timed_out: false,
            during_failed: false,
            output: String::new(),
            fetched: None,
        };
        let o = b
            .outcome(&b.cells[0], &r, Path::new("/nonexistent"))
            .unwrap();
        assert!(o.timed_out, "the launcher's 124 is a timeout");
        assert_eq!(o.timeout, 20, "the launcher's guard, not the runner's kill");
    }

    #[test]
    fn pass_fds_taps_go_through_tapfd_after_the_images() {
        let t: Test = toml::from_str(
            r#"
            name = "x"
            source = "net"
            bindings = ["hvt"]
            nets = ["a", "b"]
            blocks = { storage = 1048576 }
            pass_fds = true
            "#,
        )
        .unwrap();
        let c = guest_cell("c0", &t, "/t/solo5-hvt", "/t/u");
        assert_eq!(c.argv[..2], ["sh", "-c"]);
        assert_eq!(
            c.argv[2],
            "exec /t/tapfd 4 c0n0 -- /t/tapfd 5 c0n1 -- /t/solo5-hvt \
             --block:storage=@3 --net:a=@4 --net:b=@5 /t/u 3<>/tmp/c0-storage.img"
        );
    }
}
