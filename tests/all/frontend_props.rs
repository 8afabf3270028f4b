//! Property tests: whatever the input, the parser and checker return
//! diagnostics or a model, and never panic.
//!
//! Three generators, 4 000 cases each (12 000 per run): random text,
//! soups of the language's tokens, and examples with random edits (which
//! mostly parse, so they reach the checker).

use proptest::prelude::*;
use std::sync::LazyLock;
use vippl::ast::Program;
use vippl::check::{STDLIB, check};
use vippl::diagnostics::has_errors;
use vippl::source::SourceMap;

/// The standard library, parsed once.
static BASE: LazyLock<(SourceMap, Vec<Program>)> = LazyLock::new(|| {
    let mut sources = SourceMap::new();
    let mut programs = Vec::new();
    for (name, text) in STDLIB {
        let f = sources.add(*name, *text);
        programs.push(vippl::syntax::parse(&sources, f).expect("stdlib parses"));
    }
    (sources, programs)
});

static EXAMPLES: LazyLock<Vec<String>> = LazyLock::new(|| {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "vi"))
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect();
    v.sort();
    v
});

/// Parses and checks `text` as a model; asserts the outcome is coherent.
fn front_end(text: &str) {
    let (base, stdlib) = &*BASE;
    let mut sources = base.clone();
    let f = sources.add("fuzz.vi", text);
    let (program, diags) = vippl::syntax::parse_partial(&sources, f);
    if has_errors(&diags) {
        return;
    }
    let mut programs = stdlib.clone();
    programs.push(program);
    let (model, diags) = check(&sources, &programs);
    assert_eq!(model.is_some(), !has_errors(&diags));
    // Rendering must not panic either (spans are inside their files).
    let _ = vippl::diagnostics::render_short(&diags, &sources);
}

const TOKENS: &[&str] = &[
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
    "x",
    "y",
    "N",
    "mu",
    "sigma",
    "normal",
    "normal_lpdf",
    "normal_rng",
    "poisson",
    "exp",
    "log_sum_exp",
    "softplus",
    "lower",
    "upper",
    "0",
    "1",
    "2.5",
    ".5",
    "1e3",
    "2.",
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    "<",
    ">",
    "<=",
    ">=",
    "==",
    "!=",
    "=",
    "+=",
    "~",
    "+",
    "-",
    "*",
    "/",
    "^",
    ".*",
    "./",
    "%/%",
    "%",
    "&&",
    "||",
    "!",
    "?",
    ":",
    ",",
    ";",
    "|",
    "->",
    "\n",
    " ",
    "//c\n",
    "/*c*/",
    "__",
];

fn soup() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(TOKENS), 0..60).prop_map(|t| t.join(" "))
}

fn edited_example() -> impl Strategy<Value = String> {
    (
        0..EXAMPLES.len(),
        prop::collection::vec(
            (
                any::<prop::sample::Index>(),
                0usize..6,
                prop::sample::select(TOKENS),
            ),
            1..4,
        ),
    )
        .prop_map(|(i, edits)| {
            let mut text = EXAMPLES[i].clone();
            for (at, del, ins) in edits {
                let mut start = at.index(text.len() + 1);
                while !text.is_char_boundary(start) {
                    start -= 1;
                }
                let mut end = (start + del).min(text.len());
                while !text.is_char_boundary(end) {
                    end += 1;
                }
                text.replace_range(start..end, ins);
            }
            text
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 4000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn random_text_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        front_end(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn token_soup_never_panics(text in soup()) {
        front_end(&text);
    }

    #[test]
    fn edited_examples_never_panic(text in edited_example()) {
        front_end(&text);
    }
}

#[test]
fn examples_reach_the_checker() {
    // The edit generator is only useful if unedited examples check.
    for text in EXAMPLES.iter() {
        let (base, stdlib) = &*BASE;
        let mut sources = base.clone();
        let f = sources.add("e.vi", text.as_str());
        let p = vippl::syntax::parse(&sources, f).unwrap();
        let mut programs = stdlib.clone();
        programs.push(p);
        assert!(check(&sources, &programs).0.is_some());
    }
}
