//! Every `$ vippl infer …` block of README.md and docs/divergences.md is
//! real: the command is run again and every line the block shows must still
//! be printed, with each number within its Monte Carlo error of the one
//! shown. The blocks are written by `docs/blocks.py` (run it after a change
//! that moves them); this test keeps them true when the engine changes in
//! ways that do not change the statistics.
//!
//! A line is matched by its label, the words before its first number
//! (`ELBO`, `PSIS k̂`, `x[1]`, `warning: PSIS k̂ =`); its other words must be
//! the same, and its numbers agree as follows (4 joint standard errors):
//!
//! - `value ± se` (ELBO, log evidence): |Δvalue| ≤ 4·√(se₁² + se₂²), and
//!   the standard errors within a factor 2 of each other;
//! - CUBO: 4·√2 times the evidence's standard error (for weights that vary
//!   little, ½ log Ê[w²] has the error of log Ê[w]);
//! - summary rows (mean, sd, 5 %, 50 %, 95 %) from n draws: the draws'
//!   error for a Gaussian of that sd (sd/√n, sd/√(2n), √(p(1−p)/n)/φ(z_p)·sd)
//!   times 4, plus twice the stopping rule's tolerance in posterior sds
//!   (two certified fits can each be that far from the optimum), with n the
//!   smaller of `--draws` and the importance ESS;
//! - k̂: 4·√2·(1 + |k̂|)/√M, M = min(S/5, 3√S) the tail of S proposals (the
//!   asymptotic sd of the shape's estimate); its verdict word is compared
//!   only when no limit (0.5, 0.7) lies within that distance;
//! - counts of work (iterations, gradient evals, steps, ESS, wall time) are
//!   not estimates of a fixed quantity and are not compared.

use std::path::Path;

/// The natural-gradient tolerance every converged block was certified with.
const GRAD_TOL: f64 = vippl::infer::DEFAULT_GRAD_TOL;
/// Proposals behind the diagnostics for the default 1000 draws.
const PROPOSALS: f64 = 4000.0;

/// Labels whose numbers count work, not statistics.
const FREE: [&str; 5] = [
    "iterations",
    "gradient evals",
    "step",
    "importance ESS",
    "wall time",
];

fn number(token: &str) -> Option<f64> {
    token.parse::<f64>().ok()
}

/// The words before the first number, joined by single spaces.
fn label(line: &str) -> String {
    line.split_whitespace()
        .take_while(|t| number(t).is_none())
        .collect::<Vec<_>>()
        .join(" ")
}

/// What the rerun says besides the line being compared.
struct Context {
    draws: f64,
    ess: Option<f64>,
    evidence_se: Option<f64>,
}

impl Context {
    fn of(cmd: &str, out: &[&str]) -> Context {
        let tokens: Vec<&str> = cmd.split_whitespace().collect();
        let draws = tokens
            .windows(2)
            .find(|w| w[0] == "--draws")
            .and_then(|w| number(w[1]))
            .unwrap_or(1000.0);
        let find = |lab: &str, k: usize| {
            out.iter()
                .find(|l| label(l) == lab)
                .and_then(|l| l.split_whitespace().filter_map(number).nth(k))
        };
        Context {
            draws,
            ess: find("importance ESS", 0),
            evidence_se: find("log evidence (IS)", 1),
        }
    }

    fn effective_draws(&self) -> f64 {
        self.ess.map_or(self.draws, |e| e.min(self.draws))
    }
}

fn khat_tolerance(k: f64) -> f64 {
    let tail = (PROPOSALS / 5.0).min(3.0 * PROPOSALS.sqrt());
    4.0 * 2f64.sqrt() * (1.0 + k.abs()) / tail.sqrt()
}

/// Whether `got` is `shown` within the Monte Carlo error (module docs);
/// `Err` says how not.
fn agrees(shown: &str, got: &str, context: &Context) -> Result<(), String> {
    let lab = label(shown);
    let mut a: Vec<&str> = shown.split_whitespace().collect();
    let mut b: Vec<&str> = got.split_whitespace().collect();
    let first = |v: &[&str]| v.iter().position(|t| number(t).is_some());
    if lab == "PSIS k̂"
        && let (Some(i), Some(j)) = (first(&a), first(&b))
    {
        // the verdict word is compared only when no limit is near
        let k = number(a[i]).unwrap_or(f64::NAN);
        if [0.5, 0.7]
            .iter()
            .any(|l| (k - l).abs() <= khat_tolerance(k))
        {
            a.truncate(i + 1);
            b.truncate(j + 1);
        }
    }
    let na: Vec<f64> = a.iter().filter_map(|t| number(t)).collect();
    let nb: Vec<f64> = b.iter().filter_map(|t| number(t)).collect();
    if a.len() != b.len() || na.len() != nb.len() {
        return Err("different words".into());
    }
    for (x, y) in a.iter().zip(&b) {
        if number(x).is_none() && x != y {
            return Err(format!("`{x}` vs `{y}`"));
        }
    }
    let check = |what: &str, x: f64, y: f64, tol: f64| {
        if (x - y).abs() <= tol {
            Ok(())
        } else {
            Err(format!("{what}: {x} vs {y}, beyond {tol:.3e}"))
        }
    };
    if FREE.contains(&lab.as_str()) {
        Ok(())
    } else if lab == "ELBO" || lab == "log evidence (IS)" {
        let tol = 4.0 * (na[1].powi(2) + nb[1].powi(2)).sqrt();
        check(&lab, na[0], nb[0], tol)?;
        if na[1] <= 2.0 * nb[1] && nb[1] <= 2.0 * na[1] {
            Ok(())
        } else {
            Err(format!("standard errors {} vs {}", na[1], nb[1]))
        }
    } else if lab.starts_with("CUBO") {
        let se = context.evidence_se.ok_or("no evidence line")?;
        check(&lab, na[0], nb[0], 4.0 * 2f64.sqrt() * se)
    } else if lab == "PSIS k̂" || lab.ends_with("k̂ =") {
        check("k̂", na[0], nb[0], khat_tolerance(na[0]))?;
        if na[1..] == nb[1..] {
            Ok(())
        } else {
            Err("constants differ".into())
        }
    } else if na.len() == 5 && !lab.contains(' ') {
        // a summary row: mean, sd, 5 %, 50 %, 95 %
        let n = context.effective_draws();
        let sd = nb[1];
        let fit = 2.0 * GRAD_TOL * sd;
        let factors = [1.0, 1.0 / 2f64.sqrt(), 2.113, 1.2533, 2.113];
        for (j, f) in factors.iter().enumerate() {
            let tol = 4.0 * f * sd / n.sqrt() + fit;
            check(&format!("{lab} column {j}"), na[j], nb[j], tol)?;
        }
        Ok(())
    } else if na == nb {
        Ok(())
    } else {
        Err("numbers differ".into())
    }
}

/// The blocks of `doc`: (command after `$ vippl `, the lines shown).
fn blocks(text: &str) -> Vec<(String, Vec<String>)> {
    let mut out = Vec::new();
    for block in text.split("```").skip(1).step_by(2) {
        let block = block.strip_prefix('\n').unwrap_or(block);
        let mut lines = block.lines();
        let Some(cmd) = lines.next().and_then(|l| l.strip_prefix("$ vippl ")) else {
            continue;
        };
        if cmd.starts_with("infer ") {
            let shown = lines
                .map(|l| l.trim_end().to_string())
                .filter(|l| l != "..." && !l.is_empty())
                .collect();
            out.push((cmd.to_string(), shown));
        }
    }
    out
}

#[test]
fn the_command_blocks_of_the_docs_are_real() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let scratch = crate::repl_support::Scratch::new("doc-blocks");
    let mut checked = 0;
    for doc in ["README.md", "docs/divergences.md"] {
        let text = std::fs::read_to_string(root.join(doc)).unwrap();
        for (cmd, shown) in blocks(&text) {
            let args: Vec<String> = cmd
                .split_whitespace()
                .map(|a| match a.starts_with("examples/") {
                    true => root.join(a).to_string_lossy().into_owned(),
                    false => a.to_string(),
                })
                .collect();
            let out = std::process::Command::new(env!("CARGO_BIN_EXE_vippl"))
                .args(&args)
                .current_dir(&scratch.0)
                .env("NO_COLOR", "1")
                .output()
                .unwrap();
            let stdout = String::from_utf8_lossy(&out.stdout);
            let stderr = String::from_utf8_lossy(&out.stderr);
            let got: Vec<&str> = stdout.lines().map(str::trim_end).collect();
            let err: Vec<&str> = stderr.lines().map(str::trim_end).collect();
            let context = Context::of(&cmd, &got);
            // stdout in order, stderr (progress, warnings) anywhere
            let mut at = 0;
            for want in &shown {
                let lab = label(want);
                let in_out = got[at..].iter().position(|g| label(g) == lab);
                let (line, whole) = match in_out {
                    Some(k) => {
                        at += k + 1;
                        (got[at - 1], &stdout)
                    }
                    None => match err.iter().find(|g| label(g) == lab) {
                        Some(g) => (*g, &stderr),
                        None => panic!(
                            "{doc}: `vippl {cmd}` no longer prints `{lab}`:\n{stdout}{stderr}"
                        ),
                    },
                };
                if let Err(why) = agrees(want, line, &context) {
                    panic!(
                        "{doc}: `vippl {cmd}`:\n  shown {want}\n  now   {line}\n{why}\n---\n{whole}"
                    );
                }
            }
            checked += 1;
        }
    }
    assert!(checked >= 4, "only {checked} command blocks found");
}

/// The comparison itself: a shown line agrees with a rerun inside the
/// Monte Carlo error and not outside it.
#[test]
fn lines_agree_within_their_monte_carlo_error_only() {
    let context = Context {
        draws: 1000.0,
        ess: Some(4000.0),
        evidence_se: Some(0.01),
    };
    let ok = |a: &str, b: &str| agrees(a, b, &context).is_ok();
    assert!(ok("ELBO  -0.566 ± 0.053 (x)", "ELBO  -0.5 ± 0.05 (x)"));
    assert!(!ok("ELBO  -0.566 ± 0.053 (x)", "ELBO  -0.2 ± 0.05 (x)"));
    assert!(!ok("ELBO  -0.566 ± 0.053 (x)", "ELBO  -0.566 ± 0.2 (x)"));
    assert!(ok(
        "CUBO (χ² upper bound)  0.135",
        "CUBO (χ² upper bound)  0.16"
    ));
    assert!(!ok(
        "CUBO (χ² upper bound)  0.135",
        "CUBO (χ² upper bound)  0.2"
    ));
    // sd 1.77, n 1000: mean ± 4·0.056 + 0.177
    assert!(ok(
        "x  0.72  1.77  -1.6  0.56  3.8",
        "x  0.9  1.75  -1.5  0.6  3.7"
    ));
    assert!(!ok(
        "x  0.72  1.77  -1.6  0.56  3.8",
        "x  1.2  1.75  -1.5  0.6  3.7"
    ));
    assert!(ok("PSIS k̂  0.73 (do not trust)", "PSIS k̂  0.65 (ok)"));
    assert!(ok("PSIS k̂  -1.5 (good)", "PSIS k̂  -1.2 (good)"));
    assert!(!ok("PSIS k̂  -1.5 (good)", "PSIS k̂  -1.2 (ok)"));
    assert!(ok(
        "iterations  620 (converged: x)",
        "iterations  1900 (converged: x)"
    ));
    assert!(!ok(
        "iterations  620 (converged: x)",
        "iterations  620 (not converged)"
    ));
    assert!(!ok(
        "method  bw / fullrank / kl",
        "method  bw / fullrank / chi2"
    ));
}
