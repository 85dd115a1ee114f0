//! Shared fixtures of the discover tests: simulated catalogue data and noise.
#![allow(dead_code)]

use ai4de_discover::TimeSeries;
use ai4de_ode::{Method, OdeSystem, SaveAt, Solve};
use rand::SeedableRng;
use rand_distr::{Distribution, Normal};

/// Samples `system` at `n` equally spaced times on `[0, t_end]` (Vern9, tolerances 1e-12).
pub fn simulate(
    system: &dyn OdeSystem,
    y0: &[f64],
    t_end: f64,
    n: usize,
    names: &[&str],
) -> TimeSeries {
    let t: Vec<f64> = (0..n).map(|i| t_end * i as f64 / (n - 1) as f64).collect();
    let sol = Solve::new(system, (0.0, t_end), y0)
        .method(Method::Vern9)
        .rtol(1e-12)
        .atol(1e-12)
        .save_at(SaveAt::Times(t))
        .run()
        .expect("catalogue problems solve");
    TimeSeries::new(sol.t, sol.y, names.iter().map(|s| s.to_string()).collect()).unwrap()
}

/// Adds Gaussian noise with standard deviation `level × std(component)` (seeded).
pub fn add_noise(data: &TimeSeries, level: f64, seed: u64) -> TimeSeries {
    let d = data.dim();
    let n = data.len();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let mut y = data.y.clone();
    for c in 0..d {
        let mean = (0..n).map(|i| data.y[i * d + c]).sum::<f64>() / n as f64;
        let sd = ((0..n)
            .map(|i| (data.y[i * d + c] - mean).powi(2))
            .sum::<f64>()
            / n as f64)
            .sqrt();
        if level > 0.0 {
            let normal = Normal::new(0.0, level * sd).unwrap();
            for i in 0..n {
                y[i * d + c] += normal.sample(&mut rng);
            }
        }
    }
    TimeSeries::new(data.t.clone(), y, data.names.clone()).unwrap()
}

/// Lorenz's true support per equation in the `poly:2` library over `x, y, z`.
pub const LORENZ_SUPPORT: [&[&str]; 3] = [&["x", "y"], &["x", "y", "x*z"], &["z", "x*y"]];
