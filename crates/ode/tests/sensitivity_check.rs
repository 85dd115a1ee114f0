//! The gradient check and the automatic choice of mode (issue 6).

use ai4de_ode::jacobian::{DualScalar, JacDual};
use ai4de_ode::problems;
use ai4de_ode::sensitivity::{
    check_params, gradient_check, CheckedMode, GradientCheckOptions, HyperDual64, LossGradient,
    ModeResult, ParametricSystem, SensitivityMode, SquaredError, TrajectoryLoss,
};
use ai4de_ode::{Method, OdeError, OdeSystem, SaveAt, Solve};

/// `y' = A y` with `p` = the entries of `A` (row-major), and hand-written VJPs
/// `(∂f/∂y)ᵀ w = Aᵀ w`, `(∂f/∂A_ij)ᵀ w = w_i y_j`. `wrong_vjp_p` scales the parameter VJP by
/// `1 + 1e-3` (a typical hand-coding slip); `wrong_dual` perturbs the dual right-hand side's
/// derivative in `A_00` (a wrong derivative that forward and adjoint share).
#[derive(Clone)]
struct Linear {
    n: usize,
    a: Vec<f64>,
    wrong_vjp_p: bool,
    wrong_dual: bool,
    with_vjp: bool,
}

impl Linear {
    fn new(n: usize) -> Self {
        // a damped rotation-like matrix: stable and oscillatory
        let mut a = vec![0.0; n * n];
        for i in 0..n {
            for j in 0..n {
                a[i * n + j] = if i == j {
                    -0.3
                } else {
                    0.7 * ((i * 7 + j * 3) as f64).sin() / (n as f64).sqrt()
                };
            }
        }
        Self {
            n,
            a,
            wrong_vjp_p: false,
            wrong_dual: false,
            with_vjp: true,
        }
    }
    fn f<T: DualScalar>(&self, y: &[T], a: &[T], dy: &mut [T]) {
        let n = self.n;
        for i in 0..n {
            let mut s = T::from(0.0);
            for j in 0..n {
                s += a[i * n + j] * y[j];
            }
            dy[i] = s;
        }
    }
}

impl OdeSystem for Linear {
    fn dim(&self) -> usize {
        self.n
    }
    fn rhs(&self, _t: f64, y: &[f64], dy: &mut [f64]) {
        self.f(y, &self.a, dy)
    }
    fn rhs_dual(&self, _t: JacDual, y: &[JacDual], dy: &mut [JacDual]) -> bool {
        let a: Vec<JacDual> = self.a.iter().map(|&v| JacDual::from(v)).collect();
        self.f(y, &a, dy);
        true
    }
    fn is_autonomous(&self) -> bool {
        true
    }
}

impl ParametricSystem for Linear {
    fn n_params(&self) -> usize {
        self.n * self.n
    }
    fn param_values(&self) -> Vec<f64> {
        self.a.clone()
    }
    fn set_params(&mut self, p: &[f64]) -> Result<(), OdeError> {
        check_params(p, self.n * self.n)?;
        self.a.copy_from_slice(p);
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
        if self.wrong_dual {
            dy[0].eps += 0.01 * p[0].eps * y[0].re;
        }
        true
    }
    fn rhs_params_hyperdual(
        &self,
        _t: HyperDual64,
        y: &[HyperDual64],
        p: &[HyperDual64],
        dy: &mut [HyperDual64],
    ) -> bool {
        self.f(y, p, dy);
        true
    }
    fn vjp_y(&self, _t: f64, _y: &[f64], w: &[f64], out: &mut [f64]) -> bool {
        if !self.with_vjp {
            return false;
        }
        let n = self.n;
        for (j, o) in out.iter_mut().enumerate() {
            *o = (0..n).map(|i| self.a[i * n + j] * w[i]).sum();
        }
        true
    }
    fn vjp_p(&self, _t: f64, y: &[f64], w: &[f64], out: &mut [f64]) -> bool {
        if !self.with_vjp {
            return false;
        }
        let n = self.n;
        let scale = if self.wrong_vjp_p { 1.0 + 1e-3 } else { 1.0 };
        for i in 0..n {
            for j in 0..n {
                out[i * n + j] = scale * w[i] * y[j];
            }
        }
        true
    }
}

/// Data: the system's own solution at a few times, scaled, so that residuals are not zero.
fn data_loss<S: OdeSystem>(sys: &S, y0: &[f64], times: &[f64], method: Method) -> SquaredError {
    let t_end = *times.last().unwrap();
    let sol = Solve::new(sys, (0.0, t_end), y0)
        .method(method)
        .rtol(1e-10)
        .atol(1e-12)
        .save_at(SaveAt::Times(times.to_vec()))
        .run()
        .unwrap();
    let data = sol.y.iter().map(|v| 0.9 * v - 0.02).collect();
    SquaredError::new(times.to_vec(), data, sys.dim()).unwrap()
}

#[test]
fn catalogue_gradients_pass_the_check() {
    for (name, t_end, method) in [
        ("lotka", 3.0, Method::Tsit5),
        ("fhn", 5.0, Method::Dop853),
        ("rober", 10.0, Method::Rodas5P),
    ] {
        let mut p = problems::get(name).unwrap();
        let y0 = p.y0.clone();
        let times = [t_end / 2.0, t_end];
        let loss = data_loss(&p, &y0, &times, method);
        let before = p.param_values();
        let report = gradient_check(
            &mut p,
            (0.0, t_end),
            &y0,
            &loss,
            &GradientCheckOptions {
                method,
                ..Default::default()
            },
        )
        .unwrap();
        println!("{name}:\n{report}");
        assert_eq!(p.param_values(), before, "{name}: parameters restored");
        assert!(report.passed, "{name}:\n{report}");
        assert!(report.gradient(CheckedMode::Forward).is_some());
        assert!(report.gradient(CheckedMode::ContinuousAdjoint).is_some());
        let discrete = report.gradient(CheckedMode::DiscreteAdjoint);
        assert_eq!(
            discrete.is_some(),
            method.explicit_tableau().is_some(),
            "{name}"
        );
        assert!(report.max_rel_error_between_modes() < 1e-6, "{name}");
        assert!(report.to_string().contains("PASSED"));
    }
}

#[test]
fn a_wrong_user_vjp_fails_the_check() {
    let mut sys = Linear::new(3);
    sys.wrong_vjp_p = true;
    let y0 = [1.0, -0.5, 0.25];
    let loss = data_loss(&sys, &y0, &[1.0, 2.0], Method::Tsit5);
    let report = gradient_check(&mut sys, (0.0, 2.0), &y0, &loss, &Default::default()).unwrap();
    println!("{report}");
    assert!(!report.passed, "{report}");
    assert!(report.to_string().contains("FAILED"));
    // forward mode (dual numbers) is right; both adjoints (user VJP) are 1e-3 off in dL/dA
    let fwd = report
        .modes
        .iter()
        .find(|m| m.mode == CheckedMode::Forward)
        .unwrap();
    assert!(fwd.rel_error_fd.iter().all(|&e| e < 1e-6), "{fwd:?}");
    for mode in [CheckedMode::ContinuousAdjoint, CheckedMode::DiscreteAdjoint] {
        let m = report.modes.iter().find(|m| m.mode == mode).unwrap();
        let worst = m.rel_error_reference[..9]
            .iter()
            .copied()
            .fold(0.0, f64::max);
        assert!((5e-4..2e-3).contains(&worst), "{mode}: {worst:e}");
        // dL/dy0 comes from vjp_y alone, which is right
        assert!(
            m.rel_error_reference[9..].iter().all(|&e| e < 1e-6),
            "{mode}"
        );
    }
    // the same system with the VJP fixed passes
    sys.wrong_vjp_p = false;
    let report = gradient_check(&mut sys, (0.0, 2.0), &y0, &loss, &Default::default()).unwrap();
    assert!(report.passed, "{report}");
}

#[test]
fn a_wrong_dual_rhs_is_caught_by_finite_differences() {
    // forward and adjoint share the wrong derivative (the adjoint's VJPs are off as well, so
    // use the dual-number VJPs): only the finite differences can tell.
    let mut sys = Linear::new(2);
    sys.wrong_dual = true;
    sys.with_vjp = false;
    let y0 = [1.0, 0.5];
    let loss = data_loss(&sys, &y0, &[1.5], Method::Tsit5);
    let report = gradient_check(&mut sys, (0.0, 1.5), &y0, &loss, &Default::default()).unwrap();
    println!("{report}");
    assert!(!report.passed);
    assert!(report.max_rel_error_between_modes() < 1e-6);
    assert!(report.max_rel_error_fd() > 1e-3);
}

#[test]
fn running_cost_gradient_check() {
    // L = ∫ (y0² + y1²) dt + a point loss at t = 1
    struct Energy(SquaredError);
    impl TrajectoryLoss for Energy {
        fn times(&self) -> &[f64] {
            self.0.times()
        }
        fn point(&self, i: usize, t: f64, y: &[f64], g: &mut [f64]) -> f64 {
            self.0.point(i, t, y, g)
        }
        fn has_running(&self) -> bool {
            true
        }
        fn running(
            &self,
            _t: f64,
            y: &[f64],
            _p: &[f64],
            g_y: &mut [f64],
            _g_p: &mut [f64],
        ) -> Option<f64> {
            g_y[0] = 2.0 * y[0];
            g_y[1] = 2.0 * y[1];
            Some(y[0] * y[0] + y[1] * y[1])
        }
    }
    let mut p = problems::get("vdp").unwrap();
    let y0 = p.y0.clone();
    let loss = Energy(data_loss(&p, &y0, &[1.0], Method::Tsit5));
    for method in [Method::Tsit5, Method::Rodas5P] {
        let report = gradient_check(
            &mut p,
            (0.0, 2.0),
            &y0,
            &loss,
            &GradientCheckOptions {
                method,
                ..Default::default()
            },
        )
        .unwrap();
        println!("{method:?}\n{report}");
        assert!(report.passed, "{report}");
        assert!(matches!(report.modes[2].result, ModeResult::Skipped(_)));
    }
}

#[test]
fn bad_input_is_an_error_not_a_panic() {
    let mut p = problems::get("lotka").unwrap();
    let y0 = p.y0.clone();
    let loss = data_loss(&p, &y0, &[1.0], Method::Tsit5);
    let e = gradient_check(&mut p, (0.0, 1.0), &[1.0], &loss, &Default::default()).unwrap_err();
    assert!(matches!(e, OdeError::DimensionMismatch { .. }), "{e}");
    let opts = GradientCheckOptions {
        fd_steps: Some(vec![1e-3; 2]),
        ..Default::default()
    };
    let e = gradient_check(&mut p, (0.0, 1.0), &y0, &loss, &opts).unwrap_err();
    assert!(matches!(e, OdeError::DimensionMismatch { .. }), "{e}");
    let opts = GradientCheckOptions {
        fd_step: f64::NAN,
        ..Default::default()
    };
    let e = gradient_check(&mut p, (0.0, 1.0), &y0, &loss, &opts).unwrap_err();
    assert!(matches!(e, OdeError::InvalidOption { .. }), "{e}");
    // observation time outside the span
    let e = gradient_check(&mut p, (0.0, 0.5), &y0, &loss, &Default::default()).unwrap_err();
    assert!(matches!(e, OdeError::InvalidSaveAt { .. }), "{e}");
}

#[test]
fn loss_gradient_modes_agree_and_auto_picks_by_size() {
    // few entries, no user VJP: forward
    let p = problems::get("lotka").unwrap();
    let loss = data_loss(&p, &p.y0, &[1.0, 3.0], Method::Tsit5);
    let run = |mode| {
        LossGradient::new(&p, (0.0, 3.0), &p.y0, &loss)
            .mode(mode)
            .rtol(1e-10)
            .atol(1e-12)
            .run()
            .unwrap()
    };
    let (fwd, m1) = run(SensitivityMode::Forward);
    let (adj, m2) = run(SensitivityMode::Adjoint);
    let (_, m3) = run(SensitivityMode::Auto);
    assert_eq!(
        (m1, m2, m3),
        (
            SensitivityMode::Forward,
            SensitivityMode::Adjoint,
            SensitivityMode::Forward
        )
    );
    for (a, b) in fwd
        .dp
        .iter()
        .chain(&fwd.dy0)
        .zip(adj.dp.iter().chain(&adj.dy0))
    {
        assert!((a - b).abs() <= 1e-7 * b.abs().max(1e-3), "{a} vs {b}");
    }
    assert!((fwd.loss - adj.loss).abs() <= 1e-9 * fwd.loss);

    // many entries with user VJPs: adjoint; without them: forward
    let mut sys = Linear::new(8);
    let y0: Vec<f64> = (0..8).map(|k| (k as f64 * 0.7).cos()).collect();
    let loss = data_loss(&sys, &y0, &[1.0], Method::Tsit5);
    let g = LossGradient::new(&sys, (0.0, 1.0), &y0, &loss);
    assert_eq!(g.resolved_mode(), SensitivityMode::Adjoint);
    let (ga, _) = g.rtol(1e-10).atol(1e-12).run().unwrap();
    sys.with_vjp = false;
    let g = LossGradient::new(&sys, (0.0, 1.0), &y0, &loss);
    assert_eq!(g.resolved_mode(), SensitivityMode::Forward);
    let (gf, _) = g.rtol(1e-10).atol(1e-12).run().unwrap();
    for (a, b) in ga.dp.iter().zip(&gf.dp) {
        assert!((a - b).abs() <= 1e-7 * b.abs().max(1e-3), "{a} vs {b}");
    }
    // initial_state(false): forward leaves dy0 empty
    let (g, _) = LossGradient::new(&sys, (0.0, 1.0), &y0, &loss)
        .mode(SensitivityMode::Forward)
        .initial_state(false)
        .run()
        .unwrap();
    assert!(g.dy0.is_empty() && g.dp.len() == 64);
}

#[test]
fn auto_rule() {
    use SensitivityMode::*;
    assert_eq!(Auto.choose(2, 6, true, false), Forward);
    assert_eq!(Auto.choose(2, 1000, true, false), Adjoint);
    assert_eq!(Auto.choose(2, 1000, true, true), Forward);
    assert_eq!(Forward.choose(2, 1000, true, false), Forward);
    assert_eq!(Adjoint.choose(2, 1, false, false), Adjoint);
}
