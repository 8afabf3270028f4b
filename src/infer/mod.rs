//! The inference engine: variational families, update rules (Bures–Wasserstein
//! flow, forward–backward, ADVI), divergences, step control, stopping and
//! initialisation. It sees the model only through [`Target`].

mod target;

pub use target::Target;
