//! Discrete-adjoint gradients of neural-ODE and UDE solves against central finite differences,
//! and the recorded solve against `ai4de-ode`'s own solver.
use ai4de_node::{
    solve_backward, solve_forward, Activation, InputMap, LinearTerm, Loss, Mlp, NeuralRhs,
    NodeError, SolveOptions, SolveWorkspace, Tape,
};
use ai4de_ode::sensitivity::{ContinuousAdjoint, DiscreteAdjoint, SquaredError};
use ai4de_ode::{Method, Options, SaveAt, Solve};

fn loss_and_grad(
    rhs: &NeuralRhs,
    theta: &[f64],
    y0: &[f64],
    t: &[f64],
    data: &[f64],
    opts: &SolveOptions,
) -> (f64, Vec<f64>, Vec<f64>) {
    let (mut tape, mut ws) = (Tape::default(), SolveWorkspace::default());
    solve_forward(rhs, theta, y0, t, opts, &mut tape, &mut ws).unwrap();
    let mut dl = vec![0.0; data.len()];
    let v = Loss::Mse.value_grad(tape.ys(), data, &mut dl);
    let mut g = vec![0.0; theta.len()];
    let mut gy0 = vec![0.0; y0.len()];
    solve_backward(rhs, theta, &tape, opts, &dl, &mut ws, &mut g, &mut gy0).unwrap();
    (v, g, gy0)
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

fn fd_grads(
    rhs: &NeuralRhs,
    theta: &[f64],
    y0: &[f64],
    t: &[f64],
    data: &[f64],
    opts: &SolveOptions,
) -> (Vec<f64>, Vec<f64>) {
    let h = 1e-6;
    let gt = (0..theta.len())
        .map(|i| {
            let (mut p, mut m) = (theta.to_vec(), theta.to_vec());
            p[i] += h;
            m[i] -= h;
            (loss(rhs, &p, y0, t, data, opts) - loss(rhs, &m, y0, t, data, opts)) / (2.0 * h)
        })
        .collect();
    let gy = (0..y0.len())
        .map(|i| {
            let (mut p, mut m) = (y0.to_vec(), y0.to_vec());
            p[i] += h;
            m[i] -= h;
            (loss(rhs, theta, &p, t, data, opts) - loss(rhs, theta, &m, t, data, opts)) / (2.0 * h)
        })
        .collect();
    (gt, gy)
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
        let (_, g, gy0) = loss_and_grad(&rhs, &theta, &y0, &t, &data, &opts);
        let (fdt, fdy) = fd_grads(&rhs, &theta, &y0, &t, &data, &opts);
        let (et, ey) = (max_rel(&g, &fdt, 1e-2), max_rel(&gy0, &fdy, 1e-2));
        assert!(et < 1e-6 && ey < 1e-6, "{}: θ {et:e}, y0 {ey:e}", tab.name);
    }
}

#[test]
fn adaptive_gradient_matches_central_differences_neural_ode() {
    // Pure neural ODE with the spiral example's cube input map, adaptive DP5 at tight tolerance
    // (the discrete adjoint holds the step sizes fixed; FD sees their tiny variation, which is
    // O(tolerance)).
    let mlp = Mlp::new(&[2, 16, 2], Activation::Tanh).unwrap();
    let theta = mlp.init_normal(0.3, 4).unwrap();
    let rhs = NeuralRhs::neural_ode(mlp, InputMap::Cube).unwrap();
    let t: Vec<f64> = (0..=10).map(|i| 0.1 * i as f64).collect();
    let y0 = [2.0, 0.0];
    let data: Vec<f64> = (0..t.len() * 2)
        .map(|i| 0.5 * (i as f64 * 0.3).cos())
        .collect();
    let opts = SolveOptions {
        rtol: 1e-11,
        atol: 1e-11,
        ..Default::default()
    };
    let (_, g, gy0) = loss_and_grad(&rhs, &theta, &y0, &t, &data, &opts);
    let (fdt, fdy) = fd_grads(&rhs, &theta, &y0, &t, &data, &opts);
    let (et, ey) = (max_rel(&g, &fdt, 1e-2), max_rel(&gy0, &fdy, 1e-2));
    assert!(et < 1e-6 && ey < 1e-6, "θ {et:e}, y0 {ey:e}");
}

#[test]
fn recorded_solve_agrees_with_ai4de_ode() {
    let (rhs, theta) = lv_ude();
    let t: Vec<f64> = (0..=12).map(|i| 0.25 * i as f64).collect();
    let y0 = [0.44249296, 4.6280594];
    let opts = SolveOptions {
        rtol: 1e-10,
        atol: 1e-10,
        ..Default::default()
    };
    let (mut tape, mut ws) = (Tape::default(), SolveWorkspace::default());
    solve_forward(&rhs, &theta, &y0, &t, &opts, &mut tape, &mut ws).unwrap();
    let sys = rhs.system(&theta, 1).unwrap();
    let sol = Solve::new(&sys, (0.0, 3.0), &y0)
        .rtol(1e-12)
        .atol(1e-12)
        .save_at(SaveAt::Times(t.clone()))
        .run()
        .unwrap();
    for (k, row) in sol.y.chunks(2).enumerate() {
        for (&a, &r) in tape.ys()[k * 2..k * 2 + 2].iter().zip(row) {
            assert!(
                (a - r).abs() < 1e-8 * r.abs().max(1.0),
                "t = {}: {a} vs {r}",
                t[k]
            );
        }
    }
}

#[test]
fn bad_input_gives_errors() {
    let (rhs, theta) = lv_ude();
    let (mut tape, mut ws) = (Tape::default(), SolveWorkspace::default());
    let o = SolveOptions::default();
    let run =
        |t: &[f64],
         y0: &[f64],
         th: &[f64],
         o: &SolveOptions,
         tape: &mut Tape,
         ws: &mut SolveWorkspace| { solve_forward(&rhs, th, y0, t, o, tape, ws) };
    assert!(matches!(
        run(
            &[0.0, 1.0, 1.0],
            &[1.0, 1.0],
            &theta,
            &o,
            &mut tape,
            &mut ws
        ),
        Err(NodeError::InvalidTimes { .. })
    ));
    assert!(matches!(
        run(
            &[0.0, 1.0],
            &[1.0, f64::NAN],
            &theta,
            &o,
            &mut tape,
            &mut ws
        ),
        Err(NodeError::NonFiniteInput { .. })
    ));
    assert!(matches!(
        run(
            &[0.0, 1.0],
            &[1.0, 1.0, 1.0],
            &theta,
            &o,
            &mut tape,
            &mut ws
        ),
        Err(NodeError::DimensionMismatch { .. })
    ));
    assert!(run(
        &[0.0, 1.0],
        &[1.0, 1.0],
        &theta[1..],
        &o,
        &mut tape,
        &mut ws
    )
    .is_err());
    let rk4 = SolveOptions {
        tableau: &ai4de_ode::methods::rk4::TABLEAU,
        ..Default::default()
    };
    assert!(matches!(
        run(&[0.0, 1.0], &[1.0, 1.0], &theta, &rk4, &mut tape, &mut ws),
        Err(NodeError::InvalidConfig { .. })
    ));
    // a finite-time blow-up (y' = y³, blows up at t = 1/2) stops with an error, no panic or hang
    let lin = Mlp::new(&[2, 2], Activation::Identity).unwrap();
    let cube = NeuralRhs::neural_ode(lin, InputMap::Cube).unwrap();
    let w = [1.0, 0.0, 0.0, 1.0, 0.0, 0.0];
    let r = solve_forward(&cube, &w, &[1.0, 1.0], &[0.0, 10.0], &o, &mut tape, &mut ws);
    assert!(
        matches!(
            r,
            Err(NodeError::MaxStepsReached { .. }
                | NodeError::StepSizeTooSmall { .. }
                | NodeError::NonFinite { .. })
        ),
        "{r:?}"
    );
}

/// `ai4de-ode`'s discrete adjoint and continuous adjoint of the [`NeuralRhs::system`] view agree
/// with this crate's own recorded sweep and with central differences of a tightly solved loss
/// (all to 1e-6 relative), on a batch of two trajectories of a neural ODE.
#[test]
fn ode_adjoints_agree_with_own_sweep_and_central_differences() {
    let mlp = Mlp::new(&[2, 12, 2], Activation::Tanh).unwrap();
    let theta = mlp.init_normal(0.4, 9).unwrap();
    let rhs = NeuralRhs::neural_ode(mlp, InputMap::Cube).unwrap();
    let t: Vec<f64> = (0..=8).map(|i| 0.125 * i as f64).collect();
    let y0 = [1.5, 0.2, -0.4, 1.1];
    let data: Vec<f64> = (0..t.len() * 4)
        .map(|i| 0.8 * (i as f64 * 0.37).sin())
        .collect();
    // own sweep; Loss::Sse = Σ r² is twice SquaredError's ½ Σ r²
    let opts = SolveOptions {
        rtol: 1e-11,
        atol: 1e-11,
        ..Default::default()
    };
    let (l_own, g_own, gy_own) = loss_and_grad_sse(&rhs, &theta, &y0, &t, &data, &opts);
    let g_own: Vec<f64> = g_own.iter().map(|g| 0.5 * g).collect();
    let gy_own: Vec<f64> = gy_own.iter().map(|g| 0.5 * g).collect();

    let sys = rhs.system(&theta, 2).unwrap();
    let loss = SquaredError::new(t.clone(), data.clone(), 4).unwrap();
    let disc = DiscreteAdjoint::new(&sys, (0.0, 1.0), &y0, &loss)
        .method(Method::Dp5)
        .rtol(1e-11)
        .atol(1e-11)
        .run()
        .unwrap()
        .gradient;
    let cont = ContinuousAdjoint::new(&sys, (0.0, 1.0), &y0, &loss)
        .method(Method::Dp5)
        .rtol(1e-11)
        .atol(1e-11)
        .run()
        .unwrap();
    assert!((disc.loss - 0.5 * l_own).abs() < 1e-9 * disc.loss);

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
    for (name, gt, gy) in [
        ("own sweep", &g_own, &gy_own),
        ("DiscreteAdjoint", &disc.dp, &disc.dy0),
        ("ContinuousAdjoint", &cont.dp, &cont.dy0),
    ] {
        let (et, ey) = (max_rel(gt, &fd_t, 1e-2), max_rel(gy, &fd_y, 1e-2));
        assert!(et < 1e-6 && ey < 1e-6, "{name} vs FD: θ {et:e}, y0 {ey:e}");
    }
    let (et, ey) = (
        max_rel(&g_own, &disc.dp, 1e-2),
        max_rel(&gy_own, &disc.dy0, 1e-2),
    );
    assert!(
        et < 1e-6 && ey < 1e-6,
        "own vs DiscreteAdjoint: θ {et:e}, y0 {ey:e}"
    );
}

/// With the same fixed steps both discrete adjoints differentiate the same discrete map, so
/// they agree to rounding.
#[test]
fn fixed_step_own_sweep_equals_ode_discrete_adjoint() {
    let (rhs, theta) = lv_ude();
    let t: Vec<f64> = (0..=8).map(|i| 0.25 * i as f64).collect();
    let y0 = [0.44249296, 4.6280594];
    let data: Vec<f64> = (0..t.len() * 2)
        .map(|i| 1.0 + 0.3 * (i as f64).cos())
        .collect();
    let opts = SolveOptions {
        tableau: &ai4de_ode::methods::rk4::TABLEAU,
        fixed_step: Some(0.0625),
        ..Default::default()
    };
    let (_, g_own, gy_own) = loss_and_grad_sse(&rhs, &theta, &y0, &t, &data, &opts);
    let sys = rhs.system(&theta, 1).unwrap();
    let loss = SquaredError::new(t.clone(), data.clone(), 2).unwrap();
    let d = DiscreteAdjoint::new(&sys, (0.0, 2.0), &y0, &loss)
        .method(Method::Rk4)
        .options(Options {
            dt: Some(0.0625),
            ..Default::default()
        })
        .run()
        .unwrap();
    assert_eq!(d.steps.len(), 33, "32 steps of 1/16");
    for (a, b) in g_own
        .iter()
        .zip(&d.gradient.dp)
        .chain(gy_own.iter().zip(&d.gradient.dy0))
    {
        assert!(
            (0.5 * a - b).abs() <= 1e-12 * b.abs().max(1e-3),
            "{} vs {b}",
            0.5 * a
        );
    }
}

fn loss_and_grad_sse(
    rhs: &NeuralRhs,
    theta: &[f64],
    y0: &[f64],
    t: &[f64],
    data: &[f64],
    opts: &SolveOptions,
) -> (f64, Vec<f64>, Vec<f64>) {
    let (mut tape, mut ws) = (Tape::default(), SolveWorkspace::default());
    solve_forward(rhs, theta, y0, t, opts, &mut tape, &mut ws).unwrap();
    let mut dl = vec![0.0; data.len()];
    let v = Loss::Sse.value_grad(tape.ys(), data, &mut dl);
    let mut g = vec![0.0; theta.len()];
    let mut gy0 = vec![0.0; y0.len()];
    solve_backward(rhs, theta, &tape, opts, &dl, &mut ws, &mut g, &mut gy0).unwrap();
    (v, g, gy0)
}

/// Dense mode (save times by the continuous extension, as `torchdiffeq`): the recorded
/// solution agrees with the stepping-to-save-times solve, and the discrete adjoint (which
/// differentiates the interpolant too) matches central differences to 1e-6.
#[test]
fn dense_mode_gradient_matches_central_differences() {
    let mlp = Mlp::new(&[2, 16, 2], Activation::Tanh).unwrap();
    let theta = mlp.init_normal(0.3, 4).unwrap();
    let rhs = NeuralRhs::neural_ode(mlp, InputMap::Cube).unwrap();
    let t: Vec<f64> = (0..=20).map(|i| 0.05 * i as f64).collect();
    let y0 = [2.0, 0.0, 0.5, -1.0];
    let data: Vec<f64> = (0..t.len() * 4)
        .map(|i| 0.5 * (i as f64 * 0.3).cos())
        .collect();
    let opts = SolveOptions {
        rtol: 1e-11,
        atol: 1e-11,
        dense: true,
        ..Default::default()
    };
    let (mut tape, mut ws) = (Tape::default(), SolveWorkspace::default());
    solve_forward(&rhs, &theta, &y0, &t, &opts, &mut tape, &mut ws).unwrap();
    let dense_ys = tape.ys().to_vec();
    let dense_steps = tape.n_steps();
    let stop = SolveOptions {
        dense: false,
        ..opts
    };
    solve_forward(&rhs, &theta, &y0, &t, &stop, &mut tape, &mut ws).unwrap();
    assert!(
        dense_steps < tape.n_steps(),
        "{dense_steps} vs {}",
        tape.n_steps()
    );
    for (a, b) in dense_ys.iter().zip(tape.ys()) {
        assert!((a - b).abs() < 1e-8, "{a} vs {b}");
    }
    let (_, g, gy0) = loss_and_grad(&rhs, &theta, &y0, &t, &data, &opts);
    let (fdt, fdy) = fd_grads(&rhs, &theta, &y0, &t, &data, &opts);
    let (et, ey) = (max_rel(&g, &fdt, 1e-2), max_rel(&gy0, &fdy, 1e-2));
    assert!(et < 1e-6 && ey < 1e-6, "θ {et:e}, y0 {ey:e}");
}
