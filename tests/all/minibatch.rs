//! `vippl infer --minibatch B` from the command line: the answer on a
//! conjugate model, the same bits on any thread count, and every bad input
//! refused in words with its exit code.

use std::path::PathBuf;
use std::process::{Command, Stdio};

fn vippl(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_vippl"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(Stdio::null())
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Writes `text` to a fresh file in the temporary directory.
fn temp_file(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("vippl-minibatch-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

const MODEL: &str = "data N: int<lower=1> minibatch
data y: real[N]
param mu: real
mu ~ normal(0, 10)
y ~ normal(mu, 2)
";

/// n = 3000 values spread evenly around 1.5 (deterministic), as JSON, and
/// the exact posterior mean and sd of mu.
fn data() -> (String, f64, f64) {
    let n = 3000;
    let y: Vec<f64> = (0..n)
        .map(|i| 1.5 + 2.0 * ((i as f64 + 0.5) / n as f64 - 0.5) * 3.0)
        .collect();
    let precision = 1.0 / 100.0 + n as f64 / 4.0;
    let mean = y.iter().sum::<f64>() / 4.0 / precision;
    let json = format!(
        "{{\"N\": {n}, \"y\": [{}]}}",
        y.iter()
            .map(|v| v.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    );
    (json, mean, precision.powf(-0.5))
}

/// The `mu` row of a summary table: mean and sd.
fn mu_row(out: &str) -> (f64, f64) {
    let line = out
        .lines()
        .find(|l| l.trim_start().starts_with("mu "))
        .unwrap_or_else(|| panic!("no mu row in\n{out}"));
    let v: Vec<f64> = line
        .split_whitespace()
        .skip(1)
        .map(|x| x.parse().unwrap())
        .collect();
    (v[0], v[1])
}

#[test]
fn a_minibatch_fit_from_the_command_line_is_right_and_thread_independent() {
    let (json, mean, sd) = data();
    let model = temp_file("normal.vi", MODEL);
    let data = temp_file("normal.json", &json);
    let (m, d) = (model.to_str().unwrap(), data.to_str().unwrap());
    let run = |threads: &str| {
        let (code, out, err) = vippl(&[
            "infer",
            m,
            "--data",
            d,
            "--minibatch",
            "300",
            "--threads",
            threads,
            "-q",
        ]);
        assert_eq!(code, 0, "{err}");
        out
    };
    let one = run("1");
    let two = run("2");
    let without_time = |s: &str| {
        s.lines()
            .filter(|l| !l.starts_with("wall time"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(without_time(&one), without_time(&two));
    assert!(one.contains("minibatch 300 rows / meanfield"), "{one}");
    assert!(
        one.contains("converged: minibatch window averages agree"),
        "{one}"
    );
    // The summary's mean and sd come from 1000 PSIS-resampled draws: their
    // Monte Carlo errors are sd/√1000 and sd/√2000; 4 of each, plus the
    // stopping tolerance (0.05 sd) for the mean and 10 % for the sd (see
    // the unit test of the conjugate fit).
    let (m_hat, s_hat) = mu_row(&one);
    assert!(
        (m_hat - mean).abs() < (4.0 / 1000f64.sqrt() + 0.05) * sd,
        "mean {m_hat} vs {mean}"
    );
    assert!(
        (s_hat / sd - 1.0).abs() < 4.0 / 2000f64.sqrt() + 0.1,
        "sd {s_hat} vs {sd}"
    );
}

#[test]
fn bad_minibatch_input_is_refused_with_its_exit_code() {
    let model = temp_file("bad.vi", MODEL);
    let small = temp_file("small.json", r#"{"N": 4, "y": [1, 2, 3, 4]}"#);
    let m = model.to_str().unwrap();
    let d = small.to_str().unwrap();
    let (code, _, err) = vippl(&["infer", m, "--data", d, "--minibatch", "0"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("at least 1"), "{err}");
    let (code, _, err) = vippl(&[
        "infer",
        m,
        "--data",
        d,
        "--minibatch",
        "2",
        "--family",
        "fullrank",
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("does not combine with --family fullrank"),
        "{err}"
    );
    let (code, _, err) = vippl(&["infer", m, "--data", d, "--minibatch", "5"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("between 1 and the 4 rows"), "{err}");
    assert!(
        err.contains("minibatch-size"),
        "drawn as a located diagnostic: {err}"
    );
    assert!(!err.contains("error: error"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    let plain = temp_file("plain.vi", &MODEL.replace(" minibatch", ""));
    let (code, _, err) = vippl(&[
        "infer",
        plain.to_str().unwrap(),
        "--data",
        d,
        "--minibatch",
        "2",
    ]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("marks none"), "{err}");
    assert!(
        err.contains("minibatch-unmarked") && !err.contains("error: error"),
        "{err}"
    );
    let latent = temp_file(
        "latent.vi",
        "data N: int<lower=1> minibatch\ndata y: real[N]\nparam z: real[N]\nz ~ normal(0, 1)\ny ~ normal(z, 1)\n",
    );
    let (code, _, err) = vippl(&["check", latent.to_str().unwrap()]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("latent.vi:3:7") && err.contains("one latent variable per row"),
        "{err}"
    );
}
