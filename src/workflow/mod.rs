//! The workflow both shells run, in one place: read the model and its data
//! ([`source`]), check and compile them, fit ([`fit::run`]), make the output
//! draws ([`draws`]) and the diagnostics block ([`report`]), record the fit
//! and re-open a saved one ([`record`]).
//!
//! ```text
//! ModelSource ─ compile ─► Compiled ─ run(plan, observer) ─► FitRun
//!             ─ finish ─► FittedModel (draws, summary, diagnostics, RunRecord)
//! FitFile ─ reopen ─► Reopened ─ into_fitted ─► FittedModel
//! ```
//!
//! Everything here returns values and errors as values: printing, exit
//! codes, progress display and option parsing belong to the shells.

pub mod collapse;
pub mod draws;
pub mod fit;
pub mod limits;
mod noncentre;
pub mod outputs;
pub mod record;
pub mod report;
pub mod source;
pub mod trace;

pub use draws::{DrawPlan, OutputDraws, Resampling, draw_points, draws_at, output_draws};
pub use fit::{FitFailure, FitPlan, FitRun, FittedModel, Origin, run, trace_parameter_names};
pub use record::{Reopened, RunRecord, VariationalRecord, fit_file, reopen};
pub use report::{fit_summary, khat_verdict, method_text, name_collapse, trustworthy};
pub use source::{
    Compiled, ModelSource, Rejected, compile_checked, compile_text, model_name, read_data_file,
    read_model_file, read_model_text,
};
pub use trace::TraceLayout;
