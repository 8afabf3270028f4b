//! The numeric type every density, transform and distribution is written
//! over: `f64` for plain evaluation, `Dual64` for Hessian–vector products,
//! `DualSVec64<8>` for Hessian columns, and nested duals for the partial
//! derivatives the reverse pass needs. Special functions (lgamma, digamma,
//! erf, Phi, ...) are lifted from `f64` implementations with an exact
//! nilpotent Taylor step so that they carry derivatives of every order the
//! engine uses.

use num_dual::{Dual, DualNum};

/// A real number, possibly carrying derivatives.
pub trait Scalar: DualNum<Primitive = f64> + Copy + Send + Sync {}

impl<T: DualNum<Primitive = f64> + Copy + Send + Sync> Scalar for T {}

/// The largest number of scalar entries a univariate distribution takes
/// (variate plus arguments).
pub const MAX_ARITY: usize = 6;

/// Value of `f(x)` and its partial derivatives with respect to every entry
/// of `x`, one forward dual-number sweep per entry.
pub fn partials<T: Scalar>(x: &[T], d: &mut [T], f: impl Fn(&[Dual<T>]) -> Dual<T>) -> T {
    let n = x.len();
    assert!(n <= MAX_ARITY && d.len() == n);
    let mut buf = [Dual::from_re(T::zero()); MAX_ARITY];
    for (b, &xi) in buf.iter_mut().zip(x) {
        *b = Dual::from_re(xi);
    }
    if n == 0 {
        return f(&buf[..0]).re;
    }
    let mut value = T::zero();
    for i in 0..n {
        buf[i].eps = T::one();
        let r = f(&buf[..n]);
        buf[i].eps = T::zero();
        d[i] = r.eps;
        value = r.re;
    }
    value
}
