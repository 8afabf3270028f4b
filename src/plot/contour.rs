//! Function values on a rectangular grid, and their level curves.

/// An evenly spaced grid over a box. Field values are stored row-major in
/// y: `values[j * nx + i]` is the value at (x_i, y_j), i.e. x varies fastest.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Grid {
    pub x: (f64, f64),
    pub y: (f64, f64),
    pub nx: usize,
    pub ny: usize,
}

impl Grid {
    /// Checks the box is finite and non-empty and there are ≥ 2 points per side.
    pub fn new(x: (f64, f64), y: (f64, f64), nx: usize, ny: usize) -> Result<Grid, String> {
        let g = Grid { x, y, nx, ny };
        g.validate()?;
        Ok(g)
    }

    pub fn validate(&self) -> Result<(), String> {
        for (name, (a, b)) in [("x", self.x), ("y", self.y)] {
            if !(a.is_finite() && b.is_finite() && a < b) {
                return Err(format!("grid {name} range {a}..{b} is empty or not finite"));
            }
        }
        if self.nx < 2 || self.ny < 2 {
            return Err(format!(
                "a grid needs at least 2 points per side, got {}×{}",
                self.nx, self.ny
            ));
        }
        if self.nx.saturating_mul(self.ny) > 25_000_000 {
            return Err(format!("grid {}×{} is too large", self.nx, self.ny));
        }
        Ok(())
    }

    pub fn x_at(&self, i: usize) -> f64 {
        self.x.0 + (self.x.1 - self.x.0) * i as f64 / (self.nx - 1) as f64
    }

    pub fn y_at(&self, j: usize) -> f64 {
        self.y.0 + (self.y.1 - self.y.0) * j as f64 / (self.ny - 1) as f64
    }

    /// `f` at every grid point, in the storage order.
    pub fn evaluate(&self, f: impl Fn(f64, f64) -> f64) -> Vec<f64> {
        let mut v = Vec::with_capacity(self.nx * self.ny);
        for j in 0..self.ny {
            let y = self.y_at(j);
            for i in 0..self.nx {
                v.push(f(self.x_at(i), y));
            }
        }
        v
    }

    /// Area of one cell.
    pub fn cell_area(&self) -> f64 {
        (self.x.1 - self.x.0) / (self.nx - 1) as f64 * (self.y.1 - self.y.0) / (self.ny - 1) as f64
    }
}

/// Which level curves to draw.
#[derive(Debug, Clone, PartialEq)]
pub enum Levels {
    /// `n` levels evenly spaced strictly between a field's min and max.
    Count(usize),
    /// These levels, shared by all fields.
    Values(Vec<f64>),
    /// Highest-density regions holding these probability masses (e.g. 0.5,
    /// 0.8, 0.95) of each field, which must then be a non-negative density;
    /// the natural choice to compare a posterior with its approximation.
    Mass(Vec<f64>),
}

/// Density thresholds whose super-level sets hold the given masses of a
/// non-negative field (grid approximation: cells are weighted equally).
pub fn hdr_levels(values: &[f64], masses: &[f64]) -> Result<Vec<f64>, String> {
    if let Some(m) = masses.iter().find(|m| !(**m > 0.0 && **m < 1.0)) {
        return Err(format!(
            "probability mass {m} is not strictly between 0 and 1"
        ));
    }
    if values.iter().any(|v| *v < 0.0 || v.is_nan()) {
        return Err("mass levels need a density: the field has negative or NaN values".into());
    }
    let mut sorted: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    sorted.sort_by(|a, b| b.total_cmp(a));
    let total: f64 = sorted.iter().sum();
    if total <= 0.0 {
        return Err("mass levels need a density: the field is zero everywhere".into());
    }
    Ok(masses
        .iter()
        .map(|&m| {
            let mut acc = 0.0;
            for &v in &sorted {
                acc += v;
                if acc >= m * total {
                    return v;
                }
            }
            sorted[sorted.len() - 1]
        })
        .collect())
}

/// Concrete levels for one field.
pub(crate) fn resolve_levels(levels: &Levels, values: &[f64]) -> Result<Vec<f64>, String> {
    match levels {
        Levels::Values(v) => Ok(v.clone()),
        Levels::Mass(m) => hdr_levels(values, m),
        Levels::Count(n) => {
            let finite = values.iter().copied().filter(|v| v.is_finite());
            let lo = finite.clone().fold(f64::INFINITY, f64::min);
            let hi = finite.fold(f64::NEG_INFINITY, f64::max);
            if lo >= hi {
                return Err("the field is constant or has no finite values".into());
            }
            let n = (*n).max(1);
            Ok((1..=n)
                .map(|k| lo + (hi - lo) * k as f64 / (n + 1) as f64)
                .collect())
        }
    }
}

type Point = (f64, f64);

/// Line segments of the curve `field = level` by marching squares, with
/// linear interpolation along cell edges; ambiguous saddle cells are split
/// by the cell's mean value. Cells touching a non-finite value are skipped.
pub fn contour_segments(grid: &Grid, values: &[f64], level: f64) -> Vec<(Point, Point)> {
    let mut out = Vec::new();
    if values.len() != grid.nx * grid.ny {
        return out;
    }
    let v = |i: usize, j: usize| values[j * grid.nx + i];
    for j in 0..grid.ny - 1 {
        let (y0, y1) = (grid.y_at(j), grid.y_at(j + 1));
        for i in 0..grid.nx - 1 {
            let (x0, x1) = (grid.x_at(i), grid.x_at(i + 1));
            // Corners counter-clockwise from bottom-left.
            let c = [v(i, j), v(i + 1, j), v(i + 1, j + 1), v(i, j + 1)];
            if c.iter().any(|z| !z.is_finite()) {
                continue;
            }
            let pts = [(x0, y0), (x1, y0), (x1, y1), (x0, y1)];
            let above: Vec<bool> = c.iter().map(|z| *z >= level).collect();
            // Crossing point on edge k (from corner k to corner k+1).
            let cross = |k: usize| -> Point {
                let (a, b) = (k, (k + 1) % 4);
                let t = (level - c[a]) / (c[b] - c[a]);
                (
                    pts[a].0 + t * (pts[b].0 - pts[a].0),
                    pts[a].1 + t * (pts[b].1 - pts[a].1),
                )
            };
            let crossed: Vec<usize> = (0..4).filter(|&k| above[k] != above[(k + 1) % 4]).collect();
            match crossed.len() {
                2 => out.push((cross(crossed[0]), cross(crossed[1]))),
                4 => {
                    // Saddle: corners 0 and 2 agree, 1 and 3 agree.
                    let centre_above = c.iter().sum::<f64>() / 4.0 >= level;
                    if centre_above == above[0] {
                        // Corner 0's region connects through the centre:
                        // cut off corners 1 and 3.
                        out.push((cross(0), cross(1)));
                        out.push((cross(2), cross(3)));
                    } else {
                        out.push((cross(3), cross(0)));
                        out.push((cross(1), cross(2)));
                    }
                }
                _ => {}
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn circle_contour_lies_on_the_circle() {
        let g = Grid::new((-2.0, 2.0), (-2.0, 2.0), 81, 81).unwrap();
        let f = g.evaluate(|x, y| x * x + y * y);
        let segs = contour_segments(&g, &f, 1.0);
        assert!(segs.len() > 50);
        for (a, b) in &segs {
            for p in [a, b] {
                let r = (p.0 * p.0 + p.1 * p.1).sqrt();
                // Linear interpolation of r² across a 0.05 cell: error ≤ h²/4.
                assert!((r - 1.0).abs() < 0.01, "{r}");
            }
        }
        // Total length approximates 2π.
        let len: f64 = segs
            .iter()
            .map(|(a, b)| ((a.0 - b.0).powi(2) + (a.1 - b.1).powi(2)).sqrt())
            .sum();
        assert!((len - 2.0 * std::f64::consts::PI).abs() < 0.02, "{len}");
    }

    #[test]
    fn hdr_levels_of_a_gaussian() {
        // For a standard 2-D normal the 50 % HDR is r² ≤ 2 ln 2, whose
        // boundary density is φ₂ = exp(−ln 2)/(2π) = 1/(4π).
        let g = Grid::new((-6.0, 6.0), (-6.0, 6.0), 301, 301).unwrap();
        let f = g.evaluate(|x, y| (-(x * x + y * y) / 2.0).exp() / (2.0 * std::f64::consts::PI));
        let l = hdr_levels(&f, &[0.5]).unwrap();
        let want = 1.0 / (4.0 * std::f64::consts::PI);
        assert!((l[0] - want).abs() / want < 0.01, "{} vs {want}", l[0]);
        assert!(hdr_levels(&[-1.0, 1.0], &[0.5]).is_err());
        assert!(hdr_levels(&f, &[1.0]).is_err());
    }

    #[test]
    fn grids_validate() {
        assert!(Grid::new((0.0, 0.0), (0.0, 1.0), 3, 3).is_err());
        assert!(Grid::new((0.0, 1.0), (0.0, 1.0), 1, 3).is_err());
        assert!(Grid::new((0.0, f64::NAN), (0.0, 1.0), 3, 3).is_err());
        let g = Grid::new((0.0, 1.0), (10.0, 20.0), 3, 5).unwrap();
        assert_eq!(g.y_at(4), 20.0);
        // Index 5 of a 3-wide grid is (i, j) = (2, 1).
        assert_eq!(g.evaluate(|x, y| x + y)[5], 1.0 + 12.5);
        assert!(resolve_levels(&Levels::Count(3), &[1.0, 1.0]).is_err());
        assert_eq!(
            resolve_levels(&Levels::Count(3), &[0.0, 4.0]).unwrap(),
            vec![1.0, 2.0, 3.0]
        );
    }
}
