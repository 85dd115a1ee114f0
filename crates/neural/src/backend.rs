//! Where models train and run: burn's pure-Rust `flex` CPU backend (always built) or, with the
//! `vulkan` cargo feature, a GPU through burn's wgpu backend pinned to Vulkan (SPIR-V kernels;
//! it builds offline and needs only a Vulkan driver at run time). Model code is the same on
//! both: burn 0.22 dispatches on the [`Device`] at run time.

use std::fmt;
use std::str::FromStr;

use burn::tensor::Device;
use serde::{Deserialize, Serialize};

use crate::NeuralError;

/// The compute backend of training and inference.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    /// burn's `flex` CPU backend (rayon threads; `RAYON_NUM_THREADS` sets their number).
    #[default]
    Cpu,
    /// burn's wgpu backend on Vulkan: the default adapter (a discrete GPU first; override with
    /// `CUBECL_WGPU_DEFAULT_DEVICE`, e.g. `DiscreteGpu(1)`). Needs the `vulkan` cargo feature.
    Vulkan,
}

impl Backend {
    /// Every backend name `parse` accepts, for help texts.
    pub const NAMES: &'static str = "cpu, vulkan";

    /// The name used on the command line and in model cards.
    pub fn name(self) -> &'static str {
        match self {
            Backend::Cpu => "cpu",
            Backend::Vulkan => "vulkan",
        }
    }

    /// Whether this build of ai4de can run on the backend.
    pub fn is_built(self) -> bool {
        match self {
            Backend::Cpu => true,
            Backend::Vulkan => cfg!(feature = "vulkan"),
        }
    }

    /// The backend's device (without autodiff), checked to come up: a GPU backend whose
    /// driver or adapter is missing is an error here, not a panic in the middle of training.
    pub fn device(self) -> Result<Device, NeuralError> {
        match self {
            Backend::Cpu => Ok(Device::flex()),
            Backend::Vulkan => vulkan_device(),
        }
    }
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Backend {
    type Err = NeuralError;

    fn from_str(s: &str) -> Result<Self, NeuralError> {
        match s.trim().to_ascii_lowercase().as_str() {
            "cpu" | "flex" => Ok(Backend::Cpu),
            "vulkan" | "gpu" => Ok(Backend::Vulkan),
            other => Err(NeuralError::InvalidOption {
                name: "backend",
                value: other.to_string(),
                reason: format!("known backends: {}", Self::NAMES),
            }),
        }
    }
}

#[cfg(feature = "vulkan")]
fn vulkan_device() -> Result<Device, NeuralError> {
    use burn::tensor::{DeviceKind, Tensor, TensorData};
    // wgpu panics when no Vulkan adapter can be created; probe it with one small upload and
    // read-back so the caller gets a typed error instead. The default panic hook would still
    // print "thread panicked at ..." to stderr; a silent hook for the probe keeps the error to
    // the one line the caller prints (the panic's message goes into the error instead).
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let probe = std::panic::catch_unwind(|| {
        let device = Device::vulkan(DeviceKind::DefaultDevice);
        let t = Tensor::<1>::from_data(TensorData::new(vec![1.0f32, 2.0], [2]), &device);
        let back = (t * 2.0).into_data().try_to_vec::<f32>().ok();
        (device, back)
    });
    std::panic::set_hook(hook);
    match probe {
        Ok((device, Some(v))) if v == [2.0, 4.0] => Ok(device),
        Ok((_, back)) => Err(NeuralError::Backend {
            backend: "vulkan",
            reason: format!("the device computed {back:?} for 2 * [1, 2]"),
        }),
        Err(panic) => {
            let msg = panic
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| panic.downcast_ref::<&str>().copied())
                .unwrap_or("no message");
            Err(NeuralError::Backend {
                backend: "vulkan",
                reason: format!(
                    "no usable Vulkan device ({msg}); install a Vulkan driver (the GPU's, or \
                     Mesa's lavapipe for a CPU check) or use the cpu backend"
                ),
            })
        }
    }
}

#[cfg(not(feature = "vulkan"))]
fn vulkan_device() -> Result<Device, NeuralError> {
    Err(NeuralError::Backend {
        backend: "vulkan",
        reason: "this ai4de was built without the `vulkan` cargo feature (rebuild with \
                 `--features vulkan`)"
            .into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::{Tensor, TensorData};

    #[test]
    fn names_round_trip_and_unknown_names_are_errors() {
        for b in [Backend::Cpu, Backend::Vulkan] {
            assert_eq!(b.name().parse::<Backend>().unwrap(), b);
        }
        assert_eq!("flex".parse::<Backend>().unwrap(), Backend::Cpu);
        let err = "cuda".parse::<Backend>().unwrap_err().to_string();
        assert!(err.contains("cuda") && err.contains("vulkan"), "{err}");
    }

    #[test]
    fn cpu_device_comes_up() {
        let d = Backend::Cpu.device().unwrap();
        let t = Tensor::<1>::from_data(TensorData::new(vec![3.0f32], [1]), &d);
        assert_eq!(t.into_data().try_to_vec::<f32>().unwrap(), vec![3.0]);
    }

    #[cfg(not(feature = "vulkan"))]
    #[test]
    fn vulkan_without_the_feature_is_a_typed_error() {
        assert!(!Backend::Vulkan.is_built());
        let err = Backend::Vulkan.device().unwrap_err().to_string();
        assert!(err.contains("vulkan") && err.contains("feature"), "{err}");
    }
}
