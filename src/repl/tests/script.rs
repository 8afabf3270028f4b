//! The REPL session driven line by line, as a script would: every command,
//! errors in the middle of a session and recovery, models built at the
//! prompt, expressions and probabilities over the fit's own draws.

use super::driver::Driver;
use super::transcript::{DATA, MODEL, Scratch, redact, snapshot};
use crate::repl::session::Outcome;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use vippl::output::read_stan_csv;

/// Short fits keep the tests fast; fits are deterministic for a seed.
const FIT: &str = ":fit --iters 300 --seed 1";

#[test]
fn a_tour_of_every_command_on_eight_schools() {
    let mut d = Driver::eight_schools();
    d.ok(&[
        ":model",
        "J",
        "mean(y)",
        "y[2:4] * 2",
        FIT,
        "tau",
        "theta[1] - theta[3]",
        ":summary tau theta",
        ":prob theta[1] > theta[3]",
        ":prob tau < 1 || tau > 10",
        ":hist tau --bins 10",
        ":fit --family meanfield --iters 300 --seed 1",
        ":compare",
        ":diag",
        ":draws 3 mu tau",
        ":draws 2",
        ":logp mu=1 tau=2 eta=0",
        ":grad mu=1 tau=2 eta=[0, 0, 0, 0, 0, 0, 0, 0]",
        ":set iters 300",
        ":set family meanfield",
        ":set",
        ":set family default",
        ":set",
        ":data",
        ":help prob",
        ":help",
    ]);
    snapshot("repl_tour", &redact(&d.transcript, None));
}

#[test]
fn errors_leave_the_session_intact() {
    let s = Scratch::new("errors");
    let mut d = Driver::eight_schools();
    // Before any fit.
    assert!(d.fails(":summary").contains("no fit yet"));
    assert!(d.fails("tau").contains("depends on parameters"));
    assert!(d.fails(":save x.json").contains("no fit to save"));
    d.ok(&[FIT]);
    let before = d.out(":summary");
    // A mistake of every kind, one after another.
    assert!(d.fails(":fitt").contains("did you mean `:fit`"));
    assert!(d.fails("thetaa[1]").contains("did you mean `theta`"));
    assert!(d.fails(":fit --family banana").contains("unknown family"));
    assert!(
        d.fails(":fit --algorithm fbgvi --family meanfield")
            .contains("fullrank")
    );
    assert!(
        d.fails(":fit --no-such-option")
            .contains("--no-such-option")
    );
    assert!(
        d.fails(":load nowhere/missing.vi")
            .contains("cannot read model file")
    );
    assert!(
        d.fails(":load tests/fixtures/repl/broken.vi")
            .contains("previous one is kept")
    );
    assert!(
        d.fails(":data nowhere.json")
            .contains("cannot read data file")
    );
    assert!(d.fails(":data data.txt").contains("cannot tell the format"));
    assert!(d.fails(":prob tau").contains("is not a condition"));
    assert!(d.fails(":prob").contains("needs a condition"));
    assert!(d.fails(":hist theta").contains("has 8 elements"));
    assert!(d.fails(":hist").contains("needs a quantity"));
    assert!(
        d.fails(":summary nosuch")
            .contains("no quantity named `nosuch`")
    );
    assert!(
        d.fails(":plot nosuch")
            .contains("no quantity named `nosuch`")
    );
    assert!(d.fails(":plot").contains("needs quantities"));
    assert!(
        d.fails(":logp mu=1")
            .contains("no value given for parameter `tau`")
    );
    assert!(
        d.fails(":logp mu=abc")
            .contains("must be a number or a list")
    );
    assert!(d.fails(":logp").contains("give every parameter a value"));
    assert!(
        d.fails(":set banana 3")
            .contains("no `:fit` option `banana`")
    );
    assert!(d.fails(":set iters many").contains("invalid value"));
    assert!(d.fails(":set quiet maybe").contains("is a flag"));
    assert!(d.fails(":quit now").contains("takes no arguments"));
    assert!(d.fails(":help nothing").contains("no command"));
    assert!(d.fails(":model everything").contains("`source`"));
    assert!(d.fails("param 3x: real").contains("not added to the model"));
    assert!(d.fails(":write").contains("needs FILE.vi"));
    assert!(d.fails(":reload extra").contains("takes no arguments"));
    assert!(
        d.fails(&format!(":save {}", s.path("no/such/dir/f.json")))
            .contains("does not exist (create it first)")
    );
    // Nothing changed: same model, same fit, and fitting still works.
    assert_eq!(d.out(":summary"), before);
    assert_eq!(d.session.fit_count(), 1);
    d.ok(&[FIT]);
    let after = d.out(":summary");
    assert_eq!(
        after.replace(&wall(&after), ""),
        before.replace(&wall(&before), "")
    );
    snapshot("repl_errors", &redact(&d.transcript, Some(&s.0)));
}

/// The wall-time line of a summary (differs between identical fits).
fn wall(summary: &str) -> String {
    summary
        .lines()
        .find(|l| l.starts_with("wall time"))
        .unwrap_or("")
        .to_string()
}

#[test]
fn a_model_built_at_the_prompt_is_written_and_fits_like_the_file() {
    let s = Scratch::new("build");
    let mut typed = Driver::new();
    typed.ok(&[&format!(":data {DATA}")]);
    use Outcome::{Done, Incomplete};
    let lines = [
        ("data J: int<lower=1>", Done),
        ("data y: real[J]", Done),
        ("data sigma: real<lower=0>[J]", Done),
        ("param mu: real", Done),
        ("param tau: real<lower=0>", Done),
        ("param eta: real[J]", Done),
        ("mu ~ normal(0, 5); tau ~ cauchy(0, 5)", Done),
        // An unfinished line continues on the next.
        ("eta ~ std_normal(", Incomplete),
        (")", Done),
        ("let theta = mu +", Incomplete),
        ("  tau * eta", Done),
        ("for j in 1:J {", Incomplete),
        ("  y[j] ~ normal(theta[j], sigma[j])", Incomplete),
        ("}", Done),
    ];
    for (l, expected) in lines {
        assert_eq!(typed.line(l), expected, "`{l}`: {}", typed.transcript);
    }
    let model = typed.out(":model");
    assert!(model.contains("dimension: 10"), "{model}");
    let fitted = typed.out(FIT);
    let file = s.path("typed.vi");
    typed.ok(&[&format!(":write {file}")]);
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.contains("for j in 1:J {\n  y[j] ~ normal(theta[j], sigma[j])\n}"));
    assert_eq!(text, typed.session.model_text());
    // The written file loads in a new session and gives the same fit.
    let mut again = Driver::new();
    again.ok(&[&format!(":data {DATA}"), &format!(":load {file}")]);
    let refit = again.out(FIT);
    assert_eq!(
        refit.replace(&wall(&refit), ""),
        fitted.replace(&wall(&fitted), "")
    );
    // The loop form has the same posterior as the vectorised example.
    let mut example = Driver::eight_schools();
    let reference = example.out(FIT);
    let table = |t: &str| t.split("\n\n").next().unwrap_or("").to_string();
    assert_eq!(table(&refit), table(&reference));
    snapshot("repl_build", &redact(&typed.transcript, Some(&s.0)));
}

#[test]
fn probabilities_and_expressions_use_the_fits_own_draws() {
    let s = Scratch::new("prob");
    let mut d = Driver::eight_schools();
    d.ok(&[FIT]);
    let csv = s.path("draws.csv");
    d.ok(&[&format!(":draws -o {csv}")]);
    let draws = read_stan_csv(&std::fs::read_to_string(&csv).unwrap()).unwrap();
    let t1 = draws.column("theta.1").unwrap();
    let t3 = draws.column("theta.3").unwrap();
    assert_eq!(t1.len(), 1000);
    let hits = t1.iter().zip(&t3).filter(|(a, b)| a > b).count();
    let p = hits as f64 / 1000.0;
    let se = (p * (1.0 - p) / 1000.0).sqrt();
    let out = d.out(":prob theta[1] > theta[3]");
    let want = format!(
        "P(theta[1] > theta[3]) = {p:.3} ± {} (Monte Carlo standard error, 1000 draws)\n",
        vippl::output::format_sig(se, 2)
    );
    assert_eq!(out, want);
    // An element as an expression summarises exactly like the summary row.
    let expr = d.out("theta[2]");
    let row = d.out(":summary theta[2]");
    assert_eq!(expr.lines().nth(1), row.lines().nth(1));
    // A `gen` added after the fit is evaluated at the same draws; the
    // posterior did not change, so no note.
    d.ok(&["gen y_rep = normal_rng(theta, sigma)"]);
    let (o, out, err) = d.run(":prob y_rep[1] > y[1]");
    assert_eq!(o, Outcome::Done);
    assert!(out.starts_with("P(y_rep[1] > y[1]) = 0."), "{out}");
    assert!(err.is_empty(), "{err}");
    // A new prior changes the posterior: the draws are still the fit's, and
    // the session says so.
    d.ok(&["mu ~ normal(0, 1)"]);
    let (o, _, err) = d.run("mu");
    assert_eq!(o, Outcome::Done);
    assert!(err.contains("changed since fit 1"), "{err}");
    // Data alone needs no fit, and conditions on data are 0 or 1.
    assert_eq!(d.out("sum(y) / J"), "8.75\n");
    assert_eq!(
        d.out(":prob y[1] > y[2]"),
        "P(y[1] > y[2]) = 1 (it depends on data only)\n"
    );
}

#[test]
fn saved_fits_open_with_the_same_summary() {
    let s = Scratch::new("save");
    let file = s.path("fit.json");
    let mut d = Driver::eight_schools();
    d.ok(&[":fit --family meanfield --iters 300 --seed 4"]);
    let summary = d.out(":summary");
    d.ok(&[&format!(":save {file}")]);
    let mut other = Driver::new();
    let opened = other.out(&format!(":open {file}"));
    assert_eq!(opened, summary);
    assert_eq!(other.out(":summary"), summary);
    let compare = other.out(":compare");
    assert!(compare.contains("meanfield"), "{compare}");
    assert!(compare.contains("opened fit"), "{compare}");
    // The opened fit brings its model and data: expressions and refits work.
    assert!(other.session.model_text().contains("let theta"));
    assert!(other.out(":prob tau > 3").starts_with("P(tau > 3) = 0."));
    other.ok(&[FIT]);
    assert_eq!(other.session.fit_count(), 2);
    // Files written by a fit command.
    let csv = s.path("d.csv");
    let fitjson = s.path("f2.json");
    let trace = s.path("t.csv");
    // (Trace files of full-rank fits are refused by the trace writer: its
    // scale columns `S[i,j]` are not valid CSV names; mean-field works.)
    d.ok(&[&format!(
        ":fit --family meanfield --iters 300 --seed 1 -o {csv} --fit {fitjson} --trace {trace}"
    )]);
    for f in [&csv, &fitjson, &trace] {
        assert!(std::fs::metadata(f).unwrap().len() > 100, "{f}");
    }
    // Pictures.
    let png = s.path("tau.png");
    d.ok(&[
        &format!(":plot tau --png {png}"),
        &format!(":plot elbo --png {}", s.path("e.png")),
    ]);
    for f in [png, s.path("e.png")] {
        let bytes = std::fs::read(&f).unwrap();
        assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "{f}");
    }
    snapshot("repl_save", &redact(&other.transcript, Some(&s.0)));
}

#[test]
fn reload_reads_the_edited_file_and_keeps_the_data() {
    let s = Scratch::new("reload");
    let file = s.path("m.vi");
    std::fs::write(&file, std::fs::read_to_string(MODEL).unwrap()).unwrap();
    let mut d = Driver::new();
    d.ok(&[&format!(":data {DATA}"), &format!(":load {file}"), FIT]);
    d.ok(&["gen big = tau > 10"]);
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(&file, text.replace("cauchy(0, 5)", "normal(0, 1)")).unwrap();
    let (o, _, err) = d.run(":reload");
    assert_eq!(o, Outcome::Done);
    assert!(
        err.contains("1 statement(s) typed since the file was read are dropped"),
        "{err}"
    );
    assert!(!d.session.model_text().contains("gen big"));
    assert!(d.session.model_text().contains("tau ~ normal(0, 1)"));
    // The data is still there: the edited model fits at once.
    d.ok(&[FIT]);
    assert_eq!(d.session.fit_count(), 2);
    // A broken edit is refused and the working model kept.
    std::fs::write(&file, "param x real\n").unwrap();
    assert!(d.fails(":reload").contains("previous one is kept"));
    assert!(d.session.model_text().contains("tau ~ normal(0, 1)"));
}

#[test]
fn ctrl_c_during_a_fit_keeps_the_partial_result() {
    let mut d = Driver::eight_schools();
    let flag = d.session.interrupt_handle();
    let done = Arc::new(AtomicBool::new(false));
    let watcher = {
        let (flag, done) = (flag.clone(), done.clone());
        std::thread::spawn(move || {
            // Let the mode search finish, then press Ctrl-C until the fit stops.
            std::thread::sleep(std::time::Duration::from_millis(300));
            while !done.load(Ordering::SeqCst) {
                flag.store(true, Ordering::SeqCst);
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
        })
    };
    let (o, out, err) = d.run(":fit --iters 100000000 --tol 1e-12");
    done.store(true, Ordering::SeqCst);
    watcher.join().unwrap();
    assert_eq!(o, Outcome::Done, "{err}");
    assert!(err.contains("interrupted after"), "{err}");
    assert!(out.contains("interrupted by the user"), "{out}");
    let compare = d.out(":compare");
    assert!(compare.contains("interrupted"), "{compare}");
    // The partial fit is usable.
    assert!(
        d.out(":prob theta[1] > theta[3]")
            .starts_with("P(theta[1] > theta[3]) = 0.")
    );
    assert!(d.out(":hist tau").contains("1000 draws"));
}

#[test]
fn end_of_input_reads_an_unfinished_statement() {
    let mut d = Driver::new();
    assert_eq!(d.line("let a = (1 +"), Outcome::Incomplete);
    assert!(d.session.is_pending());
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let o = d.session.finish(&mut out, &mut err);
    assert_eq!(o, Outcome::Failed);
    assert!(String::from_utf8(err).unwrap().contains("unclosed `(`"));
    // A command ends an unfinished input (reported), then runs.
    assert_eq!(d.line("param p: real<lower=0,"), Outcome::Incomplete);
    let (o, _, err) = d.run(":model source");
    assert_eq!(o, Outcome::Done);
    assert!(err.contains("not added to the model"), "{err}");
    assert!(!d.session.is_pending());
    // Clearing (Ctrl-C at the prompt) forgets it.
    assert_eq!(d.line("mu ~ normal(0,"), Outcome::Incomplete);
    d.session.clear_pending();
    assert_eq!(d.out("2 * 3"), "6\n");
    assert_eq!(d.line(":quit"), Outcome::Quit);
}

#[test]
fn a_model_file_with_errors_can_be_fixed_and_reloaded() {
    let s = Scratch::new("fix");
    let file = s.path("m.vi");
    std::fs::write(&file, "param mu real\nmu ~ normal(0, 1)\n").unwrap();
    let mut d = Driver::new();
    assert!(
        d.fails(&format!(":load {file}"))
            .contains("fix it and `:reload`")
    );
    std::fs::write(&file, "param mu: real\nmu ~ normal(0, 1)\n").unwrap();
    d.ok(&[":reload", ":fit --iters 300 --seed 3 --family meanfield"]);
    let mean: f64 = d
        .out("mu")
        .lines()
        .nth(1)
        .unwrap()
        .split_whitespace()
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    // N(0, 1): the mean of 1000 draws is within 4 standard errors (4/sqrt(1000)) of 0.
    assert!(mean.abs() < 4.0 / 1000f64.sqrt(), "{mean}");
}
