//! The output layer as its users see it: files on disk, text on stdout,
//! and what other programs (Python's csv module) make of them.

use std::fs;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

use rand::SeedableRng;
use rand_distr::{Distribution, StandardNormal};
use vippl::output::{
    Config, Draws, FIT_FORMAT_VERSION, FitFile, FitSummary, TraceRow, TraceWriter, format_sig,
    read_stan_csv, render_table, render_table_collapsed, save_stan_csv, stan_csv_string, stats,
    summary_json, write_atomic, write_atomic_bytes, write_trace_csv,
};
use vippl::random::VRng;

static N: AtomicU64 = AtomicU64::new(0);

/// A fresh empty directory for one test.
fn scratch(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!(
        "vippl-output-{tag}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = fs::remove_dir_all(&d);
    fs::create_dir_all(&d).unwrap();
    d
}

fn listing(dir: &PathBuf) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// Draws of mu ~ N(1, 2²), theta[1..2] ~ N(0, 1) and Sigma[2,1] = mu·theta[1],
/// plus a NaN-free but awkward column of tiny numbers.
fn sample_draws(n: usize, seed: u64) -> Draws {
    let mut rng = VRng::seed_from_u64(seed);
    let names: Vec<String> = ["mu", "theta[1]", "theta[2]", "Sigma[2,1]", "tiny"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let mut values = Vec::new();
    let mut log_p = Vec::new();
    let mut log_g = Vec::new();
    for _ in 0..n {
        let z: [f64; 3] = [0; 3].map(|_| StandardNormal.sample(&mut rng));
        let mu = 1.0 + 2.0 * z[0];
        values.extend([mu, z[1], z[2], mu * z[1], 1e-300 * z[2]]);
        log_p.push(-0.5 * z.iter().map(|v| v * v).sum::<f64>());
        log_g.push(-0.5 * z.iter().map(|v| v * v).sum::<f64>() + 0.01 * z[0]);
    }
    Draws::new(names, n, values, log_p, log_g).unwrap()
}

fn sample_fit() -> FitSummary {
    FitSummary {
        elbo: -123.456789,
        elbo_se: 0.0346,
        khat: Some(0.62),
        khat_label: None,
        iterations: 1800,
        converged: true,
        reason: "relative ELBO change below 0.01".into(),
        seconds: 1.234,
        grad_evals: 180_000,
        extra: vec![("restarts".into(), 3.into()), ("step".into(), 0.05.into())],
        values: Default::default(),
        warnings: vec!["k̂ = 0.62: importance-weighted estimates are noisy".into()],
        caveat: None,
    }
}

fn sample_config() -> Config {
    Config::new()
        .set("model", "demo")
        .set("method", "variational")
        .section("variational", |s| {
            s.set("algorithm", "bw")
                .set("family", "fullrank")
                .set("iter", 10000)
                .set("tol", 0.01)
        })
        .section("random", |s| s.set("seed", 42))
        .section("output", |s| s.set("file", "draws.csv"))
}

#[test]
fn atomic_write_into_missing_directory_is_a_clear_error() {
    let dir = scratch("missing");
    let target = dir.join("no/such/dir/out.csv");
    let err = write_atomic_bytes(&target, b"x").unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("does not exist"), "{msg}");
    assert!(msg.contains("no/such/dir"), "{msg}");
    assert!(listing(&dir).is_empty());
}

#[test]
fn atomic_write_failure_keeps_the_old_file_and_no_temporary() {
    let dir = scratch("keep");
    let target = dir.join("fit.json");
    fs::write(&target, b"old complete content").unwrap();
    let err = write_atomic(&target, |w| {
        w.write_all(b"new but trunc")?;
        Err(std::io::Error::other("disk full (simulated)"))
    })
    .unwrap_err();
    assert!(err.to_string().contains("simulated"));
    assert_eq!(fs::read(&target).unwrap(), b"old complete content");
    assert_eq!(listing(&dir), vec!["fit.json"]);
    write_atomic(&target, |w| w.write_all(b"replaced")).unwrap();
    assert_eq!(fs::read(&target).unwrap(), b"replaced");
    assert_eq!(listing(&dir), vec!["fit.json"]);
    // A directory in the way of the file name is reported, not clobbered.
    fs::create_dir(dir.join("sub")).unwrap();
    assert!(write_atomic_bytes(dir.join("sub"), b"x").is_err());
    assert!(dir.join("sub").is_dir());
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn summary_statistics_agree_with_the_sampling_distribution() {
    let d = sample_draws(4000, 11);
    let s = d.summarize();
    // mu ~ N(1, 4): the mean is within 4 Monte Carlo standard errors
    // (sd/√n = 2/63 ≈ 0.032) of 1, the sd within 4 of its own standard error
    // (≈ sd/√(2n) ≈ 0.022) of 2. Seed fixed; 4-sigma bands fail with
    // probability below 1e-4 for a fresh seed.
    assert!(
        (s[0].mean - 1.0).abs() < 4.0 * 2.0 / 4000f64.sqrt(),
        "{}",
        s[0].mean
    );
    assert!(
        (s[0].sd - 2.0).abs() < 4.0 * 2.0 / (2.0 * 4000f64).sqrt(),
        "{}",
        s[0].sd
    );
    // The 95 % quantile of N(0,1) is 1.645; its standard error for n = 4000
    // is √(0.05·0.95/n)/φ(1.645) ≈ 0.0336.
    assert!((s[1].q95 - 1.645).abs() < 4.0 * 0.0336, "{}", s[1].q95);
    assert!((s[1].q5 + 1.645).abs() < 4.0 * 0.0336, "{}", s[1].q5);
    let m = stats::mean_mcse(&d.column(0), None).unwrap();
    assert_eq!(m.ess, 4000.0);
    assert!((m.mcse - s[0].sd / 4000f64.sqrt()).abs() < 1e-12);
    // Weighted summaries with the raw ratios stay close to the plain ones
    // here (the ratio varies by only 1 %).
    let w = stats::weights_from_log(&d.log_ratios()).unwrap();
    let sw = d.summarize_weighted(&w).unwrap();
    assert!((sw[0].mean - s[0].mean).abs() < 0.05);
}

#[test]
fn table_lists_every_quantity_and_the_diagnostics() {
    let d = sample_draws(200, 1);
    let params = d.summarize();
    let text = render_table(&params, &sample_fit(), false);
    assert!(!text.contains('\x1b'), "no colour when not a terminal");
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].contains("mean") && lines[0].contains("95%"));
    for (line, p) in lines[1..6].iter().zip(&params) {
        assert!(line.starts_with(&p.name), "{line}");
        assert!(line.contains(&format_sig(p.mean, 4)), "{line}");
        assert!(line.contains(&format_sig(p.q95, 4)), "{line}");
    }
    // Numbers right-aligned: every row has the same length.
    let widths: Vec<usize> = lines[..6].iter().map(|l| l.chars().count()).collect();
    assert!(widths.iter().all(|w| *w == widths[0]), "{widths:?}\n{text}");
    assert!(text.contains("-123.457 ± 0.035"), "{text}");
    assert!(text.contains("0.62 (ok)"), "{text}");
    // Values of the diagnostics block start in one column (k̂'s hat is a
    // combining mark and takes no column).
    let value_col = |label: &str| {
        let line = text.lines().find(|l| l.starts_with(label)).unwrap();
        let rest = &line[label.len()..];
        label.chars().filter(|c| *c != '\u{302}').count() + rest.len() - rest.trim_start().len()
    };
    assert_eq!(value_col("ELBO"), value_col("PSIS k̂"));
    assert_eq!(value_col("ELBO"), value_col("gradient evals"));
    assert!(text.contains("1800 (converged: relative ELBO change below 0.01)"));
    assert!(text.contains("180000"));
    assert!(text.contains("restarts"));
    assert!(text.contains("warning: k̂ = 0.62"));
    let coloured = render_table(&params, &sample_fit(), true);
    assert!(coloured.contains("\x1b[33mok\x1b[0m"));
    let mut bad = sample_fit();
    bad.khat = Some(0.9);
    bad.converged = false;
    let t = render_table(&params, &bad, false);
    assert!(
        t.contains("0.90 (do not trust)") && t.contains("not converged"),
        "{t}"
    );
    assert!(!t.contains("the run diverged"), "{t}");
    // A run that diverged: the numbers are said to be no posterior summary,
    // above them.
    bad.reason = "diverged".into();
    let t = render_table(&params, &bad, false);
    assert!(
        t.lines()
            .next()
            .unwrap()
            .starts_with("the run diverged: the moments below"),
        "{t}"
    );
    // Also when long vectors are collapsed (the default table).
    let t = render_table_collapsed(&params, &bad, false);
    assert!(t.starts_with("the run diverged: the moments below"), "{t}");
    // A run that collapsed says so in its own words, above both tables.
    bad.reason = "collapsed: tau shrinks towards 0".into();
    bad.caveat = Some("the run collapsed (tau shrinks towards 0): not a posterior".into());
    for t in [
        render_table(&params, &bad, false),
        render_table_collapsed(&params, &bad, false),
    ] {
        assert!(
            t.starts_with("the run collapsed (tau shrinks towards 0): not a posterior\n"),
            "{t}"
        );
        assert!(!t.contains("the run diverged"), "{t}");
    }
}

#[test]
fn json_summary_follows_the_contract_and_stays_valid_with_nan() {
    let mut d = sample_draws(50, 2);
    // A column with an infinite draw: its mean is not finite.
    d.values[4] = f64::INFINITY;
    let params = d.summarize();
    let mut fit = sample_fit();
    fit.elbo = f64::NAN;
    fit.elbo_se = f64::INFINITY;
    let text = summary_json(&params, &fit, &sample_config());
    let v: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
    let p = &v["parameters"];
    for name in ["mu", "theta[1]", "theta[2]", "Sigma[2,1]", "tiny"] {
        for key in ["mean", "sd", "q5", "q50", "q95"] {
            assert!(p[name].get(key).is_some(), "{name}.{key}");
        }
    }
    assert!(p["tiny"]["mean"].is_null());
    assert_eq!(p["mu"]["q50"].as_f64().unwrap(), params[0].q50);
    // Output order preserved in the text.
    let pos = |s: &str| text.find(&format!("\"{s}\"")).unwrap();
    assert!(pos("mu") < pos("theta[1]") && pos("theta[2]") < pos("Sigma[2,1]"));
    let diag = &v["diagnostics"];
    assert!(diag["elbo"].is_null() && diag["elbo_se"].is_null());
    assert_eq!(diag["khat"].as_f64(), Some(0.62));
    assert_eq!(diag["iterations"].as_u64(), Some(1800));
    assert_eq!(diag["converged"].as_bool(), Some(true));
    assert_eq!(diag["grad_evals"].as_u64(), Some(180_000));
    assert_eq!(diag["restarts"].as_u64(), Some(3));
    assert_eq!(diag["khat_verdict"].as_str(), Some("ok"));
    assert!(diag["reason"].is_string() && diag["seconds"].is_number());
    assert_eq!(v["config"]["variational"]["algorithm"], "bw");
    assert!(pos("model") < pos("method"), "config order kept");
}

#[test]
fn stan_csv_round_trips_and_is_reproducible() {
    let d = sample_draws(100, 3);
    let cfg = sample_config();
    let text = stan_csv_string(&cfg, &d).unwrap();
    assert!(text.starts_with(
        "# model = demo\n# method = variational\n# variational\n#   algorithm = bw\n"
    ));
    let header = text.lines().find(|l| !l.starts_with('#')).unwrap();
    assert_eq!(
        header,
        "lp__,log_p__,log_g__,mu,theta.1,theta.2,Sigma.2.1,tiny"
    );
    let csv = read_stan_csv(&text).unwrap();
    assert_eq!(csv.rows.len(), 100);
    assert_eq!(csv.comment_value("seed"), Some("42"));
    assert_eq!(csv.comment_value("algorithm"), Some("bw"));
    assert!(csv.column("lp__").unwrap().iter().all(|v| *v == 0.0));
    let back = csv.to_draws().unwrap();
    assert_eq!(back.names, d.names);
    for (a, b) in back.values.iter().zip(&d.values) {
        assert_eq!(a.to_bits(), b.to_bits());
    }
    for (a, b) in back.log_g.iter().zip(&d.log_g) {
        assert_eq!(a.to_bits(), b.to_bits());
    }
    assert_eq!(csv.column("Sigma[2,1]"), Some(d.column(3)));
    // Same input, same bytes — also through the file writer.
    let dir = scratch("csv");
    let path = dir.join("draws.csv");
    save_stan_csv(&path, &cfg, &d).unwrap();
    assert_eq!(fs::read_to_string(&path).unwrap(), text);
    save_stan_csv(&path, &cfg, &sample_draws(100, 3)).unwrap();
    assert_eq!(fs::read_to_string(&path).unwrap(), text);
    fs::remove_dir_all(dir).unwrap();
}

/// Python's standard library reads the file as a CmdStan reader would:
/// skip `#` lines, header, float() every field.
#[test]
fn stan_csv_reads_in_python() {
    let python = std::process::Command::new("python3")
        .arg("--version")
        .output();
    if python.is_err() {
        println!("note: python3 not found; the Python CSV check is skipped");
        return;
    }
    let mut d = sample_draws(20, 4);
    d.values[0] = f64::NAN;
    d.values[1] = f64::NEG_INFINITY;
    let dir = scratch("py");
    let path = dir.join("draws.csv");
    save_stan_csv(&path, &sample_config(), &d).unwrap();
    let script = r##"
import csv, json, math, sys
with open(sys.argv[1], newline="") as f:
    rows = list(csv.reader(line for line in f if not line.startswith("#")))
header, body = rows[0], rows[1:]
vals = [[float(x) for x in r] for r in body]
assert all(len(r) == len(header) for r in vals)
print(json.dumps({"header": header, "n": len(vals),
    "col3": [repr(r[3]) for r in vals], "lp": sum(r[0] for r in vals)}))
"##;
    let out = std::process::Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["n"], 20);
    assert_eq!(v["lp"], 0.0);
    assert_eq!(v["header"][3], "mu");
    assert_eq!(v["header"][6], "Sigma.2.1");
    let col3: Vec<String> = v["col3"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_str().unwrap().to_string())
        .collect();
    assert_eq!(col3[0], "nan");
    // Python's repr is also the shortest round-trip form: parse both ways.
    for (i, r) in col3.iter().enumerate().skip(1) {
        let x: f64 = r.parse().unwrap();
        assert_eq!(x.to_bits(), d.row(i)[0].to_bits(), "row {i}: {r}");
    }
    fs::remove_dir_all(dir).unwrap();
}

fn sample_fit_file() -> FitFile {
    let mut rng = VRng::seed_from_u64(9);
    let mut f = FitFile::new("demo", "param mu: real;\nmu ~ normal(0, 1);\n", 42);
    f.data = serde_json::json!({"N": 3, "y": [0.1, 0.2, 0.30000000000000004]});
    f.config = sample_config();
    let mean: Vec<f64> = (0..6).map(|_| StandardNormal.sample(&mut rng)).collect();
    let mut scale = vec![
        1e-310,
        5e-324,
        1.7976931348623157e308,
        f64::NAN,
        f64::INFINITY,
    ];
    scale.push(-f64::INFINITY);
    f.approximation = serde_json::json!({
        "family": "fullrank",
        "mean": vippl::output::float::vec_to_json(&mean),
        "scale": vippl::output::float::vec_to_json(&scale),
    });
    f.trace = (1..=50)
        .map(|i| TraceRow {
            iteration: i,
            elbo: if i == 3 {
                f64::NAN
            } else {
                -100.0 / i as f64 + 0.1f64.powi(i as i32)
            },
            step: 0.1 / (i as f64).sqrt(),
        })
        .collect();
    f.diagnostics = sample_fit();
    f.diagnostics.elbo_se = f64::NAN;
    f.summary = sample_draws(30, 5).summarize();
    f
}

#[test]
fn fit_file_round_trips_bit_exactly() {
    let dir = scratch("fit");
    let path = dir.join("fit.json");
    let f = sample_fit_file();
    f.save(&path).unwrap();
    let text = fs::read_to_string(&path).unwrap();
    assert!(
        text.starts_with("{\n  \"format\": \"vippl-fit\",\n  \"format_version\": 1,"),
        "{}",
        &text[..80]
    );
    assert!(text.contains("\"NaN\"") && text.contains("\"-Infinity\""));
    let g = FitFile::load(&path).unwrap();
    // PartialEq on f64 fails on NaN, so compare the canonical text and then
    // the bits of the numbers that matter.
    assert_eq!(g.to_json_string(), text);
    assert_eq!(g.config, f.config);
    assert_eq!(g.model_source, f.model_source);
    for (a, b) in g.trace.iter().zip(&f.trace) {
        assert_eq!(a.iteration, b.iteration);
        assert_eq!(a.elbo.to_bits(), b.elbo.to_bits());
        assert_eq!(a.step.to_bits(), b.step.to_bits());
    }
    for key in ["mean", "scale"] {
        let a = vippl::output::float::vec_from_json(&g.approximation[key]).unwrap();
        let b = vippl::output::float::vec_from_json(&f.approximation[key]).unwrap();
        for (x, y) in a.iter().zip(&b) {
            assert_eq!(x.to_bits(), y.to_bits(), "{key}");
        }
    }
    for (a, b) in g.summary.iter().zip(&f.summary) {
        assert_eq!(a.sd.to_bits(), b.sd.to_bits());
        assert_eq!(a.q5.to_bits(), b.q5.to_bits());
    }
    assert!(g.diagnostics.elbo_se.is_nan());
    assert_eq!(g.diagnostics.khat, Some(0.62));
    assert_eq!(g.diagnostics.extra, f.diagnostics.extra);
    assert_eq!(g.data["y"][2].as_f64(), Some(0.30000000000000004));
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn fit_file_refuses_what_it_cannot_read() {
    let dir = scratch("notfit");
    let missing = FitFile::load(dir.join("absent.json")).unwrap_err();
    assert!(missing.contains("cannot read"), "{missing}");
    let p = dir.join("data.json");
    fs::write(&p, r#"{"N": 3, "y": [1, 2, 3]}"#).unwrap();
    let e = FitFile::load(&p).unwrap_err();
    assert!(
        e.contains("is not a vippl fit file") && e.contains("--fit"),
        "{e}"
    );
    fs::write(&p, "mu,sigma\n1,2\n").unwrap();
    let e = FitFile::load(&p).unwrap_err();
    assert!(e.contains("is not a vippl fit file"), "{e}");
    let newer = sample_fit_file().to_json_string().replacen(
        "\"format_version\": 1",
        &format!("\"format_version\": {}", FIT_FORMAT_VERSION + 1),
        1,
    );
    fs::write(&p, newer).unwrap();
    let e = FitFile::load(&p).unwrap_err();
    assert!(
        e.contains("upgrade vippl") && e.contains("version 2"),
        "{e}"
    );
    let damaged = sample_fit_file()
        .to_json_string()
        .replacen("\"seed\": 42", "\"seed\": \"x\"", 1);
    fs::write(&p, damaged).unwrap();
    let e = FitFile::load(&p).unwrap_err();
    assert!(e.contains("damaged vippl fit file"), "{e}");
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn trace_csv_streams_and_appears_only_when_finished() {
    let dir = scratch("trace");
    let path = dir.join("trace.csv");
    let cols: Vec<String> = vec!["mu.1".into(), "L.1.1".into()];
    let mut t = TraceWriter::create(&path, &cols).unwrap();
    for i in 1..=3u64 {
        let row = TraceRow {
            iteration: i,
            elbo: -10.0 / i as f64,
            step: 0.5,
        };
        t.push(&row, &[i as f64, 0.1]).unwrap();
    }
    // A retried step replaces the row it retries.
    t.push(
        &TraceRow {
            iteration: 3,
            elbo: -10.0 / 3.0,
            step: 0.25,
        },
        &[3.0, 0.1],
    )
    .unwrap();
    assert!(!path.exists(), "not visible before finish");
    let bad = t.push(
        &TraceRow {
            iteration: 4,
            elbo: 0.0,
            step: 0.5,
        },
        &[1.0],
    );
    assert!(bad.is_err());
    t.finish().unwrap();
    let text = fs::read_to_string(&path).unwrap();
    assert_eq!(
        text,
        "iteration,elbo,step,mu.1,L.1.1\n1,-10,0.5,1,0.1\n2,-5,0.5,2,0.1\n3,-3.3333333333333335,0.25,3,0.1\n"
    );
    // Abandoned writer: nothing new appears, the old file stays.
    {
        let mut t = TraceWriter::create(&path, &cols).unwrap();
        t.push(
            &TraceRow {
                iteration: 1,
                elbo: 0.0,
                step: 1.0,
            },
            &[0.0, 0.0],
        )
        .unwrap();
    }
    assert_eq!(fs::read_to_string(&path).unwrap(), text);
    assert_eq!(listing(&dir), vec!["trace.csv"]);
    assert!(TraceWriter::create(&path, &["elbo".to_string()]).is_err());
    let mut buf = Vec::new();
    let rows = [TraceRow {
        iteration: 7,
        elbo: f64::NEG_INFINITY,
        step: 1e-7,
    }];
    write_trace_csv(&mut buf, &[], &rows, &[]).unwrap();
    assert_eq!(
        String::from_utf8(buf).unwrap(),
        "iteration,elbo,step\n7,-inf,1e-7\n"
    );
    fs::remove_dir_all(dir).unwrap();
}
