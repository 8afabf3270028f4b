//! Gaussian-process covariance matrices in Stan's parameterisations, each
//! computed as one array: K[i, j] = k(x1[i] − x2[j]) for the points `x1`
//! and `x2` (both `x` unless a cross-covariance is asked for). A point is
//! an entry of a vector or a row of a `real[N, D]`; in D > 1 dimensions the
//! kernel is a function of the Euclidean distance. The partials of every
//! entry with respect to the magnitude, the length scale (and the period)
//! are stored for one `Broadcast` node each; when the points are
//! parameters, two gathers (the coordinates of x1[i] and of x2[j] laid out
//! as D matrices, one after the other) take the partials with respect to
//! each coordinate of the difference. O(N² D) work and memory.

use super::not_here;
use crate::builtins::Builtin;
use crate::density::eval::Evaluator;
use crate::density::eval::tape_ref_of;
use crate::density::eval::workspace::{EvalError, EvalResult};
use crate::density::tape::{Node, Part};
use crate::density::value::{Dims, TapeRef, Value};
use crate::scalar::Scalar;
use crate::source::Span;
use std::f64::consts::PI;

#[derive(Clone, Copy, PartialEq)]
enum Kernel {
    ExpQuad,
    Matern32,
    Matern52,
    Periodic,
}

/// One entry and its partials: [k, ∂alpha, ∂rho, ∂period, ∂d], where d is
/// the difference of the two points.
fn kernel<T: Scalar>(kind: Kernel, d: T, alpha: T, rho: T, period: T) -> [T; 5] {
    let zero = T::zero();
    match kind {
        Kernel::ExpQuad => {
            let e = (-(d * d) / (rho * rho * 2.0)).exp();
            let k = alpha * alpha * e;
            let rho2 = rho * rho;
            [
                k,
                alpha * e * 2.0,
                k * d * d / (rho2 * rho),
                zero,
                -k * d / rho2,
            ]
        }
        Kernel::Matern32 => {
            let s = d.abs() * 3f64.sqrt() / rho;
            let e = (-s).exp();
            let a2 = alpha * alpha;
            [
                a2 * (s + 1.0) * e,
                alpha * (s + 1.0) * e * 2.0,
                a2 * s * s * e / rho,
                zero,
                -a2 * d * e * 3.0 / (rho * rho),
            ]
        }
        Kernel::Matern52 => {
            let s = d.abs() * 5f64.sqrt() / rho;
            let e = (-s).exp();
            let a2 = alpha * alpha;
            let poly = s + 1.0 + s * s / 3.0;
            [
                a2 * poly * e,
                alpha * poly * e * 2.0,
                a2 * s * s * (s + 1.0) * e / (rho * 3.0),
                zero,
                -a2 * (s + 1.0) * e * d * 5.0 / (rho * rho * 3.0),
            ]
        }
        Kernel::Periodic => {
            let u = d * PI / period;
            let sn = u.sin();
            let rho2 = rho * rho;
            let e = (-(sn * sn) * 2.0 / rho2).exp();
            let k = alpha * alpha * e;
            let sin2u = (u * 2.0).sin();
            [
                k,
                alpha * e * 2.0,
                k * sn * sn * 4.0 / (rho2 * rho),
                k * sin2u * d * (2.0 * PI) / (rho2 * period * period),
                -k * sin2u * (2.0 * PI) / (rho2 * period),
            ]
        }
    }
}

impl<T: Scalar> Evaluator<'_, T> {
    /// The number of points of `x` and their dimension: the entries of a
    /// vector, or the rows of a matrix.
    fn gp_points(&self, f: Builtin, x: Value, span: Span) -> EvalResult<(usize, usize)> {
        match x.dims() {
            Dims::Vector(n) => Ok((n, 1)),
            Dims::Matrix(n, d) if d > 0 => Ok((n, d)),
            d => Err(EvalError::fatal(
                span,
                format!(
                    "{}: the points must be a vector or a real[N, D] (one point per row), found {d}",
                    f.name()
                ),
            )),
        }
    }

    /// Entry (i, j): the kernel's value and partials [k, ∂alpha, ∂rho,
    /// ∂period] and the factor g with ∂k/∂x1[i][c] = g · (x1[i][c] −
    /// x2[j][c]) (in one dimension ∂k/∂d itself, with g·1).
    fn gp_entry(
        &self,
        kind: Kernel,
        points: (Value, Value, usize),
        i: usize,
        j: usize,
        scalars: (T, T, T),
    ) -> ([T; 5], T) {
        let (x1, x2, dim) = points;
        let (alpha, rho, period) = scalars;
        if dim == 1 {
            let d = self.element(x1, i) - self.element(x2, j);
            let e = kernel(kind, d, alpha, rho, period);
            return (e, e[4]);
        }
        let mut r2 = T::zero();
        for c in 0..dim {
            let diff = self.element(x1, i * dim + c) - self.element(x2, j * dim + c);
            r2 += diff * diff;
        }
        if r2.re() > 0.0 {
            let r = r2.sqrt();
            let e = kernel(kind, r, alpha, rho, period);
            (e, e[4] / r)
        } else {
            // Coinciding points: every kernel is flat in the distance there.
            (kernel(kind, T::zero(), alpha, rho, period), T::zero())
        }
    }

    /// `gp_exp_quad_cov` (and `cov_exp_quad`), `gp_matern32_cov`,
    /// `gp_matern52_cov`, `gp_periodic_cov`, and their cross-covariance
    /// forms `(x1, x2, ...)`.
    pub(super) fn gp_kernel(&mut self, f: Builtin, a: &[Value], span: Span) -> EvalResult<Value> {
        let (kind, cross) = match f {
            Builtin::GpExpQuadCov | Builtin::CovExpQuad => (Kernel::ExpQuad, false),
            Builtin::GpMatern32Cov => (Kernel::Matern32, false),
            Builtin::GpMatern52Cov => (Kernel::Matern52, false),
            Builtin::GpPeriodicCov => (Kernel::Periodic, false),
            Builtin::GpExpQuadCross | Builtin::CovExpQuadCross => (Kernel::ExpQuad, true),
            Builtin::GpMatern32Cross => (Kernel::Matern32, true),
            Builtin::GpMatern52Cross => (Kernel::Matern52, true),
            Builtin::GpPeriodicCross => (Kernel::Periodic, true),
            _ => return Err(not_here(f, span)),
        };
        let first = if cross { 2 } else { 1 };
        let x1 = self.promote(a[0]);
        let x2 = if cross { self.promote(a[1]) } else { x1 };
        let (n, dim) = self.gp_points(f, x1, span)?;
        let (m, dim2) = self.gp_points(f, x2, span)?;
        if dim != dim2 {
            return Err(EvalError::fatal(
                span,
                format!(
                    "{}: the points of x1 have {dim} coordinates but those of x2 have {dim2}",
                    f.name()
                ),
            ));
        }
        // alpha, rho (, period): positive scalars.
        let mut scalars = [Value::Real(1.0); 3];
        for (k, name) in ["alpha", "rho", "period"]
            .iter()
            .enumerate()
            .take(a.len() - first)
        {
            let v = self.promote(a[k + first]);
            let value = self.scalar_f64(v);
            if !(value > 0.0 && value.is_finite()) {
                return Err(EvalError::reject(
                    span,
                    format!("{}: {name} = {value} is not positive", f.name()),
                ));
            }
            scalars[k] = v;
        }
        let [alpha, rho, period] = scalars;
        let nm = n * m;
        if !x1.is_var() && !x2.is_var() && !scalars.iter().any(Value::is_var) {
            return Ok(self.gp_constant(kind, (x1, x2, dim), (n, m), scalars));
        }
        // The coordinates of x1[i] and x2[j] as D matrices each (before the
        // output: a Diag node's input precedes its output on the tape).
        let rec = self.record();
        let rows = (rec && x1.is_var()).then(|| self.expand_points(x1, (n, m, dim), true));
        let cols = (rec && x2.is_var()).then(|| self.expand_points(x2, (n, m, dim), false));
        let out = self.workspace.tape.alloc(nm);
        // Partials: one block per argument that carries derivatives (D
        // blocks for the points).
        let wanted = [
            rec && alpha.is_var(),
            rec && rho.is_var(),
            rec && period.is_var(),
            rows.is_some() || cols.is_some(),
        ];
        let mut blocks = [0u32; 4];
        for (k, &w) in wanted.iter().enumerate() {
            if w {
                let len = if k == 3 { nm * dim } else { nm };
                blocks[k] = self.workspace.tape.alloc_parts(len);
            }
        }
        let sc = (
            self.element(alpha, 0),
            self.element(rho, 0),
            self.element(period, 0),
        );
        for i in 0..n {
            for j in 0..m {
                let (e, g) = self.gp_entry(kind, (x1, x2, dim), i, j, sc);
                let at = i * m + j;
                self.workspace.tape.vals[out.off as usize + at] = e[0];
                for k in 0..3 {
                    if wanted[k] {
                        self.workspace.tape.parts[blocks[k] as usize + at] = e[k + 1];
                    }
                }
                if wanted[3] {
                    for c in 0..dim {
                        let diff = if dim == 1 {
                            T::one()
                        } else {
                            self.element(x1, i * dim + c) - self.element(x2, j * dim + c)
                        };
                        self.workspace.tape.parts[blocks[3] as usize + c * nm + at] = g * diff;
                    }
                }
            }
        }
        for (k, v) in [alpha, rho, period].into_iter().enumerate() {
            if wanted[k] {
                self.workspace.tape.node(Node::Broadcast {
                    out,
                    inp: tape_ref_of(v).off,
                    part: Part::Tape(blocks[k]),
                });
            }
        }
        if wanted[3] {
            self.difference_nodes(out, rows, cols, blocks[3], dim);
        }
        Ok(Value::TapeMat(out, n as u32, m as u32))
    }

    /// The kernel matrix of constant points and scalars.
    fn gp_constant(
        &mut self,
        kind: Kernel,
        points: (Value, Value, usize),
        (n, m): (usize, usize),
        [alpha, rho, period]: [Value; 3],
    ) -> Value {
        let (x1, x2, dim) = points;
        let out = self.scratch(n * m);
        let (al, rh, pe) = (
            self.scalar_f64(alpha),
            self.scalar_f64(rho),
            self.scalar_f64(period),
        );
        for i in 0..n {
            for j in 0..m {
                let mut r2 = 0.0;
                for c in 0..dim {
                    let diff =
                        self.element_f64(x1, i * dim + c) - self.element_f64(x2, j * dim + c);
                    r2 += diff * diff;
                }
                // In one dimension the sign of the difference does not
                // matter to the value.
                self.workspace.scratch[out.off as usize + i * m + j] =
                    kernel(kind, r2.sqrt(), al, rh, pe)[0];
            }
        }
        Value::Mat(out, n as u32, m as u32)
    }

    /// D matrices of `n × m`, one after the other: in matrix c, entry
    /// (i, j) is coordinate c of point i of `x` (`by_row`) or of point j.
    fn expand_points(
        &mut self,
        x: Value,
        (n, m, dim): (usize, usize, usize),
        by_row: bool,
    ) -> TapeRef {
        let mut pos = std::mem::take(&mut self.workspace.positions);
        pos.clear();
        for c in 0..dim {
            pos.extend((0..n * m).map(|k| {
                let point = if by_row { k / m } else { k % m };
                point * dim + c
            }));
        }
        let out = self.gather_positions(x, &pos, Dims::Vector(n * m * dim));
        self.workspace.positions = pos;
        tape_ref_of(out)
    }

    /// K depends on coordinate c of x1[i] with partial g·diff_c (block c of
    /// `dd`) and on that of x2[j] with its negative.
    fn difference_nodes(
        &mut self,
        out: TapeRef,
        rows: Option<TapeRef>,
        cols: Option<TapeRef>,
        dd: u32,
        dim: usize,
    ) {
        let len = out.len as usize;
        let neg = if cols.is_some() {
            let neg = self.workspace.tape.alloc_parts(len * dim);
            for k in 0..len * dim {
                let p = self.workspace.tape.parts[dd as usize + k];
                self.workspace.tape.parts[neg as usize + k] = -p;
            }
            neg
        } else {
            0
        };
        for c in 0..dim {
            let block = (c * len) as u32;
            if let Some(rows) = rows {
                self.workspace.tape.node(Node::Diag {
                    out,
                    inp: rows.off + block,
                    part: Part::Tape(dd + block),
                });
            }
            if let Some(cols) = cols {
                self.workspace.tape.node(Node::Diag {
                    out,
                    inp: cols.off + block,
                    part: Part::Tape(neg + block),
                });
            }
        }
    }
}
