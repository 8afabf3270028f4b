//! The Stan CSV as CmdStan's own readers take it: cmdstanpy's `from_csv`
//! and ArviZ's `from_cmdstan`, run for real when Python has them
//! (`VIPPL_PYTHON` names the interpreter, `python3` otherwise); without
//! them the test says on stderr that it did not run and why. The layout
//! itself (header keys, mean row, what the header records) is checked
//! without Python.

use std::io::Write;
use std::path::PathBuf;
use std::process::Command;

fn vippl(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_vippl"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("vippl runs")
}

fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("vippl-cmdstan-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn example(rel: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join(rel)
        .to_string_lossy()
        .into_owned()
}

/// The value of `key = value` in the comment header.
fn header_value<'a>(text: &'a str, key: &str) -> Option<&'a str> {
    text.lines()
        .filter_map(|l| l.strip_prefix('#'))
        .find_map(|c| c.split_once(" = ").filter(|(k, _)| k.trim() == key))
        .map(|(_, v)| v.trim())
}

/// Fits eight schools and writes `-o draws.csv` and `--fit fit.json`.
fn eight_schools(d: &std::path::Path) -> (String, String) {
    let csv = d.join("draws.csv").to_string_lossy().into_owned();
    let fit = d.join("fit.json").to_string_lossy().into_owned();
    let out = vippl(&[
        "infer",
        &example("examples/eight_schools.vi"),
        "--data",
        &example("examples/eight_schools.json"),
        "-q",
        "-o",
        &csv,
        "--fit",
        &fit,
    ]);
    assert!(
        matches!(out.status.code(), Some(0 | 3)),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (csv, fit)
}

#[test]
fn the_csv_has_cmdstan_variational_layout_and_records_what_was_done() {
    let d = scratch("layout");
    let (csv, fit) = eight_schools(&d);
    let text = std::fs::read_to_string(&csv).unwrap();
    for (key, value) in [
        ("method", "variational"),
        ("algorithm", "fullrank"),
        ("iter", "10000"),
        ("grad_samples", "16"),
        ("elbo_samples", "100"),
        ("output_samples", "1000"),
        ("stopping_rule", "natural_gradient"),
        ("grad_tol", "0.05"),
        ("flow", "bw"),
    ] {
        assert_eq!(header_value(&text, key), Some(value), "{key}");
    }
    for key in ["eta", "tol_rel_obj", "eval_elbo"] {
        let v: f64 = header_value(&text, key).unwrap().parse().unwrap();
        assert!(v > 0.0, "{key}");
    }
    let body: Vec<&str> = text.lines().skip_while(|l| l.starts_with('#')).collect();
    assert!(body[0].starts_with("lp__,log_p__,log_g__,mu,tau,eta.1"));
    assert_eq!(body[1], "# Stepsize adaptation complete.");
    assert!(body[2].starts_with("# eta = "));
    assert!(body[3].starts_with("0,0,0,"), "the mean row: {}", body[3]);
    assert_eq!(body.len(), 4 + 1000);
    // Eight schools' k̂ is below 0.7: infer -o resampled, and so does
    // `vippl draws` by default; the header says what was done.
    assert_eq!(header_value(&text, "psis_resample"), Some("true"));
    let again = d.join("again.csv").to_string_lossy().into_owned();
    let out = vippl(&["draws", &fit, "-n", "20", "-o", &again]);
    assert_eq!(out.status.code(), Some(0));
    let t = std::fs::read_to_string(&again).unwrap();
    assert_eq!(header_value(&t, "psis_resample"), Some("true"));
    assert_eq!(header_value(&t, "output_samples"), Some("20"));
    let out = vippl(&["draws", &fit, "-n", "20", "--no-psis-resample"]);
    assert_eq!(out.status.code(), Some(0));
    let t = String::from_utf8_lossy(&out.stdout);
    assert_eq!(header_value(&t, "psis_resample"), Some("false"));
    // The Stan rule, when chosen, is what the header names.
    let stan = d.join("stan.csv").to_string_lossy().into_owned();
    let out = vippl(&[
        "infer",
        &example("examples/eight_schools.vi"),
        "--data",
        &example("examples/eight_schools.json"),
        "-q",
        "--tol",
        "0.001",
        "-o",
        &stan,
    ]);
    assert!(matches!(out.status.code(), Some(0 | 3)));
    let t = std::fs::read_to_string(&stan).unwrap();
    assert_eq!(header_value(&t, "stopping_rule"), Some("tol_rel_obj"));
    assert_eq!(header_value(&t, "tol_rel_obj"), Some("0.001"));
    assert_eq!(header_value(&t, "grad_tol"), None);
}

/// A message on the real stderr, which the test harness does not capture.
fn say(msg: &str) {
    let _ = writeln!(std::io::stderr().lock(), "{msg}");
}

const READER: &str = r#"
import json, sys, warnings
warnings.simplefilter("ignore")
import cmdstanpy, arviz
path = sys.argv[1]
vb = cmdstanpy.from_csv(path)
idata = arviz.from_cmdstan(path)
print(json.dumps({
    "kind": type(vb).__name__,
    "sample": list(vb.variational_sample.shape),
    "mean_mu": float(vb.variational_params_dict["mu"]),
    "theta": list(vb.stan_variable("theta", mean=False).shape),
    "arviz_theta": list(idata.posterior["theta"].shape),
}))
"#;

#[test]
fn cmdstanpy_and_arviz_read_the_csv() {
    let python = std::env::var("VIPPL_PYTHON").unwrap_or_else(|_| "python3".into());
    let probe = Command::new(&python)
        .args(["-c", "import cmdstanpy, arviz"])
        .output();
    match probe {
        Ok(o) if o.status.success() => {}
        Ok(o) => {
            say(&format!(
                "SKIPPED cmdstanpy_and_arviz_read_the_csv: `{python}` cannot import cmdstanpy and arviz ({}); set VIPPL_PYTHON to an interpreter that has them",
                String::from_utf8_lossy(&o.stderr)
                    .lines()
                    .last()
                    .unwrap_or("")
                    .trim()
            ));
            return;
        }
        Err(e) => {
            say(&format!(
                "SKIPPED cmdstanpy_and_arviz_read_the_csv: cannot run `{python}`: {e}; set VIPPL_PYTHON"
            ));
            return;
        }
    }
    let d = scratch("python");
    let (csv, _) = eight_schools(&d);
    let out = Command::new(&python)
        .args(["-c", READER, &csv])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["kind"], "CmdStanVB");
    assert_eq!(v["sample"], serde_json::json!([1000, 21]));
    assert_eq!(v["theta"], serde_json::json!([1000, 8]));
    // ArviZ takes every row, the mean row included, as CmdStan's files.
    assert_eq!(v["arviz_theta"], serde_json::json!([1, 1001, 8]));
    let text = std::fs::read_to_string(&csv).unwrap();
    let mean_row = text.lines().find(|l| l.starts_with("0,0,0,")).unwrap();
    let mu: f64 = mean_row.split(',').nth(3).unwrap().parse().unwrap();
    assert_eq!(v["mean_mu"].as_f64(), Some(mu));
}
