//! Parameters: from unconstrained coordinates to constrained values, with
//! the log-Jacobian added once, here.

use super::workspace::{EvalError, EvalResult};
use crate::density::eval::Evaluator;
use crate::density::tape::Node;
use crate::density::value::{Dims, TapeRef};
use crate::ir::{Constraint, Expr};
use crate::scalar::Scalar;
use crate::transform::{self, Transform};

fn dims_of(d: &[usize]) -> Dims {
    Dims::from_sizes(d).unwrap_or(Dims::Scalar)
}

impl<T: Scalar> Evaluator<'_, T> {
    /// Evaluates a bound and returns its tape slots (empty when absent).
    pub(super) fn bound_slots(
        &mut self,
        e: Option<&Expr>,
        n: usize,
        pname: &str,
    ) -> EvalResult<TapeRef> {
        let Some(e) = e else {
            return Ok(TapeRef::new(0, 0));
        };
        let v = self.expr(e)?;
        let v = self.promote(v);
        if !v.is_scalar() && v.len() != n {
            return Err(EvalError::fatal(
                e.span,
                format!(
                    "the bound of `{pname}` has {} elements but `{pname}` has {n}",
                    v.len()
                ),
            ));
        }
        Ok(self.slots_of(v))
    }

    /// The multiplier of an affine parameter must be positive and finite.
    fn check_multiplier(
        &self,
        m: TapeRef,
        name: &str,
        span: crate::source::Span,
    ) -> EvalResult<()> {
        for k in m.range() {
            let v = self.workspace.tape.vals[k].re();
            if !(v > 0.0 && v.is_finite()) {
                return Err(EvalError::reject(
                    span,
                    format!("the multiplier of `{name}` must be positive and finite, found {v}"),
                ));
            }
        }
        Ok(())
    }

    /// Sets every parameter from the unconstrained coordinates in tape
    /// slots `theta`, adding each log-Jacobian to the log density.
    pub fn constrain_params(&mut self, theta: TapeRef) -> EvalResult<()> {
        for ps in self.program.layout.in_order() {
            let decl = self.program.model.param(ps.id);
            let dims = dims_of(&ps.dims);
            let u = theta.sub(ps.offset, ps.free);
            if ps.transform == Transform::Identity {
                self.workspace.params[ps.id.index()] = Self::tape_value(u, dims);
                continue;
            }
            let n = ps.size();
            let (lb, ub) = match &decl.constraint {
                Constraint::Bounded(b) => {
                    let (first, second) = b.transform_arguments();
                    (
                        self.bound_slots(first, n, &ps.name)?,
                        self.bound_slots(second, n, &ps.name)?,
                    )
                }
                _ => (TapeRef::new(0, 0), TapeRef::new(0, 0)),
            };
            if ps.transform == Transform::Affine {
                self.check_multiplier(ub, &ps.name, decl.span)?;
            }
            let x = self.workspace.tape.alloc(n);
            let logj = {
                let tape = &mut self.workspace.tape;
                let mut out = std::mem::take(&mut self.workspace.scalar_buffer);
                out.clear();
                out.resize(n, T::zero());
                let lj = transform::constrain(
                    ps.transform,
                    &tape.vals[u.range()],
                    &tape.vals[lb.range()],
                    &tape.vals[ub.range()],
                    &mut out,
                );
                tape.vals[x.range()].copy_from_slice(&out);
                self.workspace.scalar_buffer = out;
                lj
            };
            if ps.transform == Transform::LowerUpper {
                // An interval whose upper end is not above its lower end is empty.
                for i in 0..n {
                    let l = self.workspace.tape.vals
                        [lb.off as usize + if lb.len == 1 { 0 } else { i }]
                    .re();
                    let h = self.workspace.tape.vals
                        [ub.off as usize + if ub.len == 1 { 0 } else { i }]
                    .re();
                    if l >= h {
                        return Err(EvalError::reject(
                            decl.span,
                            format!(
                                "the bounds of `{}` are empty: lower = {l}, upper = {h}",
                                ps.name
                            ),
                        ));
                    }
                }
            }
            let ls = self.workspace.tape.push(logj);
            self.workspace.tape.node(Node::Transform {
                t: ps.transform,
                u,
                lb,
                ub,
                x,
                logj: ls,
            });
            if self.workspace.jacobian {
                self.workspace.lp_terms.push(ls);
            }
            self.workspace.params[ps.id.index()] = Self::tape_value(x, dims);
        }
        Ok(())
    }
}
