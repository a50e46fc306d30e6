//! What the checks need of an ELF file (program headers, the interpreter
//! string, the entry point, the machine, `.comment`), read through the
//! `elftool` library: one ELF reader in the workspace, any class and byte
//! order whatever the build machine.

use anyhow::{anyhow, Context, Result};
use elftool::elf::Elf as Reader;

pub const PT_LOAD: u32 = 1;
pub const PT_INTERP: u32 = 3;
pub const PT_NOTE: u32 = 4;
pub const PF_X: u32 = 1;
pub const PF_W: u32 = 2;

#[derive(Debug, Clone)]
pub struct Phdr {
    pub kind: u32,
    pub flags: u32,
    pub offset: u64,
    pub vaddr: u64,
    pub filesz: u64,
    pub memsz: u64,
}

#[derive(Debug, Clone)]
pub struct Elf {
    pub machine: u16,
    pub entry: u64,
    pub phdrs: Vec<Phdr>,
    pub interp: Option<Vec<u8>>,
}

pub fn parse(data: &[u8]) -> Result<Elf> {
    let r = Reader::parse(data).map_err(|e| anyhow!("{e}"))?;
    let phdrs: Vec<Phdr> = r
        .program_headers()
        .map_err(|e| anyhow!("{e}"))?
        .into_iter()
        .map(|p| Phdr {
            kind: p.p_type,
            flags: p.flags,
            offset: p.offset,
            vaddr: p.vaddr,
            filesz: p.filesz,
            memsz: p.memsz,
        })
        .collect();
    let interp = phdrs
        .iter()
        .find(|p| p.kind == PT_INTERP)
        .map(|p| {
            r.slice(usize::try_from(p.offset)?, usize::try_from(p.filesz)?)
                .map(<[u8]>::to_vec)
                .context("PT_INTERP outside the file")
        })
        .transpose()?;
    Ok(Elf {
        machine: r.header.machine,
        entry: r.header.entry,
        phdrs,
        interp,
    })
}

/// The names of the devices a unikernel's manifest note declares, in its
/// order (empty when it has none).
pub fn manifest_devices(data: &[u8]) -> Result<Vec<String>> {
    let r = Reader::parse(data).map_err(|e| anyhow!("{e}"))?;
    let m = elftool::notes::read_manifest(&r).map_err(|e| anyhow!("{e}"))?;
    Ok(m.map(|m| m.devices.into_iter().map(|d| d.name).collect())
        .unwrap_or_default())
}

/// The NUL-separated strings of the `.comment` section (which compilers
/// and linkers record their identity in), if the file has one.
pub fn comment_strings(data: &[u8]) -> Result<Vec<String>> {
    let r = Reader::parse(data).map_err(|e| anyhow!("{e}"))?;
    let sections = r.section_headers().map_err(|e| anyhow!("{e}"))?;
    let Some(sh) = sections
        .iter()
        .find(|sh| r.section_name(&sections, sh) == Some(b".comment".as_slice()))
    else {
        return Ok(Vec::new());
    };
    let bytes = r
        .slice(usize::try_from(sh.offset)?, usize::try_from(sh.size)?)
        .context(".comment outside the file")?;
    let mut out: Vec<String> = bytes
        .split(|&b| b == 0)
        .filter(|s| !s.is_empty())
        .map(|s| String::from_utf8_lossy(s).into_owned())
        .collect();
    out.sort();
    out.dedup();
    Ok(out)
}

/// The promises every unikernel keeps; returns what is broken, if anything.
pub fn check_unikernel(e: &Elf, machine: u16) -> Vec<String> {
    let mut broken = Vec::new();
    if e.machine != machine {
        broken.push(format!(
            "machine is {} but this arch's is {machine}",
            e.machine
        ));
    }
    match e.phdrs.first() {
        Some(p) if p.kind == PT_INTERP => {}
        _ => broken.push("the first program header is not PT_INTERP".into()),
    }
    if e.interp.as_deref() != Some(b"/nonexistent/solo5/\0".as_slice()) {
        broken.push(format!(
            "PT_INTERP is {:?}, not \"/nonexistent/solo5/\"",
            e.interp
                .as_ref()
                .map(|b| String::from_utf8_lossy(b).into_owned())
        ));
    }
    for p in e.phdrs.iter().filter(|p| p.kind == PT_LOAD) {
        if p.flags & PF_W != 0 && p.flags & PF_X != 0 {
            broken.push(format!(
                "PT_LOAD at {:#x} is both writable and executable",
                p.vaddr
            ));
        }
    }
    let in_text = e.phdrs.iter().any(|p| {
        p.kind == PT_LOAD
            && p.flags & PF_X != 0
            && e.entry >= p.vaddr
            && e.entry < p.vaddr + p.memsz
    });
    if !in_text {
        broken.push(format!(
            "entry point {:#x} is not in an executable segment",
            e.entry
        ));
    }
    if e.phdrs.iter().filter(|p| p.kind == PT_NOTE).count() < 2 {
        broken.push("fewer than two PT_NOTE headers (manifest and ABI notes)".into());
    }
    broken
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A minimal ELF64 image with the given program headers.
    fn image(
        big: bool,
        machine: u16,
        entry: u64,
        phdrs: &[(u32, u32, u64, u64, u64)],
        interp: &[u8],
    ) -> Vec<u8> {
        let mut d = vec![0u8; 64 + 56 * phdrs.len()];
        d[..4].copy_from_slice(b"\x7fELF");
        d[4] = 2;
        d[5] = if big { 2 } else { 1 };
        let put16 = |d: &mut Vec<u8>, at: usize, v: u16| {
            d[at..at + 2].copy_from_slice(&if big {
                v.to_be_bytes()
            } else {
                v.to_le_bytes()
            })
        };
        let put32 = |d: &mut Vec<u8>, at: usize, v: u32| {
            d[at..at + 4].copy_from_slice(&if big {
                v.to_be_bytes()
            } else {
                v.to_le_bytes()
            })
        };
        let put64 = |d: &mut Vec<u8>, at: usize, v: u64| {
            d[at..at + 8].copy_from_slice(&if big {
                v.to_be_bytes()
            } else {
                v.to_le_bytes()
            })
        };
        put16(&mut d, 18, machine);
        put64(&mut d, 24, entry);
        put64(&mut d, 32, 64);
        put16(&mut d, 54, 56);
        put16(&mut d, 56, phdrs.len() as u16);
        let interp_off = d.len() as u64;
        for (i, &(kind, flags, vaddr, size, _)) in phdrs.iter().enumerate() {
            let at = 64 + 56 * i;
            put32(&mut d, at, kind);
            put32(&mut d, at + 4, flags);
            put64(
                &mut d,
                at + 8,
                if kind == PT_INTERP { interp_off } else { 0 },
            );
            put64(&mut d, at + 16, vaddr);
            put64(
                &mut d,
                at + 32,
                if kind == PT_INTERP {
                    interp.len() as u64
                } else {
                    size
                },
            );
            put64(
                &mut d,
                at + 40,
                if kind == PT_INTERP {
                    interp.len() as u64
                } else {
                    size
                },
            );
        }
        d.extend_from_slice(interp);
        d
    }

    #[test]
    fn a_good_unikernel_passes_in_both_byte_orders() {
        for big in [false, true] {
            let phdrs = [
                (PT_INTERP, 4, 0x100000, 0, 0),
                (PT_LOAD, 5, 0x100000, 0x1000, 0),
                (PT_LOAD, 6, 0x101000, 0x1000, 0),
                (PT_NOTE, 4, 0x100100, 0x10, 0),
                (PT_NOTE, 4, 0x100200, 0x10, 0),
            ];
            let e = parse(&image(big, 62, 0x100010, &phdrs, b"/nonexistent/solo5/\0")).unwrap();
            assert_eq!(check_unikernel(&e, 62), Vec::<String>::new());
        }
    }

    #[test]
    fn broken_promises_are_reported() {
        let phdrs = [
            (PT_LOAD, 7, 0x100000, 0x1000, 0),
            (PT_INTERP, 4, 0x100000, 0, 0),
        ];
        let e = parse(&image(false, 183, 0x200000, &phdrs, b"/lib/ld.so\0")).unwrap();
        let broken = check_unikernel(&e, 62).join("\n");
        for want in [
            "machine is 183",
            "not PT_INTERP",
            "\"/lib/ld.so",
            "writable and executable",
            "not in an executable",
            "PT_NOTE",
        ] {
            assert!(broken.contains(want), "{want} missing from {broken}");
        }
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!(parse(b"").is_err());
        assert!(parse(b"\x7fELF\x02\x01").is_err());
        let mut d = image(false, 62, 0, &[(PT_LOAD, 5, 0, 0, 0)], b"");
        d.truncate(80);
        assert!(parse(&d).is_err());
    }
}
