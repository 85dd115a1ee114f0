//! A pointwise MLP: the same small network applied at every grid point (a 1×1-convolution
//! network). It cannot move information between points, so it is a floor that any operator
//! model must beat; the trainer's own tests use it because it is tiny and fast.

use burn::module::Module;
use burn::nn::{Linear, LinearConfig};
use burn::tensor::{activation::gelu, Device, Tensor};
use serde::{Deserialize, Serialize};

use crate::train::Surrogate;
use crate::NeuralError;

/// Configuration of [`PointMlp`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PointMlpConfig {
    pub in_channels: usize,
    pub out_channels: usize,
    pub width: usize,
}

impl PointMlpConfig {
    /// The module, with burn's default (Kaiming-uniform) initialisation from the device's RNG.
    pub fn init(&self, device: &Device) -> PointMlp {
        PointMlp {
            lift: LinearConfig::new(self.in_channels, self.width).init(device),
            hidden: LinearConfig::new(self.width, self.width).init(device),
            project: LinearConfig::new(self.width, self.out_channels).init(device),
        }
    }
}

/// `x ↦ W₃ σ(W₂ σ(W₁ x + b₁) + b₂) + b₃` at every grid point, σ = GELU.
#[derive(Module, Debug)]
pub struct PointMlp {
    lift: Linear,
    hidden: Linear,
    project: Linear,
}

impl PointMlp {
    fn apply<const D: usize>(&self, x: Tensor<D>) -> Tensor<D> {
        // Channels last for the linear layers, then back.
        let x = x.swap_dims(1, D - 1);
        let h = gelu(self.lift.forward(x));
        let h = gelu(self.hidden.forward(h));
        self.project.forward(h).swap_dims(1, D - 1)
    }
}

impl Surrogate<3> for PointMlp {
    fn forward(&self, x: Tensor<3>) -> Result<Tensor<3>, NeuralError> {
        Ok(self.apply(x))
    }
}

impl Surrogate<4> for PointMlp {
    fn forward(&self, x: Tensor<4>) -> Result<Tensor<4>, NeuralError> {
        Ok(self.apply(x))
    }
}
