//! `cargo xtask`: configure, build and test solo5. This file only parses
//! flags and dispatches; each command lives in its own module.

mod cli;
mod cmd;
mod engine;
mod model;
mod plan;
mod runner;
mod util;

use cli::{Command, Matches, Parsed};
use cmd::{bench, build, ci, dist, doctor, fuzz, install, test};
use model::config::TOOL_OPTS;

const ABOUT: &str = "Build, test and inspect solo5";

/// Every command, in help order: its options are groups shared with
/// the commands it builds on (`test` takes all of `build`'s).
static COMMANDS: &[&Command] = &[
    &Command {
        name: "doctor",
        about: "Show the toolchains found, what can be built and tested, and what to install",
        opts: &[TOOL_OPTS, doctor::OPTS],
        arg: None,
        conflicts: &[],
    },
    &Command {
        name: "build",
        about: "Build tenders, bindings and test unikernels under target/solo5/<arch>/ (or --build-dir)",
        opts: &[TOOL_OPTS, build::OPTS],
        arg: None,
        conflicts: &[],
    },
    &Command {
        name: "test",
        about: "Run cargo's tests, build, check every unikernel and run the test suite",
        opts: &[TOOL_OPTS, build::OPTS, test::OPTS],
        arg: Some(test::ARG),
        conflicts: &[],
    },
    &Command {
        name: "bench",
        about: "Measure build and tender times and peak RSS (min/median/max; --save, --compare)",
        opts: &[bench::OPTS],
        arg: Some(bench::ARG),
        conflicts: &[],
    },
    &Command {
        name: "install",
        about: "Build, then install into Solo5's layout under DESTDIR+PREFIX",
        opts: &[TOOL_OPTS, build::OPTS, install::OPTS],
        arg: None,
        conflicts: install::CONFLICTS,
    },
    &Command {
        name: "dist",
        about: "Build, then make tarballs, .deb packages and SHA256SUMS in target/dist/",
        opts: &[TOOL_OPTS, build::OPTS, dist::OPTS],
        arg: None,
        conflicts: &[],
    },
    &Command {
        name: "ci",
        about: "Generate the CI workflow under ci/ from targets.toml (--check: fail if stale)",
        opts: &[ci::OPTS],
        arg: None,
        conflicts: &[],
    },
    &Command {
        name: "fuzz",
        about: "Build and run the fuzz targets (elftool's and the tenders'); --replay: committed inputs only",
        opts: &[fuzz::OPTS],
        arg: None,
        conflicts: &[],
    },
];

/// Converts the matches to a command's flags and runs it; bad values
/// exit 2 like any other bad input.
fn dispatch<F>(
    m: &Matches,
    flags: fn(&Matches) -> Result<F, cli::Error>,
    run: fn(F) -> anyhow::Result<i32>,
) -> anyhow::Result<i32> {
    match flags(m) {
        Ok(f) => run(f),
        Err(e) => usage_error(&e),
    }
}

fn usage_error(e: &cli::Error) -> ! {
    eprintln!("{e}");
    std::process::exit(2);
}

fn main() {
    let args: Vec<String> = std::env::args_os()
        .skip(1)
        .map(|a| {
            a.into_string().unwrap_or_else(|a| {
                eprintln!("error: argument {a:?} is not valid UTF-8");
                std::process::exit(2)
            })
        })
        .collect();
    if args.is_empty() {
        // As `make` without a target would not guess: say what there is.
        eprint!("{}", cli::help(ABOUT, COMMANDS));
        std::process::exit(2);
    }
    let m = match cli::parse(ABOUT, COMMANDS, &args) {
        Ok(Parsed::Help(text)) => {
            print!("{text}");
            std::process::exit(0);
        }
        Ok(Parsed::Run(m)) => m,
        Err(e) => usage_error(&e),
    };
    let result = match m.command.name {
        "doctor" => dispatch(&m, doctor::Flags::from_matches, doctor::run),
        "build" => dispatch(&m, build::Flags::from_matches, build::run),
        "test" => dispatch(&m, test::Flags::from_matches, test::run),
        "install" => dispatch(&m, install::Flags::from_matches, install::run),
        "dist" => dispatch(&m, dist::Flags::from_matches, dist::run),
        "ci" => dispatch(&m, ci::Flags::from_matches, ci::run),
        "bench" => dispatch(&m, bench::Flags::from_matches, bench::run),
        "fuzz" => dispatch(&m, fuzz::Flags::from_matches, fuzz::run),
        other => unreachable!("command {other} is in COMMANDS but not dispatched"),
    };
    match result {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::exit(1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every command's options are distinct, so none shadows another.
    #[test]
    fn options_are_unique_per_command() {
        for c in COMMANDS {
            let mut seen = std::collections::BTreeSet::new();
            for o in c.opts.iter().flat_map(|g| g.iter()) {
                assert!(
                    seen.insert(format!("--{}", o.long)),
                    "{}: --{}",
                    c.name,
                    o.long
                );
                if let Some(s) = o.short {
                    assert!(seen.insert(format!("-{s}")), "{}: -{s} twice", c.name);
                }
            }
        }
    }
}
