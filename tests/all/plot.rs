//! Plots: files appear as PNGs of the requested size, and mistakes are
//! errors, never panics. Set `VIPPL_PLOT_DIR` to keep the pictures there
//! for a look.

use std::fs;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

use rand::SeedableRng;
use rand_distr::{Distribution, StandardNormal};
use vippl::output::Draws;
use vippl::plot::{
    self, ContourOptions, Density, Grid, Levels, LineOptions, MarginalOptions, PairOptions,
    Reference, ReferenceKind, Series, TraceOptions,
};
use vippl::random::VRng;

static N: AtomicU64 = AtomicU64::new(0);

fn out_dir(tag: &str) -> (PathBuf, bool) {
    if let Ok(d) = std::env::var("VIPPL_PLOT_DIR") {
        let p = PathBuf::from(d);
        fs::create_dir_all(&p).unwrap();
        return (p, true);
    }
    let d = std::env::temp_dir().join(format!(
        "vippl-plot-{tag}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    fs::create_dir_all(&d).unwrap();
    (d, false)
}

fn done(dir: PathBuf, keep: bool) {
    if !keep {
        fs::remove_dir_all(dir).unwrap();
    }
}

/// Width and height from a PNG's signature and IHDR chunk.
fn png_size(path: &PathBuf) -> (u32, u32) {
    let b = fs::read(path).unwrap();
    assert!(b.len() > 33, "{} is too short for a PNG", path.display());
    assert_eq!(&b[..8], b"\x89PNG\r\n\x1a\n", "PNG signature");
    assert_eq!(&b[12..16], b"IHDR", "first chunk is IHDR");
    let be = |s: &[u8]| u32::from_be_bytes([s[0], s[1], s[2], s[3]]);
    (be(&b[16..20]), be(&b[20..24]))
}

/// A correlated pair and a skewed quantity.
fn draws(n: usize) -> Draws {
    let mut rng = VRng::seed_from_u64(5);
    let mut values = Vec::with_capacity(3 * n);
    for _ in 0..n {
        let a: f64 = StandardNormal.sample(&mut rng);
        let b: f64 = StandardNormal.sample(&mut rng);
        let c: f64 = StandardNormal.sample(&mut rng);
        values.extend([2.0 + a, 0.8 * a + 0.6 * b, (0.5 * c).exp()]);
    }
    Draws::new(
        vec!["mu".into(), "theta[1]".into(), "sigma".into()],
        n,
        values,
        vec![0.0; n],
        vec![0.0; n],
    )
    .unwrap()
}

fn normal_pdf(x: f64, m: f64, s: f64) -> f64 {
    (-0.5 * ((x - m) / s).powi(2)).exp() / (s * (2.0 * std::f64::consts::PI).sqrt())
}

#[test]
fn marginals_with_references_make_a_png_of_the_requested_size() {
    let (dir, keep) = out_dir("marg");
    let d = draws(1000);
    let path = dir.join("marginals.png");
    let exact: Vec<(f64, f64)> = (0..200)
        .map(|i| {
            let x = -2.0 + 8.0 * i as f64 / 199.0;
            (x, normal_pdf(x, 2.0, 1.0))
        })
        .collect();
    let opts = MarginalOptions {
        size: Some((1000, 420)),
        title: Some("Marginal densities".into()),
        references: vec![
            Reference {
                name: "mu".into(),
                label: "exact posterior".into(),
                kind: ReferenceKind::Curve(exact),
            },
            Reference {
                name: "theta[1]".into(),
                label: "true value".into(),
                kind: ReferenceKind::Value(0.0),
            },
        ],
        ..Default::default()
    };
    plot::marginals(&path, &d, &["mu", "theta[1]", "sigma"], &opts).unwrap();
    assert_eq!(png_size(&path), (1000, 420));
    // All quantities by default, automatic size.
    let all = dir.join("marginals-all.png");
    plot::marginals(&all, &d, &[], &MarginalOptions::default()).unwrap();
    assert_eq!(png_size(&all), (2 * 380, 2 * 280));
    done(dir, keep);
}

#[test]
fn pairs_and_trace_make_pngs() {
    let (dir, keep) = out_dir("pairs");
    let d = draws(2000);
    let path = dir.join("pairs.png");
    let opts = PairOptions {
        title: Some("Pairs".into()),
        ..Default::default()
    };
    plot::pairs(&path, &d, &["mu", "theta.1", "sigma"], &opts).unwrap();
    assert_eq!(png_size(&path), (900, 940));
    let trace: Vec<(u64, f64)> = (1..=2000u64)
        .map(|i| {
            let noise = ((i * 7919) % 97) as f64 / 97.0 - 0.5;
            (i, -50.0 - 5000.0 / i as f64 + noise)
        })
        .collect();
    let tpath = dir.join("trace.png");
    plot::trace(&tpath, &trace, &TraceOptions::default()).unwrap();
    assert_eq!(png_size(&tpath), (900, 500));
    done(dir, keep);
}

#[test]
fn general_helpers_make_pngs() {
    let (dir, keep) = out_dir("general");
    // A banana-shaped target against two Gaussian approximations.
    let grid = Grid::new((-3.0, 3.0), (-2.0, 5.0), 161, 161).unwrap();
    let target = grid.evaluate(|x, y| (-0.5 * x * x - 0.5 * (y - x * x).powi(2)).exp());
    let wide = grid.evaluate(|x, y| normal_pdf(x, 0.0, 1.0) * normal_pdf(y, 1.0, 1.4));
    let narrow = grid.evaluate(|x, y| normal_pdf(x, 0.0, 0.6) * normal_pdf(y, 0.5, 0.7));
    let opts = ContourOptions {
        title: Some("Target and approximations".into()),
        x_label: "x₁".into(),
        y_label: "x₂".into(),
        points: vec![Series::new("mode", vec![(0.0, 0.0)])],
        ..Default::default()
    };
    let path = dir.join("contours.png");
    plot::contours(
        &path,
        &grid,
        &[
            ("target", &target[..]),
            ("full-rank BW", &wide[..]),
            ("mean-field", &narrow[..]),
        ],
        &opts,
    )
    .unwrap();
    assert_eq!(png_size(&path), (760, 640));
    let even = ContourOptions {
        levels: Levels::Count(6),
        fill_first: false,
        size: (500, 400),
        ..Default::default()
    };
    let p2 = dir.join("contours-even.png");
    let saddle = grid.evaluate(|x, y| x * x - y);
    plot::contours(&p2, &grid, &[("f", saddle)], &even).unwrap();
    assert_eq!(png_size(&p2), (500, 400));

    let mut rng = VRng::seed_from_u64(8);
    let samples: Vec<f64> = (0..800).map(|_| StandardNormal.sample(&mut rng)).collect();
    let exact: Vec<(f64, f64)> = (0..300)
        .map(|i| {
            let x = -4.0 + 8.0 * i as f64 / 299.0;
            (x, normal_pdf(x, 0.0, 1.0))
        })
        .collect();
    let dpath = dir.join("densities.png");
    let dopts = LineOptions {
        title: Some("Densities".into()),
        x_label: "θ".into(),
        ..Default::default()
    };
    plot::densities(
        &dpath,
        &[
            Density::Curve {
                label: "exact".into(),
                points: exact,
            },
            Density::Samples {
                label: "draws (KDE)".into(),
                values: samples,
                weights: None,
            },
        ],
        &dopts,
    )
    .unwrap();
    assert_eq!(png_size(&dpath), (900, 560));

    let w2 = |rate: f64| -> Vec<(f64, f64)> {
        (1..=300)
            .map(|i| (i as f64, 3.0 * (-rate * i as f64).exp() + 1e-3))
            .collect()
    };
    let lopts = LineOptions {
        title: Some("W₂ to the target".into()),
        x_label: "iteration".into(),
        y_label: "W₂".into(),
        log_y: true,
        size: (800, 500),
        ..Default::default()
    };
    let lpath = dir.join("lines.png");
    plot::lines(
        &lpath,
        &[
            Series::new("BW, h = 0.1", w2(0.03)),
            Series::new("ADVI", w2(0.01)),
        ],
        &lopts,
    )
    .unwrap();
    assert_eq!(png_size(&lpath), (800, 500));
    done(dir, keep);
}

#[test]
fn mistakes_are_errors_and_leave_no_file() {
    let (dir, keep) = out_dir("errors");
    let d = draws(100);
    let path = dir.join("x.png");
    let _ = fs::remove_file(&path);
    let e = plot::marginals(&path, &d, &["nope"], &MarginalOptions::default()).unwrap_err();
    assert!(e.contains("`nope`") && e.contains("theta[1]"), "{e}");
    let e = plot::marginals(
        dir.join("no/dir/x.png"),
        &d,
        &["mu"],
        &MarginalOptions::default(),
    )
    .unwrap_err();
    assert!(e.contains("does not exist"), "{e}");
    let e = plot::pairs(&path, &d, &["mu"], &PairOptions::default()).unwrap_err();
    assert!(e.contains("two quantities"), "{e}");
    let tiny = MarginalOptions {
        size: Some((10, 10)),
        ..Default::default()
    };
    assert!(
        plot::marginals(&path, &d, &["mu"], &tiny)
            .unwrap_err()
            .contains("size")
    );
    let bad_ref = MarginalOptions {
        references: vec![Reference {
            name: "sigma".into(),
            label: "x".into(),
            kind: ReferenceKind::Value(1.0),
        }],
        ..Default::default()
    };
    assert!(
        plot::marginals(&path, &d, &["mu"], &bad_ref)
            .unwrap_err()
            .contains("not plotted")
    );
    let e = plot::trace(
        &path,
        &[(1, f64::NAN), (2, f64::NEG_INFINITY)],
        &TraceOptions::default(),
    )
    .unwrap_err();
    assert!(e.contains("no finite"), "{e}");
    let grid = Grid::new((0.0, 1.0), (0.0, 1.0), 10, 10).unwrap();
    let e = plot::contours(
        &path,
        &grid,
        &[("f", vec![0.0; 99])],
        &ContourOptions::default(),
    )
    .unwrap_err();
    assert!(e.contains("99 values"), "{e}");
    let neg = grid.evaluate(|x, _| x - 0.5);
    let e = plot::contours(&path, &grid, &[("f", neg)], &ContourOptions::default()).unwrap_err();
    assert!(e.contains("density"), "{e}");
    let e = plot::lines(
        &path,
        &[Series::new("s", vec![(1.0, -1.0)])],
        &LineOptions {
            log_y: true,
            ..Default::default()
        },
    )
    .unwrap_err();
    assert!(e.contains("nothing to draw"), "{e}");
    assert!(plot::lines(&path, &[], &LineOptions::default()).is_err());
    // A quantity whose draws are all NaN cannot be drawn; partly NaN can.
    let mut nan = draws(50);
    for i in 0..50 {
        nan.values[i * 3 + 2] = f64::NAN;
    }
    nan.values[0] = f64::NAN;
    assert!(plot::marginals(&path, &nan, &["sigma"], &MarginalOptions::default()).is_err());
    assert!(!path.exists(), "no file after errors");
    plot::marginals(&path, &nan, &["mu"], &MarginalOptions::default()).unwrap();
    assert!(path.exists());
    if !keep {
        fs::remove_file(&path).unwrap();
        assert!(
            fs::read_dir(&dir).unwrap().next().is_none(),
            "no temporaries left"
        );
    }
    done(dir, keep);
}
