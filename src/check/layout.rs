//! The parameter layout: how the constrained parameters map to the
//! unconstrained coordinates inference works on, in declaration order.
//!
//! Sizes stay symbolic (as the user wrote them) until data is bound; a
//! caller that knows the data passes a size evaluator to get numbers.

use crate::ir::{BinOp, Constraint, Expr, ExprKind, Model, Shape};
use crate::source::SourceMap;
use std::fmt::Write;

/// Number of unconstrained coordinates of one parameter.
#[derive(Clone, Debug, PartialEq)]
pub enum Free {
    One,
    /// A vector's length.
    Len(Expr),
    /// A matrix's rows times columns.
    Prod(Expr, Expr),
    /// A 3-d array's J·K·L.
    Prod3(Expr, Expr, Expr),
    /// `simplex[K]`: K − 1.
    LenMinus1(Expr),
    /// `corr_cholesky[K]`: K(K − 1)/2.
    Triangle(Expr),
    /// `cov_matrix[K]`, `cholesky_factor_cov[K]`: K(K + 1)/2.
    TriangleWithDiagonal(Expr),
    /// `cholesky_factor_cov[M, N]`: N(N + 1)/2 + (M − N)·N.
    Trapezoid(Expr, Expr),
}

/// One parameter's row of the layout.
#[derive(Clone, Debug, PartialEq)]
pub struct ParamLayout {
    pub name: String,
    /// The declared shape as written: `scalar`, `[J]`, `[N, K]`.
    pub shape: String,
    /// `lower=0, upper=1`, `simplex`, ... or `-`.
    pub constraint: String,
    pub free: Free,
}

/// Evaluates a size expression once data is known.
pub type SizeEval<'a> = &'a dyn Fn(&Expr) -> Option<i64>;

/// The layout of a model's parameters.
#[derive(Clone, Debug, PartialEq)]
pub struct Layout {
    pub params: Vec<ParamLayout>,
    /// Symbolic texts of the `Free` sizes, parallel to `params`.
    texts: Vec<Symbolic>,
}

fn atom(text: &str) -> String {
    if text.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        text.to_string()
    } else {
        format!("({text})")
    }
}

fn literal(e: &Expr) -> Option<i64> {
    match e.kind {
        ExprKind::Int(v) => Some(v),
        _ => None,
    }
}

impl Free {
    /// The number of coordinates, given sizes.
    pub fn eval(&self, size: SizeEval<'_>) -> Option<i64> {
        Some(match self {
            Free::One => 1,
            Free::Len(n) => size(n)?,
            Free::Prod(r, c) => size(r)? * size(c)?,
            Free::Prod3(j, k, l) => size(j)? * size(k)? * size(l)?,
            Free::LenMinus1(n) => size(n)? - 1,
            Free::Triangle(n) => {
                let k = size(n)?;
                k * (k - 1) / 2
            }
            Free::TriangleWithDiagonal(n) => {
                let k = size(n)?;
                k * (k + 1) / 2
            }
            Free::Trapezoid(m, n) => {
                let (m, k) = (size(m)?, size(n)?);
                k * (k + 1) / 2 + (m - k) * k
            }
        })
    }

    /// Symbolic form: (terms, constant), e.g. `K - 1` is ([(1, "K")], -1).
    fn symbolic(&self, sources: &SourceMap) -> Symbolic {
        let text = |e: &Expr| sources.snippet(e.span).trim().to_string();
        match self {
            Free::One => (vec![], 1),
            Free::Len(n) => linear(n, sources),
            Free::LenMinus1(n) => {
                let (t, c) = linear(n, sources);
                (t, c - 1)
            }
            Free::Prod(r, c) => match (literal(r), literal(c)) {
                (Some(a), Some(b)) => (vec![], a * b),
                _ => (
                    vec![(1, format!("{}*{}", atom(&text(r)), atom(&text(c))))],
                    0,
                ),
            },
            Free::Prod3(j, k, l) => match (literal(j), literal(k), literal(l)) {
                (Some(a), Some(b), Some(c)) => (vec![], a * b * c),
                _ => {
                    let factors = [j, k, l].map(|e| atom(&text(e)));
                    (vec![(1, factors.join("*"))], 0)
                }
            },
            Free::Triangle(n) => match literal(n) {
                Some(k) => (vec![], k * (k - 1) / 2),
                None => {
                    let k = atom(&text(n));
                    (vec![(1, format!("{k}*({k}-1)/2"))], 0)
                }
            },
            Free::TriangleWithDiagonal(n) => match literal(n) {
                Some(k) => (vec![], k * (k + 1) / 2),
                None => {
                    let k = atom(&text(n));
                    (vec![(1, format!("{k}*({k}+1)/2"))], 0)
                }
            },
            Free::Trapezoid(m, n) => match (literal(m), literal(n)) {
                (Some(m), Some(k)) => (vec![], k * (k + 1) / 2 + (m - k) * k),
                _ if text(m) == text(n) => Free::TriangleWithDiagonal(n.clone()).symbolic(sources),
                _ => {
                    let (m, k) = (atom(&text(m)), atom(&text(n)));
                    (vec![(1, format!("{k}*({k}+1)/2 + ({m}-{k})*{k}"))], 0)
                }
            },
        }
    }
}

/// Terms with integer coefficients plus a constant.
type Symbolic = (Vec<(i64, String)>, i64);

/// `N`, `3`, `K - 1`, `N + 2` as terms and a constant; anything else is one term.
fn linear(e: &Expr, sources: &SourceMap) -> Symbolic {
    match &e.kind {
        ExprKind::Int(v) => (vec![], *v),
        ExprKind::Binary(op @ (BinOp::Add | BinOp::Sub), a, b) => {
            if let Some(c) = literal(b) {
                let (t, k) = linear(a, sources);
                (t, if *op == BinOp::Add { k + c } else { k - c })
            } else {
                (vec![(1, sources.snippet(e.span).trim().to_string())], 0)
            }
        }
        _ => (vec![(1, sources.snippet(e.span).trim().to_string())], 0),
    }
}

fn sum_text(terms: &[(i64, String)], constant: i64) -> String {
    // Collect equal terms: `K + K` is `2*K`.
    let mut merged: Vec<(i64, &str)> = Vec::new();
    for (c, t) in terms {
        match merged.iter_mut().find(|(_, m)| m == t) {
            Some(m) => m.0 += c,
            None => merged.push((*c, t)),
        }
    }
    let mut s = String::new();
    for (c, t) in merged.into_iter().filter(|(c, _)| *c != 0) {
        let term = if c == 1 || c == -1 {
            t.to_string()
        } else {
            format!("{}*{}", c.abs(), atom(t))
        };
        if s.is_empty() {
            s = if c < 0 { format!("-{term}") } else { term };
        } else {
            let _ = write!(s, " {} {term}", if c < 0 { '-' } else { '+' });
        }
    }
    if s.is_empty() {
        return constant.to_string();
    }
    if constant > 0 {
        let _ = write!(s, " + {constant}");
    } else if constant < 0 {
        let _ = write!(s, " - {}", -constant);
    }
    s
}

impl Layout {
    pub fn of(model: &Model, sources: &SourceMap) -> Layout {
        let text = |e: &Expr| sources.snippet(e.span).trim().to_string();
        let mut params = Vec::new();
        let mut texts = Vec::new();
        for p in &model.params {
            let shape = match &p.shape {
                Shape::Scalar => "scalar".to_string(),
                Shape::Vector(n) => format!("[{}]", text(n)),
                Shape::Matrix(r, c) => format!("[{}, {}]", text(r), text(c)),
                Shape::Array3(j, k, l) => format!("[{}, {}, {}]", text(j), text(k), text(l)),
            };
            let (constraint, free) = match (&p.constraint, &p.shape) {
                (Constraint::Simplex, Shape::Vector(n)) => {
                    ("simplex".to_string(), Free::LenMinus1(n.clone()))
                }
                (Constraint::Ordered, Shape::Vector(n)) => {
                    ("ordered".to_string(), Free::Len(n.clone()))
                }
                (Constraint::PositiveOrdered, Shape::Vector(n)) => {
                    ("positive_ordered".to_string(), Free::Len(n.clone()))
                }
                (Constraint::CorrCholesky, Shape::Matrix(n, _)) => {
                    ("corr_cholesky".to_string(), Free::Triangle(n.clone()))
                }
                (Constraint::CorrMatrix, Shape::Matrix(n, _)) => {
                    ("corr_matrix".to_string(), Free::Triangle(n.clone()))
                }
                (Constraint::CovMatrix, Shape::Matrix(n, _)) => (
                    "cov_matrix".to_string(),
                    Free::TriangleWithDiagonal(n.clone()),
                ),
                (Constraint::CholeskyCov, Shape::Matrix(m, n)) => (
                    "cholesky_factor_cov".to_string(),
                    Free::Trapezoid(m.clone(), n.clone()),
                ),
                (Constraint::UnitVector, Shape::Vector(n)) => {
                    ("unit_vector".to_string(), Free::Len(n.clone()))
                }
                (Constraint::SumToZero, Shape::Vector(n)) => {
                    ("sum_to_zero_vector".to_string(), Free::LenMinus1(n.clone()))
                }
                (Constraint::Bounded(b), shape) => {
                    let mut parts = Vec::new();
                    let named = [
                        ("lower", &b.lower),
                        ("upper", &b.upper),
                        ("offset", &b.offset),
                        ("multiplier", &b.multiplier),
                    ];
                    for (word, e) in named {
                        if let Some(e) = e {
                            parts.push(format!("{word}={}", text(e)));
                        }
                    }
                    let c = if parts.is_empty() {
                        "-".to_string()
                    } else {
                        parts.join(", ")
                    };
                    let free = match shape {
                        Shape::Scalar => Free::One,
                        Shape::Vector(n) => Free::Len(n.clone()),
                        Shape::Matrix(r, c) => Free::Prod(r.clone(), c.clone()),
                        Shape::Array3(j, k, l) => Free::Prod3(j.clone(), k.clone(), l.clone()),
                    };
                    (c, free)
                }
                // The checker never builds other combinations.
                (_, Shape::Vector(n)) => ("-".to_string(), Free::Len(n.clone())),
                (_, Shape::Matrix(r, c)) => ("-".to_string(), Free::Prod(r.clone(), c.clone())),
                (_, Shape::Scalar) => ("-".to_string(), Free::One),
                (_, Shape::Array3(j, k, l)) => (
                    "-".to_string(),
                    Free::Prod3(j.clone(), k.clone(), l.clone()),
                ),
            };
            texts.push(free.symbolic(sources));
            params.push(ParamLayout {
                name: p.name.clone(),
                shape,
                constraint,
                free,
            });
        }
        Layout { params, texts }
    }

    /// The number of unconstrained coordinates of parameter `i`, symbolically.
    pub fn free_text(&self, i: usize) -> String {
        let (terms, c) = &self.texts[i];
        sum_text(terms, *c)
    }

    /// The total dimension, symbolically: `J + 2`.
    pub fn total_text(&self) -> String {
        let mut terms = Vec::new();
        let mut c = 0;
        for (t, k) in &self.texts {
            terms.extend(t.iter().cloned());
            c += k;
        }
        sum_text(&terms, c)
    }

    /// The total dimension, given sizes.
    pub fn total(&self, size: SizeEval<'_>) -> Option<i64> {
        self.params.iter().map(|p| p.free.eval(size)).sum()
    }

    /// A table of the parameters and the total dimension; numbers replace
    /// symbols when `size` can evaluate every size.
    pub fn render(&self, size: Option<SizeEval<'_>>) -> String {
        let rows: Vec<[String; 4]> = self
            .params
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let free = size
                    .and_then(|s| p.free.eval(s))
                    .map_or_else(|| self.free_text(i), |v| v.to_string());
                [p.name.clone(), p.shape.clone(), p.constraint.clone(), free]
            })
            .collect();
        let header = ["parameter", "shape", "constraint", "unconstrained"];
        let mut widths = header.map(str::len);
        for r in &rows {
            for (w, c) in widths.iter_mut().zip(r) {
                *w = (*w).max(c.chars().count());
            }
        }
        let mut out = String::new();
        for r in std::iter::once(header.map(str::to_string)).chain(rows) {
            let line: Vec<String> = r
                .iter()
                .zip(widths)
                .map(|(c, w)| format!("{c}{}", " ".repeat(w - c.chars().count())))
                .collect();
            let _ = writeln!(out, "{}", line.join("  ").trim_end());
        }
        let total = match size.and_then(|s| self.total(s)) {
            Some(v) => format!("{v} ({})", self.total_text()),
            None => self.total_text(),
        };
        let _ = writeln!(out, "total dimension: {total}");
        out
    }
}
