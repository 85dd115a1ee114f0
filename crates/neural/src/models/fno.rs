//! Fourier neural operators in one and two space dimensions (Li et al. 2021, "Fourier neural
//! operator for parametric partial differential equations", ICLR; the architecture of the
//! authors' `fourier_1d.py`/`fourier_2d.py` and of `neuraloperator`'s `FNO`).
//!
//! ```text
//! x [b, c_in, n] ──(+ grid)──► lift (pointwise c_in(+1) → width)
//!   ──► L × [ v ← σ( K v + W v ) ]   K: spectral convolution on the `modes` lowest modes,
//!                                    W: pointwise linear, σ = GELU (none after the last layer)
//!   ──► project (pointwise width → 128 → GELU → c_out) ──► y [b, c_out, n]
//! ```
//!
//! Internally the 1-D model keeps its activations point-major (`[n·b, width]`, rows ordered by
//! grid point, then sample), so that every pointwise linear map is one GEMM over all `n·b` rows
//! and each truncated DFT is one GEMM with a `[2·modes, n]` matrix over all samples and channels
//! (see [`super::spectral`]). The 2-D model likewise keeps `[ny·nx·b, width]` (rows ordered y, x,
//! sample) and applies its truncated 2-D transform as separable GEMMs, y then x (see
//! `SpectralConv2d::forward_point_major`). The complex per-mode channel mixing is one batched
//! real GEMM over the modes, real and imaginary parts fused into one real block product.
//!
//! Speed (`bench/neural/RESULTS.md`; Burgers model, n = 256, batch 20, Adam, one thread, on the
//! shared 2-core box at load 14–15): a training step takes 1.07× the time of the same
//! architecture in PyTorch 2.15 (1.09× at n = 1024; 1.6× before the point-major layout and the
//! vectorised GELU in `models/activation.rs`); the ≤ 1.0× target is not met yet. FNO-2D (the
//! Darcy model at 85 × 85, batch 20, one thread, load ~11): 0.53× torch's CPU time per training
//! step (783 vs 1 474 ms; 0.69× with torch on the same malloc settings), 0.64× before the
//! point-major rewrite and the allocator setting.
//!
//! Transform choice (measured, `examples/bench_spectral2d.rs`): the truncated-DFT GEMMs cost less
//! than realfft/rustfft transforms at 64² and 85² with 12 modes (FFT/GEMM 1.2–1.4 for forward +
//! backward) and more from 128² on (FFT/GEMM ≈ 0.7 at 128² and 256²); the GEMMs are used at every
//! grid size, as an FFT path needs a custom autodiff op (`models/spectral.rs`).

use burn::module::{Module, Param};
use burn::nn::{Linear, LinearConfig};
use burn::tensor::{Device, Distribution, Tensor, TensorData};
use serde::{Deserialize, Serialize};

use super::activation::gelu;
use super::spectral::{real_dft_tensors, Dft2dTensors, DftCache};
use crate::NeuralError;

fn default_width() -> usize {
    64
}
fn default_modes() -> usize {
    16
}
fn default_layers() -> usize {
    4
}
fn default_projection() -> usize {
    128
}
fn default_true() -> bool {
    true
}

fn check_positive(field: &'static str, value: usize) -> Result<(), NeuralError> {
    if value == 0 {
        return Err(NeuralError::InvalidConfig {
            field,
            reason: "must be at least 1".into(),
        });
    }
    Ok(())
}

/// Configuration of a one-dimensional FNO ([`Fno1d`]); the defaults are those of Li et al.
/// (2021) for Burgers: width 64 (the paper's 1-D runs use 64), 16 modes, 4 Fourier layers, a
/// 128-wide projection and the grid coordinate as an extra input channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fno1dConfig {
    /// Input channels (not counting the grid coordinate).
    pub in_channels: usize,
    /// Output channels.
    pub out_channels: usize,
    /// Channels of the hidden representation.
    #[serde(default = "default_width")]
    pub width: usize,
    /// Fourier modes kept by each spectral convolution (wavenumbers `0..modes`).
    #[serde(default = "default_modes")]
    pub modes: usize,
    /// Number of Fourier layers.
    #[serde(default = "default_layers")]
    pub layers: usize,
    /// Hidden width of the projection MLP.
    #[serde(default = "default_projection")]
    pub projection_width: usize,
    /// Append the coordinate `x_j = j/n` (periodic grid on `[0, 1)`) as an input channel. The
    /// original code uses `linspace(0, 1, n)`; `j/n` puts the points of a grid of `n` exactly on
    /// every other point of a grid of `2n`, which super-resolution needs.
    #[serde(default = "default_true")]
    pub grid: bool,
}

impl Fno1dConfig {
    /// A config with the paper's defaults for the given channel counts.
    pub fn new(in_channels: usize, out_channels: usize) -> Self {
        Self {
            in_channels,
            out_channels,
            width: default_width(),
            modes: default_modes(),
            layers: default_layers(),
            projection_width: default_projection(),
            grid: true,
        }
    }

    /// Checks every field.
    pub fn validate(&self) -> Result<(), NeuralError> {
        check_positive("in_channels", self.in_channels)?;
        check_positive("out_channels", self.out_channels)?;
        check_positive("width", self.width)?;
        check_positive("modes", self.modes)?;
        check_positive("layers", self.layers)?;
        check_positive("projection_width", self.projection_width)
    }

    /// The number of trainable parameters, in closed form:
    /// lifting `(c_in + g)·w + w`, per layer `2·m·w² + w² + w` (complex spectral weights without
    /// bias, pointwise linear with bias), projection `w·p + p + p·c_out + c_out`.
    pub fn num_params(&self) -> usize {
        let c_in = self.in_channels + usize::from(self.grid);
        let (w, m, p) = (self.width, self.modes, self.projection_width);
        c_in * w
            + w
            + self.layers * (2 * m * w * w + w * w + w)
            + w * p
            + p
            + p * self.out_channels
            + self.out_channels
    }

    /// Builds the model with random weights (spectral weights uniform in `[0, 1/(w·w))` for real
    /// and imaginary parts as in the original code, linear layers Kaiming-uniform as in
    /// PyTorch's `nn.Linear`). Seed the device (`device.seed(..)`) for reproducible weights.
    pub fn init(&self, device: &Device) -> Result<Fno1d, NeuralError> {
        self.validate()?;
        let c_in = self.in_channels + usize::from(self.grid);
        let w = self.width;
        Ok(Fno1d {
            lifting: LinearConfig::new(c_in, w).init(device),
            spectral: (0..self.layers)
                .map(|_| SpectralConv1d::init(w, w, self.modes, device))
                .collect(),
            pointwise: (0..self.layers)
                .map(|_| LinearConfig::new(w, w).init(device))
                .collect(),
            projection_hidden: LinearConfig::new(w, self.projection_width).init(device),
            projection_out: LinearConfig::new(self.projection_width, self.out_channels)
                .init(device),
            in_channels: self.in_channels,
            out_channels: self.out_channels,
            modes: self.modes,
            grid: self.grid,
            dft: DftCache::default(),
        })
    }
}

/// Spectral convolution in 1-D: `(K v)(x) = F⁻¹[ R_k · (F v)_k ]` for the `modes` lowest
/// wavenumbers `k`, with a complex matrix `R_k ∈ C^{in×out}` per mode (Li et al. 2021, eq. 4–5).
#[derive(Module, Debug)]
pub struct SpectralConv1d {
    /// `[2, modes, in, out]`: real (`[0]`) and imaginary (`[1]`) parts of `R_k`.
    pub weight: Param<Tensor<4>>,
    in_channels: usize,
    out_channels: usize,
    modes: usize,
}

impl SpectralConv1d {
    fn init(in_channels: usize, out_channels: usize, modes: usize, device: &Device) -> Self {
        let scale = 1.0 / (in_channels * out_channels) as f64;
        let weight = Tensor::random(
            [2, modes, in_channels, out_channels],
            Distribution::Uniform(0.0, scale),
            device,
        );
        Self {
            weight: Param::from_tensor(weight),
            in_channels,
            out_channels,
            modes,
        }
    }

    /// The spectral convolution on point-major activations.
    ///
    /// `v`: `[n·b, in]`, rows ordered (grid point, sample), i.e. a row-major `[n, b, in]`;
    /// `forward_dft`: `[2m, n]`; `inverse_dft`: `[n, 2m]`. Returns `[n·b, out]` in the same
    /// order. In this layout both truncated DFTs are single 2-D GEMMs over all samples and
    /// channels (`[2m, n] @ [n, b·in]` and `[n, 2m] @ [2m, b·out]`), with no copy of the
    /// `n·b`-row activations; only the small spectra (`2m·b` rows) are rearranged.
    ///
    /// The complex mode mixing `Y_k = X_k R_k` is one batched real GEMM over the modes:
    /// `[[Xr, −Xi], [Xi, Xr]] @ [Wr; Wi]` gives `[Xr Wr − Xi Wi; Xi Wr + Xr Wi] = [Yr; Yi]`.
    fn forward_point_major(
        &self,
        v: Tensor<2>,
        (n, b): (usize, usize),
        forward_dft: &Tensor<2>,
        inverse_dft: &Tensor<2>,
    ) -> Tensor<2> {
        let (m, c, o) = (self.modes, self.in_channels, self.out_channels);
        // [2m, n] @ [n, b·c] → [2m, b·c]: rows 0..m real parts, m..2m imaginary parts.
        let xh = forward_dft.clone().matmul(v.reshape([n, b * c]));
        let xh = xh.reshape([2, m, b, c]);
        let xr = xh.clone().narrow(0, 0, 1).reshape([m, b, c]);
        let xi = xh.narrow(0, 1, 1).reshape([m, b, c]);
        let a = Tensor::cat(
            vec![
                Tensor::cat(vec![xr.clone(), xi.clone().neg()], 2),
                Tensor::cat(vec![xi, xr], 2),
            ],
            1,
        ); // [m, 2b, 2c]
           // [2, m, c, o] → [m, 2, c, o] → [m, 2c, o] = [Wr; Wi] per mode.
        let w = self.weight.val().swap_dims(0, 1).reshape([m, 2 * c, o]);
        let yh = a.matmul(w); // [m, 2b, o]: rows 0..b real, b..2b imaginary parts
        let yh = yh
            .reshape([m, 2, b, o])
            .swap_dims(0, 1)
            .reshape([2 * m, b * o]);
        inverse_dft.clone().matmul(yh).reshape([n * b, o])
    }

    /// Applies the layer to `x` of layout `[b, in, n]` (the reference layout of the paper's
    /// code), returning `[b, out, n]`. Used by tests; the model calls the point-major path.
    pub fn forward(&self, x: Tensor<3>) -> Result<Tensor<3>, NeuralError> {
        let [_, c, n] = x.dims();
        if c != self.in_channels {
            return Err(NeuralError::ShapeMismatch {
                what: "spectral convolution input",
                expected: format!("[batch, {}, n]", self.in_channels),
                found: x.dims().to_vec(),
            });
        }
        check_grid(0, n, self.modes)?;
        let basis = DftCache::default().real(n, self.modes);
        let (f, g) = real_dft_tensors(&basis, n, self.modes, &x.device());
        let b = x.dims()[0];
        let v = x.permute([2, 0, 1]).reshape([n * b, c]);
        Ok(self
            .forward_point_major(v, (n, b), &f, &g)
            .reshape([n, b, self.out_channels])
            .permute([1, 2, 0]))
    }
}

fn check_grid(axis: usize, n: usize, modes: usize) -> Result<(), NeuralError> {
    if n < 2 * modes {
        return Err(NeuralError::GridTooCoarse { axis, n, modes });
    }
    Ok(())
}

/// A one-dimensional Fourier neural operator; build it with [`Fno1dConfig::init`].
///
/// Input and output layout `[batch, channels, n]`. Any `n >= 2·modes` is accepted, so a model
/// trained at one resolution evaluates at another.
#[derive(Module, Debug)]
pub struct Fno1d {
    lifting: Linear,
    spectral: Vec<SpectralConv1d>,
    pointwise: Vec<Linear>,
    projection_hidden: Linear,
    projection_out: Linear,
    in_channels: usize,
    out_channels: usize,
    modes: usize,
    grid: bool,
    #[module(skip)]
    dft: DftCache,
}

/// The grid coordinates `j/n`, `j = 0..n`, as an `[n, b, 1]` tensor.
fn grid_1d(b: usize, n: usize, device: &Device) -> Tensor<3> {
    let xs: Vec<f32> = (0..n).map(|j| j as f32 / n as f32).collect();
    Tensor::<3>::from_data(TensorData::new(xs, [n, 1, 1]), device).expand([n, b, 1])
}

impl Fno1d {
    /// Maps `x: [batch, in_channels, n]` to `[batch, out_channels, n]`.
    ///
    /// Internally the activations are point-major, `[n·b, width]` (rows ordered by grid point,
    /// then sample): every pointwise linear map is one GEMM over all `n·b` rows and each
    /// truncated DFT is one GEMM over all samples and channels (see
    /// [`SpectralConv1d::forward_point_major`]), so no layer copies its activations.
    pub fn forward(&self, x: Tensor<3>) -> Result<Tensor<3>, NeuralError> {
        let [b, c, n] = x.dims();
        if c != self.in_channels {
            return Err(NeuralError::ShapeMismatch {
                what: "FNO-1D input",
                expected: format!("[batch, {}, n]", self.in_channels),
                found: vec![b, c, n],
            });
        }
        check_grid(0, n, self.modes)?;
        let device = x.device();
        let basis = self.dft.real(n, self.modes);
        let (f, g) = real_dft_tensors(&basis, n, self.modes, &device);

        let mut v = x.permute([2, 0, 1]); // [n, b, c]
        let mut c_in = c;
        if self.grid {
            v = Tensor::cat(vec![v, grid_1d(b, n, &device)], 2);
            c_in += 1;
        }
        let mut v = self.lifting.forward(v.reshape([n * b, c_in]));
        let last = self.spectral.len().saturating_sub(1);
        for (l, (k, w)) in self.spectral.iter().zip(&self.pointwise).enumerate() {
            let y = k.forward_point_major(v.clone(), (n, b), &f, &g) + w.forward(v);
            v = if l < last { gelu(y) } else { y };
        }
        let v = gelu(self.projection_hidden.forward(v));
        Ok(self
            .projection_out
            .forward(v)
            .reshape([n, b, self.out_channels])
            .permute([1, 2, 0]))
    }

    /// Fourier modes kept per layer.
    pub fn modes(&self) -> usize {
        self.modes
    }
}

/// Configuration of a two-dimensional FNO ([`Fno2d`]); the defaults are those of Li et al.
/// (2021) for Darcy flow and Navier–Stokes: width 32, 12 × 12 modes, 4 Fourier layers, a
/// 128-wide projection and the grid coordinates `(x, y)` as two extra input channels.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fno2dConfig {
    /// Input channels (not counting the grid coordinates).
    pub in_channels: usize,
    /// Output channels.
    pub out_channels: usize,
    /// Channels of the hidden representation.
    #[serde(default = "default_width_2d")]
    pub width: usize,
    /// Modes kept along the first spatial axis: wavenumbers `0..modes1` and `nx−modes1..nx`.
    #[serde(default = "default_modes_2d")]
    pub modes1: usize,
    /// Modes kept along the last spatial axis (real transform): wavenumbers `0..modes2`.
    #[serde(default = "default_modes_2d")]
    pub modes2: usize,
    /// Number of Fourier layers.
    #[serde(default = "default_layers")]
    pub layers: usize,
    /// Hidden width of the projection MLP.
    #[serde(default = "default_projection")]
    pub projection_width: usize,
    /// Append the coordinates `(i/nx, j/ny)` as two input channels.
    #[serde(default = "default_true")]
    pub grid: bool,
    /// Zero padding appended after lifting along both axes and removed before projection, for
    /// non-periodic problems (the paper's Darcy code pads by 9 points; 0 for periodic data).
    #[serde(default)]
    pub padding: usize,
}

fn default_width_2d() -> usize {
    32
}
fn default_modes_2d() -> usize {
    12
}

impl Fno2dConfig {
    /// A config with the paper's defaults for the given channel counts.
    pub fn new(in_channels: usize, out_channels: usize) -> Self {
        Self {
            in_channels,
            out_channels,
            width: default_width_2d(),
            modes1: default_modes_2d(),
            modes2: default_modes_2d(),
            layers: default_layers(),
            projection_width: default_projection(),
            grid: true,
            padding: 0,
        }
    }

    /// Checks every field.
    pub fn validate(&self) -> Result<(), NeuralError> {
        check_positive("in_channels", self.in_channels)?;
        check_positive("out_channels", self.out_channels)?;
        check_positive("width", self.width)?;
        check_positive("modes1", self.modes1)?;
        check_positive("modes2", self.modes2)?;
        check_positive("layers", self.layers)?;
        check_positive("projection_width", self.projection_width)
    }

    /// The number of trainable parameters in closed form: as [`Fno1dConfig::num_params`] with
    /// `2·c` grid channels and `2 · (2·m1·m2)·w²` spectral weights per layer (two corners of
    /// complex weights).
    pub fn num_params(&self) -> usize {
        let c_in = self.in_channels + 2 * usize::from(self.grid);
        let (w, p) = (self.width, self.projection_width);
        let spectral = 2 * (2 * self.modes1 * self.modes2) * w * w;
        c_in * w
            + w
            + self.layers * (spectral + w * w + w)
            + w * p
            + p
            + p * self.out_channels
            + self.out_channels
    }

    /// Builds the model with random weights (see [`Fno1dConfig::init`]).
    pub fn init(&self, device: &Device) -> Result<Fno2d, NeuralError> {
        self.validate()?;
        let c_in = self.in_channels + 2 * usize::from(self.grid);
        let w = self.width;
        Ok(Fno2d {
            lifting: LinearConfig::new(c_in, w).init(device),
            spectral: (0..self.layers)
                .map(|_| SpectralConv2d::init(w, w, self.modes1, self.modes2, device))
                .collect(),
            pointwise: (0..self.layers)
                .map(|_| LinearConfig::new(w, w).init(device))
                .collect(),
            projection_hidden: LinearConfig::new(w, self.projection_width).init(device),
            projection_out: LinearConfig::new(self.projection_width, self.out_channels)
                .init(device),
            in_channels: self.in_channels,
            modes1: self.modes1,
            modes2: self.modes2,
            grid: self.grid,
            padding: self.padding,
            dft: DftCache::default(),
        })
    }
}

/// Spectral convolution in 2-D (Li et al. 2021): a complex matrix `R_k ∈ C^{in×out}` for each
/// kept wavenumber pair `k = (k1, k2)`, `k1 ∈ {0..m1} ∪ {nx−m1..nx}` (the two corners of the
/// paper's `weights1`/`weights2`), `k2 ∈ 0..m2` on the real transform along the last axis.
#[derive(Module, Debug)]
pub struct SpectralConv2d {
    /// `[2, 2·m1, m2, in, out]`: real and imaginary parts; index `q < m1` is wavenumber `q`,
    /// index `m1 + q` is wavenumber `nx − m1 + q`.
    pub weight: Param<Tensor<5>>,
    in_channels: usize,
    out_channels: usize,
    modes1: usize,
    modes2: usize,
}

impl SpectralConv2d {
    fn init(
        in_channels: usize,
        out_channels: usize,
        modes1: usize,
        modes2: usize,
        device: &Device,
    ) -> Self {
        let scale = 1.0 / (in_channels * out_channels) as f64;
        let weight = Tensor::random(
            [2, 2 * modes1, modes2, in_channels, out_channels],
            Distribution::Uniform(0.0, scale),
            device,
        );
        Self {
            weight: Param::from_tensor(weight),
            in_channels,
            out_channels,
            modes1,
            modes2,
        }
    }

    /// The spectral convolution on point-major activations.
    ///
    /// `v`: `[ny·nx·b, in]`, rows ordered (y, x, sample), i.e. a row-major `[ny, nx, b, in]`;
    /// `t`: the truncated-DFT matrices of the grid (`Dft2dBasis` in `models/spectral.rs`). Returns `[ny·nx·b, out]` in
    /// the same order. Four GEMMs and no copy of the activations:
    ///
    /// 1. real DFT along y, one GEMM: `[2m2, ny] @ [ny, nx·b·in]`, rows `(ky, re/im)`, which
    ///    *is* `[m2, 2nx, b·in]` with rows `(re/im, x)` per `ky`;
    /// 2. complex DFT along x on the two corners, batched over `ky`:
    ///    `[1, 4m1, 2nx] @ [m2, 2nx, b·in] → [m2, 4m1, b·in]`, rows `(kx, re/im)`;
    /// 3. per mode `(ky, kx)` the complex mixing `Y = X R` as one real GEMM batched over the
    ///    `2·m1·m2` modes, `[[Xr, −Xi], [Xi, Xr]] @ [Wr; Wi]` (as in 1-D); only this small
    ///    spectrum (`4·m1·m2/(nx·ny)` of an activation) and the weights are rearranged;
    /// 4. the inverse transforms in reverse order: `[1, 2nx, 4m1] @ [m2, 4m1, b·out]`, then
    ///    `[ny, 2m2] @ [2m2, nx·b·out]`.
    ///
    /// Measured against the channels-last path it replaced in `bench/neural/RESULTS.md`
    /// (FNO-2D section).
    fn forward_point_major(
        &self,
        v: Tensor<2>,
        (ny, nx, b): (usize, usize, usize),
        t: &Dft2dTensors,
    ) -> Tensor<2> {
        let (m1, m2, c, o) = (
            self.modes1,
            self.modes2,
            self.in_channels,
            self.out_channels,
        );
        let kk = 2 * m1;
        let modes = kk * m2;
        let a = t
            .forward_y
            .clone()
            .matmul(v.reshape([ny, nx * b * c]))
            .reshape([m2, 2 * nx, b * c]);
        let xh = t.forward_x.clone().matmul(a).reshape([modes, 2, b, c]);
        let xr = xh.clone().narrow(1, 0, 1).reshape([modes, b, c]);
        let xi = xh.narrow(1, 1, 1).reshape([modes, b, c]);
        let a = Tensor::cat(
            vec![
                Tensor::cat(vec![xr.clone(), xi.clone().neg()], 2),
                Tensor::cat(vec![xi, xr], 2),
            ],
            1,
        ); // [modes, 2b, 2c], modes ordered (ky, kx)
           // [2, K, m2, c, o] → [m2, K, 2, c, o] → [modes, 2c, o] = [Wr; Wi] per mode.
        let w = self
            .weight
            .val()
            .permute([2, 1, 0, 3, 4])
            .reshape([modes, 2 * c, o]);
        let yh = a.matmul(w).reshape([m2, 2 * kk, b * o]); // rows (kx, re/im) per ky
        let y = t.inverse_x.clone().matmul(yh).reshape([2 * m2, nx * b * o]);
        t.inverse_y.clone().matmul(y).reshape([ny * nx * b, o])
    }

    /// Applies the layer to `x: [b, in, nx, ny]`, returning `[b, out, nx, ny]` (the layout of
    /// the paper's code). Used by tests; the model calls the point-major path directly.
    pub fn forward(&self, x: Tensor<4>) -> Result<Tensor<4>, NeuralError> {
        let [b, c, nx, ny] = x.dims();
        if c != self.in_channels {
            return Err(NeuralError::ShapeMismatch {
                what: "spectral convolution input",
                expected: format!("[batch, {}, nx, ny]", self.in_channels),
                found: x.dims().to_vec(),
            });
        }
        check_grid(0, nx, self.modes1)?;
        check_grid(1, ny, self.modes2)?;
        let device = x.device();
        let sizes = (nx, ny, self.modes1, self.modes2);
        let basis = DftCache::default().two_d(nx, ny, self.modes1, self.modes2);
        let t = Dft2dTensors::new(&basis, sizes, &device);
        let v = x.permute([3, 2, 0, 1]).reshape([ny * nx * b, c]);
        Ok(self
            .forward_point_major(v, (ny, nx, b), &t)
            .reshape([ny, nx, b, self.out_channels])
            .permute([2, 3, 1, 0]))
    }
}

/// A two-dimensional Fourier neural operator; build it with [`Fno2dConfig::init`].
///
/// Input and output layout `[batch, channels, nx, ny]`; any grid with `nx + padding >= 2·modes1`
/// and `ny + padding >= 2·modes2` is accepted.
///
/// Internally the activations are point-major, `[ny·nx·b, width]` (rows ordered y, x, sample):
/// every pointwise linear map is one GEMM over all rows and the spectral convolution is four
/// GEMMs with truncated-DFT matrices (`SpectralConv2d::forward_point_major`), so no layer
/// copies its activations.
#[derive(Module, Debug)]
pub struct Fno2d {
    lifting: Linear,
    spectral: Vec<SpectralConv2d>,
    pointwise: Vec<Linear>,
    projection_hidden: Linear,
    projection_out: Linear,
    in_channels: usize,
    modes1: usize,
    modes2: usize,
    grid: bool,
    padding: usize,
    #[module(skip)]
    dft: DftCache,
}

/// The grid coordinates `(i/nx, j/ny)` (x first, as the lifting's input channels) at point
/// `(x_i, y_j)`, as a point-major `[ny, nx, b, 2]` tensor.
fn grid_2d(b: usize, nx: usize, ny: usize, device: &Device) -> Tensor<4> {
    let mut v = Vec::with_capacity(nx * ny * 2);
    for j in 0..ny {
        for i in 0..nx {
            v.push(i as f32 / nx as f32);
            v.push(j as f32 / ny as f32);
        }
    }
    Tensor::<4>::from_data(TensorData::new(v, [ny, nx, 1, 2]), device).expand([ny, nx, b, 2])
}

/// Appends `p` zero points along x and y to point-major `[ny·nx·b, c]` activations, giving
/// `[(ny+p)·(nx+p)·b, c]`.
fn pad_end_2d(v: Tensor<2>, (ny, nx, b): (usize, usize, usize), p: usize) -> Tensor<2> {
    let c = v.dims()[1];
    let device = v.device();
    let v = v.reshape([ny, nx, b, c]);
    let v = Tensor::cat(vec![v, Tensor::zeros([ny, p, b, c], &device)], 1);
    let v = Tensor::cat(vec![v, Tensor::zeros([p, nx + p, b, c], &device)], 0);
    v.reshape([(ny + p) * (nx + p) * b, c])
}

impl Fno2d {
    /// Maps `x: [batch, in_channels, nx, ny]` to `[batch, out_channels, nx, ny]`.
    pub fn forward(&self, x: Tensor<4>) -> Result<Tensor<4>, NeuralError> {
        let [b, c, nx, ny] = x.dims();
        if c != self.in_channels {
            return Err(NeuralError::ShapeMismatch {
                what: "FNO-2D input",
                expected: format!("[batch, {}, nx, ny]", self.in_channels),
                found: vec![b, c, nx, ny],
            });
        }
        let (px, py) = (nx + self.padding, ny + self.padding);
        check_grid(0, px, self.modes1)?;
        check_grid(1, py, self.modes2)?;
        let device = x.device();
        let basis = self.dft.two_d(px, py, self.modes1, self.modes2);
        let t = Dft2dTensors::new(&basis, (px, py, self.modes1, self.modes2), &device);

        let mut v = x.permute([3, 2, 0, 1]); // [ny, nx, b, c]
        let mut c_in = c;
        if self.grid {
            v = Tensor::cat(vec![v, grid_2d(b, nx, ny, &device)], 3);
            c_in += 2;
        }
        let mut v = self.lifting.forward(v.reshape([ny * nx * b, c_in]));
        if self.padding > 0 {
            v = pad_end_2d(v, (ny, nx, b), self.padding);
        }
        let last = self.spectral.len().saturating_sub(1);
        for (l, (k, w)) in self.spectral.iter().zip(&self.pointwise).enumerate() {
            let y = k.forward_point_major(v.clone(), (py, px, b), &t) + w.forward(v);
            v = if l < last { gelu(y) } else { y };
        }
        if self.padding > 0 {
            let width = v.dims()[1];
            v = v
                .reshape([py, px, b, width])
                .narrow(0, 0, ny)
                .narrow(1, 0, nx)
                .reshape([ny * nx * b, width]);
        }
        let v = gelu(self.projection_hidden.forward(v));
        let y = self.projection_out.forward(v);
        let out = y.dims()[1];
        Ok(y.reshape([ny, nx, b, out]).permute([2, 3, 1, 0]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::module::Module;
    use burn::store::{ModuleSnapshot, SafetensorsStore};
    use rand::{RngExt, SeedableRng};
    use rand_chacha::ChaCha8Rng;
    use rustfft::num_complex::Complex64;
    use rustfft::FftPlanner;

    fn random_vec(rng: &mut ChaCha8Rng, len: usize) -> Vec<f32> {
        (0..len).map(|_| rng.random_range(-1.0..1.0)).collect()
    }

    fn to_vec<const D: usize>(t: Tensor<D>) -> Vec<f32> {
        t.into_data().try_to_vec::<f32>().expect("f32 tensor")
    }

    /// Saves `model` as safetensors under `name`, loads the file into `fresh` (a model of the
    /// same config with other random weights, whose outputs must differ first) and checks that
    /// the loaded model's outputs equal the saved one's bit for bit.
    fn assert_safetensors_round_trip<M: ModuleSnapshot>(
        name: &str,
        model: &M,
        mut fresh: M,
        forward: impl Fn(&M) -> Vec<f32>,
    ) {
        let y = forward(model);
        let dir = std::env::temp_dir().join(format!("ai4de-neural-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("{name}.safetensors"));
        model
            .save_into(&mut SafetensorsStore::from_file(&path))
            .unwrap();
        assert_ne!(forward(&fresh), y);
        let result = fresh
            .load_from(&mut SafetensorsStore::from_file(&path))
            .unwrap();
        assert!(result.is_success(), "{result:?}");
        assert_eq!(forward(&fresh), y);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    fn small_config(grid: bool) -> Fno1dConfig {
        Fno1dConfig {
            in_channels: 2,
            out_channels: 1,
            width: 6,
            modes: 4,
            layers: 2,
            projection_width: 8,
            grid,
        }
    }

    /// Independent reference: rustfft forward transform of each channel, complex channel
    /// mixing per kept mode, Hermitian completion and rustfft inverse (f64 throughout).
    fn spectral_reference(
        x: &[f32],
        w: &[f32],
        (b, i, o, n, m): (usize, usize, usize, usize, usize),
    ) -> Vec<f64> {
        let mut planner = FftPlanner::<f64>::new();
        let fft = planner.plan_fft_forward(n);
        let ifft = planner.plan_fft_inverse(n);
        let mut out = vec![0.0; b * o * n];
        for bb in 0..b {
            let spectra: Vec<Vec<Complex64>> = (0..i)
                .map(|ii| {
                    let mut buf: Vec<Complex64> = (0..n)
                        .map(|j| Complex64::new(x[(bb * i + ii) * n + j] as f64, 0.0))
                        .collect();
                    fft.process(&mut buf);
                    buf
                })
                .collect();
            for oo in 0..o {
                let mut z = vec![Complex64::new(0.0, 0.0); n];
                for k in 0..m {
                    let mut acc = Complex64::new(0.0, 0.0);
                    for (ii, spec) in spectra.iter().enumerate() {
                        let idx = (k * i + ii) * o + oo;
                        let r = Complex64::new(w[idx] as f64, w[m * i * o + idx] as f64);
                        acc += spec[k] * r;
                    }
                    if k == 0 {
                        z[0] = Complex64::new(acc.re, 0.0);
                    } else {
                        z[k] = acc;
                        z[n - k] = acc.conj();
                    }
                }
                ifft.process(&mut z);
                for j in 0..n {
                    out[(bb * o + oo) * n + j] = z[j].re / n as f64;
                }
            }
        }
        out
    }

    #[test]
    fn spectral_conv_matches_rustfft_reference() {
        let device = Device::flex();
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        // Odd and even grids, modes up to n/2.
        for &(b, i, o, n, m) in &[(2, 3, 4, 37, 5), (3, 2, 2, 64, 16), (1, 5, 3, 32, 16)] {
            let x = random_vec(&mut rng, b * i * n);
            let w = random_vec(&mut rng, 2 * m * i * o);
            let layer = SpectralConv1d {
                weight: Param::from_tensor(Tensor::from_data(
                    TensorData::new(w.clone(), [2, m, i, o]),
                    &device,
                )),
                in_channels: i,
                out_channels: o,
                modes: m,
            };
            let y = layer
                .forward(Tensor::from_data(
                    TensorData::new(x.clone(), [b, i, n]),
                    &device,
                ))
                .unwrap();
            assert_eq!(y.dims(), [b, o, n]);
            let got = to_vec(y);
            let want = spectral_reference(&x, &w, (b, i, o, n, m));
            let scale = want.iter().fold(0.0_f64, |a, v| a.max(v.abs()));
            let err = got
                .iter()
                .zip(&want)
                .fold(0.0_f64, |a, (g, r)| a.max((*g as f64 - r).abs()));
            assert!(
                err <= 1e-5 * scale.max(1.0),
                "n={n} m={m}: max error {err:e} (scale {scale:e})"
            );
        }
    }

    #[test]
    fn parameter_count_matches_closed_form() {
        let device = Device::flex();
        for grid in [true, false] {
            let c = small_config(grid);
            assert_eq!(c.init(&device).unwrap().num_params(), c.num_params());
        }
        // The paper's Burgers model: 2·64 + 64 + 4·(2·16·64² + 64² + 64) + 64·128 + 128 + 128 + 1.
        let c = Fno1dConfig::new(1, 1);
        assert_eq!(c.num_params(), 549_569);
        assert_eq!(c.init(&device).unwrap().num_params(), 549_569);
    }

    #[test]
    fn invalid_config_and_inputs_are_errors() {
        let device = Device::flex();
        let mut c = small_config(true);
        c.modes = 0;
        assert!(matches!(
            c.init(&device),
            Err(NeuralError::InvalidConfig { field: "modes", .. })
        ));
        let model = small_config(true).init(&device).unwrap();
        let wrong_channels = Tensor::<3>::zeros([1, 3, 16], &device);
        assert!(matches!(
            model.forward(wrong_channels),
            Err(NeuralError::ShapeMismatch { .. })
        ));
        let too_coarse = Tensor::<3>::zeros([1, 2, 7], &device);
        assert!(matches!(
            model.forward(too_coarse),
            Err(NeuralError::GridTooCoarse { n: 7, modes: 4, .. })
        ));
    }

    /// `loss = Σ y ⊙ r` for a fixed random `r`, so that every output contributes.
    fn loss(model: &Fno1d, x: Tensor<3>, r: &Tensor<3>) -> Tensor<1> {
        (model.forward(x).unwrap() * r.clone()).sum()
    }

    #[test]
    fn gradients_match_central_differences() {
        let device = Device::flex();
        device.seed(3);
        let ad = device.clone().autodiff();
        let cfg = small_config(true);
        let model = cfg.init(&ad).unwrap();
        let mut rng = ChaCha8Rng::seed_from_u64(11);
        let (b, n) = (2, 16);
        let xv = random_vec(&mut rng, b * 2 * n);
        let rv = random_vec(&mut rng, b * n);
        let x = Tensor::<3>::from_data(TensorData::new(xv.clone(), [b, 2, n]), &ad).require_grad();
        let r_ad = Tensor::<3>::from_data(TensorData::new(rv.clone(), [b, 1, n]), &ad);
        let grads = loss(&model, x.clone(), &r_ad).backward();
        let g_spec = to_vec(model.spectral[0].weight.val().grad(&grads).unwrap());
        let g_point = to_vec(model.pointwise[1].weight.val().grad(&grads).unwrap());
        let g_x = to_vec(x.grad(&grads).unwrap());

        let plain = model.valid();
        let r = Tensor::<3>::from_data(TensorData::new(rv, [b, 1, n]), &device);
        let x0 = Tensor::<3>::from_data(TensorData::new(xv.clone(), [b, 2, n]), &device);
        let eval = |m: &Fno1d, x: Tensor<3>| -> f64 { to_vec(loss(m, x, &r))[0] as f64 };
        let h = 1e-2_f32;
        let check = |name: &str, analytic: f32, plus: f64, minus: f64| {
            let fd = (plus - minus) / (2.0 * h as f64);
            let err = (analytic as f64 - fd).abs();
            assert!(
                err <= 1e-2 * fd.abs().max(analytic.abs() as f64) + 1e-4,
                "{name}: autodiff {analytic:e}, finite difference {fd:e}"
            );
        };
        let perturbed = |w: &Param<Tensor<4>>, idx: usize, delta: f32| {
            let mut v = to_vec(w.val());
            v[idx] += delta;
            Param::from_tensor(Tensor::from_data(
                TensorData::new(v, w.val().dims()),
                &device,
            ))
        };
        for idx in [0, 17, 2 * 4 * 6 * 6 - 1] {
            let mut p = plain.clone();
            p.spectral[0].weight = perturbed(&plain.spectral[0].weight, idx, h);
            let lp = eval(&p, x0.clone());
            p.spectral[0].weight = perturbed(&plain.spectral[0].weight, idx, -h);
            let lm = eval(&p, x0.clone());
            check("spectral weight", g_spec[idx], lp, lm);
        }
        for idx in [0, 5, 35] {
            let w = &plain.pointwise[1].weight;
            let mut v = to_vec(w.val());
            let mut p = plain.clone();
            v[idx] += h;
            p.pointwise[1].weight = Param::from_tensor(Tensor::from_data(
                TensorData::new(v.clone(), [6, 6]),
                &device,
            ));
            let lp = eval(&p, x0.clone());
            v[idx] -= 2.0 * h;
            p.pointwise[1].weight =
                Param::from_tensor(Tensor::from_data(TensorData::new(v, [6, 6]), &device));
            let lm = eval(&p, x0.clone());
            check("pointwise weight", g_point[idx], lp, lm);
        }
        for idx in [0, 9, 40, 63] {
            let mut v = xv.clone();
            v[idx] += h;
            let lp = eval(
                &plain,
                Tensor::from_data(TensorData::new(v.clone(), [b, 2, n]), &device),
            );
            v[idx] -= 2.0 * h;
            let lm = eval(
                &plain,
                Tensor::from_data(TensorData::new(v, [b, 2, n]), &device),
            );
            check("input", g_x[idx], lp, lm);
        }
    }

    #[test]
    fn safetensors_round_trip_gives_identical_outputs() {
        let device = Device::flex();
        device.seed(5);
        let cfg = small_config(true);
        let model = cfg.init(&device).unwrap();
        let x = Tensor::<3>::random([3, 2, 32], Distribution::Uniform(-1.0, 1.0), &device);
        device.seed(6);
        let fresh = cfg.init(&device).unwrap();
        assert_safetensors_round_trip("fno1d", &model, fresh, |m| {
            to_vec(m.forward(x.clone()).unwrap())
        });
    }

    /// A band-limited input sampled at `n`: a few low Fourier modes, `in_channels` channels.
    fn band_limited(n: usize, channels: usize) -> Tensor<3> {
        let mut v = Vec::with_capacity(channels * n);
        for c in 0..channels {
            for j in 0..n {
                let x = j as f64 / n as f64;
                let t = 2.0 * std::f64::consts::PI * x;
                v.push(
                    (0.7 * (t + c as f64).sin() + 0.3 * (3.0 * t).cos()
                        - 0.2 * (5.0 * t + 0.4).sin()) as f32,
                );
            }
        }
        Tensor::from_data(TensorData::new(v, [1, channels, n]), &Device::flex())
    }

    /// Largest difference between the coarse output and the fine output at the shared points.
    fn superresolution_gap(model: &Fno1d, n: usize, factor: usize) -> f64 {
        let coarse = to_vec(model.forward(band_limited(n, 2)).unwrap());
        let fine = to_vec(model.forward(band_limited(factor * n, 2)).unwrap());
        (0..n)
            .map(|j| (coarse[j] as f64 - fine[factor * j] as f64).abs())
            .fold(0.0, f64::max)
    }

    #[test]
    fn same_weights_give_the_same_function_on_finer_grids() {
        let device = Device::flex();
        device.seed(9);
        // One Fourier layer without the grid channel: no nonlinearity between transforms, so a
        // band-limited input gives the same output at shared points up to rounding.
        let mut c = small_config(false);
        c.layers = 1;
        let one = c.init(&device).unwrap();
        for factor in [2, 4] {
            let gap = superresolution_gap(&one, 64, factor);
            eprintln!("1 layer, no grid, x{factor}: {gap:e}");
            assert!(gap < 1e-5, "1 layer, x{factor}: gap {gap:e}");
        }
        // The paper-size model: GELU between layers creates modes above the input's band, which
        // alias at the coarse grid; at n = 256 that error stays below 1e-5 (measured 2e-8 without and 3e-7 with the grid channel). The grid channel
        // `j/n` is a sawtooth whose low DFT coefficients also depend on n (aliasing of its jump).
        for grid in [false, true] {
            let mut c = Fno1dConfig::new(2, 1);
            c.width = 16;
            c.grid = grid;
            let deep = c.init(&device).unwrap();
            for factor in [2, 4] {
                let gap = superresolution_gap(&deep, 256, factor);
                eprintln!("4 layers, grid {grid}, x{factor}: {gap:e}");
                assert!(gap < 1e-5, "4 layers, grid {grid}, x{factor}: gap {gap:e}");
            }
        }
    }

    /// Independent 2-D reference with rustfft: full complex 2-D FFT of each input channel,
    /// complex mixing on the kept wavenumbers, inverse FFT along x, then Hermitian completion
    /// and inverse FFT along y (what `numpy.fft.irfft2` does), all in f64.
    #[allow(clippy::too_many_arguments)]
    fn spectral_reference_2d(
        x: &[f32],
        w: &[f32],
        (b, i, o, nx, ny, m1, m2): (usize, usize, usize, usize, usize, usize, usize),
    ) -> Vec<f64> {
        let mut planner = FftPlanner::<f64>::new();
        let (fx, fy) = (planner.plan_fft_forward(nx), planner.plan_fft_forward(ny));
        let (ix, iy) = (planner.plan_fft_inverse(nx), planner.plan_fft_inverse(ny));
        let kept: Vec<usize> = (0..m1).chain(nx - m1..nx).collect();
        let kk = 2 * m1;
        let mut out = vec![0.0; b * o * nx * ny];
        for bb in 0..b {
            let spectra: Vec<Vec<Complex64>> = (0..i)
                .map(|ii| {
                    let mut a: Vec<Complex64> = (0..nx * ny)
                        .map(|p| Complex64::new(x[(bb * i + ii) * nx * ny + p] as f64, 0.0))
                        .collect();
                    for row in a.chunks_mut(ny) {
                        fy.process(row);
                    }
                    for l in 0..ny {
                        let mut col: Vec<Complex64> = (0..nx).map(|j| a[j * ny + l]).collect();
                        fx.process(&mut col);
                        for j in 0..nx {
                            a[j * ny + l] = col[j];
                        }
                    }
                    a
                })
                .collect();
            for oo in 0..o {
                // Spectrum with only the kept modes, then inverse along x.
                let mut z = vec![Complex64::new(0.0, 0.0); nx * m2];
                for (q, &k1) in kept.iter().enumerate() {
                    for k2 in 0..m2 {
                        let mut acc = Complex64::new(0.0, 0.0);
                        for (ii, spec) in spectra.iter().enumerate() {
                            let idx = ((q * m2 + k2) * i + ii) * o + oo;
                            let r = Complex64::new(w[idx] as f64, w[kk * m2 * i * o + idx] as f64);
                            acc += spec[k1 * ny + k2] * r;
                        }
                        z[k1 * m2 + k2] = acc;
                    }
                }
                for k2 in 0..m2 {
                    let mut col: Vec<Complex64> = (0..nx).map(|j| z[j * m2 + k2]).collect();
                    ix.process(&mut col);
                    for j in 0..nx {
                        z[j * m2 + k2] = col[j];
                    }
                }
                for j in 0..nx {
                    let mut row = vec![Complex64::new(0.0, 0.0); ny];
                    row[0] = Complex64::new(z[j * m2].re, 0.0);
                    for k2 in 1..m2 {
                        row[k2] = z[j * m2 + k2];
                        row[ny - k2] = z[j * m2 + k2].conj();
                    }
                    iy.process(&mut row);
                    for l in 0..ny {
                        out[((bb * o + oo) * nx + j) * ny + l] = row[l].re / (nx * ny) as f64;
                    }
                }
            }
        }
        out
    }

    #[test]
    fn spectral_conv_2d_matches_rustfft_reference() {
        let device = Device::flex();
        let mut rng = ChaCha8Rng::seed_from_u64(17);
        // Non-square, odd and even sizes; `nx = 2·m1` (corners that touch) and `ny = 2·m2`.
        for &(b, i, o, nx, ny, m1, m2) in &[
            (2, 3, 2, 12, 10, 3, 4),
            (1, 2, 3, 16, 17, 8, 5),
            (3, 2, 2, 15, 11, 4, 5),
            (2, 1, 2, 9, 14, 2, 7),
        ] {
            let x = random_vec(&mut rng, b * i * nx * ny);
            let w = random_vec(&mut rng, 2 * 2 * m1 * m2 * i * o);
            let layer = SpectralConv2d {
                weight: Param::from_tensor(Tensor::from_data(
                    TensorData::new(w.clone(), [2, 2 * m1, m2, i, o]),
                    &device,
                )),
                in_channels: i,
                out_channels: o,
                modes1: m1,
                modes2: m2,
            };
            let y = layer
                .forward(Tensor::from_data(
                    TensorData::new(x.clone(), [b, i, nx, ny]),
                    &device,
                ))
                .unwrap();
            assert_eq!(y.dims(), [b, o, nx, ny]);
            let got = to_vec(y);
            let want = spectral_reference_2d(&x, &w, (b, i, o, nx, ny, m1, m2));
            let scale = want.iter().fold(0.0_f64, |a, v| a.max(v.abs()));
            let err = got
                .iter()
                .zip(&want)
                .fold(0.0_f64, |a, (g, r)| a.max((*g as f64 - r).abs()));
            assert!(
                err <= 1e-5 * scale.max(1.0),
                "{nx}x{ny}, modes {m1}x{m2}: max error {err:e} (scale {scale:e})"
            );
        }
    }

    #[test]
    fn fno2d_parameter_count_shapes_and_padding() {
        let device = Device::flex();
        let c = Fno2dConfig::new(1, 1);
        // The paper's Darcy model: 3·32 + 32 + 4·(4·144·32² + 32² + 32) + 32·128 + 128 + 128 + 1.
        assert_eq!(c.num_params(), 2_368_001);
        assert_eq!(c.init(&device).unwrap().num_params(), c.num_params());
        let mut c = Fno2dConfig::new(2, 3);
        c.width = 5;
        c.modes1 = 4;
        c.modes2 = 3;
        c.layers = 2;
        c.padding = 3;
        let m = c.init(&device).unwrap();
        assert_eq!(m.num_params(), c.num_params());
        // 5 + 3 >= 2·4: the padded grid is what the modes must fit.
        let y = m.forward(Tensor::zeros([2, 2, 5, 9], &device)).unwrap();
        assert_eq!(y.dims(), [2, 3, 5, 9]);
        assert!(matches!(
            m.forward(Tensor::zeros([1, 2, 4, 9], &device)),
            Err(NeuralError::GridTooCoarse {
                axis: 0,
                n: 7,
                modes: 4
            })
        ));
    }

    /// The FNO-2D built channels-first from pieces checked on their own: the spectral layer's
    /// `[b, c, nx, ny]` entry point (checked against rustfft above), burn's `Linear` on the last
    /// axis and burn's own GELU. Its grid channels, padding and layer order are those of the
    /// channels-last implementation this module had before the point-major one, so equal outputs
    /// mean checkpoints of that version give the same function.
    fn fno2d_reference(m: &Fno2d, x: Tensor<4>) -> Tensor<4> {
        let [b, _, nx, ny] = x.dims();
        let device = x.device();
        let mut v = x.permute([0, 2, 3, 1]); // [b, nx, ny, c]
        if m.grid {
            let mut g = Vec::new();
            for i in 0..nx {
                for j in 0..ny {
                    g.push(i as f32 / nx as f32);
                    g.push(j as f32 / ny as f32);
                }
            }
            let g = Tensor::<4>::from_data(TensorData::new(g, [1, nx, ny, 2]), &device)
                .expand([b, nx, ny, 2]);
            v = Tensor::cat(vec![v, g], 3);
        }
        let mut v = m.lifting.forward(v);
        let p = m.padding;
        if p > 0 {
            let w = v.dims()[3];
            v = Tensor::cat(vec![v, Tensor::zeros([b, p, ny, w], &device)], 1);
            v = Tensor::cat(vec![v, Tensor::zeros([b, nx + p, p, w], &device)], 2);
        }
        let last = m.spectral.len() - 1;
        for (l, (k, w)) in m.spectral.iter().zip(&m.pointwise).enumerate() {
            let ks = k
                .forward(v.clone().permute([0, 3, 1, 2]))
                .unwrap()
                .permute([0, 2, 3, 1]);
            let y = ks + w.forward(v);
            v = if l < last {
                burn::tensor::activation::gelu(y)
            } else {
                y
            };
        }
        if p > 0 {
            v = v.narrow(1, 0, nx).narrow(2, 0, ny);
        }
        let v = burn::tensor::activation::gelu(m.projection_hidden.forward(v));
        m.projection_out.forward(v).permute([0, 3, 1, 2])
    }

    fn small_config_2d(grid: bool, padding: usize) -> Fno2dConfig {
        Fno2dConfig {
            in_channels: 2,
            out_channels: 3,
            width: 6,
            modes1: 3,
            modes2: 4,
            layers: 3,
            projection_width: 8,
            grid,
            padding,
        }
    }

    #[test]
    fn fno2d_matches_the_channels_first_reference() {
        let device = Device::flex();
        device.seed(21);
        for (grid, padding, nx, ny) in [(true, 0, 13, 10), (false, 0, 8, 9), (true, 3, 7, 11)] {
            let m = small_config_2d(grid, padding).init(&device).unwrap();
            let x = Tensor::<4>::random([3, 2, nx, ny], Distribution::Uniform(-1.0, 1.0), &device);
            let got = to_vec(m.forward(x.clone()).unwrap());
            let want = to_vec(fno2d_reference(&m, x));
            assert_eq!(got.len(), 3 * 3 * nx * ny);
            let scale = want.iter().fold(0.0_f32, |a, v| a.max(v.abs()));
            let err = got
                .iter()
                .zip(&want)
                .fold(0.0_f32, |a, (g, r)| a.max((g - r).abs()));
            assert!(
                err <= 1e-5 * scale.max(1.0),
                "grid {grid}, padding {padding}, {nx}x{ny}: max error {err:e} (scale {scale:e})"
            );
        }
    }

    /// `loss = Σ y ⊙ r` for a fixed random `r`.
    fn loss_2d(model: &Fno2d, x: Tensor<4>, r: &Tensor<4>) -> Tensor<1> {
        (model.forward(x).unwrap() * r.clone()).sum()
    }

    #[test]
    fn fno2d_gradients_match_central_differences() {
        let device = Device::flex();
        device.seed(23);
        let ad = device.clone().autodiff();
        let cfg = small_config_2d(true, 2);
        let model = cfg.init(&ad).unwrap();
        let mut rng = ChaCha8Rng::seed_from_u64(29);
        let (b, nx, ny) = (2, 9, 8);
        let xv = random_vec(&mut rng, b * 2 * nx * ny);
        let rv = random_vec(&mut rng, b * 3 * nx * ny);
        let x =
            Tensor::<4>::from_data(TensorData::new(xv.clone(), [b, 2, nx, ny]), &ad).require_grad();
        let r_ad = Tensor::<4>::from_data(TensorData::new(rv.clone(), [b, 3, nx, ny]), &ad);
        let grads = loss_2d(&model, x.clone(), &r_ad).backward();
        let g_spec = to_vec(model.spectral[1].weight.val().grad(&grads).unwrap());
        let g_point = to_vec(model.pointwise[0].weight.val().grad(&grads).unwrap());
        let g_x = to_vec(x.grad(&grads).unwrap());

        let plain = model.valid();
        let r = Tensor::<4>::from_data(TensorData::new(rv, [b, 3, nx, ny]), &device);
        let x0 = Tensor::<4>::from_data(TensorData::new(xv.clone(), [b, 2, nx, ny]), &device);
        let eval = |m: &Fno2d, x: Tensor<4>| -> f64 { to_vec(loss_2d(m, x, &r))[0] as f64 };
        let h = 1e-2_f32;
        let check = |name: &str, analytic: f32, plus: f64, minus: f64| {
            let fd = (plus - minus) / (2.0 * h as f64);
            let err = (analytic as f64 - fd).abs();
            assert!(
                err <= 1e-2 * fd.abs().max(analytic.abs() as f64) + 1e-4,
                "{name}: autodiff {analytic:e}, finite difference {fd:e}"
            );
        };
        let shape = plain.spectral[1].weight.val().dims();
        let numel: usize = shape.iter().product();
        // Real and imaginary parts, both corners (index m1 + q is wavenumber nx − m1 + q).
        for idx in [0, 37, numel / 2 + 5, numel - 1] {
            let mut v = to_vec(plain.spectral[1].weight.val());
            let mut p = plain.clone();
            v[idx] += h;
            p.spectral[1].weight = Param::from_tensor(Tensor::from_data(
                TensorData::new(v.clone(), shape),
                &device,
            ));
            let lp = eval(&p, x0.clone());
            v[idx] -= 2.0 * h;
            p.spectral[1].weight =
                Param::from_tensor(Tensor::from_data(TensorData::new(v, shape), &device));
            let lm = eval(&p, x0.clone());
            check("spectral weight", g_spec[idx], lp, lm);
        }
        for idx in [0, 7, 35] {
            let mut v = to_vec(plain.pointwise[0].weight.val());
            let mut p = plain.clone();
            v[idx] += h;
            p.pointwise[0].weight = Param::from_tensor(Tensor::from_data(
                TensorData::new(v.clone(), [6, 6]),
                &device,
            ));
            let lp = eval(&p, x0.clone());
            v[idx] -= 2.0 * h;
            p.pointwise[0].weight =
                Param::from_tensor(Tensor::from_data(TensorData::new(v, [6, 6]), &device));
            let lm = eval(&p, x0.clone());
            check("pointwise weight", g_point[idx], lp, lm);
        }
        for idx in [0, 11, 100, xv.len() - 1] {
            let mut v = xv.clone();
            v[idx] += h;
            let lp = eval(
                &plain,
                Tensor::from_data(TensorData::new(v.clone(), [b, 2, nx, ny]), &device),
            );
            v[idx] -= 2.0 * h;
            let lm = eval(
                &plain,
                Tensor::from_data(TensorData::new(v, [b, 2, nx, ny]), &device),
            );
            check("input", g_x[idx], lp, lm);
        }
    }

    #[test]
    fn fno2d_safetensors_round_trip_gives_identical_outputs() {
        let device = Device::flex();
        device.seed(31);
        let cfg = small_config_2d(true, 1);
        let model = cfg.init(&device).unwrap();
        let x = Tensor::<4>::random([2, 2, 10, 9], Distribution::Uniform(-1.0, 1.0), &device);
        device.seed(32);
        let fresh = cfg.init(&device).unwrap();
        assert_safetensors_round_trip("fno2d", &model, fresh, |m| {
            to_vec(m.forward(x.clone()).unwrap())
        });
    }

    /// A few Adam steps on a linear operator that one Fourier layer represents exactly (a shift
    /// by one grid point along x, on inputs band-limited to the kept modes) must cut the loss
    /// several-fold.
    #[test]
    fn fno2d_training_reduces_the_loss() {
        use burn::optim::{AdamConfig, GradientsParams};
        let device = Device::flex();
        device.seed(41);
        let ad = device.clone().autodiff();
        let mut cfg = Fno2dConfig::new(1, 1);
        cfg.width = 8;
        cfg.modes1 = 3;
        cfg.modes2 = 3;
        cfg.layers = 2;
        cfg.projection_width = 16;
        let mut model = cfg.init(&ad).unwrap();
        let (b, nx, ny) = (8, 12, 10);
        let mut rng = ChaCha8Rng::seed_from_u64(43);
        let mut xv = vec![0.0_f32; b * nx * ny];
        for s in 0..b {
            for kx in -2_i32..=2 {
                for ky in 0..=2 {
                    let (a, phase) = (rng.random_range(-1.0..1.0), rng.random_range(0.0..6.3));
                    for i in 0..nx {
                        for j in 0..ny {
                            let t = 2.0
                                * std::f64::consts::PI
                                * (kx as f64 * i as f64 / nx as f64
                                    + ky as f64 * j as f64 / ny as f64);
                            xv[(s * nx + i) * ny + j] += (a * (t + phase).cos()) as f32;
                        }
                    }
                }
            }
        }
        let x = Tensor::<4>::from_data(TensorData::new(xv, [b, 1, nx, ny]), &device);
        let y = x.clone().roll_dim(1, 2);
        let x = Tensor::<4>::from_data(x.into_data(), &ad);
        let y = Tensor::<4>::from_data(y.into_data(), &ad);
        let mut optim = AdamConfig::new().init();
        let mut losses = Vec::new();
        for _ in 0..60 {
            let loss = (model.forward(x.clone()).unwrap() - y.clone())
                .powi_scalar(2)
                .mean();
            losses.push(to_vec(loss.clone())[0]);
            let grads = GradientsParams::from_grads(loss.backward(), &model);
            model = optim.step(3e-3, model, grads);
        }
        let (first, last) = (losses[0], *losses.last().unwrap());
        eprintln!("FNO-2D training: loss {first:e} -> {last:e}");
        assert!(last.is_finite() && last < 0.2 * first, "{losses:?}");
    }
}
