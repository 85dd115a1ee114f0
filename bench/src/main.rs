//! Work–precision benchmark of ai4de's adaptive explicit Runge–Kutta methods against the two
//! compiled Rust peers, `diffsol` (Tsit45) and `ode_solvers` (Dopri5, Dop853).
//!
//! Every solver integrates the *same* right-hand side code (the `OdeSystem` impls of
//! `ai4de_ode::problems`, wrapped into each library's own interface), from scratch on every run
//! (problem/solver construction included), keeping only the final state. Measured per
//! (problem, tolerance, solver):
//!
//! * wall time (and thread CPU time): the median of all samples of `--passes` passes over the
//!   whole sweep (default 3) with `--samples` samples per point and pass (default 3); a sample is
//!   a batch of back-to-back solves lasting at least `--min-batch-ms` (default 50), divided by the
//!   batch size. The solvers of one (problem, tolerance) point are sampled round-robin and the
//!   passes spread each point's samples over the whole run, so that a change of machine load (the
//!   machine is shared) hits all solvers alike;
//! * the error at the final time against the reference: the normwise relative max-norm error
//!   `max_i |y_i − ref_i| / max_i |ref_i|` (`ai4de_testkit::rel_inf_diff`);
//! * right-hand-side evaluations, counted by a wrapper in a separate untimed solve (the same
//!   counter for every solver), plus the solver's own statistics where it reports them.
//!
//! Then, at rtol = 1e-8, the solver overhead: median solve time / (f-evaluations × the time of one
//! f-evaluation measured alone in a loop over states along the trajectory).
//!
//! Usage: `ai4de-bench run [--quick] [--out FILE] [--passes N] [--samples N] [--min-batch-ms MS]`,
//! `ai4de-bench reference` (reference diagnostics), `ai4de-bench loop PROBLEM SOLVER TOL SECONDS`
//! (one configuration in a loop, for `perf record`), `ai4de-bench loopn PROBLEM SOLVER TOL N`
//! (exactly N solves, for `perf stat -e instructions`), `ai4de-bench golden` (statistics and
//! final-state bits of every ai4de method, problem and tolerance: a cost-only change must not
//! change them; with `--peers` the same lines for ode_solvers' Dopri5 and Dop853, to compare
//! step-size control; with `--fine` at four tolerances per decade).

use std::cell::Cell;
use std::hint::black_box;
use std::time::{Duration, Instant};

use ai4de_ode::problems::{
    Arenstorf, Lorenz, Pleiades, ARENSTORF_PERIOD, ARENSTORF_Y0, PLEIADES_REFERENCE_T3, PLEIADES_Y0,
};
use ai4de_ode::{Method, OdeSystem, SaveAt, Solve};
use ai4de_testkit::{rel_inf_diff, two_method_reference, ReferenceOptions};
use serde_json::{json, Value};

/// End of the Lorenz interval. Lorenz is chaotic (largest Lyapunov exponent ≈ 0.9), so the
/// two-method 1e-14 reference loses accuracy like e^{0.9 t}: Vern9 and DOP853 at
/// rtol = atol = 1e-14 agree to <= 1e-13 at t = 5, ~2e-12 at t = 7, ~5e-12 at t = 10 and ~4e-9 at
/// t = 15 (`ai4de-bench reference`). At t = 5 the reference is checked at every run against
/// ode_solvers' DOP853 and, by `bench/run.sh`, against an independent 60-digit Taylor-series
/// integration (`bench/lorenz_taylor.py`; difference ~2e-14).
const LORENZ_T_END: f64 = 5.0;
const LORENZ_Y0: [f64; 3] = [-8.0, 8.0, 27.0];

/// Tolerances of the sweep: rtol = atol = 10^-k (HNW's convention for these problems, whose
/// states are all of size 1–40).
const EXPONENTS: std::ops::RangeInclusive<i32> = 3..=12;
/// A solver whose single solve takes longer than this skips the tighter tolerances.
const MAX_SINGLE_SOLVE: Duration = Duration::from_secs(2);
const OVERHEAD_TOL: f64 = 1e-8;

// ---------------------------------------------------------------------------------------------
// Solvers

#[derive(Debug, Clone, Copy, PartialEq)]
enum Solver {
    Ai4de(Method),
    DiffsolTsit45,
    OsDopri5,
    OsDop853,
}

const AI4DE_METHODS: [Method; 6] = [
    Method::Tsit5,
    Method::Dp5,
    Method::Dop853,
    Method::Vern7,
    Method::Vern9,
    Method::Bs3,
];

impl Solver {
    fn all() -> Vec<Solver> {
        let mut v: Vec<Solver> = AI4DE_METHODS.iter().map(|&m| Solver::Ai4de(m)).collect();
        v.extend([Solver::DiffsolTsit45, Solver::OsDopri5, Solver::OsDop853]);
        v
    }
    fn name(self) -> String {
        match self {
            Solver::Ai4de(m) => format!("ai4de/{m}"),
            Solver::DiffsolTsit45 => "diffsol/tsit45".into(),
            Solver::OsDopri5 => "ode_solvers/dopri5".into(),
            Solver::OsDop853 => "ode_solvers/dop853".into(),
        }
    }
    fn library(self) -> &'static str {
        match self {
            Solver::Ai4de(_) => "ai4de",
            Solver::DiffsolTsit45 => "diffsol",
            Solver::OsDopri5 | Solver::OsDop853 => "ode_solvers",
        }
    }
    fn parse(s: &str) -> Option<Solver> {
        Solver::all().into_iter().find(|x| x.name() == s)
    }
}

/// What one solve returns: the final state and the solver's own step statistics.
struct Outcome {
    y: Vec<f64>,
    steps: Option<(usize, usize)>, // (accepted, rejected)
    own_f_evals: Option<usize>,
}

/// `ode_solvers`' interface to the same right-hand side.
struct OsSystem<'a, S>(&'a S);

impl<S: OdeSystem, const N: usize> ode_solvers::System<f64, ode_solvers::SVector<f64, N>>
    for OsSystem<'_, S>
{
    #[inline]
    fn system(
        &self,
        t: f64,
        y: &ode_solvers::SVector<f64, N>,
        dy: &mut ode_solvers::SVector<f64, N>,
    ) {
        self.0.rhs(t, y.as_slice(), dy.as_mut_slice());
    }
}

/// One solve from scratch with the given solver; `N` is the (static) dimension for ode_solvers.
fn solve<S: OdeSystem, const N: usize>(
    solver: Solver,
    sys: &S,
    span: (f64, f64),
    y0: &[f64; N],
    rtol: f64,
    atol: f64,
) -> Result<Outcome, String> {
    match solver {
        Solver::Ai4de(m) => {
            let sol = Solve::new(sys, span, y0)
                .method(m)
                .rtol(rtol)
                .atol(atol)
                .save_at(SaveAt::Final)
                .max_steps(10_000_000)
                .run()
                .map_err(|e| e.to_string())?;
            Ok(Outcome {
                y: sol.y_final().to_vec(),
                steps: Some((sol.stats.accepted, sol.stats.rejected)),
                own_f_evals: Some(sol.stats.f_evals),
            })
        }
        Solver::DiffsolTsit45 => {
            use diffsol::{NalgebraMat, OdeBuilder, OdeSolverMethod, OdeSolverStopReason, Vector};
            let problem = OdeBuilder::<NalgebraMat<f64>>::new()
                .t0(span.0)
                .rtol(rtol)
                .atol([atol])
                .rhs(|x: &[f64], _p: &[f64], t: f64, dy: &mut [f64]| sys.rhs(t, x, dy))
                .init(
                    |_p: &[f64], _t: f64, y: &mut [f64]| y.copy_from_slice(y0),
                    N,
                )
                .build()
                .map_err(|e| e.to_string())?;
            let mut s = problem.tsit45().map_err(|e| e.to_string())?;
            s.set_stop_time(span.1).map_err(|e| e.to_string())?;
            loop {
                match s.step().map_err(|e| e.to_string())? {
                    OdeSolverStopReason::TstopReached => break,
                    OdeSolverStopReason::InternalTimestep => {}
                    OdeSolverStopReason::RootFound(..) => return Err("unexpected root".into()),
                }
            }
            Ok(Outcome {
                y: s.state().y.clone_as_vec(),
                steps: None,
                own_f_evals: None,
            })
        }
        Solver::OsDopri5 | Solver::OsDop853 => {
            use ode_solvers::{OutputType, SVector};
            let y = SVector::<f64, N>::from_column_slice(y0);
            let f = OsSystem(sys);
            let (t0, t1) = span;
            // The libraries' documented defaults (Hairer's), except the step limit and the
            // output: `Sparse` keeps the accepted steps only (no dense-output stages).
            let (stats, yf) = if solver == Solver::OsDopri5 {
                let mut st = ode_solvers::Dopri5::from_param(
                    f,
                    t0,
                    t1,
                    t1 - t0,
                    y,
                    rtol,
                    atol,
                    0.9,
                    0.04,
                    0.2,
                    10.0,
                    t1 - t0,
                    0.0,
                    10_000_000,
                    1000,
                    OutputType::Sparse,
                );
                let stats = st.integrate().map_err(|e| e.to_string())?;
                (stats, st.y_out().last().unwrap().as_slice().to_vec())
            } else {
                let mut st = ode_solvers::Dop853::from_param(
                    f,
                    t0,
                    t1,
                    t1 - t0,
                    y,
                    rtol,
                    atol,
                    0.9,
                    0.0,
                    0.333,
                    6.0,
                    t1 - t0,
                    0.0,
                    10_000_000,
                    1000,
                    OutputType::Sparse,
                );
                let stats = st.integrate().map_err(|e| e.to_string())?;
                (stats, st.y_out().last().unwrap().as_slice().to_vec())
            };
            Ok(Outcome {
                y: yf,
                steps: Some((stats.accepted_steps as usize, stats.rejected_steps as usize)),
                own_f_evals: Some(stats.num_eval as usize),
            })
        }
    }
}

/// Counts right-hand-side evaluations.
struct Counting<S> {
    inner: S,
    n: Cell<usize>,
}

impl<S: OdeSystem> OdeSystem for Counting<S> {
    fn dim(&self) -> usize {
        self.inner.dim()
    }
    #[inline]
    fn rhs(&self, t: f64, y: &[f64], dy: &mut [f64]) {
        self.n.set(self.n.get() + 1);
        self.inner.rhs(t, y, dy)
    }
}

// ---------------------------------------------------------------------------------------------
// Timing

/// CPU time consumed by this thread, in seconds (excludes time the thread was descheduled: a
/// load-robust companion to the wall time on a shared machine).
fn thread_cpu_time() -> f64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec; CLOCK_THREAD_CPUTIME_ID is supported on Linux.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    assert_eq!(rc, 0, "clock_gettime(CLOCK_THREAD_CPUTIME_ID)");
    ts.tv_sec as f64 + ts.tv_nsec as f64 * 1e-9
}

/// Samples of the time of one call of `f`. A sample is a batch of back-to-back calls lasting at
/// least `min_batch` of wall time, divided by the number of calls.
struct Timer {
    min_batch: Duration,
    /// Wall time per call of each sample.
    wall: Vec<f64>,
    /// Thread CPU time per call of each sample.
    cpu: Vec<f64>,
    /// Calls per sample.
    reps: Vec<usize>,
}

impl Timer {
    /// Warm-up: two calls; returns the timer and the wall time of the second call.
    fn warm_up(f: &mut dyn FnMut(), min_batch: Duration) -> (Self, Duration) {
        f(); // first touch: page faults, caches, branch predictors
        let t = Instant::now();
        f();
        let one = t.elapsed();
        let timer = Timer {
            min_batch,
            wall: Vec::new(),
            cpu: Vec::new(),
            reps: Vec::new(),
        };
        (timer, one)
    }
    fn sample(&mut self, f: &mut dyn FnMut()) {
        let c0 = thread_cpu_time();
        let t0 = Instant::now();
        let mut n = 0usize;
        let elapsed = loop {
            f();
            n += 1;
            let e = t0.elapsed();
            if e >= self.min_batch {
                break e;
            }
        };
        let cpu = thread_cpu_time() - c0;
        self.wall.push(elapsed.as_secs_f64() / n as f64);
        self.cpu.push(cpu / n as f64);
        self.reps.push(n);
    }
    fn median(&self) -> f64 {
        median(&self.wall)
    }
    fn median_cpu(&self) -> f64 {
        median(&self.cpu)
    }
}

fn median(v: &[f64]) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    let n = s.len();
    if n == 0 {
        f64::NAN
    } else if n % 2 == 1 {
        s[n / 2]
    } else {
        0.5 * (s[n / 2 - 1] + s[n / 2])
    }
}

// ---------------------------------------------------------------------------------------------
// Problems

struct Config {
    min_batch: Duration,
    samples: usize,
    passes: usize,
    exponents: Vec<i32>,
    solvers: Vec<Solver>,
}

/// Per-evaluation times of f alone: (wall, cpu) independent, (wall, cpu) chained.
type FSamples = (Vec<f64>, Vec<f64>, Vec<f64>, Vec<f64>);

struct ProblemRun<'a, S, const N: usize> {
    name: &'static str,
    sys: S,
    span: (f64, f64),
    y0: [f64; N],
    reference: Vec<f64>,
    reference_info: Value,
    description: &'static str,
    cfg: &'a Config,
}

impl<S: OdeSystem + Copy, const N: usize> ProblemRun<'_, S, N> {
    /// One pass over the tolerances: the records (with their raw samples) and, from the
    /// overhead tolerance, the per-evaluation samples of f alone: (wall, cpu) of the independent
    /// loop, then (wall, cpu) of the chained loop.
    fn run(&self) -> (Vec<Value>, FSamples) {
        let cfg = self.cfg;
        let mut results = Vec::new();
        let mut f_samples: FSamples = Default::default();
        let mut active: Vec<Solver> = cfg.solvers.clone();
        let (f_times, f_states) = self.f_loop_states();
        for &k in &cfg.exponents {
            let rtol = 10f64.powi(-k);
            let atol = rtol;
            let mut timers: Vec<(Solver, Timer, Value)> = Vec::new();
            for &solver in &active {
                // Untimed solve with the counting wrapper: f-evaluations, error, own statistics.
                let counting = Counting {
                    inner: self.sys,
                    n: Cell::new(0),
                };
                let out = match solve(solver, &counting, self.span, &self.y0, rtol, atol) {
                    Ok(o) => o,
                    Err(e) => {
                        eprintln!(
                            "  {} {} rtol={rtol:e}: FAILED: {e}",
                            self.name,
                            solver.name()
                        );
                        results.push(json!({"problem": self.name, "solver": solver.name(),
                            "library": solver.library(), "rtol": rtol, "atol": atol,
                            "failed": e}));
                        continue;
                    }
                };
                let f_evals = counting.n.get();
                if let (Solver::Ai4de(_), Some(own)) = (solver, out.own_f_evals) {
                    if own != f_evals {
                        eprintln!(
                            "  WARNING {} {}: stats.f_evals = {own} but {f_evals} evaluations counted",
                            self.name,
                            solver.name()
                        );
                    }
                }
                let err = rel_inf_diff(&out.y, &self.reference);
                let (timer, one) =
                    Timer::warm_up(&mut self.solve_fn(solver, rtol, atol), cfg.min_batch);
                let mut rec = json!({
                    "problem": self.name, "solver": solver.name(), "library": solver.library(),
                    "rtol": rtol, "atol": atol, "error": err, "f_evals": f_evals,
                    "own_f_evals": out.own_f_evals,
                    "accepted": out.steps.map(|s| s.0), "rejected": out.steps.map(|s| s.1),
                    "y_final": out.y,
                });
                if one > MAX_SINGLE_SOLVE {
                    rec["note"] = json!(format!(
                        "one solve took {:.2} s: single sample, tighter tolerances skipped",
                        one.as_secs_f64()
                    ));
                }
                timers.push((solver, timer, rec));
            }
            // At the overhead tolerance the f-evaluation loop joins the round-robin.
            let sys = self.sys;
            let mut dy = [0.0f64; N];
            let mut f_loop = || {
                for (t, y) in f_times.iter().zip(f_states.chunks_exact(N)) {
                    sys.rhs(black_box(*t), black_box(y), black_box(&mut dy));
                }
            };
            // The same evaluations as a data-dependent chain: each input is the next state plus
            // `z·dy` of the previous output, with `z = 0` hidden from the compiler, so evaluation
            // i + 1 cannot start before evaluation i has finished (as in a sequence of RK
            // stages), while the inputs stay the trajectory's states. Each evaluation carries one
            // extra n-component multiply-add, the least an RK stage does besides f.
            let z = black_box(0.0f64);
            let mut ychain = [0.0f64; N];
            let mut dyc = [0.0f64; N];
            let mut f_chain = || {
                for (t, y) in f_times.iter().zip(f_states.chunks_exact(N)) {
                    for ((c, &a), &d) in ychain.iter_mut().zip(y).zip(dyc.iter()) {
                        *c = a + z * d;
                    }
                    sys.rhs(*t + z * dyc[0], &ychain, &mut dyc);
                }
                black_box(&dyc);
            };
            let mut f_timer =
                (rtol == OVERHEAD_TOL).then(|| Timer::warm_up(&mut f_loop, cfg.min_batch).0);
            let mut f_chain_timer =
                (rtol == OVERHEAD_TOL).then(|| Timer::warm_up(&mut f_chain, cfg.min_batch).0);
            // Round-robin sampling (a solver slower than MAX_SINGLE_SOLVE gets one sample).
            for round in 0..cfg.samples {
                for (solver, timer, rec) in timers.iter_mut() {
                    if round > 0 && rec.get("note").is_some() {
                        continue;
                    }
                    timer.sample(&mut self.solve_fn(*solver, rtol, atol));
                }
                if let Some(ft) = f_timer.as_mut() {
                    ft.sample(&mut f_loop);
                }
                if let Some(ft) = f_chain_timer.as_mut() {
                    ft.sample(&mut f_chain);
                }
            }
            if let Some(ft) = f_timer {
                let m = f_times.len() as f64;
                f_samples.0.extend(ft.wall.iter().map(|w| w / m));
                f_samples.1.extend(ft.cpu.iter().map(|c| c / m));
                eprintln!(
                    "  {:<9} one f-evaluation alone: wall {:.2} ns, cpu {:.2} ns",
                    self.name,
                    ft.median() / m * 1e9,
                    ft.median_cpu() / m * 1e9
                );
            }
            if let Some(ft) = f_chain_timer {
                let m = f_times.len() as f64;
                f_samples.2.extend(ft.wall.iter().map(|w| w / m));
                f_samples.3.extend(ft.cpu.iter().map(|c| c / m));
                eprintln!(
                    "  {:<9} one f-evaluation alone, chained: wall {:.2} ns, cpu {:.2} ns",
                    self.name,
                    ft.median() / m * 1e9,
                    ft.median_cpu() / m * 1e9
                );
            }
            for (solver, timer, mut rec) in timers {
                let t = timer.median();
                let tc = timer.median_cpu();
                rec["time_s"] = json!(t);
                rec["time_min_s"] = json!(timer.wall.iter().copied().fold(f64::INFINITY, f64::min));
                rec["cpu_time_s"] = json!(tc);
                rec["time_samples_s"] = json!(timer.wall);
                rec["cpu_samples_s"] = json!(timer.cpu);
                rec["reps_per_sample"] = json!(timer.reps);
                let nf = rec["f_evals"].as_u64().unwrap_or(0) as f64;
                eprintln!(
                    "  {:<9} rtol=1e-{k:<2} {:<20} err={:9.2e} wall={:9.3e}s cpu={:9.3e}s f_evals={:>8} ({} samples)",
                    self.name,
                    solver.name(),
                    rec["error"].as_f64().unwrap_or(f64::NAN),
                    t,
                    tc,
                    nf,
                    timer.wall.len()
                );
                if rec.get("note").is_some() {
                    active.retain(|&s| s != solver);
                }
                results.push(rec);
            }
        }
        (results, f_samples)
    }

    /// One timed solve (the result is kept alive through `black_box`).
    fn solve_fn(&self, solver: Solver, rtol: f64, atol: f64) -> impl FnMut() + '_ {
        move || {
            let o = solve(
                solver,
                black_box(&self.sys),
                self.span,
                black_box(&self.y0),
                rtol,
                atol,
            );
            black_box(o.map(|o| o.y).ok());
        }
    }

    /// 256 representative states for timing f alone: the solution at equispaced times along the
    /// whole interval (DOP853 at 1e-10, dense output).
    fn f_loop_states(&self) -> (Vec<f64>, Vec<f64>) {
        let m = 256;
        let times: Vec<f64> = (1..=m)
            .map(|i| self.span.0 + (self.span.1 - self.span.0) * i as f64 / m as f64)
            .collect();
        let sol = Solve::new(&self.sys, self.span, &self.y0)
            .method(Method::Dop853)
            .rtol(1e-10)
            .atol(1e-10)
            .max_steps(10_000_000)
            .save_at(SaveAt::Times(times.clone()))
            .run()
            .expect("trajectory for f timing");
        (times, sol.y)
    }
}

fn lorenz_reference() -> (Vec<f64>, Value) {
    let sys = Lorenz::default();
    let span = (0.0, LORENZ_T_END);
    let r = two_method_reference(&sys, span, &LORENZ_Y0, &[], &ReferenceOptions::default())
        .expect("Lorenz two-method reference");
    // Independent check: Hairer's DOP853 as ported by ode_solvers.
    let os = solve(Solver::OsDop853, &sys, span, &LORENZ_Y0, 1e-14, 1e-14)
        .expect("ode_solvers reference check");
    let d_os = rel_inf_diff(&os.y, r.final_state());
    let info = json!({
        "kind": "two-method",
        "description": format!(
            "ai4de {} and {} at rtol = atol = 1e-14; normwise relative disagreement {:.1e}; \
             ode_solvers' DOP853 at 1e-14 differs by {:.1e}",
            r.methods[0], r.methods[1], r.disagreement, d_os),
        "disagreement": r.disagreement,
        "ode_solvers_dop853_difference": d_os,
        "t_end": LORENZ_T_END,
    });
    (r.final_state().to_vec(), info)
}

fn with_y_ref(info: &Value, y: &[f64]) -> Value {
    let mut v = info.clone();
    v["y_ref"] = json!(y);
    v
}

/// The problems of the benchmark, each with its reference.
fn problem_list(
    cfg: &Config,
) -> (
    ProblemRun<'_, Lorenz, 3>,
    ProblemRun<'_, Arenstorf, 4>,
    ProblemRun<'_, Pleiades, 28>,
) {
    let (reference, info) = lorenz_reference();
    eprintln!("lorenz: reference {}", info["description"]);
    let lorenz = ProblemRun {
        name: "lorenz",
        sys: Lorenz::default(),
        span: (0.0, LORENZ_T_END),
        y0: LORENZ_Y0,
        reference,
        reference_info: info,
        description: "Lorenz 1963, sigma=10, rho=28, beta=8/3, y0=(-8,8,27) (HNW I)",
        cfg,
    };
    let arenstorf = ProblemRun {
        name: "arenstorf",
        sys: Arenstorf::default(),
        span: (0.0, ARENSTORF_PERIOD),
        y0: ARENSTORF_Y0,
        reference: ARENSTORF_Y0.to_vec(),
        reference_info: json!({"kind": "exact",
            "description": "the orbit is periodic: y(T) = y(0) (HNW I, Sec. II.0, eq. (0.2))",
            "disagreement": 1e-16}),
        description: "Arenstorf orbit, one period T = 17.0652165601579625588917206249",
        cfg,
    };
    let pleiades = ProblemRun {
        name: "pleiades",
        sys: Pleiades::default(),
        span: (0.0, 3.0),
        y0: PLEIADES_Y0,
        reference: PLEIADES_REFERENCE_T3.to_vec(),
        reference_info: json!({"kind": "published",
            "description": "Bari test set for IVP solvers (Mazzia & Magherini, rel. 2.4), \
                problem PLEI, reference solution at t = 3 given to 16 digits",
            "disagreement": 1e-15}),
        description: "Pleiades, seven bodies in the plane (HNW I, Sec. II.10)",
        cfg,
    };
    (lorenz, arenstorf, pleiades)
}

impl<S: OdeSystem + Copy, const N: usize> ProblemRun<'_, S, N> {
    fn info(&self) -> Value {
        json!({"name": self.name, "dim": N, "t_span": [self.span.0, self.span.1],
            "y0": self.y0.to_vec(), "reference": with_y_ref(&self.reference_info, &self.reference),
            "description": self.description})
    }
}

/// Appends the samples of `new` to the matching record of `acc` (same problem, solver, rtol).
fn merge_into(acc: &mut Vec<Value>, new: Vec<Value>) {
    for rec in new {
        let key = |r: &Value| (r["problem"].clone(), r["solver"].clone(), r["rtol"].clone());
        match acc.iter_mut().find(|r| key(r) == key(&rec)) {
            Some(old) => {
                for field in ["time_samples_s", "cpu_samples_s", "reps_per_sample"] {
                    if let (Some(a), Some(b)) = (old[field].as_array_mut(), rec[field].as_array()) {
                        a.extend(b.iter().cloned());
                    }
                }
            }
            None => acc.push(rec),
        }
    }
}

fn as_f64s(v: &Value) -> Vec<f64> {
    v.as_array()
        .map(|a| a.iter().filter_map(Value::as_f64).collect())
        .unwrap_or_default()
}

fn problems_run(cfg: &Config, only: Option<&str>) -> Value {
    let want = |n: &str| only.is_none_or(|o| o == n);
    let (lorenz, arenstorf, pleiades) = problem_list(cfg);
    let mut results: Vec<Value> = Vec::new();
    let mut f_samples: std::collections::BTreeMap<&str, FSamples> = Default::default();
    for pass in 0..cfg.passes {
        eprintln!("== pass {} of {}", pass + 1, cfg.passes);
        let mut collect = |name: &'static str, (r, f): (Vec<Value>, FSamples)| {
            merge_into(&mut results, r);
            let e = f_samples.entry(name).or_default();
            e.0.extend(f.0);
            e.1.extend(f.1);
            e.2.extend(f.2);
            e.3.extend(f.3);
        };
        if want("lorenz") {
            collect(lorenz.name, lorenz.run());
        }
        if want("arenstorf") {
            collect(arenstorf.name, arenstorf.run());
        }
        if want("pleiades") {
            collect(pleiades.name, pleiades.run());
        }
    }
    // Medians over the samples of all passes.
    for rec in results.iter_mut() {
        if rec.get("failed").is_some() {
            continue;
        }
        let wall = as_f64s(&rec["time_samples_s"]);
        let cpu = as_f64s(&rec["cpu_samples_s"]);
        rec["time_s"] = json!(median(&wall));
        rec["time_min_s"] = json!(wall.iter().copied().fold(f64::INFINITY, f64::min));
        rec["cpu_time_s"] = json!(median(&cpu));
    }
    // Overhead at the overhead tolerance.
    let mut overhead = Vec::new();
    for rec in results
        .iter()
        .filter(|r| r["rtol"].as_f64() == Some(OVERHEAD_TOL))
    {
        let Some((fw, fc, fwc, fcc)) = f_samples
            .get(rec["problem"].as_str().unwrap_or(""))
            .map(|(w, c, wc, cc)| (median(w), median(c), median(wc), median(cc)))
        else {
            continue;
        };
        let (Some(t), Some(tc), Some(nf)) = (
            rec["time_s"].as_f64(),
            rec["cpu_time_s"].as_f64(),
            rec["f_evals"].as_f64(),
        ) else {
            continue;
        };
        let (ratio, ratio_cpu) = (t / (nf * fw), tc / (nf * fc));
        let (ratio_chain, ratio_chain_cpu) = (t / (nf * fwc), tc / (nf * fcc));
        eprintln!(
            "  {:<9} {:<20} overhead at rtol={OVERHEAD_TOL:e}: {ratio:.2}x wall, {ratio_cpu:.2}x cpu; chained f: {ratio_chain:.2}x wall, {ratio_chain_cpu:.2}x cpu ({:.1} ns per f-eval, f alone {:.1} ns, chained {:.1} ns)",
            rec["problem"].as_str().unwrap_or(""),
            rec["solver"].as_str().unwrap_or(""),
            t / nf * 1e9,
            fw * 1e9,
            fwc * 1e9
        );
        overhead.push(json!({
            "problem": rec["problem"], "solver": rec["solver"], "library": rec["library"],
            "rtol": OVERHEAD_TOL, "solve_time_s": t, "solve_cpu_time_s": tc, "f_evals": nf,
            "f_eval_time_s": fw, "f_eval_cpu_time_s": fc,
            "ratio": ratio, "ratio_cpu": ratio_cpu, "time_per_f_eval_s": t / nf,
            "f_eval_chain_time_s": fwc, "f_eval_chain_cpu_time_s": fcc,
            "ratio_chain": ratio_chain, "ratio_chain_cpu": ratio_chain_cpu,
        }));
    }
    let mut problems = Vec::new();
    if want("lorenz") {
        problems.push(lorenz.info());
    }
    if want("arenstorf") {
        problems.push(arenstorf.info());
    }
    if want("pleiades") {
        problems.push(pleiades.info());
    }
    json!({
        "benchmark": "ai4de explicit ODE solvers, work-precision",
        "error_measure": "normwise relative max-norm error at t_end: max_i |y_i - ref_i| / max_i |ref_i|",
        "tolerances": "rtol = atol = 10^-k",
        "timing": format!("median of {} samples: {} passes over the whole sweep x {} samples per point and pass; a sample is a batch of back-to-back solves lasting >= {} ms (divided by the batch size); the solvers of one point are sampled round-robin", cfg.passes * cfg.samples, cfg.passes, cfg.samples, cfg.min_batch.as_millis()),
        "f_evals": "counted by a wrapper around the right-hand side in an untimed solve",
        "overhead_definition": "median solve time / (f_evals x median time of one f-evaluation alone, in a loop over 256 states along the trajectory), at rtol = atol = 1e-8",
        "overhead_chain_definition": "the same with f alone timed as a data-dependent chain over the same 256 states (input i+1 = state i+1 + z*output i with z = 0 hidden from the compiler: one n-component multiply-add per evaluation, and no overlap of consecutive evaluations)",
        "problems": problems,
        "results": results,
        "overhead": overhead,
    })
}

// ---------------------------------------------------------------------------------------------

fn usage() -> ! {
    eprintln!(
        "usage: ai4de-bench run [--quick] [--out FILE] [--passes N] [--samples N] [--min-batch-ms MS] [--problem NAME] [--solvers a,b]\n       \
         ai4de-bench reference\n       ai4de-bench golden [--peers] [--fine]\n       ai4de-bench loop PROBLEM SOLVER RTOL SECONDS\n       \
         ai4de-bench loopn PROBLEM SOLVER RTOL N"
    );
    std::process::exit(2)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("run") => {
            let mut cfg = Config {
                min_batch: Duration::from_millis(50),
                samples: 3,
                passes: 3,
                exponents: EXPONENTS.collect(),
                solvers: Solver::all(),
            };
            let mut out = None;
            let mut only = None;
            let mut it = args[1..].iter();
            while let Some(a) = it.next() {
                match a.as_str() {
                    "--quick" => {
                        cfg.min_batch = Duration::from_millis(10);
                        cfg.samples = 3;
                        cfg.passes = 1;
                        cfg.exponents = vec![3, 6, 8, 10];
                    }
                    "--out" => out = Some(it.next().unwrap_or_else(|| usage()).clone()),
                    "--passes" => {
                        cfg.passes = it
                            .next()
                            .and_then(|s| s.parse().ok())
                            .unwrap_or_else(|| usage())
                    }
                    "--samples" => {
                        cfg.samples = it
                            .next()
                            .and_then(|s| s.parse().ok())
                            .unwrap_or_else(|| usage())
                    }
                    "--min-batch-ms" => {
                        cfg.min_batch = Duration::from_millis(
                            it.next()
                                .and_then(|s| s.parse().ok())
                                .unwrap_or_else(|| usage()),
                        )
                    }
                    "--problem" => only = Some(it.next().unwrap_or_else(|| usage()).clone()),
                    "--solvers" => {
                        cfg.solvers = it
                            .next()
                            .unwrap_or_else(|| usage())
                            .split(',')
                            .map(|s| Solver::parse(s).unwrap_or_else(|| usage()))
                            .collect()
                    }
                    _ => usage(),
                }
            }
            let t = Instant::now();
            let v = problems_run(&cfg, only.as_deref());
            eprintln!("total {:.1} s", t.elapsed().as_secs_f64());
            let text = serde_json::to_string_pretty(&v).expect("json");
            match out {
                Some(p) => std::fs::write(&p, text + "\n").expect("write JSON"),
                None => println!("{text}"),
            }
        }
        Some("reference") => reference_diagnostics(),
        Some("golden") if args[1..].iter().all(|a| a == "--peers" || a == "--fine") => golden(
            args.iter().any(|a| a == "--peers"),
            args.iter().any(|a| a == "--fine"),
        ),
        Some(cmd @ ("loop" | "loopn")) if args.len() == 5 => {
            let solver = Solver::parse(&args[2]).unwrap_or_else(|| usage());
            let rtol: f64 = args[3].parse().unwrap_or_else(|_| usage());
            // `loop`: for SECONDS of wall time; `loopn`: exactly N solves (for instruction counts).
            let (secs, reps) = if cmd == "loop" {
                (args[4].parse().unwrap_or_else(|_| usage()), usize::MAX)
            } else {
                (f64::INFINITY, args[4].parse().unwrap_or_else(|_| usage()))
            };
            let t = Instant::now();
            let c0 = thread_cpu_time();
            let mut n = 0usize;
            while n < reps && t.elapsed().as_secs_f64() < secs {
                match args[1].as_str() {
                    "lorenz" => {
                        black_box(
                            solve(
                                solver,
                                &Lorenz::default(),
                                (0.0, LORENZ_T_END),
                                &LORENZ_Y0,
                                rtol,
                                rtol,
                            )
                            .map(|o| o.y)
                            .ok(),
                        );
                    }
                    "arenstorf" => {
                        black_box(
                            solve(
                                solver,
                                &Arenstorf::default(),
                                (0.0, ARENSTORF_PERIOD),
                                &ARENSTORF_Y0,
                                rtol,
                                rtol,
                            )
                            .map(|o| o.y)
                            .ok(),
                        );
                    }
                    "pleiades" => {
                        black_box(
                            solve(
                                solver,
                                &Pleiades::default(),
                                (0.0, 3.0),
                                &PLEIADES_Y0,
                                rtol,
                                rtol,
                            )
                            .map(|o| o.y)
                            .ok(),
                        );
                    }
                    _ => usage(),
                }
                n += 1;
            }
            eprintln!(
                "{n} solves, wall {:.3e} s, cpu {:.3e} s each",
                t.elapsed().as_secs_f64() / n as f64,
                (thread_cpu_time() - c0) / n as f64
            );
        }
        _ => usage(),
    }
}

/// Prints how far the two-method Lorenz reference can be trusted for several end times.
fn reference_diagnostics() {
    let sys = Lorenz::default();
    for t_end in [1.0, 2.0, 3.0, 5.0, 7.0, 10.0, 15.0, 20.0] {
        let span = (0.0, t_end);
        match two_method_reference(
            &sys,
            span,
            &LORENZ_Y0,
            &[],
            &ReferenceOptions {
                agreement: 1.0,
                ..Default::default()
            },
        ) {
            Ok(r) => {
                let os = solve(Solver::OsDop853, &sys, span, &LORENZ_Y0, 1e-14, 1e-14).unwrap();
                println!(
                    "t_end = {t_end:>4}: {} vs {} disagreement {:.2e}; ode_solvers dop853 vs ref {:.2e}; y = {:?}",
                    r.methods[0],
                    r.methods[1],
                    r.disagreement,
                    rel_inf_diff(&os.y, r.final_state()),
                    r.final_state()
                );
            }
            Err(e) => println!("t_end = {t_end}: {e}"),
        }
    }
    let s = Solve::new(
        &Arenstorf::default(),
        (0.0, ARENSTORF_PERIOD),
        &ARENSTORF_Y0,
    )
    .method(Method::Vern9)
    .rtol(1e-14)
    .atol(1e-14)
    .save_at(SaveAt::Final)
    .max_steps(10_000_000)
    .run()
    .unwrap();
    println!(
        "arenstorf vern9 1e-14 error vs y0: {:.2e}",
        rel_inf_diff(s.y_final(), &ARENSTORF_Y0)
    );
    let s = Solve::new(&Pleiades::default(), (0.0, 3.0), &PLEIADES_Y0)
        .method(Method::Vern9)
        .rtol(1e-14)
        .atol(1e-14)
        .save_at(SaveAt::Final)
        .max_steps(10_000_000)
        .run()
        .unwrap();
    println!(
        "pleiades vern9 1e-14 error vs Bari: {:.2e}",
        rel_inf_diff(s.y_final(), &PLEIADES_REFERENCE_T3)
    );
}

/// Prints, for every ai4de method, problem and tolerance of the sweep, the statistics, the error
/// against the reference and the exact bits of the final state (FNV-1a hash of the `f64` bit
/// patterns): two builds that print the same lines take the same steps and compute the same
/// numbers, bit for bit. For checking that a change meant to make the solver cheaper does not
/// change its results, and for comparing step counts and errors of a change that does.
fn golden(peers: bool, fine: bool) {
    fn lines<S: OdeSystem + Copy, const N: usize>(
        p: &ProblemRun<'_, S, N>,
        peers: bool,
        fine: bool,
    ) {
        let mut solvers: Vec<Solver> = AI4DE_METHODS.iter().map(|&m| Solver::Ai4de(m)).collect();
        if peers {
            solvers.extend([Solver::OsDopri5, Solver::OsDop853]);
        }
        for &solver in &solvers {
            let m = match solver {
                Solver::Ai4de(m) => m.to_string(),
                other => other.name(),
            };
            // `--fine`: four tolerances per decade (the labels then give -k/4)
            let (steps, div) = if fine {
                (EXPONENTS.start() * 4..=EXPONENTS.end() * 4, 4.0)
            } else {
                (EXPONENTS, 1.0)
            };
            for k in steps {
                let tol = 10f64.powf(-f64::from(k) / div);
                let k = if fine {
                    format!("{}", f64::from(k) / div)
                } else {
                    k.to_string()
                };
                match solve(solver, &p.sys, p.span, &p.y0, tol, tol) {
                    Ok(o) => {
                        let mut h: u64 = 0xcbf29ce484222325;
                        for v in &o.y {
                            for b in v.to_bits().to_le_bytes() {
                                h = (h ^ u64::from(b)).wrapping_mul(0x100000001b3);
                            }
                        }
                        let (acc, rej) = o.steps.unwrap_or((0, 0));
                        println!(
                            "{} {m} 1e-{k} f_evals={} accepted={acc} rejected={rej} err={:.3e} y_bits={h:016x}",
                            p.name,
                            o.own_f_evals.unwrap_or(0),
                            rel_inf_diff(&o.y, &p.reference)
                        );
                    }
                    Err(e) => println!("{} {m} 1e-{k} error: {e}", p.name),
                }
            }
        }
    }
    let cfg = Config {
        min_batch: Duration::from_millis(1),
        samples: 1,
        passes: 1,
        exponents: EXPONENTS.collect(),
        solvers: Vec::new(),
    };
    let (lorenz, arenstorf, pleiades) = problem_list(&cfg);
    lines(&lorenz, peers, fine);
    lines(&arenstorf, peers, fine);
    lines(&pleiades, peers, fine);
}
