//! The numeric type every density, transform and distribution is written
//! over: `f64` for plain evaluation, `Dual64` for Hessian–vector products,
//! `DualSVec64<8>` for Hessian columns, and nested duals for the partial
//! derivatives the reverse pass needs. Special functions (lgamma, digamma,
//! erf, Phi, ...) are lifted from `f64` implementations with an exact
//! nilpotent Taylor step (see [`lift`]) so that they carry derivatives of
//! every order the engine uses.

use num_dual::{Dual, DualNum};

mod cumulative;
mod functions;
pub mod incomplete;
pub mod linalg;
pub mod special;

pub use cumulative::*;
pub use functions::*;

/// A real number, possibly carrying derivatives.
pub trait Scalar: DualNum<Primitive = f64> + Copy + Send + Sync {}

impl<T: DualNum<Primitive = f64> + Copy + Send + Sync> Scalar for T {}

/// The largest number of scalar entries a univariate distribution takes
/// (variate plus arguments).
pub const MAX_ARITY: usize = 6;

/// Highest derivative order that lifted special functions carry exactly.
///
/// The engine nests at most `Dual<Dual<Dual64>>` or `Dual<DualSVec64<8>>`
/// (order 3 and 2); one order of headroom is kept. Evaluating a lifted
/// function on a type of higher order ([`DualNum::NDERIV`]) panics rather
/// than silently dropping derivatives.
pub const TAYLOR_ORDER: usize = 4;

/// Lifts a function known through its `f64` derivatives to any [`Scalar`].
///
/// With a = re(x) and n = x − a (nilpotent: n^(NDERIV+1) = 0), the Taylor
/// series f(a) + f′(a) n + f″(a) n²/2 + ... terminates, so the result
/// carries every derivative exactly. `derivative(a, k)` returns f⁽ᵏ⁾(a); it
/// is only asked for the orders the type `T` carries, so `f64` pays for the
/// value alone.
#[inline]
pub fn lift<T: Scalar>(x: T, derivative: impl Fn(f64, usize) -> f64) -> T {
    let a = x.re();
    let value = T::from(derivative(a, 0));
    let order = T::NDERIV;
    if order == 0 {
        return value;
    }
    assert!(
        order <= TAYLOR_ORDER,
        "derivatives of order {order} requested, special functions carry {TAYLOR_ORDER}"
    );
    let n = x - T::from(a);
    let mut power = T::one();
    let mut out = value;
    let mut factorial = 1.0;
    for k in 1..=order {
        power *= n;
        factorial *= k as f64;
        out += power * (derivative(a, k) / factorial);
    }
    out
}

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
