//! Partial derivatives of a multivariate log density with respect to its
//! var inputs, from dual numbers.
//!
//! The plain rule takes one dual pass over the whole density per input
//! element. For a distribution whose variate is element-wise
//! (`ordered_logistic(eta, c)` with `k` and `eta` of length N), the log
//! density is a sum of N terms, each reading one element of the
//! element-wise arguments and all of the shared ones; the partials are then
//! taken term by term, so a gradient costs O(N · shared) instead of
//! O(N · (N + shared)).

use crate::density::eval::Evaluator;
use crate::density::value::TapeRef;
use crate::dist::{ArgShape, Multivariate, View};
use crate::scalar::Scalar;
use num_dual::Dual;

/// The most arguments (variate included) a multivariate distribution takes.
const MAX_ARGS: usize = 8;

impl<T: Scalar> Evaluator<'_, T> {
    /// Writes ∂ lpdf / ∂ input for every element of the var inputs
    /// (`(argument index, tape range)`, in order) to the tape's partials
    /// from `jac`. `values` holds every argument's elements, laid out by
    /// `shape` (`offset, rows, cols` per argument).
    pub(super) fn multivariate_partials<D: Multivariate>(
        &mut self,
        values: &[T],
        shape: &[(usize, usize, usize)],
        var_inputs: &[(usize, TapeRef)],
        jac: u32,
    ) {
        let mut dual: Vec<Dual<T>> = std::mem::take(&mut self.workspace.dual_buffer);
        dual.clear();
        dual.extend(values.iter().map(|&x| Dual::from_re(x)));
        let terms = element_terms::<D>(shape);
        let jac = jac as usize;
        let mut col = 0;
        for &(j, r) in var_inputs {
            let (base, len) = (shape[j].0, r.len as usize);
            let per_element = terms > 1 && is_elementwise::<D>(j) && len == terms;
            for e in 0..len {
                dual[base + e].eps = T::one();
                let g = if per_element {
                    // Only term e reads element e.
                    term_partial::<D, T>(&dual, shape, terms, e)
                } else if terms > 1 {
                    (0..terms).fold(T::zero(), |s, i| {
                        s + term_partial::<D, T>(&dual, shape, terms, i)
                    })
                } else {
                    whole_partial::<D, T>(&dual, shape)
                };
                dual[base + e].eps = T::zero();
                self.workspace.tape.parts[jac + col] = g;
                col += 1;
            }
        }
        self.workspace.dual_buffer = dual;
    }
}

/// Whether argument `j` (0 = the variate) is element-wise.
fn is_elementwise<D: Multivariate>(j: usize) -> bool {
    let spec = &D::SPEC;
    let s = if j == 0 {
        spec.variate
    } else {
        spec.args[j - 1]
    };
    s.shape == ArgShape::Elem
}

/// The number of terms the log density splits into: the length of an
/// element-wise variate (1 when the variate is not element-wise, or when
/// the distribution takes more arguments than the split handles).
fn element_terms<D: Multivariate>(shape: &[(usize, usize, usize)]) -> usize {
    if shape.len() > MAX_ARGS || !is_elementwise::<D>(0) {
        return 1;
    }
    let (_, r, c) = shape[0];
    r * c
}

/// The dual part of the whole log density.
fn whole_partial<D: Multivariate, T: Scalar>(
    dual: &[Dual<T>],
    shape: &[(usize, usize, usize)],
) -> T {
    let views: [View<'_, Dual<T>>; MAX_ARGS] = std::array::from_fn(|j| match shape.get(j) {
        Some(&(o, r, c)) => View::matrix(&dual[o..o + r * c], r, c),
        None => View::vector(&[]),
    });
    let k = shape.len().min(MAX_ARGS);
    D::lpdf(&views[..k]).map(|v| v.eps).unwrap_or(T::zero())
}

/// The dual part of term `i`: the density of the variate's element `i`
/// with the element-wise arguments' element `i` (or their one broadcast
/// value) and the shared arguments whole.
fn term_partial<D: Multivariate, T: Scalar>(
    dual: &[Dual<T>],
    shape: &[(usize, usize, usize)],
    terms: usize,
    i: usize,
) -> T {
    let views: [View<'_, Dual<T>>; MAX_ARGS] = std::array::from_fn(|j| match shape.get(j) {
        Some(&(o, r, c)) if is_elementwise::<D>(j) && r * c == terms => {
            View::vector(&dual[o + i..o + i + 1])
        }
        Some(&(o, r, c)) => View::matrix(&dual[o..o + r * c], r, c),
        None => View::vector(&[]),
    });
    D::lpdf(&views[..shape.len()])
        .map(|v| v.eps)
        .unwrap_or(T::zero())
}
