//! Gaussian-process covariance matrices in Stan's parameterisations, each
//! computed as one array: K[i, j] = k(x[i] − x[j]) for the points `x`. The
//! partials of every entry with respect to the magnitude, the length scale
//! (and the period) are stored for one `Broadcast` node each; when the
//! points are parameters, two gathers (x[i] and x[j] laid out as matrices)
//! take the partials with respect to the difference. O(N²) work and memory.

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
    /// `gp_exp_quad_cov` (and `cov_exp_quad`), `gp_matern32_cov`,
    /// `gp_matern52_cov`, `gp_periodic_cov`.
    pub(super) fn gp_kernel(&mut self, f: Builtin, a: &[Value], span: Span) -> EvalResult<Value> {
        let kind = match f {
            Builtin::GpExpQuadCov | Builtin::CovExpQuad => Kernel::ExpQuad,
            Builtin::GpMatern32Cov => Kernel::Matern32,
            Builtin::GpMatern52Cov => Kernel::Matern52,
            Builtin::GpPeriodicCov => Kernel::Periodic,
            _ => return Err(not_here(f, span)),
        };
        let x = self.promote(a[0]);
        let n = match x.dims() {
            Dims::Vector(n) => n,
            d => {
                return Err(EvalError::fatal(
                    span,
                    format!("{}: the points must be a vector, found {d}", f.name()),
                ));
            }
        };
        // alpha, rho (, period): positive scalars.
        let mut scalars = [Value::Real(1.0); 3];
        for (k, name) in ["alpha", "rho", "period"]
            .iter()
            .enumerate()
            .take(a.len() - 1)
        {
            let v = self.promote(a[k + 1]);
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
        if !x.is_var() && !scalars.iter().any(Value::is_var) {
            let out = self.scratch(n * n);
            let (al, rh, pe) = (
                self.scalar_f64(alpha),
                self.scalar_f64(rho),
                self.scalar_f64(period),
            );
            for i in 0..n {
                for j in 0..n {
                    let d = self.element_f64(x, i) - self.element_f64(x, j);
                    self.workspace.scratch[out.off as usize + i * n + j] =
                        kernel(kind, d, al, rh, pe)[0];
                }
            }
            return Ok(Value::Mat(out, n as u32, n as u32));
        }
        // Points as matrices x[i] and x[j] (before the output: a Diag
        // node's input precedes its output on the tape).
        let rec = self.record();
        let spread = if rec && x.is_var() {
            let rows = self.expand_points(x, n, true);
            let cols = self.expand_points(x, n, false);
            Some((tape_ref_of(rows), tape_ref_of(cols)))
        } else {
            None
        };
        let out = self.workspace.tape.alloc(n * n);
        // Partials: one block per argument that carries derivatives.
        let wanted = [
            rec && alpha.is_var(),
            rec && rho.is_var(),
            rec && period.is_var(),
            spread.is_some(),
        ];
        let mut blocks = [0u32; 4];
        for (k, &w) in wanted.iter().enumerate() {
            if w {
                blocks[k] = self.workspace.tape.alloc_parts(n * n);
            }
        }
        let (al, rh, pe) = (
            self.element(alpha, 0),
            self.element(rho, 0),
            self.element(period, 0),
        );
        for i in 0..n {
            for j in 0..n {
                let d = self.element(x, i) - self.element(x, j);
                let e = kernel(kind, d, al, rh, pe);
                let at = i * n + j;
                self.workspace.tape.vals[out.off as usize + at] = e[0];
                for k in 0..4 {
                    if wanted[k] {
                        self.workspace.tape.parts[blocks[k] as usize + at] = e[k + 1];
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
        if let Some((rows, cols)) = spread {
            self.difference_nodes(out, rows, cols, blocks[3]);
        }
        Ok(Value::TapeMat(out, n as u32, n as u32))
    }

    /// The `n × n` matrix with entry (i, j) = x[i] (by row) or x[j].
    fn expand_points(&mut self, x: Value, n: usize, by_row: bool) -> Value {
        let mut pos = std::mem::take(&mut self.workspace.positions);
        pos.clear();
        pos.extend((0..n * n).map(|k| if by_row { k / n } else { k % n }));
        let out = self.gather_positions(x, &pos, Dims::Matrix(n, n));
        self.workspace.positions = pos;
        out
    }

    /// K depends on x[i] with partial ∂d and on x[j] with partial −∂d.
    fn difference_nodes(&mut self, out: TapeRef, rows: TapeRef, cols: TapeRef, dd: u32) {
        let len = out.len as usize;
        let neg = self.workspace.tape.alloc_parts(len);
        for k in 0..len {
            let p = self.workspace.tape.parts[dd as usize + k];
            self.workspace.tape.parts[neg as usize + k] = -p;
        }
        self.workspace.tape.node(Node::Diag {
            out,
            inp: rows.off,
            part: Part::Tape(dd),
        });
        self.workspace.tape.node(Node::Diag {
            out,
            inp: cols.off,
            part: Part::Tape(neg),
        });
    }
}
