//! Bijections from unconstrained coordinates to constrained parameters, with log-Jacobians.
