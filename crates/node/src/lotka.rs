//! The reference demonstration of universal differential equations: Rackauckas et al. (2020),
//! "Universal Differential Equations for Scientific Machine Learning", arXiv:2001.04385, §2.1
//! (code: `ChrisRackauckas/universal_differential_equations`, `LotkaVolterra/scenario_1.jl`).
//!
//! Lotka–Volterra `x' = αx − βxy`, `y' = γxy − δy` with `α = 1.3, β = 0.9, γ = 0.8, δ = 1.8`,
//! `(x, y)(0) = (0.44249296, 4.6280594)`, sampled every 0.1 on `t ∈ [0, 3]`, with Gaussian noise
//! of a given fraction of each component's mean ([`data`]; the SciML reference scripts of this
//! set-up use 5e-3). The UDE keeps the known linear terms and learns the rest:
//! `x' = αx + U₁(x, y)`, `y' = −δy + U₂(x, y)`, `U` a 2→5→5→5→2 network with Gaussian RBF
//! activations (as in the paper); it is trained through the solver (Adam, then L-BFGS, [`fit`]),
//! and the network's output over the fitted trajectory is what sparse regression
//! ([`recover`], `ai4de-discover`'s STLSQ) turns back into `U₁ = −βxy`, `U₂ = γxy`.
//!
//! Measured (`bench/node/RESULTS.md`): structure and coefficients within 3.3 % without noise and
//! at 0.5 % noise; at 5 % noise the structure is right in only 1 of 5 noise draws.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

use ai4de_discover::{optimize, Library, Model, Optimizer as SparseOptimizer, Stlsq, Threshold};
use ai4de_ode::{problems::LotkaVolterra, FnSystem, OdeSystem, SaveAt, Solve};

use crate::{
    polish_lbfgs, train, Activation, Batching, InputMap, LinearTerm, Loss, Mlp, NeuralRhs,
    NodeError, Optimizer, RhsWorkspace, SolveOptions, TrainOptions, Trajectory,
};

/// The paper's parameters `(α, β, γ, δ)`.
pub const PARAMS: [f64; 4] = [1.3, 0.9, 0.8, 1.8];
/// The paper's initial state.
pub const U0: [f64; 2] = [0.44249296, 4.6280594];

/// The true system in `ai4de-ode`'s naming (`y' = δ_ode·xy − γ_ode·y`).
pub fn true_system() -> LotkaVolterra {
    LotkaVolterra {
        alpha: PARAMS[0],
        beta: PARAMS[1],
        delta: PARAMS[2],
        gamma: PARAMS[3],
    }
}

/// The exact solution (tolerance 1e-12) at `t`.
pub fn exact(t: &[f64]) -> Result<Vec<f64>, NodeError> {
    let lv = true_system();
    let sol = Solve::new(&lv, (t[0], t[t.len() - 1]), &U0[..])
        .rtol(1e-12)
        .atol(1e-12)
        .save_at(SaveAt::Times(t.to_vec()))
        .run()?;
    Ok(sol.y)
}

/// The training data: samples every `dt` on `[0, t_end]`, plus noise of `noise` times each
/// component's mean (`noise = 0.005` in the SciML reference scripts), seeded.
///
/// Errors: [`NodeError::InvalidConfig`] unless `0 < dt ≤ t_end` (at most 10⁶ samples) and
/// `noise ≥ 0`, all finite.
pub fn data(t_end: f64, dt: f64, noise: f64, seed: u64) -> Result<Trajectory, NodeError> {
    let ok = t_end.is_finite()
        && dt.is_finite()
        && dt > 0.0
        && dt <= t_end
        && t_end / dt <= 1e6
        && noise.is_finite()
        && noise >= 0.0;
    if !ok {
        return Err(NodeError::InvalidConfig {
            what: "Lotka-Volterra data",
            reason: format!("need 0 < dt <= t_end (<= 1e6 samples), noise >= 0; got t_end {t_end}, dt {dt}, noise {noise}"),
        });
    }
    let n = (t_end / dt).round() as usize;
    let t: Vec<f64> = (0..=n).map(|i| i as f64 * dt).collect();
    let mut y = exact(&t)?;
    let mean = [0, 1].map(|c| y.iter().skip(c).step_by(2).sum::<f64>() / (n + 1) as f64);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    for (i, v) in y.iter_mut().enumerate() {
        let z: f64 = StandardNormal.sample(&mut rng);
        *v += noise * mean[i % 2] * z;
    }
    Trajectory::new(t, y, 2)
}

/// The UDE `x' = αx + U₁, y' = −δy + U₂` with the paper's network.
pub fn ude() -> Result<NeuralRhs, NodeError> {
    let mlp = Mlp::new(&[2, 5, 5, 5, 2], Activation::Rbf)?;
    let known = LinearTerm::diagonal(&[PARAMS[0], -PARAMS[3]])?;
    NeuralRhs::ude(Box::new(known), mlp, &[true, true], InputMap::Identity)
}

/// A pure neural ODE `(x, y)' = NN(x, y)` of the same depth (wider hidden layers, since it must
/// learn the whole right-hand side), for the extrapolation comparison.
pub fn neural_ode() -> Result<NeuralRhs, NodeError> {
    NeuralRhs::neural_ode(
        Mlp::new(&[2, 16, 16, 16, 2], Activation::Rbf)?,
        InputMap::Identity,
    )
}

/// Training schedule of [`fit`].
#[derive(Debug, Clone, Copy)]
pub struct FitOptions {
    pub adam_iterations: usize,
    pub adam_lr: f64,
    pub lbfgs_iterations: usize,
    pub seed: u64,
}

impl Default for FitOptions {
    fn default() -> Self {
        Self {
            adam_iterations: 2000,
            adam_lr: 0.01,
            lbfgs_iterations: 2000,
            seed: 1,
        }
    }
}

/// The solver settings of training: DP5 at tolerances 1e-8 (looser tolerances make the loss
/// a rough function of `θ` at the 1e-6 level, and the L-BFGS line search then stops early).
pub fn solve_options() -> SolveOptions {
    SolveOptions {
        rtol: 1e-8,
        atol: 1e-8,
        ..Default::default()
    }
}

/// Trains `rhs` on `data` (sum-of-squares loss, Adam then L-BFGS); returns `θ` and the loss.
pub fn fit(
    rhs: &NeuralRhs,
    data: &Trajectory,
    o: &FitOptions,
) -> Result<(Vec<f64>, f64), NodeError> {
    let theta0 = rhs.mlp().init_glorot(o.seed);
    let rep = train(
        rhs,
        data,
        &theta0,
        &TrainOptions {
            optimizer: Optimizer::adam(o.adam_lr),
            iterations: o.adam_iterations,
            batching: Batching::Full,
            loss: Loss::Sse,
            solve: solve_options(),
            seed: o.seed,
            eval_every: 0,
            target_loss: None,
        },
    )?;
    polish_lbfgs(
        rhs,
        data,
        &rep.theta,
        Loss::Sse,
        solve_options(),
        o.lbfgs_iterations,
    )
}

/// Solves `sys` from `y0` at `t[0]` and returns the states at `t` (tolerances 1e-10).
pub fn simulate<S: OdeSystem + ?Sized>(
    sys: &S,
    y0: &[f64],
    t: &[f64],
) -> Result<Vec<f64>, NodeError> {
    if t.len() < 2 {
        return Err(NodeError::InvalidTimes {
            reason: "need at least two output times".into(),
        });
    }
    let sol = Solve::new(sys, (t[0], t[t.len() - 1]), y0)
        .rtol(1e-10)
        .atol(1e-10)
        .save_at(SaveAt::Times(t.to_vec()))
        .run()?;
    Ok(sol.y)
}

/// Spacing of the points along the fitted trajectory at which the network is sampled for the
/// sparse regression.
pub const RECOVERY_DT: f64 = 0.01;

/// The symbolic recovery of Rackauckas et al. (2020), §2.1: the trained UDE is solved from `y0`
/// over `[0, t_end]`, its network term `U(x, y)` is sampled every [`RECOVERY_DT`] along that
/// trajectory, and STLSQ (Brunton, Proctor & Kutz 2016; `ai4de-discover`) fits
/// `U_j = Σ_k ξ_jk θ_k(x, y)` on the polynomials of total degree ≤ 2 (`1, x, y, x², xy, y²`),
/// threshold 0.1, unnormalised columns.
///
/// Why degree 2: along one arc of a trajectory the degree-3 monomials are nearly collinear
/// with the lower ones (the sampled points lie on a curve), so even the noise-free network
/// output (relative error ≈ 2 %) spreads over `x²y`, `xy²`, `y` and the sparse fit is not unique;
/// the degree-2 library is well conditioned on this arc.
pub fn recover(rhs: &NeuralRhs, theta: &[f64], y0: &[f64], t_end: f64) -> Result<Model, NodeError> {
    if !(t_end.is_finite() && t_end > 0.0) {
        return Err(NodeError::InvalidTimes {
            reason: format!("recovery window end must be positive, got {t_end}"),
        });
    }
    let n = (t_end / RECOVERY_DT).round().max(20.0) as usize;
    let ts: Vec<f64> = (0..=n).map(|i| t_end * i as f64 / n as f64).collect();
    let sys = rhs.system(theta, 1)?;
    let traj = simulate(&sys, y0, &ts)?;
    let mut u = vec![0.0; ts.len() * rhs.targets().len()];
    rhs.network_term(theta, &traj, &mut RhsWorkspace::default(), &mut u)?;
    let library = Library::polynomial(&["x", "y"], 2, true, true)?;
    let th = library.matrix(&traj)?;
    let target = optimize::mat_from_rows(ts.len(), rhs.targets().len(), &u);
    let opt = SparseOptimizer::Stlsq(Stlsq {
        threshold: Threshold::Fixed(0.1),
        ..Default::default()
    });
    let coefficients = optimize::fit(th.as_ref(), target.as_ref(), &opt, false)?;
    Ok(Model {
        variables: vec!["x".into(), "y".into()],
        lhs: vec!["U1".into(), "U2".into()],
        library,
        coefficients,
        is_pde: false,
    })
}

/// The recovered model `x' = αx + U₁(x, y)`, `y' = −δy + U₂(x, y)` with the symbolic `U` of
/// [`recover`] (library `1, x, y, x², xy, y²`).
pub fn recovered_system(model: &Model) -> Result<impl OdeSystem, NodeError> {
    let expected = ["1", "x", "y", "x^2", "x*y", "y^2"];
    let names = model.term_names();
    if names.len() != expected.len() || names.iter().zip(expected).any(|(a, b)| a != b) {
        return Err(NodeError::InvalidConfig {
            what: "recovered model",
            reason: format!("expected the library {expected:?}, found {names:?}"),
        });
    }
    let c1: [f64; 6] = std::array::from_fn(|k| model.coefficients.row(0)[k]);
    let c2: [f64; 6] = std::array::from_fn(|k| model.coefficients.row(1)[k]);
    Ok(FnSystem::new(2, move |_t, y: &[f64], dy: &mut [f64]| {
        let (x, v) = (y[0], y[1]);
        let phi = [1.0, x, v, x * x, x * v, v * v];
        let dot = |c: &[f64; 6]| c.iter().zip(&phi).map(|(a, b)| a * b).sum::<f64>();
        dy[0] = PARAMS[0] * x + dot(&c1);
        dy[1] = -PARAMS[3] * v + dot(&c2);
    }))
}

/// Root-mean-square difference of `a` and `b` over the rows `rows` (two components per row).
pub fn rms(a: &[f64], b: &[f64], rows: std::ops::Range<usize>) -> f64 {
    let (lo, hi) = (2 * rows.start, 2 * rows.end);
    let m = (hi - lo).max(1) as f64;
    (a[lo..hi]
        .iter()
        .zip(&b[lo..hi])
        .map(|(x, y)| (x - y) * (x - y))
        .sum::<f64>()
        / m)
        .sqrt()
}
