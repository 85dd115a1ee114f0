//! U-Net baselines in one and two space dimensions, as used by PDEBench (Takamoto et al. 2022,
//! "PDEBench: an extensive benchmark for scientific machine learning", NeurIPS; their `UNet1d`/
//! `UNet2d`, after Ronneberger et al. 2015) with PDEArena's choice of GroupNorm and GELU (Gupta &
//! Brandstetter 2022, "Towards multi-spatiotemporal-scale generalized PDE modeling").
//!
//! ```text
//! enc_0 = block(c_in → f);  enc_l = block(pool(enc_{l−1}), 2^{l−1}f → 2^l f),  l = 1..L−1
//! bottleneck = block(pool(enc_{L−1}), 2^{L−1}f → 2^L f)
//! dec_l = block(cat(upconv(dec_{l+1}), enc_l)),  l = L−1..0;   y = conv1×1(dec_0 → c_out)
//! block(i → o) = [conv3 (no bias) → GroupNorm → GELU] × 2,  pool = max-pool 2,
//! upconv = transposed conv, kernel 2, stride 2
//! ```
//!
//! Layout `[batch, channels, n]` / `[batch, channels, nx, ny]`; every spatial size must be a
//! multiple of `2^levels`. Convolutions are zero-padded (not periodic), as in PDEBench.

use burn::module::Module;
use burn::nn::conv::{
    Conv1d, Conv1dConfig, Conv2d, Conv2dConfig, ConvTranspose1d, ConvTranspose1dConfig,
    ConvTranspose2d, ConvTranspose2dConfig,
};
use burn::nn::pool::{MaxPool1d, MaxPool1dConfig, MaxPool2d, MaxPool2dConfig};
use burn::nn::{GroupNorm, GroupNormConfig, PaddingConfig1d, PaddingConfig2d};
use burn::tensor::activation::gelu;
use burn::tensor::{Device, Tensor};
use serde::{Deserialize, Serialize};

use crate::NeuralError;

fn default_features() -> usize {
    32
}
fn default_levels() -> usize {
    4
}
fn default_groups() -> usize {
    8
}

/// Configuration of a U-Net ([`Unet1d`] or [`Unet2d`]); defaults as PDEBench (32 initial
/// features, 4 down-sampling levels) with 8 normalisation groups.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnetConfig {
    /// Input channels.
    pub in_channels: usize,
    /// Output channels.
    pub out_channels: usize,
    /// Channels of the first level; level `l` has `2^l ·features`.
    #[serde(default = "default_features")]
    pub features: usize,
    /// Down-sampling steps (the bottleneck works at `n / 2^levels`).
    #[serde(default = "default_levels")]
    pub levels: usize,
    /// GroupNorm groups; must divide `features`.
    #[serde(default = "default_groups")]
    pub groups: usize,
}

impl UnetConfig {
    /// A config with the defaults for the given channel counts.
    pub fn new(in_channels: usize, out_channels: usize) -> Self {
        Self {
            in_channels,
            out_channels,
            features: default_features(),
            levels: default_levels(),
            groups: default_groups(),
        }
    }

    /// Checks every field.
    pub fn validate(&self) -> Result<(), NeuralError> {
        for (field, v) in [
            ("in_channels", self.in_channels),
            ("out_channels", self.out_channels),
            ("features", self.features),
            ("levels", self.levels),
            ("groups", self.groups),
        ] {
            if v == 0 {
                return Err(NeuralError::InvalidConfig {
                    field,
                    reason: "must be at least 1".into(),
                });
            }
        }
        if self.levels > 12 {
            return Err(NeuralError::InvalidConfig {
                field: "levels",
                reason: format!(
                    "{} is more than 12 (a grid of at least 4096 points)",
                    self.levels
                ),
            });
        }
        if !self.features.is_multiple_of(self.groups) {
            return Err(NeuralError::InvalidConfig {
                field: "groups",
                reason: format!(
                    "{} does not divide features = {}",
                    self.groups, self.features
                ),
            });
        }
        Ok(())
    }

    /// Closed-form number of trainable parameters for `dims` space dimensions (kernel 3^dims
    /// for the convolutions, 2^dims for the up-convolutions).
    pub fn num_params(&self, dims: u32) -> usize {
        let k3 = 3_usize.pow(dims);
        let k2 = 2_usize.pow(dims);
        let block = |i: usize, o: usize| i * o * k3 + 2 * o + o * o * k3 + 2 * o;
        let f = |l: usize| self.features << l;
        let mut total = block(self.in_channels, f(0));
        for l in 1..=self.levels {
            total += block(f(l - 1), f(l)); // encoder levels and the bottleneck
        }
        for l in 0..self.levels {
            total += f(l + 1) * f(l) * k2 + f(l); // up-convolution
            total += block(2 * f(l), f(l)); // decoder block
        }
        total + f(0) * self.out_channels + self.out_channels
    }

    /// Builds a 1-D U-Net.
    pub fn init_1d(&self, device: &Device) -> Result<Unet1d, NeuralError> {
        self.validate()?;
        let f = |l: usize| self.features << l;
        let block = |i, o| Block1d::new(i, o, self.groups, device);
        Ok(Unet1d {
            encoders: (0..=self.levels)
                .map(|l| block(if l == 0 { self.in_channels } else { f(l - 1) }, f(l)))
                .collect(),
            upconvs: (0..self.levels)
                .map(|l| {
                    ConvTranspose1dConfig::new([f(l + 1), f(l)], 2)
                        .with_stride(2)
                        .init(device)
                })
                .collect(),
            decoders: (0..self.levels).map(|l| block(2 * f(l), f(l))).collect(),
            pool: MaxPool1dConfig::new(2).init(),
            head: Conv1dConfig::new(f(0), self.out_channels, 1).init(device),
            in_channels: self.in_channels,
            levels: self.levels,
        })
    }

    /// Builds a 2-D U-Net.
    pub fn init_2d(&self, device: &Device) -> Result<Unet2d, NeuralError> {
        self.validate()?;
        let f = |l: usize| self.features << l;
        let block = |i, o| Block2d::new(i, o, self.groups, device);
        Ok(Unet2d {
            encoders: (0..=self.levels)
                .map(|l| block(if l == 0 { self.in_channels } else { f(l - 1) }, f(l)))
                .collect(),
            upconvs: (0..self.levels)
                .map(|l| {
                    ConvTranspose2dConfig::new([f(l + 1), f(l)], [2, 2])
                        .with_stride([2, 2])
                        .init(device)
                })
                .collect(),
            decoders: (0..self.levels).map(|l| block(2 * f(l), f(l))).collect(),
            pool: MaxPool2dConfig::new([2, 2]).init(),
            head: Conv2dConfig::new([f(0), self.out_channels], [1, 1]).init(device),
            in_channels: self.in_channels,
            levels: self.levels,
        })
    }
}

/// `[conv3 → GroupNorm → GELU] × 2` in 1-D.
#[derive(Module, Debug)]
pub struct Block1d {
    conv1: Conv1d,
    norm1: GroupNorm,
    conv2: Conv1d,
    norm2: GroupNorm,
}

impl Block1d {
    fn new(i: usize, o: usize, groups: usize, device: &Device) -> Self {
        let conv = |i, o| {
            Conv1dConfig::new(i, o, 3)
                .with_padding(PaddingConfig1d::Explicit(1, 1))
                .with_bias(false)
                .init(device)
        };
        Self {
            conv1: conv(i, o),
            norm1: GroupNormConfig::new(groups, o).init(device),
            conv2: conv(o, o),
            norm2: GroupNormConfig::new(groups, o).init(device),
        }
    }

    fn forward(&self, x: Tensor<3>) -> Tensor<3> {
        let x = gelu(self.norm1.forward(self.conv1.forward(x)));
        gelu(self.norm2.forward(self.conv2.forward(x)))
    }
}

/// `[conv3×3 → GroupNorm → GELU] × 2` in 2-D.
#[derive(Module, Debug)]
pub struct Block2d {
    conv1: Conv2d,
    norm1: GroupNorm,
    conv2: Conv2d,
    norm2: GroupNorm,
}

impl Block2d {
    fn new(i: usize, o: usize, groups: usize, device: &Device) -> Self {
        let conv = |i, o| {
            Conv2dConfig::new([i, o], [3, 3])
                .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
                .with_bias(false)
                .init(device)
        };
        Self {
            conv1: conv(i, o),
            norm1: GroupNormConfig::new(groups, o).init(device),
            conv2: conv(o, o),
            norm2: GroupNormConfig::new(groups, o).init(device),
        }
    }

    fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let x = gelu(self.norm1.forward(self.conv1.forward(x)));
        gelu(self.norm2.forward(self.conv2.forward(x)))
    }
}

fn check_divisible(axis: usize, n: usize, levels: usize) -> Result<(), NeuralError> {
    let m = 1usize << levels;
    if n == 0 || !n.is_multiple_of(m) {
        return Err(NeuralError::ShapeMismatch {
            what: "U-Net input",
            expected: format!("spatial axis {axis} a positive multiple of 2^levels = {m}"),
            found: vec![n],
        });
    }
    Ok(())
}

/// A 1-D U-Net; build it with [`UnetConfig::init_1d`].
#[derive(Module, Debug)]
pub struct Unet1d {
    encoders: Vec<Block1d>,
    upconvs: Vec<ConvTranspose1d>,
    decoders: Vec<Block1d>,
    pool: MaxPool1d,
    head: Conv1d,
    in_channels: usize,
    levels: usize,
}

impl Unet1d {
    /// Maps `[batch, in_channels, n]` to `[batch, out_channels, n]`; `n` a multiple of
    /// `2^levels`.
    pub fn forward(&self, x: Tensor<3>) -> Result<Tensor<3>, NeuralError> {
        let [b, c, n] = x.dims();
        if c != self.in_channels {
            return Err(NeuralError::ShapeMismatch {
                what: "U-Net input",
                expected: format!("[batch, {}, n]", self.in_channels),
                found: vec![b, c, n],
            });
        }
        check_divisible(0, n, self.levels)?;
        let mut skips = Vec::with_capacity(self.levels);
        let mut v = x;
        for (l, enc) in self.encoders.iter().enumerate() {
            if l > 0 {
                v = self.pool.forward(v);
            }
            v = enc.forward(v);
            if l < self.levels {
                skips.push(v.clone());
            }
        }
        for l in (0..self.levels).rev() {
            let up = self.upconvs[l].forward(v);
            let skip = skips.pop().expect("one skip per level");
            v = self.decoders[l].forward(Tensor::cat(vec![up, skip], 1));
        }
        Ok(self.head.forward(v))
    }
}

/// A 2-D U-Net; build it with [`UnetConfig::init_2d`].
#[derive(Module, Debug)]
pub struct Unet2d {
    encoders: Vec<Block2d>,
    upconvs: Vec<ConvTranspose2d>,
    decoders: Vec<Block2d>,
    pool: MaxPool2d,
    head: Conv2d,
    in_channels: usize,
    levels: usize,
}

impl Unet2d {
    /// Maps `[batch, in_channels, nx, ny]` to `[batch, out_channels, nx, ny]`; `nx`, `ny`
    /// multiples of `2^levels`.
    pub fn forward(&self, x: Tensor<4>) -> Result<Tensor<4>, NeuralError> {
        let [b, c, nx, ny] = x.dims();
        if c != self.in_channels {
            return Err(NeuralError::ShapeMismatch {
                what: "U-Net input",
                expected: format!("[batch, {}, nx, ny]", self.in_channels),
                found: vec![b, c, nx, ny],
            });
        }
        check_divisible(0, nx, self.levels)?;
        check_divisible(1, ny, self.levels)?;
        let mut skips = Vec::with_capacity(self.levels);
        let mut v = x;
        for (l, enc) in self.encoders.iter().enumerate() {
            if l > 0 {
                v = self.pool.forward(v);
            }
            v = enc.forward(v);
            if l < self.levels {
                skips.push(v.clone());
            }
        }
        for l in (0..self.levels).rev() {
            let up = self.upconvs[l].forward(v);
            let skip = skips.pop().expect("one skip per level");
            v = self.decoders[l].forward(Tensor::cat(vec![up, skip], 1));
        }
        Ok(self.head.forward(v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::{Distribution, TensorData};

    fn small() -> UnetConfig {
        UnetConfig {
            in_channels: 2,
            out_channels: 3,
            features: 4,
            levels: 2,
            groups: 2,
        }
    }

    #[test]
    fn parameter_counts_match_closed_form() {
        let device = Device::flex();
        for c in [small(), UnetConfig::new(1, 1)] {
            assert_eq!(c.init_1d(&device).unwrap().num_params(), c.num_params(1));
            assert_eq!(c.init_2d(&device).unwrap().num_params(), c.num_params(2));
        }
    }

    #[test]
    fn shapes_and_errors() {
        let device = Device::flex();
        let c = small();
        let m1 = c.init_1d(&device).unwrap();
        let y = m1
            .forward(Tensor::random([2, 2, 12], Distribution::Default, &device))
            .unwrap();
        assert_eq!(y.dims(), [2, 3, 12]);
        assert!(m1.forward(Tensor::zeros([1, 2, 10], &device)).is_err());
        assert!(m1.forward(Tensor::zeros([1, 1, 12], &device)).is_err());
        let m2 = c.init_2d(&device).unwrap();
        let y = m2
            .forward(Tensor::random([1, 2, 8, 4], Distribution::Default, &device))
            .unwrap();
        assert_eq!(y.dims(), [1, 3, 8, 4]);
        assert!(m2.forward(Tensor::zeros([1, 2, 8, 6], &device)).is_err());
        let mut bad = small();
        bad.groups = 3;
        assert!(matches!(
            bad.init_1d(&device),
            Err(NeuralError::InvalidConfig {
                field: "groups",
                ..
            })
        ));
    }

    /// Convolutions, max-pooling by 2 and up-convolutions with stride 2 commute with shifts by
    /// a multiple of `2^levels`, and GroupNorm's statistics do not see a shift of a compactly
    /// supported signal on a zero background: away from the zero-padded edges the output of a
    /// shifted input is the shifted output.
    #[test]
    fn shift_by_a_multiple_of_two_to_the_levels_shifts_the_output() {
        let device = Device::flex();
        device.seed(2);
        let m = small().init_1d(&device).unwrap();
        let (n, shift) = (128, 4);
        let mut base = vec![0.0_f32; 2 * n];
        let mut shifted = base.clone();
        for c in 0..2 {
            for j in 50..70 {
                let v = ((j * 7 + c * 3) % 11) as f32 / 11.0 - 0.4;
                base[c * n + j] = v;
                shifted[c * n + j + shift] = v;
            }
        }
        let run = |v: Vec<f32>| -> Vec<f32> {
            m.forward(Tensor::from_data(TensorData::new(v, [1, 2, n]), &device))
                .unwrap()
                .into_data()
                .try_to_vec::<f32>()
                .unwrap()
        };
        let (y0, y1) = (run(base), run(shifted));
        assert!(y0.iter().chain(&y1).all(|v| v.is_finite()));
        // The receptive field is about ±20 points: compare where neither run sees an edge.
        for c in 0..3 {
            for j in 24..100 {
                let (a, b) = (y0[c * n + j], y1[c * n + j + shift]);
                assert!((a - b).abs() < 1e-4, "channel {c}, point {j}: {a} vs {b}");
            }
        }
        // And the shift is visible: the outputs differ where the content moved.
        let moved = (50..70).any(|j| (y0[j] - y1[j]).abs() > 1e-3);
        assert!(moved);
    }
}
