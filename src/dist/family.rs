//! The two families of distributions: [`Univariate`] (written for one
//! element, vectorized by the engine) and [`Multivariate`] (whole vectors
//! and matrices, seen through [`View`]s), and the visitors that
//! monomorphize a computation for one distribution.

use super::{Arg, DistSpec};
use crate::random::VRng;
use crate::scalar::Scalar;
use num_dual::Dual;

/// A distribution of one scalar variate with scalar arguments.
///
/// `x` holds the variate followed by the arguments, in [`DistSpec`] order;
/// integer values arrive as exact reals. Callers check the domains of the
/// variate and the arguments (see [`Domain::contains`]) before calling, so
/// `lpdf` may assume them.
pub trait Univariate {
    const SPEC: DistSpec;
    /// Number of entries of `x` (variate plus arguments).
    const ARITY: usize;

    /// Log density (or mass) with all normalizing constants.
    fn lpdf<T: Scalar>(x: &[T]) -> T;

    /// Log density and its partial derivatives with respect to every entry
    /// of `x` (written to `d`, same length). The default takes them from
    /// dual numbers; distributions may override it with a hand-fused
    /// kernel, which the tests compare against the default.
    ///
    /// Entries with an integer domain (the variate of a discrete
    /// distribution, binomial's `N`) are always data, never parameters:
    /// their partials are unspecified (fused kernels write zero).
    fn lpdf_partials<T: Scalar>(x: &[T], d: &mut [T]) -> T {
        crate::scalar::partials(x, d, Self::lpdf)
    }

    /// Conditions that tie several entries together and that the
    /// element-wise domains cannot express: binomial's `y <= N`, uniform's
    /// `alpha < beta`. `x` is laid out as for [`Univariate::lpdf`]; the
    /// message says what is wrong with which values. Callers run it after
    /// the domain checks (data once at bind time, parameters per
    /// evaluation); values that fail have log density −∞.
    fn check_args(_x: &[f64]) -> Result<(), String> {
        Ok(())
    }

    /// Whether [`Univariate::check_args`] checks anything (callers skip
    /// the per-element call otherwise).
    const CHECKS_ARGS: bool = false;

    /// The log density summed over `n` elements of broadcast arguments
    /// (variate first), writing the partials of each argument that carries
    /// derivatives into `d[j]` as the slice kernels do (overwritten; one
    /// entry holding the sum for a broadcast argument, one per element
    /// otherwise). The default loops over [`Univariate::lpdf_partials`];
    /// distributions with a slice kernel override it.
    fn lpdf_sum<T: Scalar>(args: &[Arg<'_, T>], n: usize, d: &mut [Option<&mut [T]>]) -> T {
        let k = args.len();
        let want = d.iter().any(Option::is_some);
        for dj in d.iter_mut().flatten() {
            dj.iter_mut().for_each(|x| *x = T::zero());
        }
        let mut x = [T::zero(); crate::scalar::MAX_ARITY];
        let mut g = [T::zero(); crate::scalar::MAX_ARITY];
        let mut lp = T::zero();
        for i in 0..n {
            for j in 0..k {
                x[j] = args[j].get(i);
            }
            if !want {
                lp += Self::lpdf(&x[..k]);
                continue;
            }
            lp += Self::lpdf_partials(&x[..k], &mut g[..k]);
            for j in 0..k {
                if let Some(dj) = &mut d[j] {
                    if args[j].is_broadcast() {
                        dj[0] += g[j];
                    } else {
                        dj[i] = g[j];
                    }
                }
            }
        }
        lp
    }

    /// One draw given argument values (`args` excludes the variate).
    fn rng(args: &[f64], rng: &mut VRng) -> f64;

    /// Whether the distribution has `_cdf`, `_lcdf` and `_lccdf` (and so
    /// can be truncated).
    const HAS_CDF: bool = false;

    /// log F(y), `x` laid out as for [`Univariate::lpdf`]. Callers handle
    /// variates at or beyond the edges of the support fixed by the
    /// variate's domain (see [`super::cumulative::lcdf`]); the rest of the
    /// support (binomial's N, uniform's bounds) is the distribution's.
    fn lcdf<T: Scalar>(_x: &[T]) -> T {
        T::from(f64::NAN)
    }

    /// log(1 − F(y)), computed without forming 1 − F.
    fn lccdf<T: Scalar>(_x: &[T]) -> T {
        T::from(f64::NAN)
    }
}

/// A view of a vector (cols = 1) or row-major matrix argument.
#[derive(Clone, Copy, Debug)]
pub struct View<'a, T> {
    pub data: &'a [T],
    pub rows: usize,
    pub cols: usize,
}

impl<'a, T: Copy> View<'a, T> {
    pub fn vector(data: &'a [T]) -> View<'a, T> {
        View {
            data,
            rows: data.len(),
            cols: 1,
        }
    }
    pub fn matrix(data: &'a [T], rows: usize, cols: usize) -> View<'a, T> {
        debug_assert_eq!(data.len(), rows * cols);
        View { data, rows, cols }
    }
    pub fn at(&self, i: usize, j: usize) -> T {
        self.data[i * self.cols + j]
    }
    pub fn len(&self) -> usize {
        self.data.len()
    }
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }
}

/// A distribution whose variate or arguments are whole vectors/matrices.
///
/// `args[0]` is the variate. For `multi_normal*` the variate may be a
/// matrix whose rows are independent observations (and `mu` a vector or a
/// matrix of per-row means); `categorical*` takes an int or int array.
pub trait Multivariate: Sized {
    const SPEC: DistSpec;

    /// Summed log density with all normalizing constants, or an error
    /// message when the values are outside the domain (not symmetric, not
    /// positive-definite, sizes disagree, ...); the engine treats an error as
    /// a log density of −∞ and reports the message when asked why.
    fn lpdf<T: Scalar>(args: &[View<'_, T>]) -> Result<T, String>;

    /// Whether [`Multivariate::lpdf_gradient`] is hand-written; the engine
    /// takes the partials from dual numbers (one sweep per entry) otherwise.
    const HAS_GRADIENT: bool = false;

    /// The log density and its partials with respect to every entry of each
    /// argument `j` with `grads[j]` present (one per element, overwritten),
    /// working in `scratch`. The default takes them from dual numbers;
    /// distributions with [`Multivariate::HAS_GRADIENT`] override it, and
    /// the tests compare the two.
    fn lpdf_gradient<T: Scalar>(
        args: &[View<'_, T>],
        grads: &mut [Option<&mut [T]>],
        scratch: &mut Vec<T>,
    ) -> Result<T, String> {
        let _ = scratch;
        gradient_by_duals::<Self, T>(args, grads)
    }

    /// One draw (a vector, or a row-major matrix) given the arguments
    /// (`args` excludes the variate); the size is implied by the arguments.
    fn rng(args: &[View<'_, f64>], rng: &mut VRng, out: &mut Vec<f64>) -> Result<(), String>;

    /// Whether a draw is an array even when it has one element (a GLM's
    /// outcomes, one per row of its matrix).
    const DRAWS_ARRAY: bool = false;
}

/// Monomorphizes a computation for one univariate distribution.
pub trait UnivariateVisitor {
    type Output;
    fn visit<D: Univariate>(self) -> Self::Output;
}

/// Monomorphizes a computation for one multivariate distribution.
pub trait MultivariateVisitor {
    type Output;
    fn visit<D: Multivariate>(self) -> Self::Output;
}

/// The partials of `D`'s log density by forward dual sweeps, one per
/// entry of each argument that asks for them: the reference the
/// hand-written gradients are tested against.
pub fn gradient_by_duals<D: Multivariate, T: Scalar>(
    args: &[View<'_, T>],
    grads: &mut [Option<&mut [T]>],
) -> Result<T, String> {
    let mut dual: Vec<Vec<Dual<T>>> = args
        .iter()
        .map(|a| a.data.iter().map(|&x| Dual::from_re(x)).collect())
        .collect();
    let value = D::lpdf(args)?;
    for j in 0..args.len() {
        let Some(d) = grads[j].as_deref_mut() else {
            continue;
        };
        for e in 0..args[j].len() {
            dual[j][e].eps = T::one();
            let views: Vec<View<'_, Dual<T>>> = dual
                .iter()
                .zip(args)
                .map(|(v, a)| View::matrix(v, a.rows, a.cols))
                .collect();
            d[e] = D::lpdf(&views)?.eps;
            dual[j][e].eps = T::zero();
        }
    }
    Ok(value)
}
