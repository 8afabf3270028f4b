//! Integration tests, compiled as one binary to keep builds fast.

mod check;
mod density_props;
mod diagnostics;
mod dist;
mod frontend_props;
mod output;
mod plot;
mod syntax;
mod transform;
