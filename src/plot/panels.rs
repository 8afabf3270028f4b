//! Figures of several panels in one PNG — the layout of a paper's
//! experiment figures: one chart per method, divergence or data set, side
//! by side, so a reader compares them at a glance.

use plotters::prelude::*;
use std::path::Path;

use super::contour::Grid;
use super::general::{ContourOptions, draw_contour_chart, field_lines};
use super::xy::{Curve, XyChart, draw_xy};
use super::{Area, bold, check_path, color, font, perr, render, tick, with_title};

/// The colour of a [`Line`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum LineColor {
    /// The i-th colour of the shared palette (the same index gives the same
    /// colour in every panel).
    Palette(usize),
    /// For the reference (a target density, the exact answer).
    Black,
    Gray,
}

impl LineColor {
    fn rgb(self) -> RGBColor {
        match self {
            LineColor::Palette(i) => color(i),
            LineColor::Black => RGBColor(0, 0, 0),
            LineColor::Gray => RGBColor(140, 140, 140),
        }
    }
}

/// A styled polyline; non-finite points break it (so one line can hold a
/// path and several closed curves of one method).
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    pub label: String,
    pub points: Vec<(f64, f64)>,
    pub color: LineColor,
    pub dashed: bool,
    pub width: u32,
    /// Shade between the line and the x axis (densities).
    pub fill: bool,
}

impl Line {
    pub fn new(label: &str, points: Vec<(f64, f64)>, color: LineColor) -> Line {
        Line {
            label: label.to_string(),
            points,
            color,
            dashed: false,
            width: 2,
            fill: false,
        }
    }
}

/// Where a panel's legend sits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Corner {
    UpperLeft,
    #[default]
    UpperRight,
    LowerLeft,
    LowerRight,
}

/// One chart of a [`line_panels`] figure.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Panel {
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    pub lines: Vec<Line>,
    /// Axis limits; default: the data's, padded. Lines are clipped to them.
    pub x_range: Option<(f64, f64)>,
    pub y_range: Option<(f64, f64)>,
    pub log_y: bool,
    /// Draw this panel's legend (labelled lines only).
    pub legend: bool,
    pub legend_at: Corner,
}

/// Layout of a panel figure.
#[derive(Debug, Clone, PartialEq)]
pub struct PanelOptions {
    /// Figure title above all panels.
    pub title: Option<String>,
    pub columns: usize,
    /// Pixels per panel (width, height).
    pub panel_size: (u32, u32),
}

impl Default for PanelOptions {
    fn default() -> PanelOptions {
        PanelOptions {
            title: None,
            columns: 2,
            panel_size: (560, 420),
        }
    }
}

/// Splits the figure into `n` panel areas, row by row.
fn layout<'a>(root: &Area<'a>, n: usize, opts: &PanelOptions) -> Result<Vec<Area<'a>>, String> {
    let body = with_title(root, opts.title.as_deref(), 24)?;
    let cols = opts.columns.clamp(1, n.max(1));
    let rows = n.div_ceil(cols);
    let mut areas = body.split_evenly((rows, cols));
    areas.truncate(n);
    Ok(areas)
}

fn figure_size(n: usize, opts: &PanelOptions) -> Result<(u32, u32), String> {
    if n == 0 {
        return Err("no panels to draw".into());
    }
    let cols = opts.columns.clamp(1, n) as u32;
    let rows = n.div_ceil(cols as usize) as u32;
    let title = if opts.title.as_deref().is_some_and(|t| !t.is_empty()) {
        40
    } else {
        0
    };
    Ok((
        opts.panel_size.0.saturating_mul(cols),
        opts.panel_size.1.saturating_mul(rows).saturating_add(title),
    ))
}

/// Several x–y charts in a grid (e.g. a trajectory panel and a distance
/// panel per Monte Carlo budget, or target-vs-fit densities per divergence
/// and number of components).
pub fn line_panels(
    path: impl AsRef<Path>,
    panels: &[Panel],
    opts: &PanelOptions,
) -> Result<(), String> {
    let path = path.as_ref();
    check_path(path)?;
    let size = figure_size(panels.len(), opts)?;
    // On a log axis non-positive points cannot be drawn: leave them out.
    let kept: Vec<Vec<Vec<(f64, f64)>>> = panels
        .iter()
        .map(|p| {
            p.lines
                .iter()
                .map(|l| {
                    l.points
                        .iter()
                        .copied()
                        .filter(|q| !p.log_y || q.1 > 0.0 || q.1.is_nan())
                        .collect()
                })
                .collect()
        })
        .collect();
    render(path, size, |root| {
        let areas = layout(root, panels.len(), opts)?;
        for ((panel, pts), area) in panels.iter().zip(&kept).zip(&areas) {
            let mut chart = XyChart::new(&panel.title);
            chart.caption_size = 17;
            chart.label_size = 13;
            chart.x_label = &panel.x_label;
            chart.y_label = &panel.y_label;
            chart.log_y = panel.log_y;
            chart.x_range = panel.x_range;
            chart.y_range = panel.y_range;
            chart.legend = panel.legend;
            chart.legend_pos = match panel.legend_at {
                Corner::UpperLeft => SeriesLabelPosition::UpperLeft,
                Corner::UpperRight => SeriesLabelPosition::UpperRight,
                Corner::LowerLeft => SeriesLabelPosition::LowerLeft,
                Corner::LowerRight => SeriesLabelPosition::LowerRight,
            };
            for (l, p) in panel.lines.iter().zip(pts) {
                chart.curves.push(Curve {
                    label: &l.label,
                    points: p,
                    color: l.color.rgb(),
                    width: l.width,
                    dashed: l.dashed,
                    fill: l.fill,
                });
            }
            draw_xy(area, &chart).map_err(|e| format!("panel `{}`: {e}", panel.title))?;
        }
        Ok(())
    })
}

/// One chart of a [`contour_panels`] figure: level curves of every field,
/// the first also shaded when `shade` (and the options' `fill_first`).
#[derive(Debug, Clone, PartialEq)]
pub struct ContourPanel {
    pub title: String,
    pub fields: Vec<(String, Vec<f64>)>,
    pub shade: bool,
}

/// Contour charts on a shared grid, side by side (e.g. a target density and
/// the fits of several divergences). `contour` gives the labels, levels and
/// shading of every panel; its `title` and `size` are ignored.
pub fn contour_panels(
    path: impl AsRef<Path>,
    grid: &Grid,
    panels: &[ContourPanel],
    contour: &ContourOptions,
    opts: &PanelOptions,
) -> Result<(), String> {
    let path = path.as_ref();
    check_path(path)?;
    grid.validate()?;
    let size = figure_size(panels.len(), opts)?;
    let mut all_lines = Vec::with_capacity(panels.len());
    for p in panels {
        if p.fields.is_empty() {
            return Err(format!("panel `{}` has no fields", p.title));
        }
        all_lines.push(
            field_lines(grid, &p.fields, &contour.levels)
                .map_err(|e| format!("panel `{}`: {e}", p.title))?,
        );
    }
    render(path, size, |root| {
        let areas = layout(root, panels.len(), opts)?;
        for ((panel, lines), area) in panels.iter().zip(&all_lines).zip(&areas) {
            let o = ContourOptions {
                title: Some(panel.title.clone()),
                fill_first: contour.fill_first && panel.shade,
                ..contour.clone()
            };
            draw_contour_chart(area, grid, lines, &panel.fields[0].1, &o)?;
        }
        Ok(())
    })
}

/// A set of bars, one per category, with error half-widths.
#[derive(Debug, Clone, PartialEq)]
pub struct BarSeries {
    pub label: String,
    /// (height, error half-width) per category; NaN heights are skipped.
    pub values: Vec<(f64, f64)>,
}

/// One chart of a [`bar_panels`] figure: grouped bars per category.
#[derive(Debug, Clone, PartialEq)]
pub struct BarPanel {
    pub title: String,
    pub categories: Vec<String>,
    pub series: Vec<BarSeries>,
    pub y_label: String,
    pub y_range: (f64, f64),
    /// Horizontal reference marks per category (e.g. published numbers),
    /// drawn as black dashes; NaN skips a category.
    pub reference: Option<(String, Vec<f64>)>,
}

/// Grouped bar charts with error bars, side by side (e.g. test accuracy per
/// method, one panel per data set, one bar per prior).
pub fn bar_panels(
    path: impl AsRef<Path>,
    panels: &[BarPanel],
    opts: &PanelOptions,
) -> Result<(), String> {
    let path = path.as_ref();
    check_path(path)?;
    let size = figure_size(panels.len(), opts)?;
    for p in panels {
        let (a, b) = p.y_range;
        if !(a.is_finite() && b.is_finite() && a < b) {
            return Err(format!("panel `{}`: y range {a}..{b} is empty", p.title));
        }
        if p.categories.is_empty() {
            return Err(format!("panel `{}` has no categories", p.title));
        }
        let n = p.categories.len();
        if p.series.iter().any(|s| s.values.len() != n)
            || p.reference.as_ref().is_some_and(|r| r.1.len() != n)
        {
            return Err(format!(
                "panel `{}`: every series needs one value per category ({n})",
                p.title
            ));
        }
    }
    render(path, size, |root| {
        let areas = layout(root, panels.len(), opts)?;
        for (panel, area) in panels.iter().zip(&areas) {
            draw_bars(area, panel)?;
        }
        Ok(())
    })
}

fn draw_bars(area: &Area, p: &BarPanel) -> Result<(), String> {
    let n = p.categories.len();
    let (y0, y1) = p.y_range;
    let mut builder = ChartBuilder::on(area);
    builder
        .margin(8)
        .margin_right(16)
        .x_label_area_size(34)
        .y_label_area_size(if p.y_label.is_empty() { 52 } else { 72 })
        .caption(&p.title, bold(17));
    let mut cc = builder
        .build_cartesian_2d(0.5f64..n as f64 + 0.5, y0..y1)
        .map_err(perr)?;
    let names = p.categories.clone();
    let cat = move |v: &f64| {
        let i = v.round();
        if (v - i).abs() < 1e-6 && i >= 1.0 && i as usize <= names.len() {
            names[i as usize - 1].clone()
        } else {
            String::new()
        }
    };
    cc.configure_mesh()
        .disable_x_mesh()
        .x_labels(n)
        .x_label_formatter(&cat)
        .y_label_formatter(&tick)
        .y_labels(6)
        .y_desc(p.y_label.as_str())
        .label_style(font(13))
        .axis_desc_style(font(14))
        .bold_line_style(RGBColor(0, 0, 0).mix(0.12))
        .light_line_style(TRANSPARENT)
        .draw()
        .map_err(perr)?;
    let k = p.series.len().max(1) as f64;
    let group = 0.8;
    let w = group / k;
    let clamp = |v: f64| v.clamp(y0, y1);
    for (s_i, s) in p.series.iter().enumerate() {
        let c = color(s_i);
        let x_of = |i: usize| (i + 1) as f64 - group / 2.0 + w * (s_i as f64 + 0.5);
        let bars = s.values.iter().enumerate().filter(|(_, v)| v.0.is_finite());
        cc.draw_series(bars.clone().map(|(i, v)| {
            let x = x_of(i);
            Rectangle::new(
                [(x - 0.45 * w, clamp(y0)), (x + 0.45 * w, clamp(v.0))],
                c.mix(0.85).filled(),
            )
        }))
        .map_err(perr)?
        .label(s.label.as_str())
        .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 16, y + 5)], c.filled()));
        let err = RGBColor(40, 40, 40).stroke_width(2);
        cc.draw_series(
            bars.filter(|(_, v)| v.1.is_finite() && v.1 > 0.0)
                .map(|(i, v)| {
                    let x = x_of(i);
                    PathElement::new(
                        vec![
                            (x - 0.15 * w, clamp(v.0 - v.1)),
                            (x + 0.15 * w, clamp(v.0 - v.1)),
                            (x, clamp(v.0 - v.1)),
                            (x, clamp(v.0 + v.1)),
                            (x - 0.15 * w, clamp(v.0 + v.1)),
                            (x + 0.15 * w, clamp(v.0 + v.1)),
                        ],
                        err,
                    )
                }),
        )
        .map_err(perr)?;
    }
    if let Some((label, refs)) = &p.reference {
        let style = RGBColor(0, 0, 0).stroke_width(3);
        cc.draw_series(
            refs.iter()
                .enumerate()
                .filter(|(_, r)| r.is_finite() && **r >= y0 && **r <= y1)
                .map(|(i, &r)| {
                    let x = (i + 1) as f64;
                    PathElement::new(vec![(x - group / 2.0, r), (x + group / 2.0, r)], style)
                }),
        )
        .map_err(perr)?
        .label(label.as_str())
        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], style));
    }
    cc.configure_series_labels()
        .position(SeriesLabelPosition::LowerRight)
        .label_font(font(12))
        .background_style(WHITE.mix(0.85))
        .border_style(RGBColor(0, 0, 0).mix(0.3))
        .margin(6)
        .draw()
        .map_err(perr)?;
    Ok(())
}
