//! `gen { ... }` blocks: what the checker accepts and refuses, pointwise
//! log-likelihoods filled in a loop against the normal density written
//! out by hand, and the block's quantities in the command line's outputs.

use crate::density::compile;
use std::process::Command;
use vippl::diagnostics::render_short;
use vippl::infer::Target;
use vippl::source::SourceMap;

fn check_errors(src: &str) -> String {
    let mut sources = SourceMap::new();
    match vippl::check::load_model(&mut sources, "m.vi", src) {
        Ok(_) => String::new(),
        Err(d) => render_short(&d, &sources),
    }
}

fn example(name: &str) -> String {
    let path = format!("{}/examples/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

const X: [f64; 6] = [-1.5, -0.6, 0.0, 0.4, 1.1, 2.0];
const Y: [f64; 6] = [-2.1, -0.4, 0.8, 1.0, 2.9, 4.2];

fn normal_log_density(y: f64, mu: f64, sigma: f64) -> f64 {
    let z = (y - mu) / sigma;
    -0.5 * (2.0 * std::f64::consts::PI).ln() - sigma.ln() - 0.5 * z * z
}

#[test]
fn pointwise_log_likelihoods_are_the_normal_density_at_each_draw() {
    let cm = compile(
        &example("pointwise_log_lik.vi"),
        &example("pointwise_log_lik.json"),
    );
    let draws = [[0.6, 1.8, -1.2], [-0.3, 2.5, 0.4], [1.0, 0.0, 0.0]];
    let names = cm.output_names(&draws[0]).unwrap();
    let mut want_names = vec!["alpha".to_string(), "beta".into(), "sigma".into()];
    for q in ["log_lik", "y_rep"] {
        want_names.extend((1..=6).map(|n| format!("{q}[{n}]")));
    }
    want_names.extend(["total_log_lik".into(), "mean_y_rep".into()]);
    assert_eq!(names, want_names);
    let mut ws = cm.workspace();
    for (k, theta) in draws.iter().enumerate() {
        let mut row = Vec::new();
        cm.generate(
            &mut ws,
            theta,
            vippl::random::stream(7, &[k as u64]),
            &mut row,
        )
        .unwrap();
        let (alpha, beta, sigma) = (theta[0], theta[1], theta[2].exp());
        assert_eq!(&row[..3], &[alpha, beta, sigma]);
        let mut total = 0.0;
        for n in 0..6 {
            let want = normal_log_density(Y[n], alpha + beta * X[n], sigma);
            total += want;
            let got = row[3 + n];
            assert!(
                (got - want).abs() < 1e-12 * want.abs().max(1.0),
                "log_lik[{}]: {got} vs {want}",
                n + 1
            );
        }
        assert!((row[15] - total).abs() < 1e-11 * total.abs().max(1.0));
        let y_rep = &row[9..15];
        let mean = y_rep.iter().sum::<f64>() / 6.0;
        assert!(
            (row[16] - mean).abs() < 1e-12,
            "a later `gen` reads the block's quantity"
        );
        // Replicated data differ from draw to draw and from the data.
        assert!(y_rep.iter().zip(Y).all(|(a, b)| a.is_finite() && *a != b));
        let mut again = Vec::new();
        cm.generate(
            &mut ws,
            theta,
            vippl::random::stream(7, &[k as u64]),
            &mut again,
        )
        .unwrap();
        assert_eq!(row, again, "the same stream gives the same quantities");
    }
}

#[test]
fn the_log_density_ignores_the_block() {
    // The block runs only for draws: the density is the model's alone.
    let src = example("pointwise_log_lik.vi");
    let plain = src.split("gen {").next().unwrap().to_string();
    let data = example("pointwise_log_lik.json");
    let with = compile(&src, &data);
    let without = compile(&plain, &data);
    let theta = [0.2, 1.1, -0.7];
    let mut g1 = vec![0.0; 3];
    let mut g2 = vec![0.0; 3];
    let lp1 = with.log_density_and_gradient(&mut with.workspace(), &theta, &mut g1);
    let lp2 = without.log_density_and_gradient(&mut without.workspace(), &theta, &mut g2);
    assert_eq!(lp1, lp2);
    assert_eq!(g1, g2);
}

#[test]
fn gen_blocks_check_where_they_belong() {
    let prior = "param mu: real\nmu ~ normal(0, 1)\n";
    let ok = [
        "gen {\n  var a: real[3]\n  for i in 1:3 { a[i] = normal_rng(mu, 1) }\n}\ngen s = sum(a)\n",
        "gen {\n  let m = mu * 2\n  var k: int = 0\n  while k < 3 { k += 1 }\n  { let hidden = m + k }\n}\n",
        "gen one = 1\ngen {\n  let two = one + 1\n}\n",
    ];
    for body in ok {
        let e = check_errors(&format!("{prior}{body}"));
        assert_eq!(e, "", "{body}");
    }
    let bad = [
        (
            "gen {\n  mu ~ normal(0, 2)\n}\n",
            "a `gen` block cannot add to the log density",
        ),
        (
            "gen {\n  target += mu\n}\n",
            "a `gen` block cannot add to the log density",
        ),
        (
            "gen {\n  gen z = mu\n}\n",
            "`gen` cannot be nested inside a `gen` block",
        ),
        (
            "gen {\n  for i in 1:2 { gen {\n } }\n}\n",
            "`gen` cannot be nested",
        ),
        (
            "for i in 1:2 {\n  gen {\n    let a = 1\n  }\n}\n",
            "`gen` statements must be at the top level",
        ),
        ("gen {\n  let a = mu\n}\ntarget += a\n", "`a`"),
        (
            "gen {\n  { let hidden = 1 }\n  let b = hidden\n}\n",
            "hidden",
        ),
        ("gen {\n  let a = mu\n}\ngen {\n  let a = 2\n}\n", "`a`"),
        ("let r = normal_rng(0, 1)\ngen {\n  let a = r\n}\n", "_rng"),
    ];
    for (body, want) in bad {
        let e = check_errors(&format!("{prior}{body}"));
        assert!(e.contains(want), "{body}: expected `{want}` in\n{e}");
    }
}

#[test]
fn block_quantities_are_in_the_summary_and_the_draws_file() {
    let dir = crate::cli::scratch("gen-block");
    let csv = dir.join("draws.csv");
    let root = env!("CARGO_MANIFEST_DIR");
    let out = Command::new(env!("CARGO_BIN_EXE_vippl"))
        .args([
            "infer",
            &format!("{root}/examples/pointwise_log_lik.vi"),
            "--data",
            &format!("{root}/examples/pointwise_log_lik.json"),
            "--draws",
            "50",
            "--format",
            "json",
            "-o",
            csv.to_str().unwrap(),
        ])
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for name in ["log_lik[6]", "y_rep[1]", "total_log_lik", "mean_y_rep"] {
        assert!(
            stdout.contains(&format!("\"{name}\"")),
            "{name} in\n{stdout}"
        );
    }
    let text = std::fs::read_to_string(&csv).unwrap();
    let header = text.lines().find(|l| !l.starts_with('#')).unwrap();
    let columns: Vec<&str> = header.split(',').collect();
    for name in [
        "log_lik.1",
        "log_lik.6",
        "y_rep.6",
        "total_log_lik",
        "mean_y_rep",
    ] {
        assert!(columns.contains(&name), "{name} in {header}");
    }
}
