//! pest pairs to the owned AST.

use super::grammar::Rule;
use crate::ast::*;
use crate::diagnostics::Diagnostic;
use crate::source::{FileId, Span};
use pest::iterators::Pair;
use pest::pratt_parser::{Assoc, Op, PrattParser};
use std::cell::RefCell;
use std::sync::OnceLock;

mod statements;

/// Deepest expression tree accepted (operators plus brackets on any path
/// from the root). Keeps every later recursive pass far from the stack's end.
pub const MAX_EXPR_DEPTH: usize = 200;

fn pratt() -> &'static PrattParser<Rule> {
    static PRATT: OnceLock<PrattParser<Rule>> = OnceLock::new();
    PRATT.get_or_init(|| {
        PrattParser::new()
            .op(Op::infix(Rule::cond, Assoc::Right))
            .op(Op::infix(Rule::or, Assoc::Left))
            .op(Op::infix(Rule::and, Assoc::Left))
            .op(Op::infix(Rule::lt, Assoc::Left)
                | Op::infix(Rule::le, Assoc::Left)
                | Op::infix(Rule::gt, Assoc::Left)
                | Op::infix(Rule::ge, Assoc::Left)
                | Op::infix(Rule::eqeq, Assoc::Left)
                | Op::infix(Rule::ne, Assoc::Left))
            .op(Op::infix(Rule::add, Assoc::Left) | Op::infix(Rule::sub, Assoc::Left))
            .op(Op::infix(Rule::mul, Assoc::Left)
                | Op::infix(Rule::div, Assoc::Left)
                | Op::infix(Rule::int_div, Assoc::Left)
                | Op::infix(Rule::modulo, Assoc::Left)
                | Op::infix(Rule::elem_mul, Assoc::Left)
                | Op::infix(Rule::elem_div, Assoc::Left))
            .op(Op::prefix(Rule::neg) | Op::prefix(Rule::not))
            .op(Op::infix(Rule::pow, Assoc::Right))
            .op(Op::postfix(Rule::index) | Op::postfix(Rule::tick))
    })
}

fn binop(rule: Rule) -> Option<BinOp> {
    Some(match rule {
        Rule::add => BinOp::Add,
        Rule::sub => BinOp::Sub,
        Rule::mul => BinOp::Mul,
        Rule::div => BinOp::Div,
        Rule::pow => BinOp::Pow,
        Rule::elem_mul => BinOp::ElemMul,
        Rule::elem_div => BinOp::ElemDiv,
        Rule::int_div => BinOp::IntDiv,
        Rule::modulo => BinOp::Mod,
        Rule::lt => BinOp::Lt,
        Rule::le => BinOp::Le,
        Rule::gt => BinOp::Gt,
        Rule::ge => BinOp::Ge,
        Rule::eqeq => BinOp::Eq,
        Rule::ne => BinOp::Ne,
        Rule::and => BinOp::And,
        Rule::or => BinOp::Or,
        _ => return None,
    })
}

fn is_operator(rule: Rule) -> bool {
    binop(rule).is_some()
        || matches!(
            rule,
            Rule::cond | Rule::neg | Rule::not | Rule::index | Rule::tick
        )
}

/// Punctuation and keywords that carry no information once parsed.
fn is_punct(rule: Rule) -> bool {
    matches!(
        rule,
        Rule::eol
            | Rule::lparen
            | Rule::rparen
            | Rule::lbracket
            | Rule::rbracket
            | Rule::lbrace
            | Rule::rbrace
            | Rule::comma
            | Rule::colon
            | Rule::bar
            | Rule::eq
            | Rule::langle
            | Rule::rangle
            | Rule::arrow
            | Rule::tilde
            | Rule::plus_eq
            | Rule::kw_data
            | Rule::kw_param
            | Rule::kw_let
            | Rule::kw_var
            | Rule::kw_gen
            | Rule::kw_fn
            | Rule::kw_return
            | Rule::kw_for
            | Rule::kw_in
            | Rule::kw_if
            | Rule::kw_else
            | Rule::kw_target
            | Rule::kw_while
            | Rule::kw_print
            | Rule::kw_reject
            | Rule::EOI
    )
}

fn items(pair: Pair<'_, Rule>) -> impl Iterator<Item = Pair<'_, Rule>> {
    pair.into_inner().filter(|p| !is_punct(p.as_rule()))
}

pub(super) struct Lowerer {
    file: FileId,
    offset: usize,
    diags: RefCell<Vec<Diagnostic>>,
}

impl Lowerer {
    pub(super) fn new(file: FileId, offset: usize) -> Lowerer {
        Lowerer {
            file,
            offset,
            diags: RefCell::new(Vec::new()),
        }
    }

    pub(super) fn finish(self) -> Vec<Diagnostic> {
        self.diags.into_inner()
    }

    fn span(&self, pair: &Pair<'_, Rule>) -> Span {
        let s = pair.as_span();
        Span::new(self.file, self.offset + s.start(), self.offset + s.end())
    }

    fn error(&self, d: Diagnostic) {
        self.diags.borrow_mut().push(d);
    }

    pub(super) fn chunk(&self, pair: Pair<'_, Rule>, out: &mut Vec<Stmt>) {
        for p in items(pair) {
            out.push(self.stmt(p));
        }
    }

    fn block(&self, pair: Pair<'_, Rule>) -> Block {
        let span = self.span(&pair);
        Block {
            stmts: items(pair).map(|p| self.stmt(p)).collect(),
            span,
        }
    }

    fn ident(&self, pair: Pair<'_, Rule>) -> Ident {
        Ident {
            name: pair.as_str().to_string(),
            span: self.span(&pair),
        }
    }

    fn fn_type(&self, pair: Pair<'_, Rule>) -> FnType {
        let span = self.span(&pair);
        let mut elem = ElemType::Real;
        let mut brackets = false;
        let mut comma = false;
        let mut stan = None;
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::kw_int => elem = ElemType::Int,
                Rule::ty_vector | Rule::ty_row_vector => stan = Some(FnDims::Vector),
                Rule::ty_matrix => stan = Some(FnDims::Matrix),
                Rule::lbracket => brackets = true,
                Rule::comma => comma = true,
                _ => {}
            }
        }
        let dims = stan.unwrap_or(match (brackets, comma) {
            (false, _) => FnDims::Scalar,
            (true, false) => FnDims::Vector,
            (true, true) => FnDims::Matrix,
        });
        FnType { elem, dims, span }
    }

    fn ty(&self, pair: Pair<'_, Rule>) -> Type {
        let span = self.span(&pair);
        let mut inner = pair.into_inner();
        let first = inner.next().expect("type");
        if matches!(first.as_rule(), Rule::vector_ty | Rule::matrix_ty) {
            return Type {
                kind: self.vector_type(first),
                span,
            };
        }
        if first.as_rule() == Rule::special_ty {
            let mut s = items(first);
            let kw = s.next().expect("special type keyword");
            let kind = match kw.as_rule() {
                Rule::kw_simplex => SpecialType::Simplex,
                Rule::kw_ordered => SpecialType::Ordered,
                Rule::kw_positive_ordered => SpecialType::PositiveOrdered,
                Rule::ty_structured => match kw.as_str() {
                    "cholesky_factor_cov" => SpecialType::CholeskyCov,
                    "cov_matrix" => SpecialType::CovMatrix,
                    "corr_matrix" => SpecialType::CorrMatrix,
                    "unit_vector" => SpecialType::UnitVector,
                    _ => SpecialType::SumToZero,
                },
                // `cholesky_factor_corr[K]`, Stan's name of `corr_cholesky[K]`.
                _ => SpecialType::CorrCholesky,
            };
            let size = self.expr(s.next().expect("size"), 0);
            let cols = s.next().map(|c| Box::new(self.expr(c, 0)));
            return Type {
                kind: TypeKind::Special {
                    kind,
                    size: Box::new(size),
                    cols,
                },
                span,
            };
        }
        let elem = if first.as_rule() == Rule::kw_int {
            ElemType::Int
        } else {
            ElemType::Real
        };
        let mut bounds = Vec::new();
        let mut dims = Vec::new();
        for p in inner {
            match p.as_rule() {
                Rule::constraint => {
                    for b in items(p) {
                        bounds.push(self.bound(b));
                    }
                }
                Rule::dims => dims = items(p).map(|e| self.expr(e, 0)).collect(),
                _ => {}
            }
        }
        Type {
            kind: TypeKind::Basic { elem, bounds, dims },
            span,
        }
    }

    /// `vector<...>[N]`, `row_vector<...>[N]`, `matrix<...>[N, K]`: the
    /// same as `real<...>[N]` and `real<...>[N, K]`.
    fn vector_type(&self, pair: Pair<'_, Rule>) -> TypeKind {
        let mut bounds = Vec::new();
        let mut dims = Vec::new();
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::constraint => bounds.extend(items(p).map(|b| self.bound(b))),
                Rule::expr => dims.push(self.expr(p, 0)),
                _ => {}
            }
        }
        TypeKind::Basic {
            elem: ElemType::Real,
            bounds,
            dims,
        }
    }

    fn bound(&self, pair: Pair<'_, Rule>) -> Bound {
        let span = self.span(&pair);
        let mut it = items(pair);
        let kind = match it.next().map(|k| k.as_str()) {
            Some("lower") => BoundKind::Lower,
            Some("offset") => BoundKind::Offset,
            Some("multiplier") => BoundKind::Multiplier,
            _ => BoundKind::Upper,
        };
        let value = self.expr(it.next().expect("bound value"), 0);
        if let Some(cmp) = it.next() {
            let op = cmp
                .clone()
                .into_inner()
                .next()
                .map(|o| o.as_str().to_string())
                .unwrap_or_default();
            self.error(
                Diagnostic::error(
                    "comparison-in-bound",
                    "a comparison inside a bound needs parentheses",
                )
                .with_label(
                    self.span(&cmp),
                    format!("`{op}` here ends or breaks the constraint"),
                )
                .with_help(format!(
                    "write the bound in parentheses, e.g. `<lower=(a {op} b)>`"
                )),
            );
        }
        Bound { kind, value, span }
    }

    fn args(&self, pair: Pair<'_, Rule>) -> Vec<Expr> {
        items(pair).map(|e| self.expr(e, 0)).collect()
    }

    /// Lowers an `expr` or `bound_expr`; `depth` is the depth of the
    /// enclosing expression tree.
    pub(super) fn expr(&self, pair: Pair<'_, Rule>, depth: usize) -> Expr {
        let span = self.span(&pair);
        let ops = pair
            .clone()
            .into_inner()
            .filter(|p| is_operator(p.as_rule()))
            .count();
        if depth + ops >= MAX_EXPR_DEPTH {
            self.error(
                Diagnostic::error(
                    "too-deep",
                    format!("expression is too deeply nested: more than {MAX_EXPR_DEPTH} levels of operators"),
                )
                .with_label(span, "this expression")
                .with_help("split it into several `let`s"),
            );
            return Expr {
                kind: ExprKind::Int(0),
                span,
            };
        }
        let child = depth + ops + 1;
        pratt()
            .map_primary(|p| self.primary(p, child))
            .map_prefix(|op, rhs| {
                let span = self.span(&op).to(rhs.span);
                let u = if op.as_rule() == Rule::neg {
                    UnOp::Neg
                } else {
                    UnOp::Not
                };
                Expr {
                    kind: ExprKind::Unary(u, Box::new(rhs)),
                    span,
                }
            })
            .map_postfix(|lhs, op| {
                let span = lhs.span.to(self.span(&op));
                if op.as_rule() == Rule::tick {
                    let func = Ident {
                        name: "transpose".into(),
                        span: self.span(&op),
                    };
                    return Expr {
                        kind: ExprKind::Call {
                            func,
                            args: vec![lhs],
                            bar: false,
                        },
                        span,
                    };
                }
                let idx = items(op).map(|i| self.index_item(i, child)).collect();
                Expr {
                    kind: ExprKind::Index(Box::new(lhs), idx),
                    span,
                }
            })
            .map_infix(|lhs, op, rhs| {
                let span = lhs.span.to(rhs.span);
                let kind = match binop(op.as_rule()) {
                    Some(b) => ExprKind::Binary(b, Box::new(lhs), Box::new(rhs)),
                    None => {
                        let mid = items(op)
                            .next()
                            .map(|m| self.expr(m, child))
                            .expect("middle of `?:`");
                        ExprKind::Cond(Box::new(lhs), Box::new(mid), Box::new(rhs))
                    }
                };
                Expr { kind, span }
            })
            .parse(pair.into_inner())
    }

    fn index_item(&self, pair: Pair<'_, Rule>, depth: usize) -> IndexItem {
        let span = self.span(&pair);
        let mut before = None;
        let mut after = None;
        let mut colon = false;
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::colon => colon = true,
                _ => {
                    let e = self.expr(p, depth);
                    if colon {
                        after = Some(e);
                    } else {
                        before = Some(e);
                    }
                }
            }
        }
        let kind = match (colon, before, after) {
            (false, Some(e), _) => IndexKind::Expr(e),
            (true, None, None) => IndexKind::All,
            (_, lo, hi) => IndexKind::Slice(lo, hi),
        };
        IndexItem { kind, span }
    }

    fn primary(&self, pair: Pair<'_, Rule>, depth: usize) -> Expr {
        let span = self.span(&pair);
        let kind = match pair.as_rule() {
            Rule::number => self.number(pair.as_str(), span),
            Rule::kw_true => ExprKind::Bool(true),
            Rule::kw_false => ExprKind::Bool(false),
            Rule::ident => ExprKind::Name(pair.as_str().to_string()),
            Rule::paren => {
                let inner = items(pair).next().expect("parenthesized expression");
                let mut e = self.expr(inner, depth);
                e.span = span;
                return e;
            }
            Rule::vec_lit => ExprKind::VecLit(items(pair).map(|e| self.expr(e, depth)).collect()),
            Rule::target_call => ExprKind::Call {
                func: Ident {
                    name: "target".into(),
                    span: Span::new(
                        span.file,
                        span.start as usize,
                        span.start as usize + "target".len(),
                    ),
                },
                args: Vec::new(),
                bar: false,
            },
            Rule::call => {
                let mut it = items(pair);
                let func = self.ident(it.next().expect("function name"));
                let mut args = Vec::new();
                let mut bar = false;
                if let Some(ca) = it.next() {
                    for p in ca.into_inner() {
                        match p.as_rule() {
                            Rule::bar => bar = true,
                            Rule::expr => args.push(self.expr(p, depth)),
                            _ => {}
                        }
                    }
                }
                ExprKind::Call { func, args, bar }
            }
            r => unreachable!("not a primary: {r:?}"),
        };
        Expr { kind, span }
    }

    fn number(&self, text: &str, span: Span) -> ExprKind {
        let is_real = text.contains(['.', 'e', 'E']);
        if !is_real {
            if let Ok(v) = text.parse::<i64>() {
                return ExprKind::Int(v);
            }
            self.error(
                Diagnostic::error(
                    "number-too-large",
                    format!("the integer `{text}` is too large"),
                )
                .with_label(span, format!("the largest int is {}", i64::MAX))
                .with_help("write it as a real, e.g. with an exponent: `1e20`"),
            );
            return ExprKind::Int(0);
        }
        match text.parse::<f64>() {
            Ok(v) if v.is_finite() => ExprKind::Real(v),
            _ => {
                self.error(
                    Diagnostic::error(
                        "number-too-large",
                        format!("the number `{text}` is too large"),
                    )
                    .with_label(span, "not a finite double-precision number"),
                );
                ExprKind::Real(0.0)
            }
        }
    }
}
