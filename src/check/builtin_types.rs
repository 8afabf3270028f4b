//! The typing rules of the built-in functions: the result type of each
//! form, and the symbolic sizes of results where the arguments fix them.

use super::types::{Dims, TypedExpr};
use crate::builtins::Builtin;
use crate::ir::ValueType;

/// Result type of a built-in applied to argument types, if it applies.
pub(super) fn builtin_type(b: Builtin, args: &[ValueType]) -> Option<ValueType> {
    use Builtin as B;
    use ValueType::*;
    let vec_like = |t: ValueType| matches!(t, Vector | IntArray);
    let real_or_vec = |t: ValueType| t.is_scalar() || vec_like(t);
    // GP points: one per entry of a vector, or one per row of a real[N, D].
    let points = |t: ValueType| vec_like(t) || t == Matrix;
    let broadcast = |a: ValueType, b: ValueType| -> Option<ValueType> {
        if !(real_or_vec(a) && real_or_vec(b)) {
            None
        } else if a.is_scalar() && b.is_scalar() {
            Some(Real)
        } else {
            Some(Vector)
        }
    };
    match (b, args) {
        (B::Abs, [Int]) => Some(Int),
        (B::Floor | B::Ceil | B::Round, [t]) => match t {
            Int | Real => Some(Real),
            Vector | IntArray => Some(Vector),
            Matrix | IntMatrix | Array3 | IntArray3 => None,
        },
        (b, [t]) if b.is_elementwise_unary() => match t {
            Int | Real => Some(Real),
            Vector | IntArray => Some(Vector),
            Matrix | IntMatrix => Some(Matrix),
            Array3 | IntArray3 => None,
        },
        (B::Min2 | B::Max2, [Int, Int]) => Some(Int),
        (B::BinaryLogLoss, [a, _]) if !a.is_int_valued() => None,
        (B::Lmgamma, [a, _]) if *a != Int => None,
        (B::Lmgamma, [_, Int | Real]) => Some(Real),
        (B::Lmgamma, [_, Vector | IntArray]) => Some(Vector),
        (B::Lmgamma, [_, Matrix | IntMatrix]) => None,
        (B::SortIndicesAsc | B::SortIndicesDesc, [Vector | IntArray]) => Some(IntArray),
        (B::Rank, [Vector | IntArray, Int]) => Some(Int),
        (b, [a, c]) if b.is_broadcasting_binary() => broadcast(*a, *c),
        (B::Choose, [Int, Int]) => Some(Int),
        (B::LogMix3, [a, c, d]) if a.is_scalar() && c.is_scalar() && d.is_scalar() => Some(Real),
        (B::LogMix, [a, c]) if vec_like(*a) && vec_like(*c) => Some(Real),
        (B::IsNan | B::IsInf, [t]) if t.is_scalar() => Some(Int),
        (
            B::Pi
            | B::E
            | B::Sqrt2
            | B::NotANumber
            | B::PositiveInfinity
            | B::NegativeInfinity
            | B::MachinePrecision,
            [],
        ) => Some(Real),
        (B::Prod, [IntArray]) => Some(Int),
        (B::Prod, [Vector | Matrix]) => Some(Real),
        (B::Variance, [Vector | Matrix | IntArray]) => Some(Real),
        (B::NumElements, [_]) => Some(Int),
        (B::ToVector | B::ToRowVector, [Vector | IntArray | Matrix]) => Some(Vector),
        (B::ToArray1d, [IntArray | IntArray3]) => Some(IntArray),
        (B::ToArray1d, [Array3]) => Some(Vector),
        (B::ToArray1d, [Vector | Matrix]) => Some(Vector),
        (B::Head | B::Tail, [t @ (Vector | IntArray), Int]) => Some(*t),
        (B::Segment, [t @ (Vector | IntArray), Int, Int]) => Some(*t),
        (B::RepArray, [Int, Int]) => Some(IntArray),
        (B::RepArray, [Real, Int]) => Some(Vector),
        (B::LinspacedVector, [Int, a, c]) if a.is_scalar() && c.is_scalar() => Some(Vector),
        (B::OneHotVector, [Int, Int]) => Some(Vector),
        (B::SortAsc | B::SortDesc, [t @ (Vector | IntArray)]) => Some(*t),
        (B::Sum, [IntArray]) => Some(Int),
        (B::Sum, [Vector | Matrix]) => Some(Real),
        (B::Mean, [Vector | Matrix | IntArray]) => Some(Real),
        (B::Sd, [Vector | IntArray]) => Some(Real),
        (B::Min | B::Max, [IntArray]) => Some(Int),
        (B::Min | B::Max, [Vector]) => Some(Real),
        (B::LogSumExp | B::DotSelf, [t]) if vec_like(*t) => Some(Real),
        (B::DotProduct, [a, c]) if vec_like(*a) && vec_like(*c) => Some(Real),
        (B::Size, [Vector | IntArray | Matrix | Array3 | IntArray3]) => Some(Int),
        (B::Rows, [Vector | IntArray | Matrix]) => Some(Int),
        (B::Cols, [Vector | IntArray | Matrix]) => Some(Int),
        (B::Col | B::Row, [Matrix, Int]) => Some(Vector),
        (B::Reverse | B::CumulativeSum, [IntArray]) => Some(IntArray),
        (B::Reverse | B::CumulativeSum | B::Softmax | B::LogSoftmax, [t]) if vec_like(*t) => {
            Some(Vector)
        }
        (B::RepVector, [Int | Real, Int]) => Some(Vector),
        (B::RepMatrix, [Int | Real, Int, Int]) => Some(Matrix),
        (B::RepMatrixColumns, [t, Int]) if vec_like(*t) => Some(Matrix),
        (B::AppendRow, [Matrix, Matrix]) => Some(Matrix),
        (B::AppendRow, [a, c]) if real_or_vec(*a) && real_or_vec(*c) => Some(Vector),
        (B::Transpose | B::CholeskyDecompose | B::MultiplyLowerTriSelfTranspose, [Matrix]) => {
            Some(Matrix)
        }
        (B::DiagMatrix, [t]) if vec_like(*t) => Some(Matrix),
        (B::DiagPreMultiply, [t, Matrix]) if vec_like(*t) => Some(Matrix),
        // ---- linear algebra
        (B::MdivideLeftTriLow | B::MdivideLeftSpd, [Matrix, Matrix]) => Some(Matrix),
        (B::MdivideLeftTriLow | B::MdivideLeftSpd, [Matrix, t]) if vec_like(*t) => Some(Vector),
        (B::MdivideRightTriLow, [Matrix, Matrix]) => Some(Matrix),
        (B::MdivideRightTriLow, [t, Matrix]) if vec_like(*t) => Some(Vector),
        (B::LogDeterminant | B::Determinant | B::Trace, [Matrix]) => Some(Real),
        (
            B::Inverse | B::InverseSpd | B::Crossprod | B::Tcrossprod | B::ToMatrixArray,
            [Matrix],
        ) => Some(Matrix),
        (B::QuadForm, [Matrix, Matrix]) => Some(Matrix),
        (B::QuadForm, [Matrix, t]) if vec_like(*t) => Some(Real),
        (B::QuadFormDiag, [Matrix, t]) if vec_like(*t) => Some(Matrix),
        (B::AddDiag, [Matrix, t]) if real_or_vec(*t) => Some(Matrix),
        (B::Diagonal, [Matrix]) => Some(Vector),
        (B::IdentityMatrix, [Int]) => Some(Matrix),
        (B::ToMatrix, [t, Int, Int]) if vec_like(*t) || *t == Matrix => Some(Matrix),
        (B::AppendCol, [a, c])
            if (vec_like(*a) || *a == Matrix) && (vec_like(*c) || *c == Matrix) =>
        {
            Some(Matrix)
        }
        (B::GpExpQuadCov | B::CovExpQuad | B::GpMatern32Cov | B::GpMatern52Cov, [t, a, c])
            if points(*t) && a.is_scalar() && c.is_scalar() =>
        {
            Some(Matrix)
        }
        (B::GpPeriodicCov, [t, a, c, p])
            if points(*t) && a.is_scalar() && c.is_scalar() && p.is_scalar() =>
        {
            Some(Matrix)
        }
        (
            B::GpExpQuadCross | B::CovExpQuadCross | B::GpMatern32Cross | B::GpMatern52Cross,
            [t, u, a, c],
        ) if points(*t) && points(*u) && a.is_scalar() && c.is_scalar() => Some(Matrix),
        (B::GpPeriodicCross, [t, u, a, c, p])
            if points(*t) && points(*u) && a.is_scalar() && c.is_scalar() && p.is_scalar() =>
        {
            Some(Matrix)
        }
        _ => None,
    }
}

/// Symbolic dimensions of a built-in's result, where they follow from the arguments.
pub(super) fn builtin_dims(b: Builtin, args: &[TypedExpr]) -> Dims {
    use Builtin as B;
    match b {
        _ if b.is_elementwise_unary() => args[0].dims,
        _ if b.is_broadcasting_binary() => {
            if args[0].ty().is_scalar() {
                args[1].dims
            } else {
                args[0].dims
            }
        }
        B::Reverse | B::CumulativeSum | B::Softmax | B::LogSoftmax | B::SortAsc | B::SortDesc => {
            args[0].dims
        }
        B::Col => Dims::vector(args[0].dims.rows),
        B::RepMatrixColumns => Dims {
            rows: args[0].dims.rows,
            cols: super::types::Size::Unknown,
        },
        B::Row => Dims::vector(args[0].dims.cols),
        B::Transpose => Dims {
            rows: args[0].dims.cols,
            cols: args[0].dims.rows,
        },
        B::DiagMatrix => Dims {
            rows: args[0].dims.rows,
            cols: args[0].dims.rows,
        },
        B::DiagPreMultiply | B::CholeskyDecompose | B::MultiplyLowerTriSelfTranspose => {
            args[args.len() - 1].dims
        }
        B::MdivideLeftTriLow | B::MdivideLeftSpd => args[1].dims,
        B::MdivideRightTriLow
        | B::Inverse
        | B::InverseSpd
        | B::AddDiag
        | B::QuadFormDiag
        | B::ToMatrixArray => args[0].dims,
        B::Diagonal => Dims::vector(args[0].dims.rows),
        B::Crossprod => Dims {
            rows: args[0].dims.cols,
            cols: args[0].dims.cols,
        },
        B::Tcrossprod => Dims {
            rows: args[0].dims.rows,
            cols: args[0].dims.rows,
        },
        B::GpExpQuadCov
        | B::CovExpQuad
        | B::GpMatern32Cov
        | B::GpMatern52Cov
        | B::GpPeriodicCov => Dims {
            rows: args[0].dims.rows,
            cols: args[0].dims.rows,
        },
        B::GpExpQuadCross
        | B::CovExpQuadCross
        | B::GpMatern32Cross
        | B::GpMatern52Cross
        | B::GpPeriodicCross => Dims {
            rows: args[0].dims.rows,
            cols: args[1].dims.rows,
        },
        _ => Dims::UNKNOWN,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_has_a_typing_rule() {
        use ValueType::*;
        let samples = [Int, Real, IntArray, Vector, Matrix];
        for b in Builtin::ALL {
            let found = match b.arity() {
                4 => {
                    builtin_type(*b, &[Vector, Real, Real, Real]).is_some()
                        || builtin_type(*b, &[Vector, Vector, Real, Real]).is_some()
                }
                5 => builtin_type(*b, &[Vector, Vector, Real, Real, Real]).is_some(),
                0 => builtin_type(*b, &[]).is_some(),
                1 => samples.iter().any(|a| builtin_type(*b, &[*a]).is_some()),
                2 => samples.iter().any(|a| {
                    samples
                        .iter()
                        .any(|c| builtin_type(*b, &[*a, *c]).is_some())
                }),
                _ => [
                    [Real, Int, Int],
                    [Vector, Int, Int],
                    [Int, Real, Real],
                    [Real; 3],
                    [Vector, Real, Real],
                ]
                .iter()
                .any(|a| builtin_type(*b, a).is_some()),
            };
            assert!(found, "{b:?} accepts nothing");
        }
        assert_eq!(builtin_type(Builtin::Exp, &[IntArray]), Some(Vector));
        assert_eq!(builtin_type(Builtin::Sum, &[IntArray]), Some(Int));
        assert_eq!(builtin_type(Builtin::Floor, &[Matrix]), None);
    }
}
