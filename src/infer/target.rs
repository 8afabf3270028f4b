/// An unnormalized log density on unconstrained coordinates in R^d, with
/// derivatives: all the inference engine knows of a model.
///
/// Implementations are immutable and shared between threads; all scratch
/// memory lives in a [`Target::Workspace`], one per thread, so steady-state
/// evaluations allocate nothing.
///
/// Log densities may be non-finite (outside the support, an overflow, a
/// run-time error in the model); the engine treats that as a rejected point
/// and asks [`Target::explain_nonfinite`] for a message when it must report it.
pub trait Target: Sync {
    type Workspace: Send;

    /// Number of unconstrained coordinates.
    fn dim(&self) -> usize;

    /// Fresh scratch memory for one thread.
    fn workspace(&self) -> Self::Workspace;

    /// log π̃(x), Jacobian included.
    fn log_density(&self, ws: &mut Self::Workspace, x: &[f64]) -> f64;

    /// log π̃(x) and its gradient (written to `grad`, length `dim`).
    fn log_density_and_gradient(
        &self,
        ws: &mut Self::Workspace,
        x: &[f64],
        grad: &mut [f64],
    ) -> f64;

    /// The Hessian of log π̃ at `x` times `v`, written to `out`; returns log π̃(x).
    fn hessian_vector(
        &self,
        ws: &mut Self::Workspace,
        x: &[f64],
        v: &[f64],
        out: &mut [f64],
    ) -> f64;

    /// The full Hessian of log π̃ at `x`, row-major `dim × dim`; returns log π̃(x).
    fn hessian(&self, ws: &mut Self::Workspace, x: &[f64], out: &mut [f64]) -> f64 {
        let d = self.dim();
        let mut e = vec![0.0; d];
        let mut lp = f64::NAN;
        for j in 0..d {
            e[j] = 1.0;
            lp = self.hessian_vector(ws, x, &e, &mut out[j * d..(j + 1) * d]);
            e[j] = 0.0;
        }
        lp
    }

    /// Why the log density is not finite at `x`, in words pointing at the
    /// model statement responsible; `None` when it is finite.
    fn explain_nonfinite(&self, x: &[f64]) -> Option<String> {
        let mut ws = self.workspace();
        let lp = self.log_density(&mut ws, x);
        if lp.is_finite() {
            None
        } else {
            Some(format!("the log density is {lp} at this point"))
        }
    }
}
