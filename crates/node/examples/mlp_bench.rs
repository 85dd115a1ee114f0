//! Per-call cost of the lean MLP (`ai4de_node::Mlp`, f64, own VJP) at the tiny sizes of neural
//! ODEs, and the cost of one training gradient (the spiral benchmark's batch: 20 trajectories
//! over 10 save times, dopri5, rtol 1e-7, atol 1e-9) by this crate's recorded sweep against
//! `ai4de-ode`'s `DiscreteAdjoint` and `ContinuousAdjoint` on the same system.
//!
//! `cargo run -p ai4de-node --release --example mlp_bench`
use std::hint::black_box;
use std::time::Instant;

use ai4de_node::{
    solve_backward, solve_forward, Activation, InputMap, Mlp, MlpWorkspace, NeuralRhs,
    SolveOptions, SolveWorkspace, Tape,
};
use ai4de_ode::sensitivity::{ContinuousAdjoint, DiscreteAdjoint, SquaredError};
use ai4de_ode::Method;

/// Median over `reps` repetitions of the mean time per call over `iters` calls, in µs.
fn time_us(iters: usize, reps: usize, mut f: impl FnMut()) -> f64 {
    for _ in 0..iters / 10 + 1 {
        f();
    }
    let mut v: Vec<f64> = (0..reps)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..iters {
                f();
            }
            t.elapsed().as_secs_f64() * 1e6 / iters as f64
        })
        .collect();
    v.sort_by(f64::total_cmp);
    v[reps / 2]
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("| network | batch | forward (µs) | VJP, input + parameters (µs) |");
    println!("|---|---|---|---|");
    for sizes in [vec![2usize, 50, 2], vec![2, 5, 5, 5, 2], vec![2, 32, 32, 2]] {
        for batch in [1usize, 20] {
            let mlp = Mlp::new(&sizes, Activation::Tanh)?;
            let theta = mlp.init_glorot(0);
            let x: Vec<f64> = (0..batch * 2).map(|i| 0.1 * i as f64 - 0.5).collect();
            let w = vec![1.0; batch * 2];
            let mut ws = MlpWorkspace::new();
            let mut y = vec![0.0; batch * 2];
            let mut gx = vec![0.0; batch * 2];
            let mut gt = vec![0.0; mlp.n_params()];
            let lf = time_us(20_000, 5, || {
                mlp.forward(black_box(&theta), black_box(&x), &mut ws, &mut y)
                    .expect("sizes are consistent");
                black_box(&y);
            });
            let lv = time_us(20_000, 5, || {
                mlp.vjp(
                    black_box(&theta),
                    black_box(&x),
                    &w,
                    &mut ws,
                    &mut gx,
                    &mut gt,
                )
                .expect("sizes are consistent");
                black_box(&gt);
            });
            println!("| {sizes:?} | {batch} | {lf:.3} | {lv:.3} |");
        }
    }

    // one training gradient of the spiral benchmark
    let mlp = Mlp::new(&[2, 50, 2], Activation::Tanh)?;
    let theta = mlp.init_normal(0.1, 0)?;
    let rhs = NeuralRhs::neural_ode(mlp, InputMap::Cube)?;
    let t: Vec<f64> = (0..10).map(|i| 25.0 * i as f64 / 999.0).collect();
    let y0: Vec<f64> = (0..20)
        .flat_map(|k| {
            let a = 0.3 * k as f64;
            [2.0 * a.cos() * (1.0 - 0.03 * k as f64), 2.0 * a.sin() * 0.8]
        })
        .collect();
    let data: Vec<f64> = (0..t.len() * 40)
        .map(|i| 0.5 * (i as f64 * 0.1).sin())
        .collect();
    let opts = SolveOptions {
        dense: true,
        ..SolveOptions::default()
    };
    let stop_opts = SolveOptions::default();
    let (mut tape, mut sws) = (Tape::default(), SolveWorkspace::default());
    let (mut dl, mut g, mut gy0) = (vec![0.0; data.len()], vec![0.0; theta.len()], vec![0.0; 40]);
    let own = time_us(200, 5, || {
        solve_forward(&rhs, &theta, &y0, &t, &opts, &mut tape, &mut sws).expect("solves");
        for ((d, p), x) in dl.iter_mut().zip(tape.ys()).zip(&data) {
            *d = p - x;
        }
        solve_backward(&rhs, &theta, &tape, &opts, &dl, &mut sws, &mut g, &mut gy0)
            .expect("sweeps");
        black_box(&g);
    });
    let own_steps = (tape.n_steps(), tape.n_eval);
    let own_stop = time_us(200, 5, || {
        solve_forward(&rhs, &theta, &y0, &t, &stop_opts, &mut tape, &mut sws).expect("solves");
        for ((d, p), x) in dl.iter_mut().zip(tape.ys()).zip(&data) {
            *d = p - x;
        }
        solve_backward(
            &rhs, &theta, &tape, &stop_opts, &dl, &mut sws, &mut g, &mut gy0,
        )
        .expect("sweeps");
        black_box(&g);
    });
    let sys = rhs.system(&theta, 20)?;
    let loss = SquaredError::new(t.clone(), data.clone(), 40)?;
    let disc = time_us(200, 5, || {
        let r = DiscreteAdjoint::new(&sys, (t[0], t[9]), &y0, &loss)
            .method(Method::Dp5)
            .rtol(1e-7)
            .atol(1e-9)
            .run()
            .expect("solves");
        black_box(r);
    });
    let cont = time_us(50, 5, || {
        let r = ContinuousAdjoint::new(&sys, (t[0], t[9]), &y0, &loss)
            .method(Method::Dp5)
            .rtol(1e-7)
            .atol(1e-9)
            .run()
            .expect("solves");
        black_box(r);
    });
    println!();
    println!("| spiral training gradient (batch 20, 10 times, dopri5) | µs per gradient | vs own sweep |");
    println!("|---|---|---|");
    println!("| ai4de-node recorded sweep, dense save times ({} steps, {} f-evaluations) | {own:.1} | 1.0x |", own_steps.0, own_steps.1);
    println!(
        "| ai4de-node recorded sweep, steps ending on save times ({} steps, {} f-evaluations) | {own_stop:.1} | {:.1}x |",
        tape.n_steps(),
        tape.n_eval,
        own_stop / own
    );
    println!(
        "| ai4de-ode DiscreteAdjoint | {disc:.1} | {:.1}x |",
        disc / own
    );
    println!(
        "| ai4de-ode ContinuousAdjoint | {cont:.1} | {:.1}x |",
        cont / own
    );
    Ok(())
}
