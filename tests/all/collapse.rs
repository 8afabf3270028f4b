//! Runs that cannot converge are reported as collapsed, with the parameter
//! named, which way it went and the remedy, and exit 3; well-posed models
//! that converge slowly are not. Models and simulated data are in
//! `tests/fixtures/collapse/`; every fit uses the defaults of `vippl infer`.

use std::path::PathBuf;
use std::process::{Command, Output};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `vippl infer MODEL --data DATA` with the defaults (one thread, so that
/// the tests running in parallel do not crowd each other).
fn infer(model: &str, data: &str) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vippl"))
        .arg("infer")
        .arg(root().join(model))
        .arg("--data")
        .arg(root().join(data))
        .args(["--threads", "1"])
        .env("NO_COLOR", "1")
        .output()
        .expect("vippl runs")
}

fn fixture(name: &str) -> Output {
    let base = format!("tests/fixtures/collapse/{name}");
    infer(&format!("{base}.vi"), &format!("{base}.json"))
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The `iterations` line of the summary.
fn iterations_line(stdout: &str) -> String {
    stdout
        .lines()
        .find(|l| l.starts_with("iterations"))
        .unwrap_or_else(|| panic!("no iterations line in\n{stdout}"))
        .to_string()
}

/// Asserts that the run collapsed as `motion` said of `parameter`, with
/// `remedy` among the warnings, the caveat above the table and exit 3.
fn assert_collapsed(out: &Output, parameter: &str, motion: &str, remedy: &str) {
    let stdout = text(&out.stdout);
    let said = format!("{parameter} {motion}");
    let line = iterations_line(&stdout);
    assert!(
        line.contains(&format!("(not converged: collapsed: {said})")),
        "{line}\n{stdout}"
    );
    assert!(
        stdout.starts_with(&format!("the run collapsed ({said}): the moments below")),
        "{stdout}"
    );
    let warning = stdout
        .lines()
        .find(|l| l.starts_with("warning: the run collapsed:"))
        .unwrap_or_else(|| panic!("no collapse warning in\n{stdout}"));
    assert!(
        warning.contains(&said) && warning.contains(remedy),
        "{warning}"
    );
    assert_eq!(out.status.code(), Some(3), "{stdout}");
}

/// The improper prior 1/τ² on a group scale: the ELBO of a Gaussian grows
/// without bound as τ → 0, and the run used to spend its whole budget
/// following it (exit 3, "reached the maximum of 10000 iterations").
#[test]
fn a_group_scale_running_to_zero_is_reported() {
    let out = fixture("hierarchical_inverse_square");
    assert_collapsed(
        &out,
        "tau",
        "shrinks towards 0",
        "give tau a proper prior that vanishes at the bound",
    );
    assert!(text(&out.stdout).contains("non-centre the parameters it scales"));
}

/// A slope with no prior on separated data: the likelihood keeps rising
/// with it, its gradient vanishes over most of q, and the run used to stop
/// as "converged" with k̂ "good" and exit 0.
#[test]
fn a_coefficient_running_off_to_infinity_is_reported() {
    let out = fixture("separated_logistic");
    assert_collapsed(
        &out,
        "beta",
        "grows without bound",
        "give beta a proper prior (e.g. `beta ~ normal(0, 2.5)`)",
    );
}

/// Improper posteriors whose Gaussian ELBO still has an optimum (flat on
/// log τ; a mixture whose components could sit on single points) end
/// there: not collapsed. k̂ does not always flag them (their infinite mass
/// lies where no draw of q goes: the flat-on-log-τ fit has k̂ 0.60 with an
/// importance ESS of 385 of 4000, the mixture's bulk optimum k̂ 0.63), a
/// limit docs/cli.md states.
#[test]
fn an_improper_posterior_with_an_elbo_optimum_is_not_called_collapsed() {
    for name in ["hierarchical_flat_log_tau", "mixture_free_sd"] {
        let out = fixture(name);
        let stdout = text(&out.stdout);
        assert!(!stdout.contains("collapsed"), "{name}\n{stdout}");
        assert!(matches!(out.status.code(), Some(0 | 3)), "{name}\n{stdout}");
    }
}

/// Well-posed models that converge slowly (a centred hierarchy with its
/// funnel, a hierarchical logistic regression with 50 groups, eight schools
/// non-centred, a hierarchy written with `offset`/`multiplier` that takes
/// some 2500 iterations) are not called collapsed.
#[test]
fn well_posed_hierarchies_are_not_called_collapsed() {
    for (model, data) in [
        (
            "examples/textbook/eight_schools_centered/model.vi",
            "examples/textbook/eight_schools_centered/data.json",
        ),
        (
            "examples/textbook/hierarchical_logistic/model.vi",
            "examples/textbook/hierarchical_logistic/data.json",
        ),
        ("examples/eight_schools.vi", "examples/eight_schools.json"),
        (
            "examples/stan_guide/hierarchical_offset/model.vi",
            "examples/stan_guide/hierarchical_offset/data.json",
        ),
    ] {
        let out = infer(model, data);
        let stdout = text(&out.stdout);
        let line = iterations_line(&stdout);
        assert!(!stdout.contains("collapsed"), "{model}: {line}\n{stdout}");
        assert!(
            out.status.code() == Some(0) || out.status.code() == Some(3),
            "{model}: {:?}",
            out.status
        );
    }
}
