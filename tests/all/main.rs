//! Integration tests, compiled as one binary to keep builds fast.

mod accuracy;
mod architecture;
mod check;
mod cli;
mod cmdstan;
mod density;
mod density_props;
mod diagnose;
mod diagnostics;
mod dist;
mod frontend_props;
mod infer_control;
mod infer_exact;
mod infer_fit;
mod infer_mixture;
mod infer_targets;
mod output;
mod paper;
mod plot;
mod repl_cli;
mod repl_pty;
mod repl_support;
mod robust;
mod shapes;
mod syntax;
mod transform;
