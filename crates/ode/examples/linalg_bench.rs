//! Micro benchmark of the stiff linear-algebra layer on the 2-D Brusselator, 32 × 32 periodic
//! grid, n = 2048: Jacobian by coloured finite differences / dual numbers / analytic, dense vs
//! sparse LU (factorise + solve). The dual-number width is measured by `examples/dual_width.rs`.
//!
//! `cargo run -p ai4de-ode --release --example linalg_bench [N]` (grid size N, default 32).
//! Timings are the best of repeated runs on whatever machine runs it; nothing is asserted.

#[path = "../tests/common/brusselator.rs"]
mod brusselator;

use std::time::{Duration, Instant};

use ai4de_ode::jacobian::{
    Jacobian, JacobianEvaluator, JacobianOptions, JacobianSource, JacobianStorage,
};
use ai4de_ode::linalg::{LinearSolver, SparseLuKind};
use ai4de_ode::sparsity::SparsityPattern;
use ai4de_ode::{OdeSystem, Stats};
use brusselator::Brusselator;

/// Best wall time of `f` over `reps` runs (after one warm-up run): on a shared machine the
/// minimum is the most reproducible estimate of the undisturbed cost.
fn median(reps: usize, mut f: impl FnMut()) -> Duration {
    f();
    (0..reps)
        .map(|_| {
            let s = Instant::now();
            f();
            s.elapsed()
        })
        .min()
        .expect("reps > 0")
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn main() {
    let grid: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(32);
    let b = Brusselator::new(grid);
    let n = b.dim();
    let y = b.initial();
    let mut f0 = vec![0.0; n];
    b.rhs(0.0, &y, &mut f0);
    println!(
        "2-D Brusselator {grid} x {grid}: n = {n}, nnz(J) = {}",
        b.true_pattern().nnz()
    );

    // --- Jacobians ---
    let mut jacs = Vec::new();
    for (source, storage) in [
        (JacobianSource::Analytic, JacobianStorage::Sparse),
        (JacobianSource::Dual, JacobianStorage::Sparse),
        (JacobianSource::FiniteDifference, JacobianStorage::Sparse),
    ] {
        let o = JacobianOptions {
            source: Some(source),
            storage,
            ..Default::default()
        };
        let mut ev = JacobianEvaluator::new(&b, &o).unwrap();
        let mut stats = Stats::default();
        ev.evaluate(&b, 0.0, &y, &f0, &mut stats).unwrap();
        let evals = stats.f_evals;
        let t = median(21, || ev.evaluate(&b, 0.0, &y, &f0, &mut stats).unwrap());
        println!(
            "jacobian {source:?}: {:.3} ms, {evals} rhs calls ({} colours; uncoloured FD would take {n})",
            ms(t),
            ev.colouring().n_colours()
        );
        jacs.push(ev.jacobian().clone());
    }
    let t_rhs = median(101, || b.rhs(0.0, &y, &mut f0));
    println!("one rhs evaluation: {:.4} ms", ms(t_rhs));

    // --- LU: W = c·I − J ---
    let jac = &jacs[0];
    let dense_jac = Jacobian::Dense(jac.to_dense());
    let c = 1.0 / (0.25 * 1e-3);
    let mut stats = Stats::default();
    let mut x = f0.clone();
    let mut t_sparse = Vec::new();
    for kind in [SparseLuKind::Simplicial, SparseLuKind::Supernodal] {
        let pattern = b.true_pattern();
        let mut lin = LinearSolver::<f64>::sparse_with(pattern, None, kind).unwrap();
        let t_setup = median(5, || {
            lin = LinearSolver::<f64>::sparse_with(pattern, None, kind).unwrap();
        });
        let t_f = median(21, || lin.factorize(0.0, c, jac, &mut stats).unwrap());
        let t_s = median(101, || {
            x.copy_from_slice(&f0);
            lin.solve_in_place(&mut x, &mut stats)
        });
        let (w_nnz, lu_nnz) = lin.nnz();
        println!(
            "sparse LU {kind:?}: setup {:.3} ms, factorize {:.3} ms, solve {:.4} ms; nnz(W) = {w_nnz}, nnz(L+U) = {}",
            ms(t_setup),
            ms(t_f),
            ms(t_s),
            lu_nnz.map_or("-".to_string(), |v| v.to_string())
        );
        t_sparse.push((t_f, t_s));
    }
    println!(
        "sparse LU Auto picks {:?}",
        LinearSolver::<f64>::new(jac, None).unwrap().kind()
    );
    let mut dense = LinearSolver::<f64>::new(&dense_jac, None).unwrap();
    let reps = if n > 1000 { 5 } else { 21 };
    let t_df = median(reps, || {
        dense.factorize(0.0, c, &dense_jac, &mut stats).unwrap()
    });
    let t_ds = median(21, || {
        x.copy_from_slice(&f0);
        dense.solve_in_place(&mut x, &mut stats)
    });
    println!(
        "dense LU (partial pivoting, sequential): factorize {:.3} ms, solve {:.4} ms",
        ms(t_df),
        ms(t_ds)
    );
    let (t_sf, t_ss) = t_sparse[1];
    println!(
        "dense / supernodal sparse: factorize {:.0}x, solve {:.0}x",
        t_df.as_secs_f64() / t_sf.as_secs_f64(),
        t_ds.as_secs_f64() / t_ss.as_secs_f64()
    );
    let mut complex = LinearSolver::<faer::c64>::new(jac, None).unwrap();
    let cc = faer::c64::new(2.68, 3.05) / 1e-3;
    let t_cf = median(21, || complex.factorize(0.0, cc, jac, &mut stats).unwrap());
    println!(
        "sparse complex LU (Radau block, {:?}): factorize {:.3} ms",
        complex.kind(),
        ms(t_cf)
    );

    // --- a 1-D problem: pentadiagonal W of the same size ---
    let band = SparsityPattern::banded(n, 2, 2);
    let values: Vec<f64> = band
        .entries()
        .map(|(i, j)| {
            if i == j {
                -4.0
            } else {
                1.0 / (1 + i.abs_diff(j)) as f64
            }
        })
        .collect();
    let bj = Jacobian::Sparse {
        pattern: band.clone(),
        values,
    };
    for kind in [SparseLuKind::Simplicial, SparseLuKind::Supernodal] {
        let mut lin = LinearSolver::<f64>::sparse_with(&band, None, kind).unwrap();
        let t_f = median(21, || lin.factorize(0.0, c, &bj, &mut stats).unwrap());
        let t_s = median(101, || {
            x.copy_from_slice(&f0);
            lin.solve_in_place(&mut x, &mut stats)
        });
        println!(
            "pentadiagonal n = {n}, sparse LU {kind:?}: factorize {:.3} ms, solve {:.4} ms",
            ms(t_f),
            ms(t_s)
        );
    }
    println!(
        "pentadiagonal: Auto picks {:?}",
        LinearSolver::<f64>::new(&bj, None).unwrap().kind()
    );
}
