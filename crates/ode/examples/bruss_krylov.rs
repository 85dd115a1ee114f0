//! 2-D Brusselator with BDF: sparse LU against preconditioned GMRES ([`ai4de_ode::krylov`]);
//! prints the difference of the final states, the work counters and the wall time.
//!
//! `cargo run -p ai4de-ode --release --example bruss_krylov -- 32 [t_end]`
use std::time::Instant;

use ai4de_ode::krylov::{GmresOptions, LinearSolverChoice};
use ai4de_ode::problems::Brusselator2d;
use ai4de_ode::{Method, SaveAt, Solve};

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(32);
    let t_end: f64 = std::env::args()
        .nth(2)
        .and_then(|s| s.parse().ok())
        .unwrap_or(1.0);
    let direct = std::env::args().nth(3).is_none_or(|s| s != "nodirect");
    let sys = Brusselator2d::new(n);
    let y0 = sys.initial_state();
    for e in [4, 6, 8] {
        let tol = 10f64.powi(-e);
        let mut finals = Vec::new();
        for lin in [
            LinearSolverChoice::Gmres(GmresOptions::default()),
            LinearSolverChoice::Direct,
        ] {
            if !direct && lin == LinearSolverChoice::Direct {
                continue;
            }
            let t = Instant::now();
            let sol = Solve::new(&sys, (0.0, t_end), &y0)
                .method(Method::Bdf)
                .linear_solver(lin)
                .rtol(tol)
                .atol(tol)
                .save_at(SaveAt::Final)
                .run()
                .unwrap();
            let dt = t.elapsed().as_secs_f64();
            let gm = matches!(lin, LinearSolverChoice::Gmres(_));
            println!(
                "{} tol {tol:e}: {:.1} ms  {:?}",
                if gm { "gmres " } else { "direct" },
                dt * 1e3,
                sol.stats
            );
            finals.push(sol.y_final().to_vec());
        }
        if finals.len() == 2 {
            let d = finals[0]
                .iter()
                .zip(&finals[1])
                .map(|(a, b)| (a - b).abs())
                .fold(0.0, f64::max);
            println!("  max |gmres - direct| = {d:.2e}");
        }
    }
}
