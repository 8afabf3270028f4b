//! `normal` — normal(mu, sigma): density exp(-((y - mu) / sigma)^2 / 2) / (sigma sqrt(2 pi)); y real, sigma > 0 is the standard deviation

use super::{ArgShape, ArgSpec, DistSpec, Domain, Univariate};
use crate::random::VRng;
use super::{Arg, Sink, broadcast_len, draw};
use crate::scalar::{HALF_LOG_TWO_PI, Scalar};

pub struct Normal;

const SPEC: DistSpec = DistSpec {
    name: "normal",
    variate: ArgSpec::new("y", ArgShape::Elem, Domain::Real),
    args: &[ArgSpec::new("mu", ArgShape::Elem, Domain::Real), ArgSpec::new("sigma", ArgShape::Elem, Domain::Positive)],
    doc: "normal(mu, sigma): density exp(-((y - mu) / sigma)^2 / 2) / (sigma sqrt(2 pi)); y real, sigma > 0 is the standard deviation",
};

impl Univariate for Normal {
    const SPEC: DistSpec = SPEC;
    const ARITY: usize = 3;

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

    fn rng(args: &[f64], rng: &mut VRng) -> f64 {
        draw(rand_distr::Normal::new(args[0], args[1]), rng)
    }
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
    let mut sy = Sink::new(d_y, &y, n);
    let mut smu = Sink::new(d_mu, &mu, n);
    let mut ssigma = Sink::new(d_sigma, &sigma, n);
    let nf = n as f64;
    if sigma.is_broadcast() {
        let s = sigma.get(0);
        let inv2 = (s * s).recip();
        let mut sum_sq = T::zero();
        let want = sy.wanted() || smu.wanted();
        for i in 0..n {
            let r = y.get(i) - mu.get(i);
            sum_sq += r * r;
            if want {
                let g = r * inv2;
                sy.put(i, -g);
                smu.put(i, g);
            }
        }
        if ssigma.wanted() {
            ssigma.put(0, (sum_sq * inv2 - nf) / s);
        }
        sy.finish();
        smu.finish();
        ssigma.finish();
        return -(sum_sq * inv2) * 0.5 - s.ln() * nf - HALF_LOG_TWO_PI * nf;
    }
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
