//! The calling convention of slice kernels ([`Arg`]), the static readers
//! and partials sinks their hot loops use, and helpers shared by the
//! distributions (drawing, log-factorials, broadcast lengths).

use crate::random::VRng;
use crate::scalar::Scalar;

/// One argument of a vectorized (slice) kernel such as
/// [`normal::normal_lpdf_sum`]: a value broadcast over every element or
/// one value per element, either carrying derivatives (`T`) or plain data
/// (`f64`, never lifted to duals). Borrowing keeps kernel calls free of
/// allocation.
///
/// Kernels take, beside each argument that carries derivatives, an
/// `Option<&mut [T]>` that receives its partial derivatives (overwritten,
/// not added): one per element for [`Arg::Slice`], and for a broadcast
/// [`Arg::Scalar`] a single entry holding the sum over all elements. Data
/// arguments have no partials (pass `None`). All slices must have the same
/// length (the shape checks of the caller guarantee it); the kernel
/// returns the summed log density.
#[derive(Clone, Copy, Debug)]
pub enum Arg<'a, T> {
    /// A parameter-dependent scalar, broadcast.
    Scalar(T),
    /// A parameter-dependent vector.
    Slice(&'a [T]),
    /// A data scalar, broadcast.
    Const(f64),
    /// A data vector.
    ConstSlice(&'a [f64]),
}

impl<'a, T: Scalar> Arg<'a, T> {
    /// Number of elements, or `None` when broadcast.
    pub fn vector_len(&self) -> Option<usize> {
        match self {
            Arg::Slice(s) => Some(s.len()),
            Arg::ConstSlice(s) => Some(s.len()),
            Arg::Scalar(_) | Arg::Const(_) => None,
        }
    }

    pub fn is_broadcast(&self) -> bool {
        self.vector_len().is_none()
    }

    /// Element `i` (the broadcast value for scalars).
    #[inline(always)]
    pub fn get(&self, i: usize) -> T {
        match *self {
            Arg::Scalar(x) => x,
            Arg::Slice(s) => s[i],
            Arg::Const(x) => T::from(x),
            Arg::ConstSlice(s) => T::from(s[i]),
        }
    }
}

/// Static readers for the hot loops of slice kernels: [`with_reader!`]
/// turns an [`Arg`] into one of these so that each combination of
/// argument kinds gets its own branch-free, bounds-check-free loop.
pub(crate) trait Reader<T>: Copy {
    fn at(&self, i: usize) -> T;
}

#[derive(Clone, Copy)]
pub(crate) struct Broadcast<T>(pub T);
#[derive(Clone, Copy)]
pub(crate) struct Elements<'a, T>(pub &'a [T]);
#[derive(Clone, Copy)]
pub(crate) struct DataBroadcast(pub f64);
#[derive(Clone, Copy)]
pub(crate) struct DataElements<'a>(pub &'a [f64]);

impl<T: Scalar> Reader<T> for Broadcast<T> {
    #[inline(always)]
    fn at(&self, _: usize) -> T {
        self.0
    }
}
impl<T: Scalar> Reader<T> for Elements<'_, T> {
    #[inline(always)]
    fn at(&self, i: usize) -> T {
        self.0[i]
    }
}
impl<T: Scalar> Reader<T> for DataBroadcast {
    #[inline(always)]
    fn at(&self, _: usize) -> T {
        T::from(self.0)
    }
}
impl<T: Scalar> Reader<T> for DataElements<'_> {
    #[inline(always)]
    fn at(&self, i: usize) -> T {
        T::from(self.0[i])
    }
}

/// `with_reader!(arg, n, |r| body)`: runs `body` with `r` bound to the
/// static reader of `arg` (slices cut to length `n`).
macro_rules! with_reader {
    ($arg:expr, $n:expr, |$r:ident| $body:expr) => {
        match $arg {
            $crate::dist::Arg::Scalar(x) => {
                let $r = $crate::dist::Broadcast(x);
                $body
            }
            $crate::dist::Arg::Slice(s) => {
                let $r = $crate::dist::Elements(&s[..$n]);
                $body
            }
            $crate::dist::Arg::Const(x) => {
                let $r = $crate::dist::DataBroadcast(x);
                $body
            }
            $crate::dist::Arg::ConstSlice(s) => {
                let $r = $crate::dist::DataElements(&s[..$n]);
                $body
            }
        }
    };
}
pub(crate) use with_reader;

/// Where a slice kernel writes the partials of one argument: per element,
/// or summed into one entry for a broadcast argument.
pub(crate) struct Sink<'a, T> {
    out: Option<&'a mut [T]>,
    per_element: bool,
    acc: T,
}

impl<'a, T: Scalar> Sink<'a, T> {
    pub(crate) fn new(out: Option<&'a mut [T]>, arg: &Arg<'_, T>, n: usize) -> Sink<'a, T> {
        let per_element = !arg.is_broadcast();
        if let Some(o) = &out {
            assert_eq!(
                o.len(),
                if per_element { n } else { 1 },
                "partials buffer has the wrong length"
            );
        }
        Sink {
            out,
            per_element,
            acc: T::zero(),
        }
    }

    #[inline(always)]
    pub(crate) fn put(&mut self, i: usize, v: T) {
        if let Some(o) = self.out.as_deref_mut() {
            if self.per_element {
                o[i] = v;
            } else {
                self.acc += v;
            }
        }
    }

    /// Writes the sum for a broadcast argument.
    pub(crate) fn finish(self) {
        if let Some(o) = self.out {
            if !self.per_element {
                o[0] = self.acc;
            }
        }
    }
}

/// Draws from a `rand_distr` distribution, NaN when its parameters are
/// rejected (callers check domains first, so this marks a bug, not a panic).
pub(crate) fn draw<D, E>(d: Result<D, E>, rng: &mut VRng) -> f64
where
    D: rand_distr::Distribution<f64>,
{
    match d {
        Ok(d) => d.sample(rng),
        Err(_) => f64::NAN,
    }
}

/// A uniform draw in the open interval (0, 1).
pub(crate) fn open01(rng: &mut VRng) -> f64 {
    rand_distr::Distribution::sample(&rand_distr::Open01, rng)
}

/// log(y!) for a non-negative integer y given as a real: integer entries
/// are data, so no derivative is carried.
pub(crate) fn lfactorial(y: f64) -> f64 {
    crate::scalar::special::lgamma(y + 1.0)
}

/// The common length of the arguments of a slice kernel (1 when all are
/// broadcast).
///
/// # Panics
/// When two vector arguments differ in length: callers check shapes first.
pub fn broadcast_len<T: Scalar>(args: &[&Arg<'_, T>]) -> usize {
    let mut n = None;
    for a in args {
        if let Some(l) = a.vector_len() {
            match n {
                None => n = Some(l),
                Some(m) => assert_eq!(m, l, "vectorized arguments differ in length"),
            }
        }
    }
    n.unwrap_or(1)
}
