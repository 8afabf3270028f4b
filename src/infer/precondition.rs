//! Preconditioning the flow by an affine change of coordinates.
//!
//! For a fixed invertible map x = m + L z, the target in z is
//! π_z(z) = π(m + L z)·|det L|, and a Gaussian N(μ_z, S_z S_zᵀ) in z is the
//! Gaussian N(m + L μ_z, L S_z S_zᵀ Lᵀ) in x. The full-rank family and KL(q‖π)
//! are invariant under such maps (so are every f-divergence and, for a
//! diagonal L, the mean-field family), so the optimum does not move; only the
//! geometry of the Euler steps does. Running the BW flow in z is the BW flow
//! of x with the inner product preconditioned by L Lᵀ: with L the Laplace
//! scale at the mode the target is close to N(0, I) in z, every direction
//! relaxes at the same rate, and h = ½ converges a Gaussian target in a few
//! steps instead of the 1/(h λ_min) ≈ condition-number many of the plain
//! flow. Re-whitening with the current q (m = μ, L = S) keeps that true when
//! the Laplace approximation is poor.
//!
//! [`Affine`] is the target seen in z. Because log |det L| is added to the
//! log density, log r = log π_z − log q_z equals log π − log q at the same
//! point, so ELBOs, importance weights and k̂ are the same numbers in both
//! coordinates.

use super::Target;
use super::family::{Family, Param, Scale};
use super::linalg::{Lu, mat_mul};
use std::sync::RwLock;

/// The map x = m + L z (L dense row-major d × d, or diagonal).
#[derive(Clone, Debug)]
pub(crate) struct Map {
    pub m: Vec<f64>,
    /// Row-major d × d (dense) or length d (diagonal); empty for identity.
    pub l: Vec<f64>,
    pub diagonal: bool,
    pub logdet: f64,
}

impl Map {
    pub fn identity() -> Map {
        Map {
            m: Vec::new(),
            l: Vec::new(),
            diagonal: false,
            logdet: 0.0,
        }
    }

    pub fn is_identity(&self) -> bool {
        self.l.is_empty()
    }

    /// A dense map; `None` when L is singular.
    pub fn dense(m: Vec<f64>, l: Vec<f64>) -> Option<Map> {
        let d = m.len();
        let mut lu = Lu::new(d);
        if !lu.factor(&l) {
            return None;
        }
        let logdet = lu.log_abs_det();
        logdet.is_finite().then_some(Map {
            m,
            l,
            diagonal: false,
            logdet,
        })
    }

    /// A diagonal map; `None` when some scale is zero or not finite.
    pub fn diag(m: Vec<f64>, s: Vec<f64>) -> Option<Map> {
        let logdet: f64 = s.iter().map(|v| v.abs().ln()).sum();
        logdet.is_finite().then_some(Map {
            m,
            l: s,
            diagonal: true,
            logdet,
        })
    }

    /// out = m + L z.
    pub fn forward(&self, z: &[f64], out: &mut [f64]) {
        if self.is_identity() {
            out.copy_from_slice(z);
            return;
        }
        self.linear(z, out);
        for (o, m) in out.iter_mut().zip(&self.m) {
            *o += m;
        }
    }

    /// out = L v.
    pub fn linear(&self, v: &[f64], out: &mut [f64]) {
        let d = v.len();
        if self.is_identity() {
            out.copy_from_slice(v);
        } else if self.diagonal {
            for i in 0..d {
                out[i] = self.l[i] * v[i];
            }
        } else {
            for i in 0..d {
                out[i] = super::linalg::dot(&self.l[i * d..(i + 1) * d], v);
            }
        }
    }

    /// out = Lᵀ g (a gradient in x becomes a gradient in z).
    pub fn pull_back(&self, g: &[f64], out: &mut [f64]) {
        let d = g.len();
        if self.is_identity() {
            out.copy_from_slice(g);
        } else if self.diagonal {
            for i in 0..d {
                out[i] = self.l[i] * g[i];
            }
        } else {
            out.fill(0.0);
            for i in 0..d {
                let gi = g[i];
                if gi != 0.0 {
                    for (o, l) in out.iter_mut().zip(&self.l[i * d..(i + 1) * d]) {
                        *o += l * gi;
                    }
                }
            }
        }
    }

    /// θ of the same q in x from θ in z: means m + L μ_k, scales L S_k
    /// (diagonal: l ⊙ s). Logits are unchanged.
    /// `tmp` has length ≥ d.
    pub fn to_outer(&self, fam: Family, theta_z: &[f64], out: &mut [f64], tmp: &mut [f64]) {
        out.copy_from_slice(theta_z);
        if self.is_identity() {
            return;
        }
        let d = fam.d;
        let tmp = &mut tmp[..d];
        for k in 0..fam.components() {
            let mo = fam.mean_offset(k);
            self.forward(&theta_z[mo..mo + d], tmp);
            out[mo..mo + d].copy_from_slice(tmp);
            let so = fam.scale_offset(k);
            match fam.param {
                Param::Diag => {
                    for i in 0..d {
                        out[so + i] = self.l_diag(i) * theta_z[so + i];
                    }
                }
                Param::LogDiag => {
                    for i in 0..d {
                        out[so + i] = theta_z[so + i] + self.l_diag(i).abs().ln();
                    }
                }
                Param::LowRank(r) => {
                    // L D and L W, L diagonal (the only maps the family
                    // keeps).
                    debug_assert!(self.diagonal, "a low-rank family takes diagonal maps only");
                    for i in 0..d {
                        let l = self.l_diag(i);
                        out[so + i] = l * theta_z[so + i];
                        let row = so + d + i * r;
                        for j in 0..r {
                            out[row + j] = l * theta_z[row + j];
                        }
                    }
                }
                _ => {
                    let sz = &theta_z[so..so + d * d];
                    if self.diagonal {
                        for i in 0..d {
                            for j in 0..d {
                                out[so + i * d + j] = self.l[i] * sz[i * d + j];
                            }
                        }
                    } else {
                        mat_mul(&self.l, sz, &mut out[so..so + d * d], d);
                    }
                }
            }
        }
    }

    fn l_diag(&self, i: usize) -> f64 {
        if self.diagonal { self.l[i] } else { 1.0 }
    }
}

/// The map of the start's Laplace approximation (x = mode + S z; for
/// mean-field the diagonal of marginal sds, the only maps that keep the
/// family) and θ₀ in its coordinates; `None` when the start has no usable
/// scale.
pub(crate) fn initial(fam: Family, start: &super::init::Start) -> Option<(Map, Vec<f64>)> {
    let d = fam.d;
    let map = match fam.param {
        Param::Diag | Param::LowRank(_) => Map::diag(start.center.clone(), start.scale.sds())?,
        Param::Dense | Param::Mixture(_) => {
            Map::dense(start.center.clone(), start.scale.to_dense())?
        }
        _ => return None,
    };
    let mut lu = Lu::new(if map.diagonal { 0 } else { d });
    let mut means = Vec::with_capacity(start.means.len());
    let mut tmp = vec![0.0; d];
    if !map.diagonal {
        lu.factor(&map.l);
    }
    for mean in &start.means {
        let mut z: Vec<f64> = mean.iter().zip(&map.m).map(|(a, b)| a - b).collect();
        if map.diagonal {
            for i in 0..d {
                z[i] /= map.l[i];
            }
        } else {
            lu.solve(&mut z, &mut tmp);
        }
        means.push(z);
    }
    let identity = Scale::identity(d, map.diagonal);
    Some((map, fam.theta_from_start(&means, &identity)))
}

/// The target in the coordinates z of a [`Map`]; the map can be replaced
/// between batches (re-whitening) while the batch holds a reference.
pub(crate) struct Affine<'t, T: Target> {
    inner: &'t T,
    map: RwLock<Map>,
}

pub(crate) struct AffineWs<W> {
    inner: W,
    x: Vec<f64>,
    g: Vec<f64>,
    v: Vec<f64>,
}

impl<'t, T: Target> Affine<'t, T> {
    pub fn new(inner: &'t T) -> Self {
        Affine {
            inner,
            map: RwLock::new(Map::identity()),
        }
    }

    pub fn set(&self, map: Map) {
        *self.map.write().unwrap_or_else(|e| e.into_inner()) = map;
    }

    pub fn map(&self) -> Map {
        self.map.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// The target in the model's own coordinates.
    pub fn inner(&self) -> &'t T {
        self.inner
    }

    fn with<R>(&self, f: impl FnOnce(&Map) -> R) -> R {
        f(&self.map.read().unwrap_or_else(|e| e.into_inner()))
    }
}

impl<T: Target> Target for Affine<'_, T> {
    type Workspace = AffineWs<T::Workspace>;

    fn dim(&self) -> usize {
        self.inner.dim()
    }

    fn workspace(&self) -> Self::Workspace {
        let d = self.dim();
        AffineWs {
            inner: self.inner.workspace(),
            x: vec![0.0; d],
            g: vec![0.0; d],
            v: vec![0.0; d],
        }
    }

    fn log_density(&self, ws: &mut Self::Workspace, z: &[f64]) -> f64 {
        self.with(|map| {
            if map.is_identity() {
                return self.inner.log_density(&mut ws.inner, z);
            }
            map.forward(z, &mut ws.x);
            self.inner.log_density(&mut ws.inner, &ws.x) + map.logdet
        })
    }

    fn log_density_and_gradient(
        &self,
        ws: &mut Self::Workspace,
        z: &[f64],
        grad: &mut [f64],
    ) -> f64 {
        self.with(|map| {
            if map.is_identity() {
                return self.inner.log_density_and_gradient(&mut ws.inner, z, grad);
            }
            map.forward(z, &mut ws.x);
            let lp = self
                .inner
                .log_density_and_gradient(&mut ws.inner, &ws.x, &mut ws.g);
            map.pull_back(&ws.g, grad);
            lp + map.logdet
        })
    }

    fn hessian_vector(
        &self,
        ws: &mut Self::Workspace,
        z: &[f64],
        v: &[f64],
        out: &mut [f64],
    ) -> f64 {
        self.with(|map| {
            if map.is_identity() {
                return self.inner.hessian_vector(&mut ws.inner, z, v, out);
            }
            map.forward(z, &mut ws.x);
            map.linear(v, &mut ws.v);
            let lp = self
                .inner
                .hessian_vector(&mut ws.inner, &ws.x, &ws.v, &mut ws.g);
            map.pull_back(&ws.g, out);
            lp + map.logdet
        })
    }

    fn hessian(&self, ws: &mut Self::Workspace, z: &[f64], out: &mut [f64]) -> f64 {
        let identity = self.with(|m| m.is_identity());
        if identity {
            return self.inner.hessian(&mut ws.inner, z, out);
        }
        let d = self.dim();
        let mut e = vec![0.0; d];
        let mut lp = f64::NAN;
        for j in 0..d {
            e[j] = 1.0;
            lp = self.hessian_vector(ws, z, &e, &mut out[j * d..(j + 1) * d]);
            e[j] = 0.0;
        }
        lp
    }

    fn explain_nonfinite(&self, z: &[f64]) -> Option<String> {
        let mut x = vec![0.0; z.len()];
        self.with(|map| map.forward(z, &mut x));
        self.inner.explain_nonfinite(&x)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Quad;
    impl Target for Quad {
        type Workspace = ();
        fn dim(&self) -> usize {
            2
        }
        fn workspace(&self) {}
        fn log_density(&self, _: &mut (), x: &[f64]) -> f64 {
            -(x[0] - 1.0).powi(2) - 3.0 * x[0] * x[1] - 4.0 * x[1] * x[1]
        }
        fn log_density_and_gradient(&self, ws: &mut (), x: &[f64], g: &mut [f64]) -> f64 {
            g[0] = -2.0 * (x[0] - 1.0) - 3.0 * x[1];
            g[1] = -3.0 * x[0] - 8.0 * x[1];
            self.log_density(ws, x)
        }
        fn hessian_vector(&self, ws: &mut (), x: &[f64], v: &[f64], out: &mut [f64]) -> f64 {
            out[0] = -2.0 * v[0] - 3.0 * v[1];
            out[1] = -3.0 * v[0] - 8.0 * v[1];
            self.log_density(ws, x)
        }
    }

    #[test]
    fn gradient_and_hessian_follow_the_map() {
        let t = Affine::new(&Quad);
        let map = Map::dense(vec![0.5, -1.0], vec![2.0, 0.3, -0.4, 1.5]).unwrap();
        t.set(map.clone());
        let mut ws = t.workspace();
        let z = [0.2, -0.7];
        let mut g = [0.0; 2];
        let lp = t.log_density_and_gradient(&mut ws, &z, &mut g);
        let mut x = [0.0; 2];
        map.forward(&z, &mut x);
        assert!((lp - Quad.log_density(&mut (), &x) - map.logdet).abs() < 1e-12);
        for i in 0..2 {
            let mut zp = z;
            zp[i] += 1e-6;
            let mut zm = z;
            zm[i] -= 1e-6;
            let fd = (t.log_density(&mut ws, &zp) - t.log_density(&mut ws, &zm)) / 2e-6;
            assert!((fd - g[i]).abs() < 1e-6, "{i}: {fd} vs {}", g[i]);
        }
        let mut h = [0.0; 4];
        t.hessian(&mut ws, &z, &mut h);
        // Lᵀ H L with H = [[-2, -3], [-3, -8]]
        let l = [2.0, 0.3, -0.4, 1.5];
        let hx = [-2.0, -3.0, -3.0, -8.0];
        for i in 0..2 {
            for j in 0..2 {
                let mut v = 0.0;
                for a in 0..2 {
                    for b in 0..2 {
                        v += l[a * 2 + i] * hx[a * 2 + b] * l[b * 2 + j];
                    }
                }
                assert!((h[i * 2 + j] - v).abs() < 1e-12);
            }
        }
    }
}
