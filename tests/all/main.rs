//! Integration tests, compiled as one binary to keep builds fast.

mod check;
mod diagnostics;
mod frontend_props;
mod syntax;
