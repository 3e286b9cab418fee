//! The `slipway` command: a thin shell over the library. Argument parsing and
//! rendering live in [`cli`]; everything else is in the `slipway` crate.

mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}
