//! Front-end speed: parsing and checking the examples (the standard
//! library included, as `vippl check` does), target well under 5 ms for the
//! largest example; and compiling a model with its data (parse + check +
//! bind + compile, the data file already parsed), target < 10 ms for every
//! example, diamonds (a 5000 × 24 design matrix) included.

use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use vippl::check::load_model;
use vippl::data::{DataInput, DataSpec};
use vippl::source::SourceMap;

fn examples() -> Vec<(String, String)> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let mut v: Vec<(String, String)> = std::fs::read_dir(dir)
        .expect("examples directory")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "vi"))
        .map(|p| {
            let name = p
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            (name, std::fs::read_to_string(&p).expect("readable example"))
        })
        .collect();
    v.sort_by_key(|(_, text)| std::cmp::Reverse(text.len()));
    v
}

fn bench(c: &mut Criterion) {
    let all = examples();
    let (name, text) = all.first().expect("at least one example").clone();
    c.bench_function(&format!("parse_and_check_largest_example({name})"), |b| {
        b.iter(|| {
            let mut sources = SourceMap::new();
            let r = load_model(&mut sources, &name, black_box(&text));
            assert!(r.is_ok());
            r
        })
    });
    c.bench_function("parse_and_check_all_examples", |b| {
        b.iter(|| {
            for (name, text) in &all {
                let mut sources = SourceMap::new();
                black_box(load_model(&mut sources, name, text).is_ok());
            }
        })
    });
    let mut sources = SourceMap::new();
    let file = sources.add(name.clone(), text.clone());
    c.bench_function("parse_only_largest_example", |b| {
        b.iter(|| black_box(vippl::syntax::parse(&sources, file).is_ok()))
    });
}

/// Parse + check + bind + compile, with the data already parsed.
fn compile_with_data(c: &mut Criterion) {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let cases = [
        (
            "eight_schools",
            root.join("eight_schools.vi"),
            root.join("eight_schools.json"),
        ),
        (
            "diamonds",
            root.join("posteriordb/diamonds-diamonds/model.vi"),
            root.join("posteriordb/diamonds-diamonds/data.json"),
        ),
    ];
    for (label, model, data) in cases {
        let text = std::fs::read_to_string(&model).expect("readable example");
        let json = std::fs::read_to_string(&data).expect("readable data");
        let spec = DataSpec::Json(data.to_string_lossy().into_owned());
        let mut input = DataInput::default();
        input.add(&spec, &json).expect("valid data");
        c.bench_function(&format!("compile_with_data({label})"), |b| {
            b.iter(|| {
                let mut sources = SourceMap::new();
                let (ir, _) = load_model(&mut sources, label, &text).expect("valid model");
                black_box(vippl::density::compile(ir, sources, &input).is_ok())
            })
        });
    }
}

criterion_group!(benches, bench, compile_with_data);
criterion_main!(benches);
