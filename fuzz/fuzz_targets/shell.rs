//! What the `cli_options` and `repl_input` targets share: the files a run
//! works on and running the `vippl` binary with a time limit, checking that
//! it ends with an exit code the docs name, never a panic or a signal.
//!
//! The binary is `$VIPPL_BIN`, else `../target/release/vippl` (build it
//! first with `cargo build --release` in the repository).

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

pub const MODEL: &str = "data N: int<lower=0>\ndata y: real[N]\nparam mu: real\n\
param sigma: real<lower=0>\nparam theta: real[2]\nmu ~ normal(0, 5)\nsigma ~ normal(0, 2)\n\
theta ~ normal(mu, 1)\ny ~ normal(mu, sigma)\ngen y_rep = normal_rng(mu, sigma)\n";
pub const DATA: &str = r#"{"N": 4, "y": [0.5, 1.5, 1.0, 0.2]}"#;

/// The longest one run may take before it counts as a hang.
const LIMIT: Duration = Duration::from_secs(60);

pub struct Files {
    pub dir: PathBuf,
    pub model: String,
    pub data: String,
    pub fit: String,
    pub at: String,
}

fn binary() -> String {
    std::env::var("VIPPL_BIN").unwrap_or_else(|_| {
        concat!(env!("CARGO_MANIFEST_DIR"), "/../target/release/vippl").to_string()
    })
}

/// The model, data, point and saved fit every run uses.
pub fn files() -> &'static Files {
    static FILES: OnceLock<Files> = OnceLock::new();
    FILES.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("vippl-fuzz-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a scratch directory");
        let put = |name: &str, text: &str| {
            let p = dir.join(name);
            std::fs::write(&p, text).expect("scratch file");
            p.to_string_lossy().into_owned()
        };
        let model = put("m.vi", MODEL);
        let data = put("d.json", DATA);
        let at = put("at.json", r#"{"mu": 0.5, "sigma": 1, "theta": [0, 1]}"#);
        let fit = dir.join("saved.json").to_string_lossy().into_owned();
        let (code, _) = run(&["infer", &model, "--data", &data, "-q", "--fit", &fit], "");
        assert_eq!(code, 0, "the saved fit could not be made");
        Files {
            dir,
            model,
            data,
            fit,
            at,
        }
    })
}

/// Runs the binary with `args` and `stdin`; the exit code and stderr.
/// Panics (a finding) on a panic message, a signal, an undocumented exit
/// code or a run over the time limit.
pub fn run(args: &[&str], stdin: &str) -> (i32, String) {
    let mut child = Command::new(binary())
        .args(args)
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("vippl starts (set VIPPL_BIN)");
    let mut input = child.stdin.take().expect("stdin");
    let script = stdin.to_string();
    let feeder = std::thread::spawn(move || {
        let _ = input.write_all(script.as_bytes());
    });
    let mut out = child.stdout.take().expect("stdout");
    let mut err = child.stderr.take().expect("stderr");
    let out_reader = std::thread::spawn(move || {
        let mut b = Vec::new();
        let _ = out.read_to_end(&mut b);
    });
    let err_reader = std::thread::spawn(move || {
        let mut b = Vec::new();
        let _ = err.read_to_end(&mut b);
        String::from_utf8_lossy(&b).into_owned()
    });
    let started = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().expect("waits") {
            break s;
        }
        if started.elapsed() > LIMIT {
            let _ = child.kill();
            panic!("{args:?} with input {stdin:?} ran for more than {LIMIT:?}");
        }
        std::thread::sleep(Duration::from_millis(2));
    };
    let _ = feeder.join();
    let _ = out_reader.join();
    let err = err_reader.join().unwrap_or_default();
    assert!(!err.contains("panicked"), "{args:?} panicked:\n{err}");
    let code = status
        .code()
        .unwrap_or_else(|| panic!("{args:?} was killed by a signal:\n{err}"));
    assert!(
        [0, 1, 2, 3].contains(&code),
        "{args:?}: exit code {code}\n{err}"
    );
    (code, err)
}
