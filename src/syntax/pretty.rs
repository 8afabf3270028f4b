//! Printing the AST back: as source text (`pretty`, which re-parses to the
//! same tree) and as span-free S-expressions (`sexp`, for tests and
//! debugging: two trees print the same exactly when they are equal up to
//! spans).

use crate::ast::*;
use std::fmt::Write;

/// The program as source text, with the fewest parentheses that keep its tree.
pub fn pretty(program: &Program) -> String {
    let mut out = String::new();
    for s in &program.stmts {
        stmt(&mut out, s, 0);
    }
    out
}

fn indent(out: &mut String, level: usize) {
    for _ in 0..level {
        out.push_str("  ");
    }
}

fn block(out: &mut String, b: &Block, level: usize) {
    out.push_str("{\n");
    for s in &b.stmts {
        stmt(out, s, level + 1);
    }
    indent(out, level);
    out.push('}');
}

fn stmt(out: &mut String, s: &Stmt, level: usize) {
    indent(out, level);
    stmt_inline(out, s, level);
    out.push('\n');
}

fn stmt_inline(out: &mut String, s: &Stmt, level: usize) {
    match &s.kind {
        StmtKind::Data {
            name,
            ty,
            default,
            minibatch,
        } => {
            let _ = write!(out, "data {}: {}", name.name, type_text(ty));
            if minibatch.is_some() {
                out.push_str(" minibatch");
            }
            if let Some(d) = default {
                let _ = write!(out, " = {}", expr_text(d));
            }
        }
        StmtKind::Param { name, ty } => {
            let _ = write!(out, "param {}: {}", name.name, type_text(ty));
        }
        StmtKind::Let { name, value } => {
            let _ = write!(out, "let {} = {}", name.name, expr_text(value));
        }
        StmtKind::Var { name, ty, init } => {
            let _ = write!(out, "var {}: {}", name.name, type_text(ty));
            if let Some(d) = init {
                let _ = write!(out, " = {}", expr_text(d));
            }
        }
        StmtKind::Gen { name, value } => {
            let _ = write!(out, "gen {} = {}", name.name, expr_text(value));
        }
        StmtKind::GenBlock(b) => {
            out.push_str("gen ");
            block(out, b, level);
        }
        StmtKind::Fn(f) => {
            let args: Vec<String> = f
                .args
                .iter()
                .map(|a| format!("{}: {}", a.name.name, fn_type_text(a.ty)))
                .collect();
            let _ = write!(out, "fn {}({})", f.name.name, args.join(", "));
            if let Some(r) = f.ret {
                let _ = write!(out, " -> {}", fn_type_text(r));
            }
            match &f.body {
                FnBody::Expr(e) => {
                    let _ = write!(out, " = {}", expr_text(e));
                }
                FnBody::Block(b) => {
                    out.push(' ');
                    block(out, b, level);
                }
            }
        }
        StmtKind::Tilde {
            lhs,
            dist,
            args,
            truncation,
        } => {
            let args: Vec<String> = args.iter().map(expr_text).collect();
            let _ = write!(
                out,
                "{} ~ {}({})",
                expr_text(lhs),
                dist.name,
                args.join(", ")
            );
            if let Some(t) = truncation {
                let bound = |b: &Option<Expr>| b.as_ref().map(expr_text).unwrap_or_default();
                let _ = write!(out, " T[{}, {}]", bound(&t.lower), bound(&t.upper));
            }
        }
        StmtKind::Assign { target, op, value } => {
            let op = if *op == AssignOp::Add { "+=" } else { "=" };
            let _ = write!(out, "{} {op} {}", expr_text(target), expr_text(value));
        }
        StmtKind::TargetAdd(e) => {
            let _ = write!(out, "target += {}", expr_text(e));
        }
        StmtKind::For { var, lo, hi, body } => {
            let _ = write!(out, "for {} in {}:{} ", var.name, guarded(lo), guarded(hi));
            block(out, body, level);
        }
        StmtKind::If { cond, then, els } => {
            let _ = write!(out, "if {} ", expr_text(cond));
            block(out, then, level);
            match els {
                None => {}
                Some(Else::Block(b)) => {
                    out.push_str(" else ");
                    block(out, b, level);
                }
                Some(Else::If(s)) => {
                    out.push_str(" else ");
                    stmt_inline(out, s, level);
                }
            }
        }
        StmtKind::While { cond, body } => {
            let _ = write!(out, "while {} ", expr_text(cond));
            block(out, body, level);
        }
        StmtKind::Break => out.push_str("break"),
        StmtKind::Continue => out.push_str("continue"),
        StmtKind::Print(items) => {
            let _ = write!(out, "print({})", print_text(items, expr_text, ", "));
        }
        StmtKind::Reject(items) => {
            let _ = write!(out, "reject({})", print_text(items, expr_text, ", "));
        }
        StmtKind::Block(b) => block(out, b, level),
        StmtKind::Return(e) => {
            let _ = write!(out, "return {}", expr_text(e));
        }
    }
}

/// The arguments of `print` / `reject`, strings quoted.
fn print_text(items: &[PrintItem], value: fn(&Expr) -> String, separator: &str) -> String {
    let parts: Vec<String> = items
        .iter()
        .map(|i| match i {
            PrintItem::Text(t, _) => format!("\"{t}\""),
            PrintItem::Value(e) => value(e),
        })
        .collect();
    parts.join(separator)
}

fn type_text(t: &Type) -> String {
    match &t.kind {
        TypeKind::Special { kind, size, cols } => match cols {
            Some(c) => format!("{}[{}, {}]", kind.keyword(), expr_text(size), expr_text(c)),
            None => format!("{}[{}]", kind.keyword(), expr_text(size)),
        },
        TypeKind::Basic { elem, bounds, dims } => {
            let mut s = String::from(if *elem == ElemType::Int {
                "int"
            } else {
                "real"
            });
            if !bounds.is_empty() {
                let b: Vec<String> = bounds
                    .iter()
                    .map(|b| {
                        let k = b.kind.word();
                        let v = &b.value;
                        let text = match &v.kind {
                            ExprKind::Binary(op, ..) if binop_precedence(*op) < 5 => {
                                format!("({})", expr_text(v))
                            }
                            ExprKind::Cond(..) => format!("({})", expr_text(v)),
                            _ => expr_text(v),
                        };
                        format!("{k}={text}")
                    })
                    .collect();
                let _ = write!(s, "<{}>", b.join(", "));
            }
            if !dims.is_empty() {
                let d: Vec<String> = dims.iter().map(expr_text).collect();
                let _ = write!(s, "[{}]", d.join(", "));
            }
            s
        }
    }
}

fn fn_type_text(t: FnType) -> String {
    let e = if t.elem == ElemType::Int {
        "int"
    } else {
        "real"
    };
    match t.dims {
        FnDims::Scalar => e.to_string(),
        FnDims::Vector => format!("{e}[]"),
        FnDims::Matrix => format!("{e}[,]"),
    }
}

/// An expression that must not expose a top-level `?:` (indices, ranges).
fn guarded(e: &Expr) -> String {
    if matches!(e.kind, ExprKind::Cond(..)) {
        format!("({})", expr_text(e))
    } else {
        expr_text(e)
    }
}

fn precedence(e: &Expr) -> u8 {
    match &e.kind {
        ExprKind::Binary(op, ..) => binop_precedence(*op),
        ExprKind::Unary(..) => PREFIX_PRECEDENCE,
        ExprKind::Cond(..) => COND_PRECEDENCE,
        _ => 10,
    }
}

fn wrap(e: &Expr, paren: bool) -> String {
    if paren {
        format!("({})", expr_text(e))
    } else {
        expr_text(e)
    }
}

fn real_text(v: f64) -> String {
    let s = format!("{v:?}");
    if s.contains(['.', 'e', 'E']) {
        s
    } else {
        format!("{s}.0")
    }
}

/// One expression as source text.
pub fn expr_text(e: &Expr) -> String {
    match &e.kind {
        ExprKind::Int(v) => v.to_string(),
        ExprKind::Real(v) => real_text(*v),
        ExprKind::Bool(b) => b.to_string(),
        ExprKind::Name(n) => n.clone(),
        ExprKind::Unary(op, x) => {
            let sym = if *op == UnOp::Neg { "-" } else { "!" };
            // `^` binds tighter than prefix operators, so `-a ^ b` needs no parentheses.
            let p = precedence(x) < PREFIX_PRECEDENCE || matches!(x.kind, ExprKind::Unary(..));
            format!("{sym}{}", wrap(x, p))
        }
        ExprKind::Binary(op, a, b) => {
            let p = binop_precedence(*op);
            let (pa, pb) = (precedence(a), precedence(b));
            let (la, lb) = if *op == BinOp::Pow {
                (pa <= p, pb < p || matches!(b.kind, ExprKind::Unary(..)))
            } else {
                (pa < p, pb <= p)
            };
            format!("{} {} {}", wrap(a, la), binop_symbol(*op), wrap(b, lb))
        }
        ExprKind::Cond(c, a, b) => {
            format!(
                "{} ? {} : {}",
                wrap(c, precedence(c) <= COND_PRECEDENCE),
                expr_text(a),
                expr_text(b)
            )
        }
        ExprKind::Index(base, items) => {
            let items: Vec<String> = items
                .iter()
                .map(|i| match &i.kind {
                    IndexKind::Expr(e) => guarded(e),
                    IndexKind::All => ":".to_string(),
                    IndexKind::Slice(lo, hi) => format!(
                        "{}:{}",
                        lo.as_ref().map(guarded).unwrap_or_default(),
                        hi.as_ref().map(guarded).unwrap_or_default()
                    ),
                })
                .collect();
            format!(
                "{}[{}]",
                wrap(base, precedence(base) < 10),
                items.join(", ")
            )
        }
        ExprKind::Call { func, args, bar } => {
            let a: Vec<String> = args.iter().map(expr_text).collect();
            if *bar && !a.is_empty() {
                format!("{}({} | {})", func.name, a[0], a[1..].join(", "))
            } else {
                format!("{}({})", func.name, a.join(", "))
            }
        }
        ExprKind::VecLit(items) => {
            let a: Vec<String> = items.iter().map(expr_text).collect();
            format!("[{}]", a.join(", "))
        }
    }
}

/// The program as S-expressions, one top-level statement per line, no spans.
pub fn sexp(program: &Program) -> String {
    let mut out = String::new();
    for s in &program.stmts {
        stmt_sexp(&mut out, s, 0);
        out.push('\n');
    }
    out
}

fn block_sexp(out: &mut String, b: &Block, level: usize) {
    out.push_str("(block");
    for s in &b.stmts {
        out.push('\n');
        indent(out, level + 1);
        stmt_sexp(out, s, level + 1);
    }
    out.push(')');
}

fn stmt_sexp(out: &mut String, s: &Stmt, level: usize) {
    match &s.kind {
        StmtKind::Data {
            name,
            ty,
            default,
            minibatch,
        } => {
            let _ = write!(out, "(data {} {}", name.name, type_sexp(ty));
            if minibatch.is_some() {
                out.push_str(" minibatch");
            }
            if let Some(d) = default {
                let _ = write!(out, " {}", expr_sexp(d));
            }
            out.push(')');
        }
        StmtKind::Param { name, ty } => {
            let _ = write!(out, "(param {} {})", name.name, type_sexp(ty));
        }
        StmtKind::Let { name, value } => {
            let _ = write!(out, "(let {} {})", name.name, expr_sexp(value));
        }
        StmtKind::Var { name, ty, init } => {
            let _ = write!(out, "(var {} {}", name.name, type_sexp(ty));
            if let Some(d) = init {
                let _ = write!(out, " {}", expr_sexp(d));
            }
            out.push(')');
        }
        StmtKind::Gen { name, value } => {
            let _ = write!(out, "(gen {} {})", name.name, expr_sexp(value));
        }
        StmtKind::GenBlock(b) => {
            out.push_str("(gen ");
            block_sexp(out, b, level);
            out.push(')');
        }
        StmtKind::Fn(f) => {
            let args: Vec<String> = f
                .args
                .iter()
                .map(|a| format!("({} {})", a.name.name, fn_type_text(a.ty)))
                .collect();
            let ret = f.ret.map(fn_type_text).unwrap_or_else(|| "?".into());
            let _ = write!(out, "(fn {} ({}) {ret} ", f.name.name, args.join(" "));
            match &f.body {
                FnBody::Expr(e) => out.push_str(&expr_sexp(e)),
                FnBody::Block(b) => block_sexp(out, b, level),
            }
            out.push(')');
        }
        StmtKind::Tilde {
            lhs,
            dist,
            args,
            truncation,
        } => {
            let _ = write!(out, "(~ {} {}", expr_sexp(lhs), dist.name);
            for a in args {
                let _ = write!(out, " {}", expr_sexp(a));
            }
            if let Some(t) = truncation {
                let bound = |b: &Option<Expr>| b.as_ref().map_or("_".to_string(), expr_sexp);
                let _ = write!(out, " (T {} {})", bound(&t.lower), bound(&t.upper));
            }
            out.push(')');
        }
        StmtKind::Assign { target, op, value } => {
            let op = if *op == AssignOp::Add { "+=" } else { "=" };
            let _ = write!(out, "({op} {} {})", expr_sexp(target), expr_sexp(value));
        }
        StmtKind::TargetAdd(e) => {
            let _ = write!(out, "(target+= {})", expr_sexp(e));
        }
        StmtKind::For { var, lo, hi, body } => {
            let _ = write!(
                out,
                "(for {} {} {} ",
                var.name,
                expr_sexp(lo),
                expr_sexp(hi)
            );
            block_sexp(out, body, level);
            out.push(')');
        }
        StmtKind::If { cond, then, els } => {
            let _ = write!(out, "(if {} ", expr_sexp(cond));
            block_sexp(out, then, level);
            match els {
                None => {}
                Some(Else::Block(b)) => {
                    out.push(' ');
                    block_sexp(out, b, level);
                }
                Some(Else::If(s)) => {
                    out.push(' ');
                    stmt_sexp(out, s, level);
                }
            }
            out.push(')');
        }
        StmtKind::While { cond, body } => {
            let _ = write!(out, "(while {} ", expr_sexp(cond));
            block_sexp(out, body, level);
            out.push(')');
        }
        StmtKind::Break => out.push_str("(break)"),
        StmtKind::Continue => out.push_str("(continue)"),
        StmtKind::Print(items) => {
            let _ = write!(out, "(print {})", print_text(items, expr_sexp, " "));
        }
        StmtKind::Reject(items) => {
            let _ = write!(out, "(reject {})", print_text(items, expr_sexp, " "));
        }
        StmtKind::Block(b) => block_sexp(out, b, level),
        StmtKind::Return(e) => {
            let _ = write!(out, "(return {})", expr_sexp(e));
        }
    }
}

fn type_sexp(t: &Type) -> String {
    match &t.kind {
        TypeKind::Special { kind, size, cols } => match cols {
            Some(c) => format!("({} {} {})", kind.keyword(), expr_sexp(size), expr_sexp(c)),
            None => format!("({} {})", kind.keyword(), expr_sexp(size)),
        },
        TypeKind::Basic { elem, bounds, dims } => {
            let e = if *elem == ElemType::Int {
                "int"
            } else {
                "real"
            };
            if bounds.is_empty() && dims.is_empty() {
                return e.to_string();
            }
            let mut s = format!("({e}");
            for b in bounds {
                let k = b.kind.word();
                let _ = write!(s, " ({k} {})", expr_sexp(&b.value));
            }
            if !dims.is_empty() {
                let d: Vec<String> = dims.iter().map(expr_sexp).collect();
                let _ = write!(s, " [{}]", d.join(" "));
            }
            s.push(')');
            s
        }
    }
}

/// One expression as an S-expression.
pub fn expr_sexp(e: &Expr) -> String {
    match &e.kind {
        ExprKind::Int(v) => v.to_string(),
        ExprKind::Real(v) => real_text(*v),
        ExprKind::Bool(b) => b.to_string(),
        ExprKind::Name(n) => n.clone(),
        ExprKind::Unary(op, x) => {
            let sym = if *op == UnOp::Neg { "neg" } else { "!" };
            format!("({sym} {})", expr_sexp(x))
        }
        ExprKind::Binary(op, a, b) => {
            format!("({} {} {})", binop_symbol(*op), expr_sexp(a), expr_sexp(b))
        }
        ExprKind::Cond(c, a, b) => {
            format!("(? {} {} {})", expr_sexp(c), expr_sexp(a), expr_sexp(b))
        }
        ExprKind::Index(base, items) => {
            let mut s = format!("(index {}", expr_sexp(base));
            for i in items {
                match &i.kind {
                    IndexKind::Expr(e) => {
                        let _ = write!(s, " {}", expr_sexp(e));
                    }
                    IndexKind::All => s.push_str(" :"),
                    IndexKind::Slice(lo, hi) => {
                        let lo = lo.as_ref().map(expr_sexp).unwrap_or_else(|| "_".into());
                        let hi = hi.as_ref().map(expr_sexp).unwrap_or_else(|| "_".into());
                        let _ = write!(s, " (: {lo} {hi})");
                    }
                }
            }
            s.push(')');
            s
        }
        ExprKind::Call { func, args, bar } => {
            let mut s = format!("(call {}", func.name);
            for (i, a) in args.iter().enumerate() {
                if *bar && i == 1 {
                    s.push_str(" |");
                }
                let _ = write!(s, " {}", expr_sexp(a));
            }
            if *bar && args.len() == 1 {
                s.push_str(" |");
            }
            s.push(')');
            s
        }
        ExprKind::VecLit(items) => {
            let mut s = String::from("(vec");
            for a in items {
                let _ = write!(s, " {}", expr_sexp(a));
            }
            s.push(')');
            s
        }
    }
}
