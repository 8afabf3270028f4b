//! The data sets: reading the shipped CSV files, the published split,
//! min-max scaling and the columns dropped for a proper flat-prior
//! posterior (as `examples/uci/prepare.py`).

use super::super::repo_path;
use serde_json::{Value, json};
use vippl::data::RawValue;

/// A data set: its name, CSV file and how a row's label is read.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Spec {
    pub name: &'static str,
    pub file: &'static str,
    /// The file has a header line.
    pub header: bool,
    /// Data rows to skip after the header: the published split was made on
    /// the rows of a header-reading loader, so pima's first line (a patient,
    /// not a header) is not in it.
    pub skip: usize,
    pub label: LabelRule,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum LabelRule {
    /// The number 1 is positive, 0 negative.
    Binary,
    /// `g` is positive, `b` negative.
    GoodBad,
    /// A number ≥ the threshold is positive.
    AtLeast(f64),
}

pub const DATASETS: [Spec; 4] = [
    Spec {
        name: "heart",
        file: "heart.csv",
        header: true,
        skip: 0,
        label: LabelRule::Binary,
    },
    Spec {
        name: "ionosphere",
        file: "ionosphere_data.csv",
        header: true,
        skip: 0,
        label: LabelRule::GoodBad,
    },
    Spec {
        name: "pima",
        file: "pima-indians-diabetes.csv",
        header: false,
        skip: 1,
        label: LabelRule::Binary,
    },
    Spec {
        name: "wine",
        file: "winequality-red.csv",
        header: true,
        skip: 0,
        label: LabelRule::AtLeast(6.0),
    },
];

pub fn spec(name: &str) -> Result<Spec, String> {
    DATASETS
        .iter()
        .copied()
        .find(|s| s.name == name)
        .ok_or_else(|| {
            format!("unknown data set `{name}`; expected heart, ionosphere, pima or wine")
        })
}

/// Features and labels of the rows of one split part.
#[derive(Clone, Debug, PartialEq)]
pub struct Part {
    pub x: Vec<Vec<f64>>,
    pub y: Vec<u8>,
}

/// A prepared data set.
#[derive(Clone, Debug, PartialEq)]
pub struct Prepared {
    pub name: String,
    pub train: Part,
    pub test: Part,
    /// Names of the kept columns and of the dropped ones (with the reason).
    pub kept: Vec<String>,
    pub dropped: Vec<String>,
}

fn feature(text: &str, file: &str, line: usize) -> Result<f64, String> {
    let t = text.trim();
    match t.to_ascii_lowercase().as_str() {
        "true" => Ok(1.0),
        "false" => Ok(0.0),
        _ => t
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
            .ok_or_else(|| format!("{file}, line {line}: `{t}` is not a number")),
    }
}

/// One CSV record: the features and the 0/1 label.
pub type Row = (Vec<f64>, u8);

/// Reads a data set's CSV text into column names and rows.
pub fn parse(spec: &Spec, text: &str) -> Result<(Vec<String>, Vec<Row>), String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = text
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim_end_matches('\r')))
        .filter(|(_, l)| !l.trim().is_empty());
    let mut names: Vec<String> = Vec::new();
    if spec.header {
        let (_, h) = lines
            .next()
            .ok_or_else(|| format!("{}: the file is empty", spec.file))?;
        names = h.split(',').map(|s| s.trim().to_string()).collect();
        names.pop();
    }
    let mut rows = Vec::new();
    for (line, l) in lines.skip(spec.skip) {
        if l.contains('"') {
            return Err(format!(
                "{}, line {line}: quoted fields are not expected in this file",
                spec.file
            ));
        }
        let fields: Vec<&str> = l.split(',').collect();
        if fields.len() < 2 {
            return Err(format!(
                "{}, line {line}: expected features and a label",
                spec.file
            ));
        }
        let (label_text, feats) = fields.split_last().expect("two or more fields");
        let x = feats
            .iter()
            .map(|f| feature(f, spec.file, line))
            .collect::<Result<Vec<f64>, String>>()?;
        let label_text = label_text.trim();
        let y = match spec.label {
            LabelRule::GoodBad => match label_text {
                "g" => 1,
                "b" => 0,
                other => {
                    return Err(format!(
                        "{}, line {line}: label `{other}` is neither g nor b",
                        spec.file
                    ));
                }
            },
            LabelRule::Binary => match feature(label_text, spec.file, line)? {
                1.0 => 1,
                0.0 => 0,
                v => {
                    return Err(format!(
                        "{}, line {line}: label {v} is not 0 or 1",
                        spec.file
                    ));
                }
            },
            LabelRule::AtLeast(t) => u8::from(feature(label_text, spec.file, line)? >= t),
        };
        if names.is_empty() {
            names = (1..=x.len()).map(|j| format!("x{j}")).collect();
        }
        if x.len() != names.len() {
            return Err(format!(
                "{}, line {line}: {} features, expected {}",
                spec.file,
                x.len(),
                names.len()
            ));
        }
        rows.push((x, y));
    }
    Ok((names, rows))
}

fn indices(v: &Value, what: &str, n: usize) -> Result<Vec<usize>, String> {
    v.as_array()
        .ok_or_else(|| format!("split: `{what}` is not a list"))?
        .iter()
        .map(|i| {
            i.as_u64()
                .map(|i| i as usize)
                .filter(|&i| i < n)
                .ok_or_else(|| format!("split: `{what}` has an index that is not a row"))
        })
        .collect()
}

/// Which feature columns a prepared data set keeps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Columns {
    /// Every column, as the published experiments (ionosphere: 34); a
    /// constant column scales to 0.
    All,
    /// Without the columns that make a flat-prior posterior improper, as
    /// `examples/uci/prepare.py` and the shipped JSON files.
    Proper,
}

/// Splits (paper's 0-based indices), min-max scales with the training rows
/// and, for [`Columns::Proper`], drops the training columns that make a
/// flat-prior posterior improper: constant columns, and binary columns one
/// of whose values occurs with one label only (quasi-complete separation;
/// ionosphere's first column). The same rule as `examples/uci/prepare.py`.
pub fn prepare(
    spec: &Spec,
    csv_text: &str,
    splits: &Value,
    columns: Columns,
) -> Result<Prepared, String> {
    let (names, rows) = parse(spec, csv_text)?;
    let split = &splits["splits"][spec.file];
    let n_rows = split["n_rows"]
        .as_u64()
        .ok_or_else(|| format!("split: no `n_rows` for {}", spec.file))? as usize;
    if rows.len() != n_rows {
        return Err(format!(
            "{}: {} data rows, the split expects {n_rows}",
            spec.file,
            rows.len()
        ));
    }
    let train_i = indices(&split["train"], "train", n_rows)?;
    let test_i = indices(&split["test"], "test", n_rows)?;
    let nf = names.len();
    let lo: Vec<f64> = (0..nf)
        .map(|j| {
            train_i
                .iter()
                .map(|&i| rows[i].0[j])
                .fold(f64::INFINITY, f64::min)
        })
        .collect();
    let hi: Vec<f64> = (0..nf)
        .map(|j| {
            train_i
                .iter()
                .map(|&i| rows[i].0[j])
                .fold(f64::NEG_INFINITY, f64::max)
        })
        .collect();
    let (mut keep, mut kept, mut dropped) = (Vec::new(), Vec::new(), Vec::new());
    for j in 0..nf {
        if columns == Columns::All {
            keep.push(j);
            kept.push(names[j].clone());
            continue;
        }
        if hi[j] <= lo[j] {
            dropped.push(format!("{} (constant)", names[j]));
            continue;
        }
        // Labels seen with each value of a binary column.
        let mut seen = [[false; 2]; 2];
        let binary = train_i.iter().all(|&i| {
            let (x, y) = (&rows[i].0, rows[i].1 as usize);
            let level = if x[j] == lo[j] {
                0
            } else if x[j] == hi[j] {
                1
            } else {
                return false;
            };
            seen[level][y] = true;
            true
        });
        let separating = binary && seen.iter().any(|s| s[0] != s[1]);
        if separating {
            dropped.push(format!(
                "{} (binary; one value occurs with one label only)",
                names[j]
            ));
        } else {
            keep.push(j);
            kept.push(names[j].clone());
        }
    }
    let part = |idx: &[usize]| Part {
        x: idx
            .iter()
            .map(|&i| {
                keep.iter()
                    .map(|&j| {
                        let span = hi[j] - lo[j];
                        (rows[i].0[j] - lo[j]) / if span > 0.0 { span } else { 1.0 }
                    })
                    .collect()
            })
            .collect(),
        y: idx.iter().map(|&i| rows[i].1).collect(),
    };
    Ok(Prepared {
        name: spec.name.to_string(),
        train: part(&train_i),
        test: part(&test_i),
        kept,
        dropped,
    })
}

/// Reads the shipped CSV and split files and prepares one data set as the
/// shipped JSON files ([`Columns::Proper`]).
pub fn load(spec: &Spec) -> Result<Prepared, String> {
    load_columns(spec, Columns::Proper)
}

/// Reads the shipped CSV and split files and prepares one data set.
pub fn load_columns(spec: &Spec, columns: Columns) -> Result<Prepared, String> {
    let read = |rel: &str| {
        let p = repo_path(rel);
        std::fs::read_to_string(&p).map_err(|e| format!("cannot read {}: {e}", p.display()))
    };
    let splits: Value = serde_json::from_str(&read("examples/uci/paper_split_indices.json")?)
        .map_err(|e| format!("paper_split_indices.json: {e}"))?;
    prepare(
        spec,
        &read(&format!("examples/uci/{}", spec.file))?,
        &splits,
        columns,
    )
}

impl Part {
    pub fn k(&self) -> usize {
        self.x.first().map_or(0, |r| r.len())
    }

    /// Stan JSON data (`N`, `K`, `X`, `y`).
    pub fn to_json(&self) -> Value {
        json!({"N": self.y.len(), "K": self.k(), "X": self.x, "y": self.y})
    }

    pub fn raw(&self) -> Vec<(&'static str, RawValue)> {
        let (n, k) = (self.y.len(), self.k());
        vec![
            ("N", RawValue::scalar(n as f64)),
            ("K", RawValue::scalar(k as f64)),
            (
                "X",
                RawValue {
                    dims: vec![n, k],
                    values: self.x.iter().flatten().copied().collect(),
                },
            ),
            (
                "y",
                RawValue {
                    dims: vec![n],
                    values: self.y.iter().map(|&v| v as f64).collect(),
                },
            ),
        ]
    }

    /// Test log-likelihood of the draws `thetas` (rows θ = (α, β)): the mean
    /// over rows of log (1/S) Σ_s p(y | x, θ_s), the log posterior-predictive
    /// probability of each row's label.
    pub fn log_predictive(&self, thetas: &[&[f64]]) -> f64 {
        let mut logs = vec![0.0; thetas.len()];
        let mut total = 0.0;
        for (x, &y) in self.x.iter().zip(&self.y) {
            for (l, t) in logs.iter_mut().zip(thetas) {
                let z = t[0] + x.iter().zip(&t[1..]).map(|(a, b)| a * b).sum::<f64>();
                // log σ(z) for y = 1, log σ(−z) for y = 0.
                let signed = if y == 1 { z } else { -z };
                *l = -((-signed).max(0.0) + (-signed.abs()).exp().ln_1p());
            }
            let top = logs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let mean = logs.iter().map(|l| (l - top).exp()).sum::<f64>() / logs.len() as f64;
            total += top + mean.ln();
        }
        total / self.y.len().max(1) as f64
    }

    /// Accuracy of the classifier 1[α + xᵀβ > 0] (i.e. σ > ½) for θ = (α, β).
    pub fn accuracy(&self, theta: &[f64]) -> f64 {
        let right = self
            .x
            .iter()
            .zip(&self.y)
            .filter(|(x, y)| {
                let z = theta[0] + x.iter().zip(&theta[1..]).map(|(a, b)| a * b).sum::<f64>();
                u8::from(z > 0.0) == **y
            })
            .count();
        right as f64 / self.y.len().max(1) as f64
    }
}
