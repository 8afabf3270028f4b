//! Integration tests, compiled as one binary to keep builds fast.

mod dist;
mod transform;
mod check;
mod diagnostics;
mod frontend_props;
mod syntax;
mod density_props;
mod output;
mod plot;
