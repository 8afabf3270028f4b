//! What a line typed at the prompt is: a command, a statement that extends
//! the model, or an expression to evaluate; when it needs another line; and
//! the small argument syntaxes of the commands.

use vippl::data::RawValue;

/// One complete input.
#[derive(Debug, PartialEq, Eq)]
pub enum Input<'a> {
    /// Blank, or only a comment.
    Empty,
    /// `:name args` (the colon removed, `args` trimmed).
    Command { name: &'a str, args: &'a str },
    /// Declarations and statements (`param`, `~`, `let`, assignments, ...).
    Statement(&'a str),
    /// Anything else is an expression.
    Expression(&'a str),
}

/// Keywords that start a statement.
const STATEMENT_KEYWORDS: &[&str] = &[
    "data", "param", "let", "var", "gen", "fn", "for", "while", "if", "target", "return", "print",
    "reject",
];

/// Classifies a complete input.
pub fn classify(text: &str) -> Input<'_> {
    let t = text.trim();
    if strip_comments(t).trim().is_empty() {
        return Input::Empty;
    }
    if let Some(rest) = t.strip_prefix(':') {
        let end = rest.find(|c: char| c.is_whitespace()).unwrap_or(rest.len());
        return Input::Command {
            name: &rest[..end],
            args: rest[end..].trim(),
        };
    }
    let code = strip_comments(t);
    let code = code.trim_start();
    let first: String = code
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    if STATEMENT_KEYWORDS.contains(&first.as_str()) || code.starts_with('{') {
        return Input::Statement(t);
    }
    if has_top_level_statement_operator(code) {
        Input::Statement(t)
    } else {
        Input::Expression(t)
    }
}

/// The text with `//` and `/* */` comments replaced by spaces.
fn strip_comments(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let mut last = 0;
    while i < b.len() {
        if b[i] == b'/' && b.get(i + 1) == Some(&b'/') {
            out.push_str(&text[last..i]);
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
            out.push(' ');
            last = i;
        } else if b[i] == b'/' && b.get(i + 1) == Some(&b'*') {
            out.push_str(&text[last..i]);
            i += 2;
            while i < b.len() && !(b[i] == b'*' && b.get(i + 1) == Some(&b'/')) {
                i += 1;
            }
            i = (i + 2).min(b.len());
            out.push(' ');
            last = i;
        } else {
            i += 1;
        }
    }
    out.push_str(&text[last.min(text.len())..]);
    out
}

/// A `~`, `=` or `+=` outside brackets: a sampling statement or an
/// assignment (comparisons `==`, `<=`, `>=`, `!=` do not count).
fn has_top_level_statement_operator(code: &str) -> bool {
    let b = code.as_bytes();
    let mut depth = 0i32;
    for (i, &c) in b.iter().enumerate() {
        match c {
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' => depth -= 1,
            b'~' if depth == 0 => return true,
            b'=' if depth == 0 => {
                let prev = if i > 0 { b[i - 1] } else { b' ' };
                let next = b.get(i + 1).copied().unwrap_or(b' ');
                if next != b'=' && !matches!(prev, b'=' | b'<' | b'>' | b'!') {
                    return true;
                }
            }
            _ => {}
        }
    }
    false
}

/// Whether the text typed so far stops in the middle of something, so the
/// reader should ask for another line. Commands continue only when their
/// argument is an expression (`:prob`, `:hist`, `:logp`, `:grad`) with a
/// bracket still open: `:prob tau >` is read as it is (and reported), so
/// that it never takes the next line of a script as its end.
pub fn needs_more(text: &str) -> bool {
    match classify(text) {
        Input::Empty => vippl::syntax::needs_more_input(text),
        Input::Command { name, args } => {
            matches!(name, "prob" | "hist" | "logp" | "grad")
                && open_bracket(args)
                && vippl::syntax::needs_more_input(args)
        }
        Input::Statement(_) | Input::Expression(_) => vippl::syntax::needs_more_input(text),
    }
}

/// Whether a bracket (`(`, `[`, `{`) is still open at the end of `text`.
fn open_bracket(text: &str) -> bool {
    let mut depth = 0i64;
    for c in text.chars() {
        match c {
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => depth -= 1,
            _ => {}
        }
    }
    depth > 0
}

/// Splits command arguments at whitespace; single or double quotes keep
/// spaces inside one argument.
pub fn split_args(args: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut quote: Option<char> = None;
    for c in args.chars() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => cur.push(c),
            None if c == '"' || c == '\'' => {
                quote = Some(c);
                in_word = true;
            }
            None if c.is_whitespace() => {
                if in_word {
                    out.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            None => {
                cur.push(c);
                in_word = true;
            }
        }
    }
    if let Some(q) = quote {
        return Err(format!("unclosed quote `{q}` in the arguments"));
    }
    if in_word {
        out.push(cur);
    }
    Ok(out)
}

/// Parses `NAME=VALUE ...` where a value is a number or a JSON array
/// (`mu=1.5 eta=[0, 0.5, 1]`); spaces are allowed inside brackets.
pub fn parse_assignments(args: &str) -> Result<Vec<(String, RawValue)>, String> {
    let b = args.as_bytes();
    let mut i = 0;
    let mut out: Vec<(String, RawValue)> = Vec::new();
    let skip_ws = |i: &mut usize| {
        while *i < b.len() && b[*i].is_ascii_whitespace() {
            *i += 1;
        }
    };
    loop {
        skip_ws(&mut i);
        if i >= b.len() {
            break;
        }
        let start = i;
        while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
            i += 1;
        }
        let name = &args[start..i];
        skip_ws(&mut i);
        if name.is_empty() || i >= b.len() || b[i] != b'=' {
            return Err(format!(
                "expected NAME=VALUE at `{}` (e.g. `mu=1.5 eta=[0, 1]`)",
                args[start..].split_whitespace().next().unwrap_or("")
            ));
        }
        i += 1;
        skip_ws(&mut i);
        let vstart = i;
        let mut depth = 0i32;
        while i < b.len() {
            match b[i] {
                b'[' => depth += 1,
                b']' => depth -= 1,
                c if c.is_ascii_whitespace() && depth <= 0 => break,
                _ => {}
            }
            i += 1;
        }
        let text = &args[vstart..i];
        if text.is_empty() {
            return Err(format!("`{name}=` needs a value"));
        }
        if out.iter().any(|(n, _)| n == name) {
            return Err(format!("`{name}` is given twice"));
        }
        let json = format!("{{\"{name}\": {text}}}");
        let mut parsed = vippl::data::parse_json(&json, "<input>").map_err(|_| {
            format!("`{name}={text}`: the value must be a number or a list such as [1, 2.5]")
        })?;
        match parsed.pop() {
            Some((_, v)) => out.push((name.to_string(), v)),
            None => return Err(format!("`{name}={text}`: no value")),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_lines() {
        assert_eq!(classify("  "), Input::Empty);
        assert_eq!(classify("// note"), Input::Empty);
        assert_eq!(
            classify(":fit --iters 10"),
            Input::Command {
                name: "fit",
                args: "--iters 10"
            }
        );
        assert_eq!(
            classify(":quit"),
            Input::Command {
                name: "quit",
                args: ""
            }
        );
        assert!(matches!(classify("param mu: real"), Input::Statement(_)));
        assert!(matches!(classify("mu ~ normal(0, 1)"), Input::Statement(_)));
        assert!(matches!(classify("h[1] = 2"), Input::Statement(_)));
        assert!(matches!(classify("acc += 1"), Input::Statement(_)));
        assert!(matches!(classify("{ let a = 1 }"), Input::Statement(_)));
        assert!(matches!(
            classify("theta[1] > theta[3]"),
            Input::Expression(_)
        ));
        assert!(matches!(
            classify("mu <= 2 // note = x"),
            Input::Expression(_)
        ));
        assert!(matches!(classify("a == b"), Input::Expression(_)));
        assert!(matches!(classify("f(x = 1)"), Input::Expression(_)));
        assert!(matches!(classify("datum + 1"), Input::Expression(_)));
    }

    #[test]
    fn continuation() {
        assert!(needs_more("for i in 1:N {"));
        assert!(needs_more("y ~ normal(mu,"));
        assert!(needs_more("let a = b +"));
        assert!(needs_more("/* open comment"));
        assert!(needs_more(":prob (theta[1] >"));
        // A command without an open bracket ends at its line, whatever follows.
        assert!(!needs_more(":prob tau >"));
        assert!(!needs_more(":hist mu +"));
        assert!(!needs_more("param tau: real<lower=0>"));
        assert!(!needs_more("for i in 1:N { y[i] ~ normal(0, 1) }"));
        assert!(!needs_more(":load (odd).vi"));
        assert!(!needs_more("theta[1] > theta[3]"));
        assert!(!needs_more("x)"));
    }

    #[test]
    fn splits_arguments() {
        assert_eq!(
            split_args("--iters 10  -o 'a b.csv'").unwrap(),
            vec!["--iters", "10", "-o", "a b.csv"]
        );
        assert_eq!(split_args("").unwrap(), Vec::<String>::new());
        assert_eq!(split_args("''").unwrap(), vec![""]);
        assert!(split_args("'open").is_err());
    }

    #[test]
    fn parses_assignments() {
        let a = parse_assignments("mu=1.5 eta=[0, 0.5,1] tau = 2").unwrap();
        assert_eq!(a.len(), 3);
        assert_eq!(a[0].0, "mu");
        assert_eq!(a[0].1.values, vec![1.5]);
        assert_eq!(a[1].1.dims, vec![3]);
        assert_eq!(a[1].1.values, vec![0.0, 0.5, 1.0]);
        assert_eq!(a[2].1.values, vec![2.0]);
        assert!(parse_assignments("mu").is_err());
        assert!(parse_assignments("mu=").is_err());
        assert!(parse_assignments("mu=abc").is_err());
        assert!(parse_assignments("mu=1 mu=2").is_err());
    }
}
