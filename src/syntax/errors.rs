//! pest errors to diagnostics that speak in tokens a user knows.

use super::grammar::Rule;
use crate::diagnostics::Diagnostic;
use crate::source::{FileId, Span};
use pest::error::{ErrorVariant, InputLocation};

/// The reserved words of the language (also offered by the REPL's completion).
pub const KEYWORDS: &[&str] = &[
    "data",
    "param",
    "let",
    "var",
    "gen",
    "fn",
    "return",
    "for",
    "in",
    "if",
    "else",
    "target",
    "int",
    "real",
    "simplex",
    "ordered",
    "positive_ordered",
    "corr_cholesky",
    "true",
    "false",
    "while",
    "break",
    "continue",
    "print",
    "reject",
];

/// What a user calls the thing a rule matches; `None` hides it.
fn describe(rule: Rule) -> Option<&'static str> {
    use Rule::*;
    Some(match rule {
        expr | bound_expr | args | call_args | number | call | target_call | paren | vec_lit
        | neg | not | kw_true | kw_false => "an expression",
        ident => "a name",
        add | sub | mul | div | pow | elem_mul | elem_div | int_div | modulo | lt | le | gt
        | ge | eqeq | ne | and | or | cond => "an operator",
        data_decl | param_decl | let_stmt | var_decl | gen_stmt | fn_def | for_stmt | if_stmt
        | target_stmt | return_stmt | simple_stmt | block | while_stmt | break_stmt
        | continue_stmt | print_stmt | reject_stmt => "a statement",
        string => "a string",
        print_args => "a string or an expression",
        eol | EOI => "the end of the statement",
        lparen => "`(`",
        rparen => "`)`",
        lbracket => "`[`",
        rbracket => "`]`",
        lbrace => "`{`",
        rbrace => "`}`",
        comma => "`,`",
        colon => "`:`",
        bar => "`|`",
        eq => "`=`",
        langle | constraint => "`<`",
        rangle => "`>`",
        arrow => "`->`",
        tilde | tilde_rest => "`~`",
        plus_eq => "`+=`",
        assign_rest => "`=` or `+=`",
        kw_data => "`data`",
        kw_param => "`param`",
        kw_let => "`let`",
        kw_var => "`var`",
        kw_gen => "`gen`",
        kw_fn => "`fn`",
        kw_return => "`return`",
        kw_for => "`for`",
        kw_in => "`in`",
        kw_if => "`if`",
        kw_else => "`else`",
        kw_target => "`target`",
        kw_while => "`while`",
        kw_break => "`break`",
        kw_continue => "`continue`",
        kw_print => "`print`",
        kw_reject => "`reject`",
        ty
        | kw_int
        | kw_real
        | kw_simplex
        | kw_ordered
        | kw_positive_ordered
        | kw_corr_cholesky
        | special_ty
        | vector_ty
        | matrix_ty
        | ty_vector
        | ty_row_vector
        | ty_matrix
        | ty_cholesky_factor_corr => "a type (`real`, `int`, `simplex[K]`, ...)",
        fn_type => "a type (`real`, `int`, `real[]`, `real[,]` or `int[]`)",
        fn_arg => "an argument (`name: type`)",
        dims => "`[`",
        bound | bound_kind => "`lower=` or `upper=`",
        idx | index => "an index",
        trunc_lower | trunc_upper => "a bound",
        _ => return None,
    })
}

/// The token at `pos` of the original text, as a user would name it.
fn found_at(original: &str, pos: usize) -> (String, usize) {
    let rest = original.get(pos..).unwrap_or("");
    let Some(c) = rest.chars().next() else {
        return ("the end of the file".into(), 0);
    };
    match c {
        '\n' | '\r' => ("the end of the line".into(), 0),
        c if c.is_ascii_alphanumeric() || c == '_' || c == '.' && rest.len() > 1 => {
            let len = rest
                .find(|ch: char| !(ch.is_ascii_alphanumeric() || ch == '_' || ch == '.'))
                .unwrap_or(rest.len());
            (format!("`{}`", &rest[..len]), len)
        }
        _ => {
            let ops = [
                "%/%", ".*", "./", "<=", ">=", "==", "!=", "&&", "||", "->", "+=",
            ];
            let len = ops
                .iter()
                .find(|op| rest.starts_with(*op))
                .map_or(c.len_utf8(), |op| op.len());
            (format!("`{}`", &rest[..len]), len)
        }
    }
}

fn join(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => one.to_string(),
        [init @ .., last] => format!("{} or {}", init.join(", "), last),
    }
}

/// Where in its chunk a pest error is.
pub(super) fn error_offset(e: &pest::error::Error<Rule>) -> usize {
    match e.location {
        InputLocation::Pos(p) => p,
        InputLocation::Span((s, _)) => s,
    }
}

/// Converts a pest error in a chunk starting at byte `offset` of `file`.
pub(super) fn convert(
    e: pest::error::Error<Rule>,
    file: FileId,
    offset: usize,
    original: &str,
    prepared: &str,
) -> Diagnostic {
    let rel = match e.location {
        InputLocation::Pos(p) => p,
        InputLocation::Span((s, _)) => s,
    };
    let pos = offset + rel;
    let positives = match &e.variant {
        ErrorVariant::ParsingError { positives, .. } => positives.clone(),
        ErrorVariant::CustomError { message } => {
            return Diagnostic::error("too-deep", format!("the parser gave up: {message}"))
                .with_label(Span::new(file, pos, pos), "here")
                .with_help("nesting is too deep; split the statement with `let`");
        }
    };
    let mut expected: Vec<&str> = Vec::new();
    for r in &positives {
        if let Some(d) = describe(*r) {
            if !expected.contains(&d) {
                expected.push(d);
            }
        }
    }
    // The first tokens of an expression are one thing to a user.
    let starts = ["`(`", "`[`", "a name"];
    if expected.contains(&"an expression") || starts.iter().all(|t| expected.contains(t)) {
        expected.retain(|d| !starts.contains(d) && *d != "an expression");
        expected.insert(0, "an expression");
    }
    // After an operand, `(` and `[` (a call, an index) go without saying.
    if expected.contains(&"an operator") {
        expected.retain(|d| *d != "`(`" && *d != "`[`");
    }
    // An operator may always continue an expression; mention it last.
    if let Some(i) = expected.iter().position(|d| *d == "an operator") {
        let d = expected.remove(i);
        if expected.is_empty()
            || expected
                .iter()
                .all(|d| d.starts_with('`') || d.starts_with("the end"))
        {
            expected.push(d);
        }
    }
    let (found, len) = found_at(original, pos);
    let span = Span::new(file, pos, pos + len);
    // The text pest saw has a vertical tab where a newline continued the statement.
    let at_line_end = matches!(prepared.as_bytes().get(pos), Some(b'\n') | None)
        || original.as_bytes().get(pos) == Some(&b'\n');
    let word = found.trim_matches('`');
    if expected.contains(&"a name") && KEYWORDS.contains(&word) {
        return Diagnostic::error(
            "keyword-as-name",
            format!("`{word}` is a keyword and cannot be used as a name"),
        )
        .with_label(span, "keyword")
        .with_help(format!("choose another name, such as `{word}_`"));
    }
    if expected.contains(&"`{`") && at_line_end {
        expected = vec!["`{`"];
    }
    let mut d = if expected.is_empty() {
        Diagnostic::error("syntax", format!("unexpected {found}"))
            .with_label(span, "unexpected here")
    } else {
        Diagnostic::error(
            "syntax",
            format!("expected {}, found {found}", join(&expected)),
        )
        .with_label(span, format!("expected {}", join(&expected)))
    };
    if expected.contains(&"`{`") && at_line_end {
        d = d
            .with_help("a block's `{` must be on the same line as its `if`, `else`, `for` or `fn`");
    } else if expected.contains(&"an expression") && at_line_end {
        d = d.with_help("the statement ends at the end of the line; to continue it, end the line with an operator or a comma");
    } else if expected.contains(&"the end of the statement") && !at_line_end {
        d = d.with_help("separate statements with a new line or `;`");
    }
    d
}
