//! Distribution calls: vectorization, domain checks, partials, samplers.

use super::workspace::{EvalError, EvalResult};
use crate::density::eval::Evaluator;
use crate::density::eval::tape_ref_of;
use crate::density::tape::rows::ROW_CHUNK;
use crate::density::tape::{Node, Part};
use crate::density::value::{Buf, Dims, TapeRef, Value};
use crate::dist::cumulative::{self, Cumulative};
use crate::dist::{
    Arg, ArgSpec, DistId, Domain, Multivariate, MultivariateVisitor, Univariate, UnivariateVisitor,
    View,
};
use crate::scalar::{MAX_ARITY, Scalar};
use crate::source::Span;

struct UnivariateCall<'e, 'a, T: Scalar> {
    ev: &'e mut Evaluator<'a, T>,
    vals: &'e [Value],
    span: Span,
}

impl<T: Scalar> UnivariateVisitor for UnivariateCall<'_, '_, T> {
    type Output = EvalResult<Value>;
    fn visit<D: Univariate>(self) -> EvalResult<Value> {
        self.ev.univariate::<D>(self.vals, self.span)
    }
}

struct MultivariateCall<'e, 'a, T: Scalar> {
    ev: &'e mut Evaluator<'a, T>,
    vals: &'e [Value],
    span: Span,
}

impl<T: Scalar> MultivariateVisitor for MultivariateCall<'_, '_, T> {
    type Output = EvalResult<Value>;
    fn visit<D: Multivariate>(self) -> EvalResult<Value> {
        self.ev.multivariate::<D>(self.vals, self.span)
    }
}

struct SamplerCall<'e, 'a, T: Scalar> {
    ev: &'e mut Evaluator<'a, T>,
    vals: &'e [Value],
    span: Span,
}

impl<T: Scalar> UnivariateVisitor for SamplerCall<'_, '_, T> {
    type Output = EvalResult<Value>;
    fn visit<D: Univariate>(self) -> EvalResult<Value> {
        self.ev.univariate_rng::<D>(self.vals, self.span)
    }
}

impl<T: Scalar> MultivariateVisitor for SamplerCall<'_, '_, T> {
    type Output = EvalResult<Value>;
    fn visit<D: Multivariate>(self) -> EvalResult<Value> {
        self.ev.multivariate_rng::<D>(self.vals, self.span)
    }
}

pub(super) fn arg_spec(spec: &crate::dist::DistSpec, j: usize) -> ArgSpec {
    if j == 0 {
        spec.variate
    } else {
        spec.args[j - 1]
    }
}

impl<T: Scalar> Evaluator<'_, T> {
    /// The summed log density of a built-in distribution; `vals[0]` is the variate.
    pub fn dist_call(&mut self, id: DistId, vals: &[Value], span: Span) -> EvalResult<Value> {
        let spec = id.spec();
        if vals.len() != spec.args.len() + 1 {
            return Err(EvalError::fatal(
                span,
                format!(
                    "{} takes {} arguments, found {}",
                    spec.name,
                    spec.args.len(),
                    vals.len() - 1
                ),
            ));
        }
        if let Some(v) = self.glm_fused(id, vals, span)? {
            return Ok(v);
        }
        if id.is_univariate() {
            id.visit_univariate(UnivariateCall {
                ev: self,
                vals,
                span,
            })
            .expect("univariate")
        } else {
            id.visit_multivariate(MultivariateCall {
                ev: self,
                vals,
                span,
            })
            .expect("multivariate")
        }
    }

    /// The common length of the vector arguments (1 when all are scalars).
    pub(super) fn vector_len(
        &self,
        name: &str,
        vals: &[Value],
        specs: impl Fn(usize) -> ArgSpec,
        span: Span,
    ) -> EvalResult<usize> {
        let mut n: Option<(usize, usize)> = None;
        for (j, v) in vals.iter().enumerate() {
            if v.is_scalar() {
                continue;
            }
            match n {
                None => n = Some((v.len(), j)),
                // 3-d arrays pair element by element only with the same sizes.
                Some((_, k))
                    if matches!(v.dims(), Dims::Array3(..))
                        && matches!(vals[k].dims(), Dims::Array3(..))
                        && v.dims() != vals[k].dims() =>
                {
                    return Err(EvalError::fatal(
                        span,
                        format!(
                            "{name}: `{}` is {} but `{}` is {}",
                            specs(j).name,
                            v.dims(),
                            specs(k).name,
                            vals[k].dims()
                        ),
                    ));
                }
                Some((m, k)) if m != v.len() => {
                    return Err(EvalError::fatal(
                        span,
                        format!(
                            "{name}: `{}` has {} elements but `{}` has {m}",
                            specs(j).name,
                            v.len(),
                            specs(k).name
                        ),
                    ));
                }
                _ => {}
            }
        }
        Ok(n.map(|(m, _)| m).unwrap_or(1))
    }

    /// Checks every element of every argument against its domain.
    pub(super) fn check_domains(
        &self,
        name: &str,
        vals: &[Value],
        specs: impl Fn(usize) -> ArgSpec,
        span: Span,
    ) -> EvalResult<()> {
        for (j, &v) in vals.iter().enumerate() {
            let a = specs(j);
            let elementwise = !matches!(
                a.domain,
                Domain::Simplex
                    | Domain::Covariance
                    | Domain::CholeskyFactor
                    | Domain::CorrCholesky
                    | Domain::Any
            );
            if !elementwise {
                continue;
            }
            let dom = a.domain;
            let bad = match v {
                Value::Int(i) => (!dom.contains(i as f64)).then_some(0),
                Value::Real(x) => (!dom.contains(x)).then_some(0),
                Value::TapeReal(s) => {
                    (!dom.contains(self.workspace.tape.vals[s as usize].re())).then_some(0)
                }
                Value::IntArr(r) => dom.first_outside(self.const_ints(r).iter().map(|&x| x as f64)),
                Value::Arr3(r, _) if r.buf == Buf::IntMatrix => {
                    dom.first_outside(self.const_ints(r).iter().map(|&x| x as f64))
                }
                Value::Vec(r) | Value::Mat(r, ..) | Value::Arr3(r, _) => {
                    dom.first_outside(self.const_reals(r).iter().copied())
                }
                Value::TapeVec(r) | Value::TapeMat(r, ..) | Value::TapeArr3(r, _) => {
                    dom.first_outside(self.workspace.tape.vals[r.range()].iter().map(|x| x.re()))
                }
            };
            if let Some(i) = bad {
                let x = self.element_f64(v, i);
                let which = if v.is_scalar() {
                    format!("`{}`", a.name)
                } else {
                    format!("`{}[{}]`", a.name, i + 1)
                };
                let role = if j == 0 {
                    "the variate"
                } else {
                    "the argument"
                };
                return Err(EvalError::reject(
                    span,
                    format!("{name}: {role} {which} = {x} is not {}", dom.describe()),
                ));
            }
        }
        Ok(())
    }

    pub fn univariate<D: Univariate>(&mut self, vals: &[Value], span: Span) -> EvalResult<Value> {
        self.univariate_summed::<D>(vals, span, None)
    }

    /// The summed log density of `D` (`kind` = `None`) or one of its
    /// cumulative functions (the log of the product for `_cdf`); `vals` as
    /// the kind lays out its entries.
    pub(super) fn univariate_summed<D: Univariate>(
        &mut self,
        vals: &[Value],
        span: Span,
        kind: Option<Cumulative>,
    ) -> EvalResult<Value> {
        let spec = &D::SPEC;
        let specs = |j| match kind {
            None => arg_spec(spec, j),
            Some(c) => cumulative::entry_spec::<D>(c, j),
        };
        let k = vals.len();
        let n = self.vector_len(spec.name, vals, specs, span)?;
        if vals.iter().any(|v| !v.is_scalar() && v.is_empty()) {
            return Ok(Value::Real(0.0));
        }
        self.check_domains(spec.name, vals, specs, span)?;
        self.check_args_of::<D>(vals, n, kind, span)?;
        // Ints become reals (bound int data is viewed without a copy).
        let mut pv = [Value::Real(0.0); MAX_ARITY];
        for j in 0..k {
            pv[j] = self.promote(vals[j]);
        }
        let pv = &pv[..k];
        let any_var = pv.iter().any(Value::is_var);
        if !any_var {
            let bufs = self.program.bufs(&self.workspace.scratch);
            let args: [Arg<'_, f64>; MAX_ARITY] = std::array::from_fn(|j| {
                if j < k {
                    const_arg(pv[j], &bufs)
                } else {
                    Arg::Const(0.0)
                }
            });
            let mut d: [Option<&mut [f64]>; MAX_ARITY] = std::array::from_fn(|_| None);
            let value = match kind {
                None => D::lpdf_sum(&args[..k], n, &mut d[..k]),
                Some(c) => cumulative::sum::<D, f64>(c, &args[..k], n, &mut d[..k]),
            };
            return Ok(Value::Real(value));
        }
        let rec = self.record();
        // One block of partials: n per vector var argument, one per scalar.
        let mut lens = [0usize; MAX_ARITY];
        let mut total = 0;
        if rec {
            for j in 0..k {
                if pv[j].is_var() {
                    lens[j] = if pv[j].is_scalar() { 1 } else { n };
                    total += lens[j];
                }
            }
        }
        let poff = self.workspace.tape.alloc_parts(total) as usize;
        let lp = {
            let tape = &mut self.workspace.tape;
            let vals_t = &tape.vals;
            let bufs = self.program.bufs(&self.workspace.scratch);
            let args: [Arg<'_, T>; MAX_ARITY] = std::array::from_fn(|j| {
                if j >= k {
                    return Arg::Const(0.0);
                }
                match pv[j] {
                    Value::TapeReal(s) => Arg::Scalar(vals_t[s as usize]),
                    Value::TapeVec(r) | Value::TapeMat(r, ..) | Value::TapeArr3(r, _) => {
                        Arg::Slice(&vals_t[r.range()])
                    }
                    v => const_arg(v, &bufs),
                }
            });
            let mut d: [Option<&mut [T]>; MAX_ARITY] = std::array::from_fn(|_| None);
            let mut rest = &mut tape.parts[poff..poff + total];
            for j in 0..k {
                if lens[j] > 0 {
                    let (a, b) = rest.split_at_mut(lens[j]);
                    d[j] = Some(a);
                    rest = b;
                }
            }
            match kind {
                None if n > ROW_CHUNK => super::chunked::lpdf_sum_in_chunks::<D, T>(
                    &args[..k],
                    n,
                    d,
                    &mut self.workspace.chunk_sums,
                ),
                None => D::lpdf_sum(&args[..k], n, &mut d[..k]),
                Some(c) => cumulative::sum::<D, T>(c, &args[..k], n, &mut d[..k]),
            }
        };
        let out = self.workspace.tape.push(lp);
        if rec {
            let mut off = poff;
            for j in 0..k {
                if lens[j] > 0 {
                    self.workspace.tape.node(Node::Reduce {
                        out,
                        inp: tape_ref_of(pv[j]),
                        part: Part::Tape(off as u32),
                    });
                    off += lens[j];
                }
            }
        }
        Ok(Value::TapeReal(out))
    }

    /// The distribution's own checks of its arguments, element by element.
    pub(super) fn check_args_of<D: Univariate>(
        &self,
        vals: &[Value],
        n: usize,
        kind: Option<Cumulative>,
        span: Span,
    ) -> EvalResult<()> {
        if !D::CHECKS_ARGS {
            return Ok(());
        }
        let k = vals.len();
        let mut xf = [0.0f64; MAX_ARITY];
        for i in 0..n {
            for j in 0..k {
                xf[j] = self.element_f64(vals[j], if vals[j].is_scalar() { 0 } else { i });
            }
            let checked = match kind {
                None => D::check_args(&xf[..k]),
                Some(c) => cumulative::check_args::<D>(c, &xf[..k]),
            };
            if let Err(msg) = checked {
                let at = if n > 1 {
                    format!(" (element {})", i + 1)
                } else {
                    String::new()
                };
                return Err(EvalError::reject(
                    span,
                    format!("{}{at}: {msg}", D::SPEC.name),
                ));
            }
        }
        Ok(())
    }

    /// Copies the elements of each value into the T buffer; returns views.
    pub(super) fn views_dims(vals: &[Value]) -> Vec<(usize, usize, usize)> {
        let mut off = 0;
        vals.iter()
            .map(|v| {
                let (r, c) = match v.dims() {
                    Dims::Scalar => (1, 1),
                    Dims::Vector(n) => (n, 1),
                    Dims::Matrix(r, c) => (r, c),
                    Dims::Array3(j, k, l) => (j * k, l),
                };
                let o = off;
                off += r * c;
                (o, r, c)
            })
            .collect()
    }

    pub fn multivariate<D: Multivariate>(
        &mut self,
        vals: &[Value],
        span: Span,
    ) -> EvalResult<Value> {
        let spec = &D::SPEC;
        self.check_domains(spec.name, vals, |j| arg_spec(spec, j), span)?;
        if let Some(v) = self.multivariate_with_gradient::<D>(vals, span)? {
            return Ok(v);
        }
        let shape = Self::views_dims(vals);
        let any_var = vals.iter().any(Value::is_var);
        if !any_var {
            let mut buf = std::mem::take(&mut self.workspace.real_buffer);
            buf.clear();
            for &v in vals {
                for i in 0..v.len() {
                    buf.push(self.element_f64(v, i));
                }
            }
            let views: Vec<View<'_, f64>> = shape
                .iter()
                .map(|&(o, r, c)| View::matrix(&buf[o..o + r * c], r, c))
                .collect();
            let res = D::lpdf(&views);
            drop(views);
            self.workspace.real_buffer = buf;
            return res
                .map(Value::Real)
                .map_err(|m| EvalError::reject(span, format!("{}: {m}", spec.name)));
        }
        let mut buf = std::mem::take(&mut self.workspace.scalar_buffer);
        buf.clear();
        for &v in vals {
            for i in 0..v.len() {
                buf.push(self.element(v, i));
            }
        }
        let value = {
            let views: Vec<View<'_, T>> = shape
                .iter()
                .map(|&(o, r, c)| View::matrix(&buf[o..o + r * c], r, c))
                .collect();
            D::lpdf(&views)
        };
        let value = match value {
            Ok(v) => v,
            Err(m) => {
                self.workspace.scalar_buffer = buf;
                return Err(EvalError::reject(span, format!("{}: {m}", spec.name)));
            }
        };
        let out = self.workspace.tape.push(value);
        if self.record() {
            let var_inputs: Vec<(usize, TapeRef)> = vals
                .iter()
                .enumerate()
                .filter(|(_, v)| v.is_var())
                .map(|(j, v)| (j, tape_ref_of(*v)))
                .collect();
            let n_jac: usize = var_inputs.iter().map(|(_, r)| r.len as usize).sum();
            let jac = self.workspace.tape.alloc_parts(n_jac);
            self.multivariate_partials::<D>(&buf, &shape, &var_inputs, jac);
            let ranges: Vec<TapeRef> = var_inputs.iter().map(|&(_, r)| r).collect();
            self.dense_node(TapeRef::new(out as usize, 1), &ranges, jac);
        }
        self.workspace.scalar_buffer = buf;
        Ok(Value::TapeReal(out))
    }

    // ------------------------------------------------------------- samplers

    pub fn rng_call(&mut self, id: DistId, vals: &[Value], span: Span) -> EvalResult<Value> {
        if self.workspace.rng.is_none() {
            return Err(EvalError::fatal(
                span,
                "random number generators can only run when generating quantities",
            ));
        }
        if id.is_univariate() {
            id.visit_univariate(SamplerCall {
                ev: self,
                vals,
                span,
            })
            .expect("univariate")
        } else {
            id.visit_multivariate(SamplerCall {
                ev: self,
                vals,
                span,
            })
            .expect("multivariate")
        }
    }

    pub(super) fn univariate_rng<D: Univariate>(
        &mut self,
        vals: &[Value],
        span: Span,
    ) -> EvalResult<Value> {
        let spec = &D::SPEC;
        let name = format!("{}_rng", spec.name);
        let specs = |j| spec.args[j];
        let n = self.vector_len(&name, vals, specs, span)?;
        if let Err(e) = self.check_domains(&name, vals, specs, span) {
            return Err(EvalError::fatal(span, e.message));
        }
        let vector = vals.iter().any(|v| !v.is_scalar());
        let int = spec.is_discrete();
        let mut args = [0.0f64; MAX_ARITY];
        let out_r = if int {
            self.int_scratch(n)
        } else {
            self.scratch(n)
        };
        for i in 0..n {
            for (j, &v) in vals.iter().enumerate() {
                args[j] = self.element_f64(v, if v.is_scalar() { 0 } else { i });
            }
            let rng = self.workspace.rng.as_mut().expect("checked above");
            let x = D::rng(&args[..vals.len()], rng);
            if int {
                self.workspace.int_scratch[out_r.off as usize + i] = x as i64;
            } else {
                self.workspace.scratch[out_r.off as usize + i] = x;
            }
        }
        Ok(match (vector, int) {
            (false, true) => Value::Int(self.workspace.int_scratch[out_r.off as usize]),
            (false, false) => Value::Real(self.workspace.scratch[out_r.off as usize]),
            (true, true) => Value::IntArr(out_r),
            (true, false) => Value::Vec(out_r),
        })
    }

    pub(super) fn multivariate_rng<D: Multivariate>(
        &mut self,
        vals: &[Value],
        span: Span,
    ) -> EvalResult<Value> {
        let spec = &D::SPEC;
        let shape = Self::views_dims(vals);
        let mut buf = Vec::new();
        for &v in vals {
            for i in 0..v.len() {
                buf.push(self.element_f64(v, i));
            }
        }
        let views: Vec<View<'_, f64>> = shape
            .iter()
            .map(|&(o, r, c)| View::matrix(&buf[o..o + r * c], r, c))
            .collect();
        let mut out = Vec::new();
        let rng = self.workspace.rng.as_mut().expect("checked by rng_call");
        D::rng(&views, rng, &mut out)
            .map_err(|m| EvalError::fatal(span, format!("{}_rng: {m}", spec.name)))?;
        drop(views);
        if spec.is_discrete() {
            if out.len() == 1
                && spec.variate.shape != crate::dist::ArgShape::Vector
                && !D::DRAWS_ARRAY
            {
                return Ok(Value::Int(out[0] as i64));
            }
            let r = self.int_scratch(out.len());
            for (k, x) in out.iter().enumerate() {
                self.workspace.int_scratch[r.off as usize + k] = *x as i64;
            }
            return Ok(Value::IntArr(r));
        }
        let r = self.scratch(out.len());
        self.workspace.scratch[r.range()].copy_from_slice(&out);
        Ok(match spec.variate.shape {
            crate::dist::ArgShape::Matrix => {
                let k = (out.len() as f64).sqrt().round() as usize;
                Value::Mat(r, k as u32, k as u32)
            }
            _ => Value::Vec(r),
        })
    }
}

/// A constant value as a kernel argument.
pub(super) fn const_arg<'b, T: Scalar>(
    v: Value,
    bufs: &crate::density::value::ConstBufs<'b>,
) -> Arg<'b, T> {
    match v {
        Value::Real(x) => Arg::Const(x),
        Value::Int(i) => Arg::Const(i as f64),
        Value::Vec(r) | Value::Mat(r, ..) | Value::Arr3(r, _) => Arg::ConstSlice(bufs.get(r)),
        _ => Arg::Const(f64::NAN),
    }
}
