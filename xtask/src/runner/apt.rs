//! A private apt state under the build directory, for packages of a Debian
//! suite the machine's sources do not list (bookworm-backports, say): its
//! own source list, package lists, cache and an empty dpkg status, so
//! `apt-get update` and `apt-get download` there never change what the
//! machine's apt knows or has installed.

use crate::util::process;
use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};
use std::process::Command;

/// One Debian archive the machine's apt sources name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mirror {
    pub uri: String,
    pub suites: Vec<String>,
    pub components: Vec<String>,
    pub signed_by: Option<String>,
}

/// The archives of apt's sources: deb822 `.sources` stanzas and one-line
/// `sources.list` entries (binary `deb` ones only).
pub fn parse_sources(text: &str, deb822: bool) -> Vec<Mirror> {
    if !deb822 {
        return text.lines().filter_map(one_line).collect();
    }
    let mut out = Vec::new();
    for stanza in text.split("\n\n") {
        let field = |name: &str| -> Option<String> {
            stanza
                .lines()
                .filter(|l| !l.starts_with('#'))
                .find_map(|l| {
                    let (k, v) = l.split_once(':')?;
                    k.trim()
                        .eq_ignore_ascii_case(name)
                        .then(|| v.trim().to_string())
                })
        };
        let words = |v: Option<String>| -> Vec<String> {
            v.unwrap_or_default()
                .split_whitespace()
                .map(String::from)
                .collect()
        };
        if !words(field("Types")).iter().any(|t| t == "deb")
            || field("Enabled").is_some_and(|e| e.eq_ignore_ascii_case("no"))
        {
            continue;
        }
        let signed_by = field("Signed-By");
        let suites = words(field("Suites"));
        let components = words(field("Components"));
        for uri in words(field("URIs")) {
            out.push(Mirror {
                uri,
                suites: suites.clone(),
                components: components.clone(),
                signed_by: signed_by.clone(),
            });
        }
    }
    out
}

/// `deb [options] URI SUITE COMPONENT...`
fn one_line(line: &str) -> Option<Mirror> {
    let line = line.split('#').next()?.trim();
    let rest = line.strip_prefix("deb ")?.trim_start();
    let (options, rest) = match rest.strip_prefix('[') {
        Some(r) => {
            let (o, r) = r.split_once(']')?;
            (o, r)
        }
        None => ("", rest),
    };
    let mut words = rest.split_whitespace();
    let uri = words.next()?.to_string();
    let suite = words.next()?.to_string();
    let signed_by = options
        .split_whitespace()
        .find_map(|o| o.strip_prefix("signed-by="))
        .map(String::from);
    Some(Mirror {
        uri,
        suites: vec![suite],
        components: words.map(String::from).collect(),
        signed_by,
    })
}

/// The machine's archives, from /etc/apt/sources.list and sources.list.d.
fn machine_mirrors() -> Vec<Mirror> {
    let mut out = Vec::new();
    if let Ok(t) = std::fs::read_to_string("/etc/apt/sources.list") {
        out.extend(parse_sources(&t, false));
    }
    let mut parts: Vec<PathBuf> = std::fs::read_dir("/etc/apt/sources.list.d")
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    parts.sort();
    for p in parts {
        let deb822 = p.extension().is_some_and(|x| x == "sources");
        if !deb822 && p.extension().is_none_or(|x| x != "list") {
            continue;
        }
        if let Ok(t) = std::fs::read_to_string(&p) {
            out.extend(parse_sources(&t, deb822));
        }
    }
    out
}

/// The mirror to fetch `suite` from: the one that serves its release
/// (`bookworm` for `bookworm-backports`), with its keyring.
pub fn mirror_for<'m>(mirrors: &'m [Mirror], suite: &str) -> Option<&'m Mirror> {
    let release = suite.split('-').next().unwrap_or(suite);
    mirrors
        .iter()
        .find(|m| m.suites.iter().any(|s| s == suite))
        .or_else(|| {
            mirrors
                .iter()
                .find(|m| m.suites.iter().any(|s| s == release))
        })
}

/// An apt state of its own in `dir`, listing one suite.
pub struct PrivateApt {
    dir: PathBuf,
    suite: String,
    uri: String,
}

impl PrivateApt {
    /// Writes the source list for `suite` (on the machine's mirror for its
    /// release) and fetches its package lists.
    pub fn update(dir: &Path, suite: &str) -> Result<PrivateApt> {
        let mirrors = machine_mirrors();
        let m = mirror_for(&mirrors, suite).with_context(|| {
            format!(
                "no Debian mirror for {suite} in /etc/apt/sources.list(.d) (its release {} \
                 is not listed there)",
                suite.split('-').next().unwrap_or(suite)
            )
        })?;
        for d in ["etc", "state/lists/partial", "cache/archives/partial"] {
            std::fs::create_dir_all(dir.join(d))
                .with_context(|| format!("cannot create {}", dir.join(d).display()))?;
        }
        let options = m
            .signed_by
            .as_ref()
            .map(|k| format!("[signed-by={k}] "))
            .unwrap_or_default();
        let components = if m.components.is_empty() {
            "main".to_string()
        } else {
            m.components.join(" ")
        };
        let line = format!("deb {options}{} {suite} {components}\n", m.uri);
        std::fs::write(dir.join("etc/sources.list"), line)
            .context("cannot write the private apt source list")?;
        std::fs::write(dir.join("state/status"), "")
            .context("cannot write the private dpkg status")?;
        let apt = PrivateApt {
            dir: dir.to_path_buf(),
            suite: suite.to_string(),
            uri: m.uri.clone(),
        };
        let out = process::all_output(apt.command("apt-get").arg("update"));
        let text = match out {
            Ok(t) => t,
            Err(e) => bail!(
                "cannot fetch the package lists of {suite} from {}: {e:#}",
                apt.uri
            ),
        };
        // apt-get update exits 0 when a list is missing; it says so with W:/E:.
        if let Some(l) = text
            .lines()
            .find(|l| l.starts_with("E:") || l.starts_with("W:"))
        {
            bail!("apt-get update for {suite} from {}: {l}", apt.uri);
        }
        Ok(apt)
    }

    /// apt-get or apt-cache pointed at this state only.
    fn command(&self, program: &str) -> Command {
        let d = |p: &str| self.dir.join(p).display().to_string();
        let mut c = Command::new(program);
        for (k, v) in [
            ("Dir::Etc::SourceList", d("etc/sources.list")),
            ("Dir::Etc::SourceParts", d("etc/sources.list.d")),
            ("Dir::Etc::Preferences", d("etc/preferences")),
            ("Dir::Etc::PreferencesParts", d("etc/preferences.d")),
            ("Dir::State", d("state")),
            ("Dir::State::status", d("state/status")),
            ("Dir::Cache", d("cache")),
            // The files are root's, in a directory _apt may not reach.
            ("APT::Sandbox::User", "root".into()),
        ] {
            c.arg("-o").arg(format!("{k}={v}"));
        }
        c
    }

    /// `apt-cache depends` of `meta` in the suite.
    pub fn depends(&self, meta: &str) -> Result<String> {
        process::stdout(self.command("apt-cache").args(["depends", meta]))
            .with_context(|| format!("{meta} is not in {} at {}", self.suite, self.uri))
    }

    /// Downloads `packages` of the suite into `into` (which must exist);
    /// returns the .deb files.
    pub fn download(&self, packages: &[String], into: &Path) -> Result<Vec<PathBuf>> {
        let wanted: Vec<String> = packages
            .iter()
            .map(|p| format!("{p}/{}", self.suite))
            .collect();
        process::all_output(
            self.command("apt-get")
                .arg("download")
                .args(&wanted)
                .current_dir(into),
        )
        .with_context(|| {
            format!(
                "cannot download {} from {} at {}",
                packages.join(" "),
                self.suite,
                self.uri
            )
        })?;
        let mut debs: Vec<PathBuf> = std::fs::read_dir(into)
            .with_context(|| format!("cannot list {}", into.display()))?
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "deb"))
            .collect();
        debs.sort();
        Ok(debs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deb822_and_one_line_sources_parse() {
        let deb822 = "Types: deb\n# a comment\nURIs: http://deb.example/debian\n\
                      Suites: bookworm bookworm-updates\nComponents: main\n\
                      Signed-By: /usr/share/keyrings/k.gpg\n\n\
                      Types: deb-src\nURIs: http://src.example\nSuites: bookworm\n\
                      Components: main\n\n\
                      Types: deb\nURIs: http://sec.example/debian-security\n\
                      Suites: bookworm-security\nComponents: main contrib\n";
        let m = parse_sources(deb822, true);
        assert_eq!(m.len(), 2, "{m:?}");
        assert_eq!(m[0].uri, "http://deb.example/debian");
        assert_eq!(m[0].suites, ["bookworm", "bookworm-updates"]);
        assert_eq!(m[0].signed_by.as_deref(), Some("/usr/share/keyrings/k.gpg"));
        assert_eq!(m[1].components, ["main", "contrib"]);
        let chosen = mirror_for(&m, "bookworm-backports").unwrap();
        assert_eq!(chosen.uri, "http://deb.example/debian");
        assert!(mirror_for(&m, "trixie-backports").is_none());

        let list = "# old style\ndeb [arch=amd64 signed-by=/k.gpg] http://x/debian bookworm main\n\
                    deb-src http://x/debian bookworm main\ndeb http://y/debian bookworm-backports main non-free\n";
        let m = parse_sources(list, false);
        assert_eq!(m.len(), 2);
        assert_eq!(m[0].signed_by.as_deref(), Some("/k.gpg"));
        assert_eq!(m[0].components, ["main"]);
        // A source that lists the suite itself wins over its release's.
        assert_eq!(
            mirror_for(&m, "bookworm-backports").unwrap().uri,
            "http://y/debian"
        );
    }
}
