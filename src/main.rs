//! The `townhall` command line: see `townhall --help`.

fn main() -> std::process::ExitCode {
    townhall::cli::main()
}
