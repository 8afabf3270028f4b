//! Indexing: single elements, slices, multi-indices and `var` elements.

use super::Evaluator;
use super::workspace::{EvalError, EvalResult};
use crate::density::value::{Buf, ConstRef, Dims, LocalValue, TapeRef, Value, element_count};
use crate::ir::{Expr, ExprKind, Index};
use crate::scalar::Scalar;
use crate::source::Span;

impl<T: Scalar> Evaluator<'_, T> {
    /// `base[idx]`: single int indices read one element directly.
    pub(super) fn index_expr(
        &mut self,
        base: &Expr,
        idx: &[Index],
        span: Span,
    ) -> EvalResult<Value> {
        if let ExprKind::Local(id) = base.kind {
            if let LocalValue::Var { off, dims, .. } = self.workspace.locals[id.index()] {
                if let Some(k) = self.single_position(idx, dims, span)? {
                    return self.read_slot(off as usize + k, id, span);
                }
                if let Dims::Array3(j, k, l) = dims {
                    let first = self.array3_first(idx, j, dims, span)?;
                    let (off, dims) = (off as usize + first * k * l, Dims::Matrix(k, l));
                    return match &idx[1..] {
                        [] => self.index_var(id, off, dims, &[Index::All], span),
                        rest => self.index_var(id, off, dims, rest, span),
                    };
                }
                return self.index_var(id, off as usize, dims, idx, span);
            }
        }
        let b = self.expr(base)?;
        if let Some(k) = self.single_position(idx, b.dims(), span)? {
            return Ok(match b {
                Value::Mat(r, ..) | Value::Arr3(r, _) if r.buf == Buf::IntMatrix => {
                    Value::Int(self.const_ints(r)[k])
                }
                Value::Vec(r) | Value::Mat(r, ..) | Value::Arr3(r, _) => {
                    Value::Real(self.const_reals(r)[k])
                }
                Value::IntArr(r) => Value::Int(self.const_ints(r)[k]),
                Value::TapeVec(r) | Value::TapeMat(r, ..) | Value::TapeArr3(r, _) => {
                    Value::TapeReal(r.at(k))
                }
                _ => unreachable!("scalars have no single position"),
            });
        }
        self.index(b, idx, span)
    }

    /// The 0-based position of the first index of a 3-d array, which
    /// selects one matrix (the checker allows only a single int there).
    fn array3_first(
        &mut self,
        idx: &[Index],
        n: usize,
        dims: Dims,
        span: Span,
    ) -> EvalResult<usize> {
        let Some(Index::Single(e)) = idx.first() else {
            return Err(EvalError::fatal(
                span,
                format!("the first index of {dims} must be a single int"),
            ));
        };
        let i = self.expr_int(e)?;
        if i < 1 || i as usize > n {
            return Err(EvalError::fatal(
                span,
                format!("index {i} is out of range: the value indexed is {dims}"),
            ));
        }
        Ok(i as usize - 1)
    }

    /// `z[j, ...]` of a 3-d array: matrix `j` (a sub-range, no copy),
    /// then the remaining indices as a matrix takes them.
    fn index_array3(&mut self, base: Value, idx: &[Index], span: Span) -> EvalResult<Value> {
        let Dims::Array3(j, k, l) = base.dims() else {
            unreachable!("called for 3-d arrays only")
        };
        if idx.len() > 3 {
            return Err(EvalError::fatal(
                span,
                format!("{} indices do not fit {}", idx.len(), base.dims()),
            ));
        }
        let first = self.array3_first(idx, j, base.dims(), span)?;
        let block = match base {
            Value::Arr3(r, _) => Value::Mat(r.sub(first * k * l, k * l), k as u32, l as u32),
            Value::TapeArr3(r, _) => {
                Value::TapeMat(r.sub(first * k * l, k * l), k as u32, l as u32)
            }
            _ => unreachable!("3-d arrays only"),
        };
        match &idx[1..] {
            [] => Ok(block),
            rest => self.index(block, rest, span),
        }
    }

    /// The flat position of `v[i]` (vector) or `m[i, j]` (matrix) when every
    /// index is a single int; `None` for slices, gathers and rows.
    #[inline]
    fn single_position(
        &mut self,
        idx: &[Index],
        dims: Dims,
        span: Span,
    ) -> EvalResult<Option<usize>> {
        let (rows, cols) = match (dims, idx) {
            (Dims::Vector(n), [Index::Single(_)]) => (n, 1),
            (Dims::Matrix(r, c), [Index::Single(_), Index::Single(_)]) => (r, c),
            (Dims::Array3(..), [Index::Single(_), Index::Single(_), Index::Single(_)]) => {
                return self.single_position3(idx, dims, span).map(Some);
            }
            _ => return Ok(None),
        };
        let mut pos = 0;
        for (q, ix) in idx.iter().enumerate() {
            let Index::Single(e) = ix else {
                unreachable!("matched above")
            };
            let i = self.expr_int(e)?;
            let n = if q == 0 { rows } else { cols };
            if i < 1 || i as usize > n {
                return Err(EvalError::fatal(
                    span,
                    format!("index {i} is out of range: the value indexed is {dims}"),
                ));
            }
            pos = pos * cols + (i as usize - 1);
        }
        Ok(Some(pos))
    }

    /// The flat position of `z[i, j, k]` in a 3-d array.
    fn single_position3(&mut self, idx: &[Index], dims: Dims, span: Span) -> EvalResult<usize> {
        let sizes = dims.sizes();
        let mut pos = 0;
        for (ix, &n) in idx.iter().zip(&sizes) {
            let Index::Single(e) = ix else {
                unreachable!("matched by the caller")
            };
            let i = self.expr_int(e)?;
            if i < 1 || i as usize > n {
                return Err(EvalError::fatal(
                    span,
                    format!("index {i} is out of range: the value indexed is {dims}"),
                ));
            }
            pos = pos * n + (i as usize - 1);
        }
        Ok(pos)
    }

    fn index_range(
        &mut self,
        ix: &Index,
        n: usize,
        span: Span,
        what: Value,
    ) -> EvalResult<IndexSelection> {
        let oob = |i: i64| {
            EvalError::fatal(
                span,
                format!(
                    "index {i} is out of range: the value indexed is {}",
                    what.dims()
                ),
            )
        };
        match ix {
            Index::Single(e) => {
                let i = self.expr_int(e)?;
                if i < 1 || i as usize > n {
                    return Err(oob(i));
                }
                Ok(IndexSelection::One(i as usize - 1))
            }
            Index::All => Ok(IndexSelection::Range(0, n)),
            Index::Slice(lo, hi) => {
                let lo = match lo {
                    Some(e) => self.expr_int(e)?,
                    None => 1,
                };
                let hi = match hi {
                    Some(e) => self.expr_int(e)?,
                    None => n as i64,
                };
                if hi < lo {
                    return Ok(IndexSelection::Range(0, 0));
                }
                if lo < 1 {
                    return Err(oob(lo));
                }
                if hi as usize > n {
                    return Err(oob(hi));
                }
                Ok(IndexSelection::Range(
                    lo as usize - 1,
                    (hi - lo + 1) as usize,
                ))
            }
            Index::Multi(e) => {
                let v = self.expr(e)?;
                let r = match v {
                    Value::IntArr(r) => r,
                    Value::Int(i) => {
                        if i < 1 || i as usize > n {
                            return Err(oob(i));
                        }
                        return Ok(IndexSelection::One(i as usize - 1));
                    }
                    _ => {
                        return Err(EvalError::fatal(
                            e.span,
                            "a multi-index must be an int array",
                        ));
                    }
                };
                for &i in self.const_ints(r) {
                    if i < 1 || i as usize > n {
                        return Err(EvalError::fatal(
                            e.span,
                            format!(
                                "index {i} (in a multi-index) is out of range: the value indexed is {}",
                                what.dims()
                            ),
                        ));
                    }
                }
                Ok(IndexSelection::List(r))
            }
        }
    }

    fn sel_len(&self, s: &IndexSelection) -> usize {
        match s {
            IndexSelection::One(_) => 1,
            IndexSelection::Range(_, n) => *n,
            IndexSelection::List(r) => r.len as usize,
        }
    }

    fn sel_at(&self, s: &IndexSelection, k: usize) -> usize {
        match s {
            IndexSelection::One(i) => *i,
            IndexSelection::Range(a, _) => a + k,
            IndexSelection::List(r) => self.const_ints(*r)[k] as usize - 1,
        }
    }

    #[inline(never)]
    pub fn index(&mut self, base: Value, idx: &[Index], span: Span) -> EvalResult<Value> {
        let (rows, cols, is_mat) = match base.dims() {
            Dims::Vector(n) => (n, 1, false),
            Dims::Matrix(r, c) => (r, c, true),
            Dims::Array3(..) => return self.index_array3(base, idx, span),
            Dims::Scalar => return Err(EvalError::fatal(span, "a scalar cannot be indexed")),
        };
        if idx.is_empty() || idx.len() > 1 + is_mat as usize {
            return Err(EvalError::fatal(
                span,
                format!("{} indices do not fit {}", idx.len(), base.dims()),
            ));
        }
        let rsel = self.index_range(&idx[0], rows, span, base)?;
        let csel = if is_mat {
            match idx.get(1) {
                Some(ix) => self.index_range(ix, cols, span, base)?,
                None => IndexSelection::Range(0, cols),
            }
        } else {
            IndexSelection::One(0)
        };
        let keep_r = !matches!(rsel, IndexSelection::One(_));
        let keep_c = is_mat && !matches!(csel, IndexSelection::One(_));
        let nr = self.sel_len(&rsel);
        let nc = self.sel_len(&csel);
        let dims = match (keep_r, keep_c) {
            (false, false) => Dims::Scalar,
            (true, false) => Dims::Vector(nr),
            (false, true) => Dims::Vector(nc),
            (true, true) => Dims::Matrix(nr, nc),
        };
        // Contiguous selections are sub-ranges: no copy.
        let contiguous_start = match (&rsel, &csel) {
            (IndexSelection::One(i), IndexSelection::One(j)) => Some(i * cols + j),
            (IndexSelection::Range(a, _), IndexSelection::One(0)) if !is_mat => Some(*a),
            (IndexSelection::One(i), IndexSelection::Range(0, n)) if *n == cols => Some(i * cols),
            (IndexSelection::Range(a, _), IndexSelection::Range(0, n)) if *n == cols => {
                Some(a * cols)
            }
            (IndexSelection::One(i), IndexSelection::Range(b, _)) => Some(i * cols + b),
            _ => None,
        };
        let total = nr * nc;
        if base.is_int_matrix() {
            return Ok(self.index_int_matrix(base, idx, contiguous_start, &rsel, &csel, dims));
        }
        if let Some(start) = contiguous_start {
            return Ok(match base {
                Value::Vec(r) | Value::Mat(r, ..) => self.const_value(r.sub(start, total), dims),
                Value::IntArr(r) => match dims {
                    Dims::Scalar => Value::Int(self.const_ints(r)[start]),
                    _ => Value::IntArr(r.sub(start, total)),
                },
                Value::TapeVec(r) | Value::TapeMat(r, ..) => {
                    Self::tape_value(r.sub(start, total), dims)
                }
                _ => unreachable!("scalars rejected above"),
            });
        }
        // General selection: gather the flat positions.
        match base {
            Value::IntArr(r) => {
                let out = self.int_scratch(total);
                for a in 0..nr {
                    let i = self.sel_at(&rsel, a);
                    let x = self.const_ints(r)[i];
                    self.workspace.int_scratch[out.off as usize + a] = x;
                }
                Ok(Value::IntArr(out))
            }
            Value::Vec(r) | Value::Mat(r, ..) => {
                let out = self.scratch(total);
                for a in 0..nr {
                    for b in 0..nc {
                        let pos = self.sel_at(&rsel, a) * cols + self.sel_at(&csel, b);
                        let x = self.const_reals(r)[pos];
                        self.workspace.scratch[out.off as usize + a * nc + b] = x;
                    }
                }
                Ok(self.const_value(out, dims))
            }
            Value::TapeVec(r) | Value::TapeMat(r, ..) => {
                let idx_off = self.workspace.tape.idx.len();
                for a in 0..nr {
                    for b in 0..nc {
                        let pos = self.sel_at(&rsel, a) * cols + self.sel_at(&csel, b);
                        self.workspace.tape.idx.push(r.at(pos));
                    }
                }
                Ok(self.gather_slots(idx_off, total, dims))
            }
            _ => unreachable!("scalars rejected above"),
        }
    }

    /// A selection from an int matrix: an int, an int array (a row, part of
    /// a row, a column), an int matrix for whole rows (sharing its storage)
    /// or a real matrix for any other block, as the checker types them.
    fn index_int_matrix(
        &mut self,
        base: Value,
        idx: &[Index],
        contiguous_start: Option<usize>,
        rsel: &IndexSelection,
        csel: &IndexSelection,
        dims: Dims,
    ) -> Value {
        let Value::Mat(r, _, cols) = base else {
            unreachable!("checked by the caller")
        };
        let cols = cols as usize;
        let total = element_count(dims);
        match (dims, contiguous_start) {
            (Dims::Scalar, Some(start)) => Value::Int(self.const_ints(r)[start]),
            (Dims::Vector(_), Some(start)) => Value::IntArr(ConstRef {
                buf: Buf::Data,
                ..r.sub(start, total)
            }),
            (Dims::Matrix(rows, c), Some(start)) => {
                let buf = if Index::whole_rows(idx) {
                    Buf::IntMatrix
                } else {
                    Buf::IntMirror
                };
                Value::Mat(
                    ConstRef {
                        buf,
                        ..r.sub(start, total)
                    },
                    rows as u32,
                    c as u32,
                )
            }
            (Dims::Matrix(rows, c), None) => {
                let out = self.scratch(total);
                for a in 0..rows {
                    for b in 0..c {
                        let pos = self.sel_at(rsel, a) * cols + self.sel_at(csel, b);
                        let x = self.const_ints(r)[pos] as f64;
                        self.workspace.scratch[out.off as usize + a * c + b] = x;
                    }
                }
                Value::Mat(out, rows as u32, c as u32)
            }
            (Dims::Array3(..), _) => {
                unreachable!("a selection from a matrix has at most two dimensions")
            }
            (_, None) => {
                let (nr, nc) = (self.sel_len(rsel), self.sel_len(csel));
                let out = self.int_scratch(total);
                for a in 0..nr {
                    for b in 0..nc {
                        let pos = self.sel_at(rsel, a) * cols + self.sel_at(csel, b);
                        let x = self.const_ints(r)[pos];
                        self.workspace.int_scratch[out.off as usize + a * nc + b] = x;
                    }
                }
                Value::IntArr(out)
            }
        }
    }

    /// Indexing a `var`: reads only the selected elements, so a recursion
    /// may read `h[t - 1]` while later elements are still unassigned.
    fn index_var(
        &mut self,
        id: crate::ir::LocalId,
        off: usize,
        dims: Dims,
        idx: &[Index],
        span: Span,
    ) -> EvalResult<Value> {
        let (rows, cols, is_mat) = match dims {
            Dims::Vector(n) => (n, 1, false),
            Dims::Matrix(r, c) => (r, c, true),
            Dims::Scalar | Dims::Array3(..) => {
                return Err(EvalError::fatal(
                    span,
                    format!("{dims} cannot be indexed here"),
                ));
            }
        };
        if idx.is_empty() || idx.len() > 1 + is_mat as usize {
            return Err(EvalError::fatal(
                span,
                format!("{} indices do not fit {dims}", idx.len()),
            ));
        }
        let what = match dims {
            Dims::Matrix(r, c) => Value::TapeMat(TapeRef::new(0, r * c), r as u32, c as u32),
            _ => Value::TapeVec(TapeRef::new(0, rows)),
        };
        let rsel = self.index_range(&idx[0], rows, span, what)?;
        let csel = if is_mat {
            match idx.get(1) {
                Some(ix) => self.index_range(ix, cols, span, what)?,
                None => IndexSelection::Range(0, cols),
            }
        } else {
            IndexSelection::One(0)
        };
        if let (IndexSelection::One(i), IndexSelection::One(j)) = (&rsel, &csel) {
            return self.read_slot(off + i * cols + j, id, span);
        }
        let keep_c = is_mat && !matches!(csel, IndexSelection::One(_));
        let keep_r = !matches!(rsel, IndexSelection::One(_));
        let (nr, nc) = (self.sel_len(&rsel), self.sel_len(&csel));
        let out_dims = match (keep_r, keep_c) {
            (true, true) => Dims::Matrix(nr, nc),
            (true, false) => Dims::Vector(nr),
            _ => Dims::Vector(nc),
        };
        let mut vals = Vec::with_capacity(nr * nc);
        for a in 0..nr {
            for b in 0..nc {
                let pos = self.sel_at(&rsel, a) * cols + self.sel_at(&csel, b);
                vals.push(self.read_slot(off + pos, id, span)?);
            }
        }
        if vals.iter().all(|v| matches!(v, Value::Int(_))) {
            let r = self.int_scratch(vals.len());
            for (k, v) in vals.iter().enumerate() {
                self.workspace.int_scratch[r.off as usize + k] = self.element_f64(*v, 0) as i64;
            }
            return Ok(Value::IntArr(r));
        }
        if !vals.iter().any(Value::is_var) {
            let r = self.scratch(vals.len());
            for (k, v) in vals.iter().enumerate() {
                self.workspace.scratch[r.off as usize + k] = self.element_f64(*v, 0);
            }
            return Ok(self.const_value(r, out_dims));
        }
        let idx_off = self.workspace.tape.idx.len();
        for v in &vals {
            let s = self.slots_of(*v).off;
            self.workspace.tape.idx.push(s);
        }
        Ok(self.gather_slots(idx_off, vals.len(), out_dims))
    }
}

/// One index position resolved to 0-based positions.
enum IndexSelection {
    One(usize),
    Range(usize, usize),
    List(ConstRef),
}
