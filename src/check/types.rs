//! Static kinds and symbolic sizes of expressions, and the rules of the
//! operators over them.
//!
//! Sizes are tracked only as far as they are certain: a dimension declared
//! with a bare data name (`real[N]`, where `N` is an `int` with no default
//! expression) or an integer literal. Two different such sizes in one
//! element-wise operation are reported; anything else is left to run time.

use crate::ir::{BinOp, DataId, Expr, ExprKind, ParamId, ValueType};
use crate::source::Span;

/// One dimension's size, when known.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Size {
    Unknown,
    Data(DataId),
    Lit(i64),
}

impl Size {
    /// The common size, or `Err` when the two are certainly different.
    pub(crate) fn unify(self, other: Size) -> Result<Size, ()> {
        match (self, other) {
            (Size::Unknown, s) | (s, Size::Unknown) => Ok(s),
            (Size::Data(a), Size::Data(b)) if a != b => Err(()),
            (Size::Lit(a), Size::Lit(b)) if a != b => Err(()),
            (Size::Data(a), _) | (_, Size::Data(a)) => Ok(Size::Data(a)),
            (a, _) => Ok(a),
        }
    }
}

/// Symbolic dimensions: `rows` is a vector's length.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) struct Dims {
    pub rows: Size,
    pub cols: Size,
}

impl Dims {
    pub(crate) const UNKNOWN: Dims = Dims {
        rows: Size::Unknown,
        cols: Size::Unknown,
    };
    pub(crate) fn vector(len: Size) -> Dims {
        Dims {
            rows: len,
            cols: Size::Unknown,
        }
    }
    pub(crate) fn unify(self, other: Dims) -> Result<Dims, ()> {
        Ok(Dims {
            rows: self.rows.unify(other.rows)?,
            cols: self.cols.unify(other.cols)?,
        })
    }
}

/// A set of parameters (what an expression depends on).
#[derive(Clone, Default, PartialEq, Eq, Debug)]
pub(crate) struct ParamSet(Vec<u64>);

impl ParamSet {
    pub(crate) fn single(p: ParamId) -> ParamSet {
        let mut s = ParamSet::default();
        s.insert(p);
        s
    }
    pub(crate) fn insert(&mut self, p: ParamId) {
        let (w, b) = (p.index() / 64, p.index() % 64);
        if self.0.len() <= w {
            self.0.resize(w + 1, 0);
        }
        self.0[w] |= 1 << b;
    }
    pub(crate) fn union_with(&mut self, other: &ParamSet) {
        if self.0.len() < other.0.len() {
            self.0.resize(other.0.len(), 0);
        }
        for (a, b) in self.0.iter_mut().zip(&other.0) {
            *a |= b;
        }
    }
    pub(crate) fn is_empty(&self) -> bool {
        self.0.iter().all(|w| *w == 0)
    }
    pub(crate) fn iter(&self) -> impl Iterator<Item = ParamId> + '_ {
        self.0.iter().enumerate().flat_map(|(w, bits)| {
            (0..64)
                .filter(move |b| bits & (1u64 << b) != 0)
                .map(move |b| ParamId((w * 64 + b) as u32))
        })
    }
}

/// A checked expression with what the checker knows about it.
#[derive(Clone, Debug)]
pub(crate) struct TypedExpr {
    pub expr: Expr,
    pub dims: Dims,
    /// Parameters it depends on, directly or through locals.
    pub params: ParamSet,
}

impl TypedExpr {
    pub(crate) fn new(
        kind: ExprKind,
        ty: ValueType,
        span: Span,
        dims: Dims,
        params: ParamSet,
    ) -> TypedExpr {
        TypedExpr {
            expr: Expr { kind, ty, span },
            dims,
            params,
        }
    }

    pub(crate) fn ty(&self) -> ValueType {
        self.expr.ty
    }
}

/// The parameters any of `args` depends on.
pub(crate) fn union_params<'a>(args: impl IntoIterator<Item = &'a TypedExpr>) -> ParamSet {
    let mut p = ParamSet::default();
    for a in args {
        p.union_with(&a.params);
    }
    p
}

/// The size an `ir` size expression denotes, if certain.
pub(crate) fn size_of(e: &Expr, fixed_data: &dyn Fn(DataId) -> bool) -> Size {
    match e.kind {
        ExprKind::Int(v) => Size::Lit(v),
        ExprKind::Data(d) if fixed_data(d) => Size::Data(d),
        _ => Size::Unknown,
    }
}

pub(crate) fn is_vectorish(t: ValueType) -> bool {
    matches!(t, ValueType::Vector | ValueType::IntArray)
}

/// `to = from` is allowed (ints promote to reals, int arrays to vectors,
/// int matrices to matrices).
pub(crate) fn assignable(to: ValueType, from: ValueType) -> bool {
    to == from
        || matches!(
            (to, from),
            (ValueType::Real, ValueType::Int)
                | (ValueType::Vector, ValueType::IntArray)
                | (ValueType::Matrix, ValueType::IntMatrix)
                | (ValueType::Array3, ValueType::IntArray3)
        )
}

/// An int matrix as the real matrix it promotes to; other types unchanged.
pub(crate) fn matrix_promoted(t: ValueType) -> ValueType {
    match t {
        ValueType::IntMatrix => ValueType::Matrix,
        t => t,
    }
}

/// The common type of the branches of `?:`.
pub(crate) fn join(a: ValueType, b: ValueType) -> Option<ValueType> {
    if assignable(a, b) {
        Some(a)
    } else if assignable(b, a) {
        Some(b)
    } else {
        None
    }
}

/// Real arithmetic promotes int arrays to vectors and ints to reals.
fn promote(t: ValueType) -> ValueType {
    match t {
        ValueType::Int => ValueType::Real,
        ValueType::IntArray => ValueType::Vector,
        ValueType::IntMatrix => ValueType::Matrix,
        ValueType::IntArray3 => ValueType::Array3,
        t => t,
    }
}

/// Why an operator does not apply: message and a hint.
pub(crate) struct OpError {
    pub message: String,
    pub help: Option<String>,
}

fn op_err(message: String, help: Option<&str>) -> OpError {
    OpError {
        message,
        help: help.map(str::to_string),
    }
}

/// Result type of `a op b`.
pub(crate) fn binary(op: BinOp, a: ValueType, b: ValueType) -> Result<ValueType, OpError> {
    use ValueType::*;
    let sym = crate::ast::binop_symbol(op);
    let both_int = a == Int && b == Int;
    let (pa, pb) = (promote(a), promote(b));
    let undefined = || {
        format!(
            "`{sym}` is not defined for {} and {}",
            a.describe(),
            b.describe()
        )
    };
    match op {
        BinOp::Add | BinOp::Sub => match (pa, pb) {
            _ if both_int => Ok(Int),
            (Real, t) | (t, Real) => Ok(t),
            (x, y) if x == y => Ok(x),
            _ => Err(op_err(
                undefined(),
                Some("both sides must have the same kind, or one must be a scalar"),
            )),
        },
        BinOp::Mul => match (pa, pb) {
            _ if both_int => Ok(Int),
            (Real, t) | (t, Real) => Ok(t),
            (Matrix, Vector) => Ok(Vector),
            (Matrix, Matrix) => Ok(Matrix),
            (Vector, Vector) => Err(op_err(
                "`vector * vector` is not defined".into(),
                Some(
                    "use `.*` for the element-wise product or `dot_product(a, b)` for the inner product",
                ),
            )),
            (Vector, Matrix) => Err(op_err(
                "`vector * matrix` is not defined (vectors are columns)".into(),
                Some("to multiply by a matrix from the left, write `transpose(X) * v`"),
            )),
            _ => Err(op_err(undefined(), None)),
        },
        BinOp::Div => match (pa, pb) {
            (Real, Real) => Ok(Real),
            (Real, t) | (t, Real) => Ok(t),
            _ => Err(op_err(
                undefined(),
                Some("use `./` to divide element by element"),
            )),
        },
        BinOp::Pow => match (pa, pb) {
            (Real, Real) => Ok(Real),
            (Real, Vector) | (Vector, Real) | (Vector, Vector) => Ok(Vector),
            _ => Err(op_err(
                undefined(),
                Some("`^` applies to scalars and vectors"),
            )),
        },
        BinOp::ElemMul | BinOp::ElemDiv => match (pa, pb) {
            _ if both_int && op == BinOp::ElemMul => Ok(Int),
            (x, y) if x == y => Ok(x),
            _ => Err(op_err(
                format!(
                    "`{sym}` needs two operands of the same kind, found {} and {}",
                    a.describe(),
                    b.describe()
                ),
                Some(if op == BinOp::ElemMul {
                    "use `*` to scale by a scalar"
                } else {
                    "use `/` to divide by a scalar"
                }),
            )),
        },
        BinOp::IntDiv | BinOp::Mod => {
            if both_int {
                Ok(Int)
            } else {
                Err(op_err(
                    format!(
                        "`{sym}` needs two ints, found {} and {}",
                        a.describe(),
                        b.describe()
                    ),
                    Some("for real division use `/`"),
                ))
            }
        }
        BinOp::Lt
        | BinOp::Le
        | BinOp::Gt
        | BinOp::Ge
        | BinOp::Eq
        | BinOp::Ne
        | BinOp::And
        | BinOp::Or => {
            if a.is_scalar() && b.is_scalar() {
                Ok(Int)
            } else {
                Err(op_err(
                    format!(
                        "`{sym}` compares scalars, found {} and {}",
                        a.describe(),
                        b.describe()
                    ),
                    Some("index the vector to compare elements"),
                ))
            }
        }
    }
}

/// Dimensions of `a op b` given the operand dimensions (types already valid).
/// `Err` carries the two conflicting sizes' descriptions.
pub(crate) fn binary_dims(
    op: BinOp,
    a: (ValueType, Dims),
    b: (ValueType, Dims),
) -> Result<Dims, ()> {
    let (ta, da) = a;
    let (tb, db) = b;
    if ta.is_scalar() {
        return Ok(db);
    }
    if tb.is_scalar() {
        return Ok(da);
    }
    match op {
        BinOp::Mul => {
            // Matrix products: inner sizes must agree.
            da.cols.unify(db.rows)?;
            if promote(tb) == ValueType::Vector {
                Ok(Dims::vector(da.rows))
            } else {
                Ok(Dims {
                    rows: da.rows,
                    cols: db.cols,
                })
            }
        }
        _ => da.unify(db),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operator_rules() {
        assert_eq!(
            binary(BinOp::Add, ValueType::Int, ValueType::Int).ok(),
            Some(ValueType::Int)
        );
        assert_eq!(
            binary(BinOp::Div, ValueType::Int, ValueType::Int).ok(),
            Some(ValueType::Real)
        );
        assert_eq!(
            binary(BinOp::Mul, ValueType::Matrix, ValueType::IntArray).ok(),
            Some(ValueType::Vector)
        );
        assert!(binary(BinOp::Mul, ValueType::Vector, ValueType::Vector).is_err());
        assert!(binary(BinOp::Mod, ValueType::Real, ValueType::Int).is_err());
        assert_eq!(
            binary(BinOp::Add, ValueType::IntArray, ValueType::IntArray).ok(),
            Some(ValueType::Vector)
        );
        assert!(binary(BinOp::ElemMul, ValueType::Real, ValueType::Vector).is_err());
        assert!(binary(BinOp::Lt, ValueType::Vector, ValueType::Real).is_err());
    }

    #[test]
    fn sizes_unify_only_when_not_certainly_different() {
        let n = Size::Data(DataId(0));
        let m = Size::Data(DataId(1));
        assert!(n.unify(m).is_err());
        assert_eq!(n.unify(Size::Lit(3)), Ok(n));
        assert!(Size::Lit(2).unify(Size::Lit(3)).is_err());
        let mut s = ParamSet::single(ParamId(70));
        s.insert(ParamId(2));
        assert_eq!(s.iter().collect::<Vec<_>>(), vec![ParamId(2), ParamId(70)]);
    }
}
