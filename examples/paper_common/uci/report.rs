//! Running the whole experiment: every data set, prior, method and seed;
//! the Markdown tables (with the reference's rows and the differences from
//! it) and the figure.

use super::super::{compact_png, markdown_table, write_text};
use super::{
    Accuracy, Columns, DATASETS, METHODS, Reference, Spec, compile, default_reference_path,
    difference_in_seed_sds, fit_accuracy_with, load_columns, mean_sd,
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
    /// Feature columns: all (the published setting) or those of a proper
    /// flat-prior posterior.
    pub columns: Columns,
    /// Sds moved in softplus coordinates (the paper's), or directly.
    pub softplus_scale: bool,
    /// The reference results file; its rows are shown for the flat prior
    /// when its iterations equal `iters` and every column is kept.
    pub reference: Option<PathBuf>,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            datasets: DATASETS.to_vec(),
            iters: 2001,
            seeds: vec![1, 2, 3, 4, 5],
            priors: vec![0.0, 1.0],
            draws: 32,
            data_dir: None,
            table: None,
            columns: Columns::All,
            softplus_scale: true,
            reference: Some(default_reference_path()),
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
        let (m, spread) = mean_sd(&self.accuracies());
        let n = self.runs.len() as f64;
        (m, spread, self.runs.iter().map(|a| a.sd).sum::<f64>() / n)
    }

    /// Per seed: the draw-mean accuracies.
    pub fn accuracies(&self) -> Vec<f64> {
        self.runs.iter().map(|a| a.mean).collect()
    }

    /// Per seed: the test log-likelihoods.
    pub fn logliks(&self) -> Vec<f64> {
        self.runs.iter().map(|a| a.test_loglik).collect()
    }
}

/// `mean ± sd` (the sd left out for one value).
fn plus_minus(values: &[f64], digits: usize) -> String {
    let (m, sd) = mean_sd(values);
    if sd.is_finite() {
        format!("{m:.digits$} ± {sd:.digits$}")
    } else {
        format!("{m:.digits$}")
    }
}

fn signed(v: f64) -> String {
    if v.is_finite() {
        format!("{v:+.1}")
    } else {
        "–".into()
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
        let data = load_columns(spec, s.columns)?;
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
                    let a = fit_accuracy_with(
                        &model,
                        &data,
                        m,
                        s.iters,
                        seed,
                        s.draws,
                        s.softplus_scale,
                    )?;
                    progress(&format!(
                        "{} {} {} seed {seed}: accuracy {:.3} ± {:.3}, test log-lik {:.4} \
                         ({:.1} s)",
                        data.name,
                        prior_name(prior),
                        m.name,
                        a.mean,
                        a.sd,
                        a.test_loglik,
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
    let reference = match (&s.reference, s.columns) {
        (Some(path), Columns::All) => Some(Reference::read(path)?).filter(|r| r.iters == s.iters),
        _ => None,
    };
    let text = tables(s, &cells, reference.as_ref(), &described);
    let table_path = s
        .table
        .clone()
        .unwrap_or_else(|| out.join("uci_logistic.md"));
    let (table_dir, table_name) = match (table_path.parent(), table_path.file_name()) {
        (Some(d), Some(n)) => (d.to_path_buf(), n.to_string_lossy().into_owned()),
        _ => return Err(format!("{}: not a file path", table_path.display())),
    };
    let table = write_text(&table_dir, &table_name, &text)?;
    let panels = figure_panels(s, &cells, reference.as_ref());
    let figure = out.join("uci_logistic.png");
    bar_panels(
        &figure,
        &panels,
        &PanelOptions {
            title: Some(format!(
                "Bayesian logistic regression, mean-field, {} iterations: test accuracy per \
                 posterior draw",
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

fn find<'c>(cells: &'c [Cell], dataset: &str, prior: f64, method: &str) -> Option<&'c Cell> {
    cells
        .iter()
        .find(|c| c.dataset == dataset && c.prior_sd == prior && c.method == method)
}

/// The Markdown text: per prior, accuracy and log-likelihood tables (with
/// the reference's rows for the flat prior), then the differences from the
/// reference in seed sds.
fn tables(
    s: &Settings,
    cells: &[Cell],
    reference: Option<&Reference>,
    described: &[String],
) -> String {
    let columns = match s.columns {
        Columns::All => "every feature column (as published)",
        Columns::Proper => "without the columns that make the flat-prior posterior improper",
    };
    let mut text = format!(
        "# Bayesian logistic regression: test accuracy and log-likelihood\n\nMean-field \
         Gaussian with {} sds, Adam 0.01, 32 samples per iteration, {} iterations, the \
         paper's initialisation, {columns}; seeds {:?}. Accuracy: the mean test accuracy of {} \
         posterior draws (in parentheses: the sd over the draws, averaged over seeds). Test \
         log-likelihood: the mean over test rows of the log posterior-predictive probability \
         of the draws. Entries: mean ± sd over seeds.\n\n{}\n",
        if s.softplus_scale {
            "softplus"
        } else {
            "directly moved"
        },
        s.iters,
        s.seeds,
        s.draws,
        described.join("\n")
    );
    let mut header = vec!["data set".to_string()];
    header.extend(METHODS.iter().map(|m| m.name.to_string()));
    let header_refs: Vec<&str> = header.iter().map(String::as_str).collect();
    for &prior in &s.priors {
        let refs = reference.filter(|_| prior == 0.0);
        for (what, digits) in [("test accuracy", 3), ("test log-likelihood", 3)] {
            let pick = |c: &Cell| {
                if what == "test accuracy" {
                    c.accuracies()
                } else {
                    c.logliks()
                }
            };
            let mut rows = Vec::new();
            for spec in &s.datasets {
                let mut row = vec![spec.name.to_string()];
                for m in &METHODS {
                    row.push(match find(cells, spec.name, prior, m.name) {
                        Some(c) if what == "test accuracy" => {
                            format!("{} ({:.3})", plus_minus(&pick(c), digits), c.summary().2)
                        }
                        Some(c) => plus_minus(&pick(c), digits),
                        None => "–".into(),
                    });
                }
                rows.push(row);
                if let Some(r) = refs {
                    let mut row = vec![format!("{} [reference]", spec.name)];
                    for m in &METHODS {
                        row.push(r.cell(spec.name, m.name).map_or("–".into(), |c| {
                            if what == "test accuracy" {
                                let within = c.runs.iter().map(|r| r.accuracy_sd).sum::<f64>()
                                    / c.runs.len() as f64;
                                format!("{} ({within:.3})", plus_minus(&c.accuracies(), digits))
                            } else {
                                plus_minus(&c.logliks(), digits)
                            }
                        }));
                    }
                    rows.push(row);
                }
            }
            text.push_str(&format!(
                "\n## {}: {what}\n\n{}",
                prior_name(prior),
                markdown_table(&header_refs, &rows)
            ));
        }
        if let Some(r) = refs {
            text.push_str(&differences(s, cells, r, &header_refs));
        }
    }
    if let Some(r) = reference {
        text.push_str(&format!(
            "\n[reference]: `uci_reference.py`, an independent numpy implementation of the \
             published algorithm ({} weights, {} sds), seeds {:?}, read from \
             `uci_reference_results.json`; not the paper's numbers.\n",
            if r.weights == "max" {
                "max-shifted"
            } else {
                "self-normalised"
            },
            r.scale,
            r.seeds
        ));
    }
    text
}

/// The flat-prior table of (vippl − reference) / pooled seed sd, accuracy
/// and log-likelihood.
fn differences(s: &Settings, cells: &[Cell], r: &Reference, header: &[&str]) -> String {
    let mut rows = Vec::new();
    for spec in &s.datasets {
        let mut row = vec![spec.name.to_string()];
        for m in &METHODS {
            row.push(
                match (
                    find(cells, spec.name, 0.0, m.name),
                    r.cell(spec.name, m.name),
                ) {
                    (Some(c), Some(rc)) => format!(
                        "{} / {}",
                        signed(difference_in_seed_sds(&c.accuracies(), &rc.accuracies())),
                        signed(difference_in_seed_sds(&c.logliks(), &rc.logliks()))
                    ),
                    _ => "–".into(),
                },
            );
        }
        rows.push(row);
    }
    format!(
        "\n## flat prior: vippl − reference, in seed sds (accuracy / log-likelihood)\n\n\
         The difference of the means over seeds divided by the seed sd pooled over both \
         sides; with n seeds on each side its standard error is √(2/n) of that unit (0.63 \
         for n = 5), so beyond ±1.9 it exceeds three standard errors.\n\n{}",
        markdown_table(header, &rows)
    )
}

/// One panel per data set: bars per prior, the reference's accuracies as
/// marks.
fn figure_panels(s: &Settings, cells: &[Cell], reference: Option<&Reference>) -> Vec<BarPanel> {
    s.datasets
        .iter()
        .map(|spec| BarPanel {
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
                            find(cells, spec.name, prior, m.name).map_or((f64::NAN, 0.0), |c| {
                                let (mean, _, within) = c.summary();
                                (mean, within)
                            })
                        })
                        .collect(),
                })
                .collect(),
            y_label: "test accuracy (± sd over draws)".into(),
            y_range: (0.3, 1.0),
            reference: reference.map(|r| {
                (
                    format!("reference, {} it.", r.iters),
                    METHODS
                        .iter()
                        .map(|m| {
                            r.cell(spec.name, m.name)
                                .map_or(f64::NAN, |c| mean_sd(&c.accuracies()).0)
                        })
                        .collect(),
                )
            }),
        })
        .collect()
}
