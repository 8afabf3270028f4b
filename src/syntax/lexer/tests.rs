//! The scan's statement boundaries, continued lines and lexical errors.

use super::*;

fn prep(text: &str) -> Prepared {
    prepare(FileId(0), text)
}

fn chunk_texts(text: &str) -> Vec<String> {
    let p = prep(text);
    p.chunks
        .iter()
        .map(|c| text[c.clone()].trim().to_string())
        .collect()
}

#[test]
fn newlines_inside_brackets_and_after_operators_continue() {
    let p = prep("x = f(a,\n b) +\n c\ny = 1");
    assert_eq!(p.text, "x = f(a,\x0B b) +\x0B c\ny = 1");
    assert_eq!(p.chunks.len(), 2);
}

#[test]
fn a_constraint_closing_angle_ends_the_line() {
    let t = "data N: int<lower=1>\ndata y: real[N]\nlet a = b >\n c";
    assert_eq!(
        chunk_texts(t),
        ["data N: int<lower=1>", "data y: real[N]", "let a = b >\n c"]
    );
}

#[test]
fn else_on_the_next_line_stays_in_the_statement() {
    let t = "if a { x = 1 }\nelse { x = 2 }\ny = 3";
    assert_eq!(chunk_texts(t), ["if a { x = 1 }\nelse { x = 2 }", "y = 3"]);
}

#[test]
fn semicolons_and_line_comments_separate() {
    let t = "a = 1; b = 2 // c +\nc = 3";
    assert_eq!(chunk_texts(t), ["a = 1", "b = 2 // c +", "c = 3"]);
}

#[test]
fn comment_inside_parens_ends_at_the_line() {
    let p = prep("f(a, // note\n b)");
    assert_eq!(p.text, "f(a, // note\x0B b)");
}

#[test]
fn reports_lexical_problems() {
    let p = prep("x = 2.\ny = @\nz = (1");
    let codes: Vec<_> = p.diagnostics.iter().map(|d| d.code).collect();
    assert_eq!(
        codes,
        ["number-ends-in-dot", "bad-character", "unclosed-bracket"]
    );
    assert!(p.chunks.is_empty());
    assert!(prep("x = 2.*y + 3./z").diagnostics.is_empty());
}

#[test]
fn deep_nesting_is_reported_once() {
    let t = format!("x = {}1{}", "(".repeat(100_000), ")".repeat(100_000));
    let p = prep(&t);
    assert_eq!(p.diagnostics.len(), 1);
    assert_eq!(p.diagnostics[0].code, "too-deep");
}
