//! Parsing `.vi` text into the AST (the only module that knows pest).
//!
//! Parsing runs in three steps: a cheap scan (`lexer`) decides which
//! newlines end statements, finds lexical problems and cuts the file into
//! top-level statements; pest parses each statement on its own (so one
//! mistake does not hide the next); `lower` turns pest pairs into the owned
//! AST and builds expression trees with pest's Pratt parser. Nothing of
//! pest leaves this module.

mod errors;
mod grammar;
mod lexer;
mod lower;
mod pretty;
mod stan;

use crate::ast::Program;
use crate::diagnostics::{Diagnostic, has_errors};
use crate::source::{FileId, SourceMap};
use grammar::{Rule, VipplParser};
use pest::Parser;

pub use errors::KEYWORDS;
pub use lexer::MAX_NESTING;
pub use lower::MAX_EXPR_DEPTH;
pub use pretty::{pretty, sexp};

/// Whether `text` stops in the middle of a statement (inside an open
/// bracket, block, constraint or comment, or after a binary operator or a
/// comma), by the same newline rules the parser applies: an interactive
/// reader then asks for another line instead of reporting an error.
pub fn needs_more_input(text: &str) -> bool {
    let mut t = String::with_capacity(text.len() + 1);
    t.push_str(text);
    t.push('\n');
    let p = lexer::prepare(FileId(0), &t);
    p.text.ends_with('\x0B')
        || p.diagnostics
            .iter()
            .any(|d| matches!(d.code, "unclosed-bracket" | "unterminated-comment"))
}

/// Parses one file.
///
/// Returns the program, or every syntax error found (at most one per
/// top-level statement, plus every lexical problem). Use [`parse_partial`]
/// to also get the statements that did parse.
pub fn parse(sources: &SourceMap, file: FileId) -> Result<Program, Vec<Diagnostic>> {
    let (program, diags) = parse_partial(sources, file);
    if has_errors(&diags) {
        Err(diags)
    } else {
        Ok(program)
    }
}

/// Parses one file, keeping every statement that parsed even when others
/// did not (for editors and the REPL, which want what they can get).
pub fn parse_partial(sources: &SourceMap, file: FileId) -> (Program, Vec<Diagnostic>) {
    let original = &sources.get(file).text;
    let mut prepared = lexer::prepare(file, original);
    let mut diags = std::mem::take(&mut prepared.diagnostics);
    let mut stmts = Vec::new();
    for range in &prepared.chunks {
        let text = &prepared.text[range.clone()];
        match VipplParser::parse(Rule::chunk, text) {
            Ok(mut pairs) => {
                let lowerer = lower::Lowerer::new(file, range.start);
                if let Some(chunk) = pairs.next() {
                    lowerer.chunk(chunk, &mut stmts);
                }
                diags.extend(lowerer.finish());
            }
            Err(e) => {
                let block = prepared.stan_block_at(range);
                let at = range.start + errors::error_offset(&e);
                diags.push(
                    stan::explain(file, original, range.clone(), at, block).unwrap_or_else(|| {
                        errors::convert(e, file, range.start, original, &prepared.text)
                    }),
                )
            }
        }
    }
    diags.sort_by_key(|d| d.primary_span().map(|s| s.start));
    (Program { file, stmts }, diags)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_str(text: &str) -> Result<Program, Vec<Diagnostic>> {
        let mut sm = SourceMap::new();
        let f = sm.add("t.vi", text);
        parse(&sm, f)
    }

    #[test]
    fn parses_the_eight_schools_model() {
        let p = parse_str(
            "data J: int<lower=1>\ndata y: real[J]\nparam mu: real\n\
             param tau: real<lower=0>\nparam eta: real[J]\nmu ~ normal(0, 5)\n\
             let theta = mu + tau * eta\ny ~ normal(theta, 2)\n",
        )
        .unwrap();
        assert_eq!(p.stmts.len(), 8);
    }

    #[test]
    fn precedence_follows_the_language() {
        let cases = [
            ("x = -a ^ b", "(= x (neg (^ a b)))"),
            ("x = a ^ b ^ c", "(= x (^ a (^ b c)))"),
            ("x = a - b - c", "(= x (- (- a b) c))"),
            ("x = a + b * c", "(= x (+ a (* b c)))"),
            ("x = a < b && c || d", "(= x (|| (&& (< a b) c) d))"),
            ("x = c ? a : b ? d : e", "(= x (? c a (? b d e)))"),
            ("x = 2.*y", "(= x (.* 2 y))"),
            ("x = !a == b", "(= x (== (! a) b))"),
            ("x = a %/% b % c", "(= x (% (%/% a b) c))"),
        ];
        for (src, want) in cases {
            let p = parse_str(src).unwrap();
            assert_eq!(sexp(&p).trim(), want, "{src}");
        }
    }

    #[test]
    fn errors_in_two_statements_are_both_reported() {
        let errs = parse_str("x = (1 +)\ny ~ normal(0 1)\nz = 3").unwrap_err();
        assert_eq!(errs.len(), 2, "{errs:?}");
    }
}
