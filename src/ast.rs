//! The abstract syntax tree produced by the parser: every node carries its span.
//!
//! The tree is what the user wrote, with no names resolved and no types: the
//! checker (`crate::check`) turns it into [`crate::ir::Model`]. Parentheses
//! leave no node of their own (the tree's shape records the grouping) but a
//! parenthesized expression's span includes its parentheses, so that
//! diagnostics underline what the user sees.

pub use crate::ir::{AssignOp, BinOp, UnOp};
use crate::source::{FileId, Span};

/// One parsed file: a model, or a standard-library file of functions.
#[derive(Clone, Debug, PartialEq)]
pub struct Program {
    pub file: FileId,
    /// Top-level statements and declarations in source order.
    pub stmts: Vec<Stmt>,
}

/// The `T[L, U]` after a `~` statement; either bound may be left out.
#[derive(Clone, Debug, PartialEq)]
pub struct Truncation {
    pub lower: Option<Expr>,
    pub upper: Option<Expr>,
    pub span: Span,
}

/// A name as written, with where it was written.
#[derive(Clone, Debug, PartialEq)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ElemType {
    Int,
    Real,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum BoundKind {
    Lower,
    Upper,
    /// `offset=o` and `multiplier=m`: the affine transform x = o + m z.
    Offset,
    Multiplier,
}

impl BoundKind {
    /// The word written before `=`.
    pub fn word(self) -> &'static str {
        match self {
            BoundKind::Lower => "lower",
            BoundKind::Upper => "upper",
            BoundKind::Offset => "offset",
            BoundKind::Multiplier => "multiplier",
        }
    }
}

/// `lower=e` or `upper=e` inside `<...>`.
#[derive(Clone, Debug, PartialEq)]
pub struct Bound {
    pub kind: BoundKind,
    pub value: Expr,
    pub span: Span,
}

/// The constrained vector and matrix types written as `simplex[K]`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum SpecialType {
    Simplex,
    Ordered,
    PositiveOrdered,
    CorrCholesky,
    CholeskyCov,
    CovMatrix,
    CorrMatrix,
    UnitVector,
    SumToZero,
}

impl SpecialType {
    pub fn keyword(self) -> &'static str {
        match self {
            SpecialType::Simplex => "simplex",
            SpecialType::Ordered => "ordered",
            SpecialType::PositiveOrdered => "positive_ordered",
            SpecialType::CorrCholesky => "corr_cholesky",
            SpecialType::CholeskyCov => "cholesky_factor_cov",
            SpecialType::CovMatrix => "cov_matrix",
            SpecialType::CorrMatrix => "corr_matrix",
            SpecialType::UnitVector => "unit_vector",
            SpecialType::SumToZero => "sum_to_zero_vector",
        }
    }
}

/// The type of a `data`, `param` or `var` declaration.
#[derive(Clone, Debug, PartialEq)]
pub struct Type {
    pub kind: TypeKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum TypeKind {
    /// `real`, `int<lower=1>`, `real<lower=0>[N]`, `real[N, K]`. The parser
    /// accepts any number of dimensions; the checker allows at most three.
    Basic {
        elem: ElemType,
        bounds: Vec<Bound>,
        dims: Vec<Expr>,
    },
    /// `simplex[K]` and friends.
    /// `cols` is the second size of `cholesky_factor_cov[M, N]` (absent
    /// for the one-size spelling of every special type).
    Special {
        kind: SpecialType,
        size: Box<Expr>,
        cols: Option<Box<Expr>>,
    },
}

/// Dimensions of a function argument or return type: `real`, `real[]`, `real[,]`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum FnDims {
    Scalar,
    Vector,
    Matrix,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct FnType {
    pub elem: ElemType,
    pub dims: FnDims,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct FnArg {
    pub name: Ident,
    pub ty: FnType,
}

#[derive(Clone, Debug, PartialEq)]
pub enum FnBody {
    Block(Block),
    /// `fn f(x: real) -> real = e`
    Expr(Expr),
}

#[derive(Clone, Debug, PartialEq)]
pub struct FnDef {
    pub name: Ident,
    pub args: Vec<FnArg>,
    /// `None` when no `-> type` was written.
    pub ret: Option<FnType>,
    pub body: FnBody,
}

/// `{ stmt ... }`
#[derive(Clone, Debug, PartialEq)]
pub struct Block {
    pub stmts: Vec<Stmt>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Stmt {
    pub kind: StmtKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Else {
    Block(Block),
    /// `else if ...`: the nested `if` statement.
    If(Box<Stmt>),
}

#[derive(Clone, Debug, PartialEq)]
pub enum StmtKind {
    Data {
        name: Ident,
        ty: Type,
        default: Option<Expr>,
        /// The span of a `minibatch` marker after the type, if any.
        minibatch: Option<Span>,
    },
    Param {
        name: Ident,
        ty: Type,
    },
    Let {
        name: Ident,
        value: Expr,
    },
    Var {
        name: Ident,
        ty: Type,
        init: Option<Expr>,
    },
    Gen {
        name: Ident,
        value: Expr,
    },
    /// `gen { ... }`: the block's top-level `var`s and `let`s are generated
    /// quantities.
    GenBlock(Block),
    Fn(FnDef),
    /// `lhs ~ dist(args)`, optionally truncated: `T[L, U]`
    Tilde {
        lhs: Expr,
        dist: Ident,
        args: Vec<Expr>,
        truncation: Option<Truncation>,
    },
    /// `target = value` / `target += value`; the parser guarantees `target`
    /// is a name or an indexed name.
    Assign {
        target: Expr,
        op: AssignOp,
        value: Expr,
    },
    /// `target += e`
    TargetAdd(Expr),
    For {
        var: Ident,
        lo: Expr,
        hi: Expr,
        body: Block,
    },
    If {
        cond: Expr,
        then: Block,
        els: Option<Else>,
    },
    /// `while cond { body }`
    While {
        cond: Expr,
        body: Block,
    },
    /// `break` and `continue`, inside `for` and `while` loops.
    Break,
    Continue,
    /// `print(...)`: writes its items to standard error.
    Print(Vec<PrintItem>),
    /// `reject(...)`: rejects the current point with its items as message.
    Reject(Vec<PrintItem>),
    Block(Block),
    Return(Expr),
}

/// One argument of `print` or `reject`: a string or a value.
#[derive(Clone, Debug, PartialEq)]
pub enum PrintItem {
    /// The text between the quotes.
    Text(String, Span),
    Value(Expr),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

/// One position inside `a[...]`.
#[derive(Clone, Debug, PartialEq)]
pub struct IndexItem {
    pub kind: IndexKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum IndexKind {
    /// `a[e]`: an int, or an int array that gathers.
    Expr(Expr),
    /// `a[lo:hi]`, `a[lo:]`, `a[:hi]`.
    Slice(Option<Expr>, Option<Expr>),
    /// `a[:]`, as in `X[:, j]`.
    All,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    Int(i64),
    Real(f64),
    /// `true` / `false`.
    Bool(bool),
    Name(String),
    Unary(UnOp, Box<Expr>),
    Binary(BinOp, Box<Expr>, Box<Expr>),
    /// `c ? a : b`
    Cond(Box<Expr>, Box<Expr>, Box<Expr>),
    Index(Box<Expr>, Vec<IndexItem>),
    /// `f(a, b)`, or with `bar` set `f(y | a, b)` (then `args[0]` is `y`).
    Call {
        func: Ident,
        args: Vec<Expr>,
        bar: bool,
    },
    /// `[a, b, c]`
    VecLit(Vec<Expr>),
}

/// How an operator is written.
pub fn binop_symbol(op: BinOp) -> &'static str {
    match op {
        BinOp::Add => "+",
        BinOp::Sub => "-",
        BinOp::Mul => "*",
        BinOp::Div => "/",
        BinOp::Pow => "^",
        BinOp::ElemMul => ".*",
        BinOp::ElemDiv => "./",
        BinOp::IntDiv => "%/%",
        BinOp::Mod => "%",
        BinOp::Lt => "<",
        BinOp::Le => "<=",
        BinOp::Gt => ">",
        BinOp::Ge => ">=",
        BinOp::Eq => "==",
        BinOp::Ne => "!=",
        BinOp::And => "&&",
        BinOp::Or => "||",
    }
}

/// Binding strength of a binary operator (higher binds tighter); the
/// conditional operator is 1 and prefix operators sit between `*` and `^`.
pub fn binop_precedence(op: BinOp) -> u8 {
    match op {
        BinOp::Or => 2,
        BinOp::And => 3,
        BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge | BinOp::Eq | BinOp::Ne => 4,
        BinOp::Add | BinOp::Sub => 5,
        BinOp::Mul | BinOp::Div | BinOp::IntDiv | BinOp::Mod | BinOp::ElemMul | BinOp::ElemDiv => 6,
        BinOp::Pow => 8,
    }
}

/// Precedence of prefix `-` and `!`.
pub const PREFIX_PRECEDENCE: u8 = 7;
/// Precedence of `c ? a : b`.
pub const COND_PRECEDENCE: u8 = 1;
