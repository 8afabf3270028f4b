//! Parser snapshots and round trips over fixtures covering every construct.

use std::path::{Path, PathBuf};
use vippl::source::SourceMap;
use vippl::syntax::{self, parse, pretty, sexp};

fn vi_files(dir: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "vi"))
        .collect();
    files.sort();
    files
}

fn parse_text(name: &str, text: &str) -> vippl::ast::Program {
    let mut sm = SourceMap::new();
    let f = sm.add(name, text);
    match parse(&sm, f) {
        Ok(p) => p,
        Err(d) => panic!(
            "{name} does not parse:\n{}",
            vippl::diagnostics::render_short(&d, &sm)
        ),
    }
}

/// The pretty-printed program parses to the same tree, and printing is
/// idempotent.
fn assert_round_trip(name: &str, text: &str) -> String {
    let p = parse_text(name, text);
    let tree = sexp(&p);
    let printed = pretty(&p);
    let again = parse_text(&format!("{name} (pretty)"), &printed);
    assert_eq!(
        tree,
        sexp(&again),
        "{name}: the pretty-printed program parses differently:\n{printed}"
    );
    assert_eq!(
        printed,
        pretty(&again),
        "{name}: pretty printing is not idempotent"
    );
    tree
}

#[test]
fn fixtures_parse_to_their_snapshot_and_round_trip() {
    let files = vi_files("tests/fixtures/syntax");
    assert!(files.len() >= 5);
    for path in files {
        let name = path.file_stem().unwrap().to_string_lossy().to_string();
        let text = std::fs::read_to_string(&path).unwrap();
        let tree = assert_round_trip(&name, &text);
        let p = parse_text(&name, &text);
        insta::with_settings!({snapshot_path => "../snapshots", prepend_module_to_snapshot => false}, {
            insta::assert_snapshot!(format!("syntax_{name}"), tree);
            insta::assert_snapshot!(format!("syntax_{name}_pretty"), pretty(&p));
        });
    }
}

#[test]
fn examples_and_stdlib_round_trip() {
    let mut n = 0;
    for path in vi_files("examples").into_iter().chain(vi_files("stdlib")) {
        let text = std::fs::read_to_string(&path).unwrap();
        assert_round_trip(&path.display().to_string(), &text);
        n += 1;
    }
    assert!(n >= 10);
}

#[test]
fn every_node_span_lies_inside_the_text() {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/syntax/expressions.vi"),
    )
    .unwrap();
    let p = parse_text("expressions", &text);
    let mut sm = SourceMap::new();
    let f = sm.add("expressions", text.clone());
    for s in &p.stmts {
        assert!(s.span.end as usize <= text.len());
        assert_eq!(s.span.file, f);
        let snippet = sm.snippet(s.span);
        assert!(snippet.starts_with("let"), "{snippet:?}");
    }
    // A parenthesized expression's span includes its parentheses.
    let last = p.stmts.last().unwrap();
    if let vippl::ast::StmtKind::Let { value, .. } = &last.kind {
        assert_eq!(sm.snippet(value.span), "(a)");
    } else {
        panic!("expected a let");
    }
}

fn errors(text: &str) -> Vec<vippl::diagnostics::Diagnostic> {
    let mut sm = SourceMap::new();
    let f = sm.add("t.vi", text);
    parse(&sm, f).err().unwrap_or_default()
}

#[test]
fn newline_rules() {
    // A line that starts with `-` is a new statement.
    let p = parse_text("t", "let a = b\n-c ~ normal(0, 1)");
    assert_eq!(p.stmts.len(), 2);
    // A trailing operator, comma or open bracket continues the statement.
    assert_eq!(parse_text("t", "let a = b -\nc").stmts.len(), 1);
    assert_eq!(parse_text("t", "let a = f(b,\nc)").stmts.len(), 1);
    assert_eq!(parse_text("t", "let a = [b\n, c]").stmts.len(), 1);
    // `;` separates statements on one line.
    assert_eq!(parse_text("t", "let a = 1; let b = 2;").stmts.len(), 2);
    // A literal never ends in `.`.
    assert!(sexp(&parse_text("t", "let a = 2.*x")).contains("(.* 2 x)"));
    // An expression alone is not a statement.
    assert!(!errors("f(x)").is_empty());
}

#[test]
fn syntax_errors_speak_in_tokens() {
    let e = errors("mu ~ normal(0, (1 + ))");
    assert_eq!(e.len(), 1);
    assert_eq!(e[0].message, "expected an expression, found `)`");
    let e = errors("mu ~ normal(0 1)");
    assert!(
        e[0].message.contains("`,`") && e[0].message.contains("`)`"),
        "{}",
        e[0].message
    );
    for d in errors("for i in 1:N\n{ }")
        .iter()
        .chain(&errors("let = 3"))
        .chain(&errors("data x real"))
    {
        assert!(
            !d.message.contains("Rule") && !d.message.contains('_'),
            "{}",
            d.message
        );
    }
}

#[test]
fn deep_input_is_a_diagnostic_not_a_crash() {
    let n = 100_000;
    let cases = [
        format!("let x = {}1{}", "(".repeat(n), ")".repeat(n)),
        format!("let x = {}1{}", "[".repeat(n), "]".repeat(n)),
        format!("let x = {}1", "-".repeat(n)),
        format!("let x = {}1", "!".repeat(n)),
        format!("let x = 1{}", " + 1".repeat(n)),
        format!("let x = 2{}", " ^ 2".repeat(n)),
        format!("let x = y{}", "[1]".repeat(n)),
        format!("let x = f({}1{})", "g(".repeat(n), ")".repeat(n)),
        format!("{}x = 1{}", "{ ".repeat(n), " }".repeat(n)),
        format!("if a {{ }}{}", " else if a { }".repeat(n)),
        format!("let x = a{}", " ? b : a".repeat(n)),
    ];
    for text in &cases {
        let e = errors(text);
        assert!(
            e.iter().any(|d| d.code == "too-deep"),
            "{}: {e:?}",
            &text[..40]
        );
    }
    // Nesting within the limit is fine.
    let depth = syntax::MAX_NESTING - 2;
    assert!(
        errors(&format!(
            "let x = {}1{}",
            "(".repeat(depth),
            ")".repeat(depth)
        ))
        .is_empty()
    );
}

#[test]
fn deep_but_allowed_input_is_checked() {
    // 60 nested groups of two operators each: within both limits, and deep
    // enough to exercise the checker's recursion.
    let mut e = String::from("mu");
    for _ in 0..60 {
        e = format!("(1 + 2 * {e})");
    }
    let text = format!("param mu: real\nmu ~ normal({e}, 1)\n");
    let mut sources = SourceMap::new();
    let r = vippl::check::load_model(&mut sources, "deep.vi", &text);
    assert!(r.is_ok(), "{:?}", r.err());
}

#[test]
fn a_byte_order_mark_is_whitespace() {
    let text = "\u{FEFF}data y: real\nparam mu: real\nmu ~ normal(0, 1)\ny ~ normal(mu, 1)\n";
    let mut sources = SourceMap::new();
    let r = vippl::check::load_model(&mut sources, "bom.vi", text);
    assert!(r.is_ok(), "{:?}", r.err());
    // Columns on the first line still count from the start of the line.
    let bad = "\u{FEFF}data y: reel\n";
    let mut sources = SourceMap::new();
    let d = vippl::check::load_model(&mut sources, "bom.vi", bad).unwrap_err();
    assert!(
        vippl::diagnostics::render_short(&d, &sources).contains("bom.vi:1:"),
        "{d:?}"
    );
}

#[test]
fn stan_statements_inside_a_block_each_get_a_message() {
    let text = "model {\n  mu ~ normal(0, 1);\n  x <- 2;\n  increment_log_prob(-x);\n}\n";
    let codes: Vec<&str> = {
        let mut sources = SourceMap::new();
        let f = sources.add("m.vi", text);
        syntax::parse(&sources, f)
            .unwrap_err()
            .iter()
            .map(|d| d.code)
            .collect()
    };
    assert_eq!(
        codes,
        ["stan-block", "stan-assignment", "stan-increment-log-prob"]
    );
}
