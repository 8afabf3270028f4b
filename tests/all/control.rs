//! `while`, `break`, `continue`, `print` and `reject`: what the checker
//! accepts and refuses, the log density of models that use them against
//! closed forms (gradients against central differences), a rejection as a
//! log density of −∞ with its message, and `print` on standard error.

use crate::density::{compile, try_compile};
use std::process::{Command, Stdio};
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

const PRIOR: &str = "param mu: real\nmu ~ normal(0, 1)\n";

#[test]
fn loops_jumps_and_messages_check_where_they_belong() {
    let ok = [
        "var i: int = 0\nwhile i < 3 { i = i + 1 }\n",
        "var i: int = 0\nwhile (i < 3) {\n  i += 1\n  if i == 2 { continue }\n  if i > 5 { break }\n}\n",
        "for k in 1:3 { if k == 2 { break } else { continue } }\n",
        "for k in 1:3 { { while 1 { break } } }\n",
        "print(\"mu = \", mu, \" // not a comment (\")\nprint()\n",
        "if mu > 10 { reject(\"mu is \", mu, \"; too large\") }\n",
        "fn f(x: real) -> real {\n  if x > 0 { return x }\n  reject(\"x must be positive, found \", x)\n}\ntarget += f(exp(mu))\n",
        "fn g(n: int) -> int {\n  var k: int = 0\n  while 1 {\n    k += 1\n    if k >= n { break }\n  }\n  return k\n}\ntarget += g(3)\n",
    ];
    for body in ok {
        let e = check_errors(&format!("{PRIOR}{body}"));
        assert_eq!(e, "", "{body}");
    }
    let bad = [
        (
            "break\n",
            "`break` is only allowed inside a `for` or `while` loop",
        ),
        (
            "if mu > 0 { continue }\n",
            "`continue` is only allowed inside a `for` or `while` loop",
        ),
        (
            "fn h(x: real) -> real {\n  break\n  return x\n}\n",
            "to leave the function, use `return`",
        ),
        (
            "var v: real[2] = [1, 2]\nwhile v { }\n",
            "a `while` condition must be a scalar",
        ),
        ("print(\"no end)\n", "this string is never closed"),
        ("print('single')\n", "double quotes"),
        ("let print = 3\n", "`print` is a keyword"),
        ("reject(\"x\", nope)\n", "unknown"),
    ];
    for (body, want) in bad {
        let e = check_errors(&format!("{PRIOR}{body}"));
        assert!(e.contains(want), "{body}: expected `{want}` in\n{e}");
    }
}

/// A sum of data that stops at the first negative value and skips zeros,
/// a `for` loop that leaves after two terms, a `while` loop whose trip
/// count depends on a parameter, and a rejection that does not fire.
const MODEL: &str = "data N: int\ndata y: real[N]\nparam mu: real\nparam a: real<lower=0>\n\
mu ~ normal(0, 10)\na ~ exponential(1)\n\
var total: real = 0\nvar i: int = 0\n\
while (i < N) {\n  i = i + 1\n  if y[i] == 0 { continue }\n  if y[i] < 0 { break }\n  total = total + y[i]\n}\n\
for k in 1:N {\n  if k > 2 { break }\n  y[k] ~ normal(mu, 1)\n}\n\
var n: int = 0\nwhile n < 50 && n < a { n += 1 }\n\
target += -0.5 * square(total - mu) + normal_lpdf(n | a, 1)\n\
if a > 1000 { reject(\"a is too large: \", a) }\n";

const DATA: &str = r#"{"N": 5, "y": [1.5, 0, 2.0, -1, 7]}"#;

fn closed_form(mu: f64, a: f64) -> f64 {
    let normal = |x: f64, m: f64, s: f64| {
        -0.5 * ((x - m) / s).powi(2) - s.ln() - 0.5 * (2.0 * std::f64::consts::PI).ln()
    };
    // total = 1.5 + 2.0; n = the least integer >= a (a < 50).
    let n = a.ceil();
    normal(mu, 0.0, 10.0) - a + normal(1.5, mu, 1.0) + normal(0.0, mu, 1.0)
        - 0.5 * (3.5 - mu).powi(2)
        + normal(n, a, 1.0)
}

#[test]
fn loops_with_jumps_match_the_closed_form() {
    let cm = compile(MODEL, DATA);
    let mut ws = cm.workspace();
    for (mu, a) in [(0.3, 2.4), (-1.2, 0.7), (2.0, 7.01)] {
        // a > 0 is log-transformed: add the log-Jacobian log a.
        let x = [mu, f64::ln(a)];
        let mut g = vec![0.0; 2];
        let lp = cm.log_density_and_gradient(&mut ws, &x, &mut g);
        let want = closed_form(mu, a) + a.ln();
        assert!((lp - want).abs() < 1e-10, "mu {mu} a {a}: {lp} vs {want}");
        // Away from the integers, n is locally constant.
        let h = 1e-6;
        let at = |m: f64, la: f64| closed_form(m, la.exp()) + la;
        let d_mu = (at(mu + h, x[1]) - at(mu - h, x[1])) / (2.0 * h);
        let d_la = (at(mu, x[1] + h) - at(mu, x[1] - h)) / (2.0 * h);
        assert!((g[0] - d_mu).abs() < 1e-6, "{} vs {d_mu}", g[0]);
        assert!((g[1] - d_la).abs() < 1e-6, "{} vs {d_la}", g[1]);
    }
}

#[test]
fn a_rejection_is_minus_infinity_with_its_message_and_place() {
    let cm = compile(MODEL, DATA);
    let mut ws = cm.workspace();
    let x = [0.0, 7.0];
    let mut g = vec![0.0; 2];
    let lp = cm.log_density_and_gradient(&mut ws, &x, &mut g);
    assert_eq!(lp, f64::NEG_INFINITY);
    let why = cm.explain_nonfinite(&x).unwrap_or_default();
    assert!(why.contains("rejected: a is too large: 1096.63"), "{why}");
    assert!(why.contains("m.vi:22:"), "{why}");
    // On data alone, the rejection is an error when data is bound.
    let src =
        format!("data N: int\n{PRIOR}if N < 1 {{ reject(\"N must be positive, found \", N) }}\n");
    let e = try_compile(&src, r#"{"N": 0}"#).err().unwrap();
    assert!(e.contains("rejected: N must be positive, found 0"), "{e}");
    assert!(try_compile(&src, r#"{"N": 2}"#).is_ok());
}

#[test]
fn print_writes_its_line_to_standard_error() {
    let dir = std::env::temp_dir().join(format!("vippl-print-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let model = dir.join("m.vi");
    std::fs::write(
        &model,
        "data X: real[2, 2]\nparam mu: real\nmu ~ normal(0, 1)\n\
         print(\"mu = \", mu, \", X = \", X, \", n = \", 3, \" \", [1.5, -2])\n",
    )
    .unwrap();
    let data = dir.join("d.json");
    std::fs::write(&data, r#"{"X": [[1, 2], [3, 4.5]]}"#).unwrap();
    let at = dir.join("at.json");
    std::fs::write(&at, r#"{"mu": 0.25}"#).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_vippl"))
        .args(["logp", "--format", "json", "--data"])
        .arg(&data)
        .arg("--at")
        .arg(&at)
        .arg(&model)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr
            .lines()
            .any(|l| l == "mu = 0.25, X = [[1, 2], [3, 4.5]], n = 3 [1.5, -2]"),
        "{stderr}"
    );
    // The machine-readable output on standard output is untouched.
    let parsed: serde_json::Value = serde_json::from_str(&stdout).expect("JSON on stdout");
    assert!(parsed.is_object(), "{stdout}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_new_statements_print_back_as_they_parse() {
    let src = "while (i < 3) {\n  i += 1\n  if i == 2 { continue }\n  break\n}\n\
               print(\"a, b = \", a, [1, 2])\nreject(\"bad: \", x)\nprint()\n";
    let parse = |text: &str| {
        let mut sources = SourceMap::new();
        let file = sources.add("m.vi", text);
        vippl::syntax::parse(&sources, file)
            .unwrap_or_else(|d| panic!("{}", render_short(&d, &sources)))
    };
    let program = parse(src);
    let sexp = vippl::syntax::sexp(&program);
    assert!(sexp.contains("(while (< i 3)"), "{sexp}");
    assert!(
        sexp.contains("(continue)") && sexp.contains("(break)"),
        "{sexp}"
    );
    assert!(sexp.contains("(print \"a, b = \" a"), "{sexp}");
    assert!(sexp.contains("(reject \"bad: \" x)"), "{sexp}");
    let again = parse(&vippl::syntax::pretty(&program));
    assert_eq!(vippl::syntax::sexp(&again), sexp);
}
