//! Diagnostics of a fit: PSIS k-hat, effective sample sizes, ELBO and evidence bounds.
