//! Compiling a checked model and its data into a log density on
//! unconstrained coordinates, with derivatives.
//!
//! [`compile`] binds the data, runs every data-only computation once, and
//! fixes the parameter layout. The result, a [`CompiledModel`], evaluates
//! the log density (log-Jacobians included, all normalizing constants kept)
//! by running the model's statements over a tape of array-level nodes; the
//! reverse pass gives the gradient. The same code run on dual numbers gives
//! Hessian–vector products and Hessians. Everything the inference engine
//! needs is behind [`crate::infer::Target`].
//!
//! The rooms, in the order a model goes through them (each uses only the
//! ones below it):
//!
//! ```text
//! minibatch the model on B of its N rows (`--minibatch`), rows rewritten per step
//! model     CompiledModel: the Target implementation, per-draw outputs
//! compile   bind data, classify statements, run data-only ones, lay out parameters,
//!           rewrite loops of independent iterations as array statements
//! eval      the Evaluator: statements and expressions on one Workspace
//! dataloop  loops over data compiled to specialised code (a narrow view of memory)
//! print     where the lines of `print` go, rate-limited
//! tape      reverse mode over array-level nodes
//! program   the bound program: IR, data buffers, data-only results, layout
//! value     run-time values: handles into constant buffers and tape slots
//! ```

mod compile;
mod dataloop;
#[cfg(test)]
mod dataloop_paths;
mod eval;
mod minibatch;
mod model;
pub mod print;
mod program;
mod tape;
mod value;
#[cfg(test)]
mod vectorise_paths;

pub use compile::compile;
pub use eval::elementwise::{eval_binary, eval_unary};
pub use minibatch::{MinibatchModel, MinibatchWorkspace};
pub use model::outputs::{OutputColumn, QuantityKind};
pub use model::{CompiledModel, ModelWorkspace};
pub use program::{Layout, ParamSlot, element_names};

/// A model compiled from its text and JSON data, for the tests; the
/// rendered diagnostics when the data do not bind. A model that does not
/// check is a mistake of the test itself, and panics with its diagnostics.
#[cfg(test)]
pub(crate) fn compile_text(src: &str, json: &str) -> Result<CompiledModel, String> {
    use crate::data::{DataInput, DataSpec};
    use crate::diagnostics::render_short;
    let mut sources = crate::source::SourceMap::new();
    let (model, _) = crate::check::load_model(&mut sources, "m.vi", src)
        .unwrap_or_else(|d| panic!("{}", render_short(&d, &sources)));
    let mut input = DataInput::default();
    input
        .add(&DataSpec::Json("d.json".into()), json)
        .expect("valid data");
    compile(model, sources.clone(), &input)
        .map(|(cm, _)| cm)
        .map_err(|d| render_short(&d, &sources))
}
