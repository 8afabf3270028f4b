//! Built-in functions other than element-wise arithmetic, by family: the
//! functions of whole vectors (`vectors`), sizes and shapes (`shapes`),
//! matrix functions (`matrix`, `matrix_ops`), linear algebra (`linalg`) and
//! Gaussian-process kernels (`kernels`). Element-wise functions are operators
//! (see `operators`).

mod arrays;
mod kernels;
mod linalg;
mod matrix;
mod matrix_ops;
mod shapes;
mod vectors;

use crate::builtins::Builtin;
use crate::density::eval::Evaluator;
use crate::density::eval::workspace::{EvalError, EvalResult};
use crate::density::value::Value;
use crate::ir::Expr;
use crate::scalar::Scalar;
use crate::source::Span;

impl<T: Scalar> Evaluator<'_, T> {
    /// Calls built-in `f` on the values `a` of the argument expressions
    /// `exprs` (whose spans locate errors in one argument).
    pub fn builtin(
        &mut self,
        f: Builtin,
        a: &[Value],
        exprs: &[Expr],
        span: Span,
    ) -> EvalResult<Value> {
        if f.is_elementwise_unary() {
            return self.map_unary(f, a[0]);
        }
        match f {
            Builtin::Pow
            | Builtin::Fmin
            | Builtin::Fmax
            | Builtin::Lbeta
            | Builtin::LogSumExp2
            | Builtin::Min2
            | Builtin::Max2
            | Builtin::Atan2
            | Builtin::Lchoose
            | Builtin::BinaryLogLoss
            | Builtin::Lmgamma => self.map_binary(f, a[0], a[1], span),
            Builtin::Sum
            | Builtin::Mean
            | Builtin::Sd
            | Builtin::Min
            | Builtin::Max
            | Builtin::LogSumExp
            | Builtin::DotProduct
            | Builtin::DotSelf
            | Builtin::CumulativeSum
            | Builtin::Softmax
            | Builtin::LogSoftmax => self.vector_function(f, a, span),
            Builtin::Size
            | Builtin::Rows
            | Builtin::Cols
            | Builtin::Col
            | Builtin::Row
            | Builtin::Reverse
            | Builtin::RepVector
            | Builtin::RepMatrix
            | Builtin::RepMatrixColumns
            | Builtin::AppendRow
            | Builtin::Transpose
            | Builtin::DiagMatrix => self.shape_function(f, a, exprs, span),
            Builtin::DiagPreMultiply
            | Builtin::CholeskyDecompose
            | Builtin::MultiplyLowerTriSelfTranspose => self.matrix_function(f, a, span),
            Builtin::MdivideLeftTriLow
            | Builtin::MdivideRightTriLow
            | Builtin::MdivideLeftSpd
            | Builtin::LogDeterminant
            | Builtin::Determinant
            | Builtin::Inverse
            | Builtin::InverseSpd => self.linalg_function(f, a, span),
            Builtin::QuadForm
            | Builtin::QuadFormDiag
            | Builtin::Trace
            | Builtin::Crossprod
            | Builtin::Tcrossprod
            | Builtin::AddDiag
            | Builtin::Diagonal
            | Builtin::IdentityMatrix
            | Builtin::ToMatrix
            | Builtin::ToMatrixArray
            | Builtin::AppendCol => self.matrix_op(f, a, span),
            Builtin::GpExpQuadCov
            | Builtin::CovExpQuad
            | Builtin::GpMatern32Cov
            | Builtin::GpMatern52Cov
            | Builtin::GpPeriodicCov
            | Builtin::GpExpQuadCross
            | Builtin::CovExpQuadCross
            | Builtin::GpMatern32Cross
            | Builtin::GpMatern52Cross
            | Builtin::GpPeriodicCross => self.gp_kernel(f, a, span),
            _ => self.array_function(f, a, exprs, span),
        }
    }
}

/// The span of argument `k`, or of the whole call.
fn argument_span(exprs: &[Expr], k: usize, span: Span) -> Span {
    exprs.get(k).map(|e| e.span).unwrap_or(span)
}

/// A built-in that is not a function of values (the checker never lets
/// one through).
fn not_here(f: Builtin, span: Span) -> Box<EvalError> {
    EvalError::fatal(span, format!("`{}` cannot be used here", f.name()))
}
