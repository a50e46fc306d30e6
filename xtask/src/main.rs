//! `cargo xtask`: configure, build and test solo5. This file only parses
//! flags and dispatches; each command lives in its own module.

mod cmd;
mod engine;
mod model;
mod plan;
mod runner;
mod util;

use clap::{Parser, Subcommand};
use cmd::{bench, build, ci, dist, doctor, fuzz, install, test};

#[derive(Parser)]
#[command(
    name = "cargo xtask",
    about = "Build, test and inspect solo5",
    arg_required_else_help = true
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Show the toolchains found, what can be built and tested, and what to install.
    Doctor(doctor::Flags),
    /// Build tenders, bindings and test unikernels under target/solo5/<arch>/ (or --build-dir).
    Build(build::Flags),
    /// Run cargo's tests, build, check every unikernel and run the test suite.
    Test(test::Flags),
    /// Measure build and tender times and peak RSS (min/median/max; --save, --compare).
    Bench(bench::Flags),
    /// Build, then install into Solo5's layout under DESTDIR+PREFIX.
    Install(install::Flags),
    /// Build, then make tarballs, .deb packages and SHA256SUMS in target/dist/.
    Dist(dist::Flags),
    /// Generate the CI workflow under ci/ from targets.toml (--check: fail if stale).
    Ci(ci::Flags),
    /// Build and run the fuzz targets (elftool's and the tenders'); --replay: committed inputs only.
    Fuzz(fuzz::Flags),
}

fn main() {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Doctor(f) => doctor::run(f),
        Command::Build(f) => build::run(f),
        Command::Test(f) => test::run(f),
        Command::Install(f) => install::run(f),
        Command::Dist(f) => dist::run(f),
        Command::Ci(f) => ci::run(f),
        Command::Bench(f) => bench::run(f),
        Command::Fuzz(f) => fuzz::run(f),
    };
    match result {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::exit(1);
        }
    }
}
