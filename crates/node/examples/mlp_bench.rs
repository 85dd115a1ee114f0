//! Per-call cost of the lean MLP (`ai4de_node::Mlp`, f64, own VJP) at the tiny sizes of neural
//! ODEs, and the cost of one training gradient (the spiral benchmark's batch: 20 trajectories
//! over 10 save times, dopri5, rtol 1e-7, atol 1e-9) by `ai4de-ode`'s `DiscreteAdjoint` (dense
//! save times: the training path; or steps ending on them) and `ContinuousAdjoint`.
//!
//! `cargo run -p ai4de-node --release --example mlp_bench`
use std::hint::black_box;
use std::time::Instant;

use ai4de_node::{Activation, InputMap, Mlp, MlpWorkspace, NeuralRhs};
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
    let mut sys = rhs.system(&theta, 20)?;
    let loss = SquaredError::new(t.clone(), data.clone(), 40)?;
    let disc_run = |sys: &ai4de_node::NeuralSystem<'_>, dense: bool| {
        DiscreteAdjoint::new(sys, (t[0], t[9]), &y0, &loss)
            .method(Method::Dp5)
            .rtol(1e-7)
            .atol(1e-9)
            .dense_observations(dense)
            .run()
            .expect("solves")
    };
    let dense_run = disc_run(&sys, true);
    let landing_run = disc_run(&sys, false);
    // thread CPU time, alternating samples; parameters set on a kept system, as training does
    let (mut dense_cpu, mut landing_cpu) = (Vec::new(), Vec::new());
    for _ in 0..9 {
        dense_cpu.push(cpu_us(|| {
            use ai4de_ode::sensitivity::ParametricSystem;
            sys.set_params(&theta).expect("same length");
            black_box(disc_run(&sys, true));
        }));
        landing_cpu.push(cpu_us(|| {
            use ai4de_ode::sensitivity::ParametricSystem;
            sys.set_params(&theta).expect("same length");
            black_box(disc_run(&sys, false));
        }));
    }
    let (dense_c, landing_c) = (median(dense_cpu), median(landing_cpu));
    let cont = cpu_us(|| {
        let r = ContinuousAdjoint::new(&sys, (t[0], t[9]), &y0, &loss)
            .method(Method::Dp5)
            .rtol(1e-7)
            .atol(1e-9)
            .run()
            .expect("solves");
        black_box(r);
    });
    println!();
    println!(
        "| spiral training gradient (batch 20, 10 times, dopri5) | µs per gradient (thread CPU) | vs training path |"
    );
    println!("|---|---|---|");
    println!(
        "| DiscreteAdjoint, dense observations: the training path ({} steps, {} f-evaluations) | {dense_c:.1} | 1.0x |",
        dense_run.steps.len() - 1,
        dense_run.gradient.forward_stats.f_evals
    );
    println!(
        "| DiscreteAdjoint, steps ending on save times ({} steps, {} f-evaluations) | {landing_c:.1} | {:.2}x |",
        landing_run.steps.len() - 1,
        landing_run.gradient.forward_stats.f_evals,
        landing_c / dense_c
    );
    println!("| ContinuousAdjoint | {cont:.1} | {:.1}x |", cont / dense_c);
    Ok(())
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Mean thread CPU time per call of `f` in µs over calls filling at least 20 ms.
fn cpu_us(mut f: impl FnMut()) -> f64 {
    let s = cpu_seconds();
    let mut calls = 0;
    while calls == 0 || cpu_seconds() - s < 0.02 {
        f();
        calls += 1;
    }
    (cpu_seconds() - s) * 1e6 / calls as f64
}

/// CPU time of this thread in seconds (`clock_gettime(CLOCK_THREAD_CPUTIME_ID)`, POSIX): on a
/// shared machine wall time mostly measures the scheduler.
#[cfg(target_os = "linux")]
fn cpu_seconds() -> f64 {
    #[repr(C)]
    struct Timespec {
        tv_sec: i64,
        tv_nsec: i64,
    }
    extern "C" {
        fn clock_gettime(clock: i32, tp: *mut Timespec) -> i32;
    }
    const CLOCK_THREAD_CPUTIME_ID: i32 = 3;
    let mut ts = Timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec (64-bit Linux layout); the call only writes it.
    let rc = unsafe { clock_gettime(CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    assert_eq!(rc, 0, "clock_gettime(CLOCK_THREAD_CPUTIME_ID) failed");
    ts.tv_sec as f64 + ts.tv_nsec as f64 * 1e-9
}

#[cfg(not(target_os = "linux"))]
fn cpu_seconds() -> f64 {
    use std::sync::OnceLock;
    static START: OnceLock<Instant> = OnceLock::new();
    START.get_or_init(Instant::now).elapsed().as_secs_f64()
}
