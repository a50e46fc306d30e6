//! Command-line parsing, by hand: a table of options per command, the
//! clap-style help rendered from it, and errors that name the bad input.
//! clap's derive was a quarter of the xtask's first compile; what the
//! xtask needs (long and short options, values inline or apart,
//! repeatable options, one positional, conflicts) is this page.

use std::fmt;
use std::str::FromStr;

/// One option of a command.
pub struct Opt {
    pub long: &'static str,
    pub short: Option<char>,
    /// The value's name in help (`--cc <CC>`); `None` for a flag.
    pub value: Option<&'static str>,
    /// May be given more than once (values collect in order).
    pub repeat: bool,
    /// Shown in help; the command's conversion applies it.
    pub default: Option<&'static str>,
    pub help: &'static str,
}

impl Opt {
    pub const fn flag(long: &'static str, help: &'static str) -> Opt {
        Opt {
            long,
            short: None,
            value: None,
            repeat: false,
            default: None,
            help,
        }
    }

    pub const fn value(long: &'static str, value: &'static str, help: &'static str) -> Opt {
        Opt {
            value: Some(value),
            ..Opt::flag(long, help)
        }
    }

    /// A repeatable option with a value.
    pub const fn many(long: &'static str, value: &'static str, help: &'static str) -> Opt {
        Opt {
            repeat: true,
            ..Opt::value(long, value, help)
        }
    }

    pub const fn short(self, c: char) -> Opt {
        Opt {
            short: Some(c),
            ..self
        }
    }

    pub const fn default(self, d: &'static str) -> Opt {
        Opt {
            default: Some(d),
            ..self
        }
    }

    /// How errors and help name it: `--cc <CC>`, `--verbose`.
    fn display(&self) -> String {
        match self.value {
            Some(v) => format!("--{} <{v}>", self.long),
            None => format!("--{}", self.long),
        }
    }
}

/// The one positional argument a command may take.
pub struct Arg {
    pub name: &'static str,
    pub required: bool,
    /// Empty: any value.
    pub possible: &'static [&'static str],
    pub help: &'static str,
}

impl Arg {
    fn display(&self) -> String {
        if self.required {
            format!("<{}>", self.name)
        } else {
            format!("[{}]", self.name)
        }
    }
}

/// A subcommand: its options (groups shared between commands, in help
/// order), its positional argument, and pairs of options that exclude
/// each other.
pub struct Command {
    pub name: &'static str,
    pub about: &'static str,
    pub opts: &'static [&'static [Opt]],
    pub arg: Option<Arg>,
    pub conflicts: &'static [(&'static str, &'static str)],
}

impl Command {
    fn opts(&self) -> impl Iterator<Item = &'static Opt> + '_ {
        self.opts.iter().flat_map(|g| g.iter())
    }

    fn usage(&self) -> String {
        let mut u = format!("Usage: cargo xtask {} [OPTIONS]", self.name);
        if let Some(a) = &self.arg {
            u += " ";
            u += &a.display();
        }
        u
    }

    pub fn help(&self) -> String {
        let mut h = format!("{}\n\n{}\n", self.about, self.usage());
        if let Some(a) = &self.arg {
            let mut text = a.help.to_string();
            if !a.possible.is_empty() {
                text += &format!(" [possible values: {}]", a.possible.join(", "));
            }
            h += &format!("\nArguments:\n{}", table(&[(a.display(), text)]));
        }
        let mut rows: Vec<(String, String)> = self
            .opts()
            .map(|o| {
                let left = match o.short {
                    Some(c) => format!("-{c}, {}", o.display()),
                    None => format!("    {}", o.display()),
                };
                let mut text = o.help.to_string();
                if let Some(d) = o.default {
                    text += &format!(" [default: {d}]");
                }
                (left, text)
            })
            .collect();
        rows.push(("-h, --help".into(), "Print help".into()));
        h += &format!("\nOptions:\n{}", table(&rows));
        h
    }
}

/// Two aligned columns, indented by two.
fn table(rows: &[(String, String)]) -> String {
    let width = rows.iter().map(|(l, _)| l.len()).max().unwrap_or(0);
    rows.iter()
        .map(|(l, r)| format!("  {l:width$}  {r}\n"))
        .collect()
}

/// The top-level help.
pub fn help(about: &str, commands: &[&Command]) -> String {
    let mut rows: Vec<(String, String)> = commands
        .iter()
        .map(|c| (c.name.to_string(), c.about.to_string()))
        .collect();
    rows.push((
        "help".into(),
        "Print this message or the help of the given subcommand(s)".into(),
    ));
    format!(
        "{about}\n\nUsage: cargo xtask <COMMAND>\n\nCommands:\n{}\nOptions:\n{}",
        table(&rows),
        table(&[("-h, --help".into(), "Print help".into())])
    )
}

/// Bad command-line input: what was wrong, and the usage to show with it.
pub struct Error {
    msg: String,
    /// `None` at the top level.
    command: Option<&'static Command>,
}

impl Error {
    fn new(command: Option<&'static Command>, msg: String) -> Error {
        Error { msg, command }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self.command {
            Some(c) => write!(
                f,
                "error: {}\n\n{}\n\nFor more information, try 'cargo xtask {} --help'.",
                self.msg,
                c.usage(),
                c.name
            ),
            None => write!(
                f,
                "error: {}\n\nUsage: cargo xtask <COMMAND>\n\nFor more information, try 'cargo xtask --help'.",
                self.msg
            ),
        }
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// What the command line asked for.
pub enum Parsed {
    /// Print this text and exit 0.
    Help(String),
    Run(Matches),
}

/// The options given to one command, in the order given.
pub struct Matches {
    pub command: &'static Command,
    given: Vec<(&'static Opt, Option<String>)>,
    pub arg: Option<String>,
}

impl Matches {
    fn find(&self, long: &str) -> impl Iterator<Item = &(&'static Opt, Option<String>)> {
        let long = long.to_string();
        self.given.iter().filter(move |(o, _)| o.long == long)
    }

    pub fn flag(&self, long: &str) -> bool {
        self.find(long).next().is_some()
    }

    pub fn value(&self, long: &str) -> Option<String> {
        self.find(long).find_map(|(_, v)| v.clone())
    }

    pub fn values(&self, long: &str) -> Vec<String> {
        self.find(long).filter_map(|(_, v)| v.clone()).collect()
    }

    /// The value (or the option's default) converted to `T`.
    pub fn parse<T: FromStr>(&self, long: &str) -> Result<Option<T>, Error>
    where
        T::Err: fmt::Display,
    {
        let opt = self
            .command
            .opts()
            .find(|o| o.long == long)
            .expect("parse() names an option of its command");
        let Some(text) = self.value(long).or(opt.default.map(String::from)) else {
            return Ok(None);
        };
        text.parse().map(Some).map_err(|e| {
            self.error(format!(
                "invalid value '{text}' for '{}': {e}",
                opt.display()
            ))
        })
    }

    /// An error about this command's input.
    pub fn error(&self, msg: String) -> Error {
        Error::new(Some(self.command), msg)
    }
}

/// The closest of `names` to `given` when it is close enough to be a typo
/// or a prefix.
fn similar<'a>(given: &str, names: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    if given.is_empty() {
        return None;
    }
    names
        .map(|n| {
            let d = if n.starts_with(given) {
                0
            } else {
                distance(given, n)
            };
            (d, n)
        })
        .filter(|(d, n)| *d <= 2.max(n.len() / 4))
        .min_by_key(|(d, _)| *d)
        .map(|(_, n)| n)
}

/// Edit distance (insertions, deletions, substitutions).
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur.push(sub.min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

/// Parses `args` (without the program name) against `commands`.
pub fn parse(about: &str, commands: &[&'static Command], args: &[String]) -> Result<Parsed, Error> {
    let Some(first) = args.first() else {
        return Err(Error::new(None, "a command is required".into()));
    };
    match first.as_str() {
        "-h" | "--help" => return Ok(Parsed::Help(help(about, commands))),
        "help" => {
            return match args.get(1) {
                None => Ok(Parsed::Help(help(about, commands))),
                Some(name) => match commands.iter().find(|c| c.name == name) {
                    Some(c) => Ok(Parsed::Help(c.help())),
                    None => Err(unknown_command(name, commands)),
                },
            }
        }
        _ => {}
    }
    if first.starts_with('-') {
        return Err(Error::new(
            None,
            format!(
                "unexpected argument '{first}' found: a command comes first, its options after it"
            ),
        ));
    }
    let Some(command) = commands.iter().find(|c| c.name == first) else {
        return Err(unknown_command(first, commands));
    };
    parse_command(command, &args[1..])
}

fn unknown_command(name: &str, commands: &[&Command]) -> Error {
    let mut msg = format!("unrecognized command '{name}'");
    if let Some(s) = similar(name, commands.iter().map(|c| c.name)) {
        msg += &format!("\n\n  tip: a similar command exists: '{s}'");
    }
    Error::new(None, msg)
}

fn parse_command(command: &'static Command, args: &[String]) -> Result<Parsed, Error> {
    let err = |msg: String| Error::new(Some(command), msg);
    let mut m = Matches {
        command,
        given: Vec::new(),
        arg: None,
    };
    let mut rest = args.iter();
    let mut positional_only = false;
    while let Some(a) = rest.next() {
        if positional_only || a == "-" || !a.starts_with('-') {
            if m.arg.is_some() || command.arg.is_none() {
                return Err(err(format!("unexpected argument '{a}' found")));
            }
            m.arg = Some(a.clone());
            continue;
        }
        if a == "--" {
            positional_only = true;
            continue;
        }
        if a == "--help" {
            return Ok(Parsed::Help(command.help()));
        }
        // (option, inline value, how it was spelled)
        let mut found: Vec<(&'static Opt, Option<String>)> = Vec::new();
        if let Some(long) = a.strip_prefix("--") {
            let (name, inline) = match long.split_once('=') {
                Some((n, v)) => (n, Some(v.to_string())),
                None => (long, None),
            };
            let Some(opt) = command.opts().find(|o| o.long == name) else {
                let mut msg = format!("unknown option '--{name}'");
                if let Some(s) = similar(name, command.opts().map(|o| o.long)) {
                    msg += &format!("\n\n  tip: a similar option exists: '--{s}'");
                }
                return Err(err(msg));
            };
            found.push((opt, inline));
        } else {
            // A cluster of short options: `-v`, `-j4`, `-j=4`, `-vj 4`.
            for (i, c) in a[1..].char_indices() {
                if c == 'h' {
                    return Ok(Parsed::Help(command.help()));
                }
                let Some(opt) = command.opts().find(|o| o.short == Some(c)) else {
                    return Err(err(format!(
                        "unknown option '-{c}'{}",
                        if a.len() > 2 {
                            format!(" (in '{a}')")
                        } else {
                            String::new()
                        }
                    )));
                };
                if opt.value.is_some() {
                    let tail = &a[1 + i + c.len_utf8()..];
                    let tail = tail.strip_prefix('=').unwrap_or(tail);
                    found.push((opt, (!tail.is_empty()).then(|| tail.to_string())));
                    break;
                }
                found.push((opt, None));
            }
        }
        for (opt, inline) in found {
            let value = match (opt.value, inline) {
                (None, Some(v)) => {
                    return Err(err(format!(
                        "'{}' takes no value (given '{v}')",
                        opt.display()
                    )))
                }
                (None, None) => None,
                (Some(_), Some(v)) => Some(v),
                (Some(_), None) => match rest.next() {
                    Some(v) if !(v.starts_with('-') && v.len() > 1) => Some(v.clone()),
                    _ => {
                        return Err(err(format!(
                            "a value is required for '{}' but none was supplied",
                            opt.display()
                        )))
                    }
                },
            };
            if !opt.repeat && m.flag(opt.long) {
                return Err(err(format!(
                    "the argument '{}' cannot be used multiple times",
                    opt.display()
                )));
            }
            m.given.push((opt, value));
        }
    }
    for (a, b) in command.conflicts {
        let pos = |long: &str| m.given.iter().position(|(o, _)| o.long == long);
        if let (Some(i), Some(j)) = (pos(a), pos(b)) {
            let (first, second) = if i < j { (i, j) } else { (j, i) };
            return Err(err(format!(
                "the argument '{}' cannot be used with '{}'",
                m.given[first].0.display(),
                m.given[second].0.display()
            )));
        }
    }
    if let Some(a) = &command.arg {
        match &m.arg {
            None if a.required => {
                return Err(err(format!(
                    "the following required argument was not provided: {}",
                    a.display()
                )))
            }
            Some(v) if !a.possible.is_empty() && !a.possible.contains(&v.as_str()) => {
                return Err(err(format!(
                    "invalid value '{v}' for '{}'\n  [possible values: {}]",
                    a.display(),
                    a.possible.join(", ")
                )))
            }
            _ => {}
        }
    }
    Ok(Parsed::Run(m))
}

#[cfg(test)]
mod tests {
    use super::*;

    const OPTS: &[Opt] = &[
        Opt::many("target", "TARGET", "Target"),
        Opt::value("cc", "CC", "Compiler"),
        Opt::value("jobs", "JOBS", "Jobs").short('j'),
        Opt::flag("verbose", "Loud").short('v'),
        Opt::value("runs", "RUNS", "Runs").default("5"),
        Opt::flag("tools-only", "Tools"),
        Opt::flag("no-tenders", "No tenders"),
    ];
    static CMD: Command = Command {
        name: "build",
        about: "Build it",
        opts: &[OPTS],
        arg: Some(Arg {
            name: "FILTER",
            required: false,
            possible: &[],
            help: "Only these",
        }),
        conflicts: &[("tools-only", "no-tenders")],
    };
    static WHAT: Command = Command {
        name: "bench",
        about: "Bench it",
        opts: &[],
        arg: Some(Arg {
            name: "WHAT",
            required: true,
            possible: &["build", "tenders"],
            help: "What",
        }),
        conflicts: &[],
    };

    fn run(args: &[&str]) -> Result<Matches, String> {
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        match parse("About", &[&CMD, &WHAT], &args) {
            Ok(Parsed::Run(m)) => Ok(m),
            Ok(Parsed::Help(h)) => Err(format!("HELP {h}")),
            Err(e) => Err(e.to_string()),
        }
    }

    fn fail(args: &[&str]) -> String {
        match run(args) {
            Ok(_) => panic!("{args:?} parsed"),
            Err(e) => e,
        }
    }

    #[test]
    fn values_inline_apart_and_clustered() {
        let m = run(&[
            "build",
            "--cc=gcc",
            "-vj3",
            "--target",
            "a",
            "--target=b",
            "f",
        ])
        .unwrap();
        assert_eq!(m.value("cc").as_deref(), Some("gcc"));
        assert!(m.flag("verbose"));
        assert_eq!(m.parse::<usize>("jobs").unwrap(), Some(3));
        assert_eq!(m.values("target"), ["a", "b"]);
        assert_eq!(m.arg.as_deref(), Some("f"));
        assert_eq!(m.parse::<u32>("runs").unwrap(), Some(5));
        let m = fail(&["build", "-j", "2", "-j=2x"]);
        assert!(
            m.contains("'--jobs <JOBS>' cannot be used multiple times"),
            "{m}"
        );
        let m = run(&["build", "--", "-weird"]).unwrap();
        assert_eq!(m.arg.as_deref(), Some("-weird"));
    }

    #[test]
    fn bad_input_is_named_with_what_to_do() {
        let e = fail(&["build", "--verbos"]);
        assert!(e.contains("unknown option '--verbos'"), "{e}");
        assert!(e.contains("'--verbose'"), "{e}");
        assert!(e.contains("try 'cargo xtask build --help'"), "{e}");
        let e = fail(&["biuld"]);
        assert!(e.contains("'biuld'") && e.contains("'build'"), "{e}");
        let m = run(&["build", "-j", "x"]).unwrap();
        let e = m.parse::<usize>("jobs").unwrap_err().to_string();
        assert!(e.contains("invalid value 'x' for '--jobs <JOBS>'"), "{e}");
        let e = fail(&["build", "--jobs"]);
        assert!(e.contains("a value is required for '--jobs <JOBS>'"), "{e}");
        let e = fail(&["build", "--no-tenders", "--tools-only"]);
        assert!(
            e.contains("'--no-tenders' cannot be used with '--tools-only'"),
            "{e}"
        );
        let e = fail(&["build", "a", "b"]);
        assert!(e.contains("unexpected argument 'b'"), "{e}");
        let e = fail(&["build", "--verbose=1"]);
        assert!(e.contains("takes no value"), "{e}");
        let e = fail(&["bench"]);
        assert!(e.contains("<WHAT>"), "{e}");
        let e = fail(&["bench", "foo"]);
        assert!(e.contains("[possible values: build, tenders]"), "{e}");
        let e = fail(&["--cc", "x"]);
        assert!(e.contains("a command comes first"), "{e}");
    }

    #[test]
    fn help_everywhere() {
        for args in [
            &["build", "-h"][..],
            &["build", "--help"],
            &["help", "build"],
        ] {
            let h = fail(args);
            assert!(
                h.starts_with("HELP Build it\n\nUsage: cargo xtask build [OPTIONS] [FILTER]"),
                "{h}"
            );
            assert!(h.contains("  -j, --jobs <JOBS>      Jobs\n"), "{h}");
            assert!(
                h.contains("      --runs <RUNS>      Runs [default: 5]\n"),
                "{h}"
            );
        }
        let h = fail(&["--help"]);
        assert!(h.contains("  bench  Bench it\n"), "{h}");
    }
}
