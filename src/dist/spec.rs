//! What the checker, the documentation and the engine know about a
//! distribution besides its numerics: domains, argument shapes and specs.

/// The set of values an argument (or the variate) may take.
#[derive(Clone, Copy, PartialEq, Debug)]
pub enum Domain {
    /// Any finite real.
    Real,
    /// > 0
    Positive,
    /// >= 0
    NonNegative,
    /// In (0, 1).
    Unit,
    /// In [0, 1].
    Probability,
    /// Any integer.
    Int,
    /// Integer >= 0.
    NonNegInt,
    /// 0 or 1.
    Binary,
    /// Integer >= 1 (categories are 1-based).
    PositiveInt,
    /// Non-negative entries summing to 1.
    Simplex,
    /// Symmetric positive-definite matrix.
    Covariance,
    /// Lower-triangular with positive diagonal.
    CholeskyFactor,
    /// Cholesky factor of a correlation matrix (unit-length rows).
    CorrCholesky,
    /// No constraint beyond the shape (vectors of any reals).
    Any,
}

impl Domain {
    /// Whether a single element value lies in the domain (element-wise
    /// domains only; structured domains are checked by the distribution).
    pub fn contains(self, x: f64) -> bool {
        match self {
            Domain::Real => x.is_finite(),
            Domain::Positive => x > 0.0 && x.is_finite(),
            Domain::NonNegative => x >= 0.0 && x.is_finite(),
            Domain::Unit => x > 0.0 && x < 1.0,
            Domain::Probability => (0.0..=1.0).contains(&x),
            Domain::Int => x.fract() == 0.0 && x.is_finite(),
            Domain::NonNegInt => x.fract() == 0.0 && x >= 0.0 && x.is_finite(),
            Domain::Binary => x == 0.0 || x == 1.0,
            Domain::PositiveInt => x.fract() == 0.0 && x >= 1.0 && x.is_finite(),
            Domain::Simplex
            | Domain::Covariance
            | Domain::CholeskyFactor
            | Domain::CorrCholesky
            | Domain::Any => !x.is_nan(),
        }
    }

    /// The position of the first element outside the domain. The domain
    /// is matched once, not per element, and the elements are first
    /// scanned without an early exit (which vectorises): this check runs
    /// at every evaluation of the density, over every row.
    pub fn first_outside(self, xs: impl Iterator<Item = f64> + Clone) -> Option<usize> {
        fn scan(
            mut xs: impl Iterator<Item = f64> + Clone,
            inside: impl Fn(f64) -> bool,
        ) -> Option<usize> {
            if xs.clone().fold(true, |ok, x| ok & inside(x)) {
                return None;
            }
            xs.position(|x| !inside(x))
        }
        macro_rules! by_domain {
            ($($d:ident),*) => {
                match self {
                    $(Domain::$d => scan(xs, |x| Domain::$d.contains(x)),)*
                }
            };
        }
        by_domain!(
            Real,
            Positive,
            NonNegative,
            Unit,
            Probability,
            Int,
            NonNegInt,
            Binary,
            PositiveInt,
            Simplex,
            Covariance,
            CholeskyFactor,
            CorrCholesky,
            Any
        )
    }

    /// How the domain reads in a message: "must be positive".
    pub fn describe(self) -> &'static str {
        match self {
            Domain::Real => "finite",
            Domain::Positive => "positive",
            Domain::NonNegative => "non-negative",
            Domain::Unit => "in (0, 1)",
            Domain::Probability => "in [0, 1]",
            Domain::Int => "an integer",
            Domain::NonNegInt => "a non-negative integer",
            Domain::Binary => "0 or 1",
            Domain::PositiveInt => "a positive integer",
            Domain::Simplex => "a simplex (non-negative, summing to 1)",
            Domain::Covariance => "symmetric positive-definite",
            Domain::CholeskyFactor => "a lower-triangular Cholesky factor",
            Domain::CorrCholesky => "the Cholesky factor of a correlation matrix",
            Domain::Any => "any value",
        }
    }

    pub fn is_integer(self) -> bool {
        matches!(
            self,
            Domain::Int | Domain::NonNegInt | Domain::Binary | Domain::PositiveInt
        )
    }
}

/// The shape an argument may have.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ArgShape {
    /// A scalar or a vector (int array for integer arguments); vectors
    /// must all have the same length and scalars broadcast.
    Elem,
    /// A scalar only.
    Scalar,
    /// A vector (for integer variates of `categorical`, an int or int array).
    Vector,
    /// A matrix.
    Matrix,
}

#[derive(Clone, Copy, PartialEq, Debug)]
pub struct ArgSpec {
    pub name: &'static str,
    pub shape: ArgShape,
    pub domain: Domain,
}

impl ArgSpec {
    pub const fn new(name: &'static str, shape: ArgShape, domain: Domain) -> ArgSpec {
        ArgSpec {
            name,
            shape,
            domain,
        }
    }
}

/// Everything the checker, the documentation and the engine need to know
/// about a distribution besides its numerics.
#[derive(Clone, Copy, PartialEq, Debug)]
pub struct DistSpec {
    pub name: &'static str,
    /// The variate (`y` in `y ~ d(...)`), with its support as domain.
    pub variate: ArgSpec,
    pub args: &'static [ArgSpec],
    /// Density and parameterization, for `:help` and the docs.
    pub doc: &'static str,
}

impl DistSpec {
    /// `lpmf` for integer variates, `lpdf` otherwise.
    pub fn is_discrete(&self) -> bool {
        self.variate.domain.is_integer()
    }
    pub fn suffix(&self) -> &'static str {
        if self.is_discrete() { "_lpmf" } else { "_lpdf" }
    }
}

#[cfg(test)]
mod tests {
    use super::Domain;

    /// `first_outside` finds the same element as testing each element with
    /// `contains`, for every domain, wherever the first bad element is.
    #[test]
    fn first_outside_agrees_with_contains_element_by_element() {
        let values = [
            0.0,
            1.0,
            0.5,
            -1.0,
            2.0,
            1.5,
            3.0,
            -0.0,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            1e308,
            -7.0,
        ];
        let domains = [
            Domain::Real,
            Domain::Positive,
            Domain::NonNegative,
            Domain::Unit,
            Domain::Probability,
            Domain::Int,
            Domain::NonNegInt,
            Domain::Binary,
            Domain::PositiveInt,
            Domain::Simplex,
            Domain::Covariance,
            Domain::CholeskyFactor,
            Domain::CorrCholesky,
            Domain::Any,
        ];
        for dom in domains {
            // Every rotation of the values, and runs of one value (all
            // inside, or all outside), long enough for the vector loop.
            for r in 0..values.len() {
                let mut xs = values.to_vec();
                xs.rotate_left(r);
                let expected = xs.iter().position(|&x| !dom.contains(x));
                assert_eq!(
                    dom.first_outside(xs.iter().copied()),
                    expected,
                    "{dom:?} {xs:?}"
                );
            }
            for &v in &values {
                let mut xs = vec![v; 37];
                let expected = xs.iter().position(|&x| !dom.contains(x));
                assert_eq!(
                    dom.first_outside(xs.iter().copied()),
                    expected,
                    "{dom:?} {v}"
                );
                xs[29] = f64::NAN;
                let expected = xs.iter().position(|&x| !dom.contains(x));
                assert_eq!(
                    dom.first_outside(xs.iter().copied()),
                    expected,
                    "{dom:?} {v}"
                );
            }
        }
    }
}
