//! Outputs that scale: `--include`/`--exclude` for the summary and the CSV
//! draws, long vectors collapsed in the table, and the pairs plot saying
//! what it leaves out.

use crate::cli::{scratch, text, write};
use std::path::PathBuf;
use std::process::Command;

/// Exit code, stdout and stderr of a run that must not panic.
fn run(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_vippl"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("vippl runs");
    let err = text(&out.stderr);
    assert!(!err.contains("panicked"), "{args:?} panicked:\n{err}");
    (
        out.status.code().expect("an exit code"),
        text(&out.stdout),
        err,
    )
}

const MODEL: &str = "data N: int\ndata y: real[N]\nparam mu: real\nparam theta: real[3]\n\
param beta_raw: real\nmu ~ normal(0, 1)\ntheta ~ normal(mu, 1)\nbeta_raw ~ normal(0, 1)\n\
y ~ normal(mu, 1)\ngen y_rep = normal_rng(rep_vector(mu, N), 1)\n";

/// A model with `N` observations and the paths of its files.
fn setup(name: &str, n: usize) -> (PathBuf, String, String) {
    let d = scratch(&format!("select-{name}"));
    let m = write(&d, "m.vi", MODEL);
    let y: Vec<String> = (0..n)
        .map(|i| format!("{}", (i % 7) as f64 * 0.3))
        .collect();
    let data = write(
        &d,
        "d.json",
        &format!(r#"{{"N": {n}, "y": [{}]}}"#, y.join(",")),
    );
    (d, m, data)
}

/// The names in the first column of a summary table.
fn table_names(table: &str) -> Vec<String> {
    table
        .lines()
        .skip(1)
        .take_while(|l| !l.is_empty())
        .map(|l| l.split_whitespace().next().unwrap_or("").to_string())
        .collect()
}

/// The header and the rows of a Stan CSV file.
fn csv(path: &std::path::Path) -> (Vec<String>, Vec<Vec<String>>) {
    let body = std::fs::read_to_string(path).unwrap();
    let mut lines = body.lines().filter(|l| !l.starts_with('#'));
    let header = lines.next().unwrap().split(',').map(String::from).collect();
    let rows = lines
        .map(|l| l.split(',').map(String::from).collect())
        .collect();
    (header, rows)
}

#[test]
fn include_and_exclude_choose_the_summary_and_the_csv_columns() {
    let (d, m, data) = setup("infer", 4);
    let out = d.join("draws.csv");
    let out_s = out.to_string_lossy().into_owned();
    let args = [
        "infer",
        &m,
        "--data",
        &data,
        "-q",
        "--draws",
        "50",
        "-o",
        &out_s,
        "--include",
        "theta",
        "--include",
        "beta*",
        "--exclude",
        "theta.2",
    ];
    let (code, table, err) = run(&args);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        table_names(&table),
        ["theta[1]", "theta[3]", "beta_raw"],
        "{table}"
    );
    let (header, rows) = csv(&out);
    assert_eq!(
        header,
        [
            "lp__", "log_p__", "log_g__", "theta.1", "theta.3", "beta_raw"
        ]
    );
    // The mean row and 50 draws, each as wide as the header.
    assert_eq!(rows.len(), 51);
    assert!(rows.iter().all(|r| r.len() == header.len()));

    let mut json_args = args[..7].to_vec();
    json_args.extend([
        "--format",
        "json",
        "--exclude",
        "y_rep[*]",
        "--exclude",
        "mu",
    ]);
    let (code, json, err) = run(&json_args);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let keys: Vec<&String> = v["parameters"].as_object().unwrap().keys().collect();
    assert_eq!(keys, ["theta[1]", "theta[2]", "theta[3]", "beta_raw"]);
}

#[test]
fn a_pattern_that_matches_nothing_is_a_usage_error_and_nothing_is_written() {
    let (d, m, data) = setup("unmatched", 4);
    let out = d.join("draws.csv");
    let fit = d.join("fit.json");
    let (code, stdout, err) = run(&[
        "infer",
        &m,
        "--data",
        &data,
        "-q",
        "-o",
        &out.to_string_lossy(),
        "--fit",
        &fit.to_string_lossy(),
        "--include",
        "thet",
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(stdout.is_empty(), "{stdout}");
    assert!(
        err.contains(
            "--include `thet` matches no quantity; the quantities are mu, theta, beta_raw, y_rep"
        ),
        "{err}"
    );
    assert!(!out.exists() && !fit.exists());
}

#[test]
fn summary_and_draws_of_a_saved_fit_take_the_same_choice() {
    let (d, m, data) = setup("saved", 4);
    let fit = d.join("fit.json").to_string_lossy().into_owned();
    let (code, _, err) = run(&["infer", &m, "--data", &data, "-q", "--fit", &fit]);
    assert_eq!(code, 0, "{err}");
    let (code, table, err) = run(&["summary", &fit, "--exclude", "theta", "--exclude", "y_rep"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(table_names(&table), ["mu", "beta_raw"], "{table}");
    let out = d.join("again.csv");
    let (code, _, err) = run(&[
        "draws",
        &fit,
        "-n",
        "5",
        "-o",
        &out.to_string_lossy(),
        "--include",
        "y_rep[*]",
    ]);
    assert_eq!(code, 0, "{err}");
    let (header, rows) = csv(&out);
    assert_eq!(
        header,
        [
            "lp__", "log_p__", "log_g__", "y_rep.1", "y_rep.2", "y_rep.3", "y_rep.4"
        ]
    );
    assert_eq!(rows.len(), 6);
    let (code, _, err) = run(&["draws", &fit, "--exclude", "nothing_here"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("--exclude `nothing_here` matches no quantity"),
        "{err}"
    );
}

#[test]
fn long_vectors_are_collapsed_in_the_table_only() {
    let (_d, m, data) = setup("collapse", 200);
    let base = ["infer", &m, "--data", &data, "-q", "--draws", "20"];
    let (code, table, err) = run(&base);
    assert_eq!(code, 0, "{err}");
    let rows = table_names(&table);
    // mu, theta (3), beta_raw, the first 5 of y_rep and the note.
    assert_eq!(rows.len(), 11, "{table}");
    assert!(rows.contains(&"y_rep[5]".to_string()), "{table}");
    assert!(!rows.contains(&"y_rep[6]".to_string()), "{table}");
    assert!(
        table.contains("\n… 195 more elements of y_rep (use --include y_rep to show all)\n"),
        "{table}"
    );

    let mut json = base.to_vec();
    json.extend(["--format", "json"]);
    let (_, text, _) = run(&json);
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["parameters"].as_object().unwrap().len(), 205);

    let mut all = base.to_vec();
    all.extend(["--include", "y_rep"]);
    let (_, table, _) = run(&all);
    let rows = table_names(&table);
    assert_eq!(rows.len(), 200, "{table}");
    assert_eq!(rows.last().map(String::as_str), Some("y_rep[200]"));
    assert!(!table.contains("more elements"), "{table}");
}

#[test]
fn a_pairs_plot_says_what_it_leaves_out() {
    let (d, m, data) = setup("pairs", 4);
    let fit = d.join("fit.json").to_string_lossy().into_owned();
    let (code, _, err) = run(&["infer", &m, "--data", &data, "-q", "--fit", &fit]);
    assert_eq!(code, 0, "{err}");
    let png = d.join("p.png").to_string_lossy().into_owned();
    let (code, _, err) = run(&["plot", &fit, "--kind", "pairs", "-o", &png]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("--kind pairs shows the first 6 of 9 quantities (mu … y_rep[1]); the other 3 (y_rep[2] … y_rep[4]) are left out"),
        "{err}"
    );
    assert!(err.contains("'y_rep[*]' --kind pairs"), "{err}");
    // Chosen by pattern: no note.
    let (code, _, err) = run(&[
        "plot", &fit, "theta[*]", "mu", "--kind", "pairs", "-o", &png,
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(!err.contains("left out"), "{err}");
    let (code, _, err) = run(&["plot", &fit, "sigma", "-o", &png]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("PARAM `sigma` matches no quantity"), "{err}");
}

/// The header and the numeric rows of a trace file.
fn trace(path: &std::path::Path) -> (Vec<String>, Vec<Vec<f64>>) {
    let (header, rows) = csv(path);
    let rows = rows
        .iter()
        .map(|r| r.iter().map(|x| x.parse().expect("a number")).collect())
        .collect();
    (header, rows)
}

const TWO: &str = "param a: real\nparam b: real\na ~ normal(1, 2)\nb ~ normal(a, 1)\n";

#[test]
fn a_trace_records_the_mean_and_log_sds_unless_asked_for_everything() {
    let d = scratch("select-trace");
    let m = write(&d, "two.vi", TWO);
    let cases = [
        ("fullrank", vec!["mu.1", "mu.2", "log_sd.1", "log_sd.2"]),
        ("meanfield", vec!["mu.1", "mu.2", "log_sd.1", "log_sd.2"]),
        (
            "mixture:2",
            vec![
                "w.1",
                "w.2",
                "c1.mu.1",
                "c1.mu.2",
                "c1.log_sd.1",
                "c1.log_sd.2",
                "c2.mu.1",
                "c2.mu.2",
                "c2.log_sd.1",
                "c2.log_sd.2",
            ],
        ),
    ];
    for (family, columns) in cases {
        let name = family.replace(':', "_");
        let compact = d.join(format!("{name}.csv"));
        let full = d.join(format!("{name}-full.csv"));
        for (path, extra) in [(&compact, None), (&full, Some("--trace-full"))] {
            let p = path.to_string_lossy().into_owned();
            let mut args = vec!["infer", &m, "-q", "--family", family, "--trace", &p];
            args.extend(extra);
            let (code, _, err) = run(&args);
            assert!(code == 0 || code == 3, "{family}: {err}");
        }
        let (header, rows) = trace(&compact);
        assert_eq!(&header[..3], ["iteration", "elbo", "step"]);
        assert_eq!(header[3..], columns, "{family}");
        let (full_header, full_rows) = trace(&full);
        assert_eq!(rows.len(), full_rows.len(), "{family}: the same fit");
        // The compact row from the full one: weights and means as they
        // are, the log of each coordinate's sd (the norm of row i of S).
        let dense = family != "meanfield";
        for (r, f) in rows.iter().zip(&full_rows) {
            let mut want = f[..3].to_vec();
            let weights = if family == "mixture:2" { 2 } else { 0 };
            want.extend(&f[3..3 + weights]);
            let block = if dense { 2 + 4 } else { 2 + 2 };
            for k in 0..(if weights > 0 { 2 } else { 1 }) {
                let b = &f[3 + weights + k * block..3 + weights + (k + 1) * block];
                want.extend(&b[..2]);
                if dense {
                    for i in 0..2 {
                        want.push(0.5 * (b[2 + 2 * i].powi(2) + b[3 + 2 * i].powi(2)).ln());
                    }
                } else {
                    want.extend(b[2..].iter().map(|s| s.ln()));
                }
            }
            assert_eq!(r.len(), want.len(), "{family}: {full_header:?}");
            for (x, y) in r.iter().zip(&want) {
                assert!(
                    (x - y).abs() <= 1e-12 * y.abs().max(1.0),
                    "{family}: {r:?} vs {want:?}"
                );
            }
        }
    }
}

#[test]
fn a_full_rank_trace_in_122_dimensions_is_linear_in_d() {
    let d = scratch("select-trace-wide");
    let m = write(
        &d,
        "wide.vi",
        "param theta: real[122]\ntheta ~ normal(0, 1)\n",
    );
    let path = d.join("trace.csv");
    let p = path.to_string_lossy().into_owned();
    let (code, _, err) = run(&["infer", &m, "-q", "--iters", "30", "--trace", &p]);
    assert!(code == 0 || code == 3, "{err}");
    let (header, rows) = trace(&path);
    assert_eq!(header.len(), 3 + 2 * 122);
    assert_eq!(header.last().map(String::as_str), Some("log_sd.122"));
    assert!(!rows.is_empty() && rows.iter().all(|r| r.len() == header.len()));
    // theta ~ N(0, I): the fit's log sds are near 0, not the d² scale entries.
    let last = rows.last().unwrap();
    assert!(last[3 + 122..].iter().all(|s| s.abs() < 0.5), "{last:?}");
}
