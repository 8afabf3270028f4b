//! Pictures of a fit: marginal densities, pair plots and the ELBO trace
//! (`vippl plot`, `:plot` in the REPL).

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::path::Path;

use super::contour::{Grid, contour_segments, hdr_levels};
use super::kde::{kde_1d, kde_2d, silverman_bandwidth};
use super::xy::{Curve, VLine, XyChart, draw_xy};
use super::{Area, check_path, color, font, perr, render, tick, with_title};
use crate::output::{Draws, stats, unknown_name};

/// Something to compare a marginal with.
#[derive(Debug, Clone, PartialEq)]
pub enum ReferenceKind {
    /// A vertical line (a true parameter value, an exact posterior mean).
    Value(f64),
    /// A density curve as (x, density) points (an exact posterior marginal).
    Curve(Vec<(f64, f64)>),
}

/// A reference for the quantity `name`, shown in the legend as `label`.
#[derive(Debug, Clone, PartialEq)]
pub struct Reference {
    pub name: String,
    pub label: String,
    pub kind: ReferenceKind,
}

/// Options of [`marginals`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MarginalOptions {
    /// Image size in pixels; default 380 × 280 per panel.
    pub size: Option<(u32, u32)>,
    /// Panels per row; default about the square root of their number.
    pub columns: Option<usize>,
    pub title: Option<String>,
    /// Importance weights (e.g. PSIS) to draw corrected densities.
    pub weights: Option<Vec<f64>>,
    pub references: Vec<Reference>,
}

/// Most panels one picture may hold before it stops being readable.
const MAX_PANELS: usize = 48;

/// Column indices of the requested names (all columns for an empty list).
fn resolve(draws: &Draws, names: &[&str], max: usize) -> Result<Vec<usize>, String> {
    draws.validate()?;
    if draws.n_draws < 2 {
        return Err(format!(
            "plotting needs at least 2 draws, got {}",
            draws.n_draws
        ));
    }
    let idx: Vec<usize> = if names.is_empty() {
        (0..draws.n_columns()).collect()
    } else {
        names
            .iter()
            .map(|n| {
                draws
                    .index_of(n)
                    .ok_or_else(|| unknown_name(n, &draws.names))
            })
            .collect::<Result<_, _>>()?
    };
    if idx.is_empty() {
        return Err("there are no quantities to plot".into());
    }
    if idx.len() > max {
        return Err(format!(
            "{} quantities are too many for one picture (at most {max}); name the ones to plot",
            idx.len()
        ));
    }
    Ok(idx)
}

/// The plotting range of a column: central 99.8 % plus three bandwidths.
fn column_range(x: &[f64], weights: Option<&[f64]>) -> Result<(f64, f64), String> {
    let h = silverman_bandwidth(x, weights)?;
    let finite: Vec<f64> = x.iter().copied().filter(|v| v.is_finite()).collect();
    let q = stats::quantiles(&finite, &[0.001, 0.999]);
    Ok((q[0] - 3.0 * h, q[1] + 3.0 * h))
}

/// Marginal density (Gaussian KDE, Silverman bandwidth) of each named
/// quantity — all of them if `names` is empty — in a grid of panels, with
/// optional reference lines and curves.
pub fn marginals(
    path: impl AsRef<Path>,
    draws: &Draws,
    names: &[&str],
    opts: &MarginalOptions,
) -> Result<(), String> {
    let path = path.as_ref();
    check_path(path)?;
    let idx = resolve(draws, names, MAX_PANELS)?;
    let weights = opts.weights.as_deref();
    if let Some(w) = weights {
        stats::check_weights(draws.n_draws, w)?;
    }
    for r in &opts.references {
        let j = draws
            .index_of(&r.name)
            .ok_or_else(|| unknown_name(&r.name, &draws.names))?;
        if !idx.contains(&j) {
            return Err(format!(
                "a reference is given for `{}`, which is not plotted",
                r.name
            ));
        }
    }
    // Densities first, so a bad column fails before any file is touched.
    let mut panels = Vec::with_capacity(idx.len());
    for &j in &idx {
        let name = draws.names[j].as_str();
        let x = draws.column(j);
        let refs: Vec<&Reference> = opts
            .references
            .iter()
            .filter(|r| draws.index_of(&r.name) == Some(j))
            .collect();
        let (mut lo, mut hi) = column_range(&x, weights).map_err(|e| format!("`{name}`: {e}"))?;
        for r in &refs {
            match &r.kind {
                ReferenceKind::Value(v) if v.is_finite() => {
                    let pad = 0.05 * (hi - lo);
                    lo = lo.min(v - pad);
                    hi = hi.max(v + pad);
                }
                ReferenceKind::Curve(pts) => {
                    let top = pts.iter().map(|p| p.1).fold(0.0f64, f64::max);
                    for p in pts.iter().filter(|p| p.0.is_finite() && p.1 > 1e-3 * top) {
                        lo = lo.min(p.0);
                        hi = hi.max(p.0);
                    }
                }
                _ => {}
            }
        }
        let k = kde_1d(&x, weights, Some((lo, hi)), 256).map_err(|e| format!("`{name}`: {e}"))?;
        let pts: Vec<(f64, f64)> = k.x.iter().copied().zip(k.density.iter().copied()).collect();
        panels.push((name, pts, refs, (lo, hi)));
    }
    let n = panels.len();
    let cols = opts
        .columns
        .unwrap_or_else(|| ((n as f64).sqrt().ceil() as usize).clamp(1, 4))
        .clamp(1, n);
    let rows = n.div_ceil(cols);
    let title_h = if opts.title.is_some() { 40 } else { 0 };
    let size = opts
        .size
        .unwrap_or((cols as u32 * 380, rows as u32 * 280 + title_h));
    let any_refs = !opts.references.is_empty();
    let approx_label = if weights.is_some() {
        "approximation (weighted)"
    } else {
        "approximation"
    };
    render(path, size, |root| {
        let body = with_title(root, opts.title.as_deref(), 22)?;
        let areas = body.split_evenly((rows, cols));
        let mut legend_done = false;
        for ((name, pts, refs, range), area) in panels.iter().zip(&areas) {
            let mut chart = XyChart::new(name);
            chart.caption_size = 16;
            chart.label_size = 12;
            chart.x_range = Some(*range);
            chart.y_from_zero = true;
            let show_legend = !refs.is_empty() && !legend_done;
            legend_done |= show_legend;
            chart.legend = show_legend;
            chart.curves.push(Curve {
                label: if any_refs { approx_label } else { "" },
                points: pts,
                color: color(0),
                width: 2,
                dashed: false,
                fill: true,
            });
            for r in refs {
                match &r.kind {
                    ReferenceKind::Value(v) => chart.vlines.push(VLine {
                        label: &r.label,
                        x: *v,
                        color: RGBColor(40, 40, 40),
                    }),
                    ReferenceKind::Curve(c) => chart.curves.push(Curve {
                        label: &r.label,
                        points: c,
                        color: color(2),
                        width: 2,
                        dashed: true,
                        fill: false,
                    }),
                }
            }
            draw_xy(area, &chart)?;
        }
        Ok(())
    })
}

/// Options of [`pairs`].
#[derive(Debug, Clone, PartialEq)]
pub struct PairOptions {
    /// Image size; default 300 × 300 per panel.
    pub size: Option<(u32, u32)>,
    pub title: Option<String>,
    /// Draw the draws as translucent points.
    pub scatter: bool,
    /// Draw highest-density contours of a 2-D KDE holding these masses.
    pub masses: Vec<f64>,
    /// At most this many points per scatter (evenly thinned).
    pub max_points: usize,
}

impl Default for PairOptions {
    fn default() -> PairOptions {
        PairOptions {
            size: None,
            title: None,
            scatter: true,
            masses: vec![0.5, 0.8, 0.95],
            max_points: 1500,
        }
    }
}

/// Pair plot of two or more quantities: marginal densities on the diagonal,
/// draws and highest-density contours below it, the correlation above.
pub fn pairs(
    path: impl AsRef<Path>,
    draws: &Draws,
    names: &[&str],
    opts: &PairOptions,
) -> Result<(), String> {
    let path = path.as_ref();
    check_path(path)?;
    if names.len() == 1 {
        return Err("a pair plot needs at least two quantities".into());
    }
    let idx = resolve(draws, names, 10)?;
    if idx.len() < 2 {
        return Err("a pair plot needs at least two quantities".into());
    }
    for m in &opts.masses {
        if !(*m > 0.0 && *m < 1.0) {
            return Err(format!("contour mass {m} is not strictly between 0 and 1"));
        }
    }
    let cols: Vec<Vec<f64>> = idx.iter().map(|&j| draws.column(j)).collect();
    let names: Vec<&str> = idx.iter().map(|&j| draws.names[j].as_str()).collect();
    let ranges = cols
        .iter()
        .zip(&names)
        .map(|(x, n)| column_range(x, None).map_err(|e| format!("`{n}`: {e}")))
        .collect::<Result<Vec<_>, _>>()?;
    let k = idx.len();
    let title_h = if opts.title.is_some() { 40 } else { 0 };
    let size = opts
        .size
        .unwrap_or((k as u32 * 300, k as u32 * 300 + title_h));
    render(path, size, |root| {
        let body = with_title(root, opts.title.as_deref(), 22)?;
        let areas = body.split_evenly((k, k));
        for r in 0..k {
            for c in 0..k {
                let area = &areas[r * k + c];
                if r == c {
                    let kd = kde_1d(&cols[r], None, Some(ranges[r]), 200)?;
                    let pts: Vec<(f64, f64)> =
                        kd.x.iter()
                            .copied()
                            .zip(kd.density.iter().copied())
                            .collect();
                    let mut chart = XyChart::new("");
                    chart.label_size = 12;
                    chart.x_range = Some(ranges[r]);
                    chart.y_from_zero = true;
                    chart.x_label = if r == k - 1 { names[c] } else { "" };
                    chart.label_areas = Some(pair_label_areas(r == k - 1, c == 0));
                    chart.curves.push(Curve {
                        label: "",
                        points: &pts,
                        color: color(0),
                        width: 2,
                        dashed: false,
                        fill: true,
                    });
                    draw_xy(area, &chart)?;
                } else if r > c {
                    let y_label = if c == 0 { names[r] } else { "" };
                    let x_label = if r == k - 1 { names[c] } else { "" };
                    pair_panel(
                        area,
                        (&cols[c], &cols[r]),
                        (ranges[c], ranges[r]),
                        (x_label, y_label),
                        opts,
                    )?;
                } else {
                    let rho = correlation(&cols[r], &cols[c]);
                    let text = format!("ρ = {}", tick(&((rho * 100.0).round() / 100.0)));
                    let (w, h) = area.dim_in_pixel();
                    let size = 14 + (rho.abs() * 10.0) as u32;
                    let style = font(size).pos(Pos::new(HPos::Center, VPos::Center));
                    area.draw(&Text::new(text, (w as i32 / 2, h as i32 / 2), style))
                        .map_err(perr)?;
                }
            }
        }
        Ok(())
    })
}

/// Label-area sizes (x, y) of a pair-plot panel, equal along a row or
/// column so the axes line up; the outer ones leave room for the names.
fn pair_label_areas(bottom_row: bool, first_column: bool) -> (u32, u32) {
    (
        if bottom_row { 42 } else { 24 },
        if first_column { 66 } else { 48 },
    )
}

/// Pearson correlation of the pairs where both are finite.
fn correlation(a: &[f64], b: &[f64]) -> f64 {
    let p: Vec<(f64, f64)> = a
        .iter()
        .zip(b)
        .filter(|(x, y)| x.is_finite() && y.is_finite())
        .map(|(x, y)| (*x, *y))
        .collect();
    let n = p.len() as f64;
    let (ma, mb) = (
        p.iter().map(|q| q.0).sum::<f64>() / n,
        p.iter().map(|q| q.1).sum::<f64>() / n,
    );
    let (mut sab, mut saa, mut sbb) = (0.0, 0.0, 0.0);
    for (x, y) in &p {
        sab += (x - ma) * (y - mb);
        saa += (x - ma) * (x - ma);
        sbb += (y - mb) * (y - mb);
    }
    sab / (saa * sbb).sqrt()
}

/// One lower-triangle panel: thinned scatter and HDR contours.
fn pair_panel(
    area: &Area,
    (x, y): (&[f64], &[f64]),
    (xr, yr): ((f64, f64), (f64, f64)),
    (x_label, y_label): (&str, &str),
    opts: &PairOptions,
) -> Result<(), String> {
    let mut cc = ChartBuilder::on(area)
        .margin(8)
        .margin_right(16)
        .x_label_area_size(pair_label_areas(!x_label.is_empty(), !y_label.is_empty()).0)
        .y_label_area_size(pair_label_areas(!x_label.is_empty(), !y_label.is_empty()).1)
        .build_cartesian_2d(xr.0..xr.1, yr.0..yr.1)
        .map_err(perr)?;
    cc.configure_mesh()
        .x_desc(x_label)
        .y_desc(y_label)
        .x_label_formatter(&tick)
        .y_label_formatter(&tick)
        .x_labels(5)
        .y_labels(5)
        .label_style(font(12))
        .axis_desc_style(font(13))
        .bold_line_style(RGBColor(0, 0, 0).mix(0.12))
        .light_line_style(TRANSPARENT)
        .draw()
        .map_err(perr)?;
    let inside = |p: &(f64, f64)| p.0 >= xr.0 && p.0 <= xr.1 && p.1 >= yr.0 && p.1 <= yr.1;
    if opts.scatter && opts.max_points > 0 {
        let stride = x.len().div_ceil(opts.max_points).max(1);
        let pts = x
            .iter()
            .zip(y)
            .step_by(stride)
            .map(|(a, b)| (*a, *b))
            .filter(|p| p.0.is_finite() && p.1.is_finite() && inside(p));
        let dot = color(0).mix(0.25).filled();
        cc.draw_series(pts.map(|p| Circle::new(p, 2, dot)))
            .map_err(perr)?;
    }
    if !opts.masses.is_empty() {
        let grid = Grid::new(xr, yr, 64, 64)?;
        let dens = kde_2d(x, y, (xr, yr), (grid.nx, grid.ny))?;
        let levels = hdr_levels(&dens, &opts.masses)?;
        for (i, level) in levels.iter().enumerate() {
            // Inner (smaller mass) contours darker and thicker.
            let shade = 40 + (i * 60).min(150) as u8;
            let style =
                RGBColor(shade / 3, shade / 2, shade).stroke_width(if i == 0 { 2 } else { 1 });
            let segs = contour_segments(&grid, &dens, *level);
            cc.draw_series(
                segs.into_iter()
                    .map(|(a, b)| PathElement::new(vec![a, b], style)),
            )
            .map_err(perr)?;
        }
    }
    Ok(())
}

/// Options of [`trace`].
#[derive(Debug, Clone, PartialEq)]
pub struct TraceOptions {
    pub size: (u32, u32),
    pub title: Option<String>,
    /// Overlay a centred moving average (window 2 % of the run).
    pub smooth: bool,
    /// Show the whole y range; by default the first 10 % of iterations may
    /// fall below the axis, as the initial ELBO is often orders of magnitude
    /// lower and would flatten the rest.
    pub full_range: bool,
}

impl Default for TraceOptions {
    fn default() -> TraceOptions {
        TraceOptions {
            size: (900, 500),
            title: Some("ELBO trace".into()),
            smooth: true,
            full_range: false,
        }
    }
}

/// The ELBO estimate per iteration.
pub fn trace(
    path: impl AsRef<Path>,
    points: &[(u64, f64)],
    opts: &TraceOptions,
) -> Result<(), String> {
    let path = path.as_ref();
    check_path(path)?;
    let pts: Vec<(f64, f64)> = points.iter().map(|&(i, e)| (i as f64, e)).collect();
    if !pts.iter().any(|p| p.1.is_finite()) {
        return Err("the trace has no finite ELBO value to draw".into());
    }
    let n = pts.len();
    let mut y_range = None;
    let mut clipped = false;
    if !opts.full_range && n >= 20 {
        let tail = pts[n / 10..].iter().map(|p| p.1).filter(|v| v.is_finite());
        let all_max = pts
            .iter()
            .map(|p| p.1)
            .filter(|v| v.is_finite())
            .fold(f64::NEG_INFINITY, f64::max);
        let tail_min = tail.fold(f64::INFINITY, f64::min);
        let all_min = pts
            .iter()
            .map(|p| p.1)
            .filter(|v| v.is_finite())
            .fold(f64::INFINITY, f64::min);
        if tail_min.is_finite() && all_min < tail_min && tail_min < all_max {
            let pad = 0.05 * (all_max - tail_min);
            y_range = Some((tail_min - pad, all_max + pad));
            clipped = true;
        }
    }
    let window = (n / 50).max(1);
    let smooth: Vec<(f64, f64)> = if opts.smooth && window > 1 {
        moving_average(&pts, window)
    } else {
        Vec::new()
    };
    let raw_color = if smooth.is_empty() {
        color(0)
    } else {
        lighten(color(0), 0.55)
    };
    let smooth_label = format!("moving average ({window} iterations)");
    let y_label = if clipped {
        "ELBO (early iterations below the axis)"
    } else {
        "ELBO"
    };
    render(path, opts.size, |root| {
        let mut chart = XyChart::new(opts.title.as_deref().unwrap_or(""));
        chart.x_label = "iteration";
        chart.y_label = y_label;
        chart.y_range = y_range;
        chart.legend = !smooth.is_empty();
        // The ELBO rises to the upper right: keep the legend out of its way.
        chart.legend_pos = SeriesLabelPosition::LowerRight;
        chart.curves.push(Curve {
            label: if smooth.is_empty() {
                ""
            } else {
                "ELBO estimate"
            },
            points: &pts,
            color: raw_color,
            width: 1,
            dashed: false,
            fill: false,
        });
        if !smooth.is_empty() {
            chart.curves.push(Curve {
                label: &smooth_label,
                points: &smooth,
                color: color(0),
                width: 2,
                dashed: false,
                fill: false,
            });
        }
        draw_xy(root, &chart)
    })
}

/// Centred moving average over finite values (NaN where a window has none).
fn moving_average(pts: &[(f64, f64)], window: usize) -> Vec<(f64, f64)> {
    let half = window / 2;
    (0..pts.len())
        .map(|i| {
            let lo = i.saturating_sub(half);
            let hi = (i + half + 1).min(pts.len());
            let vals: Vec<f64> = pts[lo..hi]
                .iter()
                .map(|p| p.1)
                .filter(|v| v.is_finite())
                .collect();
            let m = if vals.is_empty() {
                f64::NAN
            } else {
                vals.iter().sum::<f64>() / vals.len() as f64
            };
            (pts[i].0, m)
        })
        .collect()
}

/// Blend towards white by `t` ∈ [0, 1].
fn lighten(c: RGBColor, t: f64) -> RGBColor {
    let f = |v: u8| (v as f64 + (255.0 - v as f64) * t).round() as u8;
    RGBColor(f(c.0), f(c.1), f(c.2))
}
