//! The xen guest: the arch's emulated guest booting a kernel whose KVM
//! emulates Xen (`CONFIG_KVM_XEN`), with a QEMU inside that drives that
//! emulation, both from the Debian suite `[arch.*.xen_guest]` names. The
//! cells run `tests/tools/xen-launch.sh`, which boots each unikernel as a
//! PVH domain; batching, the initramfs and the console results are the
//! plain guest's (guest.rs).

use super::apt::PrivateApt;
use super::guest::{self, Cell, CellResult, DebianArches, Machine};
use crate::model::layout;
use crate::model::targets::{Targets, XenGuest};
use crate::util::process;
use anyhow::{bail, Context, Result};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Where the guest finds the launcher, and the QEMU words it is given.
pub const LAUNCHER: &str = "/t/xen-launch";
pub const QEMU_ARGS: &str = "/t/xen-qemu.args";

/// The unpacked kernel and inner-QEMU packages of an arch's xen guest.
pub struct XenKit {
    /// Where the packages were unpacked.
    pub tree: PathBuf,
    pub kernel: PathBuf,
    pub modules: PathBuf,
}

/// The cache directory of the arch's xen guest.
fn dir(root: &Path, out: &Path, arch: &str) -> PathBuf {
    root.join(layout::guest_dir(out, &format!("{arch}-xen")))
}

/// Downloads (once) and unpacks the xen guest's kernel and QEMU packages
/// from the suite, through a private apt state. Only a complete, unpacked
/// set is marked `ready`: an interrupted fetch starts over.
pub fn kit(root: &Path, out: &Path, arch: &str, x: &XenGuest) -> Result<XenKit> {
    let dir = dir(root, out, arch);
    let ready = dir.join("ready");
    let tree = dir.join("root");
    let suite = x.suite.get_ref();
    if !(ready.exists() && tree.is_dir()) {
        let unpacking = dir.join("root.tmp");
        let debs = dir.join("debs");
        for d in [&tree, &unpacking, &debs] {
            let _ = std::fs::remove_dir_all(d);
        }
        std::fs::create_dir_all(&debs)
            .with_context(|| format!("cannot create {}", debs.display()))?;
        println!("guest: fetching the package lists of {suite} into a private apt state");
        let apt = PrivateApt::update(&dir.join("apt"), suite)?;
        let deps = apt.depends(&x.kernel_package)?;
        let image = guest::image_package(&deps, &x.kernel_package)?;
        let mut wanted = vec![image.clone()];
        wanted.extend(x.qemu_packages.iter().cloned());
        println!(
            "guest: downloading {} from {suite} into {}",
            wanted.join(" "),
            debs.display()
        );
        for deb in apt.download(&wanted, &debs)? {
            process::stdout(Command::new("dpkg-deb").arg("-x").arg(&deb).arg(&unpacking))
                .with_context(|| format!("cannot unpack {}", deb.display()))?;
        }
        let (_, modules) = guest::kernel_in(&unpacking)?;
        for m in &x.modules {
            let p = modules.join(m.get_ref());
            if !p.is_file() {
                bail!(
                    "{image} from {suite} has no module {} (targets.toml arch.{arch}.xen_guest.modules)",
                    m.get_ref()
                );
            }
            if m.get_ref().ends_with(".xz") {
                process::stdout(Command::new("xz").args(["-d", "-k", "-f"]).arg(&p))
                    .with_context(|| format!("cannot decompress {} (xz-utils)", p.display()))?;
            }
        }
        std::fs::rename(&unpacking, &tree)
            .with_context(|| format!("cannot rename {}", unpacking.display()))?;
        let _ = std::fs::remove_dir_all(&debs);
        let marker = dir.join("ready.tmp");
        std::fs::write(&marker, format!("{}\n", wanted.join("\n")))
            .and_then(|()| std::fs::rename(&marker, &ready))
            .context("cannot mark the xen guest's packages ready")?;
    }
    let (kernel, modules) = guest::kernel_in(&tree)?;
    Ok(XenKit {
        tree,
        kernel,
        modules,
    })
}

/// The shared libraries of the build machine's that `program` loads, as
/// (guest path, host file): from `ldd`, each under /lib (the guest's
/// LD_LIBRARY_PATH), the dynamic loader under its own path.
fn ldd_libraries(program: &Path, x: &XenGuest) -> Result<Vec<(String, PathBuf)>> {
    let text = process::stdout(Command::new("ldd").arg(program))
        .with_context(|| format!("cannot run ldd {}", program.display()))?;
    let mut libs = Vec::new();
    let mut missing = Vec::new();
    for line in text.lines().map(str::trim) {
        let line = line.split(" (0x").next().unwrap_or(line);
        match line.split_once(" => ") {
            Some((name, "not found")) => missing.push(name.to_string()),
            Some((name, path)) if path.starts_with('/') => {
                libs.push((format!("/lib/{name}"), PathBuf::from(path)));
            }
            Some(_) => {}
            // The loader, by absolute path; linux-vdso has none.
            None if line.starts_with('/') => libs.push((line.to_string(), PathBuf::from(line))),
            None => {}
        }
    }
    if !missing.is_empty() {
        bail!(
            "{} needs {}, not on this machine (install {})",
            program.display(),
            missing.join(", "),
            x.library_packages.join(" ")
        );
    }
    Ok(libs)
}

/// The file a path in the unpacked packages stands for: a symbolic link
/// is followed inside `tree` (absolute targets are the package's own
/// paths), then on the machine.
fn in_tree(tree: &Path, path: &Path) -> PathBuf {
    let mut p = path.to_path_buf();
    for _ in 0..8 {
        let Ok(target) = std::fs::read_link(&p) else {
            return p;
        };
        p = if target.is_absolute() {
            let inside = tree.join(target.strip_prefix("/").unwrap_or(&target));
            if inside.exists() || std::fs::read_link(&inside).is_ok() {
                inside
            } else {
                target
            }
        } else {
            p.parent().unwrap_or(Path::new("/")).join(target)
        };
    }
    p
}

/// The xen guest of `arch` as a machine to boot: the plain guest's QEMU,
/// console and busybox, the suite's kernel and modules, and the inner
/// QEMU with its libraries, data files, launcher and Xen words.
pub fn machine(root: &Path, out: &Path, targets: &Targets, arch: &str) -> Result<Machine> {
    let a = &targets.arch[arch];
    let g = a
        .guest
        .as_ref()
        .with_context(|| format!("no emulated guest is described for {arch} in targets.toml"))?;
    let x = a.xen_guest.as_ref().with_context(|| {
        format!("no xen guest is described for {arch} in targets.toml ([arch.{arch}.xen_guest])")
    })?;
    let deb = DebianArches {
        guest: &a.debian_arch,
        build: &targets.arch[&crate::model::config::build_arch(targets)].debian_arch,
    };
    let outer_qemu = guest::which_qemu(g)?;
    // busybox comes from the plain guest's kit (the machine's own suite).
    let plain = guest::kit(root, out, arch, g, &deb)?;
    let kit = kit(root, out, arch, x)?;
    let qemu = kit.tree.join(x.qemu.get_ref());
    if !qemu.is_file() {
        bail!(
            "{} is not in {} from {} (targets.toml arch.{arch}.xen_guest.qemu)",
            x.qemu.get_ref(),
            x.qemu_packages.join(" "),
            x.suite.get_ref()
        );
    }
    let mut files = ldd_libraries(&qemu, x)?;
    files.push(("/bin/qemu-system-x86_64".into(), qemu.clone()));
    let data = kit.tree.join("usr/share/qemu");
    for f in &x.qemu_data {
        let host = in_tree(&kit.tree, &data.join(f));
        if !host.is_file() {
            bail!(
                "{f} is not in usr/share/qemu of {} from {} (targets.toml arch.{arch}.xen_guest.qemu_data)",
                x.qemu_packages.join(" "),
                x.suite.get_ref()
            );
        }
        files.push((format!("/usr/share/qemu/{f}"), host));
    }
    files.push((LAUNCHER.into(), root.join(x.launcher.get_ref())));
    let dir = dir(root, out, arch);
    let args = dir.join("xen-qemu.args");
    std::fs::write(&args, x.xen_args.join("\n") + "\n")
        .with_context(|| format!("cannot write {}", args.display()))?;
    files.push((QEMU_ARGS.into(), args));
    let modules = x
        .modules
        .iter()
        .map(|m| {
            let m = m.get_ref();
            kit.modules.join(m.strip_suffix(".xz").unwrap_or(m))
        })
        .collect();
    Ok(Machine {
        name: format!("{arch} xen guest"),
        qemu: outer_qemu,
        qemu_args: x.qemu_args.clone(),
        console: g.console.clone(),
        kernel: kit.kernel,
        busybox: plain.busybox,
        modules,
        files,
        dir,
        // The initramfs holds a QEMU and its libraries: a slower start.
        boot_secs: 300,
    })
}

/// Boots the xen guest of `arch` once with `files` and runs the cells
/// (each a `LAUNCHER` command line).
pub fn run_batch(
    root: &Path,
    out: &Path,
    targets: &Targets,
    arch: &str,
    files: &[(String, PathBuf)],
    cells: &[Cell],
) -> Result<BTreeMap<String, CellResult>> {
    let m = machine(root, out, targets, arch)?;
    guest::run_on(&m, files, cells)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the PVH probe's entry does.
    #[derive(Clone, Copy)]
    enum Probe {
        /// Writes the status to port 0x501 with one outw (what the xen
        /// binding does on exit).
        Exit(u16),
        /// SCHEDOP_shutdown with this reason (0 poweroff, 3 crash), as the
        /// binding does after the outw, which real Xen ignores.
        Shutdown(u32),
        /// Loops on hlt with interrupts off.
        Hang,
    }

    /// Where the probe's code starts in memory (the ELF headers and two
    /// program headers come first in the one segment at 1 MiB).
    const CODE: u32 = 0x100000 + 64 + 2 * 56;

    /// A PVH ELF of a few bytes whose 32-bit entry does `what`.
    fn pvh_elf(what: Probe) -> Vec<u8> {
        const BASE: u64 = 0x100000;
        let mut code = Vec::new();
        match what {
            Probe::Exit(n) => {
                code.extend([0x66, 0xba, 0x01, 0x05]); // mov $0x501,%dx
                code.extend([0x66, 0xb8]); // mov $n,%ax
                code.extend(n.to_le_bytes());
                code.extend([0x66, 0xef]); // out %ax,%dx
            }
            Probe::Shutdown(reason) => {
                // The reason lies just past the code: 5+5+5+3 bytes of
                // it, the hlt loop's 3, then 4 of data.
                code.push(0xb9); // mov $arg,%ecx
                code.extend((CODE + 21).to_le_bytes());
                code.push(0xbb); // mov $SCHEDOP_shutdown,%ebx
                code.extend(2u32.to_le_bytes());
                code.push(0xb8); // mov $__HYPERVISOR_sched_op,%eax
                code.extend(29u32.to_le_bytes());
                code.extend([0x0f, 0x01, 0xd9]); // vmmcall
                code.extend([0xf4, 0xeb, 0xfd]); // 1: hlt; jmp 1b
                code.extend(reason.to_le_bytes());
            }
            Probe::Hang => code.push(0xfa), // cli
        }
        code.extend([0xf4, 0xeb, 0xfd]); // 1: hlt; jmp 1b
                                         // The note: name "Xen", type XEN_ELFNOTE_PHYS32_ENTRY (18), the
                                         // 32-bit entry address.
        let mut note = Vec::new();
        note.extend(4u32.to_le_bytes());
        note.extend(4u32.to_le_bytes());
        note.extend(18u32.to_le_bytes());
        note.extend(b"Xen\0");
        let (ehsize, phsize) = (64u64, 56u64);
        let code_off = ehsize + 2 * phsize;
        assert_eq!(BASE + code_off, CODE as u64);
        let note_off = code_off + code.len() as u64;
        note.extend((BASE as u32 + code_off as u32).to_le_bytes());
        let total = note_off + note.len() as u64;
        let entry = BASE + code_off;

        let mut e = Vec::new();
        e.extend(b"\x7fELF\x02\x01\x01");
        e.resize(16, 0);
        e.extend(2u16.to_le_bytes()); // ET_EXEC
        e.extend(62u16.to_le_bytes()); // EM_X86_64
        e.extend(1u32.to_le_bytes());
        e.extend(entry.to_le_bytes());
        e.extend(ehsize.to_le_bytes()); // phoff
        e.extend(0u64.to_le_bytes()); // shoff
        e.extend(0u32.to_le_bytes());
        e.extend((ehsize as u16).to_le_bytes());
        e.extend((phsize as u16).to_le_bytes());
        e.extend(2u16.to_le_bytes());
        e.extend([0; 6]); // no sections
        let mut phdr = |kind: u32, flags: u32, off: u64, addr: u64, size: u64, align: u64| {
            e.extend(kind.to_le_bytes());
            e.extend(flags.to_le_bytes());
            e.extend(off.to_le_bytes());
            e.extend(addr.to_le_bytes());
            e.extend(addr.to_le_bytes());
            e.extend(size.to_le_bytes());
            e.extend(size.to_le_bytes());
            e.extend(align.to_le_bytes());
        };
        // The whole file at BASE, readable and executable; the note in it.
        phdr(1, 5, 0, BASE, total, 0x1000);
        phdr(4, 4, note_off, BASE + note_off, note.len() as u64, 4);
        e.extend(code);
        e.extend(note);
        e
    }

    #[test]
    fn the_pvh_probe_is_an_elf_with_the_entry_note() {
        let elf = pvh_elf(Probe::Exit(7));
        let parsed = crate::util::elf::parse(&elf).unwrap();
        assert!(parsed.interp.is_none());
        let note = elf.windows(4).position(|w| w == b"Xen\0").unwrap();
        let entry = u32::from_le_bytes(elf[note + 4..note + 8].try_into().unwrap());
        assert_eq!(entry as usize, 0x100000 + 64 + 2 * 56);
        assert_eq!(&elf[64 + 2 * 56..64 + 2 * 56 + 4], [0x66, 0xba, 0x01, 0x05]);
    }

    /// xen-launch.sh under busybox sh (the guest's shell) with a fake QEMU:
    /// the words it passes, and each way QEMU can end mapped to a status.
    #[test]
    fn the_launcher_maps_every_end_of_qemu() {
        let root = crate::model::config::repo_root().unwrap();
        let busybox = root
            .join(layout::guest_dir(Path::new(layout::IN_TREE), "x86_64"))
            .join("root/bin/busybox");
        if !busybox.exists() {
            println!(
                "SKIP the_launcher_maps_every_end_of_qemu: no busybox at {} (the x86_64 guest kit; \
                 `cargo test -p xtask guest_boots -- --ignored` fetches it)",
                busybox.display()
            );
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let fake = dir.path().join("qemu");
        std::fs::write(
            &fake,
            "#!/bin/sh\nprintf '%s\\n' \"$@\" >\"$FAKE_ARGV\"\ncase $FAKE in\n\
             exit*) exit \"${FAKE#exit}\" ;;\n\
             segv) kill -SEGV $$ ;;\n\
             segvafter) while [ $# -gt 1 ]; do [ \"$1\" = -D ] && log=$2; shift; done\n\
             echo \"1@2.3:memory_region_ops_write cpu 0 mr 0x5 addr 0x0 value 0x2a size 2 name 'isa-debug-exit'\" >\"$log\"\n\
             kill -SEGV $$ ;;\n\
             dump) echo 'EIP=001000bf EFL=00000002' >&2; exit 0 ;;\n\
             error) echo \"qemu-system-x86_64: -device xen-disk: bad\" >&2; exit 1 ;;\n\
             hang) exec sleep 100 ;;\nesac\n",
        )
        .unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
        let args = dir.path().join("args");
        std::fs::write(&args, "-accel\nkvm,xen-version=0x4000a\n").unwrap();
        let uk = dir.path().join("uk");
        let disk = dir.path().join("d,1.img");
        std::fs::write(&uk, b"x").unwrap();
        std::fs::write(&disk, b"").unwrap();
        let argv = dir.path().join("argv");
        let run = |fake_says: &str, guard: &str| {
            let out = Command::new(&busybox)
                .arg("sh")
                .arg(root.join("tests/tools/xen-launch.sh"))
                .args([
                    "-A".as_ref(),
                    args.as_os_str(),
                    "-t".as_ref(),
                    guard.as_ref(),
                ])
                .args([
                    "-d".as_ref(),
                    disk.as_os_str(),
                    "-d".as_ref(),
                    uk.as_os_str(),
                ])
                .args(["-n", "lo", "-m", "64"])
                .arg(&uk)
                .args(["--", "a b", "c"])
                .env("XEN_QEMU", &fake)
                .env("FAKE", fake_says)
                .env("FAKE_ARGV", &argv)
                .env("PATH", "/usr/bin:/bin")
                .output()
                .unwrap();
            (
                out.status.code().unwrap_or(-1),
                String::from_utf8_lossy(&out.stderr).into_owned(),
            )
        };
        let (rc, err) = run("exit15", "0");
        assert_eq!(rc, 7, "{err}");
        assert!(err.starts_with("+ "), "the QEMU command comes first: {err}");
        let words = std::fs::read_to_string(&argv).unwrap();
        let words: Vec<&str> = words.lines().collect();
        let d = disk.display().to_string().replace(',', ",,");
        for want in [
            "kvm,xen-version=0x4000a",
            "xen-console,chardev=c0",
            "isa-debug-exit,iobase=0x501,iosize=2",
            &format!("file={d},if=none,id=blk0,format=raw,cache=unsafe"),
            "xen-disk,vdev=xvda,drive=blk0",
            "xen-disk,vdev=xvdb,drive=blk1",
            "tap,id=net0,ifname=lo,script=no,downscript=no",
            "xen-net-device,netdev=net0,mac=52:54:00:12:34:56",
            "a b c",
        ] {
            assert!(words.contains(&want), "no {want:?} in {words:?}");
        }
        assert_eq!(run("exit1", "0").0, 0);
        assert_eq!(run("exit255", "0").0, 255);
        let (rc, err) = run("exit0", "0");
        assert_eq!(rc, 255, "{err}");
        assert!(err.contains("without reporting an exit status"), "{err}");
        let (rc, err) = run("dump", "0");
        assert_eq!(rc, 255, "{err}");
        assert!(err.contains("the domain crashed"), "{err}");
        let (rc, err) = run("error", "0");
        assert_eq!(rc, 1, "{err}");
        assert!(err.contains("QEMU failed"), "{err}");
        // 139 is also isa-debug-exit's status 69: the shell tells them apart.
        let (rc, err) = run("segv", "0");
        assert_eq!(rc, 125, "{err}");
        assert!(err.contains("QEMU died of signal 11"), "{err}");
        assert_eq!(run("exit139", "0").0, 69);
        // QEMU's trace of the domain's status write outlives QEMU.
        let (rc, err) = run("segvafter", "0");
        assert_eq!(rc, 42, "{err}");
        assert!(err.contains("after the domain wrote 0x2a"), "{err}");
        // Disks past xvdz: xvdaa, xvdab, ... (QEMU's extended vbd numbers).
        let mut cmd = Command::new(&busybox);
        cmd.arg("sh")
            .arg(root.join("tests/tools/xen-launch.sh"))
            .arg("-A")
            .arg(&args);
        for _ in 0..54 {
            cmd.arg("-d").arg(&uk);
        }
        let out = cmd
            .arg(&uk)
            .env("XEN_QEMU", &fake)
            .env("FAKE", "exit1")
            .env("FAKE_ARGV", &argv)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{out:?}");
        let words = std::fs::read_to_string(&argv).unwrap();
        for (i, name) in [
            (25, "xvdz"),
            (26, "xvdaa"),
            (51, "xvdaz"),
            (52, "xvdba"),
            (53, "xvdbb"),
        ] {
            let want = format!("xen-disk,vdev={name},drive=blk{i}\n");
            assert!(words.contains(&want), "no {want:?} in {words}");
        }
        let (rc, err) = run("hang", "1");
        assert_eq!(rc, 124, "{err}");
        assert!(err.contains("hang guard stopped QEMU after 1 s"), "{err}");
    }

    /// Boots the real x86_64 xen guest (downloads the suite's kernel and
    /// QEMU the first time) and checks that xen-launch.sh maps a domain's
    /// exit status back and stops a hung one. Run by hand:
    /// cargo test -p xtask xen_guest_boots -- --ignored --nocapture
    #[test]
    #[ignore]
    fn xen_guest_boots_and_maps_exit_statuses() {
        let root = crate::model::config::repo_root().unwrap();
        let t = crate::model::config::load_targets(&root).unwrap();
        let arch = crate::model::config::build_arch(&t);
        let out = Path::new(layout::IN_TREE);
        let scratch = root.join(layout::scratch_dir(out, "xen-probe"));
        std::fs::create_dir_all(&scratch).unwrap();
        let m = match machine(&root, out, &t, &arch) {
            Ok(m) => m,
            // CI has installed everything the guest needs: there, a
            // guest that cannot be set up is a failure, not a skip.
            Err(e) if std::env::var("CI").as_deref() == Ok("true") => {
                panic!("the xen guest cannot be set up under CI: {e:#}")
            }
            Err(e) => {
                println!("SKIP xen_guest_boots_and_maps_exit_statuses: {e:#}");
                return;
            }
        };
        let mut files = Vec::new();
        let mut cells = Vec::new();
        for (id, what) in [
            ("s7", Probe::Exit(7)),
            ("s0", Probe::Exit(0)),
            ("s100", Probe::Exit(100)),
            ("hang", Probe::Hang),
            ("poweroff", Probe::Shutdown(0)),
            ("crash", Probe::Shutdown(3)),
        ] {
            let p = scratch.join(format!("{id}.elf"));
            std::fs::write(&p, pvh_elf(what)).unwrap();
            files.push((format!("/t/{id}.elf"), p));
            cells.push(Cell {
                id: id.into(),
                argv: [LAUNCHER, "-A", QEMU_ARGS, "-t", "20", "-m", "16"]
                    .iter()
                    .map(|s| s.to_string())
                    .chain([format!("/t/{id}.elf")])
                    .collect(),
                setup: vec![],
                during: vec![],
                fetch: None,
                timeout_secs: 60,
            });
        }
        let r = guest::run_on(&m, &files, &cells).unwrap();
        for c in &cells {
            println!("{}: {:?}", c.id, r.get(&c.id));
        }
        assert_eq!(r["s7"].status, 7, "{}", r["s7"].output);
        assert_eq!(r["s0"].status, 0, "{}", r["s0"].output);
        assert_eq!(r["s100"].status, 100, "{}", r["s100"].output);
        assert!(
            r["s7"].output.contains("xen-console"),
            "the QEMU command is printed"
        );
        // A poweroff or crash without a status first is an abnormal end.
        assert_eq!(r["poweroff"].status, 255, "{}", r["poweroff"].output);
        assert!(r["poweroff"]
            .output
            .contains("without reporting an exit status"));
        assert_eq!(r["crash"].status, 255, "{}", r["crash"].output);
        assert!(
            r["crash"].output.contains("the domain crashed"),
            "{}",
            r["crash"].output
        );
        assert_eq!(r["hang"].status, 124, "{}", r["hang"].output);
        assert!(
            r["hang"].output.contains("hang guard"),
            "{}",
            r["hang"].output
        );
    }
}
