//! `normal_id_glm`, `bernoulli_logit_glm` and `poisson_log_glm`: their
//! sizes, checked with the GLM's own argument names, and — when the tape
//! records, x is data and beta a parameter — the one pass over the rows
//! of x of [`super::linear`], with the link distribution's slice kernel,
//! in fixed row chunks (the same bits for any number of threads). With x
//! a parameter, or nothing to record, the distribution's own fused
//! gradient ([`crate::dist::glm`]) runs through the multivariate path.

use super::Evaluator;
use super::distributions::arg_spec;
use super::linear::Linear;
use super::workspace::{EvalError, EvalResult};
use crate::density::value::{Dims, Value};
use crate::dist::DistId;
use crate::dist::glm::glm_sizes;
use crate::scalar::Scalar;
use crate::source::Span;

impl<T: Scalar> Evaluator<'_, T> {
    /// The log density of the GLM `id` (`None` for other distributions,
    /// and when the general path is to run).
    pub(super) fn glm_fused(
        &mut self,
        id: DistId,
        vals: &[Value],
        span: Span,
    ) -> EvalResult<Option<Value>> {
        let Some(link) = id.glm_link() else {
            return Ok(None);
        };
        let spec = id.spec();
        let Dims::Matrix(rows, cols) = vals[1].dims() else {
            return Err(EvalError::fatal(
                span,
                format!("{}: x must be a matrix", spec.name),
            ));
        };
        let lens: [usize; 5] = std::array::from_fn(|j| vals.get(j).map_or(1, |v| v.len()));
        glm_sizes(spec, &lens[..vals.len()], rows, cols)
            .map_err(|m| EvalError::fatal(span, format!("{}: {m}", spec.name)))?;
        if !self.record() || rows == 0 {
            return Ok(None);
        }
        let (Value::Mat(x, ..), Value::TapeVec(beta)) = (self.promote(vals[1]), vals[3]) else {
            return Ok(None);
        };
        // alpha and beta here (after a stand-in variate, 0, which lies in
        // every GLM's support); y and sigma are the link's own arguments,
        // checked in the pass; x, whose N·K entries would cost a second
        // pass, shows a non-finite entry as a non-finite predictor.
        let checked = [Value::Int(0), vals[2], vals[3]];
        self.check_domains(spec.name, &checked, |j| arg_spec(spec, [0, 2, 3][j]), span)?;
        let alpha = self.promote(vals[2]);
        let linear = Linear::new(x, rows, cols, beta, Some(alpha));
        // The link's arguments: y, the predictor (filled in by the pass), sigma.
        let mut link_vals = [vals[0], Value::Real(0.0), Value::Real(0.0)];
        if let Some(&sigma) = vals.get(4) {
            link_vals[2] = sigma;
        }
        let k = link.spec().args.len() + 1;
        self.dist_call_linear(link, &link_vals[..k], 1, linear, span)
            .map(Some)
    }
}
