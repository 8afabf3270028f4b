//! Cost of the engine: time per `bw` iteration (default samples) on a d = 10
//! Gaussian and a d = 35 logistic regression with n = 280 (analytic targets),
//! with 1 and 2 threads; and heap allocations per iteration in the steady
//! state, counted by a wrapping global allocator.
//!
//! Run: `cargo bench --bench infer`. Each measured fit runs `ITERS`
//! iterations with `tol = 0` (no early stop) from `init = zero`; the
//! throughput is iterations per second, fixed costs (start-up curvature,
//! 10 diagnostic draws) are included but small.

#[path = "../tests/all/infer_targets.rs"]
mod infer_targets;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use infer_targets::{Gaussian, Logistic};
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use vippl::infer::{FitConfig, Init, Silent, Target, fit};

struct Counting;
static ALLOCS: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

const ITERS: usize = 500;

fn config(iters: usize, threads: usize) -> FitConfig {
    FitConfig {
        iters,
        tol: 0.0,
        init: Some(Init::Zero),
        threads,
        draws: 10,
        ..FitConfig::default()
    }
}

/// Allocations per iteration: the difference between fits of 2n and n
/// iterations, divided by n.
fn allocations_per_iteration<T: Target>(target: &T, threads: usize) -> f64 {
    let count = |iters: usize| {
        let before = ALLOCS.load(Ordering::Relaxed);
        fit(target, &config(iters, threads), &mut Silent).unwrap();
        ALLOCS.load(Ordering::Relaxed) - before
    };
    let (a, b) = (count(200), count(400));
    (b as f64 - a as f64) / 200.0
}

fn bench(c: &mut Criterion) {
    let (gauss, _) = Gaussian::correlated(10, 1);
    let logistic = Logistic::synthetic(280, 35, 2);
    for threads in [1, 2] {
        println!(
            "allocations per bw iteration ({threads} thread(s)): gaussian d=10 {:.2}, logistic d=35 {:.2}",
            allocations_per_iteration(&gauss, threads),
            allocations_per_iteration(&logistic, threads)
        );
    }
    let mut g = c.benchmark_group("bw_iteration");
    g.throughput(Throughput::Elements(ITERS as u64));
    g.sample_size(10);
    for threads in [1, 2] {
        g.bench_function(format!("gaussian_d10_threads{threads}"), |b| {
            b.iter(|| fit(&gauss, &config(ITERS, threads), &mut Silent).unwrap())
        });
        g.bench_function(format!("logistic_d35_n280_threads{threads}"), |b| {
            b.iter(|| fit(&logistic, &config(ITERS, threads), &mut Silent).unwrap())
        });
    }
    g.finish();
    let mut g = c.benchmark_group("gradient");
    let x = vec![0.1; 35];
    let mut grad = vec![0.0; 35];
    let mut ws = logistic.workspace();
    g.bench_function("logistic_d35_n280", |b| {
        b.iter(|| logistic.log_density_and_gradient(&mut ws, &x, &mut grad))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
