//! The paper's experiments (examples/paper), end to end through the `.vi`
//! models and the compiler: the numbers the experiments are about, and a
//! smoke run of each experiment's core with a tiny budget that must write
//! its picture and table.

#[path = "../../examples/paper_common/mod.rs"]
mod paper_common;

use paper_common::{banana, gmm1d, illustrative, uci};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use vippl::infer::{Divergence, FamilyKind, FitConfig, Silent, fit};

static N: AtomicU64 = AtomicU64::new(0);

fn temp_dir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!(
        "vippl-paper-{tag}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Checks a PNG's signature and that it has some size.
fn assert_png(path: &Path, min_w: u32, min_h: u32) {
    let b = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert!(b.len() > 1000, "{} is nearly empty", path.display());
    assert_eq!(&b[..8], b"\x89PNG\r\n\x1a\n", "PNG signature");
    let w = u32::from_be_bytes(b[16..20].try_into().unwrap());
    let h = u32::from_be_bytes(b[20..24].try_into().unwrap());
    assert!(w >= min_w && h >= min_h, "{w}×{h}");
}

// ---------------------------------------------------------------- 1-D target

#[test]
fn gmm1d_four_components_with_restarts_cover_the_three_modes() {
    let model = gmm1d::compile().unwrap();
    let config = FitConfig {
        family: Some(FamilyKind::Mixture(4)),
        restarts: 4,
        seed: 1,
        tol: 1e-3,
        ..FitConfig::default()
    };
    let res = fit(&model, &config, &mut Silent).unwrap();
    let (kl_qp, kl_pq) = gmm1d::divergences(&res.approximation).unwrap();
    eprintln!(
        "K = 4: components {:?}, KL(q‖p) {kl_qp}, KL(p‖q) {kl_pq}",
        gmm1d::components(&res.approximation)
    );
    assert!(kl_qp < 0.02, "KL(q‖p) = {kl_qp}");
}

#[test]
fn gmm1d_forward_kl_with_one_gaussian_matches_the_moments() {
    // The forward-KL optimum among Gaussians has the target's mean and sd.
    // Four seeds; the tolerance is 4 standard errors of their average (from
    // their spread) plus 0.2 % of the sd for the stationary bias of a
    // constant-step scheme.
    let model = gmm1d::compile().unwrap();
    let (mean_p, sd_p) = gmm1d::target_moments();
    assert!((mean_p - 0.74).abs() < 1e-12 && (sd_p - 1.7639).abs() < 1e-4);
    crate::infer_mixture::assert_forward_kl_matches_moments(&model, mean_p, sd_p);
}

#[test]
fn gmm1d_quadrature_is_exact_for_the_target_itself() {
    // The quadrature behind the table: q = p (as a 3-component mixture)
    // gives zero in both directions, a shifted q a positive value.
    let comps: Vec<vippl::infer::Component> = gmm1d::TARGET
        .iter()
        .map(|&(_, m, s)| vippl::infer::Component {
            mean: vec![m],
            scale: vec![s],
        })
        .collect();
    let q = vippl::infer::Approximation::Mixture {
        weights: gmm1d::TARGET.iter().map(|c| c.0).collect(),
        components: comps,
    };
    let (a, b) = gmm1d::divergences(&q).unwrap();
    assert!(a.abs() < 1e-10 && b.abs() < 1e-10, "{a} {b}");
    // KL between N(0.74, 1.764²)… and the mixture: the moment-matched
    // Gaussian is the forward-KL optimum, so a wider one is worse.
    let (m, s) = gmm1d::target_moments();
    let g = |sd: f64| vippl::infer::Approximation::FullRank {
        mean: vec![m],
        scale: vec![sd],
    };
    let best = gmm1d::divergences(&g(s)).unwrap().1;
    assert!(best > 0.1 && best < gmm1d::divergences(&g(1.3 * s)).unwrap().1);
    assert!(best < gmm1d::divergences(&g(0.8 * s)).unwrap().1);
}

// ---------------------------------------------------------------- banana

#[test]
fn banana_mixture_fits_under_kl_and_hellinger() {
    let model = banana::compile().unwrap();
    for div in [Divergence::Kl, Divergence::Hellinger] {
        let config = FitConfig {
            family: Some(FamilyKind::Mixture(5)),
            divergence: div,
            seed: 2,
            tol: 1e-3,
            draws: 500,
            ..FitConfig::default()
        };
        let res = fit(&model, &config, &mut Silent).unwrap();
        let (kl_qp, kl_pq, mass) = banana::divergences(&res.approximation).unwrap();
        eprintln!(
            "banana {div}: KL(q‖p) {kl_qp}, KL(p‖q) {kl_pq}, mass in box {mass}, {} iterations",
            res.iterations
        );
        assert!(mass > 0.999, "{div}: q mass in the grid box {mass}");
        assert!(kl_qp < 0.05, "{div}: KL(q‖p) = {kl_qp}");
    }
}

// ---------------------------------------------------------------- illustrative

#[test]
fn w2_closed_form() {
    let p = illustrative::target();
    assert!(illustrative::w2(&p, &p) < 1e-7);
    // A pure shift: W₂ = |Δμ|.
    let mut q = p;
    q.mean = [3.0, 4.0];
    assert!((illustrative::w2(&q, &p) - 5.0).abs() < 1e-7);
    // Commuting covariances: W₂² = Σ (√a − √b)² over eigenvalues.
    let a = illustrative::Gauss2 {
        mean: [0.0, 0.0],
        cov: [4.0, 0.0, 0.0, 1.0],
    };
    let b = illustrative::Gauss2 {
        mean: [0.0, 0.0],
        cov: [1.0, 0.0, 0.0, 9.0],
    };
    let want = ((2.0f64 - 1.0).powi(2) + (1.0f64 - 3.0).powi(2)).sqrt();
    assert!((illustrative::w2(&a, &b) - want).abs() < 1e-9);
}

#[test]
fn illustrative_path_estimator_sticks_the_landing() {
    // With a Gaussian target and a full-rank q the path-derivative gradient
    // vanishes at the optimum, so BBVI-path (like the covariance ODE) keeps
    // converging while BBVI-rep stalls at a noise floor. 5 samples per step.
    let model = illustrative::compile().unwrap();
    let s = illustrative::Settings {
        iters: 1001,
        ..illustrative::Settings::default()
    };
    let trajs = illustrative::run_one(&model, 5, &s).unwrap();
    let tail = |t: &illustrative::Trajectory| {
        let w = t.w2();
        w[w.len() - 100..].iter().sum::<f64>() / 100.0
    };
    let (rep, path, ode) = (tail(&trajs[0]), tail(&trajs[1]), tail(&trajs[2]));
    eprintln!("mean W₂ over the last 100 iterations: rep {rep}, path {path}, ODE {ode}");
    for t in &trajs {
        assert_eq!(t.path.len(), 1001, "{}", t.method);
        assert!(t.w2()[0] > 4.0, "starts far away");
    }
    assert!(path < 0.01 && ode < 0.01, "path {path}, ODE {ode}");
    assert!(rep > 5.0 * path, "rep {rep} vs path {path}");
}

// ---------------------------------------------------------------- UCI

#[test]
fn uci_preparation_matches_the_shipped_json() {
    // The Rust preparation reproduces prepare.py's files (same split,
    // scaling and dropped columns).
    for spec in uci::DATASETS {
        let data = uci::load(&spec).unwrap();
        for (part, p) in [("train", &data.train), ("test", &data.test)] {
            let path = paper_common::repo_path(&format!("examples/uci/{}_{part}.json", spec.name));
            let shipped: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
            let ours = p.to_json();
            assert_eq!(ours["N"], shipped["N"], "{} {part}", spec.name);
            assert_eq!(ours["K"], shipped["K"], "{} {part}", spec.name);
            assert_eq!(ours["y"], shipped["y"], "{} {part}", spec.name);
            let flat = |v: &serde_json::Value| -> Vec<f64> {
                v.as_array()
                    .unwrap()
                    .iter()
                    .flat_map(|r| r.as_array().unwrap().iter().map(|x| x.as_f64().unwrap()))
                    .collect()
            };
            let (a, b) = (flat(&ours["X"]), flat(&shipped["X"]));
            assert_eq!(a.len(), b.len());
            let worst = a
                .iter()
                .zip(&b)
                .map(|(x, y)| (x - y).abs())
                .fold(0.0, f64::max);
            assert!(worst < 1e-12, "{} {part}: {worst}", spec.name);
        }
    }
    let iono = uci::load(&uci::spec("ionosphere").unwrap()).unwrap();
    assert_eq!(iono.dropped.len(), 2, "{:?}", iono.dropped);
}

#[test]
fn uci_bad_csv_gives_a_message() {
    let spec = uci::spec("heart").unwrap();
    let err = uci::parse(&spec, "a,b,target\n1,x,1\n").unwrap_err();
    assert!(err.contains("line 2") && err.contains("`x`"), "{err}");
    let err = uci::parse(&spec, "a,b,target\n1,2,3\n").unwrap_err();
    assert!(err.contains("not 0 or 1"), "{err}");
    assert!(uci::spec("iris").is_err());
}

/// Path-KL test accuracy (seed 3, 2001 iterations, every column, softplus
/// sds) against the committed results of the independent numpy
/// implementation (`examples/paper/uci_reference.py`, mean over its seeds,
/// whose seed sd is at most 0.013 for path-KL).
fn check_path_kl(name: &str, reference: &uci::Reference) {
    let spec = uci::spec(name).unwrap();
    let want = uci::mean_sd(&reference.cell(name, "path-KL").unwrap().accuracies()).0;
    let data = uci::load_columns(&spec, uci::Columns::All).unwrap();
    let model = uci::compile(&data.train, 0.0).unwrap();
    let acc = uci::fit_accuracy(&model, &data, &uci::METHODS[1], reference.iters, 3, 32).unwrap();
    eprintln!(
        "{name}: path-KL accuracy {:.3} ± {:.3} after {} iterations; reference {want:.3}",
        acc.mean, acc.sd, reference.iters
    );
    assert!(
        (acc.mean - want).abs() <= 0.03,
        "{name}: {} vs {want}",
        acc.mean
    );
}

#[test]
fn uci_path_kl_accuracies_match_the_reference() {
    let reference = uci::Reference::read(&uci::default_reference_path()).unwrap();
    assert_eq!(reference.iters, 2001);
    for name in ["heart", "ionosphere", "pima", "wine"] {
        check_path_kl(name, &reference);
    }
}

// ---------------------------------------------------------------- smoke runs

#[test]
fn smoke_illustrative_writes_its_picture() {
    let dir = temp_dir("illustrative");
    let s = illustrative::Settings {
        iters: 41,
        samples: vec![5],
        particles: 50,
        ..illustrative::Settings::default()
    };
    let r = illustrative::run(&s, &dir).unwrap();
    assert_png(&r.figure, 1000, 400);
    let table = std::fs::read_to_string(&r.table).unwrap();
    assert!(table.contains("BBVI-path") && table.contains("Langevin"));
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn smoke_banana_writes_its_picture() {
    let dir = temp_dir("banana");
    let s = banana::Settings {
        iters: 60,
        samples: 5,
        ..banana::Settings::default()
    };
    let r = banana::run(&s, &[Divergence::Kl, Divergence::Chi2], &dir).unwrap();
    assert_png(&r.figure, 900, 400);
    assert_eq!(r.rows.len(), 2);
    assert!(std::fs::read_to_string(&r.table).unwrap().contains("chi2"));
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn smoke_gmm1d_writes_its_picture() {
    let dir = temp_dir("gmm1d");
    let s = gmm1d::Settings {
        components: vec![1, 2],
        iters: 60,
        ..gmm1d::Settings::default()
    };
    let r = gmm1d::run(&s, &[Divergence::Kl, Divergence::Hellinger], &dir).unwrap();
    assert_png(&r.figure, 800, 500);
    assert_eq!(r.rows.len(), 4);
    assert!(
        std::fs::read_to_string(&r.table)
            .unwrap()
            .contains("hellinger")
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn smoke_uci_writes_its_picture_table_and_data() {
    let dir = temp_dir("uci");
    let s = uci::Settings {
        datasets: vec![uci::spec("heart").unwrap()],
        iters: 30,
        seeds: vec![1],
        priors: vec![0.0, 1.0],
        draws: 8,
        ..uci::Settings::default()
    };
    let r = uci::run(&s, &dir, &mut |_| {}).unwrap();
    assert_png(&r.figure, 500, 300);
    assert_eq!(r.cells.len(), 10);
    let table = std::fs::read_to_string(&r.table).unwrap();
    assert!(table.contains("path-Hellinger") && table.contains("normal(0, 1) prior"));
    assert!(dir.join("uci_data/heart_train.json").exists());
    std::fs::remove_dir_all(dir).unwrap();
}

/// The reference rows and the differences are read from the reference
/// file (here a small one written by the test), only when its iterations
/// match the run's; a file that is not a reference is an error naming it.
#[test]
fn uci_report_reads_the_reference_file() {
    let dir = temp_dir("uci-reference");
    let runs = |a: [f64; 2], l: [f64; 2]| {
        serde_json::json!([
            {"seed": 1, "accuracy": a[0], "accuracy_sd": 0.02, "test_loglik": l[0]},
            {"seed": 2, "accuracy": a[1], "accuracy_sd": 0.04, "test_loglik": l[1]},
        ])
    };
    let cells: Vec<serde_json::Value> = uci::METHODS
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let a = 0.6 + 0.05 * i as f64;
            serde_json::json!({
                "dataset": "heart", "method": m.name, "features": 13,
                "runs": runs([a, a + 0.02], [-0.5, -0.7]),
            })
        })
        .collect();
    let reference = serde_json::json!({
        "iters": 20, "samples": 32, "draws": 32, "seeds": [1, 2],
        "weights": "max", "scale": "softplus", "cells": cells,
    });
    let path = dir.join("reference.json");
    std::fs::write(&path, reference.to_string()).unwrap();
    let settings = |iters: usize| uci::Settings {
        datasets: vec![uci::spec("heart").unwrap()],
        iters,
        seeds: vec![1, 2],
        priors: vec![0.0],
        draws: 8,
        reference: Some(path.clone()),
        table: Some(dir.join(format!("table{iters}.md"))),
        ..uci::Settings::default()
    };
    let r = uci::run(&settings(20), &dir, &mut |_| {}).unwrap();
    let table = std::fs::read_to_string(&r.table).unwrap();
    // rep-KL: accuracies 0.60, 0.62 → 0.610 ± 0.014, draw sd 0.030;
    // path-Hellinger: 0.80, 0.82.
    assert!(
        table.contains("| heart [reference] | 0.610 ± 0.014 (0.030) |"),
        "{table}"
    );
    assert!(table.contains("0.810 ± 0.014 (0.030) |"), "{table}");
    assert!(
        table.contains("| heart [reference] | -0.600 ± 0.141 |"),
        "{table}"
    );
    assert!(table.contains("vippl − reference, in seed sds"), "{table}");
    // Every cell of the differences row is two finite numbers.
    let row = table
        .lines()
        .rev()
        .find(|l| l.starts_with("| heart |"))
        .unwrap();
    assert_eq!(row.matches(" / ").count(), 5, "{row}");
    assert!(!row.contains('–'), "{row}");
    // Another number of iterations: no reference rows.
    let r = uci::run(&settings(21), &dir, &mut |_| {}).unwrap();
    let table = std::fs::read_to_string(&r.table).unwrap();
    assert!(!table.contains("[reference]"), "{table}");
    // Not a reference file.
    std::fs::write(&path, "{\"iters\": 20}").unwrap();
    let err = uci::run(&settings(20), &dir, &mut |_| {}).err().unwrap();
    assert!(
        err.contains("reference.json") && err.contains("not a reference"),
        "{err}"
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn uci_all_columns_keep_ionosphere_s_34_features() {
    let spec = uci::spec("ionosphere").unwrap();
    let all = uci::load_columns(&spec, uci::Columns::All).unwrap();
    assert_eq!(all.train.k(), 34);
    assert!(all.dropped.is_empty());
    // The constant column (column_b) scales to 0 in every row, test rows too.
    assert!(all.train.x.iter().chain(&all.test.x).all(|r| r[1] == 0.0));
    // The other columns are those of the proper preparation.
    let proper = uci::load(&spec).unwrap();
    for (a, p) in all.train.x.iter().zip(&proper.train.x) {
        assert_eq!(&a[2..], &p[..]);
    }
}
