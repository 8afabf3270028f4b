//! Pictures drawn with text: a histogram of draws and an area chart of the
//! ELBO trace, with eighth-block characters for resolution finer than a
//! character cell.

use vippl::output::{format_sig, stats};

/// Horizontal bar fillings in eighths of a cell.
const HBARS: [&str; 8] = ["", "▏", "▎", "▍", "▌", "▋", "▊", "▉"];
/// Vertical column fillings in eighths of a cell.
const VBARS: [char; 9] = [' ', '▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

fn hbar(eighths: usize) -> String {
    let mut s = "█".repeat(eighths / 8);
    s.push_str(HBARS[eighths % 8]);
    s
}

/// A histogram of `values` with `bins` bins over their central 99% (all of
/// them for fewer than 200 draws), bars up to `width` cells long.
pub fn histogram(label: &str, values: &[f64], bins: usize, width: usize) -> String {
    let mut x: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    let nonfinite = values.len() - x.len();
    if x.is_empty() {
        return format!("{label}: no finite draws to show\n");
    }
    x.sort_by(f64::total_cmp);
    let q = |p: f64| stats::quantile_sorted(&x, p);
    let mut out = format!(
        "{label}: {} draws, mean {}, sd {}, 5% {}, 50% {}, 95% {}\n",
        x.len(),
        format_sig(stats::mean(&x), 4),
        format_sig(stats::sd(&x), 4),
        format_sig(q(0.05), 4),
        format_sig(q(0.5), 4),
        format_sig(q(0.95), 4)
    );
    let (lo, hi) = if x.len() >= 200 {
        (q(0.005), q(0.995))
    } else {
        (x[0], x[x.len() - 1])
    };
    if hi.partial_cmp(&lo) != Some(std::cmp::Ordering::Greater) {
        out.push_str(&format!("  every draw equals {}\n", format_sig(x[0], 6)));
        return out;
    }
    let bins = bins.clamp(1, 200);
    let wbin = (hi - lo) / bins as f64;
    let mut counts = vec![0usize; bins];
    let (mut below, mut above) = (0usize, 0usize);
    for &v in &x {
        if v < lo {
            below += 1;
        } else if v > hi {
            above += 1;
        } else {
            let k = (((v - lo) / wbin) as usize).min(bins - 1);
            counts[k] += 1;
        }
    }
    let max = counts.iter().copied().max().unwrap_or(1).max(1);
    let edges: Vec<String> = (0..=bins)
        .map(|k| format_sig(lo + wbin * k as f64, 4))
        .collect();
    let ew = edges.iter().map(|e| e.chars().count()).max().unwrap_or(1);
    let cw = max.to_string().len();
    for k in 0..bins {
        let eighths = (counts[k] * width * 8 + max / 2) / max;
        let bar = hbar(eighths);
        let pad = width + 1 - bar.chars().count();
        out.push_str(&format!(
            "  {:>ew$} – {:>ew$}  {bar}{}{:>cw$}\n",
            edges[k],
            edges[k + 1],
            " ".repeat(pad),
            counts[k]
        ));
    }
    let mut notes = Vec::new();
    if below > 0 {
        notes.push(format!("{below} below {}", edges[0]));
    }
    if above > 0 {
        notes.push(format!("{above} above {}", edges[bins]));
    }
    if nonfinite > 0 {
        notes.push(format!("{nonfinite} not finite"));
    }
    if !notes.is_empty() {
        out.push_str(&format!("  not shown: {}\n", notes.join(", ")));
    }
    out
}

/// An area chart of `points` (x increasing), averaged into `width`
/// columns, `height` rows tall. The vertical axis starts a little below the
/// lowest decile of the column means, so that a far-off start does not
/// flatten the rest; columns below it are counted in a note.
pub fn area_chart(points: &[(f64, f64)], width: usize, height: usize) -> String {
    let pts: Vec<(f64, f64)> = points
        .iter()
        .copied()
        .filter(|(x, y)| x.is_finite() && y.is_finite())
        .collect();
    if pts.is_empty() {
        return "  (no finite values to draw)\n".into();
    }
    let width = width.clamp(1, pts.len());
    let height = height.max(1);
    let (x0, x1) = (pts[0].0, pts[pts.len() - 1].0);
    let mut sums = vec![(0.0, 0usize); width];
    for (i, &(_, y)) in pts.iter().enumerate() {
        let c = i * width / pts.len();
        sums[c].0 += y;
        sums[c].1 += 1;
    }
    let cols: Vec<f64> = sums
        .iter()
        .map(|&(s, n)| if n > 0 { s / n as f64 } else { f64::NAN })
        .collect();
    let mut sorted: Vec<f64> = cols.iter().copied().filter(|v| v.is_finite()).collect();
    sorted.sort_by(f64::total_cmp);
    let top = sorted[sorted.len() - 1];
    let low = stats::quantile_sorted(&sorted, 0.1);
    let span = if top > low { top - low } else { 1.0 };
    let bottom = low - 0.1 * span;
    let range = top - bottom;
    let levels: Vec<Option<usize>> = cols
        .iter()
        .map(|&v| {
            (v.is_finite() && v >= bottom)
                .then(|| (((v - bottom) / range) * (height * 8) as f64).round() as usize)
        })
        .collect();
    let clipped = cols
        .iter()
        .filter(|v| v.is_finite() && **v < bottom)
        .count();
    let top_label = format_sig(top, 5);
    let bottom_label = format_sig(bottom, 5);
    let lw = top_label.chars().count().max(bottom_label.chars().count());
    let mut out = String::new();
    for r in 0..height {
        let level = height - 1 - r;
        let label = if r == 0 {
            top_label.as_str()
        } else if r == height - 1 {
            bottom_label.as_str()
        } else {
            ""
        };
        let row: String = levels
            .iter()
            .map(|l| match l {
                Some(l) => VBARS[l.saturating_sub(level * 8).min(8)],
                None => ' ',
            })
            .collect();
        out.push_str(&format!("  {label:>lw$} │{}\n", row.trim_end()));
    }
    let label = |x: f64| {
        if x == x.trunc() && x.abs() < 1e15 {
            format!("{}", x as i64)
        } else {
            format_sig(x, 6)
        }
    };
    let (first, last) = (label(x0), label(x1));
    let gap = (width + 1).saturating_sub(first.len() + last.len()).max(1);
    out.push_str(&format!("  {:lw$} └{}\n", "", "─".repeat(width)));
    out.push_str(&format!(
        "  {:lw$}  {first}{}{last}\n",
        "",
        " ".repeat(gap.saturating_sub(1))
    ));
    if clipped > 0 {
        out.push_str(&format!(
            "  ({clipped} of {width} columns lie below the axis: the first iterations start far lower)\n"
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_counts_every_draw() {
        let v: Vec<f64> = (0..1000).map(|i| i as f64).collect();
        let h = histogram("x", &v, 10, 20);
        let total: usize = h
            .lines()
            .skip(1)
            .filter(|l| l.contains('–'))
            .map(|l| {
                l.split_whitespace()
                    .last()
                    .unwrap()
                    .parse::<usize>()
                    .unwrap()
            })
            .sum();
        // The central 99% is shown: 5 draws lie below and 5 above.
        assert!(h.contains("not shown: 5 below"), "{h}");
        assert_eq!(total, 990);
        assert_eq!(h.lines().filter(|l| l.contains('–')).count(), 10);
    }

    #[test]
    fn histogram_of_constants_and_nothing() {
        assert!(histogram("c", &[2.0; 5], 10, 20).contains("every draw equals 2"));
        assert!(histogram("e", &[f64::NAN], 10, 20).contains("no finite draws"));
    }

    #[test]
    fn area_chart_rises_with_the_values() {
        let pts: Vec<(f64, f64)> = (1..=100).map(|i| (i as f64, i as f64)).collect();
        let c = area_chart(&pts, 20, 4);
        let rows: Vec<&str> = c.lines().collect();
        // The last column reaches the top row; the first does not.
        let top: Vec<char> = rows[0].split('│').nth(1).unwrap().chars().collect();
        assert_eq!(*top.last().unwrap(), '█');
        assert_eq!(top[0], ' ');
        assert!(c.contains("100"));
    }
}
