//! Host scripts that come with a binding (the virtio binding's QEMU
//! launcher and disk-image maker): copied into the arch's `bin/` under
//! their installed names, whenever the binding is supported on the arch,
//! as tenders are built whether or not their binding has landed.

use super::step::{copy_step, s, Plan, Product, ProductKind};
use crate::model::config::Config;
use crate::model::layout::Layout;
use crate::model::targets::script_name;
use std::path::Path;

/// Plans the scripts of `binding` for `arch`.
pub fn plan(plan: &mut Plan, cfg: &Config, arch: &str, binding: &str) {
    let b = &cfg.targets.binding[binding];
    let layout = Layout::new(&cfg.out, arch);
    for src in b.launcher.iter().chain(&b.mkimage) {
        let src = src.get_ref();
        let name = script_name(src);
        let out = layout.bin.join(&name);
        plan.add(copy_step("CP", arch, Path::new(src), &out, s(&out)));
        plan.products.push(Product {
            arch: arch.to_string(),
            kind: ProductKind::Script,
            name,
            path: out,
        });
    }
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;
    use std::path::{Path, PathBuf};
    use std::process::{Command, Output};

    fn script(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../tenders/virtio")
            .join(name)
    }

    /// A stand-in for qemu-system-x86_64 that records its arguments one
    /// per line and exits as told ($FAKE_RC, with $FAKE_ERR on stderr).
    fn fake_qemu(dir: &Path) -> PathBuf {
        let p = dir.join("fake-qemu");
        std::fs::write(
            &p,
            "#!/bin/sh\nfor a in \"$@\"; do printf '%s\\n' \"$a\"; done >\"$FAKE_LOG\"\n\
             [ -n \"$FAKE_ERR\" ] && printf '%s\\n' \"$FAKE_ERR\" >&2\nexit \"$FAKE_RC\"\n",
        )
        .unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
        p
    }

    struct Run {
        out: Output,
        argv: Vec<String>,
    }

    impl Run {
        fn code(&self) -> i32 {
            self.out.status.code().unwrap_or(-1)
        }
        fn stderr(&self) -> String {
            String::from_utf8_lossy(&self.out.stderr).into_owned()
        }
        /// The value after the first `flag` of QEMU's command line.
        fn after(&self, flag: &str) -> Option<&str> {
            let i = self.argv.iter().position(|a| a == flag)?;
            self.argv.get(i + 1).map(String::as_str)
        }
        fn all_after(&self, flag: &str) -> Vec<&str> {
            self.argv
                .windows(2)
                .filter(|w| w[0] == flag)
                .map(|w| w[1].as_str())
                .collect()
        }
    }

    fn launch(dir: &Path, rc: i32, err: &str, args: &[&str]) -> Run {
        let log = dir.join("argv");
        let _ = std::fs::remove_file(&log);
        let out = Command::new(script("solo5-virtio-run.sh"))
            .args(args)
            .env("SOLO5_QEMU", fake_qemu(dir))
            .env("FAKE_LOG", &log)
            .env("FAKE_RC", rc.to_string())
            .env("FAKE_ERR", err)
            .env("TMPDIR", dir)
            .current_dir(dir)
            .output()
            .unwrap();
        let argv = std::fs::read_to_string(&log)
            .unwrap_or_default()
            .lines()
            .map(String::from)
            .collect();
        Run { out, argv }
    }

    fn kernel(dir: &Path) -> PathBuf {
        let k = dir.join("hello.virtio");
        std::fs::write(&k, b"\x7fELF fake unikernel").unwrap();
        k
    }

    #[test]
    fn exit_status_comes_back_from_isa_debug_exit() {
        let dir = tempfile::tempdir().unwrap();
        let k = kernel(dir.path());
        let k = k.to_str().unwrap();
        // (QEMU's status, the launcher's): (status << 1) | 1 for 0..126,
        // 255 for an abort; 0 is a reset without a status.
        for (qemu, want) in [(1, 0), (3, 1), (15, 7), (253, 126), (255, 255), (0, 255)] {
            let r = launch(dir.path(), qemu, "", &["-q", "-H", "qemu", k]);
            assert_eq!(r.code(), want, "QEMU exit {qemu}: {}", r.stderr());
        }
        let r = launch(dir.path(), 0, "", &["-q", "-H", "qemu", k]);
        assert!(r.stderr().contains("without reporting an exit status"));
        // An even status is not isa-debug-exit's: passed on, said.
        let r = launch(dir.path(), 2, "", &["-q", "-H", "qemu", k]);
        assert_eq!(r.code(), 2);
        assert!(r.stderr().contains("QEMU exited with status 2"));
    }

    #[test]
    fn qemu_failing_by_itself_is_not_a_success() {
        let dir = tempfile::tempdir().unwrap();
        let k = kernel(dir.path());
        let k = k.to_str().unwrap();
        let err = "qemu-system-x86_64: -netdev tap: could not open /dev/net/tun";
        let r = launch(dir.path(), 1, err, &["-q", "-H", "qemu", k]);
        assert_eq!(r.code(), 1);
        assert!(r.stderr().contains(err), "QEMU's message is shown");
        assert!(r.stderr().contains("solo5-virtio-run: error: QEMU failed"));
        // A warning alone does not make status 0 a failure.
        let warn = "qemu-system-x86_64: warning: host doesn't support requested feature";
        let r = launch(dir.path(), 1, warn, &["-q", "-H", "qemu", k]);
        assert_eq!(r.code(), 0, "{}", r.stderr());
    }

    #[test]
    fn devices_arguments_and_accelerator_reach_qemu_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let k = kernel(dir.path());
        let k = k.to_str().unwrap();
        std::fs::write(dir.path().join("a.img"), "").unwrap();
        std::fs::write(dir.path().join("b,c.img"), "").unwrap();
        let args = [
            "-H", "qemu", "-m", "64", "-d", "a.img", "-n", "lo", "-d", "b,c.img", k, "--", "x,y",
            "it's",
        ];
        let r = launch(dir.path(), 1, "", &args);
        assert_eq!(r.code(), 0, "{}", r.stderr());
        assert_eq!(r.after("-accel"), Some("tcg"));
        assert_eq!(r.after("-m"), Some("64"));
        assert_eq!(r.after("-kernel"), Some(k));
        // QEMU takes -append as it is: commas are not doubled there.
        assert_eq!(r.after("-append"), Some("x,y it's"));
        assert_eq!(
            r.all_after("-drive"),
            [
                "id=blk0,file=a.img,if=none,format=raw",
                "id=blk2,file=b,,c.img,if=none,format=raw"
            ]
        );
        let devices = r.all_after("-device");
        assert_eq!(devices[0], "isa-debug-exit,iobase=0x501,iosize=2");
        assert!(devices[1].starts_with("virtio-blk-pci,drive=blk0,disable-modern=on,"));
        assert!(devices[1].ends_with(",addr=0x2"), "{}", devices[1]);
        assert!(
            devices[2].starts_with("virtio-net-pci,netdev=net1,disable-modern=on,mac=52:54:00:")
        );
        assert!(
            devices[2].ends_with(":01,bus=pci.0,addr=0x3"),
            "{}",
            devices[2]
        );
        assert!(devices[3].ends_with(",addr=0x4"), "{}", devices[3]);
        assert_eq!(
            r.after("-netdev"),
            Some("tap,id=net1,ifname=lo,script=no,downscript=no")
        );
        // The command is shown, quoted for a shell, unless -q.
        assert!(
            r.stderr().contains("-append 'x,y it'\\''s'"),
            "{}",
            r.stderr()
        );
        let r = launch(dir.path(), 1, "", &["-H", "kvm", "-q", k]);
        assert_eq!(r.after("-accel"), Some("kvm"));
        assert_eq!(r.after("-cpu"), Some("host"));
        assert_eq!(r.after("-append"), None);
        assert!(r.stderr().is_empty(), "{}", r.stderr());
    }

    #[test]
    fn more_than_thirty_devices_share_slots_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let k = kernel(dir.path());
        let mut args: Vec<String> = vec!["-q".into()];
        for i in 0..63 {
            let img = format!("d{i}.img");
            std::fs::write(dir.path().join(&img), "").unwrap();
            args.extend(["-d".into(), img]);
        }
        args.push(k.display().to_string());
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        let r = launch(dir.path(), 1, "", &refs);
        assert_eq!(r.code(), 0, "{}", r.stderr());
        let addrs: Vec<String> = r
            .all_after("-device")
            .iter()
            .filter(|d| d.starts_with("virtio-blk-pci"))
            .map(|d| d.split("addr=").nth(1).unwrap().to_string())
            .collect();
        assert_eq!(addrs.len(), 63);
        assert_eq!(addrs[0], "0x2.0,multifunction=on");
        assert_eq!(addrs[7], "0x2.7");
        assert_eq!(addrs[8], "0x3.0,multifunction=on");
        assert_eq!(addrs[62], "0x9.6");
        // Thirty devices still get a slot each, up to slot 31.
        let mut thirty = refs[..61].to_vec();
        thirty.push(refs[refs.len() - 1]);
        let r = launch(dir.path(), 1, "", &thirty);
        assert_eq!(r.code(), 0, "{}", r.stderr());
        let last = r.all_after("-device").last().map(|d| d.to_string());
        assert!(last.is_some_and(|d| d.ends_with(",addr=0x1f")));
    }

    #[test]
    fn a_disk_image_boots_from_its_disk_and_bad_input_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let img = dir.path().join("disk.img");
        let mut bytes = vec![0u8; 512];
        bytes[510] = 0x55;
        bytes[511] = 0xaa;
        std::fs::write(&img, &bytes).unwrap();
        let img = img.to_str().unwrap();
        let r = launch(dir.path(), 1, "", &["-q", img]);
        assert_eq!(r.code(), 0, "{}", r.stderr());
        assert_eq!(r.after("-kernel"), None);
        assert_eq!(
            r.after("-drive"),
            Some(format!("file={img},format=raw,if=ide,index=0,snapshot=on").as_str())
        );
        let r = launch(dir.path(), 1, "", &["-q", img, "arg"]);
        assert_eq!(r.code(), 1);
        assert!(r
            .stderr()
            .contains("arguments were fixed by solo5-virtio-mkimage"));
        let r = launch(dir.path(), 1, "", &["-q", "missing.virtio"]);
        assert_eq!(r.code(), 1);
        assert!(r
            .stderr()
            .contains("solo5-virtio-run: error: not found: missing.virtio"));
        let r = launch(dir.path(), 1, "", &["-n", "no-such-tap0", img]);
        assert!(r
            .stderr()
            .contains("no such network interface: no-such-tap0"));
        let r = launch(dir.path(), 1, "", &["-H", "bhyve", img]);
        assert!(r.stderr().contains("unknown hypervisor bhyve"));
        let r = launch(dir.path(), 1, "", &["-x", img]);
        assert_eq!(r.code(), 1);
        assert!(r
            .stderr()
            .contains("usage: solo5-virtio-run [ OPTIONS ] UNIKERNEL"));
        assert!(r.argv.is_empty(), "QEMU must not run on bad input");
    }

    /// shellcheck finds nothing in the scripts. Without shellcheck the
    /// test says so (CI installs it).
    #[test]
    fn scripts_pass_shellcheck() {
        if Command::new("shellcheck")
            .arg("--version")
            .output()
            .is_err()
        {
            eprintln!("SKIP scripts_pass_shellcheck: shellcheck is not installed (apt-get install shellcheck)");
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "CI must have shellcheck"
            );
            return;
        }
        for s in ["solo5-virtio-run.sh", "solo5-virtio-mkimage.sh"] {
            let o = Command::new("shellcheck").arg(script(s)).output().unwrap();
            assert!(
                o.status.success(),
                "shellcheck {s}:\n{}",
                String::from_utf8_lossy(&o.stdout)
            );
        }
    }

    /// The image holds an MBR with a bootable FAT32 partition from
    /// sector 2048, and the unikernel and its arguments inside; bad input
    /// is named. Without its tools the test says which to install.
    #[test]
    fn mkimage_makes_a_bootable_partitioned_image() {
        let dir = tempfile::tempdir().unwrap();
        let k = kernel(dir.path());
        let img = dir.path().join("out.img");
        let o = Command::new(script("solo5-virtio-mkimage.sh"))
            .arg(&img)
            .arg(&k)
            .args(["one", "two,three"])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        if err.contains("missing tools") {
            eprintln!("SKIP mkimage_makes_a_bootable_partitioned_image: {err}");
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "CI must have them: {err}"
            );
            return;
        }
        assert!(o.status.success(), "{err}");
        let data = std::fs::read(&img).unwrap();
        assert_eq!(&data[510..512], &[0x55, 0xaa], "MBR signature");
        let entry = &data[446..462];
        assert_eq!(entry[0], 0x80, "the partition is bootable");
        assert_eq!(entry[4], 0x0c, "FAT32 (LBA)");
        assert_eq!(u32::from_le_bytes(entry[8..12].try_into().unwrap()), 2048);
        let fat = &data[2048 * 512..];
        assert_eq!(&fat[82..87], b"FAT32");
        let text = String::from_utf8_lossy(&data);
        assert!(text.contains("APPEND -aout unikernel.bin one two,three"));
        assert!(
            data.windows(19).any(|w| w == b"\x7fELF fake unikernel"),
            "the unikernel is in the image"
        );
        // Nothing is left beside the image.
        let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().flatten().collect();
        assert_eq!(left.len(), 2, "{left:?}");

        let o = Command::new(script("solo5-virtio-mkimage.sh"))
            .args(["-f", "zip"])
            .arg(&img)
            .arg(&k)
            .output()
            .unwrap();
        assert!(!o.status.success());
        assert!(String::from_utf8_lossy(&o.stderr).contains("-f zip: unknown format"));
    }
}
