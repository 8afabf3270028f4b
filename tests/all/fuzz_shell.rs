//! Random command lines and REPL sessions, good and bad, run against the
//! real binary: whatever the options or the input, `vippl` ends within a
//! time limit with an exit code the docs name (0, 1, 2, 3), never a panic
//! or a signal, and a usage error writes nothing. A short version of the
//! `cli_options` and `repl_input` fuzz targets (fuzz/README.md); set
//! `VIPPL_FUZZ_CASES` to run more cases.

use crate::cli::{scratch, text, write};
use proptest::prelude::*;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Cases per property: `VIPPL_FUZZ_CASES`, or a few dozen.
fn cases() -> u32 {
    std::env::var("VIPPL_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(24)
}

/// The longest a single run may take before it counts as a hang.
const LIMIT: Duration = Duration::from_secs(120);

const MODEL: &str = "data N: int<lower=0>\ndata y: real[N]\nparam mu: real\n\
param sigma: real<lower=0>\nparam theta: real[2]\nmu ~ normal(0, 5)\nsigma ~ normal(0, 2)\n\
theta ~ normal(mu, 1)\ny ~ normal(mu, sigma)\ngen y_rep = normal_rng(mu, sigma)\n";
const DATA: &str = r#"{"N": 4, "y": [0.5, 1.5, 1.0, 0.2]}"#;

/// The files of one case: a model, its data, a saved fit, and fresh names
/// for outputs.
struct Files {
    dir: PathBuf,
    model: String,
    data: String,
    fit: String,
}

fn files() -> &'static Files {
    static FILES: std::sync::OnceLock<Files> = std::sync::OnceLock::new();
    FILES.get_or_init(|| {
        let dir = scratch("fuzz-shell");
        let model = write(&dir, "m.vi", MODEL);
        let data = write(&dir, "d.json", DATA);
        let fit = dir.join("saved.json").to_string_lossy().into_owned();
        let (code, _, err) = vippl(
            &["infer", &model, "--data", &data, "-q", "--fit", &fit],
            None,
        );
        assert_eq!(code, 0, "{err}");
        Files {
            dir,
            model,
            data,
            fit,
        }
    })
}

/// Runs vippl (with `stdin` piped in, if any) within [`LIMIT`]: the exit
/// code, stdout and stderr, after checking it neither panicked nor was
/// killed nor hung.
fn vippl(args: &[&str], stdin: Option<&str>) -> (i32, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_vippl"))
        .args(args)
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("vippl starts");
    let mut input = child.stdin.take().expect("stdin");
    let script = stdin.unwrap_or("").to_string();
    let feeder = std::thread::spawn(move || {
        let _ = input.write_all(script.as_bytes());
    });
    // Both pipes are drained as the program runs, so a long output cannot
    // stall it.
    let drain = |mut r: Box<dyn std::io::Read + Send>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = r.read_to_end(&mut buf);
            buf
        })
    };
    let stdout = drain(Box::new(child.stdout.take().expect("stdout")));
    let stderr = drain(Box::new(child.stderr.take().expect("stderr")));
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("waits") {
            break status;
        }
        if started.elapsed() > LIMIT {
            let _ = child.kill();
            panic!("{args:?} with input {stdin:?} ran for more than {LIMIT:?}");
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let _ = feeder.join();
    let out_bytes = stdout.join().expect("stdout read");
    let err = text(&stderr.join().expect("stderr read"));
    assert!(!err.contains("panicked"), "{args:?} panicked:\n{err}");
    let code = status
        .code()
        .unwrap_or_else(|| panic!("{args:?} was killed by a signal:\n{err}"));
    assert!(
        [0, 1, 2, 3].contains(&code),
        "{args:?}: exit code {code}\n{err}"
    );
    (code, text(&out_bytes), err)
}

/// One option with a value drawn from good and bad ones.
fn option() -> impl Strategy<Value = Vec<String>> {
    let pairs: Vec<(&str, Vec<&str>)> = vec![
        ("--algorithm", vec!["bw", "fbgvi", "advi", "nuts"]),
        (
            "--family",
            vec![
                "meanfield",
                "fullrank",
                "mixture:2",
                "mixture:0",
                "mixture:1000",
                "x",
            ],
        ),
        (
            "--divergence",
            vec![
                "kl",
                "fkl",
                "chi2",
                "hellinger",
                "alpha:0.5",
                "alpha:-1",
                "alpha:x",
            ],
        ),
        ("--estimator", vec!["path", "rep", "x"]),
        ("--optimizer", vec!["euler", "adam", "sgd"]),
        ("--step", vec!["auto", "0.1", "-1", "0", "nan", "1e300"]),
        ("--samples", vec!["0", "1", "4", "-3"]),
        ("--iters", vec!["0", "1", "5", "99999999999999999999"]),
        ("--tol", vec!["0.01", "0", "-1", "nan"]),
        ("--init", vec!["map", "zero", "random", "x"]),
        ("--restarts", vec!["0", "1", "2"]),
        ("--seed", vec!["0", "7", "-1", "18446744073709551615"]),
        ("--threads", vec!["0", "1", "1000"]),
        ("--precondition", vec!["adaptive", "laplace", "none", "x"]),
        ("--grad-tol", vec!["0.05", "none", "-1", "x"]),
        ("--draws", vec!["0", "1", "10", "1000000000000"]),
        ("--format", vec!["table", "json", "yaml"]),
        (
            "--include",
            vec!["mu", "theta[*]", "y_rep*", "nothing", "*"],
        ),
        ("--exclude", vec!["sigma", "theta.1", "zzz"]),
        ("-n", vec!["1", "5", "0"]),
        ("--kind", vec!["marginals", "pairs", "trace", "x"]),
    ];
    let flags = [
        "--self-normalize",
        "--wfr",
        "--psis-resample",
        "--no-psis-resample",
        "--trace-full",
        "-q",
        "--hessian",
        "--unconstrained",
        "--bogus",
    ];
    prop_oneof![
        proptest::sample::select(pairs).prop_flat_map(|(name, values)| {
            proptest::sample::select(values)
                .prop_map(move |v| vec![name.to_string(), v.to_string()])
        }),
        proptest::sample::select(flags.to_vec()).prop_map(|f| vec![f.to_string()]),
    ]
}

/// The paths an output option may be given: fresh names, an input, a
/// directory.
fn output() -> impl Strategy<Value = (String, usize)> {
    (
        proptest::sample::select(vec!["-o", "--output", "--fit", "--trace"]),
        0usize..5,
    )
        .prop_map(|(o, k)| (o.to_string(), k))
}

fn output_path(f: &Files, case: u64, k: usize) -> String {
    match k {
        0 => f.model.clone(),
        1 => f.dir.to_string_lossy().into_owned(),
        2 => f.data.clone(),
        _ => f
            .dir
            .join(format!("out-{case}-{k}.csv"))
            .to_string_lossy()
            .into_owned(),
    }
}

fn command() -> impl Strategy<Value = &'static str> {
    proptest::sample::select(vec![
        "infer",
        "infer",
        "infer",
        "check",
        "logp",
        "summary",
        "draws",
        "plot",
        "help",
        "frobnicate",
    ])
}

/// Paths named on a command line that must not exist after a usage error.
fn fresh_outputs<'a>(args: &'a [String], dir: &Path) -> Vec<&'a str> {
    args.iter()
        .filter(|a| a.starts_with(dir.to_string_lossy().as_ref()) && a.contains("/out-"))
        .map(String::as_str)
        .collect()
}

static CASE: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn any_command_line_ends_with_a_documented_exit_code(
        cmd in command(),
        options in prop::collection::vec(option(), 0..6),
        outputs in prop::collection::vec(output(), 0..3),
    ) {
        let f = files();
        let case = CASE.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let mut args: Vec<String> = vec![cmd.to_string()];
        match cmd {
            "infer" | "check" => args.extend([f.model.clone(), "--data".into(), f.data.clone()]),
            "logp" => {
                let at = write(&f.dir, &format!("at-{case}.json"), r#"{"mu": 0.5, "sigma": 1, "theta": [0, 1]}"#);
                args.extend([f.model.clone(), "--data".into(), f.data.clone(), "--at".into(), at]);
            }
            "summary" | "draws" | "plot" => args.push(f.fit.clone()),
            _ => {}
        }
        if cmd == "plot" {
            args.extend(["-o".into(), f.dir.join(format!("out-{case}.png")).to_string_lossy().into_owned()]);
        }
        args.extend(options.into_iter().flatten());
        for (o, k) in outputs {
            args.push(o);
            args.push(output_path(f, case, k));
        }
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        let (code, stdout, err) = vippl(&refs, None);
        if code == 2 {
            prop_assert!(err.contains("error") || err.contains("Usage"), "{args:?}: {err}");
            for p in fresh_outputs(&args, &f.dir) {
                prop_assert!(!Path::new(p).exists(), "{args:?} exited 2 but wrote {p}");
            }
        }
        let json = args.windows(2).any(|w| w[0] == "--format" && w[1] == "json");
        if cmd == "infer" && (code == 0 || code == 3) && json {
            prop_assert!(serde_json::from_str::<serde_json::Value>(&stdout).is_ok(), "{args:?}: {stdout}");
        }
    }

    #[test]
    fn any_repl_session_ends_with_a_documented_exit_code(
        lines in prop::collection::vec(repl_line(), 0..8),
    ) {
        let f = files();
        let script = lines.join("\n");
        vippl(&["repl", &f.model, "--data", &f.data], Some(&script));
    }
}

/// A line typed into the REPL: commands with good and bad arguments,
/// expressions, statements and fragments.
fn repl_line() -> impl Strategy<Value = String> {
    let fixed = vec![
        ":fit --iters 5 -q",
        ":fit --family meanfield -q",
        ":fit --bogus",
        ":fit -q --include nothing",
        ":summary",
        ":summary mu",
        ":summary nothing",
        ":diag",
        ":compare",
        ":prob mu >",
        ":prob mu > 0",
        ":prob theta[1] > theta[2]",
        ":hist mu",
        ":hist mu --bins 0",
        ":hist mu --bins 99999999999",
        ":draws 3 mu",
        ":draws -1",
        ":logp mu=0.5 sigma=1 theta=[0,1]",
        ":logp mu=",
        ":grad mu=0.5",
        ":model",
        ":model source",
        ":set iters 5",
        ":set iters",
        ":set bogus 3",
        ":data nofile.json",
        ":data",
        ":open nofile.json",
        ":save",
        ":load nofile.vi",
        ":reload",
        ":help",
        ":help fit",
        ":help nothing",
        ":nothing",
        "mu + 1",
        "mu[",
        "(",
        "{",
        "}",
        "let z = mu * 2",
        "for i in 1:3 {",
        "sigma ~ normal(0, 1)",
        "theta[3]",
        "\"",
        "",
    ];
    prop_oneof![
        4 => proptest::sample::select(fixed).prop_map(String::from),
        1 => "\\PC{0,30}",
    ]
}
