//! Tab completion and hints: commands, options and their values, model
//! names, quantities of the fit, and file names.

use super::driver::Driver;
use super::transcript::Scratch;
use crate::repl::complete::{Names, complete, hint, paths};

fn at_end(line: &str, names: &Names) -> (usize, Vec<String>) {
    complete(line, line.len(), names)
}

fn fitted_names() -> Names {
    let mut d = Driver::eight_schools();
    d.ok(&[":fit --iters 300 --seed 1"]);
    d.session.names()
}

#[test]
fn command_names() {
    let n = Names::default();
    assert_eq!(at_end(":pr", &n), (0, vec![":prob".to_string()]));
    assert_eq!(
        at_end(":s", &n),
        (
            0,
            vec![
                ":save".to_string(),
                ":set".to_string(),
                ":summary".to_string()
            ]
        )
    );
    let (_, all) = at_end(":", &n);
    assert_eq!(all.len(), 20);
    assert!(all.contains(&":compare".to_string()));
    assert_eq!(at_end("  :qu", &n), (2, vec![":quit".to_string()]));
    assert_eq!(at_end(":help co", &n), (6, vec!["compare".to_string()]));
    assert_eq!(at_end(":zzz a", &n).1, Vec::<String>::new());
}

#[test]
fn parameter_data_and_quantity_names() {
    let n = fitted_names();
    assert_eq!(n.params, vec!["mu", "tau", "eta"]);
    assert_eq!(n.data, vec!["J", "y", "sigma"]);
    // In expressions: model names, built-ins, distributions and keywords.
    assert_eq!(
        at_end("ta", &n),
        (
            0,
            ["tail", "tan", "tanh", "target", "tau"]
                .map(str::to_string)
                .to_vec()
        )
    );
    assert_eq!(at_end("2 * the", &n), (4, vec!["theta".to_string()]));
    assert_eq!(at_end("sig", &n).1, vec!["sigma".to_string()]);
    assert!(at_end("norm", &n).1.contains(&"normal".to_string()));
    assert_eq!(
        at_end(":prob theta[1] > et", &n),
        (17, vec!["eta".to_string()])
    );
    // Commands that take quantities offer whole names and elements.
    let (start, c) = at_end(":hist theta[", &n);
    assert_eq!(start, 6);
    assert_eq!(c.len(), 8);
    assert_eq!(c[0], "theta[1]");
    assert_eq!(at_end(":hist ta", &n).1, vec!["tau".to_string()]);
    assert_eq!(
        at_end(":plot e", &n).1,
        vec![
            "elbo", "eta", "eta[1]", "eta[2]", "eta[3]", "eta[4]", "eta[5]", "eta[6]", "eta[7]",
            "eta[8]"
        ]
    );
    assert_eq!(at_end(":summary m", &n).1, vec!["mu".to_string()]);
    // `:logp` offers parameters ready for their value.
    assert_eq!(at_end(":logp mu=1 t", &n), (11, vec!["tau=".to_string()]));
    assert_eq!(at_end(":grad ", &n).1, vec!["eta=", "mu=", "tau="]);
}

#[test]
fn fit_options_and_their_values() {
    let n = fitted_names();
    assert_eq!(at_end(":fit --fam", &n), (5, vec!["--family".to_string()]));
    assert_eq!(
        at_end(":fit --family ", &n).1,
        vec!["fullrank", "lowrank:", "meanfield", "mixture:"]
    );
    assert_eq!(at_end(":fit --algorithm a", &n).1, vec!["advi"]);
    assert_eq!(at_end(":fit --iters 300 --div", &n).1, vec!["--divergence"]);
    assert_eq!(at_end(":set ite", &n), (5, vec!["iters".to_string()]));
    assert_eq!(at_end(":set optimizer ", &n).1, vec!["adam", "euler"]);
    assert!(at_end(":set iters ", &n).1.is_empty());
}

#[test]
fn file_names() {
    let s = Scratch::new("complete");
    for f in [
        "model.vi",
        "other.vi",
        "data.json",
        "x.csv",
        "notes.txt",
        ".hidden.vi",
    ] {
        std::fs::write(s.0.join(f), "").unwrap();
    }
    std::fs::create_dir(s.0.join("sub")).unwrap();
    let dir = format!("{}/", s.0.display());
    let n = Names::default();
    // `:load` offers models and directories; hidden files only when asked.
    let (start, c) = at_end(&format!(":load {dir}"), &n);
    assert_eq!(start, 6);
    assert_eq!(
        c,
        vec![
            format!("{dir}model.vi"),
            format!("{dir}other.vi"),
            format!("{dir}sub/")
        ]
    );
    assert_eq!(
        at_end(&format!(":load {dir}m"), &n).1,
        vec![format!("{dir}model.vi")]
    );
    assert_eq!(
        at_end(&format!(":load {dir}."), &n).1,
        vec![format!("{dir}.hidden.vi")]
    );
    // `:data` offers data files, also after `NAME=`.
    assert_eq!(
        at_end(&format!(":data {dir}"), &n).1,
        vec![
            format!("{dir}data.json"),
            format!("{dir}sub/"),
            format!("{dir}x.csv")
        ]
    );
    let line = format!(":data X={dir}x");
    assert_eq!(at_end(&line, &n), (8, vec![format!("{dir}x.csv")]));
    assert_eq!(
        at_end(&format!(":open {dir}d"), &n).1,
        vec![format!("{dir}data.json")]
    );
    assert_eq!(
        at_end(&format!(":fit -o {dir}x"), &n).1,
        vec![format!("{dir}x.csv")]
    );
    assert!(paths(&format!("{dir}nothing"), &[]).is_empty());
    assert!(paths("/no/such/dir/", &[]).is_empty());
}

#[test]
fn hints_show_the_arguments_of_a_command() {
    assert_eq!(
        hint(":pro", 4),
        Some(("b".to_string(), Some("b".to_string())))
    );
    assert_eq!(hint(":prob", 5), Some((" EXPR".to_string(), None)));
    assert_eq!(
        hint(":plot ", 6),
        Some(("NAME...|elbo [--png FILE]".to_string(), None))
    );
    assert_eq!(hint(":prob tau > 1", 13), None);
    assert_eq!(hint(":s", 2), None);
    assert_eq!(hint(":quit", 5), None);
    assert_eq!(hint("tau", 3), None);
    assert_eq!(hint(":prob", 2), None);
}
