//! Summaries, Stan-CSV draws, fit files and traces: everything vippl writes
//! for people and programs, built on plain data (names, draw matrices,
//! diagnostics) so it depends on no other pass.
//!
//! Every file is written atomically ([`write_atomic`]): an interrupted run
//! never leaves a truncated file under the final name.

mod atomic;
mod config;
mod draws;
mod fit;
pub mod float;
mod names;
mod number;
mod select;
mod stan_csv;
pub mod stats;
mod summary;
mod trace;

pub use atomic::{AtomicFile, write_atomic, write_atomic_bytes, write_atomic_path};
pub use config::{Config, ConfigValue};
pub use draws::{ColumnSummary, Draws, SUMMARY_PROBS};
pub use fit::{FIT_FORMAT, FIT_FORMAT_VERSION, FitFile, TraceRow};
pub use names::{cmdstan_name, stan_name};
pub use number::{format_roundtrip, format_sig};
pub use select::{COLLAPSE_ABOVE, COLLAPSED_SHOWN, Selection, base_name, matches_pattern};
pub use stan_csv::{
    StanCsv, read_stan_csv, save_stan_csv, stan_csv_string, write_stan_csv, write_variational_csv,
};
pub use summary::{
    FitSummary, SUMMARY_SCHEMA_VERSION, khat_verdict, render_diagnostics, render_parameters,
    render_parameters_collapsed, render_table, render_table_collapsed, snake_case, summary_json,
};
pub use trace::{TraceWriter, write_trace_csv};

pub use draws::unknown_name;
