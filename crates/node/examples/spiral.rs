//! `torchdiffeq`'s README example (`examples/ode_demo.py`) on ai4de's lean neural ODE: same data
//! (1000 points of `dy/dt = y³·A` on [0, 25] from dopri5), network (Linear(2,50)–tanh–Linear(50,2)
//! on `y³`, weights N(0, 0.1), zero biases), batches (10 times × 20 windows), optimiser (RMSprop,
//! lr 1e-3), solver (Dormand–Prince 5(4), rtol 1e-7, atol 1e-9, save times from the continuous extension, gradients
//! through the solver)
//! and L1 loss. Prints one JSON object per test evaluation, like `bench/node/spiral_torch.py`.
//!
//! `cargo run -p ai4de-node --release --example spiral -- [niters] [seed] [target]`
use ai4de_node::{
    predict, train, Activation, Batching, InputMap, Loss, Mlp, NeuralRhs, Optimizer, SolveOptions,
    TrainOptions, Trajectory,
};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let niters: usize = args.get(1).map_or(Ok(2000), |s| s.parse())?;
    let seed: u64 = args.get(2).map_or(Ok(0), |s| s.parse())?;
    let target: f64 = args.get(3).map_or(Ok(0.0), |s| s.parse())?;
    // dopri5 at torchdiffeq's default tolerances (rtol 1e-7, atol 1e-9), save times by the
    // continuous extension as torchdiffeq does
    let opts = SolveOptions {
        dense: true,
        ..SolveOptions::default()
    };

    // true system dy/dt = y³ A (row vector times A) = Aᵀ y³: a linear layer on y³ with W = Aᵀ
    let a = [[-0.1, 2.0], [-2.0, -0.1]];
    let truth = NeuralRhs::neural_ode(Mlp::new(&[2, 2], Activation::Identity)?, InputMap::Cube)?;
    let w_true = [a[0][0], a[1][0], a[0][1], a[1][1], 0.0, 0.0];
    let t: Vec<f64> = (0..1000).map(|i| 25.0 * i as f64 / 999.0).collect();
    let ys = predict(&truth.system(&w_true, 1)?, &[2.0, 0.0], &t, &opts)?;
    let data = Trajectory::new(t, ys, 2)?;

    let mlp = Mlp::new(&[2, 50, 2], Activation::Tanh)?;
    let theta0 = mlp.init_normal(0.1, seed)?;
    let rhs = NeuralRhs::neural_ode(mlp, InputMap::Cube)?;
    let rep = train(
        &rhs,
        &data,
        &theta0,
        &TrainOptions {
            optimizer: Optimizer::rmsprop(1e-3),
            iterations: niters,
            batching: Batching::Windows {
                batch_time: 10,
                batch_size: 20,
            },
            loss: Loss::L1,
            solve: opts,
            seed,
            eval_every: 20,
            target_loss: Some(target),
        },
    )?;
    for e in rep.log.iter().filter(|e| e.full_loss.is_some()) {
        println!(
            "{{\"impl\": \"ai4de\", \"iter\": {}, \"train_seconds\": {}, \"test_loss\": {}}}",
            e.iteration,
            e.seconds,
            e.full_loss.unwrap_or(f64::NAN)
        );
    }
    Ok(())
}
