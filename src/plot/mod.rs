//! Pictures of fits and of experiments, as PNG files.
//!
//! Fit plots ([`marginals`], [`pairs`], [`trace`]) read [`Draws`] and an
//! ELBO trace; general helpers ([`contours`], [`densities`], [`lines`]) take
//! plain numbers so experiments can reuse the same look; [`line_panels`],
//! [`contour_panels`] and [`bar_panels`] put several such charts in one
//! figure. Text is drawn with the bundled DejaVu Sans (registered with
//! plotters' `ab_glyph` support), so plotting needs no system fonts or
//! fontconfig. Files are written
//! atomically. Every failure — a bad path, an unknown quantity, data with
//! nothing finite to draw — is an `Err` with a message, never a panic.
//!
//! [`Draws`]: crate::output::Draws

mod contour;
mod fitplots;
mod general;
mod kde;
mod panels;
mod xy;

pub use contour::{Grid, Levels, contour_segments, hdr_levels};
pub use fitplots::{
    MarginalOptions, PairOptions, Reference, ReferenceKind, TraceOptions, marginals, pairs, trace,
};
pub use general::{ContourOptions, Density, LineOptions, Series, contours, densities, lines};
pub use kde::{Kde1, kde_1d, kde_2d, silverman_bandwidth};
pub use panels::{
    BarPanel, BarSeries, ContourPanel, Corner, Line, LineColor, Panel, PanelOptions, bar_panels,
    contour_panels, line_panels,
};

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::{FontStyle, register_font};
use std::path::Path;
use std::sync::Once;

use crate::output::write_atomic_path;

static REGULAR: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
static BOLD: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans-Bold.ttf");

/// The family every plot uses (registered under plotters' default name so
/// its own default labels find the font too).
const FAMILY: &str = "sans-serif";

static FONTS: Once = Once::new();

/// Registers the bundled fonts once per process.
fn ensure_fonts() {
    FONTS.call_once(|| {
        // The bytes are a font shipped with the crate; a failure would be a
        // packaging bug, and drawing would then report missing glyph data.
        let _ = register_font(FAMILY, FontStyle::Normal, REGULAR);
        let _ = register_font(FAMILY, FontStyle::Bold, BOLD);
    });
}

/// The drawing surface every plot function receives.
pub(crate) type Area<'a> = DrawingArea<BitMapBackend<'a>, Shift>;

/// Largest side accepted, to keep a typo from allocating gigabytes.
const MAX_SIDE: u32 = 12_000;

/// Renders a `width × height` PNG to `path` atomically; `draw` paints on a
/// white canvas.
pub(crate) fn render<F>(path: &Path, (width, height): (u32, u32), draw: F) -> Result<(), String>
where
    F: FnOnce(&Area) -> Result<(), String>,
{
    if width < 50 || height < 50 || width > MAX_SIDE || height > MAX_SIDE {
        return Err(format!(
            "plot size {width}×{height} pixels is out of range (each side 50 to {MAX_SIDE})"
        ));
    }
    ensure_fonts();
    write_atomic_path(path, "png", |tmp| {
        let root = BitMapBackend::new(tmp, (width, height)).into_drawing_area();
        root.fill(&WHITE).map_err(std::io::Error::other)?;
        draw(&root).map_err(std::io::Error::other)?;
        root.present()
            .map_err(|e| std::io::Error::other(format!("cannot encode the PNG: {e}")))
    })
    .map_err(|e| e.to_string())
}

/// Turns any plotters error into the message the caller returns.
pub(crate) fn perr<E: std::fmt::Display>(e: E) -> String {
    format!("drawing failed: {e}")
}

/// Distinguishable colours (Tableau 10), also for colour-blind readers.
pub(crate) const PALETTE: [RGBColor; 10] = [
    RGBColor(0x4E, 0x79, 0xA7),
    RGBColor(0xF2, 0x8E, 0x2B),
    RGBColor(0xE1, 0x57, 0x59),
    RGBColor(0x59, 0xA1, 0x4F),
    RGBColor(0xB0, 0x7A, 0xA1),
    RGBColor(0x76, 0xB7, 0xB2),
    RGBColor(0xED, 0xC9, 0x48),
    RGBColor(0xFF, 0x9D, 0xA7),
    RGBColor(0x9C, 0x75, 0x5F),
    RGBColor(0xBA, 0xB0, 0xAC),
];

/// The i-th series colour (cycling).
pub(crate) fn color(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

pub(crate) fn font(size: u32) -> TextStyle<'static> {
    (FAMILY, size).into_font().into()
}

pub(crate) fn bold(size: u32) -> TextStyle<'static> {
    (FAMILY, size).into_font().style(FontStyle::Bold).into()
}

/// Tick labels: few digits, no float noise (`0.30000000000000004`), and
/// scientific notation only for extreme magnitudes.
pub(crate) fn tick(v: &f64) -> String {
    let v = *v;
    if v == 0.0 || !v.is_finite() {
        return if v.is_finite() {
            "0".into()
        } else {
            format!("{v}")
        };
    }
    let a = v.abs();
    if (1e-3..1e5).contains(&a) {
        let s = format!("{:.*}", (4 - a.log10().floor() as i32).max(0) as usize, v);
        let s = if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            s
        };
        if s == "-0" { "0".into() } else { s }
    } else {
        let s = format!("{v:.2e}");
        match s.split_once('e') {
            Some((m, e)) => {
                let m = m.trim_end_matches('0').trim_end_matches('.');
                format!("{m}e{e}")
            }
            None => s,
        }
    }
}

/// Splits a figure into a title strip and the body when there is a title.
pub(crate) fn with_title<'a>(
    root: &Area<'a>,
    title: Option<&str>,
    size: u32,
) -> Result<Area<'a>, String> {
    match title {
        Some(t) if !t.is_empty() => root.titled(t, bold(size)).map_err(perr),
        _ => Ok(root.clone()),
    }
}

/// Lower and upper limits covering finite values, padded by `pad` of the
/// span; a degenerate span is widened so the axis has room.
pub(crate) fn padded_range(values: impl Iterator<Item = f64>, pad: f64) -> Option<(f64, f64)> {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in values.filter(|v| v.is_finite()) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if lo > hi {
        return None;
    }
    let span = hi - lo;
    if span <= f64::EPSILON * lo.abs().max(hi.abs()).max(1e-300) {
        let w = if lo == 0.0 { 1.0 } else { lo.abs() * 0.1 };
        return Some((lo - w, hi + w));
    }
    Some((lo - pad * span, hi + pad * span))
}

/// Cuts a polyline to the box, returning the visible pieces. Non-finite
/// points break the line. Plotters does not clip to the plotting area, so
/// every line goes through here before drawing.
pub(crate) fn clip_polyline(
    points: &[(f64, f64)],
    (x0, x1): (f64, f64),
    (y0, y1): (f64, f64),
) -> Vec<Vec<(f64, f64)>> {
    let mut pieces: Vec<Vec<(f64, f64)>> = Vec::new();
    let mut current: Vec<(f64, f64)> = Vec::new();
    let finite = |p: &(f64, f64)| p.0.is_finite() && p.1.is_finite();
    for w in points.windows(2) {
        let (a, b) = (w[0], w[1]);
        let seg = if finite(&a) && finite(&b) {
            clip_segment(a, b, (x0, x1), (y0, y1))
        } else {
            None
        };
        match seg {
            Some((p, q)) => {
                if current.last() != Some(&p) {
                    if current.len() > 1 {
                        pieces.push(std::mem::take(&mut current));
                    }
                    current.clear();
                    current.push(p);
                }
                current.push(q);
                if q != b {
                    pieces.push(std::mem::take(&mut current));
                }
            }
            None => {
                if current.len() > 1 {
                    pieces.push(std::mem::take(&mut current));
                }
                current.clear();
            }
        }
    }
    if current.len() > 1 {
        pieces.push(current);
    }
    if points.len() == 1 {
        let p = points[0];
        if finite(&p) && (x0..=x1).contains(&p.0) && (y0..=y1).contains(&p.1) {
            pieces.push(vec![p]);
        }
    }
    pieces
}

/// Liang–Barsky clipping of one segment to an axis-aligned box.
fn clip_segment(
    a: (f64, f64),
    b: (f64, f64),
    (x0, x1): (f64, f64),
    (y0, y1): (f64, f64),
) -> Option<((f64, f64), (f64, f64))> {
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let (mut t0, mut t1) = (0.0f64, 1.0f64);
    for (p, q) in [
        (-dx, a.0 - x0),
        (dx, x1 - a.0),
        (-dy, a.1 - y0),
        (dy, y1 - a.1),
    ] {
        if p == 0.0 {
            if q < 0.0 {
                return None;
            }
        } else {
            let r = q / p;
            if p < 0.0 {
                t0 = t0.max(r);
            } else {
                t1 = t1.min(r);
            }
        }
    }
    if t0 > t1 {
        return None;
    }
    let at = |t: f64| {
        if t == 0.0 {
            a
        } else if t == 1.0 {
            b
        } else {
            (a.0 + t * dx, a.1 + t * dy)
        }
    };
    Some((at(t0), at(t1)))
}

/// Why a path cannot take a plot, found before any drawing.
pub(crate) fn check_path(path: &Path) -> Result<(), String> {
    if path.as_os_str().is_empty() {
        return Err("no output file given for the plot".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_short() {
        assert_eq!(tick(&0.30000000000000004), "0.3");
        assert_eq!(tick(&-2.0), "-2");
        assert_eq!(tick(&1e-5), "1e-5");
        assert_eq!(tick(&2.5e7), "2.5e7");
        assert_eq!(tick(&12345.0), "12345");
        assert_eq!(tick(&0.0125), "0.0125");
    }

    #[test]
    fn clipping_keeps_visible_pieces() {
        let pts = [
            (0.0, 0.0),
            (1.0, 2.0),
            (2.0, 0.0),
            (3.0, f64::NAN),
            (4.0, 0.5),
        ];
        let pieces = clip_polyline(&pts, (0.0, 4.0), (0.0, 1.0));
        // Rises out of the box at x = 0.5, comes back at x = 1.5, then a NaN break.
        assert_eq!(pieces.len(), 2);
        assert_eq!(pieces[0], vec![(0.0, 0.0), (0.5, 1.0)]);
        assert_eq!(pieces[1], vec![(1.5, 1.0), (2.0, 0.0)]);
        assert!(clip_polyline(&[(5.0, 5.0), (6.0, 6.0)], (0.0, 1.0), (0.0, 1.0)).is_empty());
    }

    #[test]
    fn ranges_pad_and_widen() {
        assert_eq!(
            padded_range([0.0, 10.0].into_iter(), 0.1),
            Some((-1.0, 11.0))
        );
        assert_eq!(padded_range([3.0, 3.0].into_iter(), 0.1), Some((2.7, 3.3)));
        assert_eq!(padded_range([f64::NAN].into_iter(), 0.1), None);
    }
}
