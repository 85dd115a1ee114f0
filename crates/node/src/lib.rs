//! Neural ordinary differential equations and universal differential equations (UDEs) on the
//! solvers and sensitivities of `ai4de-ode`.
//!
//! * [`mlp`]: a lean `f64` multilayer perceptron with its own reverse (VJP) and forward (JVP)
//!   mode and one flat parameter vector — per-call cost is what matters for the tiny networks
//!   inside an ODE right-hand side.
//! * [`rhs`]: neural-ODE and UDE right-hand sides (known physics + masked network term),
//!   batched; [`NeuralRhs::system`] makes one an `ai4de-ode`
//!   [`ParametricSystem`](ai4de_ode::sensitivity::ParametricSystem) (parameters = network
//!   weights), so `ai4de-ode`'s solvers, forward sensitivities, [`DiscreteAdjoint`] and
//!   [`ContinuousAdjoint`] all apply.
//! * [`solve`]: the solver options of training and forward predictions.
//! * [`train`]: trajectory losses and their gradients ([`loss_gradient`]: `ai4de-ode`'s
//!   [`DiscreteAdjoint`], dense save times optional, with the network's VJPs from the forward
//!   pass's kept activations), window mini-batches, Adam/RMSprop, an L-BFGS polish.
//! * [`lotka`]: the Lotka–Volterra UDE of Rackauckas et al. (2020) and its symbolic recovery.
//!
//! This crate sits beside `ai4de-neural` (burn models) rather than inside it: it needs
//! `ai4de-ode`, `ai4de-inverse` and `ai4de-discover`, and none of burn.
//!
//! ```
//! use ai4de_node::{Activation, InputMap, Mlp, NeuralRhs};
//! use ai4de_ode::sensitivity::{DiscreteAdjoint, SquaredError};
//! let mlp = Mlp::new(&[2, 8, 2], Activation::Tanh).unwrap();
//! let theta = mlp.init_glorot(0);
//! let rhs = NeuralRhs::neural_ode(mlp, InputMap::Identity).unwrap();
//! let sys = rhs.system(&theta, 1).unwrap();
//! let loss = SquaredError::new(vec![0.5, 1.0], vec![1.0, 0.0, 0.5, 0.5], 2).unwrap();
//! let g = DiscreteAdjoint::new(&sys, (0.0, 1.0), &[1.0, 0.0], &loss).run().unwrap();
//! assert_eq!(g.gradient.dp.len(), theta.len());
//! ```
//!
//! [`DiscreteAdjoint`]: ai4de_ode::sensitivity::DiscreteAdjoint
//! [`ContinuousAdjoint`]: ai4de_ode::sensitivity::ContinuousAdjoint
//!
//! References: Chen, Rubanova, Bettencourt & Duvenaud (2018), "Neural Ordinary Differential
//! Equations", NeurIPS; Rackauckas et al. (2020), "Universal Differential Equations for
//! Scientific Machine Learning", arXiv:2001.04385.

mod error;
pub mod lotka;
pub mod mlp;
pub mod rhs;
pub mod solve;
pub mod train;

pub use error::NodeError;
pub use mlp::{Activation, Mlp, MlpWorkspace};
pub use rhs::{InputMap, KnownTerm, LinearTerm, NeuralRhs, NeuralSystem, RhsWorkspace};
pub use solve::{predict, SolveOptions};
pub use train::{
    loss_gradient, polish_lbfgs, train, Batching, LogEntry, Loss, Optimizer, OptimizerState,
    TrainOptions, TrainReport, Trajectory, TrajectoryObjective,
};
