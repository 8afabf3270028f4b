//! One x–y chart with curves, optional log axes, reference lines and a
//! legend: the common body of line, density, trace and marginal plots.

use plotters::coord::ranged1d::{AsRangedCoord, ValueFormatter};
use plotters::prelude::*;

use super::{Area, bold, clip_polyline, font, padded_range, perr, tick};

/// A curve to draw.
pub(crate) struct Curve<'a> {
    pub label: &'a str,
    pub points: &'a [(f64, f64)],
    pub color: RGBColor,
    pub width: u32,
    pub dashed: bool,
    /// Shade the area between the curve and the x axis (densities).
    pub fill: bool,
}

/// A vertical reference line (a true value, an exact mean).
pub(crate) struct VLine<'a> {
    pub label: &'a str,
    pub x: f64,
    pub color: RGBColor,
}

/// Everything one chart shows.
pub(crate) struct XyChart<'a> {
    pub caption: &'a str,
    pub caption_size: u32,
    pub label_size: u32,
    pub x_label: &'a str,
    pub y_label: &'a str,
    pub log_x: bool,
    pub log_y: bool,
    pub x_range: Option<(f64, f64)>,
    pub y_range: Option<(f64, f64)>,
    /// The y axis starts at 0 unless the data go below (densities).
    pub y_from_zero: bool,
    pub curves: Vec<Curve<'a>>,
    pub vlines: Vec<VLine<'a>>,
    pub legend: bool,
    pub legend_pos: SeriesLabelPosition,
    /// Fixed label-area sizes (x, y) so panels of a grid line up.
    pub label_areas: Option<(u32, u32)>,
}

impl<'a> XyChart<'a> {
    pub fn new(caption: &'a str) -> XyChart<'a> {
        XyChart {
            caption,
            caption_size: 20,
            label_size: 14,
            x_label: "",
            y_label: "",
            log_x: false,
            log_y: false,
            x_range: None,
            y_range: None,
            y_from_zero: false,
            curves: Vec::new(),
            vlines: Vec::new(),
            legend: true,
            legend_pos: SeriesLabelPosition::UpperRight,
            label_areas: None,
        }
    }
}

/// Axis limits for one axis: the caller's, or the data's with padding (in
/// log space for a log axis, where only positive values count).
fn axis_range(
    given: Option<(f64, f64)>,
    values: impl Iterator<Item = f64>,
    log: bool,
    from_zero: bool,
    what: &str,
) -> Result<(f64, f64), String> {
    if let Some((a, b)) = given {
        if !(a.is_finite() && b.is_finite() && a < b) {
            return Err(format!("{what} range {a}..{b} is empty or not finite"));
        }
        if log && a <= 0.0 {
            return Err(format!(
                "{what} range {a}..{b} must be positive on a log axis"
            ));
        }
        return Ok((a, b));
    }
    if log {
        let logs = values.filter(|v| *v > 0.0).map(f64::log10);
        let (lo, hi) = padded_range(logs, 0.05).ok_or_else(|| {
            format!("nothing to draw: no positive finite {what} values for a log axis")
        })?;
        return Ok((10f64.powf(lo), 10f64.powf(hi)));
    }
    let values: Vec<f64> = values.filter(|v| v.is_finite()).collect();
    let (lo, hi) = padded_range(values.iter().copied(), 0.05)
        .ok_or_else(|| format!("nothing to draw: no finite {what} values"))?;
    if from_zero && values.iter().all(|v| *v >= 0.0) {
        // Densities: a shaded area reads badly unless the axis starts at 0.
        return Ok((0.0, if hi > 0.0 { hi } else { 1.0 }));
    }
    Ok((lo, hi))
}

/// Draws `chart` on `area`.
pub(crate) fn draw_xy(area: &Area, chart: &XyChart) -> Result<(), String> {
    let xs = chart
        .curves
        .iter()
        .flat_map(|c| c.points.iter().map(|p| p.0))
        .chain(chart.vlines.iter().map(|v| v.x));
    let xb = axis_range(chart.x_range, xs, chart.log_x, false, "x")?;
    // y limits from the points visible within the x range.
    let ys = chart.curves.iter().flat_map(|c| {
        c.points
            .iter()
            .filter(move |p| p.0 >= xb.0 && p.0 <= xb.1)
            .map(|p| p.1)
    });
    let yb = axis_range(chart.y_range, ys, chart.log_y, chart.y_from_zero, "y")?;
    match (chart.log_x, chart.log_y) {
        (false, false) => draw_in(area, chart, xb.0..xb.1, yb.0..yb.1, xb, yb),
        (true, false) => draw_in(area, chart, (xb.0..xb.1).log_scale(), yb.0..yb.1, xb, yb),
        (false, true) => draw_in(area, chart, xb.0..xb.1, (yb.0..yb.1).log_scale(), xb, yb),
        (true, true) => draw_in(
            area,
            chart,
            (xb.0..xb.1).log_scale(),
            (yb.0..yb.1).log_scale(),
            xb,
            yb,
        ),
    }
}

fn draw_in<X, Y>(
    area: &Area,
    chart: &XyChart,
    x_spec: X,
    y_spec: Y,
    xb: (f64, f64),
    yb: (f64, f64),
) -> Result<(), String>
where
    X: AsRangedCoord<Value = f64>,
    Y: AsRangedCoord<Value = f64>,
    X::CoordDescType: ValueFormatter<f64>,
    Y::CoordDescType: ValueFormatter<f64>,
{
    let ls = chart.label_size;
    let (xa, ya) = chart.label_areas.unwrap_or((
        if chart.x_label.is_empty() {
            ls * 2
        } else {
            ls * 3 + 6
        },
        if chart.y_label.is_empty() {
            ls * 4
        } else {
            ls * 5 + 6
        },
    ));
    let mut builder = ChartBuilder::on(area);
    builder
        .margin(8)
        .margin_right(16)
        .x_label_area_size(xa)
        .y_label_area_size(ya);
    if !chart.caption.is_empty() {
        builder.caption(chart.caption, bold(chart.caption_size));
    }
    let mut cc = builder.build_cartesian_2d(x_spec, y_spec).map_err(perr)?;
    cc.configure_mesh()
        .x_desc(chart.x_label)
        .y_desc(chart.y_label)
        .x_label_formatter(&tick)
        .y_label_formatter(&tick)
        .x_labels(6)
        .y_labels(6)
        .label_style(font(ls))
        .axis_desc_style(font(ls + 1))
        .bold_line_style(RGBColor(0, 0, 0).mix(0.12))
        .light_line_style(TRANSPARENT)
        .draw()
        .map_err(perr)?;
    let mut labelled = false;
    for c in &chart.curves {
        let pieces = clip_polyline(c.points, xb, yb);
        if c.fill && !chart.log_y {
            let base = yb.0.max(0.0).min(yb.1);
            for piece in pieces.iter().filter(|p| p.len() > 1) {
                let mut poly = piece.clone();
                poly.push((piece[piece.len() - 1].0, base));
                poly.push((piece[0].0, base));
                cc.draw_series(std::iter::once(Polygon::new(
                    poly,
                    c.color.mix(0.18).filled(),
                )))
                .map_err(perr)?;
            }
        }
        let style = c.color.stroke_width(c.width);
        for piece in &pieces {
            if c.dashed {
                cc.draw_series(DashedLineSeries::new(piece.iter().copied(), 8, 5, style))
                    .map_err(perr)?;
            } else {
                cc.draw_series(LineSeries::new(piece.iter().copied(), style))
                    .map_err(perr)?;
            }
        }
        if !c.label.is_empty() {
            labelled = true;
            let (color, width) = (c.color, c.width);
            cc.draw_series(LineSeries::new(std::iter::empty(), style))
                .map_err(perr)?
                .label(c.label)
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 22, y)], color.stroke_width(width + 1))
                });
        }
    }
    for v in &chart.vlines {
        if !(v.x >= xb.0 && v.x <= xb.1) {
            continue;
        }
        let style = v.color.stroke_width(2);
        let line = [(v.x, yb.0), (v.x, yb.1)];
        cc.draw_series(DashedLineSeries::new(line, 6, 4, style))
            .map_err(perr)?;
        if !v.label.is_empty() {
            labelled = true;
            let color = v.color;
            cc.draw_series(LineSeries::new(std::iter::empty(), style))
                .map_err(perr)?
                .label(v.label)
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 22, y)], color.stroke_width(2))
                });
        }
    }
    if labelled && chart.legend {
        cc.configure_series_labels()
            .position(chart.legend_pos.clone())
            .label_font(font(ls))
            .background_style(WHITE.mix(0.85))
            .border_style(RGBColor(0, 0, 0).mix(0.3))
            .margin(8)
            .draw()
            .map_err(perr)?;
    }
    Ok(())
}
