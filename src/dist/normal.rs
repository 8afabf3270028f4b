//! `normal` — normal(mu, sigma): density exp(-((y - mu) / sigma)^2 / 2) / (sigma sqrt(2 pi)); y real, sigma > 0 is the standard deviation

use super::{Arg, Reader, Sink, broadcast_len, draw, with_reader};
use super::{ArgShape, ArgSpec, DistSpec, Domain, Univariate};
use crate::random::VRng;
use crate::scalar::{HALF_LOG_TWO_PI, Scalar, log_Phi};

pub struct Normal;

const SPEC: DistSpec = DistSpec {
    name: "normal",
    variate: ArgSpec::new("y", ArgShape::Elem, Domain::Real),
    args: &[
        ArgSpec::new("mu", ArgShape::Elem, Domain::Real),
        ArgSpec::new("sigma", ArgShape::Elem, Domain::Positive),
    ],
    doc: "normal(mu, sigma): density exp(-((y - mu) / sigma)^2 / 2) / (sigma sqrt(2 pi)); y real, sigma > 0 is the standard deviation",
};

impl Univariate for Normal {
    const SPEC: DistSpec = SPEC;
    const ARITY: usize = 3;

    fn lpdf_sum<T: Scalar>(args: &[Arg<'_, T>], _n: usize, d: &mut [Option<&mut [T]>]) -> T {
        let [dy, dm, ds] = d else {
            unreachable!("normal takes three entries")
        };
        normal_lpdf_sum(
            args[0],
            args[1],
            args[2],
            dy.as_deref_mut(),
            dm.as_deref_mut(),
            ds.as_deref_mut(),
        )
    }

    fn lpdf<T: Scalar>(x: &[T]) -> T {
        let z = (x[0] - x[1]) / x[2];
        -(z * z) * 0.5 - x[2].ln() - HALF_LOG_TWO_PI
    }

    fn lpdf_partials<T: Scalar>(x: &[T], d: &mut [T]) -> T {
        let inv = x[2].recip();
        let z = (x[0] - x[1]) * inv;
        let dy = -z * inv;
        d[0] = dy;
        d[1] = -dy;
        d[2] = (z * z - 1.0) * inv;
        -(z * z) * 0.5 - x[2].ln() - HALF_LOG_TWO_PI
    }

    const HAS_CDF: bool = true;

    fn lcdf<T: Scalar>(x: &[T]) -> T {
        log_Phi((x[0] - x[1]) / x[2])
    }

    fn lccdf<T: Scalar>(x: &[T]) -> T {
        log_Phi((x[1] - x[0]) / x[2])
    }

    fn rng(args: &[f64], rng: &mut VRng) -> f64 {
        draw(rand_distr::Normal::new(args[0], args[1]), rng)
    }
}

/// One pass over the residuals r_i = y_i − mu_i: returns (Σ r², Σ r) and
/// stores r_i / sigma² when a buffer is given.
#[inline(always)]
fn residual_pass<T: Scalar>(
    y: impl Reader<T>,
    mu: impl Reader<T>,
    n: usize,
    inv2: T,
    out: Option<&mut [T]>,
) -> (T, T) {
    let (mut ss, mut sr) = (T::zero(), T::zero());
    match out {
        // With a buffer, Σ r is not needed: the caller sums the buffer if
        // a broadcast argument wants it.
        Some(o) => {
            let o = &mut o[..n];
            for (i, oi) in o.iter_mut().enumerate() {
                let r = y.at(i) - mu.at(i);
                ss += r * r;
                *oi = r * inv2;
            }
            sr = T::from(f64::NAN);
        }
        None => {
            for i in 0..n {
                let r = y.at(i) - mu.at(i);
                ss += r * r;
                sr += r;
            }
        }
    }
    (ss, sr)
}

/// Summed normal log density over vectors with broadcasting, and its
/// partials (see [`Arg`] for the calling convention).
///
/// The hot path of most models: when `sigma` is broadcast, log sigma and
/// 1/sigma² are computed once and its partial is formed from the sum of
/// squared residuals at the end, so each element costs a subtraction, a
/// multiply-add and the partial stores.
pub fn normal_lpdf_sum<T: Scalar>(
    y: Arg<'_, T>,
    mu: Arg<'_, T>,
    sigma: Arg<'_, T>,
    d_y: Option<&mut [T]>,
    d_mu: Option<&mut [T]>,
    d_sigma: Option<&mut [T]>,
) -> T {
    let n = broadcast_len(&[&y, &mu, &sigma]);
    let nf = n as f64;
    if let Arg::Scalar(_) | Arg::Const(_) = sigma {
        let s = sigma.get(0);
        let inv2 = (s * s).recip();
        // One pass stores g_i = (y_i - mu_i) / sigma² in a per-element
        // partials buffer (mu's, else y's); the other partials follow
        // from it or from the sums.
        let y_vec = !y.is_broadcast();
        let mu_vec = !mu.is_broadcast();
        let (mut d_y, mut d_mu) = (d_y, d_mu);
        for (d, vec) in [(d_y.as_deref(), y_vec), (d_mu.as_deref(), mu_vec)] {
            if let Some(o) = d {
                assert_eq!(
                    o.len(),
                    if vec { n } else { 1 },
                    "partials buffer has the wrong length"
                );
            }
        }
        let primary: Option<&mut [T]> =
            match (mu_vec, d_mu.as_deref_mut(), y_vec, d_y.as_deref_mut()) {
                (true, Some(o), _, _) => Some(o),
                (_, _, true, Some(o)) => Some(o),
                _ => None,
            };
        let (sum_sq, sum_r) = with_reader!(y, n, |ry| with_reader!(mu, n, |rm| residual_pass(
            ry, rm, n, inv2, primary
        )));
        let stored_in_mu = mu_vec && d_mu.is_some();
        let stored_in_y = !stored_in_mu && y_vec && d_y.is_some();
        // Σ g for a broadcast argument's partial: from the stored buffer
        // when there is one (the pass then skips Σ r), else from Σ r.
        let sum_g = || {
            let buf = if stored_in_mu {
                d_mu.as_deref()
            } else {
                d_y.as_deref()
            };
            match buf {
                Some(b) if stored_in_mu || stored_in_y => b.iter().fold(T::zero(), |a, &v| a + v),
                _ => sum_r * inv2,
            }
        };
        let g_mu = if !mu_vec && d_mu.is_some() {
            sum_g()
        } else {
            T::zero()
        };
        let g_y = if !y_vec && d_y.is_some() {
            -sum_g()
        } else {
            T::zero()
        };
        match (d_y, y_vec) {
            (Some(o), false) => o[0] = g_y,
            (Some(o), true) if stored_in_mu => {
                let g = d_mu.as_deref().unwrap_or(&[]);
                for (v, gi) in o.iter_mut().zip(g) {
                    *v = -*gi;
                }
            }
            (Some(o), true) => o.iter_mut().for_each(|v| *v = -*v),
            (None, _) => {}
        }
        if let (Some(o), false) = (d_mu, mu_vec) {
            o[0] = g_mu;
        }
        if let Some(o) = d_sigma {
            if let Arg::Scalar(_) = sigma {
                o[0] = (sum_sq * inv2 - nf) / s;
            }
        }
        return -(sum_sq * inv2) * 0.5 - s.ln() * nf - HALF_LOG_TWO_PI * nf;
    }
    let mut sy = Sink::new(d_y, &y, n);
    let mut smu = Sink::new(d_mu, &mu, n);
    let mut ssigma = Sink::new(d_sigma, &sigma, n);
    let mut sum_sq = T::zero();
    let mut sum_log = T::zero();
    for i in 0..n {
        let s = sigma.get(i);
        let inv = s.recip();
        let z = (y.get(i) - mu.get(i)) * inv;
        let z2 = z * z;
        sum_sq += z2;
        sum_log += s.ln();
        let g = z * inv;
        sy.put(i, -g);
        smu.put(i, g);
        ssigma.put(i, (z2 - 1.0) * inv);
    }
    sy.finish();
    smu.finish();
    ssigma.finish();
    -sum_sq * 0.5 - sum_log - HALF_LOG_TWO_PI * nf
}
