//! Command lines built from the bytes: a command, then options with good
//! and bad values and output paths (fresh names, an input, a directory),
//! run against the binary. It must end with a documented exit code, and a
//! usage error (exit 2) must write nothing.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "shell.rs"]
mod shell;

const COMMANDS: &[&str] = &[
    "infer", "check", "logp", "summary", "draws", "plot", "help", "x",
];

const OPTIONS: &[(&str, &[&str])] = &[
    ("--algorithm", &["bw", "fbgvi", "advi", "nuts"]),
    (
        "--family",
        &[
            "meanfield",
            "fullrank",
            "mixture:2",
            "mixture:0",
            "mixture:1000",
        ],
    ),
    (
        "--divergence",
        &["kl", "fkl", "chi2", "hellinger", "alpha:0.5", "alpha:-1"],
    ),
    ("--estimator", &["path", "rep", "x"]),
    ("--optimizer", &["euler", "adam", "sgd"]),
    ("--step", &["auto", "0.1", "-1", "0", "nan", "1e300"]),
    ("--samples", &["0", "1", "4", "-3"]),
    ("--iters", &["0", "1", "5", "99999999999999999999"]),
    ("--tol", &["0.01", "0", "-1", "nan"]),
    ("--init", &["map", "zero", "random", "x"]),
    ("--restarts", &["0", "1", "2"]),
    ("--seed", &["0", "7", "-1", "18446744073709551615"]),
    ("--threads", &["0", "1", "1000"]),
    ("--precondition", &["adaptive", "laplace", "none", "x"]),
    ("--grad-tol", &["0.05", "none", "-1", "x"]),
    ("--draws", &["0", "1", "10", "1000000000000"]),
    ("--format", &["table", "json", "yaml"]),
    ("--include", &["mu", "theta[*]", "y_rep*", "nothing", "*"]),
    ("--exclude", &["sigma", "theta.1", "zzz"]),
    ("-n", &["1", "5", "0"]),
    ("--kind", &["marginals", "pairs", "trace", "x"]),
    ("--self-normalize", &[]),
    ("--wfr", &[]),
    ("--psis-resample", &[]),
    ("--no-psis-resample", &[]),
    ("--trace-full", &[]),
    ("-q", &[]),
    ("--hessian", &[]),
    ("--bogus", &[]),
];

const OUTPUTS: &[&str] = &["-o", "--fit", "--trace"];

fuzz_target!(|data: &[u8]| {
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let f = shell::files();
    let cmd = COMMANDS[first as usize % COMMANDS.len()];
    let mut args: Vec<String> = vec![cmd.into()];
    match cmd {
        "infer" | "check" => args.extend([f.model.clone(), "--data".into(), f.data.clone()]),
        "logp" => args.extend([
            f.model.clone(),
            "--data".into(),
            f.data.clone(),
            "--at".into(),
            f.at.clone(),
        ]),
        "summary" | "draws" | "plot" => args.push(f.fit.clone()),
        _ => {}
    }
    let fresh = |k: usize| {
        f.dir
            .join(format!("out-{k}.csv"))
            .to_string_lossy()
            .into_owned()
    };
    let mut fresh_names = Vec::new();
    if cmd == "plot" {
        args.extend([
            "-o".into(),
            f.dir.join("out.png").to_string_lossy().into_owned(),
        ]);
    }
    for pair in rest.chunks(2).take(8) {
        let a = pair[0] as usize;
        let b = pair.get(1).copied().unwrap_or(0) as usize;
        if a >= 240 {
            // An output option.
            args.push(OUTPUTS[a % OUTPUTS.len()].into());
            let path = match b % 4 {
                0 => f.model.clone(),
                1 => f.dir.to_string_lossy().into_owned(),
                _ => {
                    let p = fresh(fresh_names.len());
                    let _ = std::fs::remove_file(&p);
                    fresh_names.push(p.clone());
                    p
                }
            };
            args.push(path);
        } else {
            let (name, values) = OPTIONS[a % OPTIONS.len()];
            args.push(name.into());
            if !values.is_empty() {
                args.push(values[b % values.len()].into());
            }
        }
    }
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let (code, err) = shell::run(&refs, "");
    if code == 2 {
        for p in &fresh_names {
            assert!(
                !std::path::Path::new(p).exists(),
                "{args:?} exited 2 but wrote {p}\n{err}"
            );
        }
    }
});
