//! The models of `examples/stan_guide/`: one Stan User's Guide model for
//! each construct a Stan user reaches for (censoring through `_lccdf`,
//! truncation, `ordered_logistic`, `multinomial_logit`, a built-in GP
//! kernel, `offset`/`multiplier`), with simulated data and NumPyro NUTS
//! references (`benches/reference/stan_guide.py`). Each is fitted with the
//! defaults of `vippl infer` (seed 1) and judged on the quantities its index
//! lists: within 0.1 sd on every mean and 10 % on every sd, or flagged.
//!
//! Two posteriors are beyond a Gaussian q's reach: the truncated
//! regression (truncation to a window narrower than the spread makes the
//! slope's posterior skewed and heavy on one side) and the varying-slopes
//! model (its group scales have skewed posteriors, as in every
//! hierarchical model with few groups' worth of information per scale).
//! Their sds can miss by more than the tolerance while k̂ stays below 0.7
//! (docs/benchmarks.md lists them); for them the test requires every mean
//! within 0.5 sd of the reference unless the fit is flagged. The others
//! must be within tolerance and trusted — the GP too, whose length scale
//! has a long right tail even on the log scale: q alone misses its sd by
//! 20 %, and the defensive proposals' resampled draws reach the tail.

use crate::accuracy::{default_config, evaluate, line};
use crate::textbook::from_index;

/// Models whose posteriors a Gaussian q cannot match to the tolerance.
const BEYOND_A_GAUSSIAN: [&str; 2] = ["truncated_regression", "hierarchical_offset"];

#[test]
fn every_stan_guide_model_fits_its_reference() {
    let models = from_index("examples/stan_guide");
    assert_eq!(models.len(), 6, "the index lists every model");
    let mut failures = Vec::new();
    for p in &models {
        match evaluate(p, &default_config()) {
            Ok((o, _)) => {
                println!("{}", line(p, &o));
                let ok = if BEYOND_A_GAUSSIAN.contains(&p.name.as_str()) {
                    // Within the tolerance, or flagged: the truncated
                    // regression's q misses by 0.1–0.3 sd at k̂ 0.5–0.55,
                    // and its weights surely move a mean by more than
                    // 0.1 sd.
                    o.within() || !o.trustworthy
                } else {
                    o.within() && o.trustworthy
                };
                if !ok {
                    failures.push(line(p, &o));
                }
            }
            Err(e) => failures.push(format!("{}: {e}", p.name)),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
