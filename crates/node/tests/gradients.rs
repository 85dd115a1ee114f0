//! Training gradients of neural-ODE and UDE solves (`loss_gradient`: `ai4de-ode`'s
//! `DiscreteAdjoint` with the network's VJPs from kept activations) against central finite
//! differences, forward sensitivities and the continuous adjoint.
use ai4de_node::{
    loss_gradient, predict, Activation, InputMap, LinearTerm, Loss, Mlp, NeuralRhs, NodeError,
    SolveOptions,
};
use ai4de_ode::sensitivity::{ContinuousAdjoint, DiscreteAdjoint, ParametricSystem, SquaredError};
use ai4de_ode::{Method, SaveAt, Solve};

fn loss_and_grad(
    rhs: &NeuralRhs,
    theta: &[f64],
    y0: &[f64],
    t: &[f64],
    data: &[f64],
    opts: &SolveOptions,
) -> (f64, Vec<f64>) {
    let mut g = vec![0.0; theta.len()];
    let (v, _) = loss_gradient(rhs, theta, y0, t, data, Loss::Mse, opts, &mut g).unwrap();
    (v, g)
}

fn loss(
    rhs: &NeuralRhs,
    theta: &[f64],
    y0: &[f64],
    t: &[f64],
    data: &[f64],
    opts: &SolveOptions,
) -> f64 {
    loss_and_grad(rhs, theta, y0, t, data, opts).0
}

/// Max over components of |g − fd| / max(|fd|, floor·‖fd‖∞) (central differences with
/// h = 1e-6 carry ~1e-10 absolute round-off, so entries far below the largest cannot be checked
/// to 1e-6 relative).
fn max_rel(g: &[f64], fd: &[f64], floor: f64) -> f64 {
    let floor = floor * fd.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    g.iter()
        .zip(fd)
        .map(|(a, b)| (a - b).abs() / b.abs().max(floor))
        .fold(0.0, f64::max)
}

fn fd_grad(
    rhs: &NeuralRhs,
    theta: &[f64],
    y0: &[f64],
    t: &[f64],
    data: &[f64],
    opts: &SolveOptions,
) -> Vec<f64> {
    let h = 1e-6;
    (0..theta.len())
        .map(|i| {
            let (mut p, mut m) = (theta.to_vec(), theta.to_vec());
            p[i] += h;
            m[i] -= h;
            (loss(rhs, &p, y0, t, data, opts) - loss(rhs, &m, y0, t, data, opts)) / (2.0 * h)
        })
        .collect()
}

fn lv_ude() -> (NeuralRhs, Vec<f64>) {
    let mlp = Mlp::new(&[2, 5, 5, 2], Activation::Tanh).unwrap();
    let theta = mlp.init_glorot(11);
    let known = LinearTerm::diagonal(&[1.3, -1.8]).unwrap();
    (
        NeuralRhs::ude(Box::new(known), mlp, &[true, true], InputMap::Identity).unwrap(),
        theta,
    )
}

#[test]
fn fixed_step_gradient_matches_central_differences() {
    let (rhs, theta) = lv_ude();
    let t: Vec<f64> = (0..=8).map(|i| 0.25 * i as f64).collect();
    let y0 = [0.44, 4.63, 1.0, 2.0]; // a batch of two trajectories
    let data: Vec<f64> = (0..t.len() * 4)
        .map(|i| 1.0 + 0.1 * (i as f64).sin())
        .collect();
    for tab in [
        &ai4de_ode::methods::rk4::TABLEAU,
        &ai4de_ode::methods::tsit5::TABLEAU,
        &ai4de_ode::methods::dp5::TABLEAU,
    ] {
        let opts = SolveOptions {
            tableau: tab,
            fixed_step: Some(0.05),
            ..Default::default()
        };
        let (_, g) = loss_and_grad(&rhs, &theta, &y0, &t, &data, &opts);
        let fdt = fd_grad(&rhs, &theta, &y0, &t, &data, &opts);
        let et = max_rel(&g, &fdt, 1e-2);
        assert!(et < 1e-6, "{}: θ {et:e}", tab.name);
    }
}

/// Pure neural ODE with the spiral example's cube input map, adaptive DP5 at tight tolerance,
/// save times landed on and (dense) from the continuous extension, with a Vern7 variant whose
/// interpolant has extra stages (the discrete adjoint holds the step sizes fixed; FD sees
/// their tiny variation, which is O(tolerance)).
#[test]
fn adaptive_gradient_matches_central_differences_neural_ode() {
    let mlp = Mlp::new(&[2, 16, 2], Activation::Tanh).unwrap();
    let theta = mlp.init_normal(0.3, 4).unwrap();
    let rhs = NeuralRhs::neural_ode(mlp, InputMap::Cube).unwrap();
    let t: Vec<f64> = (0..=20).map(|i| 0.05 * i as f64).collect();
    let y0 = [2.0, 0.0, 0.5, -1.0];
    let data: Vec<f64> = (0..t.len() * 4)
        .map(|i| 0.5 * (i as f64 * 0.3).cos())
        .collect();
    for (tab, dense) in [
        (&ai4de_ode::methods::dp5::TABLEAU, false),
        (&ai4de_ode::methods::dp5::TABLEAU, true),
        (&ai4de_ode::methods::vern7::TABLEAU, true),
    ] {
        let opts = SolveOptions {
            tableau: tab,
            rtol: 1e-11,
            atol: 1e-11,
            dense,
            ..Default::default()
        };
        let (_, g) = loss_and_grad(&rhs, &theta, &y0, &t, &data, &opts);
        let fdt = fd_grad(&rhs, &theta, &y0, &t, &data, &opts);
        let et = max_rel(&g, &fdt, 1e-2);
        assert!(et < 1e-6, "{} dense {dense}: θ {et:e}", tab.name);
    }
}

/// With dense save times the gradient's prediction is the forward solver's save-at output
/// (same steps, same interpolant), and it agrees with the prediction that lands on the save
/// times to the tolerance.
#[test]
fn dense_prediction_is_the_solvers_output() {
    let (rhs, theta) = lv_ude();
    let t: Vec<f64> = (0..=30).map(|i| 0.1 * i as f64).collect();
    let y0 = [0.44249296, 4.6280594];
    let data = vec![1.0; t.len() * 2];
    let opts = SolveOptions {
        rtol: 1e-10,
        atol: 1e-10,
        dense: true,
        ..Default::default()
    };
    let mut g = vec![0.0; theta.len()];
    let (_, pred) = loss_gradient(&rhs, &theta, &y0, &t, &data, Loss::Mse, &opts, &mut g).unwrap();
    let sys = rhs.system(&theta, 1).unwrap();
    let ys = predict(&sys, &y0, &t, &opts).unwrap();
    for (a, b) in pred.iter().zip(&ys) {
        assert!((a - b).abs() <= 1e-12 * b.abs().max(1.0), "{a} vs {b}");
    }
    let landing = SolveOptions {
        dense: false,
        ..opts
    };
    let (_, pred_l) =
        loss_gradient(&rhs, &theta, &y0, &t, &data, Loss::Mse, &landing, &mut g).unwrap();
    for (a, b) in pred.iter().zip(&pred_l) {
        assert!((a - b).abs() < 1e-8 * b.abs().max(1.0), "{a} vs {b}");
    }
}

#[test]
fn bad_input_gives_errors() {
    let (rhs, theta) = lv_ude();
    let o = SolveOptions::default();
    let run = |t: &[f64], y0: &[f64], th: &[f64], o: &SolveOptions| {
        let data = vec![1.0; t.len() * y0.len()];
        let mut gg = vec![0.0; th.len()];
        loss_gradient(&rhs, th, y0, t, &data, Loss::Mse, o, &mut gg).map(|(v, _)| v)
    };
    assert!(matches!(
        run(&[0.0, 1.0, 1.0], &[1.0, 1.0], &theta, &o),
        Err(NodeError::InvalidTimes { .. })
    ));
    assert!(matches!(
        run(&[0.0, 1.0], &[1.0, f64::NAN], &theta, &o),
        Err(NodeError::NonFiniteInput { .. })
    ));
    assert!(matches!(
        run(&[0.0, 1.0], &[1.0, 1.0, 1.0], &theta, &o),
        Err(NodeError::DimensionMismatch { .. })
    ));
    assert!(run(&[0.0, 1.0], &[1.0, 1.0], &theta[1..], &o).is_err());
    let rk4 = SolveOptions {
        tableau: &ai4de_ode::methods::rk4::TABLEAU,
        ..Default::default()
    };
    assert!(matches!(
        run(&[0.0, 1.0], &[1.0, 1.0], &theta, &rk4),
        Err(NodeError::InvalidConfig { .. })
    ));
    // a finite-time blow-up (y' = y³, blows up at t = 1/2) stops with an error, no panic or hang
    let lin = Mlp::new(&[2, 2], Activation::Identity).unwrap();
    let cube = NeuralRhs::neural_ode(lin, InputMap::Cube).unwrap();
    let w = [1.0, 0.0, 0.0, 1.0, 0.0, 0.0];
    let mut gw = vec![0.0; 6];
    let r = loss_gradient(
        &cube,
        &w,
        &[1.0, 1.0],
        &[0.0, 10.0],
        &[1.0; 4],
        Loss::Mse,
        &o,
        &mut gw,
    );
    assert!(matches!(r, Err(NodeError::Ode(_))), "{r:?}");
}

/// `loss_gradient` (the training path), `ai4de-ode`'s discrete adjoint with dense observations
/// and the continuous adjoint of the [`NeuralRhs::system`] view agree with central differences
/// of a tightly solved loss (all to 1e-6 relative), on a batch of two trajectories.
#[test]
fn training_gradient_agrees_with_adjoints_and_central_differences() {
    let mlp = Mlp::new(&[2, 12, 2], Activation::Tanh).unwrap();
    let theta = mlp.init_normal(0.4, 9).unwrap();
    let rhs = NeuralRhs::neural_ode(mlp, InputMap::Cube).unwrap();
    let t: Vec<f64> = (0..=8).map(|i| 0.125 * i as f64).collect();
    let y0 = [1.5, 0.2, -0.4, 1.1];
    let data: Vec<f64> = (0..t.len() * 4)
        .map(|i| 0.8 * (i as f64 * 0.37).sin())
        .collect();
    // Loss::Sse = Σ r² is twice SquaredError's ½ Σ r²
    let opts = SolveOptions {
        rtol: 1e-11,
        atol: 1e-11,
        dense: true,
        ..Default::default()
    };
    let mut g_train = vec![0.0; theta.len()];
    let (l_train, _) =
        loss_gradient(&rhs, &theta, &y0, &t, &data, Loss::Sse, &opts, &mut g_train).unwrap();
    let g_train: Vec<f64> = g_train.iter().map(|g| 0.5 * g).collect();

    let sys = rhs.system(&theta, 2).unwrap();
    let loss = SquaredError::new(t.clone(), data.clone(), 4).unwrap();
    let disc = DiscreteAdjoint::new(&sys, (0.0, 1.0), &y0, &loss)
        .method(Method::Dp5)
        .rtol(1e-11)
        .atol(1e-11)
        .dense_observations(true)
        .run()
        .unwrap()
        .gradient;
    let cont = ContinuousAdjoint::new(&sys, (0.0, 1.0), &y0, &loss)
        .method(Method::Dp5)
        .rtol(1e-11)
        .atol(1e-11)
        .run()
        .unwrap();
    assert!((disc.loss - 0.5 * l_train).abs() < 1e-12 * disc.loss);

    // central differences of the loss from a tight reference solve
    let reference = |th: &[f64], y0: &[f64]| -> f64 {
        let s = rhs.system(th, 2).unwrap();
        let sol = Solve::new(&s, (0.0, 1.0), y0)
            .method(Method::Vern9)
            .rtol(1e-13)
            .atol(1e-13)
            .save_at(SaveAt::Times(t.clone()))
            .run()
            .unwrap();
        0.5 * sol
            .y
            .iter()
            .zip(&data)
            .map(|(a, b)| (a - b) * (a - b))
            .sum::<f64>()
    };
    let h = 1e-5;
    let fd_t: Vec<f64> = (0..theta.len())
        .map(|i| {
            let (mut p, mut m) = (theta.clone(), theta.clone());
            p[i] += h;
            m[i] -= h;
            (reference(&p, &y0) - reference(&m, &y0)) / (2.0 * h)
        })
        .collect();
    let fd_y: Vec<f64> = (0..4)
        .map(|i| {
            let (mut p, mut m) = (y0, y0);
            p[i] += h;
            m[i] -= h;
            (reference(&theta, &p) - reference(&theta, &m)) / (2.0 * h)
        })
        .collect();
    let et = max_rel(&g_train, &fd_t, 1e-2);
    assert!(et < 1e-6, "loss_gradient vs FD: θ {et:e}");
    for (name, gt, gy) in [
        ("DiscreteAdjoint", &disc.dp, &disc.dy0),
        ("ContinuousAdjoint", &cont.dp, &cont.dy0),
    ] {
        let (et, ey) = (max_rel(gt, &fd_t, 1e-2), max_rel(gy, &fd_y, 1e-2));
        assert!(et < 1e-6 && ey < 1e-6, "{name} vs FD: θ {et:e}, y0 {ey:e}");
    }
    // the training path is DiscreteAdjoint on the same system with the same options
    for (a, b) in g_train.iter().zip(&disc.dp) {
        assert!((a - b).abs() <= 1e-12 * b.abs().max(1e-3), "{a} vs {b}");
    }
}

/// The kept-activation VJPs (`rhs_slot`/`vjp_slot`) give the same gradient, bit for bit, as
/// the recomputing VJPs, also after new parameters.
#[test]
fn kept_activations_do_not_change_the_gradient() {
    let (rhs, theta) = lv_ude();
    let t: Vec<f64> = (0..=10).map(|i| 0.2 * i as f64).collect();
    let y0 = [0.44249296, 4.6280594];
    let data: Vec<f64> = (0..t.len() * 2)
        .map(|i| 1.0 + 0.3 * (i as f64).cos())
        .collect();
    let loss = SquaredError::new(t.clone(), data, 2).unwrap();
    use ai4de_ode::OdeSystem;
    /// The same system without the slot methods (recomputing VJPs).
    struct Plain<'a>(ai4de_node::NeuralSystem<'a>);
    impl OdeSystem for Plain<'_> {
        fn dim(&self) -> usize {
            self.0.dim()
        }
        fn rhs(&self, t: f64, y: &[f64], dy: &mut [f64]) {
            self.0.rhs(t, y, dy)
        }
    }
    impl ParametricSystem for Plain<'_> {
        fn n_params(&self) -> usize {
            self.0.n_params()
        }
        fn param_values(&self) -> Vec<f64> {
            self.0.param_values()
        }
        fn set_params(&mut self, p: &[f64]) -> Result<(), ai4de_ode::OdeError> {
            self.0.set_params(p)
        }
        fn vjp_accumulate(
            &self,
            t: f64,
            y: &[f64],
            w: &[f64],
            out_y: &mut [f64],
            acc_p: &mut [f64],
        ) -> bool {
            self.0.vjp_accumulate(t, y, w, out_y, acc_p)
        }
    }
    fn run<S: ParametricSystem>(
        s: &S,
        y0: &[f64],
        loss: &SquaredError,
    ) -> ai4de_ode::sensitivity::Gradient {
        DiscreteAdjoint::new(s, (0.0, 2.0), y0, loss)
            .method(Method::Vern7)
            .rtol(1e-8)
            .atol(1e-8)
            .dense_observations(true)
            .run()
            .unwrap()
            .gradient
    }
    let mut kept = rhs.system(&theta, 1).unwrap();
    let plain = Plain(rhs.system(&theta, 1).unwrap());
    let (a, b) = (run(&kept, &y0, &loss), run(&plain, &y0, &loss));
    assert_eq!(a.dp, b.dp);
    assert_eq!(a.dy0, b.dy0);
    // a kept system given new parameters computes what a fresh one does
    let theta2: Vec<f64> = theta.iter().map(|v| 0.9 * v).collect();
    kept.set_params(&theta2).unwrap();
    let fresh = run(&rhs.system(&theta2, 1).unwrap(), &y0, &loss);
    let again = run(&kept, &y0, &loss);
    assert_eq!(fresh.dp, again.dp);
}
