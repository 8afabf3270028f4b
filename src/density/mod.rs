//! Compiling a checked model and its data into a log density on unconstrained coordinates, with derivatives.
