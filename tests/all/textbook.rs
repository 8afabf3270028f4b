//! Textbook models users write (`examples/textbook/`): hierarchical and
//! latent-variable posteriors, many without a useful mode, simulated data,
//! references from long NUTS runs. Each is fitted with the defaults of
//! `vippl infer` and judged on the quantities its index lists (the model's
//! parameters that are not latent states).
//!
//! - `models_without_a_mode_start_and_fit` (always run): the centred
//!   varying-intercepts-and-slopes model with an LKJ prior (no mode: the
//!   density grows without bound as a group scale goes to 0) starts, has
//!   every mean within 0.1 sd, and its sds within 10 % or is flagged; the centred measurement-error model (a spike at
//!   σ_x → 0 that the mode search runs into) ends at the bulk, within
//!   0.5 sd on every mean, or says it cannot be trusted.
//! - `every_textbook_model` (with `VIPPL_SLOW=1`): all of them; prints a
//!   table and requires that no fit missing by more than 0.5 sd on a mean
//!   or 50 % on an sd looks trustworthy.

use crate::accuracy::{Posterior, default_config, evaluate, line, root};

fn textbook() -> Vec<Posterior> {
    from_index("examples/textbook")
}

/// The models an `index.json` in `folder` lists, with their references.
pub(crate) fn from_index(folder: &str) -> Vec<Posterior> {
    let dir = root().join(folder);
    let index: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("index.json")).unwrap()).unwrap();
    let entries = index
        .get("models")
        .and_then(|m| m.as_array())
        .or(index.as_array())
        .expect("a list of models")
        .clone();
    entries
        .iter()
        .map(|m| {
            let name = m["name"].as_str().unwrap().to_string();
            let folder = dir.join(m.get("folder").and_then(|f| f.as_str()).unwrap_or(&name));
            Posterior {
                tier: 1,
                model: folder.join("model.vi"),
                data: folder.join("data.json"),
                reference: folder.join("reference.json"),
                quantities: Some(
                    m["quantities"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|q| q.as_str().unwrap().to_string())
                        .collect(),
                ),
                name,
            }
        })
        .collect()
}

fn find<'a>(all: &'a [Posterior], name: &str) -> &'a Posterior {
    all.iter()
        .find(|p| p.name == name)
        .unwrap_or_else(|| panic!("{name} is not in examples/textbook/index.json"))
}

#[test]
fn models_without_a_mode_start_and_fit() {
    let all = textbook();
    let lkj = find(&all, LKJ_CENTRED);
    let (o, res) = evaluate(lkj, &default_config()).unwrap();
    // Every mean within 0.1 sd; the sds within 10 % or the fit flagged.
    assert!(o.mean_err <= 0.1, "{}", line(lkj, &o));
    assert!(o.within() || !o.trustworthy, "{}", line(lkj, &o));
    // No trustworthy mode: a second run from other starts, and since both
    // converge to the same optimum, no more.
    assert_eq!(res.restarts.len(), 2, "{:?}", res.warnings);
    assert!(
        res.restarts
            .iter()
            .all(|r| r.termination == vippl::infer::Termination::Converged)
    );
    assert!(
        res.warnings
            .iter()
            .any(|w| w.contains("both runs converged to the same optimum")),
        "{:?}",
        res.warnings
    );
    let meas = find(&all, MEASUREMENT_CENTRED);
    let (o, _) = evaluate(meas, &default_config()).unwrap();
    assert!(o.mean_err <= 0.5 || !o.trustworthy, "{}", line(meas, &o));
    assert!(!o.gross() || !o.trustworthy, "{}", line(meas, &o));
}

#[test]
fn every_textbook_model() {
    if std::env::var_os("VIPPL_SLOW").is_none() {
        return;
    }
    let mut misleading = Vec::new();
    let (mut within, mut total) = (0, 0);
    for p in textbook() {
        total += 1;
        match evaluate(&p, &default_config()) {
            Ok((o, _)) => {
                println!("{}", line(&p, &o));
                within += o.within() as usize;
                if o.gross() && o.trustworthy {
                    misleading.push(line(&p, &o));
                }
            }
            Err(e) => println!("{:<44} failed: {e}", p.name),
        }
    }
    println!("within tolerance: {within} of {total}");
    assert!(
        misleading.is_empty(),
        "wrong fits that look trustworthy:\n{}",
        misleading.join("\n")
    );
}
const LKJ_CENTRED: &str = "varying_slopes_lkj_centered";
const MEASUREMENT_CENTRED: &str = "measurement_error_centered";
