//! `student_t` — student_t(nu, mu, sigma): Student's t with nu > 0 degrees of freedom, location mu, scale sigma > 0

use super::draw;
use super::{ArgShape, ArgSpec, DistSpec, Domain, Univariate};
use crate::random::VRng;
use crate::scalar::{Scalar, digamma, lbeta, log_student_t_cdf};

pub struct StudentT;

const SPEC: DistSpec = DistSpec {
    name: "student_t",
    variate: ArgSpec::new("y", ArgShape::Elem, Domain::Real),
    args: &[
        ArgSpec::new("nu", ArgShape::Elem, Domain::Positive),
        ArgSpec::new("mu", ArgShape::Elem, Domain::Real),
        ArgSpec::new("sigma", ArgShape::Elem, Domain::Positive),
    ],
    doc: "student_t(nu, mu, sigma): Student's t with nu > 0 degrees of freedom, location mu, scale sigma > 0",
};

impl Univariate for StudentT {
    const SPEC: DistSpec = SPEC;
    const ARITY: usize = 4;

    fn lpdf<T: Scalar>(x: &[T]) -> T {
        let (y, nu, mu, sigma) = (x[0], x[1], x[2], x[3]);
        let z = (y - mu) / sigma;
        let r = z * z / nu;
        norm(nu) - sigma.ln() - (nu + 1.0) * 0.5 * r.ln_1p()
    }

    fn lpdf_partials<T: Scalar>(x: &[T], d: &mut [T]) -> T {
        let (y, nu, mu, sigma) = (x[0], x[1], x[2], x[3]);
        let inv_s = sigma.recip();
        let z = (y - mu) * inv_s;
        let r = z * z / nu;
        let q = r + 1.0;
        let l1r = r.ln_1p();
        let half_nu1 = (nu + 1.0) * 0.5;
        let w = (nu + 1.0) / q; // (nu + 1) / (1 + z²/nu)
        let dy = -(w * z) / nu * inv_s;
        d[0] = dy;
        d[2] = -dy;
        d[3] = (w * r - 1.0) * inv_s;
        d[1] = (digamma(half_nu1) - digamma(nu * 0.5)) * 0.5 - (nu.recip() + l1r) * 0.5
            + w * r / nu * 0.5;
        norm(nu) - sigma.ln() - half_nu1 * l1r
    }

    const HAS_CDF: bool = true;

    fn lcdf<T: Scalar>(x: &[T]) -> T {
        log_student_t_cdf(x[1], (x[0] - x[2]) / x[3])
    }

    fn lccdf<T: Scalar>(x: &[T]) -> T {
        log_student_t_cdf(x[1], (x[2] - x[0]) / x[3])
    }

    fn rng(args: &[f64], rng: &mut VRng) -> f64 {
        args[1] + args[2] * draw(rand_distr::StudentT::new(args[0]), rng)
    }
}

/// log Γ((ν+1)/2) − log Γ(ν/2) − ½ log(νπ), written as −lbeta(ν/2, ½) − ½ log ν
/// (Γ(½) = √π) so that large ν does not cancel two huge lgammas.
fn norm<T: Scalar>(nu: T) -> T {
    -lbeta(nu * 0.5, T::from(0.5)) - nu.ln() * 0.5
}
