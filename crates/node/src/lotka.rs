//! The reference demonstration of universal differential equations: Rackauckas et al. (2020),
//! "Universal Differential Equations for Scientific Machine Learning", arXiv:2001.04385, §2.1
//! (code: `ChrisRackauckas/universal_differential_equations`, `LotkaVolterra/scenario_1.jl`).
//!
//! Lotka–Volterra `x' = αx − βxy`, `y' = γxy − δy` with `α = 1.3, β = 0.9, γ = 0.8, δ = 1.8`,
//! `(x, y)(0) = (0.44249296, 4.6280594)`, sampled every 0.1 on `t ∈ [0, 3]`, with Gaussian noise
//! of 5 % of each component's mean. The UDE keeps the known linear terms and learns the rest:
//! `x' = αx + U₁(x, y)`, `y' = −δy + U₂(x, y)`, `U` a 2→5→5→5→2 network with Gaussian RBF
//! activations (as in the paper); it is trained through the solver (Adam, then L-BFGS), and the
//! network's output over the fitted trajectory is what sparse regression turns back into
//! `U₁ = −βxy`, `U₂ = γxy` (done by the caller with `ai4de-discover`).

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

use ai4de_ode::{problems::LotkaVolterra, SaveAt, Solve};

use crate::{
    polish_lbfgs, train, Activation, Batching, InputMap, LinearTerm, Loss, Mlp, NeuralRhs,
    NodeError, Optimizer, SolveOptions, TrainOptions, Trajectory,
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
/// component's mean (`noise = 0.05` in the paper), seeded.
pub fn data(t_end: f64, dt: f64, noise: f64, seed: u64) -> Result<Trajectory, NodeError> {
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
            adam_iterations: 300,
            adam_lr: 0.02,
            lbfgs_iterations: 1000,
            seed: 1,
        }
    }
}

/// The solver settings of training (DP5, tolerances 1e-6 as the paper's `Vern7` solve).
pub fn solve_options() -> SolveOptions {
    SolveOptions {
        rtol: 1e-6,
        atol: 1e-6,
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
