//! Running the whole experiment: every data set, prior, method and seed;
//! the Markdown table and the figure.

use super::super::{compact_png, markdown_table, write_text};
use super::Accuracy;
use super::{
    DATASETS, METHODS, REFERENCE_2001, REFERENCE_20001, Spec, compile, fit_accuracy, load,
};
use std::path::{Path, PathBuf};
use vippl::plot::{BarPanel, BarSeries, PanelOptions, bar_panels};

#[derive(Clone, Debug)]
pub struct Settings {
    pub datasets: Vec<Spec>,
    pub iters: usize,
    pub seeds: Vec<u64>,
    /// Prior sds: 0 is flat.
    pub priors: Vec<f64>,
    pub draws: usize,
    /// Where the prepared Stan JSON files go (default `out/uci_data`).
    pub data_dir: Option<PathBuf>,
    /// The Markdown table (default `out/uci_logistic.md`).
    pub table: Option<PathBuf>,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            datasets: DATASETS.to_vec(),
            iters: 2001,
            seeds: vec![3],
            priors: vec![0.0, 1.0],
            draws: 32,
            data_dir: None,
            table: None,
        }
    }
}

/// One cell of the result: a data set, prior and method over all seeds.
#[derive(Clone, Debug)]
pub struct Cell {
    pub dataset: String,
    pub prior_sd: f64,
    pub method: &'static str,
    /// Per seed.
    pub runs: Vec<Accuracy>,
}

impl Cell {
    /// Mean over seeds of the draw-mean accuracy, the spread of that across
    /// seeds, and the average within-run sd.
    pub fn summary(&self) -> (f64, f64, f64) {
        let n = self.runs.len() as f64;
        let m = self.runs.iter().map(|a| a.mean).sum::<f64>() / n;
        let spread = if self.runs.len() > 1 {
            (self.runs.iter().map(|a| (a.mean - m).powi(2)).sum::<f64>() / (n - 1.0)).sqrt()
        } else {
            f64::NAN
        };
        (m, spread, self.runs.iter().map(|a| a.sd).sum::<f64>() / n)
    }
}

pub struct Report {
    pub cells: Vec<Cell>,
    pub figure: PathBuf,
    pub table: PathBuf,
}

fn prior_name(sd: f64) -> String {
    if sd > 0.0 {
        format!("normal(0, {sd}) prior")
    } else {
        "flat prior".to_string()
    }
}

/// Prepares the data (writing the Stan JSON files to `s.data_dir`), fits
/// every data set × prior × method × seed, draws `uci_logistic.png` into
/// `out` and writes the table. `progress` hears about each fit.
pub fn run(s: &Settings, out: &Path, progress: &mut dyn FnMut(&str)) -> Result<Report, String> {
    let data_dir = s.data_dir.clone().unwrap_or_else(|| out.join("uci_data"));
    let mut cells = Vec::new();
    let mut described = Vec::new();
    for spec in &s.datasets {
        let data = load(spec)?;
        for (part, p) in [("train", &data.train), ("test", &data.test)] {
            write_text(
                &data_dir,
                &format!("{}_{part}.json", data.name),
                &format!("{}\n", p.to_json()),
            )?;
        }
        described.push(format!(
            "- {}: {} training / {} test rows, K = {} features{}",
            data.name,
            data.train.y.len(),
            data.test.y.len(),
            data.train.k(),
            if data.dropped.is_empty() {
                String::new()
            } else {
                format!("; dropped {}", data.dropped.join(", "))
            }
        ));
        for &prior in &s.priors {
            let model = compile(&data.train, prior)?;
            for m in &METHODS {
                let mut runs = Vec::new();
                for &seed in &s.seeds {
                    let t0 = std::time::Instant::now();
                    let a = fit_accuracy(&model, &data, m, s.iters, seed, s.draws)?;
                    progress(&format!(
                        "{} {} {} seed {seed}: accuracy {:.3} ± {:.3} ({:.1} s)",
                        data.name,
                        prior_name(prior),
                        m.name,
                        a.mean,
                        a.sd,
                        t0.elapsed().as_secs_f64()
                    ));
                    runs.push(a);
                }
                cells.push(Cell {
                    dataset: data.name.clone(),
                    prior_sd: prior,
                    method: m.name,
                    runs,
                });
            }
        }
    }
    let reference = match s.iters {
        2001 => Some(("2001", REFERENCE_2001)),
        20001 => Some(("20001", REFERENCE_20001)),
        _ => None,
    };
    let find = |ds: &str, prior: f64, m: &str| {
        cells
            .iter()
            .find(|c| c.dataset == ds && c.prior_sd == prior && c.method == m)
    };
    // Table: one block per prior.
    let mut text = format!(
        "# Bayesian logistic regression: test accuracy\n\nMean-field Gaussian, Adam 0.01, 32 \
         samples per iteration, {} iterations, the paper's initialisation; seeds {:?}. Entry: \
         mean over seeds of the mean test accuracy of {} posterior draws (in parentheses: the \
         sd over the draws{}).\n\n{}\n",
        s.iters,
        s.seeds,
        s.draws,
        if s.seeds.len() > 1 {
            "; then the sd of the mean across seeds"
        } else {
            ""
        },
        described.join("\n")
    );
    let mut header = vec!["data set".to_string()];
    header.extend(METHODS.iter().map(|m| m.name.to_string()));
    let header_refs: Vec<&str> = header.iter().map(String::as_str).collect();
    for &prior in &s.priors {
        let mut rows = Vec::new();
        for spec in &s.datasets {
            let mut row = vec![spec.name.to_string()];
            for m in &METHODS {
                row.push(match find(spec.name, prior, m.name) {
                    Some(c) => {
                        let (mean, spread, within) = c.summary();
                        if spread.is_finite() {
                            format!("{mean:.3} ({within:.3}; {spread:.3})")
                        } else {
                            format!("{mean:.3} ({within:.3})")
                        }
                    }
                    None => "–".into(),
                });
            }
            rows.push(row);
            if prior == 0.0
                && let Some((its, r)) = reference
            {
                let i = DATASETS
                    .iter()
                    .position(|d| d.name == spec.name)
                    .unwrap_or(0);
                let mut row = vec![format!("{} [reference, {its}]", spec.name)];
                row.extend(r[i].iter().map(|v| format!("{v:.3}")));
                rows.push(row);
            }
        }
        text.push_str(&format!(
            "\n## {}\n\n{}",
            prior_name(prior),
            markdown_table(&header_refs, &rows)
        ));
    }
    if reference.is_some() {
        text.push_str(
            "\n[reference]: our own numpy re-implementation of the published script (3 seeds, \
             all columns kept, flat prior), not the paper's numbers.\n",
        );
    }
    let table_path = s
        .table
        .clone()
        .unwrap_or_else(|| out.join("uci_logistic.md"));
    let (table_dir, table_name) = match (table_path.parent(), table_path.file_name()) {
        (Some(d), Some(n)) => (d.to_path_buf(), n.to_string_lossy().into_owned()),
        _ => return Err(format!("{}: not a file path", table_path.display())),
    };
    let table = write_text(&table_dir, &table_name, &text)?;
    // Figure: one panel per data set, bars per prior, reference marks.
    let panels: Vec<BarPanel> = s
        .datasets
        .iter()
        .map(|spec| {
            let i = DATASETS
                .iter()
                .position(|d| d.name == spec.name)
                .unwrap_or(0);
            BarPanel {
                title: spec.name.to_string(),
                categories: METHODS.iter().map(|m| m.name.to_string()).collect(),
                series: s
                    .priors
                    .iter()
                    .map(|&prior| BarSeries {
                        label: prior_name(prior),
                        values: METHODS
                            .iter()
                            .map(|m| {
                                find(spec.name, prior, m.name).map_or((f64::NAN, 0.0), |c| {
                                    let (mean, _, within) = c.summary();
                                    (mean, within)
                                })
                            })
                            .collect(),
                    })
                    .collect(),
                y_label: "test accuracy (± sd over draws)".into(),
                y_range: (0.3, 1.0),
                reference: reference
                    .map(|(its, r)| (format!("reference, {its} it."), r[i].to_vec())),
            }
        })
        .collect();
    let figure = out.join("uci_logistic.png");
    bar_panels(
        &figure,
        &panels,
        &PanelOptions {
            title: Some(format!(
                "Bayesian logistic regression, mean-field, {} iterations: test accuracy per posterior draw",
                s.iters
            )),
            columns: 2,
            panel_size: (640, 400),
        },
    )?;
    compact_png(&figure)?;
    Ok(Report {
        cells,
        figure,
        table,
    })
}
