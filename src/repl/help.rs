//! The commands of the REPL, their syntax and their help texts: one table
//! read by `:help`, completion and hints.

/// One command.
pub struct CommandDoc {
    /// Without the colon.
    pub name: &'static str,
    /// Other names accepted.
    pub aliases: &'static [&'static str],
    /// The arguments, as shown after the name.
    pub args: &'static str,
    /// One line.
    pub summary: &'static str,
    /// What `:help NAME` adds.
    pub details: &'static str,
}

pub const COMMANDS: &[CommandDoc] = &[
    CommandDoc {
        name: "load",
        aliases: &[],
        args: "MODEL.vi",
        summary: "read a model file (the data loaded so far is kept)",
        details: "Replaces the current model by the file's. Statements typed at the prompt \
                  are added after it; `:reload` reads the file again after you edit it.",
    },
    CommandDoc {
        name: "reload",
        aliases: &[],
        args: "",
        summary: "read the model file again, keeping the data",
        details: "Statements typed at the prompt since the file was loaded are dropped \
                  (write them out first with `:write FILE` to keep them).",
    },
    CommandDoc {
        name: "data",
        aliases: &[],
        args: "[FILE | NAME=FILE]",
        summary: "load data (Stan JSON, CSV with a header, NAME=file.csv); no argument lists it",
        details: "A name given again replaces its earlier value. Keys the model does not \
                  declare are kept (a later declaration may use them) and noted.",
    },
    CommandDoc {
        name: "model",
        aliases: &[],
        args: "[source]",
        summary: "parameters, shapes, constraints and dimension; `source` prints the text",
        details: "Sizes are shown as numbers once the data they depend on is loaded.",
    },
    CommandDoc {
        name: "fit",
        aliases: &[],
        args: "[infer options]",
        summary: "fit the model (any `vippl infer` option: --family meanfield --iters 2000 ...)",
        details: "Options given with `:set` apply first; those given here win. Ctrl-C stops \
                  the fit and keeps the partial result. `-o FILE.csv`, `--fit FIT.json` and \
                  `--trace FILE.csv` write files as `vippl infer` does. `:fit --help` lists \
                  every option.",
    },
    CommandDoc {
        name: "summary",
        aliases: &[],
        args: "[NAME...]",
        summary: "the current fit's summary (optionally only some quantities)",
        details: "Names may be whole quantities (`theta`) or elements (`theta[2]`).",
    },
    CommandDoc {
        name: "diag",
        aliases: &[],
        args: "",
        summary: "the ELBO trace, PSIS k̂, effective sample sizes, restarts",
        details: "The trace is drawn in the terminal, averaged over blocks of iterations.",
    },
    CommandDoc {
        name: "logp",
        aliases: &[],
        args: "NAME=VALUE ...",
        summary: "log density at a point given in constrained values",
        details: "Every parameter needs a value: `:logp mu=1 tau=2 eta=[0,0,0,0,0,0,0,0]`; a \
                  single number fills a whole vector (`eta=0`).",
    },
    CommandDoc {
        name: "grad",
        aliases: &[],
        args: "NAME=VALUE ...",
        summary: "log density and its gradient (unconstrained coordinates) at a point",
        details: "The point is given as for `:logp`.",
    },
    CommandDoc {
        name: "draws",
        aliases: &[],
        args: "[N] [NAME...] [-o FILE.csv]",
        summary: "print N draws (default 10), or write N draws as Stan CSV",
        details: "Without `-o` the first N output draws of the fit are printed; with `-o` \
                  N draws (default: as many as the fit made) are written.",
    },
    CommandDoc {
        name: "hist",
        aliases: &[],
        args: "NAME|EXPR [--bins N]",
        summary: "histogram of a quantity (or a scalar expression) over the draws",
        details: "Drawn in the terminal; the central 99% of the draws is shown and the \
                  number of draws outside it is reported.",
    },
    CommandDoc {
        name: "plot",
        aliases: &[],
        args: "NAME...|elbo [--png FILE]",
        summary: "marginal densities or the ELBO trace as a PNG picture",
        details: "The default file is NAME.png in the current directory.",
    },
    CommandDoc {
        name: "prob",
        aliases: &[],
        args: "EXPR",
        summary: "posterior probability of a condition, with its Monte Carlo standard error",
        details: "The condition is evaluated per draw (comparisons give 0 or 1) and \
                  averaged: `:prob theta[1] > theta[3]`. The standard error is \
                  sqrt(p(1-p)/n) for n draws. Combine conditions with `&&` and `||`.",
    },
    CommandDoc {
        name: "compare",
        aliases: &[],
        args: "",
        summary: "table of the fits of this session: method, family, ELBO, k̂, time",
        details: "ELBOs are comparable between fits of the same model and data only.",
    },
    CommandDoc {
        name: "save",
        aliases: &[],
        args: "FIT.json",
        summary: "save the current fit (model, data and approximation)",
        details: "The file is read by `:open`, `vippl summary`, `vippl draws` and `vippl plot`.",
    },
    CommandDoc {
        name: "open",
        aliases: &[],
        args: "FIT.json",
        summary: "open a saved fit: its model and data become the current ones",
        details: "The draws are made again with the fit's seed, so summaries match the \
                  ones printed when the fit was made.",
    },
    CommandDoc {
        name: "set",
        aliases: &[],
        args: "[OPTION [VALUE]]",
        summary: "default `:fit` options (`:set iters 2000`); no argument lists them",
        details: "OPTION is any `:fit` option without its dashes. Flags take `true` or \
                  `false`; the value `default` removes a setting.",
    },
    CommandDoc {
        name: "write",
        aliases: &[],
        args: "FILE.vi",
        summary: "write the model (with the statements typed here) to a file",
        details: "The file becomes the model's file: `:reload` reads it.",
    },
    CommandDoc {
        name: "help",
        aliases: &["h", "?"],
        args: "[COMMAND]",
        summary: "this list, or the help of one command",
        details: "",
    },
    CommandDoc {
        name: "quit",
        aliases: &["q", "exit"],
        args: "",
        summary: "leave (Ctrl-D too)",
        details: "",
    },
];

/// The command a typed name means (its name or an alias).
pub fn find(name: &str) -> Option<&'static CommandDoc> {
    COMMANDS
        .iter()
        .find(|c| c.name == name || c.aliases.contains(&name))
}

/// The closest command name, for "did you mean".
pub fn suggest(name: &str) -> Option<&'static str> {
    // A unique prefix says more than a small edit distance (`comp` is
    // `compare`, not `logp`).
    let v: Vec<&str> = COMMANDS
        .iter()
        .filter(|c| c.name.starts_with(name) && !name.is_empty())
        .map(|c| c.name)
        .collect();
    if v.len() == 1 {
        return Some(v[0]);
    }
    COMMANDS
        .iter()
        .map(|c| (strsim::levenshtein(name, c.name), c.name))
        .filter(|(d, _)| *d <= 2)
        .min()
        .map(|(_, n)| n)
}

/// `:help` without an argument.
pub fn overview() -> String {
    let mut rows: Vec<(String, &str)> = COMMANDS
        .iter()
        .map(|c| {
            let usage = if c.args.is_empty() {
                format!(":{}", c.name)
            } else {
                format!(":{} {}", c.name, c.args)
            };
            (usage, c.summary)
        })
        .collect();
    rows.push((
        "EXPR".into(),
        "evaluate per posterior draw (mean, sd, 5%, 50%, 95%); on data alone before a fit",
    ));
    rows.push((
        "STATEMENT".into(),
        "`param`, `data`, `let`, `gen`, `~`, ... typed here extend the model",
    ));
    let w = rows.iter().map(|r| r.0.chars().count()).max().unwrap_or(0);
    let mut out = String::from("Commands:\n");
    for (u, s) in rows {
        let pad = w - u.chars().count();
        out.push_str(&format!("  {u}{}  {s}\n", " ".repeat(pad)));
    }
    out.push_str(
        "An unfinished line (open bracket, trailing operator) continues on the next one.\n\
         `:help COMMAND` says more; Ctrl-C stops a fit or clears the line; Ctrl-D leaves.\n",
    );
    out
}

/// `:help NAME`.
pub fn command_help(name: &str) -> Option<String> {
    let name = name.trim_start_matches(':');
    let c = find(name)?;
    let usage = format!(":{} {}", c.name, c.args);
    let mut out = format!("{}\n  {}\n", usage.trim_end(), c.summary);
    if !c.details.is_empty() {
        out.push_str(&wrap(c.details, 76, "  "));
    }
    if !c.aliases.is_empty() {
        let a: Vec<String> = c.aliases.iter().map(|a| format!(":{a}")).collect();
        out.push_str(&format!("  also: {}\n", a.join(", ")));
    }
    Some(out)
}

fn wrap(text: &str, width: usize, indent: &str) -> String {
    let mut out = String::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            out.push_str(indent);
            out.push_str(&line);
            out.push('\n');
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        out.push_str(indent);
        out.push_str(&line);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_and_suggests() {
        assert_eq!(find("q").map(|c| c.name), Some("quit"));
        assert_eq!(find("fit").map(|c| c.name), Some("fit"));
        assert!(find("fitt").is_none());
        assert_eq!(suggest("fitt"), Some("fit"));
        assert_eq!(suggest("sumary"), Some("summary"));
        assert_eq!(suggest("comp"), Some("compare"));
        assert_eq!(suggest("xyzzy"), None);
    }

    #[test]
    fn help_texts() {
        let o = overview();
        for c in COMMANDS {
            assert!(o.contains(&format!(":{}", c.name)), "{}", c.name);
        }
        let h = command_help(":prob").unwrap();
        assert!(h.contains("sqrt(p(1-p)/n)"));
        assert!(command_help("nothing").is_none());
    }
}
