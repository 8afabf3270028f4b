//! The `vippl` program: the command line and the REPL, two shells over
//! the library's [`vippl::workflow`].

mod cli;
mod repl;
mod shell;

fn main() {
    std::process::exit(cli::main());
}
