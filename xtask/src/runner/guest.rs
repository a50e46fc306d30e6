//! An emulated Linux guest for running tests where the build machine
//! cannot: a Debian kernel and busybox, fetched with `apt-get download`
//! into a cache under target/, an initramfs holding the tenders, the test
//! unikernels and a shell runner, booted under QEMU. One boot runs a whole
//! batch of cells; results come back as marked lines on the serial console.

use crate::model::targets::{Guest, Targets};
use crate::util::process::{self, sh_quote};
use anyhow::{bail, Context, Result};
use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// newc cpio archive builder (the format the kernel unpacks as initramfs).
#[derive(Default)]
pub struct Cpio {
    out: Vec<u8>,
    ino: u32,
    dirs: std::collections::BTreeSet<String>,
}

impl Cpio {
    fn entry(&mut self, name: &str, mode: u32, data: &[u8]) {
        self.ino += 1;
        let header = format!(
            "070701{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}",
            self.ino,
            mode,
            0,
            0,
            1,
            0,
            data.len(),
            0,
            0,
            0,
            0,
            name.len() + 1,
            0
        );
        self.out.extend_from_slice(header.as_bytes());
        self.out.extend_from_slice(name.as_bytes());
        self.out.push(0);
        while !self.out.len().is_multiple_of(4) {
            self.out.push(0);
        }
        self.out.extend_from_slice(data);
        while !self.out.len().is_multiple_of(4) {
            self.out.push(0);
        }
    }

    /// Adds a directory and its parents, once each.
    pub fn dir(&mut self, path: &str) {
        let mut cur = String::new();
        for part in path.trim_matches('/').split('/').filter(|p| !p.is_empty()) {
            if !cur.is_empty() {
                cur.push('/');
            }
            cur.push_str(part);
            if self.dirs.insert(cur.clone()) {
                let name = cur.clone();
                self.entry(&name, 0o040755, &[]);
            }
        }
    }

    pub fn file(&mut self, path: &str, mode: u32, data: &[u8]) {
        let path = path.trim_start_matches('/');
        if let Some((parent, _)) = path.rsplit_once('/') {
            self.dir(parent);
        }
        self.entry(path, 0o100000 | mode, data);
    }

    pub fn finish(mut self) -> Vec<u8> {
        self.entry("TRAILER!!!", 0, &[]);
        self.out
    }
}

/// The kernel and busybox of one arch, extracted from Debian packages.
pub struct Kit {
    pub kernel: PathBuf,
    pub modules: PathBuf,
    pub busybox: PathBuf,
}

/// The Debian names the guest's packages are fetched under.
pub struct DebianArches<'a> {
    /// The guest's arch.
    pub guest: &'a str,
    /// The build machine's (apt-get's own) arch.
    pub build: &'a str,
}

/// Downloads (once) and unpacks the guest kernel and busybox for `arch`.
pub fn kit(root: &Path, out: &Path, arch: &str, g: &Guest, deb: &DebianArches) -> Result<Kit> {
    let dir = root.join(crate::model::layout::guest_dir(out, arch));
    let ready = dir.join("ready");
    let tree = dir.join("root");
    if !ready.exists() {
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("cannot create {}", dir.display()))?;
        let pkg = |p: &str| {
            if deb.guest == deb.build {
                p.to_string()
            } else {
                format!("{p}:{}", deb.guest)
            }
        };
        let deps = process::stdout(Command::new("apt-cache").args(["depends", &pkg(&g.kernel_package)])).with_context(|| {
            format!(
                "cannot resolve {} (for a foreign arch: dpkg --add-architecture {} && apt-get update)",
                g.kernel_package, deb.guest
            )
        })?;
        let kernel_pkg = image_package(&deps, &g.kernel_package)?;
        println!(
            "guest: downloading {kernel_pkg} and busybox-static for {arch} into {}",
            dir.display()
        );
        process::stdout(
            Command::new("apt-get")
                .args(["download", &pkg(&kernel_pkg), &pkg("busybox-static")])
                .current_dir(&dir),
        )
        .context("apt-get download failed (are the Debian package lists reachable?)")?;
        for e in std::fs::read_dir(&dir)?.flatten() {
            let p = e.path();
            if p.extension().is_some_and(|x| x == "deb") {
                process::stdout(Command::new("dpkg-deb").arg("-x").arg(&p).arg(&tree))?;
                std::fs::remove_file(&p)?;
            }
        }
        std::fs::write(&ready, format!("{kernel_pkg}\n"))?;
    }
    let (kernel, modules) = kernel_in(&tree)?;
    Ok(Kit {
        kernel,
        modules,
        busybox: tree.join("bin/busybox"),
    })
}

/// The kernel image package a kernel metapackage depends on, from
/// `apt-cache depends` output.
pub fn image_package(depends: &str, meta: &str) -> Result<String> {
    depends
        .lines()
        .filter_map(|l| l.trim().strip_prefix("Depends: "))
        .find(|d| d.starts_with("linux-image-"))
        .map(|d| d.split(':').next().unwrap_or(d).to_string())
        .with_context(|| format!("apt-cache depends {meta} names no linux-image package"))
}

/// The kernel image and the module directory in an unpacked kernel
/// package.
pub fn kernel_in(tree: &Path) -> Result<(PathBuf, PathBuf)> {
    let boot = tree.join("boot");
    let kernel = std::fs::read_dir(&boot)
        .with_context(|| format!("cannot list {}", boot.display()))?
        .flatten()
        .map(|e| e.path())
        .find(|p| {
            let n = p
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            n.starts_with("vmlinuz-") || n.starts_with("vmlinux-")
        })
        .with_context(|| format!("no kernel image in {}", boot.display()))?;
    let modules = std::fs::read_dir(tree.join("lib/modules"))
        .context("no lib/modules in the kernel package")?
        .flatten()
        .map(|e| e.path())
        .next()
        .context("empty lib/modules")?;
    Ok((kernel, modules))
}

/// One thing to run in the guest.
#[derive(Debug, Clone)]
pub struct Cell {
    pub id: String,
    /// Shell words, already pointing at guest paths.
    pub argv: Vec<String>,
    /// Shell lines run before the command (block images, tap devices).
    pub setup: Vec<String>,
    /// Shell lines run while the command runs (pings); a non-zero status
    /// is reported as a failure of the cell.
    pub during: Vec<String>,
    /// A file (glob) to send back after the command, base64 on the console.
    pub fetch: Option<String>,
    pub timeout_secs: u64,
}

#[derive(Debug)]
pub struct CellResult {
    /// Shell status: exit code, or 128 + signal number.
    pub status: i32,
    pub timed_out: bool,
    pub during_failed: bool,
    pub output: String,
    /// The bytes of the fetched file, when the cell asked for one.
    pub fetched: Option<Vec<u8>>,
}

/// Where a cell's output collects while it runs (a `during` line may
/// watch it).
pub const CELL_OUTPUT: &str = "/tmp/out";

fn runner_script(cells: &[Cell]) -> String {
    let mut s = String::from(
        "#!/bin/sh\n\
         # Runs each cell with a timeout; prints its output between markers.\n\
         cd /t\n",
    );
    for c in cells {
        let id = &c.id;
        s.push_str(&format!("echo '@@BEGIN {id}'\n"));
        for l in &c.setup {
            s.push_str(&format!("{l} >/dev/null 2>&1\n"));
        }
        let cmd: Vec<String> = c.argv.iter().map(|a| sh_quote(a)).collect();
        s.push_str(&format!(
            "{} >{CELL_OUTPUT} 2>&1 </dev/null &\npid=$!\n",
            cmd.join(" ")
        ));
        s.push_str(&format!(
            "( sleep {t}; echo 1 >/tmp/timedout; kill -9 $pid ) >/dev/null 2>&1 &\nw=$!\nrm -f /tmp/timedout /tmp/duringfail\n",
            t = c.timeout_secs
        ));
        for l in &c.during {
            s.push_str(&format!(
                "{l} >>/tmp/during 2>&1 || echo 1 >/tmp/duringfail\n"
            ));
        }
        s.push_str("wait $pid\nrc=$?\nkill $w >/dev/null 2>&1\n");
        s.push_str(&format!("cat {CELL_OUTPUT}; "));
        s.push_str("[ -f /tmp/during ] && cat /tmp/during; rm -f /tmp/during\n");
        if let Some(glob) = &c.fetch {
            s.push_str(&format!(
                "for f in {glob}; do [ -f \"$f\" ] && {{ echo '@@FILE {id}'; base64 \"$f\"; echo '@@FILEEND'; }}; break; done\n"
            ));
        }
        s.push_str(&format!(
            "echo; echo \"@@END {id} $rc $([ -f /tmp/timedout ] && echo 1 || echo 0) $([ -f /tmp/duringfail ] && echo 1 || echo 0)\"\n"
        ));
    }
    s.push_str("echo '@@DONE'\n");
    s
}

/// `modules`: file names under /modules, loaded in order.
fn init_script(modules: &[String]) -> String {
    let mut s = String::from(
        "#!/bin/busybox sh\n\
         /bin/busybox --install -s /bin\n\
         export PATH=/bin LD_LIBRARY_PATH=/lib\n\
         mkdir -p /proc /sys /dev /tmp\n\
         mount -t proc proc /proc\n\
         mount -t sysfs sys /sys\n\
         mount -t devtmpfs dev /dev\n\
         echo 1 > /proc/sys/vm/overcommit_memory\n\
         echo 1 > /proc/sys/kernel/printk\n",
    );
    for m in modules {
        s.push_str(&format!("insmod /modules/{m} >/dev/null 2>&1\n"));
    }
    s.push_str("ip link set lo up\n/t/run.sh\npoweroff -f\n");
    s
}

/// Shared libraries the tender needs inside the guest: every NEEDED entry
/// and the program interpreter, found in the build machine's directories
/// for that triple.
fn libraries(tender: &Path, gnu_triple: &str) -> Result<Vec<(String, PathBuf)>> {
    let data =
        std::fs::read(tender).with_context(|| format!("cannot read {}", tender.display()))?;
    let elf = crate::util::elf::parse(&data)?;
    let dynamic = process::stdout(Command::new("readelf").arg("-dW").arg(tender))?;
    let search = [
        format!("/lib/{gnu_triple}"),
        format!("/usr/lib/{gnu_triple}"),
        format!("/usr/{gnu_triple}/lib"),
        "/lib64".into(),
    ];
    let find = |name: &str| -> Result<PathBuf> {
        search
            .iter()
            .map(|d| Path::new(d).join(name))
            .find(|p| p.exists())
            .with_context(|| {
                format!(
                    "{} needs {name}, not found in {}",
                    tender.display(),
                    search.join(", ")
                )
            })
    };
    let mut libs = Vec::new();
    for line in dynamic.lines().filter(|l| l.contains("(NEEDED)")) {
        if let Some(name) = line.split('[').nth(1).and_then(|r| r.split(']').next()) {
            libs.push((format!("/lib/{name}"), find(name)?));
        }
    }
    if let Some(interp) = elf.interp {
        let interp = String::from_utf8_lossy(&interp)
            .trim_end_matches('\0')
            .to_string();
        let name = interp.rsplit('/').next().unwrap_or(&interp).to_string();
        libs.push((interp, find(&name)?));
    }
    Ok(libs)
}

/// One emulated Linux machine to boot with a batch of cells: the kernel,
/// busybox and modules, the outer QEMU, and files every batch carries.
pub struct Machine {
    /// For messages, e.g. "x86_64 guest".
    pub name: String,
    pub qemu: PathBuf,
    pub qemu_args: Vec<String>,
    pub console: String,
    pub kernel: PathBuf,
    pub busybox: PathBuf,
    /// Module files insmod loads, in order (uncompressed).
    pub modules: Vec<PathBuf>,
    /// Guest path → host file, besides the batch's own.
    pub files: Vec<(String, PathBuf)>,
    /// Where the initramfs is written.
    pub dir: PathBuf,
    /// Seconds the boot may take on top of the cells' hang guards.
    pub boot_secs: u64,
}

/// Boots the guest once with `files` (guest path → host file) and runs the
/// cells. Returns one result per cell id.
pub fn run_batch(
    root: &Path,
    out: &Path,
    targets: &Targets,
    arch: &str,
    files: &[(String, PathBuf)],
    tenders: &[PathBuf],
    cells: &[Cell],
) -> Result<BTreeMap<String, CellResult>> {
    let a = &targets.arch[arch];
    let g = a
        .guest
        .as_ref()
        .with_context(|| format!("no emulated guest is described for {arch} in targets.toml"))?;
    let build = &targets.arch[&crate::model::config::build_arch(targets)];
    let deb = DebianArches {
        guest: &a.debian_arch,
        build: &build.debian_arch,
    };
    let kit = kit(root, out, arch, g, &deb)?;
    // The tenders share libraries (libc, the dynamic loader): each goes
    // in once (`initramfs` skips repeated guest paths).
    let mut libs = Vec::new();
    for t in tenders {
        libs.extend(libraries(t, &a.gnu_triple)?);
    }
    let machine = Machine {
        name: format!("{arch} guest"),
        qemu: which_qemu(g)?,
        qemu_args: g.qemu_args.clone(),
        console: g.console.clone(),
        modules: g.modules.iter().map(|m| kit.modules.join(m)).collect(),
        kernel: kit.kernel,
        busybox: kit.busybox,
        files: libs,
        dir: root.join(crate::model::layout::guest_dir(out, arch)),
        // Two minutes for the boot itself.
        boot_secs: 120,
    };
    run_on(&machine, files, cells)
}

/// Boots `m` once with `files` and runs the cells; each cell gets its
/// hang guard and 2 s on top of the boot's budget.
pub fn run_on(
    m: &Machine,
    files: &[(String, PathBuf)],
    cells: &[Cell],
) -> Result<BTreeMap<String, CellResult>> {
    let cpio = initramfs(m, files, cells)?;
    let initrd = m.dir.join("initrd.cpio");
    std::fs::write(&initrd, cpio)
        .with_context(|| format!("cannot write the initramfs {}", initrd.display()))?;
    let budget: u64 = m.boot_secs + cells.iter().map(|c| c.timeout_secs + 2).sum::<u64>();
    let start = Instant::now();
    let (finished, console) = boot(m, &initrd, budget)?;
    println!(
        "guest: {} boot and {} cells took {:.1}s",
        m.name,
        cells.len(),
        start.elapsed().as_secs_f64()
    );
    let results = parse_console(&console);
    if !finished {
        bail!(
            "the {} did not finish within {budget}s; console:\n{}",
            m.name,
            tail(&console, 40)
        );
    }
    if !console.contains("@@DONE") {
        bail!(
            "the {} stopped before running every cell; console:\n{}",
            m.name,
            tail(&console, 40)
        );
    }
    Ok(results)
}

/// The initramfs: busybox and its init, the kernel modules, the machine's
/// files (shared libraries under the paths programs look for them),
/// `files` and the cells' runner script. A guest path given twice goes in
/// once.
fn initramfs(m: &Machine, files: &[(String, PathBuf)], cells: &[Cell]) -> Result<Vec<u8>> {
    let mut cpio = Cpio::default();
    cpio.file(
        "bin/busybox",
        0o755,
        &std::fs::read(&m.busybox).context("cannot read busybox")?,
    );
    let names: Vec<String> = m
        .modules
        .iter()
        .map(|p| {
            p.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default()
        })
        .collect();
    cpio.file("init", 0o755, init_script(&names).as_bytes());
    for (p, name) in m.modules.iter().zip(&names) {
        let data =
            std::fs::read(p).with_context(|| format!("cannot read module {}", p.display()))?;
        cpio.file(&format!("modules/{name}"), 0o644, &data);
    }
    let mut seen = std::collections::BTreeSet::new();
    for (guest, host) in m.files.iter().chain(files) {
        if seen.insert(guest.clone()) {
            let data =
                std::fs::read(host).with_context(|| format!("cannot read {}", host.display()))?;
            cpio.file(guest, 0o755, &data);
        }
    }
    cpio.file("t/run.sh", 0o755, runner_script(cells).as_bytes());
    Ok(cpio.finish())
}

/// Boots `m` with `initrd` and collects the serial console; kills QEMU
/// after `budget` seconds. Returns whether the guest finished in time, and
/// the console with carriage returns and NULs removed.
fn boot(m: &Machine, initrd: &Path, budget: u64) -> Result<(bool, String)> {
    let qemu = &m.qemu;
    let mut cmd = Command::new(qemu);
    cmd.args(&m.qemu_args)
        .args(["-nographic", "-no-reboot", "-kernel"])
        .arg(&m.kernel)
        .arg("-initrd")
        .arg(initrd)
        .arg("-append")
        .arg(format!("console={} rdinit=/init panic=-1 quiet", m.console))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let start = Instant::now();
    let mut child = cmd
        .spawn()
        .with_context(|| format!("cannot run {}", qemu.display()))?;
    // Read on a thread: a full pipe would stall the guest while the loop
    // below waits for it to exit.
    let mut stdout = child.stdout.take().context("qemu stdout")?;
    let reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = stdout.read_to_end(&mut buf);
        buf
    });
    let deadline = Duration::from_secs(budget);
    let finished = loop {
        if child.try_wait()?.is_some() {
            break true;
        }
        if start.elapsed() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            break false;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let raw = reader.join().unwrap_or_default();
    let console = String::from_utf8_lossy(&raw).replace(['\r', '\0'], "");
    Ok((finished, console))
}

fn tail(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

pub fn parse_console(console: &str) -> BTreeMap<String, CellResult> {
    let mut results = BTreeMap::new();
    let mut current: Option<(String, String)> = None;
    let mut files: BTreeMap<String, String> = BTreeMap::new();
    let mut in_file: Option<String> = None;
    for line in console.lines() {
        if let Some(id) = &in_file {
            if line == "@@FILEEND" {
                in_file = None;
            } else {
                files.entry(id.clone()).or_default().push_str(line.trim());
            }
            continue;
        }
        if let Some(id) = line.strip_prefix("@@FILE ") {
            in_file = Some(id.trim().to_string());
            files.entry(id.trim().to_string()).or_default();
            continue;
        }
        if let Some(id) = line.strip_prefix("@@BEGIN ") {
            current = Some((id.trim().to_string(), String::new()));
        } else if let Some(rest) = line.strip_prefix("@@END ") {
            let f: Vec<&str> = rest.split_whitespace().collect();
            if let (Some((id, out)), 4) = (current.take(), f.len()) {
                if id == f[0] {
                    results.insert(
                        id,
                        CellResult {
                            status: f[1].parse().unwrap_or(-1),
                            timed_out: f[2] == "1",
                            during_failed: f[3] == "1",
                            output: out,
                            fetched: files.get(f[0]).map(|b| base64_decode(b)),
                        },
                    );
                }
            }
        } else if let Some((_, out)) = current.as_mut() {
            out.push_str(line);
            out.push('\n');
        }
    }
    results
}

/// Standard base64 (what busybox prints); invalid characters are skipped.
pub fn base64_decode(text: &str) -> Vec<u8> {
    let value = |c: u8| match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a' + 26),
        b'0'..=b'9' => Some(c - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    };
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for v in text.bytes().filter_map(value) {
        acc = (acc << 6) | v as u32;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    out
}

pub fn which_qemu(g: &Guest) -> Result<PathBuf> {
    toolchain::detect::resolve(&g.qemu, &toolchain::detect::env_snapshot())
        .with_context(|| format!("{} not found (install {})", g.qemu, g.qemu_packages.debian))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpio_entries_are_aligned_and_terminated() {
        let mut c = Cpio::default();
        c.file("a/b/c", 0o644, b"hello");
        let out = c.finish();
        assert!(out.starts_with(b"070701"));
        assert_eq!(out.len() % 4, 0);
        let text = String::from_utf8_lossy(&out);
        assert!(text.contains("a/b\0"));
        assert!(text.contains("TRAILER!!!"));
        assert!(text.contains("hello"));
    }

    /// Boots the real x86_64 guest (downloads a kernel the first time).
    /// Run by hand: cargo test -p xtask guest_boots -- --ignored
    #[test]
    #[ignore]
    fn guest_boots_and_runs_a_host_program() {
        let root = crate::model::config::repo_root().unwrap();
        let t = crate::model::config::load_targets(&root).unwrap();
        let files = vec![("/t/true".to_string(), PathBuf::from("/usr/bin/true"))];
        let cells = vec![
            Cell {
                id: "a".into(),
                argv: vec!["/t/true".into()],
                setup: vec![],
                during: vec![],
                fetch: None,
                timeout_secs: 5,
            },
            Cell {
                id: "b".into(),
                argv: vec!["sh".into(), "-c".into(), "echo hi; exit 3".into()],
                setup: vec![],
                during: vec!["test -e /dev/kvm".into()],
                fetch: Some("/t/true".into()),
                timeout_secs: 5,
            },
        ];
        let r = run_batch(
            &root,
            Path::new(crate::model::layout::IN_TREE),
            &t,
            &crate::model::config::build_arch(&t),
            &files,
            &[PathBuf::from("/usr/bin/true")],
            &cells,
        )
        .unwrap();
        assert_eq!(r["a"].status, 0, "{:?}", r["a"]);
        assert_eq!(r["b"].status, 3);
        assert!(r["b"].output.contains("hi"));
        assert!(!r["b"].during_failed, "no /dev/kvm in the guest");
        let sent = std::fs::read("/usr/bin/true").unwrap();
        assert_eq!(
            r["b"].fetched.as_deref(),
            Some(sent.as_slice()),
            "file fetched over the console"
        );
    }

    #[test]
    fn base64_round_trips_known_values() {
        assert_eq!(base64_decode("aGVsbG8="), b"hello");
        assert_eq!(base64_decode("aGVs\nbG8h"), b"hello!");
        assert_eq!(base64_decode(""), b"");
    }

    #[test]
    fn console_results_parse() {
        let c =
            "noise\n@@BEGIN a\nhello\n@@END a 0 0 0\n@@BEGIN b\nboom\n@@END b 159 0 0\n@@DONE\n";
        let r = parse_console(c);
        assert_eq!(r["a"].status, 0);
        assert_eq!(r["a"].output, "hello\n");
        assert_eq!(r["b"].status, 159);
    }
}
