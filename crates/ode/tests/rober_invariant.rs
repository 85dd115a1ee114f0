//! ROBER declares its mass balance `y1 + y2 + y3 = 1` as a linear invariant
//! ([`OdeSystem::linear_invariants`]): every stiff method keeps it to rounding over the Test
//! Set's whole interval `[0, 10¹¹]` at every step and still matches the published reference,
//! and the Rosenbrock methods' projection onto it (weighted by the error scale) does not cost
//! the small component `y2` (≤ 3.7·10⁻⁵) its relative accuracy.

use ai4de_ode::jacobian::JacDual;
use ai4de_ode::problems::{self, Robertson, ROBER_INVARIANT, ROBER_REFERENCE_T1E11, ROBER_Y0};
use ai4de_ode::{Method, OdeSystem, SaveAt, Solve};

/// Robertson's kinetics without the invariant declaration (everything else forwarded).
struct Undeclared(Robertson);

impl OdeSystem for Undeclared {
    fn dim(&self) -> usize {
        3
    }
    fn rhs(&self, t: f64, y: &[f64], dy: &mut [f64]) {
        self.0.rhs(t, y, dy)
    }
    fn jacobian(&self, t: f64, y: &[f64], jac: faer::MatMut<'_, f64>) -> bool {
        self.0.jacobian(t, y, jac)
    }
    fn rhs_dual(&self, t: JacDual, y: &[JacDual], dy: &mut [JacDual]) -> bool {
        self.0.rhs_dual(t, y, dy)
    }
    fn is_autonomous(&self) -> bool {
        true
    }
}

#[test]
fn rober_keeps_its_mass_balance() {
    let p = problems::get("rober").unwrap();
    assert_eq!(p.linear_invariants(), Some(&ROBER_INVARIANT[..]));
    assert!(Undeclared(Robertson::default())
        .linear_invariants()
        .is_none());
    for method in [
        Method::Rodas5P,
        Method::Rodas4,
        Method::Rosenbrock23,
        Method::Radau5,
        Method::Bdf,
        Method::Ndf,
    ] {
        for rtol in [1e-4, 1e-8] {
            let sol = Solve::new(&p, (p.t0, p.t_end), &p.y0)
                .method(method)
                .rtol(rtol)
                .atol(rtol * 1e-4)
                .max_steps(1_000_000)
                .run()
                .unwrap();
            let worst = sol
                .rows()
                .map(|y| (y.iter().sum::<f64>() - 1.0).abs())
                .fold(0.0, f64::max);
            let y = sol.y_final();
            let err3 = (y[2] - ROBER_REFERENCE_T1E11[2]).abs();
            println!(
                "{method:?} rtol {rtol:e}: max |y1+y2+y3-1| = {worst:.1e} over {} steps, y3 error {err3:.1e}",
                sol.len()
            );
            // ~1e-16 per step, a few thousand steps at most
            assert!(worst < 1e-13, "{method:?} {rtol:e}: {worst:e}");
            assert!(
                err3 < 1e3 * rtol * 1e-4 + 1e-12,
                "{method:?} {rtol:e}: {err3:e}"
            );
        }
    }
}

/// `y2` at `t = 10⁻³ … 10¹¹` (decades): relative error with the projection against without,
/// both against Radau5 at `rtol = 10⁻¹²` (which conserves the invariant without projecting).
/// The projection must not make `y2` worse; with a Euclidean projection it did (the correction
/// `δ = (r/3)(1, 1, 1)` moves `y2 ~ 10⁻¹³…10⁻⁵` by as much as `y1`, `y3 ~ 1`).
#[test]
fn projection_keeps_the_accuracy_of_y2() {
    let p = problems::get("rober").unwrap();
    let bare = Undeclared(Robertson::default());
    let times: Vec<f64> = (-3..=11).map(|e| 10f64.powi(e)).collect();
    let solve = |sys: &dyn OdeSystem, method: Method, rtol: f64, atol: f64| {
        Solve::new(sys, (0.0, 1e11), &ROBER_Y0)
            .method(method)
            .rtol(rtol)
            .atol(atol)
            .max_steps(1_000_000)
            .save_at(SaveAt::Times(times.clone()))
            .run()
            .unwrap_or_else(|e| panic!("{method}: {e}"))
    };
    let reference = solve(&bare, Method::Radau5, 1e-12, 1e-20);
    // the reference itself against the Test Set at t = 1e11
    let yr = reference.y_final();
    for i in 0..3 {
        let d = (yr[i] - ROBER_REFERENCE_T1E11[i]).abs() / ROBER_REFERENCE_T1E11[i];
        assert!(d < 1e-8, "reference y{}: {d:e}", i + 1);
    }
    let y2_error = |sol: &ai4de_ode::Solution| -> f64 {
        (0..times.len())
            .map(|k| {
                let (a, r) = (sol.row(k)[1], reference.row(k)[1]);
                (a - r).abs() / r.abs()
            })
            .fold(0.0, f64::max)
    };
    for method in [Method::Rodas5P, Method::Rodas4, Method::Rosenbrock23] {
        for (rtol, atol) in [(1e-6, 1e-12), (1e-8, 1e-14), (1e-10, 1e-16)] {
            if method == Method::Rosenbrock23 && rtol < 1e-8 {
                continue;
            }
            let with = solve(&p, method, rtol, atol);
            let without = solve(&bare, method, rtol, atol);
            let (ew, eo) = (y2_error(&with), y2_error(&without));
            let mass = with
                .rows()
                .map(|y| (y.iter().sum::<f64>() - 1.0).abs())
                .fold(0.0, f64::max);
            let mass_bare = without
                .rows()
                .map(|y| (y.iter().sum::<f64>() - 1.0).abs())
                .fold(0.0, f64::max);
            println!(
                "{method} rtol {rtol:e} atol {atol:e}: max rel. error of y2 {ew:.2e} projected, {eo:.2e} not; \
                 max |y1+y2+y3-1| {mass:.1e} projected, {mass_bare:.1e} not"
            );
            assert!(mass < 1e-13, "{method} {rtol:e}: {mass:e}");
            assert!(
                ew <= 1.5 * eo + 10.0 * rtol,
                "{method} {rtol:e}: y2 error {ew:e} projected vs {eo:e}"
            );
        }
    }
}
