//! Neural-operator models: each is a serde config (`…Config`, with `init(&device)` and a
//! closed-form `num_params()`) plus a burn [`Module`].
//!
//! # The interface the trainer uses
//!
//! * [`ModelConfig`] is the JSON-serialisable choice of architecture and its hyper-parameters,
//!   internally tagged by `"model"`, e.g.
//!   `{"model": "fno1d", "in_channels": 1, "out_channels": 1, "width": 64, "modes": 16}`
//!   (omitted fields take the paper defaults). Save it next to a checkpoint; to load, rebuild the
//!   module with [`ModelConfig::init`] and load the weights into it.
//! * [`AnyModel`] is the module built from it (a burn `Module` enum, so optimisers, records and
//!   `burn-store` work on it directly). It maps fields on a grid to fields on the same grid:
//!   - 1-D models ([`ModelConfig::spatial_dims`] `== 1`): [`AnyModel::forward_1d`], input
//!     `[batch, in_channels, n]` → output `[batch, out_channels, n]`;
//!   - 2-D models: [`AnyModel::forward_2d`], `[batch, in_channels, nx, ny]` →
//!     `[batch, out_channels, nx, ny]`.
//!
//!   Calling the wrong one returns [`NeuralError::WrongDimension`]; a wrong channel count or a
//!   grid too coarse for the modes returns a typed error too (no panics on input shapes).
//! * Data are channels-first; the trainer normalises inputs/outputs itself. FNOs accept any
//!   `n >= 2·modes` (zero-shot super-resolution); they append the grid coordinate themselves
//!   when `grid` is set, so the trainer passes only the physical input channels. U-Nets need
//!   every spatial size to be a multiple of `2^levels`; DeepONet's branch has fixed sensors, so
//!   its input grid must be `sensors` (its trunk can still be queried anywhere through
//!   [`DeepOnet::forward_points`]).
//! * Parameter count: [`AnyModel::num_params`] (burn's count of the built module) equals
//!   [`ModelConfig::num_params`] (closed form, no allocation).

pub(crate) mod activation;
pub mod deeponet;
pub mod fno;
pub(crate) mod spectral;
pub mod unet;

use burn::module::Module;
use burn::tensor::{Device, Tensor};
use serde::{Deserialize, Serialize};

pub use deeponet::{DeepOnet, DeepOnetConfig};
pub use fno::{Fno1d, Fno1dConfig, Fno2d, Fno2dConfig, SpectralConv1d, SpectralConv2d};
pub use unet::{Unet1d, Unet2d, UnetConfig};

use crate::NeuralError;

/// The architecture and hyper-parameters of a model; JSON with a `"model"` tag.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "model", rename_all = "snake_case")]
#[non_exhaustive]
pub enum ModelConfig {
    /// One-dimensional Fourier neural operator.
    Fno1d(Fno1dConfig),
    /// Two-dimensional Fourier neural operator.
    Fno2d(Fno2dConfig),
    /// One-dimensional U-Net.
    Unet1d(UnetConfig),
    /// Two-dimensional U-Net.
    Unet2d(UnetConfig),
    /// DeepONet on a 1-D or 2-D sensor grid (`sensors` has one or two entries).
    #[serde(rename = "deeponet")]
    DeepOnet(DeepOnetConfig),
}

impl ModelConfig {
    /// The model's name as in the JSON tag (`"fno1d"`, ...).
    pub fn name(&self) -> &'static str {
        match self {
            ModelConfig::Fno1d(_) => "fno1d",
            ModelConfig::Fno2d(_) => "fno2d",
            ModelConfig::Unet1d(_) => "unet1d",
            ModelConfig::Unet2d(_) => "unet2d",
            ModelConfig::DeepOnet(_) => "deeponet",
        }
    }

    /// Number of space dimensions of the data the model maps (1 or 2).
    pub fn spatial_dims(&self) -> usize {
        match self {
            ModelConfig::Fno1d(_) => 1,
            ModelConfig::Fno2d(_) => 2,
            ModelConfig::Unet1d(_) => 1,
            ModelConfig::Unet2d(_) => 2,
            ModelConfig::DeepOnet(c) => c.sensors.len(),
        }
    }

    /// Closed-form number of trainable parameters.
    pub fn num_params(&self) -> usize {
        match self {
            ModelConfig::Fno1d(c) => c.num_params(),
            ModelConfig::Fno2d(c) => c.num_params(),
            ModelConfig::Unet1d(c) => c.num_params(1),
            ModelConfig::Unet2d(c) => c.num_params(2),
            ModelConfig::DeepOnet(c) => c.num_params(),
        }
    }

    /// Checks the hyper-parameters.
    pub fn validate(&self) -> Result<(), NeuralError> {
        match self {
            ModelConfig::Fno1d(c) => c.validate(),
            ModelConfig::Fno2d(c) => c.validate(),
            ModelConfig::Unet1d(c) | ModelConfig::Unet2d(c) => c.validate(),
            ModelConfig::DeepOnet(c) => c.validate(),
        }
    }

    /// Builds the model with random weights on `device` (seed the device first for
    /// reproducibility).
    pub fn init(&self, device: &Device) -> Result<AnyModel, NeuralError> {
        Ok(match self {
            ModelConfig::Fno1d(c) => AnyModel::Fno1d(c.init(device)?),
            ModelConfig::Fno2d(c) => AnyModel::Fno2d(c.init(device)?),
            ModelConfig::Unet1d(c) => AnyModel::Unet1d(c.init_1d(device)?),
            ModelConfig::Unet2d(c) => AnyModel::Unet2d(c.init_2d(device)?),
            ModelConfig::DeepOnet(c) => AnyModel::DeepOnet(c.init(device)?),
        })
    }
}

/// A model built from a [`ModelConfig`].
#[derive(Module, Debug)]
#[non_exhaustive]
pub enum AnyModel {
    /// See [`Fno1d`].
    Fno1d(Fno1d),
    /// See [`Fno2d`].
    Fno2d(Fno2d),
    /// See [`Unet1d`].
    Unet1d(Unet1d),
    /// See [`Unet2d`].
    Unet2d(Unet2d),
    /// See [`DeepOnet`].
    DeepOnet(DeepOnet),
}

impl AnyModel {
    fn name(&self) -> &'static str {
        match self {
            AnyModel::Fno1d(_) => "fno1d",
            AnyModel::Fno2d(_) => "fno2d",
            AnyModel::Unet1d(_) => "unet1d",
            AnyModel::Unet2d(_) => "unet2d",
            AnyModel::DeepOnet(_) => "deeponet",
        }
    }

    /// Applies a 1-D model to `[batch, in_channels, n]`.
    pub fn forward_1d(&self, x: Tensor<3>) -> Result<Tensor<3>, NeuralError> {
        match self {
            AnyModel::Fno1d(m) => m.forward(x),
            AnyModel::Unet1d(m) => m.forward(x),
            AnyModel::DeepOnet(m) => m.forward_1d(x),
            _ => Err(NeuralError::WrongDimension {
                model: self.name(),
                expected: 2,
                found: 1,
            }),
        }
    }

    /// Applies a 2-D model to `[batch, in_channels, nx, ny]`.
    pub fn forward_2d(&self, x: Tensor<4>) -> Result<Tensor<4>, NeuralError> {
        match self {
            AnyModel::Fno2d(m) => m.forward(x),
            AnyModel::Unet2d(m) => m.forward(x),
            AnyModel::DeepOnet(m) => m.forward_2d(x),
            _ => Err(NeuralError::WrongDimension {
                model: self.name(),
                expected: 1,
                found: 2,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configs_round_trip_through_json_with_defaults() {
        let c: ModelConfig =
            serde_json::from_str(r#"{"model": "fno1d", "in_channels": 1, "out_channels": 1}"#)
                .unwrap();
        assert_eq!(c, ModelConfig::Fno1d(Fno1dConfig::new(1, 1)));
        for c in [
            ModelConfig::Fno1d(Fno1dConfig::new(2, 3)),
            ModelConfig::Fno2d(Fno2dConfig::new(1, 1)),
            ModelConfig::Unet1d(UnetConfig::new(1, 2)),
            ModelConfig::Unet2d(UnetConfig::new(3, 1)),
            ModelConfig::DeepOnet(DeepOnetConfig::new(1, 1, vec![64])),
        ] {
            let json = serde_json::to_string(&c).unwrap();
            assert!(
                json.contains(&format!(r#""model":"{}""#, c.name())),
                "{json}"
            );
            assert_eq!(serde_json::from_str::<ModelConfig>(&json).unwrap(), c);
        }
    }

    #[test]
    fn any_model_checks_dimension_and_counts_parameters() {
        let device = Device::flex();
        let mut c = Fno2dConfig::new(1, 1);
        c.width = 4;
        c.modes1 = 3;
        c.modes2 = 2;
        let cfg = ModelConfig::Fno2d(c);
        let m = cfg.init(&device).unwrap();
        assert_eq!(m.num_params(), cfg.num_params());
        assert!(matches!(
            m.forward_1d(Tensor::zeros([1, 1, 16], &device)),
            Err(NeuralError::WrongDimension {
                expected: 2,
                found: 1,
                ..
            })
        ));
        let y = m.forward_2d(Tensor::zeros([2, 1, 8, 6], &device)).unwrap();
        assert_eq!(y.dims(), [2, 1, 8, 6]);
    }
}
