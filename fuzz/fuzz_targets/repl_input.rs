//! A REPL session typed from the bytes: chunks separated by 0xFF are lines,
//! a one-byte chunk picks a command with good or bad arguments, anything
//! else is typed as it is. The session must end (at the end of its input)
//! with a documented exit code, never a panic, a signal or a hang.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "shell.rs"]
mod shell;

const LINES: &[&str] = &[
    ":fit --iters 5 -q",
    ":fit --family meanfield -q",
    ":fit --bogus",
    ":fit -q --include nothing",
    ":summary",
    ":summary nothing",
    ":diag",
    ":compare",
    ":prob mu >",
    ":prob mu > 0",
    ":prob theta[1] > theta[2]",
    ":hist mu --bins 0",
    ":hist mu --bins 99999999999",
    ":draws 3 mu",
    ":draws -1",
    ":logp mu=0.5 sigma=1 theta=[0,1]",
    ":logp mu=",
    ":grad mu=0.5",
    ":model source",
    ":set iters 5",
    ":set bogus 3",
    ":data nofile.json",
    ":open nofile.json",
    ":save",
    ":load nofile.vi",
    ":reload",
    ":help fit",
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
];

fuzz_target!(|data: &[u8]| {
    let f = shell::files();
    let mut script = String::new();
    for chunk in data.split(|&b| b == 0xFF).take(12) {
        match chunk {
            [k] => script.push_str(LINES[*k as usize % LINES.len()]),
            text => script.push_str(&String::from_utf8_lossy(text)),
        }
        script.push('\n');
    }
    shell::run(&["repl", &f.model, "--data", &f.data], &script);
});
