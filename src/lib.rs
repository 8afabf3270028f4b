//! vippl: a probabilistic programming language whose engine is variational
//! inference.
//!
//! The data flow runs one way, each pass a verb and each product a noun:
//!
//! ```text
//! .vi text ─ syntax::parse ─► ast::Program (every node spanned)
//!          ─ check::check  ─► ir::Model (names resolved, types known)
//!          ─ density::compile(model, data) ─► CompiledModel on unconstrained R^d
//!          ─ infer::fit ─► FitResult ─ diagnose ─► k̂, ELBO, evidence bounds
//!          ─ workflow: output draws, summaries, the fit record, saved fits
//!          ─ output / plot: files and text for people and programs
//! ```
//!
//! # The surface a user of the crate needs
//!
//! - Model front end: [`check::load_model`] (parse and check a `.vi` text
//!   into an [`ir::Model`]), with [`source::SourceMap`] and
//!   [`diagnostics`] to show what it found.
//! - Data: [`data`] reads Stan JSON and CSV into a [`data::DataInput`].
//! - Compile: [`density::compile`] binds the data and gives a
//!   [`density::CompiledModel`], a log density with gradients on R^d.
//! - Fit: [`infer::fit`] with an [`infer::FitConfig`] and an
//!   [`infer::Observer`]; [`diagnose`] for PSIS k̂ and evidence bounds.
//! - Workflow: [`workflow`] runs the whole sequence the command line and
//!   the REPL run (compile, fit, output draws, diagnostics block, record,
//!   re-opening a saved fit), with errors as values.
//! - Output: [`output`] (summaries, Stan CSV, fit files, traces) and
//!   [`plot`] (pictures).
//!
//! The other modules are the building blocks these are made of
//! (distributions, scalar functions, transforms, the syntax tree); they are
//! public for tests and benchmarks, not as a stable interface.
//!
//! The command line and the REPL are the `vippl` binary, not part of the
//! library.

pub mod ast;
pub mod builtins;
pub mod check;
pub mod data;
pub mod density;
pub mod diagnose;
pub mod diagnostics;
pub mod dist;
pub mod infer;
pub mod ir;
pub mod output;
pub mod plot;
pub mod random;
pub mod scalar;
pub mod source;
pub mod syntax;
pub mod transform;
pub mod workflow;
