//! General-purpose plots for experiments: contour maps of functions on a
//! grid, several densities on one axis, several series on one axis.

use plotters::prelude::*;
use std::path::Path;

use super::contour::{Grid, Levels, contour_segments, resolve_levels};
use super::kde::{kde_1d, silverman_bandwidth};
use super::xy::{Curve, XyChart, draw_xy};
use super::{Area, bold, check_path, color, font, perr, render, tick};
use crate::output::stats;

/// A named series of (x, y) points.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub label: String,
    pub points: Vec<(f64, f64)>,
}

impl Series {
    pub fn new(label: &str, points: Vec<(f64, f64)>) -> Series {
        Series {
            label: label.to_string(),
            points,
        }
    }
}

/// Options shared by [`lines`] and [`densities`].
#[derive(Debug, Clone, PartialEq)]
pub struct LineOptions {
    pub size: (u32, u32),
    pub title: Option<String>,
    pub x_label: String,
    pub y_label: String,
    pub log_x: bool,
    pub log_y: bool,
    /// Axis limits; default: the data's, padded. Lines are clipped to them.
    pub x_range: Option<(f64, f64)>,
    pub y_range: Option<(f64, f64)>,
}

impl Default for LineOptions {
    fn default() -> LineOptions {
        LineOptions {
            size: (900, 560),
            title: None,
            x_label: String::new(),
            y_label: String::new(),
            log_x: false,
            log_y: false,
            x_range: None,
            y_range: None,
        }
    }
}

/// Several series on one axis (e.g. W₂ distance per iteration for each
/// method), with a legend; on a log axis non-positive points are left out.
pub fn lines(path: impl AsRef<Path>, series: &[Series], opts: &LineOptions) -> Result<(), String> {
    let path = path.as_ref();
    check_path(path)?;
    if series.is_empty() {
        return Err("no series to plot".into());
    }
    let kept: Vec<Vec<(f64, f64)>> = series
        .iter()
        .map(|s| {
            s.points
                .iter()
                .copied()
                .filter(|p| (!opts.log_x || p.0 > 0.0) && (!opts.log_y || p.1 > 0.0))
                .collect()
        })
        .collect();
    render(path, opts.size, |root| {
        let mut chart = XyChart::new(opts.title.as_deref().unwrap_or(""));
        chart.x_label = &opts.x_label;
        chart.y_label = &opts.y_label;
        chart.log_x = opts.log_x;
        chart.log_y = opts.log_y;
        chart.x_range = opts.x_range;
        chart.y_range = opts.y_range;
        for (i, (s, pts)) in series.iter().zip(&kept).enumerate() {
            chart.curves.push(Curve {
                label: &s.label,
                points: pts,
                color: color(i),
                width: 2,
                dashed: false,
                fill: false,
            });
        }
        draw_xy(root, &chart)
    })
}

/// One curve of a [`densities`] plot.
#[derive(Debug, Clone, PartialEq)]
pub enum Density {
    /// A density already evaluated at points (an exact density).
    Curve {
        label: String,
        points: Vec<(f64, f64)>,
    },
    /// Draws, shown as a Gaussian KDE (Silverman bandwidth), optionally
    /// importance-weighted.
    Samples {
        label: String,
        values: Vec<f64>,
        weights: Option<Vec<f64>>,
    },
}

/// Several 1-D densities on one axis (exact curves and sample-based
/// estimates), with a legend.
pub fn densities(
    path: impl AsRef<Path>,
    curves: &[Density],
    opts: &LineOptions,
) -> Result<(), String> {
    let path = path.as_ref();
    check_path(path)?;
    if curves.is_empty() {
        return Err("no densities to plot".into());
    }
    // x range: the caller's, else covering every sample set and the part of
    // every curve above 0.1 % of its peak.
    let range = match opts.x_range {
        Some(r) => r,
        None => {
            let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
            for c in curves {
                match c {
                    Density::Curve { points, .. } => {
                        let top = points.iter().map(|p| p.1).fold(0.0f64, f64::max);
                        for p in points
                            .iter()
                            .filter(|p| p.0.is_finite() && p.1 >= 1e-3 * top)
                        {
                            lo = lo.min(p.0);
                            hi = hi.max(p.0);
                        }
                    }
                    Density::Samples {
                        label,
                        values,
                        weights,
                    } => {
                        let h = silverman_bandwidth(values, weights.as_deref())
                            .map_err(|e| format!("`{label}`: {e}"))?;
                        let finite: Vec<f64> =
                            values.iter().copied().filter(|v| v.is_finite()).collect();
                        let q = stats::quantiles(&finite, &[0.001, 0.999]);
                        lo = lo.min(q[0] - 3.0 * h);
                        hi = hi.max(q[1] + 3.0 * h);
                    }
                }
            }
            if lo >= hi {
                return Err("nothing to draw: the densities have no finite points".into());
            }
            (lo, hi)
        }
    };
    let mut evaluated: Vec<(&str, Vec<(f64, f64)>)> = Vec::with_capacity(curves.len());
    for c in curves {
        match c {
            Density::Curve { label, points } => evaluated.push((label, points.clone())),
            Density::Samples {
                label,
                values,
                weights,
            } => {
                let k = kde_1d(values, weights.as_deref(), Some(range), 400)
                    .map_err(|e| format!("`{label}`: {e}"))?;
                let pts = k.x.into_iter().zip(k.density).collect();
                evaluated.push((label, pts));
            }
        }
    }
    if opts.log_y {
        for (_, pts) in &mut evaluated {
            pts.retain(|p| p.1 > 0.0);
        }
    }
    render(path, opts.size, |root| {
        let mut chart = XyChart::new(opts.title.as_deref().unwrap_or(""));
        chart.x_label = &opts.x_label;
        chart.y_label = if opts.y_label.is_empty() {
            "density"
        } else {
            &opts.y_label
        };
        chart.log_x = opts.log_x;
        chart.log_y = opts.log_y;
        chart.x_range = Some(range);
        chart.y_range = opts.y_range;
        chart.y_from_zero = true;
        for (i, (label, pts)) in evaluated.iter().enumerate() {
            chart.curves.push(Curve {
                label,
                points: pts,
                color: color(i),
                width: 2,
                dashed: false,
                fill: false,
            });
        }
        draw_xy(root, &chart)
    })
}

/// Options of [`contours`].
#[derive(Debug, Clone, PartialEq)]
pub struct ContourOptions {
    pub size: (u32, u32),
    pub title: Option<String>,
    pub x_label: String,
    pub y_label: String,
    pub levels: Levels,
    /// Shade the first field as a heat map under the contour lines.
    pub fill_first: bool,
    /// Labelled point sets drawn on top (particles, draws, modes).
    pub points: Vec<Series>,
}

impl Default for ContourOptions {
    fn default() -> ContourOptions {
        ContourOptions {
            size: (760, 640),
            title: None,
            x_label: String::new(),
            y_label: String::new(),
            levels: Levels::Mass(vec![0.5, 0.8, 0.95]),
            fill_first: true,
            points: Vec::new(),
        }
    }
}

/// Contour map of the first field (shaded if `fill_first`) with the level
/// curves of the others overlaid in distinct colours and a legend — e.g. a
/// target density against several approximations. Each field holds
/// `grid.nx * grid.ny` values laid out as [`Grid`] describes.
pub fn contours<S: AsRef<str>, V: AsRef<[f64]>>(
    path: impl AsRef<Path>,
    grid: &Grid,
    fields: &[(S, V)],
    opts: &ContourOptions,
) -> Result<(), String> {
    let path = path.as_ref();
    check_path(path)?;
    grid.validate()?;
    if fields.is_empty() {
        return Err("no fields to draw contours of".into());
    }
    let lines = field_lines(grid, fields, &opts.levels)?;
    let first = fields[0].1.as_ref();
    render(path, opts.size, |root| {
        draw_contour_chart(root, grid, &lines, first, opts)
    })
}

/// Level-curve segments of one labelled field.
pub(crate) type FieldLines<'a> = Vec<(&'a str, Vec<((f64, f64), (f64, f64))>)>;

/// The level curves of every field, after checking each has one value per
/// grid point.
pub(crate) fn field_lines<'a, S: AsRef<str>, V: AsRef<[f64]>>(
    grid: &Grid,
    fields: &'a [(S, V)],
    levels: &Levels,
) -> Result<FieldLines<'a>, String> {
    let mut lines = Vec::with_capacity(fields.len());
    for (label, values) in fields {
        let (label, values) = (label.as_ref(), values.as_ref());
        if values.len() != grid.nx * grid.ny {
            return Err(format!(
                "field `{label}` has {} values, the {}×{} grid needs {}",
                values.len(),
                grid.nx,
                grid.ny,
                grid.nx * grid.ny
            ));
        }
        let levels = resolve_levels(levels, values).map_err(|e| format!("field `{label}`: {e}"))?;
        let segs: Vec<_> = levels
            .iter()
            .flat_map(|&l| contour_segments(grid, values, l))
            .collect();
        lines.push((label, segs));
    }
    Ok(lines)
}

/// Draws one contour chart on `area`: `first` (the first field's values) is
/// shaded when `opts.fill_first`, then every field's level curves.
pub(crate) fn draw_contour_chart(
    root: &Area,
    grid: &Grid,
    lines: &FieldLines,
    first: &[f64],
    opts: &ContourOptions,
) -> Result<(), String> {
    let (fmin, fmax) = first
        .iter()
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| {
            (a.min(v), b.max(v))
        });
    let mut builder = ChartBuilder::on(root);
    builder
        .margin(10)
        .margin_right(20)
        .x_label_area_size(if opts.x_label.is_empty() { 30 } else { 50 })
        .y_label_area_size(if opts.y_label.is_empty() { 56 } else { 76 });
    if let Some(t) = opts.title.as_deref() {
        builder.caption(t, bold(20));
    }
    let mut cc = builder
        .build_cartesian_2d(grid.x.0..grid.x.1, grid.y.0..grid.y.1)
        .map_err(perr)?;
    cc.configure_mesh()
        .disable_mesh()
        .x_desc(opts.x_label.as_str())
        .y_desc(opts.y_label.as_str())
        .x_label_formatter(&tick)
        .y_label_formatter(&tick)
        .label_style(font(14))
        .axis_desc_style(font(15))
        .draw()
        .map_err(perr)?;
    if opts.fill_first && fmin < fmax {
        let (dx, dy) = (
            (grid.x.1 - grid.x.0) / (grid.nx - 1) as f64 / 2.0,
            (grid.y.1 - grid.y.0) / (grid.ny - 1) as f64 / 2.0,
        );
        let cells = (0..grid.ny).flat_map(|j| (0..grid.nx).map(move |i| (i, j)));
        cc.draw_series(cells.filter_map(|(i, j)| {
            let v = first[j * grid.nx + i];
            if !v.is_finite() {
                return None;
            }
            let (x, y) = (grid.x_at(i), grid.y_at(j));
            let t = ((v - fmin) / (fmax - fmin)).clamp(0.0, 1.0);
            let lo = ((x - dx).max(grid.x.0), (y - dy).max(grid.y.0));
            let hi = ((x + dx).min(grid.x.1), (y + dy).min(grid.y.1));
            Some(Rectangle::new([lo, hi], heat(t).filled()))
        }))
        .map_err(perr)?;
    }
    for (k, (label, segs)) in lines.iter().enumerate() {
        let c = if k == 0 && opts.fill_first {
            RGBColor(20, 40, 90)
        } else {
            color(k)
        };
        let style = c.stroke_width(2);
        cc.draw_series(
            segs.iter()
                .map(|&(a, b)| PathElement::new(vec![a, b], style)),
        )
        .map_err(perr)?;
        if !label.is_empty() {
            cc.draw_series(LineSeries::new(std::iter::empty(), style))
                .map_err(perr)?
                .label(*label)
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 22, y)], c.stroke_width(3))
                });
        }
    }
    for (k, set) in opts.points.iter().enumerate() {
        let c = color(lines.len() + k);
        let inside =
            set.points.iter().copied().filter(|p| {
                p.0 >= grid.x.0 && p.0 <= grid.x.1 && p.1 >= grid.y.0 && p.1 <= grid.y.1
            });
        let anno = cc
            .draw_series(inside.map(|p| Circle::new(p, 3, c.mix(0.8).filled())))
            .map_err(perr)?;
        if !set.label.is_empty() {
            anno.label(set.label.as_str())
                .legend(move |(x, y)| Circle::new((x + 11, y), 4, c.filled()));
        }
    }
    let any_label =
        lines.iter().any(|f| !f.0.is_empty()) || opts.points.iter().any(|p| !p.label.is_empty());
    if any_label {
        cc.configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .label_font(font(14))
            .background_style(WHITE.mix(0.85))
            .border_style(RGBColor(0, 0, 0).mix(0.3))
            .margin(8)
            .draw()
            .map_err(perr)?;
    }
    Ok(())
}

/// Sequential colour map for the shaded field: white to a mid blue.
fn heat(t: f64) -> RGBColor {
    let t = t.powf(0.8);
    let lerp = |a: f64, b: f64| (a + (b - a) * t).round() as u8;
    RGBColor(lerp(255.0, 66.0), lerp(255.0, 121.0), lerp(255.0, 181.0))
}
