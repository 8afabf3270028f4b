//! The checked model: the contract between the checker and everything after it.
//!
//! Names are resolved to ids, every expression knows its static type, and
//! every node keeps the span of the text it came from so that run-time
//! problems can point at the statement that caused them. No strings are
//! looked up after this point: ids index the tables of [`Model`].
//!
//! The model is a straight-line program executed top to bottom. Data
//! declarations (with defaults) are evaluated once when data is bound;
//! parameters are transformed from unconstrained coordinates in declaration
//! order before the body runs (their bounds may only use data and earlier
//! parameters); the body then runs `let`/`var`/assignments/`~`/`target +=`/
//! loops/branches in order. `gen` statements run only when draws are
//! generated, never inside the log density.

use crate::builtins::Builtin;
use crate::dist::{Cumulative, DistId};
use crate::source::Span;

macro_rules! id_type {
    ($($(#[$m:meta])* $name:ident),* $(,)?) => {$(
        $(#[$m])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, PartialOrd, Ord)]
        pub struct $name(pub u32);
        impl $name {
            pub fn index(self) -> usize { self.0 as usize }
        }
    )*};
}

id_type!(
    /// A `data` declaration.
    DataId,
    /// A `param` declaration.
    ParamId,
    /// A `let`, `var`, loop variable or function argument (top level, block or function body).
    LocalId,
    /// A `gen` quantity.
    GenId,
    /// A user (or stdlib) function.
    FnId,
);

/// The static kind of a value. Sizes are run-time facts (see [`Shape`]).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum ValueType {
    Int,
    Real,
    /// A one-dimensional array of ints (`int[N]`), used for counts and indexing.
    IntArray,
    /// A real vector (`real[N]`).
    Vector,
    /// A real matrix (`real[N, K]`), row-major.
    Matrix,
    /// A matrix of ints (`int[N, K]`, data only): its elements are ints and
    /// its rows int arrays; it promotes to a real matrix.
    IntMatrix,
    /// A three-dimensional real array (`real[J, K, L]`, Stan's
    /// `array[J] matrix[K, L]`), row-major: `z[j]` is a K×L matrix.
    Array3,
    /// A three-dimensional int array (`int[J, K, L]`, data only): `z[j]`
    /// is an int matrix; it promotes to a real array.
    IntArray3,
}

impl ValueType {
    pub fn is_scalar(self) -> bool {
        matches!(self, ValueType::Int | ValueType::Real)
    }
    pub fn is_int_valued(self) -> bool {
        matches!(
            self,
            ValueType::Int | ValueType::IntArray | ValueType::IntMatrix | ValueType::IntArray3
        )
    }
    /// How users write the type in messages.
    pub fn describe(self) -> &'static str {
        match self {
            ValueType::Int => "int",
            ValueType::Real => "real",
            ValueType::IntArray => "int[]",
            ValueType::Vector => "real[] (vector)",
            ValueType::Matrix => "real[,] (matrix)",
            ValueType::IntMatrix => "int[,]",
            ValueType::Array3 => "real[,,] (array of matrices)",
            ValueType::IntArray3 => "int[,,]",
        }
    }
    /// A three-dimensional array (real or int).
    pub fn is_array3(self) -> bool {
        matches!(self, ValueType::Array3 | ValueType::IntArray3)
    }
}

/// Element type of a declaration.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Elem {
    Int,
    Real,
}

/// Declared shape: sizes are expressions over data (and, for `var`s inside
/// the model, over data and loop variables known when the declaration runs).
#[derive(Clone, Debug, PartialEq)]
pub enum Shape {
    Scalar,
    Vector(Expr),
    Matrix(Expr, Expr),
    /// `real[J, K, L]`: J matrices of K×L.
    Array3(Expr, Expr, Expr),
}

impl Shape {
    pub fn ty(&self, elem: Elem) -> ValueType {
        match (self, elem) {
            (Shape::Scalar, Elem::Int) => ValueType::Int,
            (Shape::Scalar, Elem::Real) => ValueType::Real,
            (Shape::Vector(_), Elem::Int) => ValueType::IntArray,
            (Shape::Vector(_), Elem::Real) => ValueType::Vector,
            (Shape::Matrix(..), Elem::Int) => ValueType::IntMatrix,
            (Shape::Matrix(..), Elem::Real) => ValueType::Matrix,
            (Shape::Array3(..), Elem::Int) => ValueType::IntArray3,
            (Shape::Array3(..), Elem::Real) => ValueType::Array3,
        }
    }

    /// The size expressions, outermost first.
    pub fn sizes(&self) -> Vec<&Expr> {
        match self {
            Shape::Scalar => vec![],
            Shape::Vector(n) => vec![n],
            Shape::Matrix(r, c) => vec![r, c],
            Shape::Array3(j, k, l) => vec![j, k, l],
        }
    }
}

/// `lower=` / `upper=` bounds; each is an expression over data (and, for
/// parameters, earlier parameters). Scalar bounds apply to every element;
/// vector bounds element-wise.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Bounds {
    pub lower: Option<Expr>,
    pub upper: Option<Expr>,
    /// `offset=` and `multiplier=` (parameters only, never with bounds).
    pub offset: Option<Expr>,
    pub multiplier: Option<Expr>,
}

impl Bounds {
    /// Whether the declaration is affine (`offset=` or `multiplier=`).
    pub fn is_affine(&self) -> bool {
        self.offset.is_some() || self.multiplier.is_some()
    }

    /// The two arguments of the transform: offset and multiplier for an
    /// affine declaration, else the lower and upper bounds.
    pub fn transform_arguments(&self) -> (Option<&Expr>, Option<&Expr>) {
        if self.is_affine() {
            (self.offset.as_ref(), self.multiplier.as_ref())
        } else {
            (self.lower.as_ref(), self.upper.as_ref())
        }
    }
}

/// How a parameter maps to unconstrained coordinates.
// One per declaration, built once: the size of `Bounded` costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq)]
pub enum Constraint {
    /// Identity, log / scaled-logit transforms when bounds are present, or
    /// the affine transform for `offset=` / `multiplier=`.
    Bounded(Bounds),
    /// `simplex[K]`: K−1 free coordinates (stick-breaking).
    Simplex,
    /// `ordered[K]`: first element free, then log increments.
    Ordered,
    /// `positive_ordered[K]`: log of the first element, then log increments.
    PositiveOrdered,
    /// `corr_cholesky[K]`: Cholesky factor of a K×K correlation matrix,
    /// K(K−1)/2 free coordinates.
    CorrCholesky,
    /// `cholesky_factor_cov[K]`: lower triangular, positive diagonal, K(K+1)/2;
    /// `cholesky_factor_cov[M, N]` (M ≥ N): lower trapezoidal, N(N+1)/2 + (M−N)N.
    CholeskyCov,
    /// `cov_matrix[K]`: symmetric positive-definite, K(K+1)/2.
    CovMatrix,
    /// `corr_matrix[K]`: a correlation matrix, K(K−1)/2.
    CorrMatrix,
    /// `unit_vector[K]`: K free coordinates, normalised.
    UnitVector,
    /// `sum_to_zero_vector[K]`: K−1 free coordinates.
    SumToZero,
}

#[derive(Clone, Debug, PartialEq)]
pub struct DataDecl {
    pub name: String,
    pub span: Span,
    pub elem: Elem,
    pub shape: Shape,
    pub bounds: Bounds,
    /// Inline default (`data s: real = 2.5`); data files override it.
    pub default: Option<Expr>,
    /// `data N: int minibatch`: the rows this count counts may be
    /// subsampled (see `check::minibatch`).
    pub minibatch: bool,
}

impl DataDecl {
    pub fn ty(&self) -> ValueType {
        self.shape.ty(self.elem)
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct ParamDecl {
    pub name: String,
    pub span: Span,
    /// `Scalar`, `Vector(K)` or, for `corr_cholesky`, `Matrix(K, K)`; a
    /// bounded matrix parameter is `Matrix(N, K)`.
    pub shape: Shape,
    pub constraint: Constraint,
}

impl ParamDecl {
    pub fn ty(&self) -> ValueType {
        self.shape.ty(Elem::Real)
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum LocalKind {
    /// Immutable, initialised at its declaration.
    Let,
    /// Mutable; elements may be assigned.
    Var,
    /// Integer loop variable of a `for`.
    Loop,
    /// Argument of a user function.
    FnArg,
}

#[derive(Clone, Debug, PartialEq)]
pub struct LocalDecl {
    pub name: String,
    pub span: Span,
    pub kind: LocalKind,
    pub ty: ValueType,
    /// Declared at top level of the model (not in a block or function).
    /// Top-level `let`s that depend on parameters are output quantities.
    pub top_level: bool,
    /// The function whose body declares it, if any.
    pub function: Option<FnId>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct GenDecl {
    pub name: String,
    pub span: Span,
    pub ty: ValueType,
}

/// A user or stdlib function. `fn f(x) = e` has body `[Return(e)]`.
/// Functions may only call functions declared before them (no recursion),
/// so each function's locals are plain slots.
#[derive(Clone, Debug, PartialEq)]
pub struct Function {
    pub name: String,
    pub span: Span,
    pub args: Vec<LocalId>,
    pub ret: ValueType,
    pub body: Vec<Stmt>,
    /// `name_lpdf` / `name_lpmf`: usable as a distribution `y ~ name(...)`
    /// (the first argument is the variate).
    pub is_density: bool,
    /// Loaded from `stdlib/`.
    pub from_stdlib: bool,
}

/// What a `~` statement or a `_lpdf(y | ...)` call refers to.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum DistRef {
    Builtin(DistId),
    User(FnId),
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum UnOp {
    Neg,
    Not,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum BinOp {
    Add,
    Sub,
    /// Scalar × anything, or matrix × vector / matrix × matrix products.
    Mul,
    /// Real division (ints promoted); scalar / anything or anything / scalar.
    Div,
    Pow,
    ElemMul,
    ElemDiv,
    /// `%/%`, ints only.
    IntDiv,
    /// `%`, ints only.
    Mod,
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
    And,
    Or,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum AssignOp {
    Set,
    Add,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub ty: ValueType,
    pub span: Span,
}

impl Expr {
    /// Calls `f` on each expression directly inside this one, in order.
    pub fn for_each_child<'a>(&'a self, f: &mut impl FnMut(&'a Expr)) {
        match &self.kind {
            ExprKind::Int(_)
            | ExprKind::Real(_)
            | ExprKind::Data(_)
            | ExprKind::Param(_)
            | ExprKind::Local(_)
            | ExprKind::Gen(_)
            | ExprKind::Target => {}
            ExprKind::Unary(_, a) => f(a),
            ExprKind::Binary(_, a, b) => {
                f(a);
                f(b);
            }
            ExprKind::Cond(c, a, b) => {
                f(c);
                f(a);
                f(b);
            }
            ExprKind::Index(base, idx) => {
                f(base);
                for i in idx {
                    match i {
                        Index::Single(x) | Index::Multi(x) => f(x),
                        Index::Slice(lo, hi) => lo.iter().chain(hi.iter()).for_each(&mut *f),
                        Index::All => {}
                    }
                }
            }
            ExprKind::Call(_, args)
            | ExprKind::CallUser(_, args)
            | ExprKind::Rng(_, args)
            | ExprKind::VecLit(args) => args.iter().for_each(f),
            ExprKind::Lpdf { y, args, .. } | ExprKind::Cumulative { y, args, .. } => {
                f(y);
                args.iter().for_each(f);
            }
        }
    }

    /// Calls `f` on this expression and every expression inside it.
    pub fn visit(&self, f: &mut impl FnMut(&Expr)) {
        f(self);
        self.for_each_child(&mut |c| c.visit(f));
    }

    /// Whether `hit` holds for this expression or one inside it (`hit` is
    /// not called again once it has held).
    pub fn any(&self, hit: &mut impl FnMut(&Expr) -> bool) -> bool {
        let mut found = false;
        self.visit(&mut |e| found = found || hit(e));
        found
    }
}

/// One position of an index expression `a[...]`.
#[derive(Clone, Debug, PartialEq)]
pub enum Index {
    /// `a[i]` with an int.
    Single(Expr),
    /// `a[g]` with an `int[]` (gathers).
    Multi(Expr),
    /// `a[lo:hi]`, inclusive; either end may be omitted (`a[:hi]`, `a[lo:]`).
    Slice(Option<Expr>, Option<Expr>),
    /// `a[:, j]` — the whole dimension.
    All,
}

impl Index {
    /// Whether the indices of a matrix select a range of whole rows
    /// (`X[a:b]`, `X[a:b, :]`, `X[:]`): a block that shares the matrix's
    /// storage, so that a block of an int matrix stays an int matrix.
    pub fn whole_rows(idx: &[Index]) -> bool {
        matches!(
            idx,
            [Index::Slice(..) | Index::All] | [Index::Slice(..) | Index::All, Index::All]
        )
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    Int(i64),
    Real(f64),
    Data(DataId),
    Param(ParamId),
    Local(LocalId),
    Gen(GenId),
    Unary(UnOp, Box<Expr>),
    Binary(BinOp, Box<Expr>, Box<Expr>),
    /// `c ? a : b`
    Cond(Box<Expr>, Box<Expr>, Box<Expr>),
    Index(Box<Expr>, Vec<Index>),
    Call(Builtin, Vec<Expr>),
    CallUser(FnId, Vec<Expr>),
    /// `name_lpdf(y | args)` / `name_lpmf(y | args)`: the summed log density.
    Lpdf {
        dist: DistRef,
        y: Box<Expr>,
        args: Vec<Expr>,
    },
    /// `name_cdf(y | args)`, `name_lcdf(y | args)`, `name_lccdf(y | args)`
    /// of a built-in distribution (summed over elements; a product for
    /// `_cdf`), and, with [`Cumulative::Truncation`], the term a truncated
    /// `y ~ name(args) T[L, U]` adds: −Σ log(F(U) − F(L)), with `args` =
    /// `[L, U, args...]` (±∞ for a missing bound) and `y` checked against
    /// the bounds.
    Cumulative {
        dist: DistId,
        kind: Cumulative,
        y: Box<Expr>,
        args: Vec<Expr>,
    },
    /// `name_rng(args)`: only inside `gen` statements (and functions called only from them).
    Rng(DistId, Vec<Expr>),
    /// `[a, b, c]`: a vector of reals.
    VecLit(Vec<Expr>),
    /// `target()`: the log density accumulated so far (model statements only).
    Target,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Stmt {
    pub kind: StmtKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum StmtKind {
    Let {
        local: LocalId,
        value: Expr,
    },
    /// `var h: real[T]` (shape given) or `var acc: real = 0`.
    Var {
        local: LocalId,
        elem: Elem,
        shape: Shape,
        init: Option<Expr>,
    },
    /// `v = e`, `v[i] = e`, `v[i, j] = e`, `v[i, j, k] = e`, `v += e`:
    /// `indices` has 0 to 3 int expressions (3 only for a 3-d array).
    Assign {
        target: LocalId,
        indices: Vec<Expr>,
        op: AssignOp,
        value: Expr,
    },
    /// `lhs ~ dist(args)`: adds the summed log density with all constants.
    Tilde {
        lhs: Expr,
        dist: DistRef,
        args: Vec<Expr>,
    },
    /// `target += e`
    TargetAdd(Expr),
    /// `for var in lo:hi { body }` (inclusive; empty when hi < lo).
    For {
        var: LocalId,
        lo: Expr,
        hi: Expr,
        body: Vec<Stmt>,
    },
    /// `if c { .. } else if .. { .. } else { .. }` (else-if nests in `els`).
    If {
        cond: Expr,
        then: Vec<Stmt>,
        els: Vec<Stmt>,
    },
    Block(Vec<Stmt>),
    /// `while cond { body }` (`cond` a scalar, non-zero is true).
    While {
        cond: Expr,
        body: Vec<Stmt>,
    },
    /// `break` / `continue`: only inside `for` and `while` bodies.
    Break,
    Continue,
    /// `print(...)`: one line on standard error (rate-limited).
    Print(Vec<PrintItem>),
    /// `reject(...)`: stops the evaluation; the point is outside the support.
    Reject(Vec<PrintItem>),
    /// `gen name = value` (top level).
    Gen {
        id: GenId,
        value: Expr,
    },
    /// `gen { body }` (top level): runs only when draws are generated; at
    /// its end each `outputs` local is copied to its generated quantity.
    GenBlock {
        body: Vec<Stmt>,
        outputs: Vec<(LocalId, GenId)>,
    },
    /// Only in function bodies.
    Return(Expr),
}

/// One argument of `print` or `reject`.
#[derive(Clone, Debug, PartialEq)]
pub enum PrintItem {
    Text(String),
    Value(Expr),
}

/// A checked model, ready to be bound to data and compiled.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Model {
    /// In declaration order; defaults may use earlier data.
    pub data: Vec<DataDecl>,
    /// In declaration order; this is the parameter layout order.
    pub params: Vec<ParamDecl>,
    pub locals: Vec<LocalDecl>,
    pub gens: Vec<GenDecl>,
    pub functions: Vec<Function>,
    /// Top-level statements in source order (declarations of data and
    /// parameters are not statements).
    pub body: Vec<Stmt>,
}

impl Model {
    pub fn data(&self, id: DataId) -> &DataDecl {
        &self.data[id.index()]
    }
    pub fn param(&self, id: ParamId) -> &ParamDecl {
        &self.params[id.index()]
    }
    pub fn local(&self, id: LocalId) -> &LocalDecl {
        &self.locals[id.index()]
    }
    pub fn gen_decl(&self, id: GenId) -> &GenDecl {
        &self.gens[id.index()]
    }
    pub fn function(&self, id: FnId) -> &Function {
        &self.functions[id.index()]
    }
    pub fn data_by_name(&self, name: &str) -> Option<DataId> {
        self.data
            .iter()
            .position(|d| d.name == name)
            .map(|i| DataId(i as u32))
    }
    pub fn param_by_name(&self, name: &str) -> Option<ParamId> {
        self.params
            .iter()
            .position(|p| p.name == name)
            .map(|i| ParamId(i as u32))
    }
}
