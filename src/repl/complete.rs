//! Tab completion and hints, as plain functions of the line and the names
//! the session knows (the terminal layer only calls them).

use super::help::{COMMANDS, find};
use vippl::builtins::Builtin;
use vippl::dist::DistId;
use vippl::syntax::KEYWORDS;

/// The names completion offers, taken from the session after each command.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Names {
    pub params: Vec<String>,
    pub data: Vec<String>,
    /// Top-level `let`s, `gen`s and user functions.
    pub others: Vec<String>,
    /// Output quantities of the current fit: whole names and elements
    /// (`theta`, `theta[1]`, ...).
    pub quantities: Vec<String>,
    /// Long options of `:fit` (without dashes).
    pub fit_options: Vec<String>,
}

/// Values offered after some `:fit` options.
fn option_values(option: &str) -> &'static [&'static str] {
    match option {
        "algorithm" => &["bw", "fbgvi", "advi"],
        "family" => &["meanfield", "fullrank", "mixture:", "lowrank:"],
        "divergence" => &["kl", "fkl", "chi2", "hellinger", "alpha:"],
        "estimator" => &["path", "rep"],
        "optimizer" => &["euler", "adam"],
        "init" => &["map", "zero", "random"],
        "step" => &["auto"],
        "format" => &["table", "json"],
        _ => &[],
    }
}

fn is_word(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Start of the whitespace-separated argument that ends at `pos`.
fn arg_start(line: &str, pos: usize) -> usize {
    line[..pos].rfind(char::is_whitespace).map_or(0, |i| i + 1)
}

fn matching<'a>(prefix: &str, cands: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut v: Vec<String> = cands
        .into_iter()
        .filter(|c| c.starts_with(prefix))
        .map(str::to_string)
        .collect();
    v.sort();
    v.dedup();
    v
}

/// Completions of the text before `pos`: the offset where the replaced
/// word starts, and the candidates (whole replacements for that word).
pub fn complete(line: &str, pos: usize, names: &Names) -> (usize, Vec<String>) {
    let pos = pos.min(line.len());
    let head = &line[..pos];
    let trimmed = head.trim_start();
    let lead = head.len() - trimmed.len();
    if let Some(rest) = trimmed.strip_prefix(':') {
        // The command name itself.
        if !rest.contains(char::is_whitespace) {
            let cands = COMMANDS.iter().map(|c| c.name);
            let v = matching(rest, cands)
                .into_iter()
                .map(|c| format!(":{c}"))
                .collect();
            return (lead, v);
        }
        let cmd_name = rest.split_whitespace().next().unwrap_or("");
        let Some(cmd) = find(cmd_name) else {
            return (pos, Vec::new());
        };
        let start = arg_start(line, pos);
        let word = &line[start..pos];
        let prev = line[..start].split_whitespace().last().unwrap_or("");
        return match cmd.name {
            "load" | "write" => (start, paths(word, &["vi"])),
            "data" => match word.split_once('=') {
                Some((name, file)) if !name.contains('/') => {
                    let s = start + name.len() + 1;
                    (s, paths(file, &["csv"]))
                }
                _ => (start, paths(word, &["json", "csv"])),
            },
            "save" | "open" => (start, paths(word, &["json"])),
            "help" => (
                start,
                matching(
                    word.trim_start_matches(':'),
                    COMMANDS.iter().map(|c| c.name),
                ),
            ),
            "model" => (start, matching(word, ["source"])),
            "fit" | "set" => {
                let dashes = if cmd.name == "fit" { "--" } else { "" };
                let prev_opt = prev.trim_start_matches('-');
                let prev_is_option = (cmd.name == "fit" && prev.starts_with("--"))
                    || (cmd.name == "set" && line[..start].split_whitespace().count() == 2);
                if prev_is_option && !option_values(prev_opt).is_empty() {
                    return (
                        start,
                        matching(word, option_values(prev_opt).iter().copied()),
                    );
                }
                if matches!(prev, "-o" | "--output" | "--fit" | "--trace") {
                    return (start, paths(word, &["csv", "json"]));
                }
                if cmd.name == "set" && line[..start].split_whitespace().count() > 1 {
                    return (start, Vec::new());
                }
                let w = word.trim_start_matches('-');
                let v = matching(w, names.fit_options.iter().map(String::as_str))
                    .into_iter()
                    .map(|o| format!("{dashes}{o}"))
                    .collect();
                (start, v)
            }
            "plot" if matches!(prev, "--png" | "-o" | "--output") => (start, paths(word, &["png"])),
            "plot" => {
                let mut v = matching(word, names.quantities.iter().map(String::as_str));
                if "elbo".starts_with(word) {
                    v.insert(0, "elbo".into());
                }
                (start, v)
            }
            "hist" | "summary" => (
                start,
                matching(word, names.quantities.iter().map(String::as_str)),
            ),
            "draws" if matches!(prev, "-o" | "--output") => (start, paths(word, &["csv"])),
            "draws" => (
                start,
                matching(word, names.quantities.iter().map(String::as_str)),
            ),
            "logp" | "grad" => {
                if word.contains('=') {
                    return (pos, Vec::new());
                }
                let v = matching(word, names.params.iter().map(String::as_str))
                    .into_iter()
                    .map(|p| format!("{p}="))
                    .collect();
                (start, v)
            }
            "prob" => identifiers(line, pos, names),
            _ => (pos, Vec::new()),
        };
    }
    identifiers(line, pos, names)
}

/// Completes the identifier ending at `pos` with model names, built-in
/// functions, distributions and keywords.
fn identifiers(line: &str, pos: usize, names: &Names) -> (usize, Vec<String>) {
    let start = line[..pos]
        .char_indices()
        .rev()
        .take_while(|(_, c)| is_word(*c))
        .last()
        .map_or(pos, |(i, _)| i);
    let word = &line[start..pos];
    if word.is_empty() || word.starts_with(|c: char| c.is_ascii_digit()) {
        return (pos, Vec::new());
    }
    let mut pool: Vec<&str> = Vec::new();
    pool.extend(names.params.iter().map(String::as_str));
    pool.extend(names.data.iter().map(String::as_str));
    pool.extend(names.others.iter().map(String::as_str));
    pool.extend(Builtin::ALL.iter().map(|b| b.name()));
    pool.extend(DistId::ALL.iter().map(|d| d.name()));
    pool.extend(KEYWORDS.iter().copied());
    (start, matching(word, pool))
}

/// File names starting with `prefix` (directories end with `/`); files are
/// offered when their extension is one of `exts`.
pub fn paths(prefix: &str, exts: &[&str]) -> Vec<String> {
    let (dir, file_prefix) = match prefix.rfind('/') {
        Some(i) => (&prefix[..=i], &prefix[i + 1..]),
        None => ("", prefix),
    };
    let read_from = if dir.is_empty() { "." } else { dir };
    let Ok(entries) = std::fs::read_dir(read_from) else {
        return Vec::new();
    };
    let mut out: Vec<String> = entries
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            if !name.starts_with(file_prefix)
                || (name.starts_with('.') && !file_prefix.starts_with('.'))
            {
                return None;
            }
            let is_dir = e.file_type().map(|t| t.is_dir()).unwrap_or(false)
                || std::fs::metadata(e.path())
                    .map(|m| m.is_dir())
                    .unwrap_or(false);
            if is_dir {
                return Some(format!("{dir}{name}/"));
            }
            let ext = std::path::Path::new(&name)
                .extension()
                .map(|x| x.to_string_lossy().to_ascii_lowercase());
            let wanted = exts.is_empty() || ext.as_deref().is_some_and(|x| exts.contains(&x));
            wanted.then(|| format!("{dir}{name}"))
        })
        .collect();
    out.sort();
    out
}

/// What to show greyed after the cursor: the rest of a command name when
/// only one fits, or a command's arguments once its name is typed. The
/// second value is what accepting the hint inserts, if anything.
pub fn hint(line: &str, pos: usize) -> Option<(String, Option<String>)> {
    if pos != line.len() {
        return None;
    }
    let t = line.trim_start();
    let rest = t.strip_prefix(':')?;
    if rest.is_empty() {
        return None;
    }
    let (name, after) = match rest.find(char::is_whitespace) {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    if let Some(c) = find(name) {
        if after.trim().is_empty() && !c.args.is_empty() {
            let sep = if after.is_empty() { " " } else { "" };
            return Some((format!("{sep}{}", c.args), None));
        }
        return None;
    }
    if !after.is_empty() {
        return None;
    }
    let cands: Vec<&str> = COMMANDS
        .iter()
        .map(|c| c.name)
        .filter(|c| c.starts_with(name))
        .collect();
    match cands.as_slice() {
        [one] => {
            let tail = one[name.len()..].to_string();
            Some((tail.clone(), Some(tail)))
        }
        _ => None,
    }
}
