//! Version numbers as integers, and the few banners we must read because
//! the tool has no machine-readable way to say its version (linkers).

use serde::{Deserialize, Serialize};
use std::fmt;

/// A dotted version, compared numerically component by component, so
/// 10 > 9 and 100 > 14.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Version {
    pub major: u32,
    pub minor: u32,
    pub patch: u32,
}

impl Version {
    pub fn new(major: u32, minor: u32, patch: u32) -> Self {
        Version {
            major,
            minor,
            patch,
        }
    }

    /// Parses "12", "12.2", "12.2.0", "16.0.6-rc1"; the text after the
    /// numeric prefix of each component is ignored. Returns None when the
    /// string does not start with a number.
    pub fn parse(text: &str) -> Option<Version> {
        let mut parts = [0u32; 3];
        let mut seen = 0;
        for (i, piece) in text.trim().split('.').take(3).enumerate() {
            let digits: String = piece.chars().take_while(|c| c.is_ascii_digit()).collect();
            if digits.is_empty() {
                break;
            }
            parts[i] = digits.parse().ok()?;
            seen += 1;
            if digits.len() != piece.len() {
                break;
            }
        }
        if seen == 0 {
            return None;
        }
        Some(Version::new(parts[0], parts[1], parts[2]))
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

/// Which linker a `-v`/`--version` banner belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LinkerKind {
    Gnu,
    Lld,
}

impl fmt::Display for LinkerKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            LinkerKind::Gnu => "GNU ld",
            LinkerKind::Lld => "LLD",
        })
    }
}

/// Reads a linker's first banner line: "GNU ld (GNU Binutils for Debian)
/// 2.40", "GNU ld version 2.41-37.fc40", "LLD 17.0.1 (compatible with GNU
/// linkers)", "Debian LLD 16.0.6 (...)", "Ubuntu LLD 14.0.0". LLD is
/// recognised by the word "LLD" (distros prefix their name), GNU ld by
/// "GNU ld"; the version is the first dotted number after that word.
pub fn parse_linker_banner(banner: &str) -> Option<(LinkerKind, Version)> {
    let line = banner.lines().find(|l| !l.trim().is_empty())?;
    let words: Vec<&str> = line.split_whitespace().collect();
    let (kind, after) = if let Some(i) = words.iter().position(|w| *w == "LLD") {
        (LinkerKind::Lld, i + 1)
    } else if let Some(i) = words.windows(2).position(|w| w[0] == "GNU" && w[1] == "ld") {
        (LinkerKind::Gnu, i + 2)
    } else {
        return None;
    };
    let version = words[after..]
        .iter()
        .filter(|w| w.contains('.'))
        .find_map(|w| Version::parse(w))?;
    Some((kind, version))
}

/// Reads the version out of a compiler's `--version` banner, for the cases
/// where `-dumpfullversion` is not available (only used in messages and
/// tests: detection itself asks the compiler's predefined macros).
/// "gcc (Debian 12.2.0-14) 12.2.0", "gcc (GCC) 14.1.1 20240701 (Red Hat
/// 14.1.1-7)", "gcc (Alpine 13.2.1_git20231014) 13.2.1 20231014",
/// "Apple clang version 15.0.0 (clang-1500.3.9.4)", "Homebrew clang version
/// 18.1.8", "Debian clang version 16.0.6 (15~deb12u1)".
pub fn parse_compiler_banner(banner: &str) -> Option<Version> {
    let line = banner.lines().find(|l| !l.trim().is_empty())?;
    let words: Vec<&str> = line.split_whitespace().collect();
    if let Some(i) = words.iter().position(|w| *w == "version") {
        return words.get(i + 1).and_then(|w| Version::parse(w));
    }
    // GCC: the version follows the closing parenthesis of the package
    // description.
    let close = line.find(')')?;
    line[close + 1..]
        .split_whitespace()
        .find_map(|w| w.contains('.').then(|| Version::parse(w)).flatten())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_dotted_versions() {
        assert_eq!(Version::parse("12"), Some(Version::new(12, 0, 0)));
        assert_eq!(Version::parse("12.2.0"), Some(Version::new(12, 2, 0)));
        assert_eq!(Version::parse("100.1"), Some(Version::new(100, 1, 0)));
        assert_eq!(Version::parse("16.0.6-rc1"), Some(Version::new(16, 0, 6)));
        assert_eq!(
            Version::parse("13.2.1_git2023"),
            Some(Version::new(13, 2, 1))
        );
        assert_eq!(Version::parse("x12"), None);
        assert_eq!(Version::parse(""), None);
    }

    #[test]
    fn compares_as_integers() {
        assert!(Version::new(10, 0, 0) > Version::new(9, 5, 0));
        assert!(Version::new(100, 0, 0) > Version::new(14, 2, 0));
        assert!(Version::new(9, 10, 0) > Version::new(9, 9, 9));
    }

    #[test]
    fn gcc_banners() {
        let cases = [
            ("gcc (Debian 12.2.0-14+deb12u1) 12.2.0", (12, 2, 0)),
            ("gcc (Ubuntu 11.4.0-1ubuntu1~22.04) 11.4.0", (11, 4, 0)),
            ("gcc (GCC) 14.1.1 20240701 (Red Hat 14.1.1-7)", (14, 1, 1)),
            (
                "gcc (Alpine 13.2.1_git20231014) 13.2.1 20231014",
                (13, 2, 1),
            ),
            (
                "aarch64-linux-gnu-gcc (Debian 12.2.0-14) 12.2.0\nCopyright",
                (12, 2, 0),
            ),
        ];
        for (banner, (a, b, c)) in cases {
            assert_eq!(
                parse_compiler_banner(banner),
                Some(Version::new(a, b, c)),
                "{banner}"
            );
        }
    }

    #[test]
    fn clang_banners() {
        let cases = [
            (
                "Apple clang version 15.0.0 (clang-1500.3.9.4)\nTarget: arm64-apple-darwin23",
                (15, 0, 0),
            ),
            ("Homebrew clang version 18.1.8\nTarget: x86_64", (18, 1, 8)),
            ("Debian clang version 16.0.6 (15~deb12u1)", (16, 0, 6)),
            ("clang version 19.1.7 (Fedora 19.1.7-2.fc41)", (19, 1, 7)),
        ];
        for (banner, (a, b, c)) in cases {
            assert_eq!(
                parse_compiler_banner(banner),
                Some(Version::new(a, b, c)),
                "{banner}"
            );
        }
    }

    #[test]
    fn linker_banners() {
        let cases = [
            (
                "GNU ld (GNU Binutils for Debian) 2.40",
                LinkerKind::Gnu,
                (2, 40, 0),
            ),
            ("GNU ld version 2.41-37.fc40", LinkerKind::Gnu, (2, 41, 0)),
            ("GNU ld (GNU Binutils) 2.42", LinkerKind::Gnu, (2, 42, 0)),
            (
                "Debian LLD 16.0.6 (compatible with GNU linkers)",
                LinkerKind::Lld,
                (16, 0, 6),
            ),
            (
                "Ubuntu LLD 14.0.0 (compatible with GNU linkers)",
                LinkerKind::Lld,
                (14, 0, 0),
            ),
            (
                "LLD 17.0.1 (compatible with GNU linkers)",
                LinkerKind::Lld,
                (17, 0, 1),
            ),
            (
                "Homebrew LLD 18.1.8 (compatible with GNU linkers)",
                LinkerKind::Lld,
                (18, 1, 8),
            ),
        ];
        for (banner, kind, (a, b, c)) in cases {
            assert_eq!(
                parse_linker_banner(banner),
                Some((kind, Version::new(a, b, c))),
                "{banner}"
            );
        }
        assert_eq!(parse_linker_banner("ld64-1015.7"), None);
    }
}
