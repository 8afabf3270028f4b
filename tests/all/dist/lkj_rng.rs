//! `lkj_corr_rng(K, eta)` and `lkj_corr_cholesky_rng(K, eta)` in a model's
//! generated quantities, against the LKJ distribution's moments.
//!
//! Under LKJ(eta) in K dimensions every off-diagonal correlation r is
//! 2 B − 1 with B ~ Beta(b, b), b = eta − 1 + K / 2 (Lewandowski, Kurowicka
//! & Joe 2009, section 3.2), so E r = 0, E r² = 1 / (2 b + 1) =
//! 1 / (2 eta + K − 1) and E r⁴ = 3 / ((2 b + 1)(2 b + 3)). Means of n
//! independent draws are checked within 5 standard errors (sqrt(Var / n),
//! Var known), with a fixed seed.

use crate::density::compile;
use vippl::diagnostics::render_short;
use vippl::infer::Target;
use vippl::source::SourceMap;

const K: usize = 4;
const ETA: f64 = 1.5;
const DRAWS: usize = 6000;

/// Element (i, j) of the matrix quantity `name` in a row of outputs.
fn column(names: &[String], name: &str, i: usize, j: usize) -> usize {
    let want = format!("{name}[{},{}]", i + 1, j + 1);
    names
        .iter()
        .position(|n| n.replace(' ', "") == want)
        .unwrap_or_else(|| panic!("no column {want} in {names:?}"))
}

fn check_moments(what: &str, r: &[f64]) {
    let n = r.len() as f64;
    let b = ETA - 1.0 + K as f64 / 2.0;
    let m2 = 1.0 / (2.0 * b + 1.0);
    let m4 = 3.0 / ((2.0 * b + 1.0) * (2.0 * b + 3.0));
    assert!((m2 - 1.0 / (2.0 * ETA + K as f64 - 1.0)).abs() < 1e-15);
    let mean = r.iter().sum::<f64>() / n;
    assert!(mean.abs() < 5.0 * (m2 / n).sqrt(), "{what}: mean {mean}");
    let sq = r.iter().map(|v| v * v).sum::<f64>() / n;
    let se = ((m4 - m2 * m2) / n).sqrt();
    assert!(
        (sq - m2).abs() < 5.0 * se,
        "{what}: E r² {sq}, want {m2} ± {se}"
    );
}

#[test]
fn both_samplers_draw_lkj_correlations_in_a_model() {
    let src = "param x: real\nx ~ normal(0, 1)\n\
               gen L = lkj_corr_cholesky_rng(4, 1.5)\ngen C = lkj_corr_rng(4, 1.5)\n";
    let cm = compile(src, "{}");
    let names = cm.output_names(&[0.0]).unwrap();
    let l_at = |i, j| column(&names, "L", i, j);
    let c_at = |i, j| column(&names, "C", i, j);
    let pairs = [(1, 0), (2, 0), (3, 1), (3, 2)];
    let mut from_l: Vec<Vec<f64>> = vec![Vec::with_capacity(DRAWS); pairs.len()];
    let mut from_c: Vec<Vec<f64>> = vec![Vec::with_capacity(DRAWS); pairs.len()];
    let mut ws = cm.workspace();
    let mut row = Vec::new();
    for k in 0..DRAWS {
        let rng = vippl::random::stream(11, &[k as u64]);
        row.clear();
        cm.generate(&mut ws, &[0.3], rng, &mut row).unwrap();
        let l = |i, j| row[l_at(i, j)];
        for i in 0..K {
            assert!(l(i, i) > 0.0, "draw {k}: L[{i},{i}] = {}", l(i, i));
            for j in i + 1..K {
                assert_eq!(l(i, j), 0.0, "draw {k}: L is lower triangular");
            }
            let norm: f64 = (0..=i).map(|j| l(i, j) * l(i, j)).sum();
            assert!((norm - 1.0).abs() < 1e-12, "draw {k}: row {i} norm {norm}");
            assert_eq!(row[c_at(i, i)], 1.0);
        }
        for (p, &(i, j)) in pairs.iter().enumerate() {
            let omega: f64 = (0..=j).map(|m| l(i, m) * l(j, m)).sum();
            from_l[p].push(omega);
            let c = row[c_at(i, j)];
            assert_eq!(c, row[c_at(j, i)], "C is symmetric");
            from_c[p].push(c);
        }
    }
    for (p, (i, j)) in pairs.iter().enumerate() {
        check_moments(&format!("(L L')[{i},{j}]"), &from_l[p]);
        check_moments(&format!("C[{i},{j}]"), &from_c[p]);
    }
}

#[test]
fn the_dimension_comes_first_and_is_an_int() {
    let errors = |src: &str| {
        let mut sources = SourceMap::new();
        match vippl::check::load_model(&mut sources, "m.vi", src) {
            Ok(_) => String::new(),
            Err(d) => render_short(&d, &sources),
        }
    };
    let ok = errors("param x: real\nx ~ normal(0, 1)\ngen L = lkj_corr_cholesky_rng(3, 2)\n");
    assert_eq!(ok, "");
    for bad in [
        "lkj_corr_cholesky_rng(2)",
        "lkj_corr_cholesky_rng(2.0, 3)",
        "lkj_corr_rng(2.5, 1)",
    ] {
        let e = errors(&format!("param x: real\nx ~ normal(0, 1)\ngen L = {bad}\n"));
        assert!(
            e.contains("takes 2 arguments (the dimension K, an int"),
            "{bad}: {e}"
        );
        let name = &bad[..bad.find('(').unwrap()];
        assert!(e.contains(&format!("write {name}(K, eta)")), "{bad}: {e}");
    }
}
