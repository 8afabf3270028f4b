//! Sizes checked before anything is allocated: the arrays a model declares
//! (from its data), the dimension of a fit and the number of output draws
//! are compared with the memory of the machine, in checked arithmetic, so
//! that a size that cannot be held is a diagnostic naming the declaration
//! or option and the memory it would need, never an abort.

use crate::data::DataInput;
use crate::diagnostics::Diagnostic;
use crate::infer::{FamilyKind, FitConfig};
use crate::ir::{self, BinOp, ExprKind, Shape, Stmt, StmtKind};

/// Bytes of one stored number.
const NUMBER: u128 = 8;

/// Memory assumed when the machine does not say (64 GB).
const DEFAULT_MEMORY: u128 = 64_000_000_000;

/// The memory sizes are checked against: the machine's physical memory
/// (`MemTotal` of `/proc/meminfo`), or 64 GB where that cannot be read.
pub fn memory_budget() -> u128 {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|t| {
            t.lines().find_map(|l| {
                let kb = l.strip_prefix("MemTotal:")?.trim().strip_suffix("kB")?;
                kb.trim().parse::<u128>().ok().map(|k| k * 1024)
            })
        })
        .unwrap_or(DEFAULT_MEMORY)
}

/// A number of bytes for people: `8.0 TB`, `512 MB`.
pub fn human_bytes(b: u128) -> String {
    const UNITS: [&str; 7] = ["bytes", "kB", "MB", "GB", "TB", "PB", "EB"];
    let mut x = b as f64;
    let mut unit = 0;
    while x >= 1000.0 && unit + 1 < UNITS.len() {
        x /= 1000.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{b} bytes")
    } else if x < 10.0 {
        format!("{x:.1} {}", UNITS[unit])
    } else {
        format!("{x:.0} {}", UNITS[unit])
    }
}

/// The memory an array of `elements` numbers needs, in words; `None` when
/// the count does not even fit in 128 bits.
fn needs(elements: Option<u128>) -> String {
    match elements.and_then(|n| n.checked_mul(NUMBER)) {
        Some(b) => human_bytes(b),
        None => "more memory than any machine has".to_string(),
    }
}

/// A size as far as it can be known before the model runs.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Size {
    Known(u128),
    /// Too large for 128 bits.
    Overflow,
    /// Not computable from the data alone here (the compiler computes it).
    Unknown,
}

struct Sizes<'a> {
    model: &'a ir::Model,
    data: &'a DataInput,
}

impl Sizes<'_> {
    /// The value of a size expression built from integer literals, integer
    /// data and `+ - * %/%`; anything else is [`Size::Unknown`].
    fn eval(&self, e: &ir::Expr, depth: usize) -> Size {
        if depth > 32 {
            return Size::Unknown;
        }
        match &e.kind {
            ExprKind::Int(i) => u128::try_from(*i).map_or(Size::Unknown, Size::Known),
            ExprKind::Data(id) => {
                let decl = self.model.data(*id);
                if decl.elem != ir::Elem::Int || decl.shape != Shape::Scalar {
                    return Size::Unknown;
                }
                match self.data.get(&decl.name) {
                    Some(entry) => match entry.value.values.as_slice() {
                        [x] if entry.value.dims.is_empty() && x.fract() == 0.0 && *x >= 0.0 => {
                            if *x < 2f64.powi(127) {
                                Size::Known(*x as u128)
                            } else {
                                Size::Overflow
                            }
                        }
                        _ => Size::Unknown,
                    },
                    None => match &decl.default {
                        Some(d) => self.eval(d, depth + 1),
                        None => Size::Unknown,
                    },
                }
            }
            ExprKind::Binary(op, a, b) => {
                let (a, b) = (self.eval(a, depth + 1), self.eval(b, depth + 1));
                match (a, b) {
                    (Size::Known(a), Size::Known(b)) => {
                        let r = match op {
                            BinOp::Add => a.checked_add(b),
                            BinOp::Mul => a.checked_mul(b),
                            BinOp::Sub => match a.checked_sub(b) {
                                Some(r) => Some(r),
                                None => return Size::Unknown,
                            },
                            BinOp::IntDiv if b > 0 => Some(a / b),
                            _ => return Size::Unknown,
                        };
                        r.map_or(Size::Overflow, Size::Known)
                    }
                    (Size::Overflow, Size::Known(0)) | (Size::Known(0), Size::Overflow)
                        if *op == BinOp::Mul =>
                    {
                        Size::Known(0)
                    }
                    (Size::Overflow, _) | (_, Size::Overflow)
                        if matches!(op, BinOp::Add | BinOp::Mul) =>
                    {
                        Size::Overflow
                    }
                    _ => Size::Unknown,
                }
            }
            _ => Size::Unknown,
        }
    }

    /// The number of elements of a shape, and its dimensions in words.
    fn elements(&self, shape: &Shape) -> (Size, Vec<Size>) {
        let dims: Vec<Size> = shape.sizes().into_iter().map(|e| self.eval(e, 0)).collect();
        let mut total = Size::Known(1);
        for d in &dims {
            total = match (total, *d) {
                (_, Size::Known(0)) | (Size::Known(0), _) => Size::Known(0),
                (Size::Known(a), Size::Known(b)) => {
                    a.checked_mul(b).map_or(Size::Overflow, Size::Known)
                }
                (Size::Unknown, _) | (_, Size::Unknown) => Size::Unknown,
                _ => Size::Overflow,
            };
        }
        (total, dims)
    }
}

fn dims_text(dims: &[Size]) -> String {
    dims.iter()
        .map(|d| match d {
            Size::Known(n) => n.to_string(),
            _ => "?".to_string(),
        })
        .collect::<Vec<_>>()
        .join(" × ")
}

/// Every declaration whose size, computed from the data, is more than the
/// machine can hold: one error each, naming the declaration, its size and
/// the memory it would need.
pub fn check_sizes(model: &ir::Model, data: &DataInput) -> Vec<Diagnostic> {
    check_sizes_within(model, data, memory_budget())
}

/// [`check_sizes`] against a given number of bytes.
pub fn check_sizes_within(model: &ir::Model, data: &DataInput, budget: u128) -> Vec<Diagnostic> {
    let sizes = Sizes { model, data };
    let mut out = Vec::new();
    let mut check = |what: &str, name: &str, span, shape: &Shape| {
        let (total, dims) = sizes.elements(shape);
        let elements = match total {
            Size::Known(n) if n.saturating_mul(NUMBER) <= budget => return,
            Size::Known(n) => Some(n),
            Size::Overflow => None,
            Size::Unknown => return,
        };
        let count = match elements {
            Some(n) if dims.len() == 1 => format!("{n} numbers"),
            Some(n) => format!("{n} numbers ({})", dims_text(&dims)),
            None => format!("{} numbers, more than 2^128", dims_text(&dims)),
        };
        out.push(
            Diagnostic::error(
                "size-limit",
                format!(
                    "{what} `{name}` would hold {count}: it needs {}, but this machine has {}",
                    needs(elements),
                    human_bytes(budget)
                ),
            )
            .with_label(span, "declared here")
            .with_help("check the sizes given in the data"),
        );
    };
    for d in &model.data {
        // Data given by a file is as large as the file; only a default is
        // computed from the declared size.
        if data.get(&d.name).is_none() && d.default.is_some() {
            check("data", &d.name, d.span, &d.shape);
        }
    }
    for p in &model.params {
        check("parameter", &p.name, p.span, &p.shape);
    }
    fn walk(stmts: &[Stmt], f: &mut dyn FnMut(&Stmt)) {
        for s in stmts {
            f(s);
            match &s.kind {
                StmtKind::For { body, .. }
                | StmtKind::While { body, .. }
                | StmtKind::Block(body)
                | StmtKind::GenBlock { body, .. } => walk(body, f),
                StmtKind::If { then, els, .. } => {
                    walk(then, f);
                    walk(els, f);
                }
                _ => {}
            }
        }
    }
    walk(&model.body, &mut |s| {
        if let StmtKind::Var { local, shape, .. } = &s.kind {
            let name = &model.local(*local).name;
            check("var", name, s.span, shape);
        }
    });
    out
}

/// The largest integer every data file format reads exactly (2^53): data
/// files hold numbers as doubles, so a larger integer would be read as a
/// nearby value.
pub const MAX_EXACT_INT: f64 = 9_007_199_254_740_992.0;

/// An error for each `int` data value too large to be read exactly (JSON
/// `99999999999999999999999` would otherwise become another number).
pub fn check_int_data(model: &ir::Model, data: &DataInput) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for d in &model.data {
        if d.elem != ir::Elem::Int {
            continue;
        }
        let Some(entry) = data.get(&d.name) else {
            continue;
        };
        if let Some(x) = entry
            .value
            .values
            .iter()
            .find(|x| x.is_finite() && x.abs() > MAX_EXACT_INT)
        {
            out.push(
                Diagnostic::error(
                    "int-range",
                    format!(
                        "data `{}` in {} holds {x:e}, larger than the integers that can be read exactly (±{})",
                        d.name, entry.origin, MAX_EXACT_INT as u64
                    ),
                )
                .with_label(d.span, "declared as int here"),
            );
        }
    }
    out
}

/// The memory a fit of dimension `d` needs at the least: a mean-field fit
/// the point, gradient, noise and score of each draw of a batch (the ELBO
/// checks' draws the largest); a full-rank fit a d × d work matrix and each
/// Gaussian's d × d scale.
pub fn fit_bytes(d: usize, config: &FitConfig) -> Option<u128> {
    let dense = match config.resolved_family_in(d) {
        FamilyKind::MeanField => {
            let draws = config.elbo_samples.max(config.resolved_samples()) as u128;
            return (d as u128).checked_mul(4 * draws + 16)?.checked_mul(NUMBER);
        }
        FamilyKind::LowRank(r) => {
            // D, W and their step, the noise of each draw and a few d × R
            // work arrays: O(d R), no d × d.
            let draws = config.elbo_samples.max(config.resolved_samples()) as u128;
            let per_d = (4 + r as u128)
                .checked_mul(draws)?
                .checked_add(16 + 8 * r as u128)?;
            return (d as u128).checked_mul(per_d)?.checked_mul(NUMBER);
        }
        FamilyKind::FullRank => 2,
        FamilyKind::Mixture(k) => 1 + k as u128,
    };
    (d as u128)
        .checked_mul(d as u128)?
        .checked_mul(NUMBER)?
        .checked_mul(dense)
}

/// The memory the output draws need at the least: the proposals the
/// diagnostics draw (four per draw, at least 1000) of dimension `d`, and
/// the `width` quantities of each output draw.
pub fn draws_bytes(draws: usize, d: usize, width: usize) -> Option<u128> {
    let proposals = (draws as u128).checked_mul(4)?.max(1000);
    let points = proposals.checked_mul(d as u128)?;
    let values = (draws as u128).checked_mul(width as u128 + 3)?;
    points.checked_add(values)?.checked_mul(NUMBER)
}

/// Whether `n` output draws of dimension `d` with `width` quantities fit
/// in memory; the message names the number of draws.
pub fn check_draws(n: usize, d: usize, width: usize) -> Result<(), String> {
    let budget = memory_budget();
    let bytes = draws_bytes(n, d, width);
    if bytes.is_none_or(|b| b > budget) {
        return Err(format!(
            "{n} draws need {}, but this machine has {}; ask for fewer draws",
            bytes.map_or_else(|| "more memory than any machine has".into(), human_bytes),
            human_bytes(budget)
        ));
    }
    Ok(())
}

/// Whether a fit of dimension `d` with `config` and `width` output
/// quantities fits in `budget` bytes; the message names what is too large.
pub fn check_fit(d: usize, width: usize, config: &FitConfig, budget: u128) -> Result<(), String> {
    let fit = fit_bytes(d, config);
    if fit.is_none_or(|b| b > budget) {
        return Err(format!(
            "the model has {d} unconstrained parameters: a {} fit needs at least {}{}, but this machine has {}; a smaller model, or data with smaller sizes, is needed",
            config.resolved_family_in(d),
            fit.map_or_else(|| "more memory than any machine has".into(), human_bytes),
            if matches!(
                config.resolved_family_in(d),
                FamilyKind::MeanField | FamilyKind::LowRank(_)
            ) {
                ""
            } else {
                " (d × d matrices)"
            },
            human_bytes(budget)
        ));
    }
    let draws = draws_bytes(config.draws, d, width);
    if draws.is_none_or(|b| b > budget) {
        return Err(format!(
            "--draws {}: the draws and the proposals behind them need {}, but this machine has {}; ask for fewer draws",
            config.draws,
            draws.map_or_else(|| "more memory than any machine has".into(), human_bytes),
            human_bytes(budget)
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_in_words() {
        assert_eq!(human_bytes(512), "512 bytes");
        assert_eq!(human_bytes(8_000_000_000_000), "8.0 TB");
        assert_eq!(human_bytes(160_000_000_000), "160 GB");
    }

    #[test]
    fn fit_and_draws_sizes_are_checked_without_overflow() {
        let c = FitConfig {
            draws: 1_000_000_000,
            ..FitConfig::default()
        };
        let e = check_fit(1, 1, &c, 16_000_000_000).unwrap_err();
        assert!(
            e.starts_with("--draws 1000000000: ") && e.contains("need 64 GB"),
            "{e}"
        );
        let c = FitConfig {
            family: Some(FamilyKind::FullRank),
            ..FitConfig::default()
        };
        let e = check_fit(100_000, 1, &c, 16_000_000_000).unwrap_err();
        assert!(
            e.contains("100000 unconstrained") && e.contains("160 GB"),
            "{e}"
        );
        // The default family at that size is low rank: O(d R) memory.
        let default = FitConfig::default();
        assert!(check_fit(100_000, 1, &default, 16_000_000_000).is_ok());
        // Mean-field memory grows like d: 10⁶ coordinates need 3.3 GB.
        let mf = FitConfig {
            family: Some(FamilyKind::MeanField),
            ..FitConfig::default()
        };
        assert_eq!(
            fit_bytes(1_000_000, &mf),
            Some(1_000_000 * (4 * 100 + 16) * 8)
        );
        assert!(check_fit(100_000, 1, &mf, 16_000_000_000).is_ok());
        assert!(check_fit(usize::MAX, usize::MAX, &c, u128::MAX).is_err());
        assert!(check_fit(10, 10, &c, 16_000_000_000).is_ok());
    }
}
