//! Cost per iteration as the dimension grows: mean-field `bw` on d
//! independent normals for d = 1 000 … 64 000 and 100 000, full rank for
//! d = 125 … 1 000, with the ratio of successive times (per doubling of d)
//! and the peak memory of a whole mean-field fit at d = 100 000.
//!
//! Run: `cargo bench --bench scale` (`-- --quick` stops mean field at
//! 16 000 and full rank at 500; `-- --lowrank` compares full rank with the
//! default low-rank family instead). The time per iteration is the time from
//! the first iteration a fit reports to its last, over their number, for
//! fits with `tol = 0` and no natural-gradient rule (no early stop) from
//! `init = map`: the start and the diagnostics are left out, the ELBO
//! checks of the windows (and the re-whitening at each) are in; mean-field
//! fits run 40 iterations, full-rank ones [`FULL_RANK_ITERS`]. The observer
//! asks for no parameters, as `vippl infer` without a trace of them does
//! not. The peak memory (VmHWM of
//! /proc/self/status) is read in a child process that runs one fit of 20
//! iterations and nothing else.

#[path = "../tests/all/infer_targets.rs"]
mod infer_targets;

use infer_targets::IidNormal;
use std::process::Command;
use std::time::Instant;
use vippl::infer::{
    Control, DEFAULT_RANK, FamilyKind, FitConfig, IterationInfo, Observer, Silent, fit,
};

/// Iterations of each full-rank fit of the main sweep: enough to pass the
/// first ELBO checks, after which an adaptive flow's map is q's own dense
/// scale (before them it is the start's, diagonal for independent normals,
/// and products with it cost O(d²) where they later cost what a run pays).
const FULL_RANK_ITERS: usize = 100;

fn config(family: FamilyKind, iters: usize) -> FitConfig {
    FitConfig {
        family: Some(family),
        iters,
        tol: 0.0,
        grad_tol: None,
        draws: 10,
        seed: 1,
        ..FitConfig::default()
    }
}

/// Times the iterations of a fit: the clock starts at the first reported
/// iteration and stops at the last, so the start and the diagnostics are
/// left out and the ELBO checks of the windows are in.
struct Clock {
    first: Option<Instant>,
    last: Option<Instant>,
    count: usize,
}

impl Observer for Clock {
    /// The clock reads no parameters: a fit that is asked for q's
    /// parameters at every iteration (a trace of them) maps a full-rank
    /// scale back to the model's coordinates each time, a d × d product
    /// that `vippl infer` without such a trace never computes.
    fn wants_parameters(&self) -> bool {
        false
    }

    fn iteration(&mut self, _info: &IterationInfo<'_>) -> Control {
        let now = Instant::now();
        self.first.get_or_insert(now);
        self.last = Some(now);
        self.count += 1;
        Control::Continue
    }
}

/// Seconds per iteration of a fit of `iters` iterations.
fn per_iteration_once(d: usize, family: FamilyKind, iters: usize) -> f64 {
    let target = IidNormal(d);
    let mut clock = Clock {
        first: None,
        last: None,
        count: 0,
    };
    let result = fit(&target, &config(family, iters), &mut clock).expect("a fit");
    assert!(
        result.iterations + 1 >= iters,
        "the fit stopped early: {} iterations, {:?}",
        result.iterations,
        result.termination
    );
    match (clock.first, clock.last) {
        (Some(a), Some(b)) if clock.count > 1 => (b - a).as_secs_f64() / (clock.count - 1) as f64,
        _ => f64::NAN,
    }
}

/// Seconds per iteration: the smallest of `reps` fits.
fn per_iteration(d: usize, family: FamilyKind, n: usize, reps: usize) -> f64 {
    (0..reps)
        .map(|_| per_iteration_once(d, family, n))
        .fold(f64::INFINITY, f64::min)
}

/// Times per iteration over `dims`, printed with the ratio to the previous
/// dimension and that ratio over the cost model's (`power` = 1 for O(d),
/// 2 for O(d²)).
fn sweep(name: &str, family: FamilyKind, dims: &[usize], power: i32, n: impl Fn(usize) -> usize) {
    println!("{name}");
    println!(
        "{:>8}  {:>12}  {:>8}  {:>18}",
        "d", "ms / iter", "ratio", "ratio / (d ratio)^p"
    );
    let mut last: Option<(usize, f64)> = None;
    for &d in dims {
        let reps = if d <= 8000 { 3 } else { 1 };
        let t = per_iteration(d, family, n(d), reps);
        let (ratio, normalised) = match last {
            Some((d0, t0)) => {
                let r = t / t0;
                let model = (d as f64 / d0 as f64).powi(power);
                (format!("{r:.2}"), format!("{:.2}", r / model))
            }
            None => ("".into(), "".into()),
        };
        println!("{d:>8}  {:>12.3}  {ratio:>8}  {normalised:>18}", 1e3 * t);
        last = Some((d, t));
    }
}

/// Runs one mean-field fit of dimension d and prints its peak memory in kB.
fn child(d: usize) {
    let target = IidNormal(d);
    fit(&target, &config(FamilyKind::MeanField, 20), &mut Silent).expect("a fit");
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let peak = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .unwrap_or("unknown");
    println!("{peak}");
}

fn peak_memory(d: usize) -> String {
    let out = std::env::current_exe().ok().and_then(|exe| {
        Command::new(exe)
            .args(["--child", &d.to_string()])
            .output()
            .ok()
    });
    match out {
        Some(o) if o.status.success() => {
            let kb = String::from_utf8_lossy(&o.stdout).trim().to_string();
            match kb.parse::<f64>() {
                Ok(kb) => format!("{:.0} MB", kb / 1024.0),
                Err(_) => kb,
            }
        }
        _ => "unknown (the child fit failed)".into(),
    }
}

/// `-- --lowrank`: full rank against the default low-rank family
/// (`lowrank:`[`DEFAULT_RANK`]) as d grows, the measurement behind the
/// default family by dimension.
fn low_rank_sweep() {
    sweep(
        "full rank (bw, iid normals)",
        FamilyKind::FullRank,
        &[100, 200, 400, 800],
        2,
        |_| 20,
    );
    println!();
    sweep(
        &format!("lowrank:{DEFAULT_RANK} (bw, iid normals)"),
        FamilyKind::LowRank(DEFAULT_RANK),
        &[100, 200, 400, 800, 1600, 16000],
        1,
        |_| 40,
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--child") {
        child(args[i + 1].parse().expect("a dimension"));
        return;
    }
    if args.iter().any(|a| a == "--lowrank") {
        low_rank_sweep();
        return;
    }
    let quick = args.iter().any(|a| a == "--quick");
    let mut mean_field: Vec<usize> = (0..7).map(|k| 1000 << k).collect();
    let mut full_rank = vec![125, 250, 500, 1000];
    if quick {
        mean_field.truncate(5);
        full_rank.truncate(3);
    } else {
        mean_field.push(100_000);
    }
    sweep(
        "mean field (bw, iid normals)",
        FamilyKind::MeanField,
        &mean_field,
        1,
        |_| 40,
    );
    println!();
    sweep(
        "full rank (bw, iid normals)",
        FamilyKind::FullRank,
        &full_rank,
        2,
        |_| FULL_RANK_ITERS,
    );
    println!();
    if !quick {
        println!(
            "peak memory of a mean-field fit at d = 100000 (20 iterations, diagnostics \
             included): {}",
            peak_memory(100_000)
        );
    }
}
