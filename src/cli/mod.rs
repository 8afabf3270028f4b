//! The command line: argument parsing, exit codes and the commands.

/// Exit codes (see docs/cli.md).
pub mod exit {
    pub const OK: i32 = 0;
    /// Model or data error, or no usable approximation.
    pub const MODEL: i32 = 1;
    pub const USAGE: i32 = 2;
    /// A fit with finite draws that should not be trusted as is.
    pub const UNTRUSTED: i32 = 3;
}

/// Runs the command line and returns the process exit code.
pub fn main() -> i32 {
    exit::OK
}
