//! Noise robustness of each derivative method on Lorenz: the largest noise level (fraction of each
//! component's standard deviation) at which STLSQ still finds the exact structure.
//!
//! `cargo run -p ai4de-discover --release --example noise_table`

#[path = "../tests/common/mod.rs"]
mod common;

use ai4de_discover::{
    Derivative, Differentiation, Library, Optimizer, Sindy, Stlsq, Threshold, WeakForm,
};
use ai4de_ode::problems::Lorenz;

fn main() {
    let clean = common::simulate(
        &Lorenz::default(),
        &[-8.0, 8.0, 27.0],
        10.0,
        5001,
        &["x", "y", "z"],
    );
    let lib = Library::polynomial(&["x", "y", "z"], 2, true, true).unwrap();
    let levels = [
        0.0, 0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5,
    ];
    let methods: Vec<(&str, Differentiation)> = vec![
        (
            "fd (accuracy 2)",
            Differentiation::Pointwise(Derivative::fd(2)),
        ),
        (
            "fd (accuracy 4)",
            Differentiation::Pointwise(Derivative::fd(4)),
        ),
        (
            "savgol (window 21, degree 3)",
            Differentiation::Pointwise(Derivative::SavitzkyGolay {
                window: 21,
                degree: 3,
            }),
        ),
        (
            "savgol (window 41, degree 3)",
            Differentiation::Pointwise(Derivative::SavitzkyGolay {
                window: 41,
                degree: 3,
            }),
        ),
        (
            "tv (alpha 1e-4)",
            Differentiation::Pointwise(Derivative::TotalVariation {
                alpha: 1e-4,
                iterations: 10,
            }),
        ),
        (
            "tv (alpha 1e-3)",
            Differentiation::Pointwise(Derivative::TotalVariation {
                alpha: 1e-3,
                iterations: 10,
            }),
        ),
        ("weak (default)", Differentiation::Weak(WeakForm::default())),
        (
            "weak (width 0.02)",
            Differentiation::Weak(WeakForm {
                width: 0.02,
                ..WeakForm::default()
            }),
        ),
    ];
    let seeds = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(3u64);
    println!("| method | largest noise with exact structure (all of {seeds} seeds) | rel. coefficient error there |");
    println!("|---|---|---|");
    for (name, diff) in methods {
        let sindy = Sindy {
            differentiation: diff,
            optimizer: Optimizer::Stlsq(Stlsq {
                threshold: Threshold::Fixed(0.5),
                ..Stlsq::default()
            }),
            normalize: false,
        };
        let mut best = None;
        for &level in &levels {
            let mut ok = true;
            let mut err: f64 = 0.0;
            for seed in 0..seeds {
                let data = common::add_noise(&clean, level, seed);
                let m = sindy.fit(&data, &lib).unwrap();
                for (j, s) in common::LORENZ_SUPPORT.iter().enumerate() {
                    if m.support(j) != *s {
                        ok = false;
                    }
                }
                let truth = [
                    ("x", 0, -10.0),
                    ("y", 0, 10.0),
                    ("x", 1, 28.0),
                    ("y", 1, -1.0),
                    ("x*z", 1, -1.0),
                    ("z", 2, -8.0 / 3.0),
                    ("x*y", 2, 1.0),
                ];
                for (t, j, v) in truth {
                    err = err.max((m.coefficient(j, t) - v).abs() / v.abs());
                }
            }
            if ok {
                best = Some((level, err));
            } else {
                break;
            }
        }
        match best {
            Some((l, e)) => println!("| {name} | {l} | {e:.2e} |"),
            None => println!("| {name} | none | |"),
        }
    }
}
