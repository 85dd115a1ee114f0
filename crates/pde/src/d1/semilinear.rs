//! Fixed-step integration of a semi-linear PDE `u_t = L u + N(u, t)` on a periodic 1-D grid in
//! Fourier space, with ETDRK4 ([`crate::etd`]) or an IMEX pair ([`crate::imex`]), saving `u` on the
//! grid at equally spaced output times.
//!
//! Each output interval `Δt` is divided into `⌈Δt / h_max⌉` equal steps, so the step size is fixed
//! for the whole solve and the exponential coefficients are computed once.

use super::spectral::Fourier1d;
use crate::etd::{Complex64, Etdrk4};
use crate::imex::{ImexRk, ImexTableau};
use crate::PdeError;

/// The time integrator of a pseudo-spectral solve.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Stepper {
    /// Cox–Matthews ETDRK4 with Kassam–Trefethen coefficients (order 4).
    Etdrk4,
    /// An IMEX Runge–Kutta pair (e.g. [`crate::imex::ARS443`], order 3).
    Imex(&'static ImexTableau),
}

/// The FFTs and grid buffers that nonlinear terms work in (allocated once per solve).
#[derive(Debug, Clone)]
pub struct Workspace {
    pub fourier: Fourier1d,
    /// Grid buffers of length `n`.
    pub u: Vec<f64>,
    pub w: Vec<f64>,
    /// Spectral buffer of length `n/2 + 1`.
    pub c: Vec<Complex64>,
}

impl Workspace {
    pub fn new(fourier: Fourier1d) -> Self {
        let n = fourier.n();
        let m = fourier.modes();
        Self {
            fourier,
            u: vec![0.0; n],
            w: vec![0.0; n],
            c: vec![Complex64::new(0.0, 0.0); m],
        }
    }

    /// `out = −(i k / 2) FFT(u²)`, de-aliased (the conservative Burgers/KS nonlinearity
    /// `−u u_x = −½ (u²)_x`), times `scale`.
    pub fn burgers_term(&mut self, scale: f64, v: &[Complex64], out: &mut [Complex64]) {
        self.c.copy_from_slice(v);
        self.fourier.dealias(&mut self.c);
        self.fourier.inverse(&self.c, &mut self.u);
        for (w, u) in self.w.iter_mut().zip(&self.u) {
            *w = u * u;
        }
        self.fourier.forward(&self.w, out);
        let last = out.len() - 1;
        for (o, &k) in out.iter_mut().zip(self.fourier.wavenumbers()) {
            *o *= Complex64::new(0.0, -0.5 * scale * k);
        }
        out[last] = Complex64::new(0.0, 0.0);
        self.fourier.dealias(out);
    }

    /// `out = FFT(f(u))` for a pointwise function `f`, de-aliased.
    pub fn pointwise_term(
        &mut self,
        v: &[Complex64],
        out: &mut [Complex64],
        f: impl Fn(f64) -> f64,
    ) {
        self.c.copy_from_slice(v);
        self.fourier.dealias(&mut self.c);
        self.fourier.inverse(&self.c, &mut self.u);
        for (w, u) in self.w.iter_mut().zip(&self.u) {
            *w = f(*u);
        }
        self.fourier.forward(&self.w, out);
        self.fourier.dealias(out);
    }
}

/// Statistics of one solve.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SolveStats {
    /// Time steps taken.
    pub steps: usize,
    /// The fixed step size.
    pub h: f64,
}

/// Integrates from `u0` (on the grid of `ws.fourier`) and returns `u` at `times` (equally spaced,
/// `times[0]` the initial time) as a row-major `[times.len(), n]` array.
///
/// `linear` holds `L` per Fourier mode (`n/2 + 1` entries); `nonlinear(ws, t, v̂, out)` writes the
/// Fourier coefficients of `N(u, t)` (unnormalised, like [`Fourier1d::forward`]).
#[allow(clippy::too_many_arguments)]
pub fn integrate<F>(
    ws: &mut Workspace,
    linear: &[Complex64],
    stepper: Stepper,
    u0: &[f64],
    times: &[f64],
    h_max: f64,
    mut nonlinear: F,
    pde: &str,
    sample: u64,
) -> Result<(Vec<f64>, SolveStats), PdeError>
where
    F: FnMut(&mut Workspace, f64, &[Complex64], &mut [Complex64]),
{
    let n = ws.fourier.n();
    if times.len() < 2 || u0.len() != n || linear.len() != ws.fourier.modes() {
        return Err(PdeError::InvalidGrid {
            pde: pde.into(),
            grid: vec![u0.len(), linear.len(), times.len()],
            reason: format!(
                "need {n} initial values, {} linear-operator entries and at least 2 times",
                ws.fourier.modes()
            ),
        });
    }
    let dt_out = times[1] - times[0];
    if !(dt_out > 0.0 && h_max > 0.0 && dt_out.is_finite() && h_max.is_finite()) {
        return Err(PdeError::InvalidValue {
            pde: pde.into(),
            what: "time step".into(),
            value: h_max.min(dt_out),
            reason: "output interval and step bound must be finite and positive".into(),
        });
    }
    let sub = (dt_out / h_max).ceil().max(1.0) as usize;
    let h = dt_out / sub as f64;
    enum S {
        Etd(Etdrk4),
        Imex(ImexRk),
    }
    let mut st = match stepper {
        Stepper::Etdrk4 => S::Etd(Etdrk4::new(linear, h)?),
        Stepper::Imex(tab) => S::Imex(ImexRk::new(tab, linear, h)?),
    };
    let mut out = vec![0.0; times.len() * n];
    out[..n].copy_from_slice(u0);
    let mut v = vec![Complex64::new(0.0, 0.0); ws.fourier.modes()];
    ws.fourier.forward(u0, &mut v);
    let mut steps = 0;
    for (i, row) in out.chunks_exact_mut(n).enumerate().skip(1) {
        let t0 = times[i - 1];
        for s in 0..sub {
            let t = t0 + s as f64 * h;
            let mut f = |t: f64, v: &[Complex64], o: &mut [Complex64]| nonlinear(ws, t, v, o);
            match &mut st {
                S::Etd(e) => e.step(t, &mut v, &mut f),
                S::Imex(m) => m.step(t, &mut v, &mut f),
            }
            steps += 1;
        }
        ws.fourier.inverse(&v, row);
        if row.iter().any(|x| !x.is_finite()) {
            return Err(PdeError::NonFinite {
                pde: pde.into(),
                t: times[i],
                sample,
            });
        }
    }
    Ok((out, SolveStats { steps, h }))
}
