//! Stan spellings in statements that did not parse, explained with their
//! vippl spelling: declarations (`vector[N] y;`, `real<lower=0> sigma;`),
//! the old assignment `<-`, `increment_log_prob(...)` and `for (...)`.
//!
//! Only statements that failed to parse are looked at, so valid vippl is
//! never reinterpreted; what is not recognised keeps the parser's message.

use super::lexer::StanBlock;
use crate::diagnostics::Diagnostic;
use crate::source::{FileId, Span};

/// A cursor over one statement's text.
struct Cursor<'a> {
    text: &'a str,
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn blanks(&mut self) {
        let rest = &self.text[self.pos..];
        self.pos += rest.len() - rest.trim_start().len();
    }

    fn word(&mut self) -> Option<&'a str> {
        self.blanks();
        let rest = &self.text[self.pos..];
        let len = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        let starts_well = rest.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_');
        if len == 0 || !starts_well {
            return None;
        }
        self.pos += len;
        Some(&rest[..len])
    }

    fn eat(&mut self, token: &str) -> bool {
        self.blanks();
        if self.text[self.pos..].starts_with(token) {
            self.pos += token.len();
            true
        } else {
            false
        }
    }

    /// The inside of a group opened by `open` at the cursor (brackets
    /// nested in it are skipped), or `None` when none starts here.
    fn group(&mut self, open: char) -> Option<&'a str> {
        self.blanks();
        let rest = &self.text[self.pos..];
        if !rest.starts_with(open) {
            return None;
        }
        // `<...>` counts only angles outside brackets; `(...)` and `[...]`
        // count every bracket.
        let angle = open == '<';
        let (mut depth, mut inner) = (0usize, 0usize);
        for (k, c) in rest.char_indices() {
            match c {
                '(' | '[' if angle => inner += 1,
                ')' | ']' if angle => inner = inner.saturating_sub(1),
                '(' | '[' => depth += 1,
                ')' | ']' => depth = depth.saturating_sub(1),
                '<' if angle && inner == 0 => depth += 1,
                '>' if angle && inner == 0 => depth = depth.saturating_sub(1),
                _ => {}
            }
            if depth == 0 {
                self.pos += k + c.len_utf8();
                return Some(rest[1..k].trim());
            }
        }
        None
    }

    fn rest(&mut self) -> &'a str {
        self.blanks();
        let r = self.text[self.pos..].trim_end();
        self.pos = self.text.len();
        r
    }
}

/// Explains the statement at `range` of `original`, which failed to parse
/// at byte `error_at`, when it is written the Stan way; `block` is the Stan
/// block it sits in. The whole statement is tried first, then each
/// statement on the line of the error (a Stan statement inside a block).
pub(super) fn explain(
    file: FileId,
    original: &str,
    range: std::ops::Range<usize>,
    error_at: usize,
    block: Option<StanBlock>,
) -> Option<Diagnostic> {
    let whole = std::iter::once(range.clone());
    let line_start = original[..error_at.min(original.len())]
        .rfind('\n')
        .map_or(0, |i| i + 1)
        .max(range.start);
    let line_end = original[line_start..]
        .find('\n')
        .map_or(original.len(), |i| line_start + i)
        .min(range.end);
    let mut pieces = Vec::new();
    let mut from = line_start;
    for (k, c) in original[line_start..line_end].char_indices() {
        if matches!(c, ';' | '{' | '}') {
            pieces.push(from..line_start + k);
            from = line_start + k + 1;
        }
    }
    pieces.push(from..line_end);
    whole
        .chain(pieces)
        .find_map(|r| explain_one(file, original, r, block))
}

fn explain_one(
    file: FileId,
    original: &str,
    range: std::ops::Range<usize>,
    block: Option<StanBlock>,
) -> Option<Diagnostic> {
    let raw = original.get(range.clone())?;
    let lead = raw.len() - raw.trim_start().len();
    let text = raw.trim();
    if text.is_empty() {
        return None;
    }
    let start = range.start + lead;
    let span = Span::new(file, start, start + text.len());
    declaration(text, span, block)
        .or_else(|| old_assignment(text, span))
        .or_else(|| increment_log_prob(text, span))
        .or_else(|| parenthesised_for(text, span))
}

/// A Stan declaration: `[array[A]] TYPE[<C>][[D]] NAME[[A]] [= INIT]`.
struct StanDecl<'a> {
    stan_type: &'a str,
    constraint: Option<&'a str>,
    dims: Vec<&'a str>,
    array: Vec<&'a str>,
    name: &'a str,
    init: Option<&'a str>,
}

fn split_dims(inner: &str) -> Vec<&str> {
    inner.split(',').map(str::trim).collect()
}

fn parse_declaration(text: &str) -> Option<StanDecl<'_>> {
    let mut c = Cursor { text, pos: 0 };
    let mut ty = c.word()?;
    let mut array = Vec::new();
    if ty == "array" {
        array = split_dims(c.group('[')?);
        ty = c.word()?;
    }
    const TYPES: &[&str] = &[
        "int",
        "real",
        "vector",
        "row_vector",
        "matrix",
        "simplex",
        "ordered",
        "positive_ordered",
        "unit_vector",
        "sum_to_zero_vector",
        "cholesky_factor_corr",
        "cholesky_factor_cov",
        "corr_matrix",
        "cov_matrix",
    ];
    if !TYPES.contains(&ty) {
        return None;
    }
    let constraint = c.group('<');
    let dims = c.group('[').map(split_dims).unwrap_or_default();
    let name = c.word()?;
    if let Some(old) = c.group('[') {
        array.extend(split_dims(old));
    }
    let init = if c.eat("=") {
        Some(c.rest()).filter(|r| !r.is_empty())
    } else {
        None
    };
    if !c.rest().is_empty() {
        return None;
    }
    Some(StanDecl {
        stan_type: ty,
        constraint,
        dims,
        array,
        name,
        init,
    })
}

/// The vippl type of a Stan declaration, or why there is none.
fn vippl_type(d: &StanDecl<'_>, constrained_types: bool) -> Result<String, String> {
    let bounds = match d.constraint {
        Some(c) => format!("<{c}>"),
        None => String::new(),
    };
    let sized = |dims: &[&str]| format!("[{}]", dims.join(", "));
    let mut all = d.array.clone();
    all.extend(d.dims.iter().copied());
    match d.stan_type {
        "int" | "real" if d.dims.is_empty() && all.len() <= 3 => {
            let dims = if all.is_empty() {
                String::new()
            } else {
                sized(&all)
            };
            Ok(format!("{}{bounds}{dims}", d.stan_type))
        }
        // `array[J] vector[K]` is `real[J, K]`; `array[J] matrix[K, L]` and
        // `array[J, K] vector[L]` are `real[J, K, L]`.
        "vector" | "row_vector" | "matrix" => {
            if all.len() > 3 {
                return Err("arrays of more than three dimensions are not supported".into());
            }
            Ok(format!("real{bounds}{}", sized(&all)))
        }
        "int" | "real" if d.dims.is_empty() => {
            Err("arrays of more than three dimensions are not supported".into())
        }
        "simplex" | "ordered" | "positive_ordered" | "cholesky_factor_corr"
            if d.array.is_empty() && d.dims.len() == 1 =>
        {
            let k = d.dims[0];
            Ok(match (d.stan_type, constrained_types) {
                ("cholesky_factor_corr", true) => format!("corr_cholesky[{k}]"),
                ("cholesky_factor_corr", false) => format!("real[{k}, {k}]"),
                (t, true) => format!("{t}[{k}]"),
                (_, false) => format!("real[{k}]"),
            })
        }
        "cov_matrix" | "corr_matrix" | "cholesky_factor_cov"
            if d.array.is_empty() && d.dims.len() == 1 =>
        {
            let k = d.dims[0];
            Ok(if constrained_types {
                format!("{}[{k}]", d.stan_type)
            } else {
                format!("real[{k}, {k}]")
            })
        }
        "unit_vector" | "sum_to_zero_vector" if d.array.is_empty() && d.dims.len() == 1 => {
            let k = d.dims[0];
            Ok(if constrained_types {
                format!("{}[{k}]", d.stan_type)
            } else {
                format!("real[{k}]")
            })
        }
        "cholesky_factor_cov" if d.array.is_empty() && d.dims.len() == 2 => {
            let (m, n) = (d.dims[0], d.dims[1]);
            Ok(if constrained_types {
                format!("cholesky_factor_cov[{m}, {n}]")
            } else {
                format!("real[{m}, {n}]")
            })
        }
        _ => Err("arrays of constrained vectors and matrices are not supported".into()),
    }
}

fn declaration(text: &str, span: Span, block: Option<StanBlock>) -> Option<Diagnostic> {
    let d = parse_declaration(text)?;
    let is_param = block == Some(StanBlock::Parameters);
    let message = format!(
        "`{text}` is a Stan declaration: vippl writes the kind and the name first, then the type"
    );
    let ty = match vippl_type(&d, is_param) {
        Ok(t) => t,
        Err(why) => {
            return Some(
                Diagnostic::error("stan-declaration", message)
                    .with_label(span, "declared as in Stan")
                    .with_help(why),
            );
        }
    };
    let name = d.name;
    // `var`s have no bounds.
    let unbounded = ty.replacen(&format!("<{}>", d.constraint.unwrap_or("")), "", 1);
    let help = match (block, d.init) {
        (Some(StanBlock::Data), _) => format!("write `data {name}: {ty}`"),
        (Some(StanBlock::Parameters), _) => format!("write `param {name}: {ty}`"),
        (Some(StanBlock::GeneratedQuantities), Some(init)) => {
            format!("write `gen {name} = {init}`")
        }
        (Some(StanBlock::GeneratedQuantities), None) => {
            format!("write `gen {name} = ...`: a generated quantity is one expression")
        }
        (_, Some(init)) => format!("write `let {name} = {init}` (its type is inferred)"),
        (Some(_), None) => format!("write `var {name}: {unbounded}`"),
        (None, None) => {
            format!("write `data {name}: {ty}`, `param {name}: {ty}` or `var {name}: {unbounded}`")
        }
    };
    Some(
        Diagnostic::error("stan-declaration", message)
            .with_label(span, "declared as in Stan")
            .with_help(help),
    )
}

/// `x <- e` or `x[i] <- e`.
fn old_assignment(text: &str, span: Span) -> Option<Diagnostic> {
    let mut c = Cursor { text, pos: 0 };
    c.word()?;
    while c.group('[').is_some() {}
    let lhs = text[..c.pos].trim();
    c.blanks();
    let at = c.pos;
    if !c.eat("<-") {
        return None;
    }
    let value = c.rest();
    let at = span.start as usize + at;
    let op = Span::new(span.file, at, at + 2);
    Some(
        Diagnostic::error("stan-assignment", "`<-` is Stan's old assignment operator")
            .with_label(op, "read as `<` followed by `-`")
            .with_help(format!("write `{lhs} = {value}`")),
    )
}

/// `increment_log_prob(e)`.
fn increment_log_prob(text: &str, span: Span) -> Option<Diagnostic> {
    let mut c = Cursor { text, pos: 0 };
    if c.word()? != "increment_log_prob" {
        return None;
    }
    let inner = c.group('(')?;
    Some(
        Diagnostic::error(
            "stan-increment-log-prob",
            "`increment_log_prob(...)` is Stan's old way to add to the log density",
        )
        .with_label(span, "old Stan syntax")
        .with_help(format!("write `target += {inner}`")),
    )
}

/// `for (i in 1:N) { ... }`.
fn parenthesised_for(text: &str, span: Span) -> Option<Diagnostic> {
    let mut c = Cursor { text, pos: 0 };
    if c.word()? != "for" {
        return None;
    }
    let inner = c.group('(')?;
    Some(
        Diagnostic::error("stan-for", "a vippl `for` has no parentheses")
            .with_label(span, "Stan's `for`")
            .with_help(format!("write `for {inner} {{ ... }}`")),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn help(text: &str, block: Option<StanBlock>) -> String {
        let span = Span::new(FileId(0), 0, text.len());
        let d = declaration(text, span, block)
            .or_else(|| old_assignment(text, span))
            .or_else(|| increment_log_prob(text, span))
            .or_else(|| parenthesised_for(text, span))
            .unwrap_or_else(|| panic!("{text}: not recognised"));
        d.help.unwrap_or_default()
    }

    #[test]
    fn declarations_get_their_vippl_spelling() {
        let data = Some(StanBlock::Data);
        let param = Some(StanBlock::Parameters);
        assert_eq!(help("vector[N] y", data), "write `data y: real[N]`");
        assert_eq!(help("int<lower=0> N", data), "write `data N: int<lower=0>`");
        assert_eq!(
            help("array[N] int<lower=0, upper=1> y", data),
            "write `data y: int<lower=0, upper=1>[N]`"
        );
        assert_eq!(help("real y[N]", data), "write `data y: real[N]`");
        assert_eq!(help("matrix[N, K] X", data), "write `data X: real[N, K]`");
        assert_eq!(
            help("array[J] vector[K] z", data),
            "write `data z: real[J, K]`"
        );
        assert_eq!(
            help("array[J] matrix[K, L] z", data),
            "write `data z: real[J, K, L]`"
        );
        assert_eq!(
            help("array[J, K, L] int<lower=0> n", data),
            "write `data n: int<lower=0>[J, K, L]`"
        );
        assert_eq!(
            help("array[J, K] vector<lower=0>[L] s", param),
            "write `param s: real<lower=0>[J, K, L]`"
        );
        assert_eq!(
            help("real y[J, K, L]", data),
            "write `data y: real[J, K, L]`"
        );
        assert!(help("array[I, J, K, L] real w", data).contains("more than three dimensions"));
        assert!(help("array[I, J] matrix[K, L] w", data).contains("more than three dimensions"));
        assert_eq!(
            help("real<lower=0> sigma", param),
            "write `param sigma: real<lower=0>`"
        );
        assert_eq!(
            help("cholesky_factor_corr[K] L", param),
            "write `param L: corr_cholesky[K]`"
        );
        assert_eq!(help("simplex[K] w", data), "write `data w: real[K]`");
        assert_eq!(
            help(
                "vector[N] mu = a + b * x",
                Some(StanBlock::TransformedParameters)
            ),
            "write `let mu = a + b * x` (its type is inferred)"
        );
        assert_eq!(
            help("vector<lower=0>[N] h", Some(StanBlock::Model)),
            "write `var h: real[N]`"
        );
        assert_eq!(
            help("cov_matrix[K] S", param),
            "write `param S: cov_matrix[K]`"
        );
        assert_eq!(help("unit_vector[3] u", data), "write `data u: real[3]`");
        assert_eq!(
            help("real<offset=mu, multiplier=tau> a", param),
            "write `param a: real<offset=mu, multiplier=tau>`"
        );
    }

    #[test]
    fn old_statements_are_recognised() {
        assert_eq!(help("x[i] <- 3 * y", None), "write `x[i] = 3 * y`");
        assert_eq!(
            help("increment_log_prob(normal_log(y, 0, 1))", None),
            "write `target += normal_log(y, 0, 1)`"
        );
        assert_eq!(
            help("for (n in 1:N) { y[n] ~ normal(0, 1); }", None),
            "write `for n in 1:N { ... }`"
        );
    }
}
