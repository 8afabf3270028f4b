//! The fast paths of loops over data against the general path: the same
//! values (ints staying ints, reals bit for bit) and the same error messages,
//! with counters showing which path each loop took.

use super::dataloop::{COLUMN_CHUNKS, FAST_STORES, GENERAL_ONLY};
use crate::density::value::{Buf, Value};

/// The data-only top-level locals (name and typed values), or the
/// rendered error; plus the element stores done by specialised code and the
/// chunks run as columns.
fn run(src: &str, json: &str, general: bool) -> (Result<Vec<String>, String>, u64, u64) {
    GENERAL_ONLY.with(|g| g.set(general));
    FAST_STORES.with(|c| c.set(0));
    COLUMN_CHUNKS.with(|c| c.set(0));
    let out = super::compile_text(src, json).map(|cm| {
        let p = cm.program();
        let mut out = Vec::new();
        for (id, v) in p.const_locals.iter().enumerate() {
            let Some(v) = *v else { continue };
            let vals: Vec<String> = match v {
                Value::Int(i) => vec![format!("int {i}")],
                Value::Real(x) => vec![format!("real {x:?}")],
                Value::IntArr(r) => p.ints[r.range()]
                    .iter()
                    .map(|i| format!("int {i}"))
                    .collect(),
                Value::Vec(r) | Value::Mat(r, ..) => {
                    let xs = match r.buf {
                        Buf::IntMirror | Buf::IntMatrix => &p.int_mirror,
                        _ => &p.reals,
                    };
                    xs[r.range()]
                        .iter()
                        .map(|x| format!("real {x:?}"))
                        .collect()
                }
                other => vec![format!("{other:?}")],
            };
            out.push(format!(
                "{} {:?}: {}",
                p.model.locals[id].name,
                v.dims(),
                vals.join(", ")
            ));
        }
        out
    });
    GENERAL_ONLY.with(|g| g.set(false));
    let stores = FAST_STORES.with(|c| c.get());
    let chunks = COLUMN_CHUNKS.with(|c| c.get());
    (out, stores, chunks)
}

/// Runs both paths, checks they agree, and returns the fast path's result
/// and counters.
fn same(src: &str, json: &str) -> (Result<Vec<String>, String>, u64, u64) {
    let (general, s0, c0) = run(src, json, true);
    assert_eq!((s0, c0), (0, 0), "the general path used a fast path");
    let fast = run(src, json, false);
    assert_eq!(fast.0, general, "fast and general paths differ for\n{src}");
    fast
}

const PRIOR: &str = "param mu: real\nmu ~ normal(0, 1)\n";

fn model(body: &str) -> String {
    format!("{body}\n{PRIOR}")
}

#[test]
fn centring_columns_runs_as_columns() {
    let src = model(
        "data N: int\ndata K: int\ndata X: real[N, K]\n\
         let Kc = K - 1\nvar m: real[Kc]\nvar Xc: real[N, Kc]\n\
         for j in 2:K {\n  m[j - 1] = mean(col(X, j))\n  for n in 1:N {\n    Xc[n, j - 1] = X[n, j] - m[j - 1]\n  }\n}",
    );
    let rows: Vec<String> = (0..300)
        .map(|n| {
            format!(
                "[1, {}, {}, {}]",
                n as f64 * 0.37,
                (n % 7) as f64 - 2.5,
                1.0 / (n as f64 + 1.0)
            )
        })
        .collect();
    let json = format!(r#"{{"N": 300, "K": 4, "X": [{}]}}"#, rows.join(", "));
    let (r, stores, chunks) = same(&src, &json);
    let r = r.expect("compiles");
    assert!(
        r.iter().any(|l| l.starts_with("Xc Matrix(300, 3)")),
        "{r:?}"
    );
    assert_eq!(stores, 900);
    // 300 rows are three chunks, for each of the three columns.
    assert_eq!(chunks, 9);
}

#[test]
fn ints_and_reals_mix_as_in_the_language() {
    let src = model(
        "data N: int\ndata g: int[N]\ndata x: real[N]\n\
         var k: int[N]\nvar half: real[N]\nvar c: int[N]\nvar w: real[N]\nvar r: real[N]\nvar neg: int[N]\n\
         for i in 1:N {\n  k[i] = g[i] * 2 + i\n  half[i] = g[i] / 2\n  c[i] = x[i] < g[i]\n  \
         w[i] = i\n  r[i] = -x[i] * 0.5 + i / 4\n  neg[i] = -g[i] - i\n}",
    );
    let json = r#"{"N": 5, "g": [3, -1, 0, 7, 2], "x": [2.5, -1, 0.25, 9, 1e300]}"#;
    let (r, stores, chunks) = same(&src, json);
    let r = r.expect("compiles");
    assert!(
        r.contains(&"k Vector(5): int 7, int 0, int 3, int 18, int 9".to_string()),
        "{r:?}"
    );
    assert!(
        r.contains(
            &"half Vector(5): real 1.5, real -0.5, real 0.0, real 3.5, real 1.0".to_string()
        ),
        "{r:?}"
    );
    assert!(
        r.contains(&"c Vector(5): int 1, int 0, int 0, int 0, int 0".to_string()),
        "{r:?}"
    );
    assert!(
        r.contains(&"w Vector(5): real 1.0, real 2.0, real 3.0, real 4.0, real 5.0".to_string()),
        "{r:?}"
    );
    // Int arithmetic (which may overflow) keeps the element-wise runner.
    assert_eq!((stores, chunks), (30, 0));
}

#[test]
fn real_only_bodies_with_comparisons_and_divisions_run_as_columns() {
    let src = model(
        "data N: int\ndata g: int[N]\ndata x: real[N]\n\
         var half: real[N]\nvar c: int[N]\nvar r: real[N]\nvar z: real[N]\n\
         for i in 1:N {\n  half[i] = g[i] / 2\n  c[i] = x[i] <= g[i]\n  r[i] = -x[i] * 0.5 + i / 4\n  z[i] = x[i] / 0\n}",
    );
    let json = r#"{"N": 300, "g": [PLACE], "x": [XS]}"#
        .replace(
            "PLACE",
            &(0..300)
                .map(|i| ((i * 7) % 11 - 5).to_string())
                .collect::<Vec<_>>()
                .join(", "),
        )
        .replace(
            "XS",
            &(0..300)
                .map(|i| format!("{}", (i as f64 * 0.3).sin() * 4.0))
                .collect::<Vec<_>>()
                .join(", "),
        );
    let (r, stores, chunks) = same(&src, &json);
    r.expect("compiles");
    assert_eq!((stores, chunks), (1200, 3));
}

#[test]
fn index_arithmetic_reversed_strided_and_gathered() {
    let src = model(
        "data N: int\ndata p: int[N]\ndata x: real[N]\ndata M: real[N, 3]\n\
         var rev: real[N]\nvar odd: real[2 * N]\nvar byp: real[N]\nvar gat: real[N]\nvar anti: real[N, 3]\n\
         for i in 1:N {\n  rev[N + 1 - i] = x[i]\n  odd[2 * i - 1] = x[i] * 3\n  odd[2 * i] = -x[N - i + 1]\n  \
         byp[p[i]] = x[i]\n  gat[i] = x[p[i]] + M[i, 3]\n}\n\
         for i in 1:N {\n  for j in 1:3 {\n    anti[N + 1 - i, 4 - j] = M[i, j] + j * 0.5\n  }\n}",
    );
    let json = r#"{"N": 4, "p": [2, 4, 1, 3], "x": [1.5, -2, 3.25, 8], "M": [[1,2,3],[4,5,6],[7,8,9],[10,11,12]]}"#;
    let (r, stores, _) = same(&src, json);
    let r = r.expect("compiles");
    assert!(
        r.contains(&"rev Vector(4): real 8.0, real 3.25, real -2.0, real 1.5".to_string()),
        "{r:?}"
    );
    assert!(
        r.contains(&"byp Vector(4): real 3.25, real 1.5, real 8.0, real -2.0".to_string()),
        "{r:?}"
    );
    assert_eq!(stores, 4 * 5 + 12);
}

#[test]
fn elements_of_an_int_matrix_are_ints_and_indices() {
    let src = model(
        "data N: int\ndata Y: int[N, 2]\ndata x: real[3]\n\
         var k: int[N]\nvar h: real[N]\nvar pick: real[N]\n\
         for i in 1:N {\n  k[i] = Y[i, 1] * 2 + Y[i, 2]\n  h[i] = Y[i, 2] / 2\n  pick[i] = x[Y[i, 1]]\n}",
    );
    let json = r#"{"N": 3, "Y": [[2, 5], [1, -3], [3, 0]], "x": [0.5, 1.5, 2.5]}"#;
    let (r, stores, _) = same(&src, json);
    let r = r.expect("compiles");
    assert!(
        r.contains(&"k Vector(3): int 9, int -1, int 6".to_string()),
        "{r:?}"
    );
    assert!(
        r.contains(&"h Vector(3): real 2.5, real -1.5, real 0.0".to_string()),
        "{r:?}"
    );
    assert!(
        r.contains(&"pick Vector(3): real 1.5, real 0.5, real 2.5".to_string()),
        "{r:?}"
    );
    assert_eq!(stores, 9);
}

#[test]
fn reads_of_what_the_loop_writes_follow_iteration_order() {
    let src = model(
        "data N: int\ndata x: real[N]\n\
         var acc: real[N]\nvar s: real = 0\nvar t: real = 1\nvar last: real\nvar y: real[N + 1]\n\
         acc[1] = x[1]\n\
         for i in 2:N {\n  acc[i] = acc[i - 1] + x[i]\n  s = s + x[i]\n  t += acc[i]\n  last = x[i]\n}\n\
         for i in 1:N {\n  y[i] = 1\n  y[i + 1] = x[i]\n}",
    );
    let json = r#"{"N": 5, "x": [1, 2, 3, 4, 5]}"#;
    let (r, stores, chunks) = same(&src, json);
    let r = r.expect("compiles");
    assert!(
        r.contains(
            &"acc Vector(5): real 1.0, real 3.0, real 6.0, real 10.0, real 15.0".to_string()
        ),
        "{r:?}"
    );
    assert!(
        r.contains(
            &"y Vector(6): real 1.0, real 1.0, real 1.0, real 1.0, real 1.0, real 5.0".to_string()
        ),
        "{r:?}"
    );
    assert!(r.contains(&"last Scalar: real 5.0".to_string()), "{r:?}");
    assert_eq!((stores, chunks), (16 + 10, 0));
}

#[test]
fn a_statement_the_fast_path_cannot_run_leaves_the_others_fast() {
    let src = model(
        "data N: int\ndata x: real[N]\nvar a: real[N]\nvar b: real[N]\nvar c: int[N]\n\
         for i in 1:N {\n  a[i] = x[i] ^ 2\n  b[i] = a[i] + 1\n  c[i] = i % 3\n}",
    );
    let json = r#"{"N": 6, "x": [1, 2, 3, 4, 5, 6]}"#;
    let (r, stores, chunks) = same(&src, json);
    r.expect("compiles");
    assert_eq!((stores, chunks), (6, 0));
}

#[test]
fn nested_triangular_loops_and_single_iterations() {
    let src = model(
        "data N: int\ndata x: real[N]\nvar L: real[N, N]\nvar one: real[N]\n\
         for i in 1:N {\n  for j in 1:i {\n    L[i, j] = x[i] * x[j] + (i - j)\n  }\n}\n\
         for i in 3:3 {\n  one[i] = x[i]\n}\nfor i in 4:3 {\n  one[i] = 0\n}",
    );
    let json = r#"{"N": 4, "x": [0.5, 1, 2, -1]}"#;
    let (r, stores, _) = same(&src, json);
    r.expect("compiles");
    assert_eq!(stores, 10 + 1);
}

#[test]
fn errors_are_the_general_path_ones() {
    let cases = [
        // Index out of range for the last iterations only.
        "var y: real[N]\nfor i in 1:N {\n  y[i] = x[i + 1]\n}",
        "var y: real[N]\nfor i in 1:N {\n  y[i + 2] = x[i]\n}",
        "var y: real[N, 2]\nfor i in 1:N {\n  y[i, i] = x[i]\n}",
        // Through an int array.
        "var y: real[N]\nfor i in 1:N {\n  y[i] = x[p[i]]\n}",
        "var y: real[N]\nfor i in 1:N {\n  y[p[i]] = x[i]\n}",
        // Reading an element never assigned.
        "var z: real[N]\nvar y: real[N]\nz[1] = 0\nfor i in 1:N {\n  y[i] = z[i] + 1\n}",
        "var y: real[N]\nfor i in 2:N {\n  y[i] = y[i - 1] + 1\n}",
        // Int overflow.
        "var k: int[N]\nfor i in 1:N {\n  k[i] = p[i] * 4611686018427387904\n}",
        "var k: int[N]\nfor i in 1:N {\n  k[i] = i * 3074457345618258603\n}",
    ];
    for body in cases {
        let src = model(&format!(
            "data N: int\ndata x: real[N]\ndata p: int[N]\n{body}"
        ));
        let json = r#"{"N": 3, "x": [1, 2, 3], "p": [1, 2, 9]}"#;
        let (r, _, _) = same(&src, json);
        let e = r.expect_err(body);
        assert!(e.contains("a computation on data failed"), "{body}: {e}");
    }
}
