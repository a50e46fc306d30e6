//! A small, bounds-checked ELF reader: just enough to find notes.
//!
//! Handles ELF32 and ELF64 in either byte order. Every offset and size read
//! from the file is checked against the buffer before use, so malformed or
//! truncated input yields an [`ElfError`], never a panic.

use std::fmt;

/// `EI_CLASS` of the file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Class {
    Elf32,
    Elf64,
}

/// `EI_DATA` of the file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Endian {
    Little,
    Big,
}

/// Why a buffer could not be read as ELF.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ElfError(pub String);

impl fmt::Display for ElfError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ElfError {}

fn err<T>(msg: impl Into<String>) -> Result<T, ElfError> {
    Err(ElfError(msg.into()))
}

pub const PT_NOTE: u32 = 4;
pub const SHT_NOTE: u32 = 7;
pub const EM_386: u16 = 3;
pub const EM_IAMCU: u16 = 6;

const PN_XNUM: u16 = 0xffff;
const SHN_XINDEX: u16 = 0xffff;

/// The parts of the ELF header this tool uses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    pub class: Class,
    pub endian: Endian,
    pub e_type: u16,
    pub machine: u16,
    pub entry: u64,
    pub phoff: u64,
    pub phentsize: u16,
    pub phnum: u32,
    pub shoff: u64,
    pub shentsize: u16,
    pub shnum: u32,
    pub shstrndx: u32,
}

/// A program header (only the fields needed here).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProgramHeader {
    pub p_type: u32,
    pub flags: u32,
    pub offset: u64,
    pub vaddr: u64,
    pub filesz: u64,
    pub memsz: u64,
    pub align: u64,
}

/// A section header (only the fields needed here).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SectionHeader {
    pub name: u32,
    pub sh_type: u32,
    pub offset: u64,
    pub size: u64,
    pub addralign: u64,
}

/// One note record, located in the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Note<'a> {
    /// File offset of the note header (n_namesz).
    pub offset: usize,
    /// The owner name exactly as stored: `n_namesz` bytes, NUL included.
    pub name: &'a [u8],
    pub n_type: u32,
    /// `n_descsz` as stored.
    pub descsz: u32,
    /// Bytes from the note header to the end of the region containing it;
    /// a note never extends past this.
    pub room: usize,
}

/// Cursor-free reader over a whole ELF file held in memory.
pub struct Elf<'a> {
    data: &'a [u8],
    pub header: Header,
}

impl std::fmt::Debug for Elf<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Elf")
            .field("len", &self.data.len())
            .field("header", &self.header)
            .finish()
    }
}

/// Read `N` bytes at `off`, or fail with a message naming `what`.
fn bytes<const N: usize>(data: &[u8], off: u64, what: &str) -> Result<[u8; N], ElfError> {
    let start = usize::try_from(off).ok();
    let slice = start
        .and_then(|s| s.checked_add(N).map(|e| (s, e)))
        .and_then(|(s, e)| data.get(s..e));
    match slice {
        Some(s) => {
            let mut out = [0u8; N];
            out.copy_from_slice(s);
            Ok(out)
        }
        None => err(format!(
            "truncated file: {what} at offset {off:#x} extends past the end ({:#x} bytes)",
            data.len()
        )),
    }
}

impl Endian {
    pub fn u16(self, b: [u8; 2]) -> u16 {
        match self {
            Endian::Little => u16::from_le_bytes(b),
            Endian::Big => u16::from_be_bytes(b),
        }
    }
    pub fn u32(self, b: [u8; 4]) -> u32 {
        match self {
            Endian::Little => u32::from_le_bytes(b),
            Endian::Big => u32::from_be_bytes(b),
        }
    }
    pub fn u64(self, b: [u8; 8]) -> u64 {
        match self {
            Endian::Little => u64::from_le_bytes(b),
            Endian::Big => u64::from_be_bytes(b),
        }
    }
}

/// Round `v` up to a multiple of `align` (a power of two), without overflow.
fn align_up(v: u64, align: u64) -> Option<u64> {
    v.checked_add(align - 1).map(|x| x & !(align - 1))
}

impl<'a> Elf<'a> {
    /// Parse the ELF header of `data`.
    pub fn parse(data: &'a [u8]) -> Result<Self, ElfError> {
        if data.len() < 4 || &data[..4] != b"\x7fELF" {
            return err("not an ELF file (bad magic number)");
        }
        if data.len() < 16 {
            return err("truncated file: ELF identification is incomplete");
        }
        let class = match data[4] {
            1 => Class::Elf32,
            2 => Class::Elf64,
            c => return err(format!("unsupported ELF class {c} (expected 1 or 2)")),
        };
        let endian = match data[5] {
            1 => Endian::Little,
            2 => Endian::Big,
            d => {
                return err(format!(
                    "unsupported ELF data encoding {d} (expected 1 or 2)"
                ))
            }
        };
        let mut elf = Elf {
            data,
            header: Header {
                class,
                endian,
                e_type: 0,
                machine: 0,
                entry: 0,
                phoff: 0,
                phentsize: 0,
                phnum: 0,
                shoff: 0,
                shentsize: 0,
                shnum: 0,
                shstrndx: 0,
            },
        };
        let ehsize = match class {
            Class::Elf32 => 52,
            Class::Elf64 => 64,
        };
        if data.len() < ehsize {
            return err(format!(
                "truncated file: the ELF header needs {ehsize} bytes, the file has {}",
                data.len()
            ));
        }
        let h = &mut elf.header;
        h.e_type = endian.u16(bytes(data, 16, "e_type")?);
        h.machine = endian.u16(bytes(data, 18, "e_machine")?);
        h.entry = match class {
            Class::Elf32 => u64::from(endian.u32(bytes(data, 24, "e_entry")?)),
            Class::Elf64 => endian.u64(bytes(data, 24, "e_entry")?),
        };
        let (phoff, shoff, rest) = match class {
            Class::Elf32 => (
                u64::from(endian.u32(bytes(data, 28, "e_phoff")?)),
                u64::from(endian.u32(bytes(data, 32, "e_shoff")?)),
                42u64,
            ),
            Class::Elf64 => (
                endian.u64(bytes(data, 32, "e_phoff")?),
                endian.u64(bytes(data, 40, "e_shoff")?),
                54u64,
            ),
        };
        h.phoff = phoff;
        h.shoff = shoff;
        h.phentsize = endian.u16(bytes(data, rest, "e_phentsize")?);
        let phnum = endian.u16(bytes(data, rest + 2, "e_phnum")?);
        h.shentsize = endian.u16(bytes(data, rest + 4, "e_shentsize")?);
        let shnum = endian.u16(bytes(data, rest + 6, "e_shnum")?);
        let shstrndx = endian.u16(bytes(data, rest + 8, "e_shstrndx")?);
        h.phnum = u32::from(phnum);
        h.shnum = u32::from(shnum);
        h.shstrndx = u32::from(shstrndx);

        // Extended numbering: the real counts live in section header 0.
        let needs_sh0 = phnum == PN_XNUM || (shnum == 0 && shoff != 0) || shstrndx == SHN_XINDEX;
        if needs_sh0 {
            if shoff == 0 {
                return err("ELF header uses extended numbering but has no section headers");
            }
            elf.check_shentsize()?;
            let (size, link, info) = elf.section0_extension()?;
            let h = &mut elf.header;
            if phnum == PN_XNUM {
                h.phnum = info;
            }
            if shnum == 0 {
                h.shnum = u32::try_from(size).map_err(|_| {
                    ElfError(format!(
                        "section count {size} in section header 0 is too large"
                    ))
                })?;
            }
            if shstrndx == SHN_XINDEX {
                h.shstrndx = link;
            }
        }
        Ok(elf)
    }

    pub fn data(&self) -> &'a [u8] {
        self.data
    }

    fn u32_at(&self, off: u64, what: &str) -> Result<u32, ElfError> {
        Ok(self.header.endian.u32(bytes(self.data, off, what)?))
    }

    fn u64_at(&self, off: u64, what: &str) -> Result<u64, ElfError> {
        Ok(self.header.endian.u64(bytes(self.data, off, what)?))
    }

    /// A word-sized field: 4 bytes in ELF32, 8 in ELF64.
    fn word_at(&self, off: u64, what: &str) -> Result<u64, ElfError> {
        match self.header.class {
            Class::Elf32 => self.u32_at(off, what).map(u64::from),
            Class::Elf64 => self.u64_at(off, what),
        }
    }

    fn check_shentsize(&self) -> Result<(), ElfError> {
        let min = match self.header.class {
            Class::Elf32 => 40,
            Class::Elf64 => 64,
        };
        if self.header.shentsize < min {
            return err(format!(
                "section header entry size {} is smaller than {min}",
                self.header.shentsize
            ));
        }
        Ok(())
    }

    fn section0_extension(&self) -> Result<(u64, u32, u32), ElfError> {
        let s = self.section_header_raw(0)?;
        let link_off = match self.header.class {
            Class::Elf32 => 24,
            Class::Elf64 => 40,
        };
        let base = self.header.shoff;
        let link = self.u32_at(base + link_off, "section header 0")?;
        let info = self.u32_at(base + link_off + 4, "section header 0")?;
        Ok((s.size, link, info))
    }

    /// File offset of table entry `index`, checked for overflow.
    fn entry_offset(base: u64, entsize: u16, index: u32, what: &str) -> Result<u64, ElfError> {
        u64::from(index)
            .checked_mul(u64::from(entsize))
            .and_then(|o| o.checked_add(base))
            .ok_or_else(|| ElfError(format!("{what} {index}: offset overflows")))
    }

    /// All program headers.
    pub fn program_headers(&self) -> Result<Vec<ProgramHeader>, ElfError> {
        let h = &self.header;
        if h.phnum == 0 {
            return Ok(Vec::new());
        }
        let min = match h.class {
            Class::Elf32 => 32,
            Class::Elf64 => 56,
        };
        if h.phentsize < min {
            return err(format!(
                "program header entry size {} is smaller than {min}",
                h.phentsize
            ));
        }
        self.check_table_fits(h.phoff, h.phentsize, h.phnum, "program header table")?;
        let mut out = Vec::with_capacity(h.phnum as usize);
        for i in 0..h.phnum {
            let at = Self::entry_offset(h.phoff, h.phentsize, i, "program header")?;
            let what = "program header";
            let p_type = self.u32_at(at, what)?;
            let ph = match h.class {
                Class::Elf32 => ProgramHeader {
                    p_type,
                    offset: u64::from(self.u32_at(at + 4, what)?),
                    vaddr: u64::from(self.u32_at(at + 8, what)?),
                    filesz: u64::from(self.u32_at(at + 16, what)?),
                    memsz: u64::from(self.u32_at(at + 20, what)?),
                    flags: self.u32_at(at + 24, what)?,
                    align: u64::from(self.u32_at(at + 28, what)?),
                },
                Class::Elf64 => ProgramHeader {
                    p_type,
                    flags: self.u32_at(at + 4, what)?,
                    offset: self.u64_at(at + 8, what)?,
                    vaddr: self.u64_at(at + 16, what)?,
                    filesz: self.u64_at(at + 32, what)?,
                    memsz: self.u64_at(at + 40, what)?,
                    align: self.u64_at(at + 48, what)?,
                },
            };
            out.push(ph);
        }
        Ok(out)
    }

    fn check_table_fits(
        &self,
        off: u64,
        entsize: u16,
        num: u32,
        what: &str,
    ) -> Result<(), ElfError> {
        let end = u64::from(num)
            .checked_mul(u64::from(entsize))
            .and_then(|len| len.checked_add(off));
        match end {
            Some(end) if end <= self.data.len() as u64 => Ok(()),
            _ => err(format!(
                "truncated file: {what} ({num} entries of {entsize} bytes at offset {off:#x}) \
                 extends past the end ({:#x} bytes)",
                self.data.len()
            )),
        }
    }

    fn section_header_raw(&self, index: u32) -> Result<SectionHeader, ElfError> {
        let h = &self.header;
        let at = Self::entry_offset(h.shoff, h.shentsize, index, "section header")?;
        let what = "section header";
        let name = self.u32_at(at, what)?;
        let sh_type = self.u32_at(at + 4, what)?;
        Ok(match h.class {
            Class::Elf32 => SectionHeader {
                name,
                sh_type,
                offset: self.word_at(at + 16, what)?,
                size: self.word_at(at + 20, what)?,
                addralign: self.word_at(at + 32, what)?,
            },
            Class::Elf64 => SectionHeader {
                name,
                sh_type,
                offset: self.word_at(at + 24, what)?,
                size: self.word_at(at + 32, what)?,
                addralign: self.word_at(at + 48, what)?,
            },
        })
    }

    /// All section headers.
    pub fn section_headers(&self) -> Result<Vec<SectionHeader>, ElfError> {
        let h = &self.header;
        if h.shoff == 0 || h.shnum == 0 {
            return Ok(Vec::new());
        }
        self.check_shentsize()?;
        self.check_table_fits(h.shoff, h.shentsize, h.shnum, "section header table")?;
        (0..h.shnum).map(|i| self.section_header_raw(i)).collect()
    }

    /// Name of a section, from the section header string table, if any.
    pub fn section_name(&self, sections: &[SectionHeader], sh: &SectionHeader) -> Option<&'a [u8]> {
        let strtab = sections.get(self.header.shstrndx as usize)?;
        let start = usize::try_from(strtab.offset).ok()?;
        let len = usize::try_from(strtab.size).ok()?;
        let table = self.data.get(start..start.checked_add(len)?)?;
        let rest = table.get(usize::try_from(sh.name).ok()?..)?;
        let end = rest.iter().position(|&b| b == 0)?;
        Some(&rest[..end])
    }

    /// The notes in the file region `[offset, offset + size)`, laid out with
    /// `align`-byte padding (4, or 8 for regions aligned to 8).
    pub fn notes_in(
        &self,
        offset: u64,
        size: u64,
        align: u64,
        what: &str,
    ) -> Result<Vec<Note<'a>>, ElfError> {
        let end = offset
            .checked_add(size)
            .filter(|&e| e <= self.data.len() as u64);
        let Some(end) = end else {
            return err(format!(
                "truncated file: {what} (offset {offset:#x}, size {size:#x}) extends past the end \
                 ({:#x} bytes)",
                self.data.len()
            ));
        };
        let align = if align == 8 { 8 } else { 4 };
        let mut notes = Vec::new();
        let mut at = offset;
        // Anything shorter than a note header at the end is padding.
        while end - at >= 12 {
            let namesz = self.u32_at(at, what)?;
            let descsz = self.u32_at(at + 4, what)?;
            let n_type = self.u32_at(at + 8, what)?;
            let name_end = (at + 12).checked_add(u64::from(namesz));
            let desc_start = align_up(12 + u64::from(namesz), align).map(|d| at + d);
            let desc_end = desc_start.and_then(|d| d.checked_add(u64::from(descsz)));
            let (Some(name_end), Some(desc_end)) = (name_end, desc_end) else {
                return err(format!(
                    "malformed note at offset {at:#x} in {what}: size overflows"
                ));
            };
            if name_end > end || desc_end > end {
                return err(format!(
                    "malformed note at offset {at:#x} in {what}: name ({namesz} bytes) or \
                     descriptor ({descsz} bytes) extends past the end of the {what}"
                ));
            }
            // In range: both fit in `data`, which is a usize-indexed slice.
            let name = &self.data[(at + 12) as usize..name_end as usize];
            notes.push(Note {
                offset: at as usize,
                name,
                n_type,
                descsz,
                room: (end - at) as usize,
            });
            match align_up(desc_end, align) {
                Some(next) if next > at => at = next.min(end),
                _ => break,
            }
        }
        Ok(notes)
    }

    /// Every note in the file. Notes are looked up in `PT_NOTE` segments, as
    /// a loader does; a file without program headers (a relocatable object)
    /// is searched through its `SHT_NOTE` sections instead.
    pub fn notes(&self) -> Result<Vec<Note<'a>>, ElfError> {
        let phdrs = self.program_headers()?;
        let mut notes = Vec::new();
        if !phdrs.is_empty() {
            for (i, ph) in phdrs
                .iter()
                .enumerate()
                .filter(|(_, p)| p.p_type == PT_NOTE)
            {
                let what = format!("PT_NOTE segment (program header {i})");
                notes.extend(self.notes_in(ph.offset, ph.filesz, ph.align, &what)?);
            }
            return Ok(notes);
        }
        let sections = self.section_headers()?;
        for (i, sh) in sections
            .iter()
            .enumerate()
            .filter(|(_, s)| s.sh_type == SHT_NOTE)
        {
            let what = match self.section_name(&sections, sh) {
                Some(n) => format!("note section {}", String::from_utf8_lossy(n)),
                None => format!("note section {i}"),
            };
            notes.extend(self.notes_in(sh.offset, sh.size, sh.addralign, &what)?);
        }
        Ok(notes)
    }

    /// The bytes `[offset, offset + len)` of the file, if in range.
    pub fn slice(&self, offset: usize, len: usize) -> Option<&'a [u8]> {
        self.data.get(offset..offset.checked_add(len)?)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Builds small ELF files byte by byte, for tests.
    pub struct Builder {
        pub class: Class,
        pub endian: Endian,
        pub machine: u16,
        pub e_type: u16,
    }

    impl Builder {
        fn put16(&self, out: &mut Vec<u8>, v: u16) {
            match self.endian {
                Endian::Little => out.extend_from_slice(&v.to_le_bytes()),
                Endian::Big => out.extend_from_slice(&v.to_be_bytes()),
            }
        }
        fn put32(&self, out: &mut Vec<u8>, v: u32) {
            match self.endian {
                Endian::Little => out.extend_from_slice(&v.to_le_bytes()),
                Endian::Big => out.extend_from_slice(&v.to_be_bytes()),
            }
        }
        fn put64(&self, out: &mut Vec<u8>, v: u64) {
            match self.endian {
                Endian::Little => out.extend_from_slice(&v.to_le_bytes()),
                Endian::Big => out.extend_from_slice(&v.to_be_bytes()),
            }
        }
        fn word(&self, out: &mut Vec<u8>, v: u64) {
            match self.class {
                Class::Elf32 => self.put32(out, v as u32),
                Class::Elf64 => self.put64(out, v),
            }
        }

        /// One note record, padded to 4 bytes.
        pub fn note(&self, name: &[u8], n_type: u32, desc: &[u8]) -> Vec<u8> {
            let mut out = Vec::new();
            self.put32(&mut out, name.len() as u32);
            self.put32(&mut out, desc.len() as u32);
            self.put32(&mut out, n_type);
            out.extend_from_slice(name);
            while out.len() % 4 != 0 {
                out.push(0);
            }
            out.extend_from_slice(desc);
            while out.len() % 4 != 0 {
                out.push(0);
            }
            out
        }

        pub fn u32s(&self, words: &[u32]) -> Vec<u8> {
            let mut out = Vec::new();
            for &w in words {
                self.put32(&mut out, w);
            }
            out
        }

        /// An executable-like file with one PT_NOTE segment holding `notes`.
        pub fn with_pt_note(&self, notes: &[u8]) -> Vec<u8> {
            let (ehsize, phentsize) = match self.class {
                Class::Elf32 => (52u64, 32u16),
                Class::Elf64 => (64u64, 56u16),
            };
            let phoff = ehsize;
            let note_off = phoff + u64::from(phentsize);
            let mut out = self.ident();
            self.put16(&mut out, self.e_type);
            self.put16(&mut out, self.machine);
            self.put32(&mut out, 1);
            self.word(&mut out, 0); // entry
            self.word(&mut out, phoff);
            self.word(&mut out, 0); // shoff
            self.put32(&mut out, 0); // flags
            self.put16(&mut out, ehsize as u16);
            self.put16(&mut out, phentsize);
            self.put16(&mut out, 1);
            self.put16(&mut out, 0);
            self.put16(&mut out, 0);
            self.put16(&mut out, 0);
            assert_eq!(out.len() as u64, ehsize);
            self.put32(&mut out, PT_NOTE);
            match self.class {
                Class::Elf32 => {
                    self.put32(&mut out, note_off as u32);
                    self.put32(&mut out, 0);
                    self.put32(&mut out, 0);
                    self.put32(&mut out, notes.len() as u32);
                    self.put32(&mut out, notes.len() as u32);
                    self.put32(&mut out, 4);
                    self.put32(&mut out, 4);
                }
                Class::Elf64 => {
                    self.put32(&mut out, 4); // flags
                    self.put64(&mut out, note_off);
                    self.put64(&mut out, 0);
                    self.put64(&mut out, 0);
                    self.put64(&mut out, notes.len() as u64);
                    self.put64(&mut out, notes.len() as u64);
                    self.put64(&mut out, 4);
                }
            }
            assert_eq!(out.len() as u64, note_off);
            out.extend_from_slice(notes);
            out
        }

        /// A relocatable-like file with no program headers and sections
        /// [null, .shstrtab, `name` (SHT_NOTE) = notes].
        pub fn with_note_section(&self, name: &str, notes: &[u8]) -> Vec<u8> {
            let (ehsize, shentsize) = match self.class {
                Class::Elf32 => (52u64, 40u16),
                Class::Elf64 => (64u64, 64u16),
            };
            let mut strtab = vec![0u8];
            strtab.extend_from_slice(b".shstrtab\0");
            let name_off = strtab.len() as u32;
            strtab.extend_from_slice(name.as_bytes());
            strtab.push(0);
            let notes_off = ehsize;
            let strtab_off = notes_off + notes.len() as u64;
            let mut shoff = strtab_off + strtab.len() as u64;
            shoff = (shoff + 7) & !7;
            let mut out = self.ident();
            self.put16(&mut out, self.e_type);
            self.put16(&mut out, self.machine);
            self.put32(&mut out, 1);
            self.word(&mut out, 0);
            self.word(&mut out, 0); // phoff
            self.word(&mut out, shoff);
            self.put32(&mut out, 0);
            self.put16(&mut out, ehsize as u16);
            self.put16(&mut out, 0);
            self.put16(&mut out, 0);
            self.put16(&mut out, shentsize);
            self.put16(&mut out, 3);
            self.put16(&mut out, 1);
            out.extend_from_slice(notes);
            out.extend_from_slice(&strtab);
            out.resize(shoff as usize, 0);
            let sections: [(u32, u32, u64, u64, u64); 3] = [
                (0, 0, 0, 0, 0),
                (1, 3, strtab_off, strtab.len() as u64, 1),
                (name_off, SHT_NOTE, notes_off, notes.len() as u64, 4),
            ];
            for (n, t, off, size, align) in sections {
                self.put32(&mut out, n);
                self.put32(&mut out, t);
                self.word(&mut out, 0); // flags
                self.word(&mut out, 0); // addr
                self.word(&mut out, off);
                self.word(&mut out, size);
                self.put32(&mut out, 0);
                self.put32(&mut out, 0);
                self.word(&mut out, align);
                self.word(&mut out, 0);
            }
            out
        }

        fn ident(&self) -> Vec<u8> {
            let mut out = b"\x7fELF".to_vec();
            out.push(match self.class {
                Class::Elf32 => 1,
                Class::Elf64 => 2,
            });
            out.push(match self.endian {
                Endian::Little => 1,
                Endian::Big => 2,
            });
            out.push(1);
            out.resize(16, 0);
            out
        }
    }

    pub fn all_builders() -> Vec<Builder> {
        let mut v = Vec::new();
        for class in [Class::Elf32, Class::Elf64] {
            for endian in [Endian::Little, Endian::Big] {
                v.push(Builder {
                    class,
                    endian,
                    machine: 62,
                    e_type: 2,
                });
            }
        }
        v
    }

    #[test]
    fn reads_header_of_every_class_and_order() {
        for b in all_builders() {
            let file = b.with_pt_note(&[]);
            let elf = Elf::parse(&file).expect("valid header");
            assert_eq!(elf.header.class, b.class);
            assert_eq!(elf.header.endian, b.endian);
            assert_eq!(elf.header.machine, 62);
            assert_eq!(elf.header.phnum, 1);
        }
    }

    #[test]
    fn finds_notes_in_segments_and_sections() {
        for b in all_builders() {
            let mut notes = b.note(b"GNU\0", 3, &[1, 2, 3, 4, 5]);
            notes.extend(b.note(b"Solo5\0", 0x31494241, &b.u32s(&[1, 2, 0, 0])));
            for file in [
                b.with_pt_note(&notes),
                b.with_note_section(".note.x", &notes),
            ] {
                let elf = Elf::parse(&file).expect("parse");
                let found = elf.notes().expect("notes");
                assert_eq!(found.len(), 2, "{:?} {:?}", b.class, b.endian);
                assert_eq!(found[0].name, b"GNU\0");
                assert_eq!(found[0].n_type, 3);
                assert_eq!(found[0].descsz, 5);
                assert_eq!(found[1].name, b"Solo5\0");
                assert_eq!(found[1].n_type, 0x31494241);
                assert_eq!(found[1].descsz, 16);
            }
        }
    }

    #[test]
    fn section_names_resolve() {
        let b = &all_builders()[3];
        let file = b.with_note_section(".note.solo5.abi", &[]);
        let elf = Elf::parse(&file).expect("parse");
        let secs = elf.section_headers().expect("sections");
        assert_eq!(
            elf.section_name(&secs, &secs[2]),
            Some(&b".note.solo5.abi"[..])
        );
    }

    #[test]
    fn rejects_non_elf_and_bad_ident() {
        assert!(Elf::parse(b"").is_err());
        assert!(Elf::parse(b"\x7fEL").is_err());
        assert!(Elf::parse(b"#!/bin/sh\n").is_err());
        let mut f = b"\x7fELF".to_vec();
        f.resize(64, 0);
        f[4] = 3;
        assert!(Elf::parse(&f).unwrap_err().0.contains("class"));
        f[4] = 2;
        f[5] = 9;
        assert!(Elf::parse(&f).unwrap_err().0.contains("encoding"));
    }

    #[test]
    fn note_overrunning_its_segment_is_an_error() {
        for b in all_builders() {
            let mut notes = b.note(b"Solo5\0", 1, &[0; 16]);
            // Claim a descriptor far larger than the segment.
            let big = b.u32s(&[0x1000]);
            notes[4..8].copy_from_slice(&big);
            let file = b.with_pt_note(&notes);
            let elf = Elf::parse(&file).expect("parse");
            assert!(elf.notes().is_err());
        }
    }

    #[test]
    fn every_truncation_fails_cleanly() {
        for b in all_builders() {
            let notes = b.note(b"Solo5\0", 0x3154464d, &[0; 40]);
            for file in [b.with_pt_note(&notes), b.with_note_section(".n", &notes)] {
                for len in 0..file.len() {
                    let cut = &file[..len];
                    // Must return, never panic; the result may be Ok with
                    // fewer notes only if the cut removed whole notes.
                    if let Ok(elf) = Elf::parse(cut) {
                        let _ = elf.notes();
                    }
                }
            }
        }
    }

    #[test]
    fn garbage_never_panics() {
        // A simple deterministic generator; no external crates needed.
        let mut state: u64 = 0x9e3779b97f4a7c15;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for b in all_builders() {
            let notes = b.note(b"Solo5\0", 0x3154464d, &[0; 40]);
            let good = b.with_pt_note(&notes);
            let good_s = b.with_note_section(".n", &notes);
            for _ in 0..3000 {
                for base in [&good, &good_s] {
                    let mut f = base.clone();
                    let flips = 1 + (next() % 4) as usize;
                    for _ in 0..flips {
                        let i = (next() as usize) % f.len();
                        f[i] = next() as u8;
                    }
                    if let Ok(elf) = Elf::parse(&f) {
                        let _ = elf.notes();
                        let _ = elf.section_headers();
                    }
                }
            }
        }
    }

    #[test]
    fn extended_numbering_is_followed() {
        // phnum = PN_XNUM with section 0 saying 0 program headers.
        let b = &all_builders()[1];
        let mut file = b.with_note_section(".note.x", &b.note(b"A\0", 1, &[]));
        let rest = 42;
        file[rest + 2..rest + 4].copy_from_slice(&b.u32s(&[0xffff])[2..4]);
        let elf = Elf::parse(&file).expect("parse");
        assert_eq!(elf.header.phnum, 0);
        assert_eq!(elf.notes().expect("notes").len(), 1);
    }
}
