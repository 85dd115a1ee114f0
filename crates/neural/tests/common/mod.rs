//! Shared set-up of the neural crate's integration tests.

use ai4de_neural::data::{Fields, Pairs};

/// Pairs `u(x) -> 2 u(x)^2 - 0.9` on 16 points, a pointwise map the MLP can learn.
pub fn pairs(n: usize, offset: usize) -> Pairs {
    let mut inputs = Fields::empty(1, vec![16]);
    let mut outputs = Fields::empty(1, vec![16]);
    for s in 0..n {
        let u: Vec<f32> = (0..16)
            .map(|i| ((s + offset) as f32 * 0.37 + i as f32 * 0.4).sin())
            .collect();
        let v: Vec<f32> = u.iter().map(|x| 2.0 * x * x - 1.0 + 0.1).collect();
        inputs.push(&u);
        outputs.push(&v);
    }
    Pairs { inputs, outputs }
}

/// A fresh, empty scratch directory named after `name` and this process.
pub fn tmpdir(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("ai4de-neural-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}
