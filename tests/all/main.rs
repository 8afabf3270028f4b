//! Integration tests, compiled as one binary to keep builds fast.

mod diagnose;
mod infer_control;
mod infer_exact;
mod infer_fit;
mod infer_mixture;
mod infer_targets;
