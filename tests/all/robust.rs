//! Bad input as an adversarial user gives it: sizes too large for the
//! machine, out-of-range numbers, names and options beyond their limits,
//! broken pipes. Each ends with a diagnostic and an exit code, never a
//! crash.

use crate::cli::{text, write};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn vippl(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vippl"))
        .args(args)
        .env("NO_COLOR", "1")
        // Diagnostics on one line each, so that messages can be matched.
        .env("COLUMNS", "2000")
        .output()
        .expect("vippl runs")
}

/// A fresh scratch directory, apart from the other command-line tests'.
fn scratch(name: &str) -> PathBuf {
    crate::cli::scratch(&format!("robust-{name}"))
}

/// Exit code and stderr, checked not to be a panic or an abort.
fn run(args: &[&str]) -> (i32, String, String) {
    let out = vippl(args);
    let err = text(&out.stderr);
    assert!(!err.contains("panicked"), "{args:?} panicked:\n{err}");
    let code = out
        .status
        .code()
        .unwrap_or_else(|| panic!("{args:?} was killed by a signal:\n{err}"));
    (code, text(&out.stdout), err)
}

const SMALL: &str =
    "data N: int\ndata y: real[N]\nparam mu: real\nmu ~ normal(0, 1)\ny ~ normal(mu, 1)\n";
const SMALL_DATA: &str = r#"{"N": 3, "y": [0.5, 1.5, 1.0]}"#;

#[test]
fn a_var_too_large_for_the_machine_is_a_located_error() {
    let d = scratch("var");
    let m = write(
        &d,
        "v.vi",
        "data N: int\nvar v: real[N]\nparam mu: real\nmu ~ normal(0, 1)\n",
    );
    let data = write(&d, "big.json", r#"{"N": 1000000000000}"#);
    let (code, _, err) = run(&["check", &m, "--data", &data]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("var `v` would hold 1000000000000 numbers: it needs 8.0 TB"),
        "{err}"
    );
    assert!(err.contains("v.vi:2:1"), "{err}");
}

#[test]
fn a_matrix_size_that_wraps_around_is_refused() {
    let d = scratch("wrap");
    let m = write(
        &d,
        "m.vi",
        "data N: int\nvar M: real[N, N]\nparam mu: real\nmu ~ normal(0, 1)\n",
    );
    for (n, words) in [
        (
            "4294967296",
            "18446744073709551616 numbers (4294967296 × 4294967296)",
        ),
        (
            "1000000000000",
            "1000000000000000000000000 numbers (1000000000000 × 1000000000000)",
        ),
    ] {
        let data = write(&d, "n.json", &format!(r#"{{"N": {n}}}"#));
        let (code, _, err) = run(&["check", &m, "--data", &data]);
        assert_eq!(code, 1, "{err}");
        assert!(
            err.contains(&format!("var `M` would hold {words}")),
            "{err}"
        );
    }
}

#[test]
fn parameter_dimensions_are_checked_before_fitting() {
    let d = scratch("param");
    let m = write(
        &d,
        "p.vi",
        "data N: int\nparam v: real[N]\nv ~ normal(0, 1)\n",
    );
    let huge = write(&d, "huge.json", r#"{"N": 1000000000000}"#);
    let (code, _, err) = run(&["check", &m, "--data", &huge]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("parameter `v` would hold 1000000000000 numbers"),
        "{err}"
    );
    // Ten million parameters are stored easily, but no d × d matrix of them.
    let big = write(&d, "big.json", r#"{"N": 10000000}"#);
    for family in ["meanfield", "fullrank"] {
        let (code, _, err) = run(&["infer", &m, "--data", &big, "-q", "--family", family]);
        assert_eq!(code, 1, "{err}");
        assert!(
            err.contains(&format!(
                "the model has 10000000 unconstrained parameters: a {family} fit needs at least"
            )),
            "{err}"
        );
    }
}

#[test]
fn more_draws_than_memory_is_an_error_before_the_fit() {
    let d = scratch("draws");
    let m = write(&d, "m.vi", SMALL);
    let data = write(&d, "d.json", SMALL_DATA);
    let (code, _, err) = run(&[
        "infer",
        &m,
        "--data",
        &data,
        "-q",
        "--draws",
        "100000000000000",
    ]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains(
            "--draws 100000000000000: the draws and the proposals behind them need 5.6 PB"
        ),
        "{err}"
    );
    // The same limit for draws made again from a saved fit.
    let fit = d.join("fit.json").to_string_lossy().into_owned();
    let (code, _, err) = run(&["infer", &m, "--data", &data, "-q", "--fit", &fit]);
    assert!(code == 0 || code == 3, "{err}");
    let (code, _, err) = run(&["draws", &fit, "-n", "100000000000000"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("100000000000000 draws need"), "{err}");
}

#[test]
fn an_int_beyond_exact_doubles_is_an_error_not_a_clamp() {
    let d = scratch("bigint");
    let m = write(&d, "m.vi", SMALL);
    let data = write(
        &d,
        "d.json",
        r#"{"N": 99999999999999999999999, "y": [1.0]}"#,
    );
    let (code, _, err) = run(&["check", &m, "--data", &data]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("data `N` in")
            && err.contains("holds 1e23, larger than the integers that can be read exactly"),
        "{err}"
    );
}

#[test]
fn a_very_long_name_is_a_diagnostic() {
    let d = scratch("name");
    let name = "a".repeat(65_536);
    let m = write(
        &d,
        "m.vi",
        &format!("param {name}: real\n{name} ~ normal(0, 1)\n"),
    );
    let (code, _, err) = run(&["check", &m]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("a name of 65536 characters is longer than the 255 a name may have"),
        "{}",
        &err[..err.len().min(500)]
    );
    // A long name within the limit lays out.
    let name = "b".repeat(255);
    let m = write(
        &d,
        "ok.vi",
        &format!("param {name}: real\n{name} ~ normal(0, 1)\n"),
    );
    let (code, out, err) = run(&["check", &m]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains(&name), "{out}");
}

#[test]
fn a_closed_pipe_ends_the_output_quietly() {
    let d = scratch("pipe");
    let m = write(&d, "m.vi", SMALL);
    let data = write(&d, "d.json", SMALL_DATA);
    let fit = d.join("fit.json").to_string_lossy().into_owned();
    let (code, _, err) = run(&["infer", &m, "--data", &data, "-q", "--fit", &fit]);
    assert!(code == 0 || code == 3, "{err}");
    let mut child = Command::new(env!("CARGO_BIN_EXE_vippl"))
        .args(["draws", &fit, "-n", "200000"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = [0u8; 64];
    child
        .stdout
        .as_mut()
        .unwrap()
        .read_exact(&mut first)
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let err = text(&out.stderr);
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(err.is_empty(), "{err}");
}

#[test]
fn option_values_beyond_their_limits() {
    let d = scratch("options");
    let m = write(&d, "m.vi", SMALL);
    let data = write(&d, "d.json", SMALL_DATA);
    let (code, _, err) = run(&["infer", &m, "--data", &data, "--family", "mixture:1000"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains(
            "invalid --family `mixture:1000`: 1000 components is more than the 100 a mixture may have"
        ),
        "{err}"
    );
    let (code, _, err) = run(&["infer", &m, "--data", &data, "--threads", "100000"]);
    assert!(code == 0 || code == 3, "{err}");
    assert!(
        err.contains("note: --threads 100000: this machine has") && err.contains("cores; using"),
        "{err}"
    );
    let (code, out, err) = run(&["help", "--help"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("Usage: vippl <COMMAND>"), "{out}");
}

#[test]
fn csv_cells_are_never_invented() {
    let d = scratch("csv");
    let m = write(&d, "m.vi", SMALL);
    for (content, expected) in [
        (
            "y\n1\n\n3\n",
            "row 3, column `y`: the value is missing (a blank line)",
        ),
        (
            "y\n1\nNA\n3\n",
            "row 3, column `y`: `NA` marks a missing value",
        ),
        (
            "y\n1\nnan\n",
            "row 3, column `y`: `nan` marks a missing value",
        ),
        (
            "y\n1\n1e400\n",
            "row 3, column `y`: `1e400` is out of the range of a double",
        ),
        ("y\n1\nabc\n", "row 3, column `y`: `abc` is not a number"),
    ] {
        let csv = write(&d, "y.csv", content);
        let (code, _, err) = run(&["check", &m, "--data", &csv]);
        assert_eq!(code, 1, "{content:?}: {err}");
        assert!(err.contains(expected), "{content:?}: {err}");
    }
    // JSON agrees: a number beyond a double is an error there too.
    let json = write(&d, "y.json", r#"{"y": [1, 1e400]}"#);
    let (code, _, err) = run(&["check", &m, "--data", &json]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("number out of range"), "{err}");
}

/// The names in a directory, sorted.
fn listing(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn outputs_cannot_destroy_inputs_or_each_other() {
    let d = scratch("clobber");
    let m = write(&d, "m.vi", SMALL);
    let data = write(&d, "d.json", SMALL_DATA);
    let same = d.join("same.csv").to_string_lossy().into_owned();
    let via_dot = format!("{}/./d.json", d.display());
    for (args, expected) in [
        (
            vec!["-o", same.as_str(), "--fit", same.as_str()],
            "-o `SAME` and --fit `SAME` are the same file",
        ),
        (
            vec!["--fit", via_dot.as_str()],
            "--fit `DOT` is the data file `DATA`: writing it would destroy the input",
        ),
        (
            vec!["-o", m.as_str()],
            "-o `MODEL` is the model `MODEL`: writing it would destroy the input",
        ),
    ] {
        let mut all = vec!["infer", &m, "--data", &data, "-q"];
        all.extend(args.iter().copied());
        let (code, _, err) = run(&all);
        assert_eq!(code, 2, "{err}");
        let expected = expected
            .replace("SAME", &same)
            .replace("DOT", &via_dot)
            .replace("DATA", &data)
            .replace("MODEL", &m);
        assert!(err.contains(&expected), "{err}");
    }
    assert_eq!(std::fs::read_to_string(&m).unwrap(), SMALL);
    assert_eq!(std::fs::read_to_string(&data).unwrap(), SMALL_DATA);
    assert_eq!(listing(&d), vec!["d.json", "m.vi"]);
}

#[test]
fn a_directory_as_an_output_writes_nothing_and_exits_1() {
    let d = scratch("dirout");
    let m = write(&d, "m.vi", SMALL);
    let data = write(&d, "d.json", SMALL_DATA);
    let dir = d.join("sub");
    std::fs::create_dir(&dir).unwrap();
    let dir_s = dir.to_string_lossy().into_owned();
    let ok = d.join("ok.json").to_string_lossy().into_owned();
    for args in [
        vec!["-o", dir_s.as_str(), "--fit", ok.as_str()],
        vec!["--trace", dir_s.as_str()],
        vec!["--fit", ok.as_str(), "--trace", dir_s.as_str()],
    ] {
        let mut all = vec!["infer", &m, "--data", &data, "-q"];
        all.extend(args.iter().copied());
        let (code, _, err) = run(&all);
        assert_eq!(code, 1, "{args:?}: {err}");
        assert!(
            err.contains(&format!("`{dir_s}`: is a directory, not a file name")),
            "{err}"
        );
        assert_eq!(listing(&d), vec!["d.json", "m.vi", "sub"], "{args:?}");
        assert!(listing(&dir).is_empty());
    }
}

#[test]
fn plot_refuses_an_extension_it_cannot_write() {
    let d = scratch("svg");
    let m = write(&d, "m.vi", SMALL);
    let data = write(&d, "d.json", SMALL_DATA);
    let fit = d.join("fit.json").to_string_lossy().into_owned();
    let (code, _, err) = run(&["infer", &m, "--data", &data, "-q", "--fit", &fit]);
    assert!(code == 0 || code == 3, "{err}");
    let svg = d.join("x.svg").to_string_lossy().into_owned();
    let (code, _, err) = run(&["plot", &fit, "-o", &svg]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("plots are written as PNG images; give a file name ending in `.png`"),
        "{err}"
    );
    assert!(!Path::new(&svg).exists());
    let (code, _, err) = run(&["plot", &fit, "-o", &fit]);
    assert_eq!(code, 2, "{err}");
    let (code, _, err) = run(&["draws", &fit, "-o", &fit]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("is the fit file"), "{err}");
}

#[test]
fn logp_never_prints_a_non_finite_density_as_a_success() {
    let d = scratch("logp");
    let m = write(
        &d,
        "m.vi",
        "param sigma: real<lower=0>\nsigma ~ normal(0, 1)\ntarget += log(sigma - 1)\n",
    );
    let at = write(&d, "at.json", r#"{"sigma": 0.5}"#);
    for format in ["json", "table"] {
        let (code, out, err) = run(&["logp", &m, "--at", &at, "--format", format]);
        assert_eq!(code, 1, "{out}{err}");
        assert!(out.is_empty(), "{out}");
        assert!(!out.contains("null"), "{out}");
        assert!(
            err.contains("error: the log density at this point is"),
            "{err}"
        );
    }
}

/// Every key of a JSON object tree (parameter names excepted) is
/// snake_case, and no value is a number written as text.
fn assert_machine_readable(v: &serde_json::Value, path: &str) {
    match v {
        serde_json::Value::Object(map) => {
            for (k, x) in map {
                let snake = k
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
                assert!(snake || path == "parameters", "key `{k}` in {path}");
                assert_machine_readable(x, k);
            }
        }
        serde_json::Value::Array(items) => {
            items.iter().for_each(|x| assert_machine_readable(x, path))
        }
        serde_json::Value::String(s) => {
            assert!(!s.contains('±') && !s.contains(" of "), "{path}: {s:?}");
        }
        _ => {}
    }
}

#[test]
fn the_json_summary_is_versioned_snake_case_and_numeric() {
    let d = scratch("json");
    let m = write(&d, "m.vi", SMALL);
    let data = write(&d, "d.json", SMALL_DATA);
    let fit = d.join("fit.json").to_string_lossy().into_owned();
    let (code, out, err) = run(&[
        "infer",
        &m,
        "--data",
        &data,
        "-q",
        "--format",
        "json",
        "--fit",
        &fit,
        "--restarts",
        "2",
    ]);
    assert!(code == 0 || code == 3, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("valid JSON");
    assert_eq!(v["schema_version"].as_u64(), Some(1));
    let diag = &v["diagnostics"];
    assert_machine_readable(&v["diagnostics"], "diagnostics");
    for k in [
        "elbo",
        "elbo_se",
        "log_evidence",
        "log_evidence_se",
        "importance_ess",
        "step_initial",
        "step_final",
    ] {
        assert!(diag[k].is_number(), "{k}: {}", diag[k]);
    }
    assert_eq!(diag["importance_draws"].as_u64(), Some(4000));
    assert_eq!(diag["restarts"].as_u64(), Some(2));
    assert_eq!(diag["restart_elbos"].as_array().map(Vec::len), Some(2));
    assert!(diag["psis_resampled"].is_boolean());
    assert!(
        diag["method"]
            .as_str()
            .unwrap()
            .starts_with("bw / fullrank / kl")
    );
    for k in ["mean", "sd", "q5", "q50", "q95"] {
        assert!(v["parameters"]["mu"][k].is_number(), "{k}");
    }
    // A saved fit prints the same object again.
    let (code, again, err) = run(&["summary", &fit, "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    let w: serde_json::Value = serde_json::from_str(&again).unwrap();
    assert_eq!(w["diagnostics"]["log_evidence"], diag["log_evidence"]);
    assert_eq!(w["schema_version"], v["schema_version"]);
}

mod data_props {
    //! A short version of the `data_files` fuzz target: random Stan JSON
    //! and CSV texts bound to a model whose sizes come from the data end in
    //! a value or a diagnostic, never a panic or a huge allocation.
    use proptest::prelude::*;
    use vippl::data::{DataInput, DataSpec};

    const MODEL: &str = "data N: int<lower=0>\ndata K: int<lower=0>\ndata y: real[N]\n\
data g: int[N]\ndata X: real[N, K]\nvar v: real[N, K]\nparam mu: real\n\
mu ~ normal(0, 1)\ny ~ normal(mu, 1)\n";

    fn bind(spec: DataSpec, text: &str) {
        let mut input = DataInput::default();
        if input.add(&spec, text).is_ok() {
            let _ = vippl::workflow::compile_text("m.vi", MODEL, &input);
        }
    }

    /// Numbers as people and programs write them, well and badly.
    fn cell() -> impl Strategy<Value = String> {
        prop_oneof![
            any::<i64>().prop_map(|i| i.to_string()),
            any::<f64>().prop_map(|x| x.to_string()),
            Just("99999999999999999999999".to_string()),
            Just("4294967296".to_string()),
            Just("1e400".to_string()),
            Just("NA".to_string()),
            Just("NaN".to_string()),
            Just("-Inf".to_string()),
            Just(String::new()),
            Just("\"1\"".to_string()),
            "[a-z0-9.,\\-]{0,4}",
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 600, ..ProptestConfig::default() })]

        #[test]
        fn json_data_never_panics(n in cell(), k in cell(), ys in prop::collection::vec(cell(), 0..6)) {
            let text = format!(
                "{{\"N\": {n}, \"K\": {k}, \"y\": [{}], \"g\": [{}], \"X\": [[{}]]}}",
                ys.join(", "), ys.join(", "), ys.join(", ")
            );
            bind(DataSpec::Json("d.json".into()), &text);
        }

        #[test]
        fn csv_data_never_panics(rows in prop::collection::vec(prop::collection::vec(cell(), 1..4), 0..6)) {
            let body: Vec<String> = rows.iter().map(|r| r.join(",")).collect();
            bind(DataSpec::Csv("d.csv".into()), &format!("y,g\n{}\n", body.join("\n")));
            bind(DataSpec::Named("X".into(), "x.csv".into()), &body.join("\n"));
        }

        #[test]
        fn any_text_is_read_or_refused(text in "\\PC{0,200}") {
            bind(DataSpec::Json("d.json".into()), &text);
            bind(DataSpec::Csv("d.csv".into()), &text);
            bind(DataSpec::Named("X".into(), "x.csv".into()), &text);
        }
    }
}

#[test]
fn a_too_deep_expression_over_many_lines_is_not_echoed_whole() {
    let d = scratch("deep-lines");
    let model = format!(
        "param mu: real\nmu ~ normal(0, 1)\nlet x = {}1\n",
        "-\n".repeat(100_000)
    );
    let m = write(&d, "deep.vi", &model);
    let (code, _, err) = run(&["check", &m]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("more than 200 levels of operators"), "{err}");
    assert!(err.contains("(and 100000 more lines)"), "{err}");
    assert!(err.lines().count() < 30, "{} lines", err.lines().count());
}
