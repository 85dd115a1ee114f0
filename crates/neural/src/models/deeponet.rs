//! DeepONet (Lu, Jin, Pang, Zhang & Karniadakis 2021, "Learning nonlinear operators via
//! DeepONet based on the universal approximation theorem of operators", Nat. Mach. Intell. 3):
//!
//! `G(u)(y)_c = Σ_{k<p} b_{c,k}(u) t_{c,k}(y) + β_c`
//!
//! with a branch MLP `b` on the input function sampled at fixed sensors and a trunk MLP `t` on the
//! query coordinate (activation also on the trunk's last layer, as in the paper's "unstacked"
//! DeepONet). Several output channels use `p` basis functions each (Lu et al. 2022, "A
//! comprehensive and fair comparison of two neural operators", §3.1.1, the "split" variant).
//!
//! On grid data the sensors are the input grid and the queries the same grid points
//! (`(j/n)` in 1-D, `(i/nx, j/ny)` in 2-D); [`DeepOnet::forward_points`] evaluates anywhere.

use burn::module::{Module, Param};
use burn::nn::{Linear, LinearConfig};
use burn::tensor::activation::gelu;
use burn::tensor::{Device, Tensor, TensorData};
use serde::{Deserialize, Serialize};

use crate::NeuralError;

fn default_hidden() -> Vec<usize> {
    vec![128, 128]
}
fn default_latent() -> usize {
    128
}

/// Configuration of a [`DeepOnet`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeepOnetConfig {
    /// Input channels.
    pub in_channels: usize,
    /// Output channels.
    pub out_channels: usize,
    /// The sensor grid: `[n]` for 1-D data, `[nx, ny]` for 2-D data. The branch sees
    /// `in_channels · Π sensors` values.
    pub sensors: Vec<usize>,
    /// Hidden widths of the branch MLP.
    #[serde(default = "default_hidden")]
    pub branch_hidden: Vec<usize>,
    /// Hidden widths of the trunk MLP.
    #[serde(default = "default_hidden")]
    pub trunk_hidden: Vec<usize>,
    /// Basis functions per output channel (`p`).
    #[serde(default = "default_latent")]
    pub latent: usize,
}

impl DeepOnetConfig {
    /// A config with two hidden layers of 128 in both nets and `p = 128`.
    pub fn new(in_channels: usize, out_channels: usize, sensors: Vec<usize>) -> Self {
        Self {
            in_channels,
            out_channels,
            sensors,
            branch_hidden: default_hidden(),
            trunk_hidden: default_hidden(),
            latent: default_latent(),
        }
    }

    /// Checks every field.
    pub fn validate(&self) -> Result<(), NeuralError> {
        if !(1..=2).contains(&self.sensors.len()) {
            return Err(NeuralError::InvalidConfig {
                field: "sensors",
                reason: format!("must list 1 or 2 grid sizes, got {:?}", self.sensors),
            });
        }
        let hidden = self.branch_hidden.iter().chain(&self.trunk_hidden);
        let fields = [
            ("in_channels", self.in_channels),
            ("out_channels", self.out_channels),
            ("latent", self.latent),
        ];
        for (field, v) in fields
            .into_iter()
            .chain(self.sensors.iter().map(|&s| ("sensors", s)))
            .chain(hidden.map(|&h| ("branch_hidden/trunk_hidden", h)))
        {
            if v == 0 {
                return Err(NeuralError::InvalidConfig {
                    field,
                    reason: "entries must be at least 1".into(),
                });
            }
        }
        Ok(())
    }

    fn widths(&self) -> (Vec<usize>, Vec<usize>) {
        let out = self.out_channels * self.latent;
        let n_in = self.in_channels * self.sensors.iter().product::<usize>();
        let mut branch = vec![n_in];
        branch.extend(&self.branch_hidden);
        branch.push(out);
        let mut trunk = vec![self.sensors.len()];
        trunk.extend(&self.trunk_hidden);
        trunk.push(out);
        (branch, trunk)
    }

    /// Closed-form number of trainable parameters: both MLPs' weights and biases plus one bias
    /// per output channel.
    pub fn num_params(&self) -> usize {
        let (branch, trunk) = self.widths();
        let mlp = |w: &[usize]| w.windows(2).map(|p| p[0] * p[1] + p[1]).sum::<usize>();
        mlp(&branch) + mlp(&trunk) + self.out_channels
    }

    /// Builds the model.
    pub fn init(&self, device: &Device) -> Result<DeepOnet, NeuralError> {
        self.validate()?;
        let (branch, trunk) = self.widths();
        let mlp = |w: &[usize]| {
            w.windows(2)
                .map(|p| LinearConfig::new(p[0], p[1]).init(device))
                .collect()
        };
        Ok(DeepOnet {
            branch: mlp(&branch),
            trunk: mlp(&trunk),
            bias: Param::from_tensor(Tensor::zeros([self.out_channels], device)),
            in_channels: self.in_channels,
            out_channels: self.out_channels,
            latent: self.latent,
            sensors: self.sensors.clone(),
        })
    }
}

/// A DeepONet; build it with [`DeepOnetConfig::init`].
#[derive(Module, Debug)]
pub struct DeepOnet {
    branch: Vec<Linear>,
    trunk: Vec<Linear>,
    bias: Param<Tensor<1>>,
    in_channels: usize,
    out_channels: usize,
    latent: usize,
    sensors: Vec<usize>,
}

impl DeepOnet {
    /// `G(u)(y)` for `u: [batch, in_channels · Π sensors]` (channel-major sensor values) and
    /// query points `y: [points, dims]`; returns `[batch, out_channels, points]`.
    pub fn forward_points(&self, u: Tensor<2>, y: Tensor<2>) -> Result<Tensor<3>, NeuralError> {
        let n_in = self.in_channels * self.sensors.iter().product::<usize>();
        let [b, m] = u.dims();
        if m != n_in {
            return Err(NeuralError::ShapeMismatch {
                what: "DeepONet sensor values",
                expected: format!("[batch, {n_in}]"),
                found: vec![b, m],
            });
        }
        let [p, d] = y.dims();
        if d != self.sensors.len() {
            return Err(NeuralError::ShapeMismatch {
                what: "DeepONet query points",
                expected: format!("[points, {}]", self.sensors.len()),
                found: vec![p, d],
            });
        }
        let last = self.branch.len() - 1;
        let mut bv = u;
        for (l, layer) in self.branch.iter().enumerate() {
            bv = layer.forward(bv);
            if l < last {
                bv = gelu(bv);
            }
        }
        let mut tv = y;
        for layer in &self.trunk {
            tv = gelu(layer.forward(tv));
        }
        let (c, k) = (self.out_channels, self.latent);
        let bv = bv.reshape([b, c, k]).swap_dims(0, 1); // [c, b, k]
        let tv = tv.reshape([p, c, k]).permute([1, 2, 0]); // [c, k, p]
        let out = bv.matmul(tv).swap_dims(0, 1); // [b, c, p]
        Ok(out + self.bias.val().reshape([1, c, 1]))
    }

    fn check_grid(
        &self,
        what: &'static str,
        grid: &[usize],
        found: Vec<usize>,
    ) -> Result<(), NeuralError> {
        if grid != self.sensors.as_slice() {
            return Err(NeuralError::ShapeMismatch {
                what,
                expected: format!(
                    "the sensor grid {:?} (DeepONet's branch has fixed sensors)",
                    self.sensors
                ),
                found,
            });
        }
        Ok(())
    }

    fn check_channels(
        &self,
        what: &'static str,
        c: usize,
        found: Vec<usize>,
    ) -> Result<(), NeuralError> {
        if c != self.in_channels {
            return Err(NeuralError::ShapeMismatch {
                what,
                expected: format!("{} input channels", self.in_channels),
                found,
            });
        }
        Ok(())
    }

    /// On 1-D grid data `[batch, in_channels, n]` (with `n` the sensor count): the output on the
    /// same grid, `[batch, out_channels, n]`.
    pub fn forward_1d(&self, x: Tensor<3>) -> Result<Tensor<3>, NeuralError> {
        let [b, c, n] = x.dims();
        if self.sensors.len() != 1 {
            return Err(NeuralError::WrongDimension {
                model: "deeponet",
                expected: self.sensors.len(),
                found: 1,
            });
        }
        self.check_channels("DeepONet input", c, vec![b, c, n])?;
        self.check_grid("DeepONet input", &[n], vec![b, c, n])?;
        let xs: Vec<f32> = (0..n).map(|j| j as f32 / n as f32).collect();
        let y = Tensor::from_data(TensorData::new(xs, [n, 1]), &x.device());
        self.forward_points(x.reshape([b, c * n]), y)
    }

    /// On 2-D grid data `[batch, in_channels, nx, ny]`: the output on the same grid.
    pub fn forward_2d(&self, x: Tensor<4>) -> Result<Tensor<4>, NeuralError> {
        let [b, c, nx, ny] = x.dims();
        if self.sensors.len() != 2 {
            return Err(NeuralError::WrongDimension {
                model: "deeponet",
                expected: self.sensors.len(),
                found: 2,
            });
        }
        self.check_channels("DeepONet input", c, vec![b, c, nx, ny])?;
        self.check_grid("DeepONet input", &[nx, ny], vec![b, c, nx, ny])?;
        let mut xy = Vec::with_capacity(2 * nx * ny);
        for i in 0..nx {
            for j in 0..ny {
                xy.push(i as f32 / nx as f32);
                xy.push(j as f32 / ny as f32);
            }
        }
        let y = Tensor::from_data(TensorData::new(xy, [nx * ny, 2]), &x.device());
        let out = self.forward_points(x.reshape([b, c * nx * ny]), y)?;
        Ok(out.reshape([b, self.out_channels, nx, ny]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::Distribution;

    fn small(sensors: Vec<usize>) -> DeepOnetConfig {
        DeepOnetConfig {
            in_channels: 2,
            out_channels: 3,
            sensors,
            branch_hidden: vec![7],
            trunk_hidden: vec![5, 6],
            latent: 4,
        }
    }

    #[test]
    fn parameter_counts_match_closed_form() {
        let device = Device::flex();
        for c in [
            small(vec![10]),
            small(vec![4, 3]),
            DeepOnetConfig::new(1, 1, vec![101]),
        ] {
            assert_eq!(c.init(&device).unwrap().num_params(), c.num_params());
        }
        // Lu et al.'s antiderivative set-up: 100 sensors, [40, 40] nets, p = 40:
        // branch 100·40+40 + 40·40+40 + 40·40+40, trunk 1·40+40 + 40·40+40 + 40·40+40, bias 1.
        let mut c = DeepOnetConfig::new(1, 1, vec![100]);
        c.branch_hidden = vec![40, 40];
        c.trunk_hidden = vec![40, 40];
        c.latent = 40;
        assert_eq!(c.num_params(), 4040 + 1640 + 1640 + 80 + 1640 + 1640 + 1);
    }

    /// The output is `Σ_k b_k t_k + β`: computed here by hand from the two nets' outputs.
    #[test]
    fn output_is_the_branch_trunk_dot_product() {
        let device = Device::flex();
        device.seed(4);
        let m = small(vec![10]).init(&device).unwrap();
        let x = Tensor::<3>::random([2, 2, 10], Distribution::Uniform(-1.0, 1.0), &device);
        let y = m.forward_1d(x.clone()).unwrap();
        assert_eq!(y.dims(), [2, 3, 10]);
        let got = y.into_data().try_to_vec::<f32>().unwrap();

        let mut bv = x.reshape([2, 20]);
        for (l, layer) in m.branch.iter().enumerate() {
            bv = layer.forward(bv);
            if l + 1 < m.branch.len() {
                bv = gelu(bv);
            }
        }
        let xs: Vec<f32> = (0..10).map(|j| j as f32 / 10.0).collect();
        let mut tv = Tensor::<2>::from_data(TensorData::new(xs, [10, 1]), &device);
        for layer in &m.trunk {
            tv = gelu(layer.forward(tv));
        }
        let bv = bv.into_data().try_to_vec::<f32>().unwrap(); // [2, 3·4]
        let tv = tv.into_data().try_to_vec::<f32>().unwrap(); // [10, 3·4]
        for b in 0..2 {
            for c in 0..3 {
                for p in 0..10 {
                    let want: f32 = (0..4)
                        .map(|k| bv[b * 12 + c * 4 + k] * tv[p * 12 + c * 4 + k])
                        .sum();
                    let g = got[(b * 3 + c) * 10 + p];
                    assert!(
                        (g - want).abs() < 1e-5 * want.abs().max(1.0),
                        "{g} vs {want}"
                    );
                }
            }
        }
    }

    #[test]
    fn shapes_and_errors() {
        let device = Device::flex();
        let m2 = small(vec![4, 3]).init(&device).unwrap();
        let y = m2.forward_2d(Tensor::zeros([5, 2, 4, 3], &device)).unwrap();
        assert_eq!(y.dims(), [5, 3, 4, 3]);
        assert!(matches!(
            m2.forward_2d(Tensor::zeros([1, 2, 4, 4], &device)),
            Err(NeuralError::ShapeMismatch { .. })
        ));
        assert!(matches!(
            m2.forward_1d(Tensor::zeros([1, 2, 12], &device)),
            Err(NeuralError::WrongDimension { .. })
        ));
        assert!(matches!(
            small(vec![]).init(&device),
            Err(NeuralError::InvalidConfig {
                field: "sensors",
                ..
            })
        ));
    }
}
