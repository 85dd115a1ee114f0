//! PDEBench's error metrics over a test set, accumulated one sample at a time.
//!
//! Definitions follow `metric_func` of PDEBench (Takamoto et al., *PDEBench: An extensive
//! benchmark for scientific machine learning*, NeurIPS 2022 Datasets and Benchmarks,
//! `pdebench/models/metrics.py`), for one time slice, samples `b = 1..B` and channels `c`, with
//! `e = pred − true` on `N` grid points:
//!
//! * `rmse`   = mean_c mean_b sqrt(mean_x e²)
//! * `nrmse`  = mean_c mean_b sqrt(mean_x e²) / sqrt(mean_x true²)
//! * `max`    = max_{b,c,x} |e|
//! * `conservation` (PDEBench `err_CSV`) = mean_c sqrt(mean_b (Σ_x pred − Σ_x true)²) / N
//! * `boundary` (`err_BD`) = mean_c mean_b sqrt(mean over the boundary points of e²)
//!   (1-D: the two end points; 2-D: the four edges, `2 nx + 2 ny` points, corners twice)
//! * Fourier errors (`err_F`): 1-D: `F_k = sqrt(mean_b |ê_k|²) L / nx` for the `nx/2 + 1` real-FFT
//!   modes; 2-D: `|ê_{ij}|²` summed into shells `⌊sqrt(i² + j²)⌋ < min(nx, ny)/2` over
//!   `0 ≤ i < nx/2, 0 ≤ j < ny/2`, then `F_k = sqrt(mean_b shell_k) Lx Ly / (nx ny)`; bands:
//!   low = mean of `F_k` for `k < 4`, mid for `4 ≤ k < 12`, high for `k ≥ 12` (PDEBench's
//!   `iLow = 4`, `iHigh = 12`); a band without modes is `None`.
//!
//! Plus the FNO papers' relative L2 error `mean_b ‖e‖₂ / ‖true‖₂` over all channels
//! (`LpLoss`, Li et al. 2021); with one channel it equals `nrmse`.

use rustfft::num_complex::Complex64;
use rustfft::FftPlanner;
use serde::{Deserialize, Serialize};

use crate::error::NeuralError;

/// PDEBench's lower band edge (`iLow`).
pub const I_LOW: usize = 4;
/// PDEBench's upper band edge (`iHigh`).
pub const I_HIGH: usize = 12;

/// The metrics of a test set (see the module documentation).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    pub samples: usize,
    pub rel_l2: f64,
    pub nrmse: f64,
    pub rmse: f64,
    pub max_error: f64,
    pub conservation: f64,
    pub boundary: f64,
    pub fourier_low: Option<f64>,
    pub fourier_mid: Option<f64>,
    pub fourier_high: Option<f64>,
}

/// Accumulates [`Metrics`] over samples `[C, spatial...]`.
pub struct MetricsAccumulator {
    channels: usize,
    spatial: Vec<usize>,
    lengths: Vec<f64>,
    samples: usize,
    rel_l2: f64,
    nrmse: Vec<f64>,
    rmse: Vec<f64>,
    max_error: f64,
    csv: Vec<f64>,
    boundary: Vec<f64>,
    /// Σ_b |ê_k|² (1-D) or Σ_b shell_k (2-D), per channel.
    spectrum: Vec<Vec<f64>>,
    fft: FftWork,
}

enum FftWork {
    D1 {
        fft: std::sync::Arc<dyn rustfft::Fft<f64>>,
        buf: Vec<Complex64>,
    },
    D2 {
        fx: std::sync::Arc<dyn rustfft::Fft<f64>>,
        fy: std::sync::Arc<dyn rustfft::Fft<f64>>,
        buf: Vec<Complex64>,
        col: Vec<Complex64>,
    },
}

impl MetricsAccumulator {
    /// An accumulator for samples of `channels` channels on a 1-D or 2-D grid `spatial`, with
    /// domain lengths `lengths` (one per axis; they only scale the Fourier errors).
    ///
    /// # Errors
    /// Zero channels, an empty grid axis, or a grid that is not 1-D or 2-D.
    pub fn new(channels: usize, spatial: &[usize], lengths: &[f64]) -> Result<Self, NeuralError> {
        if channels == 0 || spatial.is_empty() || spatial.len() > 2 || spatial.contains(&0) {
            return Err(NeuralError::DataShape {
                what: "metrics sample shape [C, spatial...] (1-D or 2-D grids)".into(),
                expected: vec![],
                found: std::iter::once(channels)
                    .chain(spatial.iter().copied())
                    .collect(),
            });
        }
        if lengths.len() != spatial.len() {
            return Err(NeuralError::DataShape {
                what: "metrics domain lengths".into(),
                expected: vec![spatial.len()],
                found: vec![lengths.len()],
            });
        }
        let mut planner = FftPlanner::<f64>::new();
        let (fft, modes) = if spatial.len() == 1 {
            (
                FftWork::D1 {
                    fft: planner.plan_fft_forward(spatial[0]),
                    buf: vec![Complex64::default(); spatial[0]],
                },
                spatial[0] / 2 + 1,
            )
        } else {
            (
                FftWork::D2 {
                    fx: planner.plan_fft_forward(spatial[0]),
                    fy: planner.plan_fft_forward(spatial[1]),
                    buf: vec![Complex64::default(); spatial[0] * spatial[1]],
                    col: vec![Complex64::default(); spatial[0]],
                },
                (spatial[0] / 2).min(spatial[1] / 2),
            )
        };
        Ok(Self {
            channels,
            spatial: spatial.to_vec(),
            lengths: lengths.to_vec(),
            samples: 0,
            rel_l2: 0.0,
            nrmse: vec![0.0; channels],
            rmse: vec![0.0; channels],
            max_error: 0.0,
            csv: vec![0.0; channels],
            boundary: vec![0.0; channels],
            spectrum: vec![vec![0.0; modes]; channels],
            fft,
        })
    }

    /// Adds one sample.
    ///
    /// # Errors
    /// Lengths that do not match the sample shape; NaN or infinite values.
    pub fn add<T: Copy + Into<f64>>(&mut self, pred: &[T], truth: &[T]) -> Result<(), NeuralError> {
        let p: usize = self.spatial.iter().product();
        let len = self.channels * p;
        if pred.len() != len || truth.len() != len {
            return Err(NeuralError::DataShape {
                what: "metrics sample length (prediction, truth)".into(),
                expected: vec![len, len],
                found: vec![pred.len(), truth.len()],
            });
        }
        let mut e_all = 0.0;
        let mut t_all = 0.0;
        for c in 0..self.channels {
            let pr = &pred[c * p..(c + 1) * p];
            let tr = &truth[c * p..(c + 1) * p];
            let mut e2 = 0.0;
            let mut t2 = 0.0;
            let mut sp = 0.0;
            let mut st = 0.0;
            for (k, (&a, &b)) in pr.iter().zip(tr).enumerate() {
                let (a, b): (f64, f64) = (a.into(), b.into());
                if !a.is_finite() || !b.is_finite() {
                    return Err(NeuralError::NonFinite {
                        what: if a.is_finite() { "truth" } else { "prediction" }.into(),
                        at: Some(format!("sample {}, channel {c}, point {k}", self.samples)),
                    });
                }
                let e = a - b;
                e2 += e * e;
                t2 += b * b;
                sp += a;
                st += b;
                self.max_error = self.max_error.max(e.abs());
            }
            e_all += e2;
            t_all += t2;
            let rmse = (e2 / p as f64).sqrt();
            self.rmse[c] += rmse;
            self.nrmse[c] += rmse / (t2 / p as f64).sqrt();
            self.csv[c] += (sp - st).powi(2);
            let err = |k: usize| -> f64 { pr[k].into() - tr[k].into() };
            self.boundary[c] += if self.spatial.len() == 1 {
                ((err(0).powi(2) + err(p - 1).powi(2)) / 2.0).sqrt()
            } else {
                let (nx, ny) = (self.spatial[0], self.spatial[1]);
                let mut s = 0.0;
                for j in 0..ny {
                    s += err(j).powi(2) + err((nx - 1) * ny + j).powi(2);
                }
                for i in 0..nx {
                    s += err(i * ny).powi(2) + err(i * ny + ny - 1).powi(2);
                }
                (s / (2 * nx + 2 * ny) as f64).sqrt()
            };
            let spec = &mut self.spectrum[c];
            match &mut self.fft {
                FftWork::D1 { fft, buf } => {
                    for (z, k) in buf.iter_mut().zip(0..p) {
                        *z = Complex64::new(err(k), 0.0);
                    }
                    fft.process(buf);
                    for (s, z) in spec.iter_mut().zip(buf.iter()) {
                        *s += z.norm_sqr();
                    }
                }
                FftWork::D2 { fx, fy, buf, col } => {
                    let (nx, ny) = (self.spatial[0], self.spatial[1]);
                    for (k, z) in buf.iter_mut().enumerate() {
                        *z = Complex64::new(err(k), 0.0);
                    }
                    for row in buf.chunks_exact_mut(ny) {
                        fy.process(row);
                    }
                    for j in 0..ny {
                        for i in 0..nx {
                            col[i] = buf[i * ny + j];
                        }
                        fx.process(col);
                        for i in 0..nx {
                            buf[i * ny + j] = col[i];
                        }
                    }
                    let shells = spec.len();
                    for i in 0..nx / 2 {
                        for j in 0..ny / 2 {
                            let it = ((i * i + j * j) as f64).sqrt().floor() as usize;
                            if it < shells {
                                spec[it] += buf[i * ny + j].norm_sqr();
                            }
                        }
                    }
                }
            }
        }
        self.rel_l2 += if t_all > 0.0 {
            (e_all / t_all).sqrt()
        } else {
            f64::INFINITY
        };
        self.samples += 1;
        Ok(())
    }

    /// The metrics of the samples added so far (all zero for no sample).
    pub fn finish(&self) -> Metrics {
        let b = self.samples.max(1) as f64;
        let c = self.channels as f64;
        let p: usize = self.spatial.iter().product();
        let mean_c = |v: &[f64]| v.iter().sum::<f64>() / c;
        let scale = self.lengths.iter().product::<f64>() / p as f64;
        let mut band = [(0.0, 0usize); 3];
        for spec in &self.spectrum {
            for (k, &s) in spec.iter().enumerate() {
                let f = (s / b).sqrt() * scale;
                let i = if k < I_LOW {
                    0
                } else if k < I_HIGH {
                    1
                } else {
                    2
                };
                band[i].0 += f;
                band[i].1 += 1;
            }
        }
        let band = |i: usize| (band[i].1 > 0).then(|| band[i].0 / band[i].1 as f64);
        Metrics {
            samples: self.samples,
            rel_l2: self.rel_l2 / b,
            nrmse: mean_c(&self.nrmse) / b,
            rmse: mean_c(&self.rmse) / b,
            max_error: self.max_error,
            conservation: self
                .csv
                .iter()
                .map(|&s| (s / b).sqrt() / p as f64)
                .sum::<f64>()
                / c,
            boundary: mean_c(&self.boundary) / b,
            fourier_low: band(0),
            fourier_mid: band(1),
            fourier_high: band(2),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) {
        assert!((a - b).abs() <= 1e-12 * b.abs().max(1.0), "{a} vs {b}");
    }

    #[test]
    fn one_dimensional_metrics_match_hand_computed_values() {
        let mut acc = MetricsAccumulator::new(1, &[4], &[1.0]).unwrap();
        // Sample 1: error (0, 0, 0, 1) against truth (1, 2, 3, 4).
        acc.add(&[1.0, 2.0, 3.0, 5.0], &[1.0, 2.0, 3.0, 4.0])
            .unwrap();
        // Sample 2: error (2, 0, 0, 0) against truth (2, 0, 0, 0).
        acc.add(&[4.0, 0.0, 0.0, 0.0], &[2.0, 0.0, 0.0, 0.0])
            .unwrap();
        let m = acc.finish();
        assert_eq!(m.samples, 2);
        close(m.rel_l2, (1.0 / 30f64.sqrt() + 1.0) / 2.0);
        close(m.nrmse, m.rel_l2);
        close(m.rmse, (0.5 + 1.0) / 2.0);
        close(m.max_error, 2.0);
        // Sums differ by 1 and 2: sqrt((1 + 4) / 2) / 4.
        close(m.conservation, (2.5f64).sqrt() / 4.0);
        // Boundary: sqrt((0 + 1) / 2) and sqrt((4 + 0) / 2).
        close(m.boundary, ((0.5f64).sqrt() + 2f64.sqrt()) / 2.0);
        // |ê_k| = 1 for the shifted delta, 2 for the scaled one: every mode of 3 has
        // sqrt((1 + 4) / 2) / 4; the low band averages the 3 modes; no mid or high mode.
        close(m.fourier_low.unwrap(), (2.5f64).sqrt() / 4.0);
        assert_eq!(m.fourier_mid, None);
        assert_eq!(m.fourier_high, None);
    }

    #[test]
    fn two_dimensional_constant_error() {
        let mut acc = MetricsAccumulator::new(1, &[4, 4], &[1.0, 1.0]).unwrap();
        let truth = vec![2.0f32; 16];
        let pred = vec![3.0f32; 16];
        acc.add(&pred, &truth).unwrap();
        let m = acc.finish();
        close(m.rel_l2, 0.5);
        close(m.rmse, 1.0);
        close(m.boundary, 1.0);
        close(m.conservation, 1.0);
        // All the error is in mode (0, 0) with |ê| = 16: shell 0 gives 16 / 16 = 1, shell 1 gives
        // 0; the low band is their mean.
        close(m.fourier_low.unwrap(), 0.5);
    }

    #[test]
    fn high_frequency_error_lands_in_the_high_band() {
        let n = 64;
        let mut acc = MetricsAccumulator::new(1, &[n], &[1.0]).unwrap();
        let truth: Vec<f64> = (0..n).map(|i| (i as f64).sin() + 2.0).collect();
        let pred: Vec<f64> = truth
            .iter()
            .enumerate()
            .map(|(i, t)| {
                t + 1e-2 * (2.0 * std::f64::consts::PI * 20.0 * i as f64 / n as f64).cos()
            })
            .collect();
        acc.add(&pred, &truth).unwrap();
        let m = acc.finish();
        assert!(m.fourier_low.unwrap() < 1e-15);
        assert!(m.fourier_mid.unwrap() < 1e-15);
        assert!(m.fourier_high.unwrap() > 1e-5);
        // Mode 20 carries |ê| = n · 0.01 / 2: F = 0.32 / 64 = 0.005, averaged over 21 high modes.
        close(m.fourier_high.unwrap(), 0.005 / 21.0);
    }

    #[test]
    fn bad_input_is_a_typed_error() {
        let mut acc = MetricsAccumulator::new(1, &[4], &[1.0]).unwrap();
        assert!(matches!(
            acc.add(&[0.0f64; 3], &[0.0f64; 4]),
            Err(NeuralError::DataShape { .. })
        ));
        assert!(matches!(
            acc.add(&[f64::NAN, 0.0, 0.0, 0.0], &[1.0f64; 4]),
            Err(NeuralError::NonFinite { .. })
        ));
        assert!(MetricsAccumulator::new(1, &[2, 2, 2], &[1.0; 3]).is_err());
    }
}
