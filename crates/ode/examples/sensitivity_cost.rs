//! Gradient cost (issue 6, benchmark (a)): adjoint gradient time / forward solve time for
//! growing parameter counts, with forward sensitivities for comparison.
//!
//! Two families with analytic vector–Jacobian products:
//! * `fisher`: Fisher–KPP `u_i' = D_i (u_{i−1} − 2u_i + u_{i+1}) / Δx² + r u_i (1 − u_i)` on
//!   `n` cells with zero-flux ends and one diffusivity per cell (`n_p = n`);
//! * `linear`: `y' = A y` with `p` = the `n²` entries of `A` (`n_p = n²`).
//!
//! Each case times (median of `REPEATS` samples of thread CPU time): the plain forward solve; the loss gradient by
//! the continuous adjoint with the analytic VJPs (quadratures in the step-size control, the
//! default, and out of it), and with dual-number VJPs; the gradient by
//! forward sensitivities (parameters only). Tsit5, rtol 1e-8, atol 1e-10, squared error at 4
//! times. Run from `bench/sensitivity/run.sh`:
//! `cargo run --release -p ai4de-ode --example sensitivity_cost -- [REPEATS] [MAX_NP]`.

use ai4de_ode::jacobian::{DualScalar, JacDual};
use ai4de_ode::sensitivity::{
    check_params, ContinuousAdjoint, DiscreteAdjoint, LossGradient, ParametricSystem,
    SensitivityMode, SquaredError,
};
use ai4de_ode::{Method, OdeError, OdeSystem, SaveAt, Solve};

#[derive(Clone, Copy, PartialEq)]
enum Family {
    Fisher,
    Linear,
}

struct Bench {
    family: Family,
    n: usize,
    p: Vec<f64>,
    analytic_vjp: bool,
    dx2: f64,
}

impl Bench {
    fn new(family: Family, np: usize) -> Self {
        match family {
            Family::Fisher => {
                let n = np;
                // D_i Δx⁻² ≈ 20: the same non-stiff problem in grid units for every n
                let dx2 = 1.0 / (n * n) as f64;
                let p = (0..n)
                    .map(|i| 20.0 * dx2 * (1.0 + 0.5 * (i as f64 * 0.37).sin()))
                    .collect();
                Self {
                    family,
                    n,
                    p,
                    analytic_vjp: true,
                    dx2,
                }
            }
            Family::Linear => {
                let n = (np as f64).sqrt().round() as usize;
                let mut p = vec![0.0; n * n];
                for i in 0..n {
                    for j in 0..n {
                        p[i * n + j] = if i == j {
                            -0.3
                        } else {
                            0.7 * ((i * 7 + j * 3) as f64).sin() / (n as f64).sqrt()
                        };
                    }
                }
                Self {
                    family,
                    n,
                    p,
                    analytic_vjp: true,
                    dx2: 1.0,
                }
            }
        }
    }

    fn y0(&self) -> Vec<f64> {
        let n = self.n;
        (0..n)
            .map(|i| {
                let x = (i as f64 + 0.5) / n as f64;
                match self.family {
                    Family::Fisher => 0.8 * (-40.0 * (x - 0.5) * (x - 0.5)).exp(),
                    Family::Linear => (7.0 * x).cos(),
                }
            })
            .collect()
    }

    fn f<T: DualScalar>(&self, y: &[T], p: &[T], dy: &mut [T]) {
        let n = self.n;
        match self.family {
            Family::Fisher => {
                let inv_dx2 = 1.0 / self.dx2;
                for i in 0..n {
                    let l = if i == 0 { y[0] } else { y[i - 1] };
                    let r = if i + 1 == n { y[n - 1] } else { y[i + 1] };
                    dy[i] = p[i] * (l - y[i] * 2.0 + r) * inv_dx2 + y[i] * (-y[i] + 1.0);
                }
            }
            Family::Linear => {
                for i in 0..n {
                    let mut s = T::from(0.0);
                    for j in 0..n {
                        s += p[i * n + j] * y[j];
                    }
                    dy[i] = s;
                }
            }
        }
    }
}

impl OdeSystem for Bench {
    fn dim(&self) -> usize {
        self.n
    }
    fn rhs(&self, _t: f64, y: &[f64], dy: &mut [f64]) {
        self.f(y, &self.p, dy)
    }
    fn is_autonomous(&self) -> bool {
        true
    }
}

impl ParametricSystem for Bench {
    fn n_params(&self) -> usize {
        self.p.len()
    }
    fn param_values(&self) -> Vec<f64> {
        self.p.clone()
    }
    fn set_params(&mut self, p: &[f64]) -> Result<(), OdeError> {
        check_params(p, self.p.len())?;
        self.p.copy_from_slice(p);
        Ok(())
    }
    fn rhs_params_dual(
        &self,
        _t: JacDual,
        y: &[JacDual],
        p: &[JacDual],
        dy: &mut [JacDual],
    ) -> bool {
        self.f(y, p, dy);
        true
    }
    fn vjp_y(&self, _t: f64, y: &[f64], w: &[f64], out: &mut [f64]) -> bool {
        if !self.analytic_vjp {
            return false;
        }
        let n = self.n;
        match self.family {
            Family::Fisher => {
                // ∂f_i/∂u_j: i = j: −2c_j (+c_j per zero-flux end) + 1 − 2u_j; |i−j| = 1: c_i,
                // with c_i = p_i/Δx²; written as a user would: one c per cell, carried along
                let inv_dx2 = 1.0 / self.dx2;
                let c = |i: usize| self.p[i] * inv_dx2;
                let (mut c_prev, mut c_here) = (0.0, c(0));
                for j in 0..n {
                    let c_next = if j + 1 < n { c(j + 1) } else { 0.0 };
                    let mut d = -2.0 * c_here + 1.0 - 2.0 * y[j];
                    if j == 0 {
                        d += c_here;
                    }
                    if j + 1 == n {
                        d += c_here;
                    }
                    let mut s = d * w[j];
                    if j > 0 {
                        s += c_prev * w[j - 1];
                    }
                    if j + 1 < n {
                        s += c_next * w[j + 1];
                    }
                    out[j] = s;
                    (c_prev, c_here) = (c_here, c_next);
                }
            }
            Family::Linear => {
                out.fill(0.0);
                for (row, wi) in self.p.chunks_exact(n).zip(w) {
                    for (o, a) in out.iter_mut().zip(row) {
                        *o += a * wi;
                    }
                }
            }
        }
        true
    }
    fn vjp_p(&self, _t: f64, y: &[f64], w: &[f64], out: &mut [f64]) -> bool {
        if !self.analytic_vjp {
            return false;
        }
        let n = self.n;
        match self.family {
            Family::Fisher => {
                let inv_dx2 = 1.0 / self.dx2;
                for i in 0..n {
                    let l = if i == 0 { y[0] } else { y[i - 1] };
                    let r = if i + 1 == n { y[n - 1] } else { y[i + 1] };
                    out[i] = w[i] * (l - 2.0 * y[i] + r) * inv_dx2;
                }
            }
            Family::Linear => {
                for (row, wi) in out.chunks_exact_mut(n).zip(w) {
                    for (o, yj) in row.iter_mut().zip(y) {
                        *o = wi * yj;
                    }
                }
            }
        }
        true
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

/// CPU time of this thread in seconds: on a shared, oversubscribed machine wall time mostly
/// measures the scheduler (`clock_gettime(CLOCK_THREAD_CPUTIME_ID)`, POSIX).
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
    use std::time::Instant;
    static START: OnceLock<Instant> = OnceLock::new();
    START.get_or_init(Instant::now).elapsed().as_secs_f64()
}

/// Median over `repeats` samples of the CPU time per call; each sample repeats the call until it
/// has used at least 20 ms (so that microsecond solves are timed reliably).
fn time<T>(repeats: usize, mut f: impl FnMut() -> T) -> (f64, T) {
    let mut ts = Vec::with_capacity(repeats);
    let mut last = None;
    for _ in 0..repeats {
        let s = cpu_seconds();
        let mut calls = 0;
        while calls == 0 || cpu_seconds() - s < 0.02 {
            last = Some(f());
            calls += 1;
        }
        ts.push((cpu_seconds() - s) / calls as f64);
    }
    (median(ts), last.expect("repeats >= 1"))
}

fn main() -> Result<(), OdeError> {
    let args: Vec<String> = std::env::args().collect();
    let repeats: usize = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(5).max(1);
    let max_np: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(1024);
    let (rtol, atol, t_end) = (1e-8, 1e-10, 1.0);
    let times = [0.25, 0.5, 0.75, 1.0];
    println!(
        "| family | n | n_p | forward solve (ms) | adjoint, analytic VJP (ms) | ratio | same, quadratures not error-controlled (ms) | ratio | discrete adjoint (ms) | ratio | adjoint, dual VJP (ms) | ratio | forward sens. (ms) | ratio | max gradient difference to forward sens. |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    for (family, counts) in [
        (
            Family::Fisher,
            vec![2usize, 4, 8, 10, 16, 32, 100, 316, 1000],
        ),
        (Family::Linear, vec![4, 9, 16, 25, 36, 64, 100, 400, 1024]),
    ] {
        for np in counts.into_iter().filter(|&c| c <= max_np) {
            let mut sys = Bench::new(family, np);
            let y0 = sys.y0();
            let n = sys.n;
            let data = vec![0.3; times.len() * n];
            let loss = SquaredError::new(times.to_vec(), data, n)?;
            let (t_solve, sol) = time(repeats, || {
                Solve::new(&sys, (0.0, t_end), &y0)
                    .method(Method::Tsit5)
                    .rtol(rtol)
                    .atol(atol)
                    .save_at(SaveAt::Times(times.to_vec()))
                    .run()
            });
            let steps = sol?.stats.accepted;
            let grad = |sys: &Bench, mode| {
                LossGradient::new(sys, (0.0, t_end), &y0, &loss)
                    .mode(mode)
                    .method(Method::Tsit5)
                    .rtol(rtol)
                    .atol(atol)
                    .initial_state(false)
                    .run()
            };
            // the continuous adjoint explicitly (LossGradient's adjoint is the discrete one
            // for Tsit5, timed in its own column below)
            let cont = |sys: &Bench| {
                ContinuousAdjoint::new(sys, (0.0, t_end), &y0, &loss)
                    .method(Method::Tsit5)
                    .rtol(rtol)
                    .atol(atol)
                    .run()
            };
            let (t_adj, g_adj) = time(repeats, || cont(&sys));
            let g_adj = g_adj?;
            let (t_noq, g_noq) = time(repeats, || {
                ContinuousAdjoint::new(&sys, (0.0, t_end), &y0, &loss)
                    .method(Method::Tsit5)
                    .rtol(rtol)
                    .atol(atol)
                    .quadrature_error_control(false)
                    .run()
            });
            let g_noq = g_noq?;
            let (t_disc, g_disc) = time(repeats, || {
                DiscreteAdjoint::new(&sys, (0.0, t_end), &y0, &loss)
                    .method(Method::Tsit5)
                    .rtol(rtol)
                    .atol(atol)
                    .run()
            });
            let g_disc = g_disc?.gradient;
            // the slow variants once they take seconds: fewer repeats
            let slow = repeats.min(if np >= 300 { 1 } else { repeats });
            let (t_fwd, g_fwd) = time(slow, || grad(&sys, SensitivityMode::Forward));
            let g_fwd = g_fwd?.0;
            sys.analytic_vjp = false;
            let (t_dual, g_dual) = time(slow, || cont(&sys));
            let g_dual = g_dual?;
            let scale = g_fwd.dp.iter().fold(0.0f64, |m, v| m.max(v.abs()));
            let agree = g_adj
                .dp
                .iter()
                .chain(&g_dual.dp)
                .chain(&g_noq.dp)
                .chain(&g_disc.dp)
                .zip(
                    g_fwd
                        .dp
                        .iter()
                        .chain(&g_fwd.dp)
                        .chain(&g_fwd.dp)
                        .chain(&g_fwd.dp),
                )
                .map(|(a, b)| (a - b).abs() / scale)
                .fold(0.0, f64::max);
            println!(
                "| {} | {n} | {np} | {:.3} | {:.3} | {:.1} | {:.3} | {:.1} | {:.3} | {:.1} | {:.3} | {:.1} | {:.3} | {:.1} | {agree:.1e} |",
                if family == Family::Fisher { "fisher" } else { "linear" },
                t_solve * 1e3,
                t_adj * 1e3,
                t_adj / t_solve,
                t_noq * 1e3,
                t_noq / t_solve,
                t_disc * 1e3,
                t_disc / t_solve,
                t_dual * 1e3,
                t_dual / t_solve,
                t_fwd * 1e3,
                t_fwd / t_solve,
            );
            eprintln!(
                "  {np}: {steps} steps; adjoint: {} fwd + {} bwd steps ({} rejected, {} f-evals), {} kB trajectory; quadratures not controlled: {} bwd steps; discrete: {} steps; dual-VJP adjoint: {} bwd steps; forward sens.: {} steps",
                g_adj.forward_stats.accepted,
                g_adj.adjoint_stats.accepted,
                g_adj.adjoint_stats.rejected,
                g_adj.adjoint_stats.f_evals,
                g_adj.trajectory_bytes / 1024,
                g_noq.adjoint_stats.accepted,
                g_disc.forward_stats.accepted,
                g_dual.adjoint_stats.accepted,
                g_fwd.forward_stats.accepted
            );
        }
    }
    Ok(())
}
