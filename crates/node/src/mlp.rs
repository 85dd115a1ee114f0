//! A lean multilayer perceptron in plain `f64` with its own reverse mode (VJP) and forward mode
//! (JVP), for the tiny networks of neural ODEs and universal differential equations.
//!
//! `y = W_L σ(… σ(W_1 x + b_1) …) + b_L`: every hidden layer is affine followed by one
//! [`Activation`], the output layer is affine. All weights live in one flat parameter vector
//! `θ` (per layer: `W` row-major `out × in`, then `b`), so optimisers and sensitivity code see a
//! single `&[f64]`. Evaluation is batched (rows of a row-major `batch × width` matrix) and
//! allocation-free once an [`MlpWorkspace`] has grown to the batch size.
//!
//! Why not a burn module: the right-hand side of a neural ODE is evaluated thousands of times
//! per solve on inputs of a handful of numbers, so the per-call overhead of a tensor framework
//! (dispatch, allocation of every intermediate tensor, the autodiff tape) dominates the
//! arithmetic. Measured against the same layers as a burn `flex` module (`ai4de-neural`'s
//! example `bench_mlp`; table in `bench/node/RESULTS.md`, quiet 2-core machine): the burn
//! module's VJP costs 27–132× the lean one at batch 1 and 3–15× at batch 20, its forward pass
//! 5–21× at batch 1 and 1–4× at batch 20.
//!
//! Initialisation: Glorot & Bengio (2010), "Understanding the difficulty of training deep
//! feedforward neural networks", AISTATS, eq. (16) (uniform on `±√(6/(fan_in+fan_out))`,
//! zero biases), or a normal distribution (as `torchdiffeq`'s examples do).

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal, Uniform};

use crate::NodeError;

/// Activation function of the hidden layers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Activation {
    /// `tanh z`.
    Tanh,
    /// GELU, tanh approximation (Hendrycks & Gimpel 2016, eq. in §2):
    /// `½ z (1 + tanh(√(2/π)(z + 0.044715 z³)))`.
    Gelu,
    /// `ln(1 + eᶻ)`, evaluated stably.
    Softplus,
    /// `max(z, 0)` (derivative 0 at 0).
    Relu,
    /// Gaussian radial basis `exp(−z²)`, the activation of Rackauckas et al. (2020)'s
    /// Lotka–Volterra UDE.
    Rbf,
    /// `z` (a linear layer).
    Identity,
}

impl Activation {
    /// `σ(z)`.
    #[inline]
    pub fn eval(self, z: f64) -> f64 {
        match self {
            Activation::Tanh => tanh(z),
            Activation::Gelu => 0.5 * z * (1.0 + (GELU_C * (z + 0.044715 * z * z * z)).tanh()),
            Activation::Softplus => z.max(0.0) + (-z.abs()).exp().ln_1p(),
            Activation::Relu => z.max(0.0),
            Activation::Rbf => (-z * z).exp(),
            Activation::Identity => z,
        }
    }

    /// `σ'(z)`, given `z` and `a = σ(z)`.
    #[inline]
    pub fn derivative(self, z: f64, a: f64) -> f64 {
        match self {
            Activation::Tanh => 1.0 - a * a,
            Activation::Gelu => {
                let u = GELU_C * (z + 0.044715 * z * z * z);
                let th = u.tanh();
                0.5 * (1.0 + th)
                    + 0.5 * z * (1.0 - th * th) * GELU_C * (1.0 + 3.0 * 0.044715 * z * z)
            }
            Activation::Softplus => 1.0 / (1.0 + (-z).exp()),
            Activation::Relu => {
                if z > 0.0 {
                    1.0
                } else {
                    0.0
                }
            }
            Activation::Rbf => -2.0 * z * a,
            Activation::Identity => 1.0,
        }
    }

    /// Parses `tanh`, `gelu`, `softplus`, `relu`, `rbf`, `identity`.
    pub fn parse(s: &str) -> Result<Self, NodeError> {
        Ok(match s {
            "tanh" => Activation::Tanh,
            "gelu" => Activation::Gelu,
            "softplus" => Activation::Softplus,
            "relu" => Activation::Relu,
            "rbf" => Activation::Rbf,
            "identity" | "linear" => Activation::Identity,
            _ => {
                return Err(NodeError::InvalidConfig {
                    what: "activation",
                    reason: format!(
                        "unknown activation '{s}' (tanh, gelu, softplus, relu, rbf, identity)"
                    ),
                })
            }
        })
    }
}

const GELU_C: f64 = 0.797_884_560_802_865_4; // √(2/π)

/// `tanh z` by the Cephes Mathematical Library's `tanh.c` (S. L. Moshier, *Methods and
/// Programs for Mathematical Functions*, 1989; the algorithm of Go's `math.Tanh`): for
/// `|z| < 0.625` the minimax rational `z + z s P(s)/Q(s)`, `s = z²` (relative error ~2e-17),
/// else `1 − 2/(e^{2|z|} + 1)` with the sign of `z`. Inlined, instead of a call to the C
/// library's `tanh` (an `expm1` and more; the speed difference has not been measured on its
/// own), within 3 ulp of it (unit test); the network's derivative
/// `1 − a²` is unaffected. The hidden layers of a neural ODE spend most of their time here.
#[inline]
pub(crate) fn tanh(z: f64) -> f64 {
    // Cephes' coefficients (-9.64399179425052238628e-1, ...) rounded to f64
    const P: [f64; 3] = [-0.9643991794250523, -99.28772310019185, -1614.6876844170845];
    const Q: [f64; 3] = [112.81167849163293, 2235.4883906010045, 4844.063053251255];
    let a = z.abs();
    if a < 0.625 {
        let s = z * z;
        let p = (P[0] * s + P[1]) * s + P[2];
        let q = ((s + Q[0]) * s + Q[1]) * s + Q[2];
        z + z * s * (p / q)
    } else {
        // e^{2|z|} overflows to +inf beyond |z| ≈ 355, which gives exactly ±1; NaN stays NaN
        let r = 1.0 - 2.0 / ((2.0 * a).exp() + 1.0);
        r.copysign(z)
    }
}

/// Network shape: layer widths and the hidden activation. Parameters live outside, in `θ`.
#[derive(Debug, Clone, PartialEq)]
pub struct Mlp {
    sizes: Vec<usize>,
    activation: Activation,
    /// Offset of layer `l`'s weights in `θ`; its biases follow at `offsets[l] + out·in`.
    offsets: Vec<usize>,
    n_params: usize,
}

/// Scratch space of an [`Mlp`] for a batch of up to `capacity` inputs. Grows on demand (the only
/// allocation); reuse one per thread.
#[derive(Debug, Clone, Default)]
pub struct MlpWorkspace {
    capacity: usize,
    /// Pre-activations per layer (`batch × width`).
    z: Vec<Vec<f64>>,
    /// Activations per layer (the last one is the output).
    a: Vec<Vec<f64>>,
    /// Two ping-pong buffers for adjoints or tangents (`batch × max width`).
    g0: Vec<f64>,
    g1: Vec<f64>,
}

impl MlpWorkspace {
    /// An empty workspace (grows on first use).
    pub fn new() -> Self {
        Self::default()
    }

    fn ensure(&mut self, mlp: &Mlp, batch: usize) {
        if self.capacity >= batch && self.z.len() == mlp.n_layers() {
            return;
        }
        let cap = batch.max(self.capacity);
        let maxw = mlp.sizes.iter().copied().max().unwrap_or(0);
        self.z = mlp.sizes[1..].iter().map(|&w| vec![0.0; cap * w]).collect();
        self.a = self.z.clone();
        self.g0 = vec![0.0; cap * maxw];
        self.g1 = vec![0.0; cap * maxw];
        self.capacity = cap;
    }
}

impl Mlp {
    /// A network with layer widths `sizes = [input, hidden…, output]` (at least two entries, all
    /// positive) and `activation` on every hidden layer.
    pub fn new(sizes: &[usize], activation: Activation) -> Result<Self, NodeError> {
        if sizes.len() < 2 || sizes.contains(&0) {
            return Err(NodeError::InvalidConfig {
                what: "layer sizes",
                reason: format!(
                    "need at least input and output width, all positive; got {sizes:?}"
                ),
            });
        }
        let mut offsets = Vec::with_capacity(sizes.len() - 1);
        let mut n = 0;
        for w in sizes.windows(2) {
            offsets.push(n);
            n += w[1] * w[0] + w[1];
        }
        Ok(Self {
            sizes: sizes.to_vec(),
            activation,
            offsets,
            n_params: n,
        })
    }

    /// Layer widths `[input, hidden…, output]`.
    pub fn sizes(&self) -> &[usize] {
        &self.sizes
    }
    /// The hidden activation.
    pub fn activation(&self) -> Activation {
        self.activation
    }
    /// Input width.
    pub fn n_in(&self) -> usize {
        self.sizes[0]
    }
    /// Output width.
    pub fn n_out(&self) -> usize {
        self.sizes[self.sizes.len() - 1]
    }
    /// Number of affine layers.
    pub fn n_layers(&self) -> usize {
        self.sizes.len() - 1
    }
    /// Length of `θ`.
    pub fn n_params(&self) -> usize {
        self.n_params
    }

    /// Glorot-uniform weights, zero biases, from `seed`.
    pub fn init_glorot(&self, seed: u64) -> Vec<f64> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut theta = vec![0.0; self.n_params];
        for l in 0..self.n_layers() {
            let (fi, fo) = (self.sizes[l], self.sizes[l + 1]);
            let a = (6.0 / (fi + fo) as f64).sqrt();
            let u = Uniform::new(-a, a).expect("a > 0 because fan_in + fan_out > 0");
            for w in &mut theta[self.offsets[l]..self.offsets[l] + fi * fo] {
                *w = u.sample(&mut rng);
            }
        }
        theta
    }

    /// Weights `N(0, std²)`, zero biases, from `seed` (the initialisation of `torchdiffeq`'s
    /// `ode_demo.py`, `std = 0.1`).
    pub fn init_normal(&self, std: f64, seed: u64) -> Result<Vec<f64>, NodeError> {
        if !(std.is_finite() && std > 0.0) {
            return Err(NodeError::InvalidConfig {
                what: "initial standard deviation",
                reason: format!("must be positive and finite, got {std}"),
            });
        }
        let dist = Normal::new(0.0, std).map_err(|e| NodeError::InvalidConfig {
            what: "initial standard deviation",
            reason: e.to_string(),
        })?;
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut theta = vec![0.0; self.n_params];
        for l in 0..self.n_layers() {
            let (fi, fo) = (self.sizes[l], self.sizes[l + 1]);
            for w in &mut theta[self.offsets[l]..self.offsets[l] + fi * fo] {
                *w = dist.sample(&mut rng);
            }
        }
        Ok(theta)
    }

    /// Checks `θ`'s length and finiteness.
    pub fn check_params(&self, theta: &[f64]) -> Result<(), NodeError> {
        check_len("parameters", self.n_params, theta.len())?;
        check_finite("parameter", theta)
    }

    fn check_batch(
        &self,
        theta: &[f64],
        x: &[f64],
        out: &[f64],
        n_out: usize,
    ) -> Result<usize, NodeError> {
        check_len("parameters", self.n_params, theta.len())?;
        if !x.len().is_multiple_of(self.n_in()) {
            return Err(NodeError::DimensionMismatch {
                what: "input batch (multiple of the input width)",
                expected: x.len().div_ceil(self.n_in()) * self.n_in(),
                found: x.len(),
            });
        }
        let batch = x.len() / self.n_in();
        check_len("output batch", batch * n_out, out.len())?;
        Ok(batch)
    }

    /// `y = NN(x; θ)` for a batch: `x` is `batch × n_in`, `y` is `batch × n_out` (row-major).
    pub fn forward(
        &self,
        theta: &[f64],
        x: &[f64],
        ws: &mut MlpWorkspace,
        y: &mut [f64],
    ) -> Result<(), NodeError> {
        self.check_batch(theta, x, y, self.n_out())?;
        self.forward_unchecked(theta, x, ws);
        y.copy_from_slice(&ws.a[self.n_layers() - 1][..y.len()]);
        Ok(())
    }

    /// Vector–Jacobian products for a batch: `gx = wᵀ ∂y/∂x` (per row, overwritten) and
    /// `gθ += Σ_rows wᵀ ∂y/∂θ` (accumulated, so sums over stages and batches need no temporary).
    pub fn vjp(
        &self,
        theta: &[f64],
        x: &[f64],
        w: &[f64],
        ws: &mut MlpWorkspace,
        gx: &mut [f64],
        gtheta: &mut [f64],
    ) -> Result<(), NodeError> {
        let batch = self.check_batch(theta, x, w, self.n_out())?;
        check_len("input cotangent", batch * self.n_in(), gx.len())?;
        check_len("parameter cotangent", self.n_params, gtheta.len())?;
        self.vjp_unchecked(theta, x, w, ws, Some(gx), gtheta);
        Ok(())
    }

    /// Jacobian–vector product for a batch: `y = NN(x; θ)` and `dy = ∂y/∂x·dx + ∂y/∂θ·dθ`.
    #[allow(clippy::too_many_arguments)]
    pub fn jvp(
        &self,
        theta: &[f64],
        x: &[f64],
        dx: &[f64],
        dtheta: &[f64],
        ws: &mut MlpWorkspace,
        y: &mut [f64],
        dy: &mut [f64],
    ) -> Result<(), NodeError> {
        self.check_batch(theta, x, y, self.n_out())?;
        check_len("input tangent", x.len(), dx.len())?;
        check_len("parameter tangent", self.n_params, dtheta.len())?;
        check_len("output tangent", y.len(), dy.len())?;
        let batch = x.len() / self.n_in();
        ws.ensure(self, batch);
        let mut t_in = std::mem::take(&mut ws.g0);
        let mut t_out = std::mem::take(&mut ws.g1);
        t_in[..dx.len()].copy_from_slice(dx);
        for l in 0..self.n_layers() {
            let (ni, no) = (self.sizes[l], self.sizes[l + 1]);
            let (wo, bo) = (self.offsets[l], self.offsets[l] + no * ni);
            let wmat = &theta[wo..bo];
            let dwmat = &dtheta[wo..bo];
            let (zs, as_) = (&mut ws.z, &mut ws.a);
            let (prev, cur) = as_.split_at_mut(l);
            let input: &[f64] = if l == 0 { x } else { &prev[l - 1] };
            let last = l + 1 == self.n_layers();
            for s in 0..batch {
                let xin = &input[s * ni..(s + 1) * ni];
                let tin = &t_in[s * ni..(s + 1) * ni];
                for o in 0..no {
                    let row = &wmat[o * ni..(o + 1) * ni];
                    let drow = &dwmat[o * ni..(o + 1) * ni];
                    let z = theta[bo + o] + dot(row, xin);
                    let dz = dtheta[bo + o] + dot(row, tin) + dot(drow, xin);
                    let k = s * no + o;
                    zs[l][k] = z;
                    if last {
                        cur[0][k] = z;
                        t_out[k] = dz;
                    } else {
                        let a = self.activation.eval(z);
                        cur[0][k] = a;
                        t_out[k] = self.activation.derivative(z, a) * dz;
                    }
                }
            }
            std::mem::swap(&mut t_in, &mut t_out);
        }
        y.copy_from_slice(&ws.a[self.n_layers() - 1][..y.len()]);
        dy.copy_from_slice(&t_in[..dy.len()]);
        ws.g0 = t_in;
        ws.g1 = t_out;
        Ok(())
    }

    /// Forward pass into the workspace (`ws.a[last]` holds the output). Lengths must be valid.
    pub(crate) fn forward_unchecked(&self, theta: &[f64], x: &[f64], ws: &mut MlpWorkspace) {
        let batch = x.len() / self.n_in();
        ws.ensure(self, batch);
        let n_layers = self.n_layers();
        for l in 0..n_layers {
            let (ni, no) = (self.sizes[l], self.sizes[l + 1]);
            let (wo, bo) = (self.offsets[l], self.offsets[l] + no * ni);
            let wmat = &theta[wo..bo];
            let bias = &theta[bo..bo + no];
            let (prev, cur) = ws.a.split_at_mut(l);
            let input: &[f64] = if l == 0 { x } else { &prev[l - 1] };
            let z = &mut ws.z[l];
            let a = &mut cur[0];
            let last = l + 1 == n_layers;
            for s in 0..batch {
                let xin = &input[s * ni..(s + 1) * ni];
                for o in 0..no {
                    let k = s * no + o;
                    let v = bias[o] + dot(&wmat[o * ni..(o + 1) * ni], xin);
                    z[k] = v;
                    a[k] = if last { v } else { self.activation.eval(v) };
                }
            }
        }
    }

    /// The output of the last [`Mlp::forward_unchecked`] (`batch × n_out`).
    pub(crate) fn output<'w>(&self, ws: &'w MlpWorkspace, batch: usize) -> &'w [f64] {
        &ws.a[self.n_layers() - 1][..batch * self.n_out()]
    }

    /// Length of the activation record of one evaluation of a batch of `batch` inputs
    /// ([`Mlp::keep_activations`]): the pre-activations and activations of every hidden layer.
    pub fn keep_len(&self, batch: usize) -> usize {
        2 * batch * self.sizes[1..self.sizes.len() - 1].iter().sum::<usize>()
    }

    /// Offset of hidden layer `l`'s record (`z` then `a`, `batch × width` each) in a keep.
    fn keep_offset(&self, l: usize, batch: usize) -> usize {
        2 * batch * self.sizes[1..=l].iter().sum::<usize>()
    }

    /// Copies the hidden layers of the last [`Mlp::forward_unchecked`] (a batch of `batch`) into
    /// `keep` ([`Mlp::keep_len`] floats), so that [`Mlp::vjp_kept`] at the same input need not
    /// run the forward pass again.
    pub(crate) fn keep_activations(&self, ws: &MlpWorkspace, batch: usize, keep: &mut [f64]) {
        for l in 0..self.n_layers() - 1 {
            let m = batch * self.sizes[l + 1];
            let o = self.keep_offset(l, batch);
            keep[o..o + m].copy_from_slice(&ws.z[l][..m]);
            keep[o + m..o + 2 * m].copy_from_slice(&ws.a[l][..m]);
        }
    }

    /// Forward then reverse sweep; `gx` (if given) overwritten, `gtheta` accumulated.
    pub(crate) fn vjp_unchecked(
        &self,
        theta: &[f64],
        x: &[f64],
        w: &[f64],
        ws: &mut MlpWorkspace,
        gx: Option<&mut [f64]>,
        gtheta: &mut [f64],
    ) {
        let batch = x.len() / self.n_in();
        self.forward_unchecked(theta, x, ws);
        let mut g0 = std::mem::take(&mut ws.g0);
        let mut g1 = std::mem::take(&mut ws.g1);
        let (zs, as_) = (&ws.z, &ws.a);
        self.reverse(
            theta,
            x,
            batch,
            &|l| (&zs[l][..], &as_[l][..]),
            w,
            (&mut g0, &mut g1),
            gx,
            gtheta,
        );
        ws.g0 = g0;
        ws.g1 = g1;
    }

    /// The reverse sweep of [`Mlp::vjp_unchecked`] from the activations `keep` that
    /// [`Mlp::keep_activations`] recorded for the same `θ` and `x` (no forward pass).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn vjp_kept(
        &self,
        theta: &[f64],
        x: &[f64],
        keep: &[f64],
        w: &[f64],
        ws: &mut MlpWorkspace,
        gx: Option<&mut [f64]>,
        gtheta: &mut [f64],
    ) {
        let batch = x.len() / self.n_in();
        ws.ensure(self, batch);
        let mut g0 = std::mem::take(&mut ws.g0);
        let mut g1 = std::mem::take(&mut ws.g1);
        let layer = |l: usize| {
            let m = batch * self.sizes[l + 1];
            let o = self.keep_offset(l, batch);
            (&keep[o..o + m], &keep[o + m..o + 2 * m])
        };
        self.reverse(theta, x, batch, &layer, w, (&mut g0, &mut g1), gx, gtheta);
        ws.g0 = g0;
        ws.g1 = g1;
    }

    /// Reverse sweep given hidden layer `l`'s pre-activations and activations `hidden(l)`;
    /// `g` are two scratch buffers of `batch × max width`.
    #[allow(clippy::too_many_arguments)]
    fn reverse<'a>(
        &self,
        theta: &[f64],
        x: &'a [f64],
        batch: usize,
        hidden: &dyn Fn(usize) -> (&'a [f64], &'a [f64]),
        w: &[f64],
        g: (&mut Vec<f64>, &mut Vec<f64>),
        gx: Option<&mut [f64]>,
        gtheta: &mut [f64],
    ) {
        let (dz, gin) = g;
        let n_layers = self.n_layers();
        dz[..w.len()].copy_from_slice(w);
        for l in (0..n_layers).rev() {
            let (ni, no) = (self.sizes[l], self.sizes[l + 1]);
            let (wo, bo) = (self.offsets[l], self.offsets[l] + no * ni);
            // dz holds ∂L/∂a_l; turn it into ∂L/∂z_l (the output layer is affine).
            if l + 1 != n_layers {
                let (z, a) = hidden(l);
                for k in 0..batch * no {
                    dz[k] *= self.activation.derivative(z[k], a[k]);
                }
            }
            let input: &[f64] = if l == 0 { x } else { hidden(l - 1).1 };
            let (gw, gb) = gtheta[wo..bo + no].split_at_mut(no * ni);
            let wmat = &theta[wo..bo];
            let need_gin = l > 0 || gx.is_some();
            for s in 0..batch {
                let xin = &input[s * ni..(s + 1) * ni];
                let d = &dz[s * no..(s + 1) * no];
                let g = &mut gin[s * ni..(s + 1) * ni];
                if need_gin {
                    g.fill(0.0);
                }
                for o in 0..no {
                    let dzo = d[o];
                    gb[o] += dzo;
                    axpy(dzo, xin, &mut gw[o * ni..(o + 1) * ni]);
                    if need_gin {
                        axpy(dzo, &wmat[o * ni..(o + 1) * ni], g);
                    }
                }
            }
            std::mem::swap(dz, gin);
        }
        if let Some(gx) = gx {
            gx.copy_from_slice(&dz[..gx.len()]);
        }
    }
}

#[inline]
fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

#[inline]
fn axpy(alpha: f64, x: &[f64], y: &mut [f64]) {
    for (yi, xi) in y.iter_mut().zip(x) {
        *yi += alpha * xi;
    }
}

pub(crate) fn check_len(
    what: &'static str,
    expected: usize,
    found: usize,
) -> Result<(), NodeError> {
    if expected != found {
        return Err(NodeError::DimensionMismatch {
            what,
            expected,
            found,
        });
    }
    Ok(())
}

pub(crate) fn check_finite(what: &'static str, v: &[f64]) -> Result<(), NodeError> {
    match v.iter().position(|x| !x.is_finite()) {
        Some(index) => Err(NodeError::NonFiniteInput {
            what,
            index,
            value: v[index],
        }),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The Cephes `tanh` is within 3 ulp of the C library's over the whole range, odd, and
    /// handles the special values.
    #[test]
    fn tanh_matches_the_c_library() {
        let mut worst: f64 = 0.0;
        let mut z = 1e-300f64;
        while z < 400.0 {
            for x in [z, -z, z * 1.000_000_1, 0.625 * (1.0 + z.fract() * 1e-3)] {
                let (a, b) = (tanh(x), x.tanh());
                let ulp = (b.abs() * f64::EPSILON).max(f64::MIN_POSITIVE);
                worst = worst.max((a - b).abs() / ulp);
                assert_eq!(tanh(-x), -tanh(x));
            }
            z *= 1.0037;
        }
        println!("Cephes tanh vs libm: at most {worst} ulp");
        assert!(worst <= 3.0, "{worst} ulp");
        assert_eq!(tanh(0.0), 0.0);
        assert_eq!(tanh(f64::INFINITY), 1.0);
        assert_eq!(tanh(f64::NEG_INFINITY), -1.0);
        assert!(tanh(f64::NAN).is_nan());
    }

    /// The VJP from kept activations is the recomputing VJP, bit for bit, for every activation
    /// and depth (other evaluations in between do not disturb the record).
    #[test]
    fn vjp_from_kept_activations_equals_recomputed() {
        for act in [
            Activation::Tanh,
            Activation::Gelu,
            Activation::Softplus,
            Activation::Relu,
            Activation::Rbf,
            Activation::Identity,
        ] {
            for sizes in [vec![2usize, 3], vec![2, 7, 2], vec![3, 5, 4, 2]] {
                let mlp = Mlp::new(&sizes, act).unwrap();
                let theta = mlp.init_glorot(1);
                let batch = 3;
                let x: Vec<f64> = (0..batch * mlp.n_in())
                    .map(|i| (i as f64 * 0.7).sin())
                    .collect();
                let x2: Vec<f64> = x.iter().map(|v| v + 0.3).collect();
                let w: Vec<f64> = (0..batch * mlp.n_out())
                    .map(|i| (i as f64 * 1.3).cos())
                    .collect();
                let mut ws = MlpWorkspace::new();
                let mut keep = vec![0.0; mlp.keep_len(batch)];
                mlp.forward_unchecked(&theta, &x, &mut ws);
                mlp.keep_activations(&ws, batch, &mut keep);
                mlp.forward_unchecked(&theta, &x2, &mut ws);
                let (mut gx1, mut gx2) = (vec![0.0; x.len()], vec![0.0; x.len()]);
                let (mut gt1, mut gt2) = (vec![0.5; theta.len()], vec![0.5; theta.len()]);
                mlp.vjp_unchecked(&theta, &x, &w, &mut ws, Some(&mut gx1), &mut gt1);
                mlp.vjp_kept(&theta, &x, &keep, &w, &mut ws, Some(&mut gx2), &mut gt2);
                assert_eq!(gx1, gx2, "{act:?} {sizes:?}");
                assert_eq!(gt1, gt2, "{act:?} {sizes:?}");
            }
        }
    }

    /// Relative error with a floor of 1 % of the gradient's largest entry (central differences
    /// with h = 1e-6 carry ~1e-10 absolute round-off, so tinier entries cannot be checked to 1e-7).
    fn rel(a: f64, b: f64, scale: f64) -> f64 {
        (a - b).abs() / a.abs().max(b.abs()).max(1e-2 * scale)
    }
    fn inf_norm(v: &[f64]) -> f64 {
        v.iter().fold(0.0, |m, x| m.max(x.abs()))
    }

    fn check_grads(act: Activation, sizes: &[usize], batch: usize) {
        let mlp = Mlp::new(sizes, act).unwrap();
        let theta = mlp.init_glorot(7);
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let nd = Normal::new(0.0, 1.0).unwrap();
        let x: Vec<f64> = (0..batch * mlp.n_in())
            .map(|_| nd.sample(&mut rng))
            .collect();
        let w: Vec<f64> = (0..batch * mlp.n_out())
            .map(|_| nd.sample(&mut rng))
            .collect();
        let mut ws = MlpWorkspace::new();
        let mut gx = vec![0.0; x.len()];
        let mut gt = vec![0.0; theta.len()];
        mlp.vjp(&theta, &x, &w, &mut ws, &mut gx, &mut gt).unwrap();
        let mut y = vec![0.0; w.len()];
        let f = |th: &[f64], xx: &[f64], ws: &mut MlpWorkspace, y: &mut Vec<f64>| {
            mlp.forward(th, xx, ws, y).unwrap();
            dot(y, &w)
        };
        let h = 1e-6;
        for i in 0..x.len() {
            let (mut xp, mut xm) = (x.clone(), x.clone());
            xp[i] += h;
            xm[i] -= h;
            let fd =
                (f(&theta, &xp, &mut ws, &mut y) - f(&theta, &xm, &mut ws, &mut y)) / (2.0 * h);
            assert!(
                rel(fd, gx[i], inf_norm(&gx)) < 1e-7,
                "{act:?} gx[{i}]: fd {fd} vs {}",
                gx[i]
            );
        }
        for i in 0..theta.len() {
            let (mut tp, mut tm) = (theta.clone(), theta.clone());
            tp[i] += h;
            tm[i] -= h;
            let fd = (f(&tp, &x, &mut ws, &mut y) - f(&tm, &x, &mut ws, &mut y)) / (2.0 * h);
            assert!(
                rel(fd, gt[i], inf_norm(&gt)) < 1e-7,
                "{act:?} gθ[{i}]: fd {fd} vs {}",
                gt[i]
            );
        }
        // JVP against the VJP: <w, J v> = <Jᵀ w, v>.
        let dx: Vec<f64> = (0..x.len()).map(|_| nd.sample(&mut rng)).collect();
        let dt: Vec<f64> = (0..theta.len()).map(|_| nd.sample(&mut rng)).collect();
        let mut dy = vec![0.0; w.len()];
        mlp.jvp(&theta, &x, &dx, &dt, &mut ws, &mut y, &mut dy)
            .unwrap();
        let lhs = dot(&w, &dy);
        let rhs = dot(&gx, &dx) + dot(&gt, &dt);
        assert!(
            rel(lhs, rhs, 1.0) < 1e-12,
            "{act:?}: jvp {lhs} vs vjp {rhs}"
        );
    }

    #[test]
    fn vjp_and_jvp_match_central_differences() {
        for act in [
            Activation::Tanh,
            Activation::Gelu,
            Activation::Softplus,
            Activation::Rbf,
            Activation::Identity,
        ] {
            check_grads(act, &[2, 5, 5, 5, 2], 3);
            check_grads(act, &[3, 7, 2], 1);
        }
    }

    #[test]
    fn relu_gradients_away_from_kinks() {
        // FD across a kink is meaningless; the seeded inputs stay ≥ 1e-4 away from z = 0.
        check_grads(Activation::Relu, &[2, 8, 2], 2);
    }

    #[test]
    fn gtheta_accumulates_and_batch_is_sum_of_rows() {
        let mlp = Mlp::new(&[2, 4, 3], Activation::Tanh).unwrap();
        let theta = mlp.init_glorot(1);
        let x = [0.3, -0.2, 1.1, 0.7];
        let w = [1.0, -0.5, 0.25, 0.1, 0.2, -0.3];
        let mut ws = MlpWorkspace::new();
        let mut gx = [0.0; 4];
        let mut g_batch = vec![0.0; mlp.n_params()];
        mlp.vjp(&theta, &x, &w, &mut ws, &mut gx, &mut g_batch)
            .unwrap();
        let mut g_rows = vec![0.0; mlp.n_params()];
        let mut gx1 = [0.0; 2];
        mlp.vjp(&theta, &x[..2], &w[..3], &mut ws, &mut gx1, &mut g_rows)
            .unwrap();
        assert_eq!(gx1, gx[..2]);
        mlp.vjp(&theta, &x[2..], &w[3..], &mut ws, &mut gx1, &mut g_rows)
            .unwrap();
        assert_eq!(gx1, gx[2..]);
        for (a, b) in g_batch.iter().zip(&g_rows) {
            assert!((a - b).abs() < 1e-15);
        }
    }

    #[test]
    fn glorot_bounds_and_shapes() {
        let mlp = Mlp::new(&[2, 50, 2], Activation::Tanh).unwrap();
        assert_eq!(mlp.n_params(), 2 * 50 + 50 + 50 * 2 + 2);
        let th = mlp.init_glorot(42);
        let a = (6.0f64 / 52.0).sqrt();
        assert!(th[..100].iter().all(|w| w.abs() <= a));
        assert!(th[100..150].iter().all(|&b| b == 0.0));
        assert_eq!(th, mlp.init_glorot(42));
        assert_ne!(th, mlp.init_glorot(43));
    }

    #[test]
    fn bad_input_is_an_error() {
        assert!(Mlp::new(&[2], Activation::Tanh).is_err());
        assert!(Mlp::new(&[2, 0, 1], Activation::Tanh).is_err());
        let mlp = Mlp::new(&[2, 3, 1], Activation::Tanh).unwrap();
        let th = mlp.init_glorot(0);
        let mut ws = MlpWorkspace::new();
        let mut y = [0.0; 1];
        assert!(matches!(
            mlp.forward(&th[1..], &[0.0, 0.0], &mut ws, &mut y),
            Err(NodeError::DimensionMismatch { .. })
        ));
        assert!(mlp.forward(&th, &[0.0, 0.0, 1.0], &mut ws, &mut y).is_err());
        let mut bad = th.clone();
        bad[2] = f64::NAN;
        assert!(matches!(
            mlp.check_params(&bad),
            Err(NodeError::NonFiniteInput { index: 2, .. })
        ));
        assert!(Activation::parse("sigmoidish").is_err());
        assert!(mlp.init_normal(-1.0, 0).is_err());
    }
}
