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
//!          ─ output / cli / repl: the only code that does IO
//! ```

pub mod ast;
pub mod builtins;
pub mod check;
pub mod cli;
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
pub mod repl;
pub mod scalar;
pub mod session;
pub mod source;
pub mod syntax;
pub mod transform;
