//! The built-in functions of the language: one registry shared by the
//! checker (names, arity, typing), the density compiler (evaluation) and
//! the documentation/REPL (`:help`).
//!
//! Overloads that differ in meaning are separate variants so that the IR is
//! unambiguous: `log_sum_exp(v)` reduces ([`Builtin::LogSumExp`]) while
//! `log_sum_exp(a, b)` is element-wise ([`Builtin::LogSumExp2`]); likewise
//! `min`/`max`.

macro_rules! builtins {
    ($( $variant:ident => $name:literal, $arity:literal, $sig:literal, $doc:literal; )*) => {
        /// A built-in function (distributions are in [`crate::dist`]).
        #[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, PartialOrd, Ord)]
        pub enum Builtin { $($variant),* }

        impl Builtin {
            /// Every built-in, in registry order.
            pub const ALL: &'static [Builtin] = &[$(Builtin::$variant),*];

            /// The name users write.
            pub fn name(self) -> &'static str {
                match self { $(Builtin::$variant => $name),* }
            }

            /// Number of arguments.
            pub fn arity(self) -> usize {
                match self { $(Builtin::$variant => $arity),* }
            }

            /// Accepted argument types and the result, as shown to users.
            pub fn signature(self) -> &'static str {
                match self { $(Builtin::$variant => $sig),* }
            }

            /// One-line description for `:help` and the docs.
            pub fn doc(self) -> &'static str {
                match self { $(Builtin::$variant => $doc),* }
            }
        }
    };
}

builtins! {
    // ---- element-wise, one argument: real -> real, int -> real, vector -> vector, matrix -> matrix
    Exp => "exp", 1, "exp(x): real|vector|matrix -> same shape", "e raised to x, element-wise";
    Log => "log", 1, "log(x): real|vector|matrix -> same shape", "natural logarithm, element-wise";
    Log2 => "log2", 1, "log2(x): real|vector|matrix -> same shape", "base-2 logarithm";
    Log10 => "log10", 1, "log10(x): real|vector|matrix -> same shape", "base-10 logarithm";
    Log1p => "log1p", 1, "log1p(x): real|vector|matrix -> same shape", "log(1 + x), accurate near 0";
    Expm1 => "expm1", 1, "expm1(x): real|vector|matrix -> same shape", "exp(x) - 1, accurate near 0";
    Log1m => "log1m", 1, "log1m(x): real|vector|matrix -> same shape", "log(1 - x), accurate near 0";
    Sqrt => "sqrt", 1, "sqrt(x): real|vector|matrix -> same shape", "square root";
    Square => "square", 1, "square(x): real|vector|matrix -> same shape", "x * x";
    Abs => "abs", 1, "abs(x): int -> int; real|vector|matrix -> same shape", "absolute value";
    Floor => "floor", 1, "floor(x): real|vector -> same shape (real)", "largest integer value not above x (as a real)";
    Ceil => "ceil", 1, "ceil(x): real|vector -> same shape (real)", "smallest integer value not below x (as a real)";
    Round => "round", 1, "round(x): real|vector -> same shape (real)", "nearest integer value, halves away from zero (as a real)";
    Inv => "inv", 1, "inv(x): real|vector|matrix -> same shape", "1 / x, element-wise";
    Logit => "logit", 1, "logit(p): real|vector|matrix -> same shape", "log(p / (1 - p))";
    InvLogit => "inv_logit", 1, "inv_logit(x): real|vector|matrix -> same shape", "logistic sigmoid 1 / (1 + exp(-x))";
    LogInvLogit => "log_inv_logit", 1, "log_inv_logit(x): real|vector|matrix -> same shape", "log of the logistic sigmoid, stable";
    Log1mInvLogit => "log1m_inv_logit", 1, "log1m_inv_logit(x): real|vector|matrix -> same shape", "log(1 - inv_logit(x)), stable";
    Log1pExp => "log1p_exp", 1, "log1p_exp(x): real|vector|matrix -> same shape", "log(1 + exp(x)) (softplus), stable";
    Lgamma => "lgamma", 1, "lgamma(x): real|vector|matrix -> same shape", "log of the absolute gamma function";
    Digamma => "digamma", 1, "digamma(x): real|vector|matrix -> same shape", "derivative of lgamma";
    Erf => "erf", 1, "erf(x): real|vector|matrix -> same shape", "error function";
    Phi => "Phi", 1, "Phi(x): real|vector|matrix -> same shape", "standard normal cumulative distribution function";
    Sin => "sin", 1, "sin(x): real|vector|matrix -> same shape", "sine";
    Cos => "cos", 1, "cos(x): real|vector|matrix -> same shape", "cosine";
    Tanh => "tanh", 1, "tanh(x): real|vector|matrix -> same shape", "hyperbolic tangent";
    // ---- element-wise, two arguments with scalar broadcasting
    Pow => "pow", 2, "pow(x, y): real|vector, real|vector -> broadcast shape", "x raised to y (same as x ^ y)";
    Fmin => "fmin", 2, "fmin(x, y): real|vector, real|vector -> broadcast shape", "smaller of two reals";
    Fmax => "fmax", 2, "fmax(x, y): real|vector, real|vector -> broadcast shape", "larger of two reals";
    Lbeta => "lbeta", 2, "lbeta(a, b): real|vector, real|vector -> broadcast shape", "log of the beta function";
    LogSumExp2 => "log_sum_exp", 2, "log_sum_exp(a, b): real|vector, real|vector -> broadcast shape", "log(exp(a) + exp(b)), stable, element-wise";
    Min2 => "min", 2, "min(a, b): int, int -> int; real|vector, real|vector -> broadcast shape", "element-wise minimum";
    Max2 => "max", 2, "max(a, b): int, int -> int; real|vector, real|vector -> broadcast shape", "element-wise maximum";
    // ---- reductions
    Sum => "sum", 1, "sum(v): vector|matrix -> real; int[] -> int", "sum of all elements";
    Mean => "mean", 1, "mean(v): vector|matrix|int[] -> real", "arithmetic mean of all elements";
    Sd => "sd", 1, "sd(v): vector|int[] -> real", "sample standard deviation (N - 1 denominator)";
    Min => "min", 1, "min(v): vector -> real; int[] -> int", "smallest element";
    Max => "max", 1, "max(v): vector -> real; int[] -> int", "largest element";
    LogSumExp => "log_sum_exp", 1, "log_sum_exp(v): vector -> real", "log(sum(exp(v))), stable";
    DotProduct => "dot_product", 2, "dot_product(a, b): vector, vector -> real", "sum of a .* b";
    DotSelf => "dot_self", 1, "dot_self(v): vector -> real", "sum of squares";
    // ---- sizes
    Size => "size", 1, "size(v): vector|int[]|matrix -> int", "number of elements (rows of a matrix)";
    Rows => "rows", 1, "rows(m): matrix|vector -> int", "number of rows";
    Cols => "cols", 1, "cols(m): matrix -> int; vector -> 1", "number of columns";
    // ---- vector constructors and transforms
    Col => "col", 2, "col(m, j): matrix, int -> vector", "column j of a matrix";
    Row => "row", 2, "row(m, i): matrix, int -> vector", "row i of a matrix (same as m[i])";
    Reverse => "reverse", 1, "reverse(v): vector|int[] -> same", "elements in reverse order";
    CumulativeSum => "cumulative_sum", 1, "cumulative_sum(v): vector|int[] -> same", "running sums";
    Softmax => "softmax", 1, "softmax(v): vector -> vector", "exp(v) / sum(exp(v))";
    LogSoftmax => "log_softmax", 1, "log_softmax(v): vector -> vector", "v - log_sum_exp(v)";
    RepVector => "rep_vector", 2, "rep_vector(x, n): real, int -> vector", "a vector of n copies of x";
    RepMatrix => "rep_matrix", 3, "rep_matrix(x, m, n): real, int, int -> matrix", "an m-by-n matrix filled with x";
    AppendRow => "append_row", 2, "append_row(a, b): real|vector, real|vector -> vector; matrix, matrix -> matrix", "concatenation (stacks rows of matrices)";
    Transpose => "transpose", 1, "transpose(m): matrix -> matrix", "matrix transpose";
    // ---- matrices
    DiagMatrix => "diag_matrix", 1, "diag_matrix(v): vector -> matrix", "square matrix with v on the diagonal";
    DiagPreMultiply => "diag_pre_multiply", 2, "diag_pre_multiply(v, m): vector, matrix -> matrix", "diag_matrix(v) * m, computed row-wise";
    CholeskyDecompose => "cholesky_decompose", 1, "cholesky_decompose(m): matrix -> matrix", "lower Cholesky factor L of a symmetric positive-definite m = L L'";
    MultiplyLowerTriSelfTranspose => "multiply_lower_tri_self_transpose", 1, "multiply_lower_tri_self_transpose(m): matrix -> matrix", "L L' using the lower triangle of m";
}

impl Builtin {
    /// All built-ins with this name (a name may have several arities).
    pub fn lookup(name: &str) -> impl Iterator<Item = Builtin> + '_ {
        Builtin::ALL.iter().copied().filter(move |b| b.name() == name)
    }

    /// The built-in with this name and arity, if any.
    pub fn resolve(name: &str, arity: usize) -> Option<Builtin> {
        Builtin::lookup(name).find(|b| b.arity() == arity)
    }

    /// Element-wise functions of one real argument.
    pub fn is_elementwise_unary(self) -> bool {
        (self as usize) <= (Builtin::Tanh as usize)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overloads_resolve_by_arity() {
        assert_eq!(Builtin::resolve("log_sum_exp", 1), Some(Builtin::LogSumExp));
        assert_eq!(Builtin::resolve("log_sum_exp", 2), Some(Builtin::LogSumExp2));
        assert_eq!(Builtin::resolve("min", 2), Some(Builtin::Min2));
        assert_eq!(Builtin::resolve("exp", 2), None);
        assert!(Builtin::Tanh.is_elementwise_unary());
        assert!(!Builtin::Pow.is_elementwise_unary());
    }

    #[test]
    fn names_are_unique_per_arity() {
        for a in Builtin::ALL {
            for b in Builtin::ALL {
                if a != b {
                    assert!(a.name() != b.name() || a.arity() != b.arity(), "{a:?} {b:?}");
                }
            }
        }
    }
}
