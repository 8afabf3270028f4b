//! What a fit says about itself, in words: the diagnostics block, why it
//! stopped, the method in one line, and whether to trust it.

use super::collapse::collapse_text;
use crate::density::CompiledModel;
use crate::diagnose::shift::LARGE_MEAN_SHIFT;
use crate::diagnose::{Diagnostics, Evidence, KHAT_GOOD, khat_limit, limit_text};
use crate::infer::{FitConfig, FitResult, Termination};
use crate::output::{self, FitSummary};
use serde_json::json;

/// The k̂ band in words ("good", "ok", "do not trust") for a k̂ from many
/// draws; a fit's own verdict, which also weighs the number of draws and
/// the spread of the weights, is [`FitSummary::khat_label`] when it differs.
pub fn khat_verdict(k: f64) -> &'static str {
    output::khat_verdict(k)
}

/// Whether a fit should be trusted as is (exit code 0) or not (exit 3):
/// the one verdict of [`crate::diagnose::Trust`].
pub fn trustworthy(result: &FitResult) -> bool {
    result.trust().trusted()
}

/// `bw / fullrank / kl (path, euler)` — the method in one line, for a fit
/// of dimension `d`; a family the dimension chose says so
/// (`lowrank:10 (default above 500 parameters)`).
pub fn method_text(c: &FitConfig, d: usize) -> String {
    if let Some(b) = c.minibatch {
        return format!("minibatch {b} rows / meanfield / kl (natural gradient, control variates)");
    }
    let kind = c.resolved_family_in(d);
    let family = if c.is_default_by_dimension(kind, d) {
        format!(
            "{kind} (default above {} parameters)",
            crate::infer::LOW_RANK_DEFAULT_ABOVE
        )
    } else {
        kind.to_string()
    };
    format!(
        "{} / {} / {} ({}, {})",
        c.algorithm, family, c.divergence, c.estimator, c.optimizer
    )
}

/// The verdict on the weights in words when it is not the plain k̂ band
/// (kept out of fit files otherwise, so they stay as they were).
fn khat_label(diagnostics: &Diagnostics) -> Option<String> {
    let k = diagnostics.khat?;
    let label = diagnostics.weight_facts().label();
    (label != khat_verdict(k)).then_some(label)
}

/// A number for the JSON summary: `null` when it is not finite.
fn number(x: f64) -> serde_json::Value {
    if x.is_finite() {
        json!(x)
    } else {
        serde_json::Value::Null
    }
}

/// The diagnostics block of a fit that took `seconds`. A warning the
/// engine and the diagnostics both gave is listed once.
pub fn fit_summary(result: &FitResult, seconds: f64) -> FitSummary {
    let dg = &result.diagnostics;
    let mut extra: Vec<(String, serde_json::Value)> = vec![
        (
            "method".into(),
            method_text(&result.config, result.approximation.dim()).into(),
        ),
        (
            "log evidence (IS)".into(),
            json!(format!(
                "{} ± {}",
                output::format_sig(dg.log_evidence, 6),
                output::format_sig(dg.log_evidence_se, 2)
            )),
        ),
    ];
    if let Some(c) = dg.cubo {
        extra.push((
            "CUBO (χ² upper bound)".into(),
            json!(output::format_sig(c, 6)),
        ));
    }
    extra.push((
        "importance ESS".into(),
        json!(format!("{:.0} of {}", dg.psis_ess, dg.draws)),
    ));
    if result.restarts.len() > 1 {
        let elbos: Vec<String> = result
            .restarts
            .iter()
            .map(|r| output::format_sig(r.elbo, 5))
            .collect();
        extra.push((
            "restarts".into(),
            json!(format!(
                "{} (best: {}; ELBOs {})",
                result.restarts.len(),
                result.best_restart + 1,
                elbos.join(", ")
            )),
        ));
    }
    extra.push((
        "step".into(),
        json!(format!(
            "{} initial, {} final",
            output::format_sig(result.initial_step, 3),
            output::format_sig(result.final_step, 3)
        )),
    ));
    let mut values = serde_json::Map::new();
    let mut put = |k: &str, v: serde_json::Value| {
        values.insert(k.to_string(), v);
    };
    put(
        "method",
        method_text(&result.config, result.approximation.dim()).into(),
    );
    put("log_evidence", number(dg.log_evidence));
    put("log_evidence_se", number(dg.log_evidence_se));
    if let Some(c) = dg.cubo {
        put("cubo", number(c));
    }
    put("importance_ess", number(dg.psis_ess));
    put("importance_draws", json!(dg.draws));
    if let Some(s) = dg.weight_shift {
        put("weight_mean_shift", number(s.mean_shift));
        put("weight_sure_mean_shift", number(s.sure_mean_shift));
        put("weight_sd_ratio", number(s.sd_ratio));
    }
    put("restarts", json!(result.restarts.len().max(1)));
    if result.restarts.len() > 1 {
        put("best_restart", json!(result.best_restart + 1));
        put(
            "restart_elbos",
            result.restarts.iter().map(|r| number(r.elbo)).collect(),
        );
    }
    put("step_initial", number(result.initial_step));
    put("step_final", number(result.final_step));
    put(
        "rescued_by_step_control",
        result.rescued_by_step_control.into(),
    );
    // `fit` has already added the diagnostics' own warnings.
    let mut warnings = result.warnings.clone();
    if result.rescued_by_step_control {
        warnings.push(
            "the run diverged and was rescued by step control: check the ELBO trace (--trace) and consider a smaller --step".into(),
        );
    }
    FitSummary {
        elbo: dg.elbo,
        elbo_se: dg.elbo_se,
        khat: dg.khat,
        khat_label: khat_label(dg),
        iterations: result.iterations as u64,
        converged: result.converged(),
        reason: result.reason(),
        seconds,
        grad_evals: result.grad_evals as u64,
        extra,
        values,
        warnings: once_each(warnings),
        caveat: None,
    }
}

/// Names the parameter of a run that collapsed in the diagnostics block:
/// the reason, the warning (first: it explains the others) and the line
/// above the table.
pub fn name_collapse(diagnostics: &mut FitSummary, result: &FitResult, model: &CompiledModel) {
    if let Termination::Collapsed(c) = result.termination {
        let words = collapse_text(c, model);
        diagnostics.reason = words.reason;
        diagnostics.warnings.insert(0, words.warning);
        diagnostics.caveat = Some(words.caveat);
    }
}

/// When the verdict rests on a large importance correction
/// ([`Evidence::LargeCorrection`]), says so in a warning that names the
/// coordinate whose mean moves most, as the model names it.
pub fn name_correction(diagnostics: &mut FitSummary, result: &FitResult, model: &CompiledModel) {
    let facts = result.diagnostics.weight_facts();
    let (Evidence::LargeCorrection, Some(shift), Some(k)) =
        (facts.evidence(), facts.shift, facts.khat)
    else {
        return;
    };
    let j = shift.sure_coordinate;
    let name = model
        .layout()
        .coordinate_names()
        .get(j)
        .cloned()
        .unwrap_or_else(|| format!("coordinate {}", j + 1));
    diagnostics.warnings.push(format!(
        "PSIS k̂ = {k:.2} is below {}, but the importance weights move the mean of {name} (on \
         the unconstrained scale) by at least {:.2} sd beyond Monte Carlo noise: the \
         approximation misses the posterior there by more than the {LARGE_MEAN_SHIFT} sd asked \
         of a fit, and with k̂ ≥ {KHAT_GOOD} the correction of the resampled draws may be \
         partial; do not trust its summaries ({})",
        limit_text(khat_limit(facts.draws)),
        shift.sure_mean_shift,
        result.approximation.kind().poor_fit_remedy()
    ));
}

/// The warnings without repeats, in their first order.
pub fn once_each(warnings: Vec<String>) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    warnings
        .into_iter()
        .filter(|w| seen.insert(w.clone()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::infer::{FamilyKind, LOW_RANK_DEFAULT_ABOVE};

    #[test]
    fn the_method_line_says_when_the_dimension_chose_the_family() {
        let d = LOW_RANK_DEFAULT_ABOVE + 1;
        let c = FitConfig::default();
        assert_eq!(
            method_text(&c, d),
            format!(
                "bw / lowrank:10 (default above {LOW_RANK_DEFAULT_ABOVE} parameters) / kl \
                 (path, euler)"
            )
        );
        assert_eq!(method_text(&c, 5), "bw / fullrank / kl (path, euler)");
        let given = FitConfig {
            family: Some(FamilyKind::LowRank(3)),
            ..FitConfig::default()
        };
        assert_eq!(method_text(&given, d), "bw / lowrank:3 / kl (path, euler)");
    }
}
