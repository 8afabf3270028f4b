//! One fixture per problem class: each renders to its snapshot (no colour,
//! fixed width) and produces the diagnostic its first line names.

use std::path::Path;
use vippl::check::load_model;
use vippl::diagnostics::{RenderOptions, render, render_short};
use vippl::source::SourceMap;

#[test]
fn every_fixture_renders_its_diagnostic() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/diagnostics");
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    paths.retain(|p| p.extension().is_some_and(|x| x == "vi"));
    paths.sort();
    assert!(paths.len() >= 30, "only {} fixtures", paths.len());
    for path in paths {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let text = std::fs::read_to_string(&path).unwrap();
        let expect = text
            .lines()
            .next()
            .and_then(|l| l.strip_prefix("// expect: "))
            .unwrap_or_else(|| panic!("{name}: first line must be `// expect: CODE`"))
            .trim()
            .to_string();
        let mut sources = SourceMap::new();
        let diags = match load_model(&mut sources, &name, &text) {
            Ok((_, warnings)) => warnings,
            Err(diags) => diags,
        };
        assert!(
            diags.iter().any(|d| d.code == expect),
            "{name}: expected a `{expect}` diagnostic, got:\n{}",
            render_short(&diags, &sources)
        );
        // Every diagnostic points into a file, at a line and column.
        for d in &diags {
            assert!(
                d.primary_span().is_some(),
                "{name}: `{}` has no location",
                d.message
            );
        }
        let rendered = render(
            &diags,
            &sources,
            RenderOptions {
                color: false,
                width: 80,
            },
        );
        assert!(
            rendered.contains(&format!("[{name}:")),
            "{name}: no file:line:col in\n{rendered}"
        );
        let short = render_short(&diags, &sources);
        insta::with_settings!({snapshot_path => "../snapshots", prepend_module_to_snapshot => false}, {
            insta::assert_snapshot!(format!("diagnostics_{}", name.trim_end_matches(".vi")), format!("{rendered}\n{short}"));
        });
    }
}

#[test]
fn all_problems_are_collected() {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/diagnostics/many_errors.vi"),
    )
    .unwrap();
    let mut sources = SourceMap::new();
    let diags = load_model(&mut sources, "many_errors.vi", &text).unwrap_err();
    let codes: Vec<_> = diags
        .iter()
        .filter(|d| d.is_error())
        .map(|d| d.code)
        .collect();
    assert_eq!(
        codes,
        ["unknown-name", "bad-operands", "bad-operands"],
        "{}",
        render_short(&diags, &sources)
    );
}

#[test]
fn unknown_names_suggest_the_closest_declared_name() {
    let mut sources = SourceMap::new();
    let text = "param sigma: real<lower=0>\nparam mu: real\nmu ~ normal(0, sigm)\nsigma ~ exponential(1)\n";
    let diags = load_model(&mut sources, "m.vi", text).unwrap_err();
    assert_eq!(diags[0].help.as_deref(), Some("did you mean `sigma`?"));
}
