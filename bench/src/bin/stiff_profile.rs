//! One stiff solve repeated, for profilers (`perf record`, `perf stat`): the hot loop of
//! `bench/src/bin/stiff.rs` without the harness around it.
//!
//! Usage: `stiff_profile PROBLEM METHOD RTOL [REPS] [ATOL_FACTOR] [T_END]` (method names as on the
//! command line of `ai4de solve`: `rodas5p`, `bdf`, `radau5`, ...; `bdf+gmres`, `ndf+gmres` for the
//! Newton–Krylov solver with the problem's preconditioner). Prints the solver's
//! counters, the error against the problem's published reference (when it has one) and the
//! process CPU time per solve. `T_END` overrides the problem's end time (the stiff benchmark
//! runs `bruss2d` to t = 1); when the problem's published reference is not at that time, the
//! error is against ai4de's Radau5 at rtol = atol = 1e-12 (as the benchmark's reference), or
//! against the method and tolerance in `STIFF_PROFILE_REF` (e.g. `radau5:1e-14`, `bdf+gmres:1e-13`;
//! `none` skips it, e.g. under valgrind). Krylov counters (linear iterations, preconditioner set-ups
//! and solves) follow the Newton ones.

use ai4de_ode::krylov::{GmresOptions, LinearSolverChoice};
use ai4de_ode::problems::{self, Reference};
use ai4de_ode::{Method, SaveAt, Solve};
use ai4de_testkit::rel_inf_diff;

fn cpu_now() -> f64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes into the timespec we own.
    unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut ts) };
    ts.tv_sec as f64 + ts.tv_nsec as f64 * 1e-9
}

fn main() {
    let a: Vec<String> = std::env::args().collect();
    if a.len() < 4 {
        eprintln!("usage: stiff_profile PROBLEM METHOD RTOL [REPS] [ATOL_FACTOR] [T_END]");
        std::process::exit(2);
    }
    let p = problems::get(&a[1]).expect("unknown problem");
    let (name, gmres) = match a[2].strip_suffix("+gmres") {
        Some(n) => (n, true),
        None => (a[2].as_str(), false),
    };
    let m: Method = name.parse().expect("unknown method");
    let lin = if gmres {
        LinearSolverChoice::Gmres(GmresOptions::default())
    } else {
        LinearSolverChoice::Direct
    };
    let rtol: f64 = a[3].parse().expect("rtol");
    let reps: usize = a.get(4).map_or(1000, |s| s.parse().expect("reps"));
    let atol = rtol
        * a.get(5)
            .map_or(1.0, |s| s.parse::<f64>().expect("atol factor"));
    let t_end = a
        .get(6)
        .map_or(p.t_end, |s| s.parse::<f64>().expect("t_end"));
    let run = || {
        Solve::new(&p, (p.t0, t_end), &p.y0)
            .method(m)
            .linear_solver(lin.clone())
            .rtol(rtol)
            .atol(atol)
            .max_steps(50_000_000)
            .save_at(SaveAt::Final)
            .run()
            .expect("solve")
    };
    let sol = run();
    let c0 = cpu_now();
    for _ in 0..reps {
        std::hint::black_box(run());
    }
    let cpu = (cpu_now() - c0) / reps as f64;
    let st = &sol.stats;
    let err = match p.reference() {
        Reference::Final { t, y, .. } if *t == t_end => rel_inf_diff(sol.y_final(), y),
        _ if std::env::var("STIFF_PROFILE_REF").as_deref() == Ok("none") => f64::NAN,
        _ => {
            let spec = std::env::var("STIFF_PROFILE_REF").unwrap_or_else(|_| "radau5:1e-12".into());
            let (rm, rt) = spec.split_once(':').expect("STIFF_PROFILE_REF: METHOD:TOL");
            let (rm, rg) = match rm.strip_suffix("+gmres") {
                Some(n) => (n, true),
                None => (rm, false),
            };
            let rtol_ref: f64 = rt.parse().expect("STIFF_PROFILE_REF tolerance");
            let t0 = std::time::Instant::now();
            let r = Solve::new(&p, (p.t0, t_end), &p.y0)
                .method(rm.parse().expect("STIFF_PROFILE_REF method"))
                .linear_solver(if rg {
                    LinearSolverChoice::Gmres(GmresOptions::default())
                } else {
                    LinearSolverChoice::Direct
                })
                .rtol(rtol_ref)
                .atol(rtol_ref)
                .max_steps(50_000_000)
                .save_at(SaveAt::Final)
                .run()
                .expect("reference solve");
            eprintln!(
                "reference {spec}: {:.2} s, {} steps",
                t0.elapsed().as_secs_f64(),
                r.stats.steps
            );
            rel_inf_diff(sol.y_final(), r.y_final())
        }
    };
    println!(
        "{} {m:?} rtol {rtol:e}: err {err:.3e}  cpu {:.2} us/solve  steps {} (rej {}) f {} J {} LU {} solves {} Newton {} (fail {}) lin {} prec setup {} solve {}",
        p.name,
        cpu * 1e6,
        st.steps,
        st.rejected,
        st.f_evals,
        st.jac_evals,
        st.lu_decomps,
        st.lin_solves,
        st.newton_iters,
        st.newton_failures,
        st.lin_iters,
        st.prec_setups,
        st.prec_solves
    );
}
