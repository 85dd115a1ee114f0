//! The Lotka–Volterra universal differential equation of Rackauckas et al. (2020), §2.1: train
//! the UDE and a pure neural ODE on noisy data over t ∈ [0, 3], recover the missing terms with
//! SINDy, and compare extrapolation errors up to t = 6.
//!
//! `cargo run -p ai4de-node --release --example lv_ude`
use std::time::Instant;

use ai4de_discover::{optimize, Library, Model, Optimizer, Stlsq, Threshold};
use ai4de_node::{lotka, RhsWorkspace};
use ai4de_ode::{SaveAt, Solve};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let data = lotka::data(3.0, 0.1, 0.05, 1)?;
    let rhs = lotka::ude()?;
    let t0 = Instant::now();
    let (theta, l) = lotka::fit(&rhs, &data, &lotka::FitOptions::default())?;
    println!(
        "UDE trained in {:.2} s, SSE loss {l:.4e}",
        t0.elapsed().as_secs_f64()
    );

    // network output along the fitted trajectory (half the data spacing)
    let ts: Vec<f64> = (0..=60).map(|i| i as f64 * 0.05).collect();
    let sys = rhs.system(&theta, 1)?;
    let fitted = Solve::new(&sys, (0.0, 3.0), &data.y[..2])
        .rtol(1e-8)
        .atol(1e-8)
        .save_at(SaveAt::Times(ts.clone()))
        .run()?;
    let mut u = vec![0.0; fitted.y.len()];
    rhs.network_term(&theta, &fitted.y, &mut RhsWorkspace::default(), &mut u)?;
    let lib = Library::polynomial(&["x", "y"], 3, true, true)?;
    let th = lib.matrix(&fitted.y)?;
    let target = optimize::mat_from_rows(ts.len(), 2, &u);
    let opt = Optimizer::Stlsq(Stlsq {
        threshold: Threshold::Fixed(0.1),
        ..Default::default()
    });
    let coefficients = optimize::fit(th.as_ref(), target.as_ref(), &opt, false)?;
    let model = Model {
        variables: vec!["x".into(), "y".into()],
        lhs: vec!["U1".into(), "U2".into()],
        library: lib,
        coefficients,
        is_pde: false,
    };
    println!("recovered:\n{model}");
    println!(
        "U1: {:?} coef x*y {:.4} (true -0.9)",
        model.support(0),
        model.coefficient(0, "x*y")
    );
    println!(
        "U2: {:?} coef x*y {:.4} (true 0.8)",
        model.support(1),
        model.coefficient(1, "x*y")
    );

    let t1 = Instant::now();
    let node = lotka::neural_ode()?;
    let (theta_n, ln) = lotka::fit(&node, &data, &lotka::FitOptions::default())?;
    println!(
        "neural ODE trained in {:.2} s, SSE loss {ln:.4e}",
        t1.elapsed().as_secs_f64()
    );
    let tx: Vec<f64> = (0..=60).map(|i| i as f64 * 0.1).collect();
    let exact = lotka::exact(&tx)?;
    let err = |y: &[f64]| -> (f64, f64) {
        let e = |lo: usize, hi: usize| {
            ((lo..hi).map(|k| (y[k] - exact[k]).powi(2)).sum::<f64>() / (hi - lo) as f64).sqrt()
        };
        (e(0, 62), e(62, exact.len()))
    };
    for (name, r, th) in [("UDE", &rhs, &theta), ("neural ODE", &node, &theta_n)] {
        let s = r.system(th, 1)?;
        match Solve::new(&s, (0.0, 6.0), &lotka::U0[..])
            .rtol(1e-8)
            .atol(1e-8)
            .save_at(SaveAt::Times(tx.clone()))
            .run()
        {
            Ok(sol) => {
                let (a, b) = err(&sol.y);
                println!("{name}: RMS error on [0,3] {a:.4e}, on (3,6] {b:.4e}");
            }
            Err(e) => println!("{name}: extrapolation failed: {e}"),
        }
    }
    Ok(())
}
