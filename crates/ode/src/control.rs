//! Step-size control: the PI controller and Hairer's automatic initial step.

/// Proportional–integral step-size controller (Gustafsson 1991; Hairer & Wanner, *Solving ODEs
/// II*, §IV.2): `h_new = h · clamp(safety · err^(−β1) · err_prev^(β2), q_min, q_max)`, with
/// `β1 = 0.7/k`, `β2 = 0.4/k` and `k` the exponent of the error estimate.
#[derive(Debug, Clone, Copy)]
pub struct PiController {
    pub beta1: f64,
    pub beta2: f64,
    pub safety: f64,
    pub q_min: f64,
    pub q_max: f64,
    /// `1/k`, the exponent of a rejected step's retry factor.
    k_inv: f64,
    /// `ln(err_prev)`: the two powers are one `exp` of a combination of logarithms.
    ln_err_prev: f64,
    /// After a rejection the next accepted step may not grow.
    last_rejected: bool,
}

impl PiController {
    pub fn new(error_exponent: u32, safety: f64, q_min: f64, q_max: f64) -> Self {
        let k = f64::from(error_exponent.max(1));
        Self {
            beta1: 0.7 / k,
            beta2: 0.4 / k,
            k_inv: 1.0 / k,
            safety,
            q_min,
            q_max,
            ln_err_prev: 1e-4f64.ln(),
            last_rejected: false,
        }
    }

    /// The same controller with the gains `(β1, β2)` instead of `(0.7/k, 0.4/k)`.
    pub fn with_gains(mut self, (beta1, beta2): (f64, f64)) -> Self {
        self.beta1 = beta1;
        self.beta2 = beta2;
        self
    }

    /// Forgets the error history (after a switch of method).
    pub fn reset(&mut self) {
        self.ln_err_prev = 1e-4f64.ln();
        self.last_rejected = false;
    }

    /// Factor for the next step after a step with scaled error norm `err` (accepted iff
    /// `err <= 1`). The caller multiplies the step by it.
    #[inline]
    pub fn accept(&mut self, err: f64) -> f64 {
        let err = err.max(1e-10);
        let ln_err = err.ln();
        let mut q = self.safety * (self.beta2 * self.ln_err_prev - self.beta1 * ln_err).exp();
        let q_max = if self.last_rejected { 1.0 } else { self.q_max };
        q = q.clamp(self.q_min, q_max);
        self.ln_err_prev = ln_err.max(1e-4f64.ln());
        self.last_rejected = false;
        q
    }

    /// Factor for retrying a rejected step (`err > 1`, possibly NaN).
    #[inline]
    pub fn reject(&mut self, err: f64) -> f64 {
        self.last_rejected = true;
        if !err.is_finite() {
            return self.q_min;
        }
        (self.safety * err.powf(-self.k_inv)).clamp(self.q_min, 1.0)
    }
}

/// Weighted root-mean-square norm `sqrt(mean((v_i / sc_i)^2))`.
#[inline]
pub fn rms_norm(v: &[f64], sc: &[f64]) -> f64 {
    let n = v.len().max(1) as f64;
    let s: f64 = v.iter().zip(sc).map(|(v, s)| (v / s) * (v / s)).sum();
    (s / n).sqrt()
}
