//! Multi-step rollout training (`TrainConfig::rollout`, `pushforward`): the `K`-step loss and its
//! gradient equal the sums computed by hand on a one-parameter model, and on the periodic heat
//! equation, whose exact one-step map is linear (the Fourier multiplier `exp(−κ k² Δt)`), a
//! linear model trained on 4-step rollouts has a lower long-rollout error than the same model
//! trained on one-step pairs for the same number of epochs.

use ai4de_neural::data::{Fields, NormKind, Normalizer, Trajectories};
use ai4de_neural::train::{
    rollout_loss, train, NoTrainProgress, Schedule, Surrogate, TrainConfig, TrainData,
};
use ai4de_neural::NeuralError;
use burn::module::{Module, Param};
use burn::tensor::{Device, Tensor, TensorData};

/// `u ↦ a u`.
#[derive(Module, Debug)]
struct Scale {
    a: Param<Tensor<1>>,
}

impl Surrogate<3> for Scale {
    fn forward(&self, x: Tensor<3>) -> Result<Tensor<3>, NeuralError> {
        Ok(x * self.a.val().reshape([1, 1, 1]))
    }
}

fn to_vec<const D: usize>(t: Tensor<D>) -> Vec<f32> {
    t.into_data().try_to_vec::<f32>().unwrap()
}

/// Loss and d(loss)/da of the `K`-step rollout of `u ↦ a u` computed in f64 by hand:
/// `û_j = s a^j x + m`, `x = (u_0 − m) / s`; without pushforward `dû_j/da = s j a^{j−1} x`, with
/// it (the carried state detached) `dû_j/da = s a^{j−1} x`.
fn by_hand(
    a: f64,
    u0: &[Vec<f64>],
    targets: &[Vec<Vec<f64>>],
    m: f64,
    s: f64,
    pushforward: bool,
) -> (f64, f64) {
    let b = u0.len() as f64;
    let (mut loss, mut grad) = (0.0, 0.0);
    for (u, ys) in u0.iter().zip(targets) {
        let x: Vec<f64> = u.iter().map(|v| (v - m) / s).collect();
        for (j, y) in ys.iter().enumerate() {
            let j = (j + 1) as i32;
            let pred: Vec<f64> = x.iter().map(|xi| s * a.powi(j) * xi + m).collect();
            let dpred: Vec<f64> = x
                .iter()
                .map(|xi| {
                    if pushforward {
                        s * a.powi(j - 1) * xi
                    } else {
                        s * f64::from(j) * a.powi(j - 1) * xi
                    }
                })
                .collect();
            let e: f64 = pred
                .iter()
                .zip(y)
                .map(|(p, y)| (p - y).powi(2))
                .sum::<f64>()
                .sqrt();
            let ny: f64 = y.iter().map(|y| y * y).sum::<f64>().sqrt();
            loss += e / ny / b;
            let de: f64 = pred
                .iter()
                .zip(y)
                .zip(&dpred)
                .map(|((p, y), d)| (p - y) * d)
                .sum::<f64>()
                / e;
            grad += de / ny / b;
        }
    }
    (loss, grad)
}

#[test]
fn k_step_loss_and_gradient_equal_the_hand_computed_sums() {
    let device = Device::flex().autodiff();
    let (batch, n, k) = (2, 5, 3);
    let (m, s) = (0.3, 1.7);
    let a = 0.8;
    let u0: Vec<Vec<f64>> = (0..batch)
        .map(|b| {
            (0..n)
                .map(|i| ((b * n + i) as f64 * 0.7).sin() + 0.5)
                .collect()
        })
        .collect();
    let targets: Vec<Vec<Vec<f64>>> = (0..batch)
        .map(|b| {
            (0..k)
                .map(|j| {
                    (0..n)
                        .map(|i| ((b + 2 * j + 3 * i) as f64 * 0.31).cos() + 0.2)
                        .collect()
                })
                .collect()
        })
        .collect();
    let x: Vec<f32> = u0.iter().flatten().map(|v| ((v - m) / s) as f32).collect();
    let y: Vec<f32> = targets
        .iter()
        .flatten()
        .flatten()
        .map(|&v| v as f32)
        .collect();
    for pushforward in [false, true] {
        let model = Scale {
            a: Param::from_tensor(Tensor::from_data(
                TensorData::new(vec![a as f32], [1]),
                &device,
            )),
        };
        let xt = Tensor::<3>::from_data(TensorData::new(x.clone(), [batch, 1, n]), &device);
        let yt = Tensor::<3>::from_data(TensorData::new(y.clone(), [batch, k, n]), &device);
        let mean = Tensor::<3>::from_data(TensorData::new(vec![m as f32], [1, 1, 1]), &device);
        let scale = Tensor::<3>::from_data(TensorData::new(vec![s as f32], [1, 1, 1]), &device);
        let loss = rollout_loss(&model, xt, yt, k, pushforward, &mean, &scale).unwrap();
        let grads = loss.clone().backward();
        let g = f64::from(to_vec(model.a.val().grad(&grads).unwrap())[0]);
        let l = f64::from(to_vec(loss)[0]);
        let (l_hand, g_hand) = by_hand(a, &u0, &targets, m, s, pushforward);
        assert!(
            (l - l_hand).abs() <= 1e-5 * l_hand,
            "pushforward {pushforward}: loss {l} vs {l_hand}"
        );
        assert!(
            (g - g_hand).abs() <= 1e-4 * g_hand.abs(),
            "pushforward {pushforward}: gradient {g} vs {g_hand}"
        );
        // One step is the plain relative L2 loss of the first target.
        if !pushforward {
            let one = by_hand(
                a,
                &u0,
                &targets.iter().map(|t| t[..1].to_vec()).collect::<Vec<_>>(),
                m,
                s,
                false,
            );
            let xt = Tensor::<3>::from_data(TensorData::new(x.clone(), [batch, 1, n]), &device);
            let y1: Vec<f32> = targets
                .iter()
                .flat_map(|t| t[0].iter().map(|&v| v as f32))
                .collect();
            let yt = Tensor::<3>::from_data(TensorData::new(y1, [batch, 1, n]), &device);
            let l1 = f64::from(
                to_vec(rollout_loss(&model, xt, yt, 1, false, &mean, &scale).unwrap())[0],
            );
            assert!((l1 - one.0).abs() <= 1e-5 * one.0, "{l1} vs {}", one.0);
        }
    }
    // Targets whose channels are not a multiple of the steps are a typed error.
    let model = Scale {
        a: Param::from_tensor(Tensor::from_data(
            TensorData::new(vec![1.0f32], [1]),
            &device,
        )),
    };
    let xt = Tensor::<3>::zeros([1, 1, n], &device);
    let yt = Tensor::<3>::zeros([1, 3, n], &device);
    let one = Tensor::<3>::ones([1, 1, 1], &device);
    assert!(matches!(
        rollout_loss(&model, xt, yt, 2, false, &one.clone().mul_scalar(0.0), &one),
        Err(NeuralError::DataShape { .. })
    ));
}

/// A dense linear map of the grid values, `u ↦ W u` (`N²` weights, initialised to zero): it can
/// represent the heat equation's exact one-step map.
#[derive(Module, Debug)]
struct Dense {
    w: Param<Tensor<2>>,
}

impl Surrogate<3> for Dense {
    fn forward(&self, x: Tensor<3>) -> Result<Tensor<3>, NeuralError> {
        let [b, c, n] = x.dims();
        Ok(x.reshape([b * c, n])
            .matmul(self.w.val())
            .reshape([b, c, n]))
    }
}

const N: usize = 16;
const STEPS: usize = 21;

/// Trajectories of `u_t = κ u_xx` on the periodic unit interval, exact: modes 1..4 with random
/// amplitudes decaying by `exp(−κ (2πk)² Δt)` per step; `κ (2π)² Δt = 0.04`.
fn heat(count: usize, seed: u64) -> Trajectories {
    let mut data = Vec::with_capacity(count * STEPS * N);
    let mut state = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    let mut uniform = || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
    };
    for _ in 0..count {
        let coef: Vec<(f64, f64)> = (1..=4)
            .map(|k| (uniform() / k as f64, uniform() / k as f64))
            .collect();
        for step in 0..STEPS {
            for i in 0..N {
                let x = i as f64 / N as f64;
                let v: f64 = coef
                    .iter()
                    .enumerate()
                    .map(|(m, (a, b))| {
                        let k = (m + 1) as f64;
                        let decay = (-0.04 * k * k * step as f64).exp();
                        let arg = 2.0 * std::f64::consts::PI * k * x;
                        decay * (a * arg.cos() + b * arg.sin())
                    })
                    .sum();
                data.push(v as f32);
            }
        }
    }
    Trajectories {
        data,
        n: count,
        steps: STEPS,
        channels: 1,
        spatial: vec![N],
        times: (0..STEPS).map(|k| k as f64).collect(),
    }
}

/// Mean relative L2 error at the last time of rolling `model` out from `u(t_0)` over the
/// whole horizon (identity normalisation).
fn rollout_error(model: &Dense, traj: &Trajectories, device: &Device) -> f64 {
    let mut first = Vec::new();
    let mut last = Vec::new();
    for i in 0..traj.n {
        first.extend_from_slice(traj.state(i, 0));
        last.extend_from_slice(traj.state(i, STEPS - 1));
    }
    let mut u = Tensor::<3>::from_data(TensorData::new(first, [traj.n, 1, N]), device);
    for _ in 1..STEPS {
        u = model.forward(u).unwrap();
    }
    let pred = to_vec(u);
    ai4de_neural::train::mean_rel_l2(&pred, &last, N)
}

fn train_heat(rollout: usize, pushforward: bool, dir: &str) -> (Dense, f64) {
    let device = Device::flex().autodiff();
    let model = Dense {
        w: Param::from_tensor(Tensor::zeros([N, N], &device)),
    };
    let traj = heat(24, 1);
    let all: Vec<usize> = (0..traj.n).collect();
    let train_set = traj.windows(&all, rollout).unwrap();
    let val_set = traj.pairs(&[0]);
    let norm = Normalizer::fit(NormKind::None, &Fields::empty(1, vec![N]));
    let data = TrainData {
        train: (&train_set).into(),
        val: (&val_set).into(),
        out_norm: &norm,
    };
    let cfg = TrainConfig {
        epochs: 12,
        batch: 16,
        lr: 1e-2,
        weight_decay: 0.0,
        schedule: Schedule::Constant,
        seed: 5,
        rollout,
        pushforward,
        ..TrainConfig::default()
    };
    let d = std::env::temp_dir().join(format!("ai4de-neural-{dir}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    let out = train::<Dense, 3>(
        model,
        &data,
        &cfg,
        &d,
        &device,
        false,
        None,
        &mut NoTrainProgress,
    )
    .unwrap();
    let _ = std::fs::remove_dir_all(&d);
    let err = rollout_error(&out.model, &heat(16, 99), &device);
    (out.model, err)
}

#[test]
fn four_step_training_beats_one_step_training_on_long_heat_rollouts() {
    let (_, one) = train_heat(1, false, "heat-k1");
    let (_, four) = train_heat(4, false, "heat-k4");
    let (_, push) = train_heat(4, true, "heat-k4-push");
    eprintln!(
        "20-step rollout error: one-step {one:.3e}, 4-step {four:.3e}, pushforward {push:.3e}"
    );
    assert!(four.is_finite() && one.is_finite() && push.is_finite());
    assert!(four <= one, "4-step {four} vs one-step {one}");
    // Both learned something: a zero map has error 1.
    assert!(
        one < 0.5,
        "one-step training did not learn the heat map: {one}"
    );
}

/// `(u_old, u_new) ↦ a₀ u_old + a₁ u_new`: a model of a two-state history window.
#[derive(Module, Debug)]
struct Mix {
    a: Param<Tensor<1>>,
}

impl Surrogate<3> for Mix {
    fn forward(&self, x: Tensor<3>) -> Result<Tensor<3>, NeuralError> {
        let a = self.a.val();
        let w0 = a.clone().narrow(0, 0, 1).reshape([1, 1, 1]);
        let w1 = a.narrow(0, 1, 1).reshape([1, 1, 1]);
        Ok(x.clone().narrow(1, 0, 1) * w0 + x.narrow(1, 1, 1) * w1)
    }
}

/// The `K`-step loss of [`Mix`] in f64, the window shifted by hand: `v_j = a₀ w_old + a₁ w_new`,
/// then `(w_old, w_new) ← (w_new, v_j)`; decoded `û_j = s v_j + m`.
fn mix_by_hand(a: [f64; 2], x: &[[Vec<f64>; 2]], targets: &[Vec<Vec<f64>>], m: f64, s: f64) -> f64 {
    let b = x.len() as f64;
    let mut loss = 0.0;
    for (w, ys) in x.iter().zip(targets) {
        let (mut old, mut new) = (w[0].clone(), w[1].clone());
        for y in ys {
            let v: Vec<f64> = old
                .iter()
                .zip(&new)
                .map(|(o, n)| a[0] * o + a[1] * n)
                .collect();
            let e: f64 = v
                .iter()
                .zip(y)
                .map(|(v, y)| (s * v + m - y).powi(2))
                .sum::<f64>()
                .sqrt();
            let ny: f64 = y.iter().map(|y| y * y).sum::<f64>().sqrt();
            loss += e / ny / b;
            old = new;
            new = v;
        }
    }
    loss
}

/// Issue 7: with a window of 2 history states the rollout shifts the window by one predicted
/// state per step: loss and gradient equal the hand-shifted sums (gradient against central
/// differences of the f64 loss).
#[test]
fn history_window_rollout_loss_shifts_the_window() {
    let device = Device::flex().autodiff();
    let (batch, n, k) = (2, 4, 3);
    let (m, s) = (0.2, 1.3);
    let a = [0.4, 0.7];
    let x: Vec<[Vec<f64>; 2]> = (0..batch)
        .map(|b| {
            let st = |h: usize| -> Vec<f64> {
                (0..n)
                    .map(|i| ((b * 7 + h * 3 + i) as f64 * 0.53).sin() + 0.4)
                    .collect()
            };
            [st(0), st(1)]
        })
        .collect();
    let targets: Vec<Vec<Vec<f64>>> = (0..batch)
        .map(|b| {
            (0..k)
                .map(|j| {
                    (0..n)
                        .map(|i| ((b + 5 * j + 2 * i) as f64 * 0.29).cos() + 0.3)
                        .collect()
                })
                .collect()
        })
        .collect();
    let xv: Vec<f32> = x
        .iter()
        .flat_map(|w| w.iter().flatten().map(|&v| v as f32))
        .collect();
    let yv: Vec<f32> = targets
        .iter()
        .flatten()
        .flatten()
        .map(|&v| v as f32)
        .collect();
    let model = Mix {
        a: Param::from_tensor(Tensor::from_data(
            TensorData::new(vec![a[0] as f32, a[1] as f32], [2]),
            &device,
        )),
    };
    let xt = Tensor::<3>::from_data(TensorData::new(xv, [batch, 2, n]), &device);
    let yt = Tensor::<3>::from_data(TensorData::new(yv, [batch, k, n]), &device);
    let mean = Tensor::<3>::from_data(TensorData::new(vec![m as f32], [1, 1, 1]), &device);
    let scale = Tensor::<3>::from_data(TensorData::new(vec![s as f32], [1, 1, 1]), &device);
    let loss = rollout_loss(&model, xt.clone(), yt, k, false, &mean, &scale).unwrap();
    let grads = loss.clone().backward();
    let g = to_vec(model.a.val().grad(&grads).unwrap());
    let l = f64::from(to_vec(loss)[0]);
    let hand = mix_by_hand(a, &x, &targets, m, s);
    assert!((l - hand).abs() <= 1e-5 * hand, "loss {l} vs {hand}");
    // The window not shifted (the first input reused) gives another loss: the check can fail.
    let stale: f64 = (1..=k)
        .map(|j| {
            let t1: Vec<Vec<Vec<f64>>> = targets.iter().map(|t| t[j - 1..j].to_vec()).collect();
            mix_by_hand(a, &x, &t1, m, s)
        })
        .sum();
    assert!((stale - hand).abs() > 1e-3 * hand, "{stale} vs {hand}");
    for (i, gi) in g.iter().enumerate() {
        let h = 1e-6;
        let (mut up, mut down) = (a, a);
        up[i] += h;
        down[i] -= h;
        let fd = (mix_by_hand(up, &x, &targets, m, s) - mix_by_hand(down, &x, &targets, m, s))
            / (2.0 * h);
        assert!(
            (f64::from(*gi) - fd).abs() <= 1e-3 * fd.abs().max(1e-3),
            "d loss / d a{i}: {gi} vs {fd}"
        );
    }
    // An input window whose channels are not a multiple of the state's is a typed error.
    let yt = Tensor::<3>::zeros([batch, 3 * k, n], &device);
    assert!(matches!(
        rollout_loss(&model, xt, yt, k, false, &mean, &scale),
        Err(NeuralError::DataShape { .. })
    ));
}
