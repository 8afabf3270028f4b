//! The experiments of Yi & Liu, "Bridging the Gap Between Variational
//! Inference and Wasserstein Gradient Flows", run through vippl: each
//! submodule holds one experiment's core (fits, numbers, figure) so that the
//! example programs (`examples/<name>.rs`) and the integration tests share
//! it. Models are the `.vi` files of `examples/paper/`, compiled by the
//! library like any user model.

// Each example program uses only its own experiment.
#![allow(dead_code)]

pub mod banana;
pub mod gmm1d;
pub mod illustrative;
pub mod uci;

use std::path::{Path, PathBuf};
use vippl::data::{DataEntry, DataInput, RawValue};
use vippl::density::{self, CompiledModel};
use vippl::diagnostics::render_short;
use vippl::infer::{Approximation, Control, IterationInfo, Observer};
use vippl::source::SourceMap;

/// The repository root (the examples and tests run from anywhere).
pub fn repo_path(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// Where the example programs write pictures and tables by default.
pub fn default_out_dir() -> PathBuf {
    repo_path("examples/paper/figures")
}

/// Parses, checks and compiles a `.vi` model with the given data, as
/// `vippl infer` does.
pub fn compile_model(
    name: &str,
    text: &str,
    data: Vec<(&str, RawValue)>,
) -> Result<CompiledModel, String> {
    let mut sources = SourceMap::new();
    let (model, _warnings) = vippl::check::load_model(&mut sources, name, text)
        .map_err(|d| render_short(&d, &sources))?;
    let mut input = DataInput::default();
    for (key, value) in data {
        input.entries.push(DataEntry {
            name: key.to_string(),
            value,
            origin: "example".to_string(),
            table: false,
        });
    }
    let (cm, _notes) =
        density::compile(model, sources.clone(), &input).map_err(|d| render_short(&d, &sources))?;
    Ok(cm)
}

/// Records the family parameters of every iteration (the layout of
/// `Approximation::flat_parameters`).
#[derive(Default)]
pub struct Recorder {
    pub parameters: Vec<Vec<f64>>,
    /// The step size used from each iteration.
    pub steps: Vec<f64>,
}

impl Observer for Recorder {
    fn iteration(&mut self, info: &IterationInfo<'_>) -> Control {
        // A step undone by step control is recorded again.
        self.parameters.truncate(info.iteration);
        self.steps.truncate(info.iteration);
        self.parameters.push(info.parameters.to_vec());
        self.steps.push(info.step);
        Control::Continue
    }
}

/// A Gaussian mixture (or a single Gaussian) in one or two dimensions,
/// prepared for fast evaluation of log q on quadrature grids.
pub struct Density {
    d: usize,
    /// Per component: log weight − log|det S| − d/2 log 2π, mean, S⁻¹.
    comps: Vec<(f64, Vec<f64>, Vec<f64>)>,
}

const LN_2PI: f64 = 1.837_877_066_409_345_5;

impl Density {
    pub fn new(q: &Approximation) -> Result<Density, String> {
        let d = q.dim();
        if d != 1 && d != 2 {
            return Err(format!("Density: dimension {d} (1 or 2 supported)"));
        }
        let parts: Vec<(f64, Vec<f64>, Vec<f64>)> = match q {
            Approximation::MeanField { mean, sd } => {
                let mut s = vec![0.0; d * d];
                for i in 0..d {
                    s[i * d + i] = sd[i];
                }
                vec![(1.0, mean.clone(), s)]
            }
            Approximation::FullRank { mean, scale } => vec![(1.0, mean.clone(), scale.clone())],
            Approximation::LowRank { mean, .. } => {
                // The lower Cholesky factor of the (1 × 1 or 2 × 2) covariance.
                let c = q.covariance();
                let mut s = vec![0.0; d * d];
                s[0] = c[0].sqrt();
                if d == 2 {
                    s[2] = c[2] / s[0];
                    s[3] = (c[3] - s[2] * s[2]).sqrt();
                }
                vec![(1.0, mean.clone(), s)]
            }
            Approximation::Mixture {
                weights,
                components,
            } => weights
                .iter()
                .zip(components)
                .map(|(w, c)| (*w, c.mean.clone(), c.scale.clone()))
                .collect(),
        };
        let mut comps = Vec::new();
        for (w, m, s) in parts {
            if w <= 0.0 {
                continue;
            }
            let (det, inv) = if d == 1 {
                (s[0], vec![1.0 / s[0]])
            } else {
                let det = s[0] * s[3] - s[1] * s[2];
                (det, vec![s[3] / det, -s[1] / det, -s[2] / det, s[0] / det])
            };
            if det == 0.0 || !det.is_finite() {
                return Err("a component's scale is singular".into());
            }
            comps.push((w.ln() - det.abs().ln() - 0.5 * d as f64 * LN_2PI, m, inv));
        }
        Ok(Density { d, comps })
    }

    /// log q(x).
    pub fn log(&self, x: &[f64]) -> f64 {
        let mut mx = f64::NEG_INFINITY;
        let mut terms = [0.0f64; 16];
        let mut big = Vec::new();
        let many = self.comps.len() > terms.len();
        for (k, (c, m, inv)) in self.comps.iter().enumerate() {
            let t = if self.d == 1 {
                let z = (x[0] - m[0]) * inv[0];
                c - 0.5 * z * z
            } else {
                let (a, b) = (x[0] - m[0], x[1] - m[1]);
                let z0 = inv[0] * a + inv[1] * b;
                let z1 = inv[2] * a + inv[3] * b;
                c - 0.5 * (z0 * z0 + z1 * z1)
            };
            if many {
                big.push(t);
            } else {
                terms[k] = t;
            }
            mx = mx.max(t);
        }
        if mx == f64::NEG_INFINITY {
            return mx;
        }
        let ts: &[f64] = if many {
            &big
        } else {
            &terms[..self.comps.len()]
        };
        mx + ts.iter().map(|t| (t - mx).exp()).sum::<f64>().ln()
    }
}

/// KL(q‖p) and KL(p‖q) from log densities on quadrature points with
/// weights (cells where both densities vanish contribute nothing).
pub fn kl_pair(points: &[(f64, f64, f64)]) -> (f64, f64) {
    let (mut qp, mut pq) = (0.0, 0.0);
    for &(w, lq, lp) in points {
        let (q, p) = (lq.exp(), lp.exp());
        if q > 0.0 {
            qp += w * q * (lq - lp);
        }
        if p > 0.0 {
            pq += w * p * (lp - lq);
        }
    }
    (qp, pq)
}

/// Three decimals, without a "-0.000" for quadrature round-off.
pub fn fixed3(v: f64) -> String {
    let s = format!("{v:.3}");
    if s == "-0.000" { "0.000".into() } else { s }
}

/// A Markdown table.
pub fn markdown_table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut s = format!("| {} |\n", header.join(" | "));
    s.push_str(&format!(
        "|{}\n",
        header.iter().map(|_| "---|").collect::<String>()
    ));
    for r in rows {
        s.push_str(&format!("| {} |\n", r.join(" | ")));
    }
    s
}

/// Writes `text` to `dir/name`, creating `dir`.
pub fn write_text(dir: &Path, name: &str, text: &str) -> Result<PathBuf, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let path = dir.join(name);
    std::fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(path)
}

/// Command-line options shared by the example programs: `--out DIR`,
/// `--seed N`, flags, and `--help`.
pub struct Args {
    pub out: PathBuf,
    pub seed: Option<u64>,
    pub flags: Vec<String>,
    pub values: Vec<(String, String)>,
}

impl Args {
    /// Parses `std::env::args()`; `flags` are the accepted `--name` switches
    /// and `valued` the accepted `--name VALUE` options besides `--out` and
    /// `--seed`. Prints `usage` and exits on `--help`.
    pub fn parse(usage: &str, flags: &[&str], valued: &[&str]) -> Result<Args, String> {
        let mut args = Args {
            out: default_out_dir(),
            seed: None,
            flags: Vec::new(),
            values: Vec::new(),
        };
        let mut it = std::env::args().skip(1);
        while let Some(a) = it.next() {
            let mut value = |name: &str| {
                it.next()
                    .ok_or_else(|| format!("{name} needs a value\n\n{usage}"))
            };
            match a.as_str() {
                "--help" | "-h" => {
                    println!("{usage}");
                    std::process::exit(0);
                }
                "--out" => args.out = PathBuf::from(value("--out")?),
                "--seed" => {
                    let v = value("--seed")?;
                    args.seed = Some(
                        v.parse()
                            .map_err(|_| format!("--seed: `{v}` is not a whole number"))?,
                    );
                }
                f if flags.contains(&f) => args.flags.push(f.to_string()),
                f if valued.contains(&f) => {
                    let v = value(f)?;
                    args.values.push((f.to_string(), v));
                }
                other => return Err(format!("unknown argument `{other}`\n\n{usage}")),
            }
        }
        Ok(args)
    }

    pub fn has(&self, flag: &str) -> bool {
        self.flags.iter().any(|f| f == flag)
    }

    pub fn value(&self, name: &str) -> Option<&str> {
        self.values
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Re-encodes a PNG written by the plot module with maximum compression
/// (plotters writes fast-compressed files, about 3× larger), so committed
/// figures stay small. The pixels are unchanged.
pub fn compact_png(path: &Path) -> Result<(), String> {
    let err = |e: &dyn std::fmt::Display| format!("re-encoding {}: {e}", path.display());
    let file = std::fs::File::open(path).map_err(|e| err(&e))?;
    let mut reader = png::Decoder::new(std::io::BufReader::new(file))
        .read_info()
        .map_err(|e| err(&e))?;
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).map_err(|e| err(&e))?;
    buf.truncate(info.buffer_size());
    let tmp = path.with_extension("png.tmp");
    {
        let out = std::fs::File::create(&tmp).map_err(|e| err(&e))?;
        let mut enc = png::Encoder::new(std::io::BufWriter::new(out), info.width, info.height);
        enc.set_color(info.color_type);
        enc.set_depth(info.bit_depth);
        enc.set_compression(png::Compression::Best);
        enc.set_adaptive_filter(png::AdaptiveFilterType::Adaptive);
        let mut w = enc.write_header().map_err(|e| err(&e))?;
        w.write_image_data(&buf).map_err(|e| err(&e))?;
        w.finish().map_err(|e| err(&e))?;
    }
    std::fs::rename(&tmp, path).map_err(|e| err(&e))
}

/// Runs an example's main body, printing an error and exiting with status 1
/// on failure.
/// Prints an experiment's table and where its files went.
pub fn print_report(table: &Path, figure: &Path) {
    print!("{}", std::fs::read_to_string(table).unwrap_or_default());
    println!("\nwrote {} and {}", figure.display(), table.display());
}

pub fn main_with(body: impl FnOnce() -> Result<(), String>) {
    if let Err(e) = body() {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}
