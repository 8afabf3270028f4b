//! `poisson_log` — poisson_log(alpha): Poisson with rate exp(alpha)

use super::poisson::draw_poisson;
use super::{Arg, Reader, broadcast_len, lfactorial, with_reader};
use super::{ArgShape, ArgSpec, DistSpec, Domain, Univariate};
use crate::random::VRng;
use crate::scalar::Scalar;

pub struct PoissonLog;

const SPEC: DistSpec = DistSpec {
    name: "poisson_log",
    variate: ArgSpec::new("y", ArgShape::Elem, Domain::NonNegInt),
    args: &[ArgSpec::new("alpha", ArgShape::Elem, Domain::Real)],
    doc: "poisson_log(alpha): Poisson with rate exp(alpha)",
};

impl Univariate for PoissonLog {
    const SPEC: DistSpec = SPEC;
    const ARITY: usize = 2;

    fn lpdf_sum<T: Scalar>(args: &[Arg<'_, T>], _n: usize, d: &mut [Option<&mut [T]>]) -> T {
        poisson_log_lpmf_sum(args[0], args[1], d[1].as_deref_mut())
    }

    fn lpdf<T: Scalar>(x: &[T]) -> T {
        let (y, alpha) = (x[0], x[1]);
        if alpha.re() == f64::NEG_INFINITY {
            return if y.re() == 0.0 {
                T::zero()
            } else {
                T::from(f64::NEG_INFINITY)
            };
        }
        y * alpha - alpha.exp() - lfactorial(y.re())
    }

    fn lpdf_partials<T: Scalar>(x: &[T], d: &mut [T]) -> T {
        let (y, alpha) = (x[0], x[1]);
        d[0] = T::zero();
        if alpha.re() == f64::NEG_INFINITY {
            d[1] = T::zero();
            return Self::lpdf(x);
        }
        let e = alpha.exp();
        d[1] = y - e;
        y * alpha - e - lfactorial(y.re())
    }

    fn rng(args: &[f64], rng: &mut VRng) -> f64 {
        draw_poisson(args[0].exp(), rng)
    }
}

/// Summed poisson_log log mass over counts `y` (data) with log rates
/// `alpha`, and the partials in alpha (see [`Arg`]): the likelihood of
/// Poisson regression.
pub fn poisson_log_lpmf_sum<T: Scalar>(
    y: Arg<'_, T>,
    alpha: Arg<'_, T>,
    d_alpha: Option<&mut [T]>,
) -> T {
    let n = broadcast_len(&[&y, &alpha]);
    match (d_alpha, alpha.is_broadcast()) {
        (Some(o), false) => {
            assert_eq!(o.len(), n, "partials buffer has the wrong length");
            with_reader!(y, n, |ry| with_reader!(alpha, n, |ra| pass(
                ry,
                ra,
                n,
                Some(o)
            )
            .0))
        }
        (Some(o), true) => {
            let (lp, g) = with_reader!(y, n, |ry| with_reader!(alpha, n, |ra| pass(
                ry, ra, n, None
            )));
            o[0] = g;
            lp
        }
        (None, _) => with_reader!(y, n, |ry| with_reader!(alpha, n, |ra| pass(
            ry, ra, n, None
        ))
        .0),
    }
}

/// (Σ log mass, Σ partials), or with a buffer the per-element partials.
#[inline(always)]
fn pass<T: Scalar>(
    y: impl Reader<T>,
    alpha: impl Reader<T>,
    n: usize,
    mut out: Option<&mut [T]>,
) -> (T, T) {
    let (mut lp, mut sg) = (T::zero(), T::zero());
    for i in 0..n {
        let (yi, a) = (y.at(i), alpha.at(i));
        let g = if a.re() == f64::NEG_INFINITY {
            // Rate zero: all mass at 0.
            if yi.re() != 0.0 {
                lp += f64::NEG_INFINITY;
            }
            T::zero()
        } else {
            let e = a.exp();
            lp += yi * a - e - lfactorial(yi.re());
            yi - e
        };
        match out.as_deref_mut() {
            Some(o) => o[i] = g,
            None => sg += g,
        }
    }
    (lp, sg)
}
