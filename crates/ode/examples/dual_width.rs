//! Why [`ai4de_ode::jacobian::JacDual`] is `Dual64`: the cost of a coloured (and of a dense)
//! dual-number Jacobian with one derivative direction per number against `num-dual`'s vector duals
//! `DualSVec64<4 | 8 | 16>` (several columns per right-hand-side call).
//!
//! `cargo run -p ai4de-ode --release --features dual-width-bench --example dual_width`
//! (the feature turns on `num-dual`'s `nalgebra` support, which the library does not need).
//! Timings are the best of repeated runs; nothing is asserted.

#[path = "../tests/common/brusselator.rs"]
mod brusselator;

use std::time::{Duration, Instant};

use ai4de_ode::sparsity::ColumnColouring;
use ai4de_ode::OdeSystem;
use brusselator::Brusselator;
use num_dual::{Dual64, DualSVec64, DualVec};

/// Best wall time of `f` over `reps` runs (after one warm-up run).
fn best(reps: usize, mut f: impl FnMut()) -> Duration {
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

/// A coloured dual-number Jacobian with `L` lanes (the values are discarded: timing only).
fn dual_jacobian_svec<const L: usize>(b: &Brusselator, y: &[f64], col: &ColumnColouring) -> f64 {
    let n = y.len();
    let mut yd: Vec<DualSVec64<L>> = y.iter().map(|&v| DualVec::from_re(v)).collect();
    let mut dy = yd.clone();
    let mut acc = 0.0;
    let mut first = 0;
    while first < col.n_colours() {
        let last = (first + L).min(col.n_colours());
        for (i, v) in yd.iter_mut().enumerate() {
            *v = DualVec::from_re(y[i]);
        }
        for (lane, c) in (first..last).enumerate() {
            for &j in col.group(c) {
                yd[j] = DualSVec64::<L>::from_re(y[j]).derivative(lane);
            }
        }
        b.f(&yd, &mut dy);
        acc += dy[n / 2].eps.0.as_ref().map_or(0.0, |v| v[0]);
        first = last;
    }
    acc
}

fn dual_jacobian_scalar(b: &Brusselator, y: &[f64], col: &ColumnColouring) -> f64 {
    let n = y.len();
    let mut yd: Vec<Dual64> = y.iter().map(|&v| Dual64::from_re(v)).collect();
    let mut dy = yd.clone();
    let mut acc = 0.0;
    for c in 0..col.n_colours() {
        for &j in col.group(c) {
            yd[j].eps = 1.0;
        }
        b.f(&yd, &mut dy);
        acc += dy[n / 2].eps;
        for &j in col.group(c) {
            yd[j].eps = 0.0;
        }
    }
    acc
}

fn main() {
    let b = Brusselator::new(32);
    let y = b.initial();
    let col = b.true_pattern().colour_columns();
    let mut sink = 0.0;
    let t1 = best(201, || sink += dual_jacobian_scalar(&b, &y, &col));
    let t4 = best(201, || sink += dual_jacobian_svec::<4>(&b, &y, &col));
    let t8 = best(201, || sink += dual_jacobian_svec::<8>(&b, &y, &col));
    let t16 = best(201, || sink += dual_jacobian_svec::<16>(&b, &y, &col));
    println!(
        "coloured dual Jacobian ({} colours): Dual64 {:.3} ms, DualSVec64<4> {:.3} ms, <8> {:.3} ms, <16> {:.3} ms",
        col.n_colours(),
        ms(t1),
        ms(t4),
        ms(t8),
        ms(t16)
    );
    // dense (uncoloured) columns of a small grid: n columns through the lanes
    let small = Brusselator::new(5);
    let ys = small.initial();
    let triv = ColumnColouring::trivial(small.dim());
    let t1 = best(501, || sink += dual_jacobian_scalar(&small, &ys, &triv));
    let t4 = best(501, || sink += dual_jacobian_svec::<4>(&small, &ys, &triv));
    let t8 = best(501, || sink += dual_jacobian_svec::<8>(&small, &ys, &triv));
    let t16 = best(501, || sink += dual_jacobian_svec::<16>(&small, &ys, &triv));
    println!(
        "dense dual Jacobian (n = {}): Dual64 {:.4} ms, DualSVec64<4> {:.4} ms, <8> {:.4} ms, <16> {:.4} ms  [{sink:.1e}]",
        small.dim(),
        ms(t1),
        ms(t4),
        ms(t8),
        ms(t16)
    );
}
