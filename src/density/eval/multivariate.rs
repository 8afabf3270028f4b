//! Multivariate log densities with hand-written partials: the values are
//! copied once into a buffer of `T`, the distribution writes its partials
//! straight into the tape, and one `Reduce` node per argument that carries
//! derivatives records them (no dual-number sweep per matrix entry).

use super::workspace::{EvalError, EvalResult};
use crate::density::eval::Evaluator;
use crate::density::eval::tape_ref_of;
use crate::density::tape::{Node, Part};
use crate::density::value::{Dims, Value};
use crate::dist::{Multivariate, View};
use crate::scalar::Scalar;
use crate::source::Span;

/// The most arguments (variate included) a multivariate distribution takes.
const MAX_ARGS: usize = 6;

impl<T: Scalar> Evaluator<'_, T> {
    /// The log density of `D` with its partials recorded, or `None` when
    /// `D` has no hand-written gradient or nothing is recorded (the general
    /// path then runs).
    pub(super) fn multivariate_with_gradient<D: Multivariate>(
        &mut self,
        vals: &[Value],
        span: Span,
    ) -> EvalResult<Option<Value>> {
        let k = vals.len();
        if !D::HAS_GRADIENT || !self.record() || k > MAX_ARGS || !vals.iter().any(Value::is_var) {
            return Ok(None);
        }
        let mut buf = std::mem::take(&mut self.workspace.scalar_buffer);
        buf.clear();
        let mut shape = [(0usize, 0usize, 0usize); MAX_ARGS];
        for (j, &v) in vals.iter().enumerate() {
            let (r, c) = match v.dims() {
                Dims::Scalar => (1, 1),
                Dims::Vector(n) => (n, 1),
                Dims::Matrix(r, c) => (r, c),
                Dims::Array3(j, k, l) => (j * k, l),
            };
            shape[j] = (buf.len(), r, c);
            for i in 0..v.len() {
                buf.push(self.element(v, i));
            }
        }
        let total: usize = vals.iter().filter(|v| v.is_var()).map(Value::len).sum();
        let poff = self.workspace.tape.alloc_parts(total) as usize;
        let mut scratch = std::mem::take(&mut self.workspace.matrix_scratch);
        let result = {
            let views: [View<'_, T>; MAX_ARGS] = std::array::from_fn(|j| {
                let (o, r, c) = shape[j];
                View::matrix(&buf[o..o + r * c], r, c)
            });
            let mut grads: [Option<&mut [T]>; MAX_ARGS] = std::array::from_fn(|_| None);
            let mut rest = &mut self.workspace.tape.parts[poff..poff + total];
            for (j, v) in vals.iter().enumerate() {
                if v.is_var() {
                    let (a, b) = rest.split_at_mut(v.len());
                    grads[j] = Some(a);
                    rest = b;
                }
            }
            D::lpdf_gradient(&views[..k], &mut grads[..k], &mut scratch)
        };
        self.workspace.scalar_buffer = buf;
        self.workspace.matrix_scratch = scratch;
        let value =
            result.map_err(|m| EvalError::reject(span, format!("{}: {m}", D::SPEC.name)))?;
        let out = self.workspace.tape.push(value);
        let mut off = poff;
        for v in vals.iter().filter(|v| v.is_var()) {
            self.workspace.tape.node(Node::Reduce {
                out,
                inp: tape_ref_of(*v),
                part: Part::Tape(off as u32),
            });
            off += v.len();
        }
        Ok(Some(Value::TapeReal(out)))
    }
}
