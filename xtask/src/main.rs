//! `cargo xtask`: configure, build and test solo5. This file only parses
//! flags and dispatches; each command lives in its own module.

mod build;
mod config;
mod doctor;
mod elf;
mod guest;
mod plan;
mod run;
mod targets;
mod test;
mod testspec;
mod version;

use clap::{Parser, Subcommand};

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
    /// Build tenders, bindings and test unikernels under target/solo5/<arch>/.
    Build(build::Flags),
    /// Run cargo's tests, build, check every unikernel and run the test suite.
    Test(test::Flags),
}

fn main() {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Doctor(f) => doctor::run(f),
        Command::Build(f) => build::run(f),
        Command::Test(f) => test::run(f),
    };
    match result {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::exit(1);
        }
    }
}
