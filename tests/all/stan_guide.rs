//! The models of `examples/stan_guide/`: one Stan User's Guide model for
//! each construct a Stan user reaches for (censoring through `_lccdf`,
//! truncation, `ordered_logistic`, `multinomial_logit`, a built-in GP
//! kernel, `offset`/`multiplier`), with simulated data and NumPyro NUTS
//! references (`benches/reference/stan_guide.py`). Each is fitted with the
//! defaults of `vippl infer` and must be within 0.1 sd on every mean and
//! 10 % on every sd of the quantities its index lists, and trusted.

use crate::accuracy::{default_config, evaluate, line};
use crate::textbook::from_index;

#[test]
fn every_stan_guide_model_fits_its_reference() {
    let models = from_index("examples/stan_guide");
    assert_eq!(models.len(), 6, "the index lists every model");
    let mut failures = Vec::new();
    for p in &models {
        match evaluate(p, &default_config()) {
            Ok((o, _)) => {
                println!("{}", line(p, &o));
                if !(o.within() && o.trustworthy) {
                    failures.push(line(p, &o));
                }
            }
            Err(e) => failures.push(format!("{}: {e}", p.name)),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
