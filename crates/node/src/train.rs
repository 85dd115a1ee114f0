//! Training a [`NeuralRhs`] through the solver: trajectory losses with exact discrete-adjoint
//! gradients, mini-batches of time windows, first-order optimisers (Adam, RMSprop) and an
//! L-BFGS polish (`ai4de_inverse::optim::lbfgs`).

use std::cell::RefCell;

use ai4de_ode::sensitivity::{DiscreteAdjoint, ParametricSystem, TrajectoryLoss};
use rand::seq::index::sample;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use crate::mlp::{check_finite, check_len};
use crate::rhs::{NeuralRhs, NeuralSystem};
use crate::solve::{predict, SolveOptions};
use crate::NodeError;

/// Pointwise loss between prediction and data, averaged over all entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Loss {
    /// Mean squared error.
    Mse,
    /// Sum of squared errors (the loss of Rackauckas et al.'s UDE code, `sum(abs2, X - X̂)`).
    Sse,
    /// Mean absolute error (`torchdiffeq`'s `ode_demo.py`).
    L1,
}

impl Loss {
    /// Value and gradient (`grad` overwritten) of the loss of `pred` against `data`.
    pub fn value_grad(self, pred: &[f64], data: &[f64], grad: &mut [f64]) -> f64 {
        self.part(pred, data, grad, pred.len().max(1) as f64)
    }

    /// The terms of the loss over `m` entries in all that `pred` contributes, and their
    /// gradient (`grad` overwritten).
    fn part(self, pred: &[f64], data: &[f64], grad: &mut [f64], m: f64) -> f64 {
        let mut v = 0.0;
        for ((g, p), d) in grad.iter_mut().zip(pred).zip(data) {
            let r = p - d;
            match self {
                Loss::Mse => {
                    v += r * r / m;
                    *g = 2.0 * r / m;
                }
                Loss::Sse => {
                    v += r * r;
                    *g = 2.0 * r;
                }
                Loss::L1 => {
                    v += r.abs() / m;
                    *g = r.signum() / m;
                }
            }
        }
        v
    }
}

/// A trajectory-fitting problem: data `y(t_k)` (`n_t × dim`, row-major) of one trajectory, fitted
/// from its first sample (or from windows of it, see [`Batching`]).
#[derive(Debug, Clone)]
pub struct Trajectory {
    pub t: Vec<f64>,
    pub y: Vec<f64>,
}

impl Trajectory {
    /// Validates lengths, finiteness and strictly increasing times.
    pub fn new(t: Vec<f64>, y: Vec<f64>, dim: usize) -> Result<Self, NodeError> {
        check_len("data (times × dimension)", t.len() * dim, y.len())?;
        check_finite("data time", &t)?;
        check_finite("data value", &y)?;
        if t.len() < 2 || t.windows(2).any(|w| w[1] <= w[0]) {
            return Err(NodeError::InvalidTimes {
                reason: "data needs at least two strictly increasing times".into(),
            });
        }
        Ok(Self { t, y })
    }
}

/// A [`Loss`] of the solution at `times` against `data` (one row of `row` floats per time,
/// the batched state's layout) as a [`TrajectoryLoss`] of `ai4de-ode`; it keeps the
/// prediction it was evaluated at.
struct DataLoss<'d> {
    times: &'d [f64],
    data: &'d [f64],
    row: usize,
    loss: Loss,
    pred: RefCell<Vec<f64>>,
}

impl<'d> DataLoss<'d> {
    /// `pred`: a buffer for the prediction (reused).
    fn new(times: &'d [f64], data: &'d [f64], row: usize, loss: Loss, pred: Vec<f64>) -> Self {
        Self {
            times,
            data,
            row,
            loss,
            pred: RefCell::new(pred),
        }
    }
}

impl TrajectoryLoss for DataLoss<'_> {
    fn times(&self) -> &[f64] {
        self.times
    }
    fn point(&self, i: usize, _t: f64, y: &[f64], grad: &mut [f64]) -> f64 {
        let r = i * self.row..(i + 1) * self.row;
        let mut pred = self.pred.borrow_mut();
        pred.resize(self.data.len(), 0.0);
        pred[r.clone()].copy_from_slice(y);
        self.loss
            .part(y, &self.data[r], grad, self.data.len().max(1) as f64)
    }
}

/// The loss of the solve of `sys` from `y0` at `times` against `data` and its gradient in `θ`
/// (`grad` overwritten) by `ai4de-ode`'s [`DiscreteAdjoint`] (the recorded solve's exact
/// gradient, dense save times when `opts.dense`); the prediction goes to `pred`.
#[allow(clippy::too_many_arguments)]
fn loss_grad(
    sys: &NeuralSystem<'_>,
    y0: &[f64],
    times: &[f64],
    data: &[f64],
    loss: Loss,
    opts: &SolveOptions,
    grad: &mut [f64],
    pred: &mut Vec<f64>,
) -> Result<f64, NodeError> {
    let l = DataLoss::new(times, data, y0.len(), loss, std::mem::take(pred));
    let g = DiscreteAdjoint::new(sys, (times[0], times[times.len() - 1]), y0, &l)
        .method(opts.method()?)
        .options(opts.ode_options())
        .dense_observations(opts.dense && opts.fixed_step.is_none())
        .run();
    *pred = l.pred.into_inner();
    let g = g?;
    grad.copy_from_slice(&g.gradient.dp);
    Ok(g.gradient.loss)
}

/// The loss of the solution of `rhs` with parameters `θ` from the batched initial state `y0`
/// (`batch × dim`) at the times `t` against `data` (`t.len()` rows of `batch × dim`, row `k`
/// for `t[k]`, the first row included), and its gradient in `θ` (`grad` overwritten): the
/// exact gradient of the computed solution by `ai4de-ode`'s [`DiscreteAdjoint`] (one recorded
/// solve, one reverse sweep of network VJPs from the kept activations). Returns the loss and
/// the prediction (`t.len()` rows).
///
/// Errors: invalid times, options, parameters or shapes; solver failures
/// ([`NodeError::Ode`]).
#[allow(clippy::too_many_arguments)]
pub fn loss_gradient(
    rhs: &NeuralRhs,
    theta: &[f64],
    y0: &[f64],
    t: &[f64],
    data: &[f64],
    loss: Loss,
    opts: &SolveOptions,
    grad: &mut [f64],
) -> Result<(f64, Vec<f64>), NodeError> {
    crate::solve::validate_times(t)?;
    opts.validate()?;
    check_finite("initial state", y0)?;
    check_finite("data value", data)?;
    if y0.is_empty() || !y0.len().is_multiple_of(rhs.dim()) {
        return Err(NodeError::DimensionMismatch {
            what: "initial states (a positive multiple of the dimension)",
            expected: rhs.dim(),
            found: y0.len(),
        });
    }
    check_len(
        "data (times × batched state)",
        t.len() * y0.len(),
        data.len(),
    )?;
    check_len("parameter gradient", rhs.n_params(), grad.len())?;
    let sys = rhs.system(theta, y0.len() / rhs.dim())?;
    let mut pred = Vec::new();
    let v = loss_grad(&sys, y0, t, data, loss, opts, grad, &mut pred)?;
    Ok((v, pred))
}

/// Full-trajectory loss and its gradient in `θ` (the initial state is the first data row).
pub struct TrajectoryObjective<'a> {
    pub rhs: &'a NeuralRhs,
    pub data: &'a Trajectory,
    pub loss: Loss,
    pub opts: SolveOptions,
    /// Quadratic weight decay `½ λ ‖θ‖²` added to the loss.
    pub weight_decay: f64,
    sys: NeuralSystem<'a>,
    pred: Vec<f64>,
    /// The lowest loss evaluated so far and its `θ` (kept for optimisers that may fail late).
    best: Option<(f64, Vec<f64>)>,
}

impl<'a> TrajectoryObjective<'a> {
    pub fn new(
        rhs: &'a NeuralRhs,
        data: &'a Trajectory,
        loss: Loss,
        opts: SolveOptions,
    ) -> Result<Self, NodeError> {
        check_len(
            "data (times × dimension)",
            data.t.len() * rhs.dim(),
            data.y.len(),
        )?;
        opts.validate()?;
        Ok(Self {
            rhs,
            data,
            loss,
            opts,
            weight_decay: 0.0,
            sys: rhs.system(&vec![0.0; rhs.n_params()], 1)?,
            pred: Vec::new(),
            best: None,
        })
    }

    /// The loss at `θ` and its gradient (`grad` overwritten).
    pub fn value_grad(&mut self, theta: &[f64], grad: &mut [f64]) -> Result<f64, NodeError> {
        let n = self.rhs.dim();
        check_len("parameter gradient", self.rhs.n_params(), grad.len())?;
        self.sys.set_params(theta)?;
        let mut v = loss_grad(
            &self.sys,
            &self.data.y[..n],
            &self.data.t,
            &self.data.y,
            self.loss,
            &self.opts,
            grad,
            &mut self.pred,
        )?;
        if self.weight_decay > 0.0 {
            for (g, th) in grad.iter_mut().zip(theta) {
                *g += self.weight_decay * th;
                v += 0.5 * self.weight_decay * th * th;
            }
        }
        if !v.is_finite() {
            return Err(NodeError::NonFinite { t: self.data.t[0] });
        }
        if self.best.as_ref().is_none_or(|(b, _)| v < *b) {
            self.best = Some((v, theta.to_vec()));
        }
        Ok(v)
    }

    /// The loss at `θ` (a forward solve only: with dense save times the same values as the
    /// gradient's recorded solve; otherwise the save times come from the continuous extension
    /// here while the gradient's solve ends steps on them, a difference of the order of the
    /// tolerance).
    pub fn value(&mut self, theta: &[f64]) -> Result<f64, NodeError> {
        let n = self.rhs.dim();
        self.sys.set_params(theta)?;
        self.pred = predict(&self.sys, &self.data.y[..n], &self.data.t, &self.opts)?;
        let mut dl = vec![0.0; self.pred.len()];
        Ok(self.loss.value_grad(&self.pred, &self.data.y, &mut dl))
    }

    /// The prediction at the data times of the last [`TrajectoryObjective::value`] or
    /// [`TrajectoryObjective::value_grad`].
    pub fn prediction(&self) -> &[f64] {
        &self.pred
    }
}

impl ai4de_inverse::optim::Objective for TrajectoryObjective<'_> {
    fn n_params(&self) -> usize {
        self.rhs.n_params()
    }
    fn value_grad(
        &mut self,
        x: &[f64],
        grad: &mut [f64],
    ) -> Result<f64, ai4de_inverse::InverseError> {
        // A failed solve is an infeasible point for the line search, not a hard error.
        TrajectoryObjective::value_grad(self, x, grad).or(Ok(f64::NAN))
    }
}

/// A first-order optimiser over a flat parameter vector.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Optimizer {
    /// Kingma & Ba (2015), "Adam: a method for stochastic optimization", ICLR, Algorithm 1.
    Adam {
        lr: f64,
        beta1: f64,
        beta2: f64,
        eps: f64,
    },
    /// RMSprop as in PyTorch's `torch.optim.RMSprop` (Hinton's lecture 6e): `v ← αv + (1−α)g²`,
    /// `θ ← θ − lr·g/(√v + ε)`.
    RmsProp { lr: f64, alpha: f64, eps: f64 },
}

impl Optimizer {
    /// Adam with the paper's defaults and learning rate `lr`.
    pub fn adam(lr: f64) -> Self {
        Optimizer::Adam {
            lr,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
        }
    }
    /// RMSprop with PyTorch's defaults (`α = 0.99`, `ε = 1e-8`) and learning rate `lr`.
    pub fn rmsprop(lr: f64) -> Self {
        Optimizer::RmsProp {
            lr,
            alpha: 0.99,
            eps: 1e-8,
        }
    }
}

/// State of an [`Optimizer`] (moment estimates).
#[derive(Debug, Clone)]
pub struct OptimizerState {
    opt: Optimizer,
    m: Vec<f64>,
    v: Vec<f64>,
    step: u64,
}

impl OptimizerState {
    pub fn new(opt: Optimizer, n: usize) -> Self {
        Self {
            opt,
            m: vec![0.0; n],
            v: vec![0.0; n],
            step: 0,
        }
    }

    /// One update of `theta` with gradient `grad`.
    pub fn update(&mut self, theta: &mut [f64], grad: &[f64]) {
        self.step += 1;
        match self.opt {
            Optimizer::Adam {
                lr,
                beta1,
                beta2,
                eps,
            } => {
                let bc1 = 1.0 - beta1.powi(self.step as i32);
                let bc2 = 1.0 - beta2.powi(self.step as i32);
                for (((th, g), m), v) in
                    theta.iter_mut().zip(grad).zip(&mut self.m).zip(&mut self.v)
                {
                    *m = beta1 * *m + (1.0 - beta1) * g;
                    *v = beta2 * *v + (1.0 - beta2) * g * g;
                    *th -= lr * (*m / bc1) / ((*v / bc2).sqrt() + eps);
                }
            }
            Optimizer::RmsProp { lr, alpha, eps } => {
                for ((th, g), v) in theta.iter_mut().zip(grad).zip(&mut self.v) {
                    *v = alpha * *v + (1.0 - alpha) * g * g;
                    *th -= lr * g / (v.sqrt() + eps);
                }
            }
        }
    }
}

/// How each training iteration samples the data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Batching {
    /// The whole trajectory from its first sample.
    Full,
    /// `batch_size` windows of `batch_time` samples with distinct random starts, solved together
    /// from their first samples over the first `batch_time` data times (`torchdiffeq`'s
    /// `get_batch`; needs an autonomous system on a uniform time grid).
    Windows {
        batch_time: usize,
        batch_size: usize,
    },
}

/// Options of [`train`].
#[derive(Debug, Clone, Copy)]
pub struct TrainOptions {
    pub optimizer: Optimizer,
    pub iterations: usize,
    pub batching: Batching,
    pub loss: Loss,
    pub solve: SolveOptions,
    pub seed: u64,
    /// Evaluate the full-trajectory loss every this many iterations (0: never) into the log.
    pub eval_every: usize,
    /// Stop early once the full-trajectory loss is at most this (checked at evaluations).
    pub target_loss: Option<f64>,
}

/// One line of the training log.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LogEntry {
    pub iteration: usize,
    /// Loss of the iteration's batch.
    pub batch_loss: f64,
    /// Full-trajectory loss (at evaluation iterations).
    pub full_loss: Option<f64>,
    /// Seconds since the start of training, excluding full-trajectory evaluations.
    pub seconds: f64,
}

/// Result of [`train`].
#[derive(Debug, Clone)]
pub struct TrainReport {
    pub theta: Vec<f64>,
    pub log: Vec<LogEntry>,
    /// Whether [`TrainOptions::target_loss`] was reached.
    pub reached_target: bool,
}

/// Trains `θ` (from `theta0`) on `data` with a first-order optimiser; see [`TrainOptions`].
pub fn train(
    rhs: &NeuralRhs,
    data: &Trajectory,
    theta0: &[f64],
    opts: &TrainOptions,
) -> Result<TrainReport, NodeError> {
    rhs.mlp().check_params(theta0)?;
    let n = rhs.dim();
    check_len("data (times × dimension)", data.t.len() * n, data.y.len())?;
    let n_t = data.t.len();
    if let Batching::Windows {
        batch_time,
        batch_size,
    } = opts.batching
    {
        if batch_time < 2 || batch_time > n_t || batch_size == 0 || batch_size > n_t - batch_time {
            return Err(NodeError::InvalidConfig {
                what: "batching",
                reason: format!(
                    "batch_time {batch_time}, batch_size {batch_size} for {n_t} samples"
                ),
            });
        }
        let dt = data.t[1] - data.t[0];
        if data
            .t
            .windows(2)
            .any(|w| ((w[1] - w[0]) - dt).abs() > 1e-9 * dt.abs().max(1.0))
        {
            return Err(NodeError::InvalidTimes {
                reason: "window batching needs a uniform time grid".into(),
            });
        }
    }
    let start = std::time::Instant::now();
    let mut theta = theta0.to_vec();
    let mut grad = vec![0.0; theta.len()];
    let mut state = OptimizerState::new(opts.optimizer, theta.len());
    let mut rng = ChaCha8Rng::seed_from_u64(opts.seed);
    let mut full = TrajectoryObjective::new(rhs, data, opts.loss, opts.solve)?;
    let mut batch_sys = match opts.batching {
        Batching::Windows { batch_size, .. } => Some(rhs.system(&theta, batch_size)?),
        Batching::Full => None,
    };
    let (mut y0, mut batch_y, mut pred) = (Vec::new(), Vec::new(), Vec::new());
    let mut log = Vec::new();
    let mut reached = false;
    let mut eval_seconds = 0.0;
    for it in 1..=opts.iterations {
        let batch_loss = match (opts.batching, batch_sys.as_mut()) {
            (
                Batching::Windows {
                    batch_time,
                    batch_size,
                },
                Some(sys),
            ) => {
                let starts = sample(&mut rng, n_t - batch_time, batch_size);
                y0.clear();
                for s in starts.iter() {
                    y0.extend_from_slice(&data.y[s * n..(s + 1) * n]);
                }
                // batch_y[i] = rows s + i of every window, in batch order
                batch_y.clear();
                for i in 0..batch_time {
                    for s in starts.iter() {
                        batch_y.extend_from_slice(&data.y[(s + i) * n..(s + i + 1) * n]);
                    }
                }
                sys.set_params(&theta)?;
                loss_grad(
                    sys,
                    &y0,
                    &data.t[..batch_time],
                    &batch_y,
                    opts.loss,
                    &opts.solve,
                    &mut grad,
                    &mut pred,
                )?
            }
            _ => full.value_grad(&theta, &mut grad)?,
        };
        if !batch_loss.is_finite() {
            return Err(NodeError::Diverged {
                iteration: it,
                loss: batch_loss,
            });
        }
        state.update(&mut theta, &grad);
        let seconds = start.elapsed().as_secs_f64() - eval_seconds;
        let full_loss =
            if opts.eval_every > 0 && (it % opts.eval_every == 0 || it == opts.iterations) {
                let t_eval = std::time::Instant::now();
                let l = full.value(&theta)?;
                eval_seconds += t_eval.elapsed().as_secs_f64();
                Some(l)
            } else {
                None
            };
        log.push(LogEntry {
            iteration: it,
            batch_loss,
            full_loss,
            seconds,
        });
        if let (Some(target), Some(l)) = (opts.target_loss, full_loss) {
            if l <= target {
                reached = true;
                break;
            }
        }
    }
    Ok(TrainReport {
        theta,
        log,
        reached_target: reached,
    })
}

/// Polishes `θ` with L-BFGS (`ai4de_inverse::optim::lbfgs`) on the full-trajectory loss.
pub fn polish_lbfgs(
    rhs: &NeuralRhs,
    data: &Trajectory,
    theta0: &[f64],
    loss: Loss,
    solve: SolveOptions,
    max_iterations: usize,
) -> Result<(Vec<f64>, f64), NodeError> {
    let mut obj = TrajectoryObjective::new(rhs, data, loss, solve)?;
    let opts = ai4de_inverse::optim::LbfgsOptions {
        max_iterations,
        gtol: 1e-10,
        ftol: 1e-15,
        ..Default::default()
    };
    match ai4de_inverse::optim::lbfgs(&mut obj, theta0, &opts) {
        Ok(rep) => Ok((rep.x, rep.f)),
        // a line search that fails near the optimum still leaves the best point evaluated
        Err(e) => obj
            .best
            .take()
            .map(|(f, x)| (x, f))
            .ok_or(NodeError::Optimizer(e)),
    }
}
