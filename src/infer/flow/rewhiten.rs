//! Re-whitening: the coordinates of an adaptive flow reset to the current q.

use crate::infer::family::{Family, Param};
use crate::infer::linalg::mat_mul;
use crate::infer::precondition::Map;

/// Resets the map to the current q: with θ = (μ_z, S_z) in the coordinates
/// of `map`, the new map is x = (m + L μ_z) + (L S_z) z', θ becomes
/// (0, I), and the batch direction `dir` taken at θ becomes S_zᵀ dir (s_z ⊙
/// dir for a diagonal scale), the same gradient in the new coordinates.
/// False (nothing changed) when the new map would be singular.
pub(super) fn rewhiten(
    fam: Family,
    theta: &mut [f64],
    map: &mut Map,
    dir: &mut [f64],
    tmp: &mut [f64],
) -> bool {
    if let Some(r) = fam.rank() {
        return rewhiten_low_rank(fam.d, r, theta, map, dir);
    }
    let d = fam.d;
    let mut m = vec![0.0; d];
    map.forward(&theta[..d], &mut m);
    let sz = &theta[d..];
    let new = match fam.param {
        Param::Diag => {
            let l: Vec<f64> = (0..d)
                .map(|i| {
                    if map.is_identity() {
                        sz[i]
                    } else {
                        map.l[i] * sz[i]
                    }
                })
                .collect();
            Map::diag(m, l)
        }
        Param::Dense => {
            let l = if map.is_identity() {
                sz[..d * d].to_vec()
            } else {
                let mut l = vec![0.0; d * d];
                mat_mul(&map.l, &sz[..d * d], &mut l, d);
                l
            };
            Map::dense(m, l)
        }
        _ => None,
    };
    let Some(new) = new else {
        return false;
    };
    match fam.param {
        Param::Diag => {
            for i in 0..d {
                dir[i] *= sz[i];
                dir[d + i] *= sz[i];
            }
        }
        _ => {
            let mut v = vec![0.0; d];
            for j in 0..d {
                v[j] = (0..d).map(|i| sz[i * d + j] * dir[i]).sum();
            }
            dir[..d].copy_from_slice(&v);
            let dd = &dir[d..d + d * d];
            tmp[..d * d].fill(0.0);
            for i in 0..d {
                for a in 0..d {
                    let sia = sz[i * d + a];
                    for b in 0..d {
                        tmp[a * d + b] += sia * dd[i * d + b];
                    }
                }
            }
            dir[d..d + d * d].copy_from_slice(&tmp[..d * d]);
        }
    }
    theta.fill(0.0);
    match fam.param {
        Param::Diag => theta[d..2 * d].fill(1.0),
        _ => {
            for i in 0..d {
                theta[d + i * d + i] = 1.0;
            }
        }
    }
    *map = new;
    true
}

/// [`rewhiten`] for the low-rank family, whose maps stay diagonal: the new
/// map scales by q's marginal sds σᵢ = √(Dᵢ² + ‖wᵢ‖²), so θ becomes
/// (0, D/σ, W/σ) row by row. The family's direction is preconditioned by Σ
/// (a displacement of μ, D and W, see `family::diag_low_rank`), so each of
/// its rows is divided by σᵢ as θ's are.
fn rewhiten_low_rank(
    d: usize,
    r: usize,
    theta: &mut [f64],
    map: &mut Map,
    dir: &mut [f64],
) -> bool {
    let mut m = vec![0.0; d];
    map.forward(&theta[..d], &mut m);
    let (diag, factor) = theta[d..2 * d + d * r].split_at(d);
    let sd: Vec<f64> = (0..d)
        .map(|i| crate::infer::family::marginal_variance(diag, factor, i).sqrt())
        .collect();
    let l: Vec<f64> = (0..d)
        .map(|i| {
            if map.is_identity() {
                sd[i]
            } else {
                map.l[i] * sd[i]
            }
        })
        .collect();
    let Some(new) = Map::diag(m, l) else {
        return false;
    };
    for i in 0..d {
        let s = sd[i];
        dir[i] /= s;
        dir[d + i] /= s;
        theta[i] = 0.0;
        theta[d + i] /= s;
        for j in 0..r {
            let k = 2 * d + i * r + j;
            dir[k] /= s;
            theta[k] /= s;
        }
    }
    *map = new;
    true
}
