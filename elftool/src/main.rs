use std::io::Write;

fn main() {
    let args: Vec<std::ffi::OsString> = std::env::args_os().skip(1).collect();
    let code = elftool::cli::run(&args, &mut std::io::stdout(), &mut std::io::stderr());
    let _ = std::io::stdout().flush();
    std::process::exit(code);
}
