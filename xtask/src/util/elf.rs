//! Just enough ELF reading to check what the linker scripts promise:
//! program headers, the interpreter string, the entry point and the
//! machine. Any class and byte order, whatever the build machine.

use anyhow::{bail, ensure, Context, Result};

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

struct Reader<'a> {
    data: &'a [u8],
    big: bool,
}

impl Reader<'_> {
    fn bytes<const N: usize>(&self, at: u64) -> Result<[u8; N]> {
        let at = usize::try_from(at).context("offset too large")?;
        let end = at.checked_add(N).context("offset overflow")?;
        let slice = self.data.get(at..end).context("truncated ELF file")?;
        let mut out = [0u8; N];
        out.copy_from_slice(slice);
        Ok(out)
    }
    fn u16(&self, at: u64) -> Result<u16> {
        let b = self.bytes::<2>(at)?;
        Ok(if self.big {
            u16::from_be_bytes(b)
        } else {
            u16::from_le_bytes(b)
        })
    }
    fn u32(&self, at: u64) -> Result<u32> {
        let b = self.bytes::<4>(at)?;
        Ok(if self.big {
            u32::from_be_bytes(b)
        } else {
            u32::from_le_bytes(b)
        })
    }
    fn u64(&self, at: u64) -> Result<u64> {
        let b = self.bytes::<8>(at)?;
        Ok(if self.big {
            u64::from_be_bytes(b)
        } else {
            u64::from_le_bytes(b)
        })
    }
}

pub fn parse(data: &[u8]) -> Result<Elf> {
    ensure!(
        data.len() >= 16 && &data[..4] == b"\x7fELF",
        "not an ELF file"
    );
    let is64 = match data[4] {
        1 => false,
        2 => true,
        c => bail!("bad ELF class {c}"),
    };
    let big = match data[5] {
        1 => false,
        2 => true,
        d => bail!("bad ELF data encoding {d}"),
    };
    let r = Reader { data, big };
    let machine = r.u16(18)?;
    let (entry, phoff, phentsize, phnum) = if is64 {
        (r.u64(24)?, r.u64(32)?, r.u16(54)?, r.u16(56)?)
    } else {
        (r.u32(24)? as u64, r.u32(28)? as u64, r.u16(42)?, r.u16(44)?)
    };
    let mut phdrs = Vec::new();
    for i in 0..phnum as u64 {
        let at = phoff + i * phentsize as u64;
        let p = if is64 {
            Phdr {
                kind: r.u32(at)?,
                flags: r.u32(at + 4)?,
                offset: r.u64(at + 8)?,
                vaddr: r.u64(at + 16)?,
                filesz: r.u64(at + 32)?,
                memsz: r.u64(at + 40)?,
            }
        } else {
            Phdr {
                kind: r.u32(at)?,
                offset: r.u32(at + 4)? as u64,
                vaddr: r.u32(at + 8)? as u64,
                filesz: r.u32(at + 16)? as u64,
                memsz: r.u32(at + 20)? as u64,
                flags: r.u32(at + 24)?,
            }
        };
        phdrs.push(p);
    }
    let interp = phdrs
        .iter()
        .find(|p| p.kind == PT_INTERP)
        .map(|p| -> Result<Vec<u8>> {
            let start = usize::try_from(p.offset)?;
            let end = start
                .checked_add(usize::try_from(p.filesz)?)
                .context("overflow")?;
            Ok(data
                .get(start..end)
                .context("PT_INTERP outside the file")?
                .to_vec())
        })
        .transpose()?;
    Ok(Elf {
        machine,
        entry,
        phdrs,
        interp,
    })
}

/// The NUL-separated strings of the `.comment` section (which compilers
/// and linkers record their identity in), if the file has one.
pub fn comment_strings(data: &[u8]) -> Result<Vec<String>> {
    ensure!(
        data.len() >= 64 && &data[..4] == b"\x7fELF",
        "not an ELF file"
    );
    let is64 = data[4] == 2;
    let r = Reader {
        data,
        big: data[5] == 2,
    };
    let (shoff, shentsize, shnum, shstrndx) = if is64 {
        (
            r.u64(40)?,
            r.u16(58)? as u64,
            r.u16(60)? as u64,
            r.u16(62)? as u64,
        )
    } else {
        (
            r.u32(32)? as u64,
            r.u16(46)? as u64,
            r.u16(48)? as u64,
            r.u16(50)? as u64,
        )
    };
    // (name offset, file offset, size) of section i.
    let section = |i: u64| -> Result<(u64, u64, u64)> {
        let at = shoff + i * shentsize;
        Ok(if is64 {
            (r.u32(at)? as u64, r.u64(at + 24)?, r.u64(at + 32)?)
        } else {
            (
                r.u32(at)? as u64,
                r.u32(at + 16)? as u64,
                r.u32(at + 20)? as u64,
            )
        })
    };
    let (_, strtab, _) = section(shstrndx)?;
    for i in 0..shnum {
        let (name, off, size) = section(i)?;
        let start = usize::try_from(strtab + name)?;
        let end = data[start..]
            .iter()
            .position(|&b| b == 0)
            .context("unterminated section name")?;
        if &data[start..start + end] == b".comment" {
            let off = usize::try_from(off)?;
            let bytes = data
                .get(off..off + usize::try_from(size)?)
                .context(".comment outside the file")?;
            let mut out: Vec<String> = bytes
                .split(|&b| b == 0)
                .filter(|s| !s.is_empty())
                .map(|s| String::from_utf8_lossy(s).into_owned())
                .collect();
            out.sort();
            out.dedup();
            return Ok(out);
        }
    }
    Ok(Vec::new())
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
