//! End-to-end tests: files are written (PNG and SVG), decode, are not blank, carry the title,
//! fail with typed errors on bad input, and leave no temporary files behind.
//!
//! The images stay in `$CARGO_TARGET_TMPDIR/ai4de-report/<test>/` for a person to look at.

use std::collections::HashSet;
use std::fs;
use std::path::{Path, PathBuf};

use ai4de_report::{
    plot_lines, plot_trajectories, LinePlot, Marker, NonFinitePolicy, Phase, ReportError, Series,
    TrajectoryPlot,
};

fn out_dir(test: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("ai4de-report")
        .join(test);
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

/// Files in `dir` (names), asserting none is a leftover temporary file.
fn assert_no_temp_files(dir: &Path) -> Vec<String> {
    let names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    for n in &names {
        assert!(
            !n.starts_with('.') && !n.ends_with(".tmp"),
            "temporary file left behind: {n} (all: {names:?})"
        );
    }
    names
}

/// Decodes a PNG, checks its size, and returns the number of distinct colours.
fn png_colours(path: &Path, (w, h): (u32, u32)) -> usize {
    let decoder = png::Decoder::new(fs::File::open(path).unwrap());
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    assert_eq!((info.width, info.height), (w, h), "{}", path.display());
    let bpp = info.color_type.samples();
    let mut colours = HashSet::new();
    for px in buf[..info.buffer_size()].chunks(bpp) {
        colours.insert(px.to_vec());
    }
    colours.len()
}

/// Lorenz system, RK4 with a fixed step (made-up test data, not a solver under test).
fn lorenz(n: usize, dt: f64) -> (Vec<f64>, Vec<f64>) {
    let f = |s: [f64; 3]| {
        [
            10.0 * (s[1] - s[0]),
            s[0] * (28.0 - s[2]) - s[1],
            s[0] * s[1] - 8.0 / 3.0 * s[2],
        ]
    };
    let add =
        |a: [f64; 3], b: [f64; 3], h: f64| [a[0] + h * b[0], a[1] + h * b[1], a[2] + h * b[2]];
    let mut s = [1.0, 1.0, 1.0];
    let (mut t, mut y) = (Vec::with_capacity(n), Vec::with_capacity(3 * n));
    for i in 0..n {
        t.push(i as f64 * dt);
        y.extend_from_slice(&s);
        let k1 = f(s);
        let k2 = f(add(s, k1, dt / 2.0));
        let k3 = f(add(s, k2, dt / 2.0));
        let k4 = f(add(s, k3, dt));
        for d in 0..3 {
            s[d] += dt / 6.0 * (k1[d] + 2.0 * k2[d] + 2.0 * k3[d] + k4[d]);
        }
    }
    (t, y)
}

/// Lightly damped oscillator, exact solution.
fn damped_oscillator(n: usize) -> (Vec<f64>, Vec<f64>) {
    let t: Vec<f64> = (0..n).map(|i| i as f64 * 30.0 / (n - 1) as f64).collect();
    let (g, w) = (0.08, 1.0f64);
    let y = t
        .iter()
        .flat_map(|&t| {
            let e = (-g * t).exp();
            let x = e * (w * t).cos();
            let v = e * (-g * (w * t).cos() - w * (w * t).sin());
            [x, v]
        })
        .collect();
    (t, y)
}

#[test]
fn oscillator_png_and_svg() {
    let dir = out_dir("oscillator");
    let (t, y) = damped_oscillator(2000);
    let spec = TrajectoryPlot::new("Damped oscillator", &t, &y, 2).names(["x", "v"]);
    let png = dir.join("oscillator.png");
    let svg = dir.join("oscillator.svg");
    plot_trajectories(&png, &spec).unwrap();
    plot_trajectories(&svg, &spec).unwrap();
    assert!(png_colours(&png, (1700, 700)) > 50);
    let text = fs::read_to_string(&svg).unwrap();
    assert!(text.contains("<svg"));
    assert!(text.contains("Damped oscillator"));
    assert!(text.contains("DejaVu Sans"));
    // An explicit size is honoured; overwriting an existing file works.
    plot_trajectories(&png, &spec.clone().size(900, 500)).unwrap();
    assert!(png_colours(&png, (900, 500)) > 50);
    assert_eq!(assert_no_temp_files(&dir).len(), 2);
}

#[test]
fn lorenz_3d_phase_portrait() {
    let dir = out_dir("lorenz");
    let (t, y) = lorenz(10_000, 0.005);
    let spec = TrajectoryPlot::new("Lorenz attractor (σ=10, ρ=28, β=8/3)", &t, &y, 3)
        .names(["x", "y", "z"]);
    plot_trajectories(&dir.join("lorenz.png"), &spec).unwrap();
    plot_trajectories(&dir.join("lorenz.svg"), &spec).unwrap();
    assert!(png_colours(&dir.join("lorenz.png"), (1700, 700)) > 50);
    // A chosen pair instead of the 3-D curve.
    let pair = spec.clone().phase(Phase::Pair(0, 2));
    plot_trajectories(&dir.join("lorenz_xz.png"), &pair).unwrap();
    // No phase portrait at all.
    let off = spec.clone().phase(Phase::Off);
    plot_trajectories(&dir.join("lorenz_time.png"), &off).unwrap();
    assert!(png_colours(&dir.join("lorenz_time.png"), (1150, 650)) > 20);
    let svg = fs::read_to_string(dir.join("lorenz.svg")).unwrap();
    assert!(svg.contains("Lorenz attractor"));
    assert!(svg.len() < 5_000_000, "SVG is {} bytes", svg.len());
    assert_eq!(assert_no_temp_files(&dir).len(), 4);
}

/// 7 bodies in the plane: 14 positions + 14 velocities = 28 components.
fn seven_body(n: usize) -> (Vec<f64>, Vec<f64>, Vec<String>) {
    let t: Vec<f64> = (0..n).map(|i| i as f64 * 0.01).collect();
    let mut y = Vec::with_capacity(28 * n);
    for &tt in &t {
        for b in 0..7 {
            let r = 1.0 + b as f64 * 0.7;
            let w = r.powf(-1.5);
            y.extend([r * (w * tt).cos(), r * (w * tt).sin()]);
        }
        for b in 0..7 {
            let r = 1.0 + b as f64 * 0.7;
            let w = r.powf(-1.5);
            y.extend([-r * w * (w * tt).sin(), r * w * (w * tt).cos()]);
        }
    }
    let mut names = Vec::new();
    for b in 1..=7 {
        names.push(format!("x{b}"));
        names.push(format!("y{b}"));
    }
    for b in 1..=7 {
        names.push(format!("vx{b}"));
        names.push(format!("vy{b}"));
    }
    (t, y, names)
}

#[test]
fn many_components_stay_readable() {
    let dir = out_dir("seven_body");
    let (t, y, names) = seven_body(1500);
    let spec = TrajectoryPlot::new("7-body problem", &t, &y, 28)
        .names(names.clone())
        .t_label("t [yr]")
        .value_label("position [AU], velocity [AU/yr]");
    // Default: first MAX_AUTO_COMPONENTS drawn, no phase panel for dim 28.
    plot_trajectories(&dir.join("all.png"), &spec).unwrap();
    assert!(png_colours(&dir.join("all.png"), (1150, 650)) > 12);
    // Caller picks the x/y positions of every body and a pair for the phase portrait.
    let picked = spec.clone().components(0..14).phase(Phase::Pair(0, 1));
    plot_trajectories(&dir.join("positions.png"), &picked).unwrap();
    plot_trajectories(&dir.join("positions.svg"), &picked).unwrap();
    // Even all 28 at once: the legend wraps into columns instead of covering data.
    let all = spec.clone().components(0..28);
    plot_trajectories(&dir.join("all28.png"), &all).unwrap();
    let svg = fs::read_to_string(dir.join("positions.svg")).unwrap();
    assert!(svg.contains("7-body problem"));
    assert!(
        svg.lines().any(|l| l.trim() == "y7"),
        "legend entry y7 missing"
    );
    assert_eq!(assert_no_temp_files(&dir).len(), 4);
}

fn work_precision() -> LinePlot {
    let methods = [("rk4", 4.0, 1.0), ("dopri5", 5.0, 0.6), ("euler", 1.0, 3.0)];
    let mut plot = LinePlot::new("Work–precision (Kepler orbit)")
        .x_label("run time [s]")
        .y_label("max error")
        .log_log();
    for (k, (name, order, c)) in methods.into_iter().enumerate() {
        let pts = (0..7).map(|i| {
            let n = 100.0 * 2f64.powi(i);
            (c * 1e-6 * n, 5.0 * n.powf(-order))
        });
        plot = plot.with_series(Series::new(name, pts).marker(Marker::auto(k)));
    }
    plot
}

#[test]
fn log_log_lines() {
    let dir = out_dir("lines");
    let plot = work_precision();
    plot_lines(&dir.join("work_precision.png"), &plot).unwrap();
    plot_lines(&dir.join("work_precision.svg"), &plot).unwrap();
    assert!(png_colours(&dir.join("work_precision.png"), (1000, 650)) > 20);
    let svg = fs::read_to_string(dir.join("work_precision.svg")).unwrap();
    assert!(svg.contains("Work–precision (Kepler orbit)"));
    assert!(svg.contains("dopri5"));
    // Log-axis labels survive below f64::EPSILON (plotters' own log axis drops them).
    assert!(svg.contains("10⁻¹⁹"), "no 1e-19 label");
    // Markup in names is escaped.
    let odd = LinePlot::new("a < b & c").with_series(Series::new("x<y", [(0.0, 1.0), (1.0, 2.0)]));
    plot_lines(&dir.join("escaped.svg"), &odd).unwrap();
    let svg = fs::read_to_string(dir.join("escaped.svg")).unwrap();
    assert!(svg.contains("a &lt; b &amp; c") && svg.contains("x&lt;y"));

    // Convergence plot: linear x, log y, a markers-only reference series.
    let conv = LinePlot::new("Convergence")
        .x_label("step h")
        .y_label("error")
        .log_y(true)
        .with_series(Series::new(
            "rk4",
            (1..=8).map(|i| (0.1 * f64::from(i), (0.1 * f64::from(i)).powi(4))),
        ))
        .with_series(
            Series::new(
                "measured",
                (1..=8).map(|i| (0.1 * f64::from(i), 1.3 * (0.1 * f64::from(i)).powi(4))),
            )
            .line(false)
            .marker(Marker::Diamond),
        );
    plot_lines(&dir.join("convergence.png"), &conv).unwrap();
    // Plain linear chart, one unnamed series (no legend).
    let lin = LinePlot::new("sin").with_series(Series::new(
        "",
        (0..500).map(|i| (f64::from(i) * 0.02, (f64::from(i) * 0.02).sin())),
    ));
    plot_lines(&dir.join("linear.png"), &lin).unwrap();
    assert_eq!(assert_no_temp_files(&dir).len(), 5);
}

#[test]
fn typed_errors() {
    let dir = out_dir("errors");
    let (t, y) = damped_oscillator(50);
    let spec = TrajectoryPlot::new("x", &t, &y, 2);

    // Bad extensions, checked before any drawing.
    for name in ["plot.jpg", "plot", "plot.png.bak"] {
        let path = dir.join(name);
        match plot_trajectories(&path, &spec) {
            Err(ReportError::UnsupportedFormat { path: p }) => assert_eq!(p, path),
            other => panic!("{name}: {other:?}"),
        }
        assert!(matches!(
            plot_lines(&path, &work_precision()),
            Err(ReportError::UnsupportedFormat { .. })
        ));
    }
    // Upper-case extensions are fine.
    plot_lines(&dir.join("UPPER.SVG"), &work_precision()).unwrap();

    // Empty data.
    let empty = TrajectoryPlot::new("empty", &[], &[], 2);
    assert!(matches!(
        plot_trajectories(&dir.join("e.png"), &empty),
        Err(ReportError::EmptyData { .. })
    ));
    assert!(matches!(
        plot_lines(&dir.join("e.png"), &LinePlot::new("none")),
        Err(ReportError::EmptyData { .. })
    ));
    let no_points = LinePlot::new("none").with_series(Series::new("a", []));
    assert!(matches!(
        plot_lines(&dir.join("e.svg"), &no_points),
        Err(ReportError::EmptyData { .. })
    ));

    // Non-finite values: rejected with the series and index, or skipped on request.
    let mut bad = y.clone();
    bad[2 * 17 + 1] = f64::NAN;
    let spec_bad = TrajectoryPlot::new("nan", &t, &bad, 2).names(["x", "v"]);
    match plot_trajectories(&dir.join("nan.png"), &spec_bad) {
        Err(ReportError::NonFinite { series, index }) => {
            assert_eq!((series.as_str(), index), ("v", 17));
        }
        other => panic!("{other:?}"),
    }
    plot_trajectories(
        &dir.join("nan_skipped.png"),
        &spec_bad.clone().non_finite(NonFinitePolicy::Skip),
    )
    .unwrap();
    let all_nan = vec![f64::NAN; y.len()];
    assert!(matches!(
        plot_trajectories(
            &dir.join("x.png"),
            &TrajectoryPlot::new("nan", &t, &all_nan, 2).non_finite(NonFinitePolicy::Skip)
        ),
        Err(ReportError::EmptyData { .. })
    ));
    let inf_line = LinePlot::new("inf").with_series(Series::new(
        "s",
        [(0.0, 1.0), (1.0, f64::INFINITY), (2.0, 3.0)],
    ));
    assert!(matches!(
        plot_lines(&dir.join("x.png"), &inf_line),
        Err(ReportError::NonFinite { index: 1, .. })
    ));
    plot_lines(
        &dir.join("inf_skipped.svg"),
        &inf_line.non_finite(NonFinitePolicy::Skip),
    )
    .unwrap();
    let zero_on_log = LinePlot::new("log")
        .log_log()
        .with_series(Series::new("s", [(1.0, 1.0), (2.0, 0.0)]));
    assert!(matches!(
        plot_lines(&dir.join("x.png"), &zero_on_log),
        Err(ReportError::NonPositiveOnLogAxis { index: 1, .. })
    ));

    // Inconsistent specifications.
    let short = TrajectoryPlot::new("short", &t, &y[..y.len() - 1], 2);
    assert!(matches!(
        plot_trajectories(&dir.join("x.png"), &short),
        Err(ReportError::InvalidSpec { .. })
    ));
    for bad_spec in [
        spec.clone().names(["only one"]),
        spec.clone().components([0, 2]),
        spec.clone().phase(Phase::Triple(0, 1, 2)),
        spec.clone().size(0, 100),
        spec.clone().size(100_000, 600),
    ] {
        assert!(
            matches!(
                plot_trajectories(&dir.join("x.png"), &bad_spec),
                Err(ReportError::InvalidSpec { .. })
            ),
            "{bad_spec:?}"
        );
    }

    // I/O: the directory does not exist.
    let missing = dir.join("no-such-dir").join("p.png");
    match plot_trajectories(&missing, &spec) {
        Err(ReportError::Io { path, .. }) => assert_eq!(path, missing),
        other => panic!("{other:?}"),
    }

    // Only the successful plots exist; nothing temporary is left behind.
    let mut names = assert_no_temp_files(&dir);
    names.sort();
    assert_eq!(names, ["UPPER.SVG", "inf_skipped.svg", "nan_skipped.png"]);
}

#[test]
fn single_point_and_constant_data_do_not_panic() {
    let dir = out_dir("degenerate");
    let t = [0.0];
    let y = [1.0, 2.0];
    plot_trajectories(&dir.join("one.png"), &TrajectoryPlot::new("one", &t, &y, 2)).unwrap();
    let t3 = [0.0, 1.0];
    let y3 = [1.0, 1.0, 1.0, 1.0, 1.0, 1.0];
    plot_trajectories(
        &dir.join("flat3.svg"),
        &TrajectoryPlot::new("flat", &t3, &y3, 3),
    )
    .unwrap();
    let single = LinePlot::new("one point")
        .log_log()
        .with_series(Series::new("p", [(1e-3, 1e-3)]).marker(Marker::Circle));
    plot_lines(&dir.join("one_point.png"), &single).unwrap();
    let tiny = LinePlot::new("tiny").with_series(Series::new("p", [(0.0, 1e-300), (1.0, 2e-300)]));
    plot_lines(&dir.join("tiny.png"), &tiny).unwrap();
    assert_eq!(assert_no_temp_files(&dir).len(), 4);
}

#[test]
fn concurrent_writes_to_one_directory() {
    let dir = out_dir("concurrent");
    let (t, y) = damped_oscillator(300);
    std::thread::scope(|s| {
        for k in 0..4 {
            let (dir, t, y) = (&dir, &t, &y);
            s.spawn(move || {
                let spec = TrajectoryPlot::new(format!("run {k}"), t, y, 2);
                plot_trajectories(&dir.join("same.png"), &spec).unwrap();
                plot_trajectories(&dir.join(format!("p{k}.svg")), &spec).unwrap();
            });
        }
    });
    assert_eq!(assert_no_temp_files(&dir).len(), 5);
    assert!(png_colours(&dir.join("same.png"), (1700, 700)) > 20);
}

#[test]
fn extreme_magnitudes_do_not_panic_or_hang() {
    let dir = out_dir("extreme");
    let t = [0.0, 1.0, 2.0];
    let cases: [[f64; 6]; 4] = [
        [1e307, -1e307, 5e307, -5e307, 0.0, 1.0],
        [1e308, -1e308, 1.7e308, -1.7e308, 0.0, 1.0],
        [f64::MAX, f64::MIN, f64::MAX, f64::MIN, f64::MAX, f64::MIN],
        [1e-320, -1e-320, 5e-324, 0.0, 1e-310, 2e-310],
    ];
    // Either a plot or a typed error (never a panic, a hang, or a caught plotters panic).
    let ok_or_typed = |r: Result<(), ReportError>| match r {
        Ok(()) => true,
        Err(ReportError::InvalidSpec { .. }) => false,
        Err(e) => panic!("unexpected error: {e}"),
    };
    let mut drawn = Vec::new();
    for (k, y) in cases.iter().enumerate() {
        let spec = TrajectoryPlot::new("extreme", &t, y, 2);
        drawn.push(ok_or_typed(plot_trajectories(
            &dir.join(format!("e{k}.png")),
            &spec,
        )));
        drawn.push(ok_or_typed(plot_trajectories(
            &dir.join(format!("e{k}.svg")),
            &spec,
        )));
        let pts: Vec<(f64, f64)> = y.chunks(2).map(|c| (c[0], c[1])).collect();
        let lin = LinePlot::new("extreme").with_series(Series::new("s", pts.clone()));
        drawn.push(ok_or_typed(plot_lines(
            &dir.join(format!("l{k}.png")),
            &lin,
        )));
        let log = LinePlot::new("extreme")
            .log_log()
            .non_finite(NonFinitePolicy::Skip)
            .with_series(Series::new("s", pts).marker(Marker::Circle));
        let r = plot_lines(&dir.join(format!("g{k}.png")), &log);
        assert!(
            matches!(r, Ok(()) | Err(ReportError::EmptyData { .. })),
            "{r:?}"
        );
    }
    // Huge-but-representable spans and subnormal values are drawn.
    assert_eq!(&drawn[..3], [true, true, true]);
    assert_eq!(&drawn[9..], [true, true, true]);
    // Spans beyond f64::MAX are a typed error.
    assert!(!drawn[3] && !drawn[6]);
    assert_no_temp_files(&dir);
}
