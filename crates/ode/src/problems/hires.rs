//! `hires`: "High Irradiance RESponse" of photomorphogenesis (HW II §IV.10; Bari test set
//! HIRES).
// Published constants are kept with all their digits.
#![allow(clippy::excessive_precision)]

use num_dual::DualNum;

use crate::faer::MatMut;
use crate::jacobian::JacDual;
use crate::OdeSystem;

use super::{Param, Problem, Reference, System};

/// Initial state of HIRES.
pub const HIRES_Y0: [f64; 8] = [1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0057];

/// End of the Test Set's integration interval for HIRES.
pub const HIRES_T_END: f64 = 321.8122;

/// Published reference solution of HIRES at `t = 321.8122` (default parameters, [`HIRES_Y0`]).
///
/// From the `solut` routine of `hires.f`, Bari "Test Set for IVP Solvers" release 2.4 (computed
/// with RADAU5 in true double precision on a Cray C90, `uround = 1.01e-19`,
/// `rtol = atol = h0 = 1.1e-18`), 16 significant digits. Cross-checked digit by digit against
/// independent transcriptions: deTestSet's `hires.f` (`hiressol`) and `reference("hires")`, the
/// ReaK C++ integrator tests, a Go test suite, a TypeScript benchmark, a C++ (kodes) test system
/// and a SUNDIALS-based C driver; and numerically against SciPy Radau (`rtol = 1e-13`), which
/// agrees to `2.5·10⁻¹³` relative. `y7 + y8 = 0.0057` holds to 16 digits, as it must.
pub const HIRES_REFERENCE: [f64; 8] = [
    0.7371312573325668e-3,
    0.1442485726316185e-3,
    0.5888729740967575e-4,
    0.1175651343283149e-2,
    0.2386356198831331e-2,
    0.6238968252742796e-2,
    0.2849998395185769e-2,
    0.2850001604814231e-2,
];

/// HIRES: eight species of a light-induced plant growth process (Schäfer 1975), as stated in the
/// Test Set with the deTestSet parameter names `k1..k9, oks`:
///
/// ```text
/// y1' = −k1 y1 + k2 y2 + k6 y3 + oks
/// y2' =  k1 y1 − (k2 + k3) y2
/// y3' = −(k6 + k1) y3 + k2 y4 + k5 y5
/// y4' =  k3 y2 + k1 y3 − (k4 + k2) y4
/// y5' = −(k5 + k1) y5 + k2 (y6 + y7)
/// y6' = −k7 y6 y8 + k8 y4 + k1 y5 − k2 y6 + k8 y7
/// y7' =  k7 y6 y8 − (k2 + k8 + k9) y7
/// y8' = −y7'
/// ```
///
/// with `k1 = 1.71, k2 = 0.43, k3 = 8.32, k4 = 0.69, k5 = 0.035, k6 = 8.32, k7 = 280, k8 = 0.69,
/// k9 = 0.69, oks = 0.0007`, which gives the Test Set's literal coefficients
/// (`−10.03 = −(k6 + k1)`, `−1.12 = −(k4 + k2)`, `−1.745 = −(k5 + k1)`, `−1.81 = −(k2 + k8 + k9)`).
///
/// * Default problem: `y(0) = (1, 0, 0, 0, 0, 0, 0, 0.0057)`, `t ∈ [0, 321.8122]`.
/// * Invariant: `y7 + y8` ([`Hires::y7_plus_y8`]).
/// * Jacobian: [`Hires::jacobian_row_major`] (the Test Set's `jeval`).
///   Also as [`OdeSystem::jacobian`], and `f` on dual numbers as [`OdeSystem::rhs_dual`].
/// * Reference: [`HIRES_REFERENCE`].
/// * Source: E. Schäfer, J. Math. Biology 2 (1975) 41–56; E. Hairer and G. Wanner, Solving
///   Ordinary Differential Equations II, 2nd ed. (1996), §IV.10; F. Mazzia and C. Magherini,
///   Test Set for IVP Solvers, release 2.4, University of Bari (2008), problem HIRES.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Hires {
    pub k1: f64,
    pub k2: f64,
    pub k3: f64,
    pub k4: f64,
    pub k5: f64,
    pub k6: f64,
    pub k7: f64,
    pub k8: f64,
    pub k9: f64,
    pub oks: f64,
}

impl Default for Hires {
    fn default() -> Self {
        Self {
            k1: 1.71,
            k2: 0.43,
            k3: 8.32,
            k4: 0.69,
            k5: 0.035,
            k6: 8.32,
            k7: 280.0,
            k8: 0.69,
            k9: 0.69,
            oks: 0.0007,
        }
    }
}

impl Hires {
    pub(crate) fn param_mut(&mut self, name: &str) -> Option<&mut f64> {
        Some(match name {
            "k1" => &mut self.k1,
            "k2" => &mut self.k2,
            "k3" => &mut self.k3,
            "k4" => &mut self.k4,
            "k5" => &mut self.k5,
            "k6" => &mut self.k6,
            "k7" => &mut self.k7,
            "k8" => &mut self.k8,
            "k9" => &mut self.k9,
            "oks" => &mut self.oks,
            _ => return None,
        })
    }

    /// The right-hand side for any scalar type of `num-dual` (`f64` included).
    #[inline]
    pub fn rhs_generic<T: DualNum<Primitive = f64> + Copy>(&self, _t: T, y: &[T], dy: &mut [T]) {
        let Hires {
            k1,
            k2,
            k3,
            k4,
            k5,
            k6,
            k7,
            k8,
            k9,
            oks,
        } = *self;
        let r7 = y[5] * y[7] * k7;
        dy[0] = y[1] * k2 + y[2] * k6 - y[0] * k1 + oks;
        dy[1] = y[0] * k1 - y[1] * (k2 + k3);
        dy[2] = y[3] * k2 + y[4] * k5 - y[2] * (k6 + k1);
        dy[3] = y[1] * k3 + y[2] * k1 - y[3] * (k4 + k2);
        dy[4] = (y[5] + y[6]) * k2 - y[4] * (k5 + k1);
        dy[5] = y[3] * k8 + y[4] * k1 - y[5] * k2 + y[6] * k8 - r7;
        dy[6] = r7 - y[6] * (k2 + k8 + k9);
        dy[7] = -dy[6];
    }

    /// Analytic Jacobian `∂f/∂y`, dense row-major (`jac[8 i + j] = ∂f_i/∂y_j`).
    pub fn jacobian_row_major(&self, _t: f64, y: &[f64], jac: &mut [f64]) {
        let Hires {
            k1,
            k2,
            k3,
            k4,
            k5,
            k6,
            k7,
            k8,
            k9,
            ..
        } = *self;
        let jac = &mut jac[..64];
        jac.fill(0.0);
        let mut set = |i: usize, j: usize, v: f64| jac[8 * i + j] = v;
        set(0, 0, -k1);
        set(0, 1, k2);
        set(0, 2, k6);
        set(1, 0, k1);
        set(1, 1, -(k2 + k3));
        set(2, 2, -(k6 + k1));
        set(2, 3, k2);
        set(2, 4, k5);
        set(3, 1, k3);
        set(3, 2, k1);
        set(3, 3, -(k4 + k2));
        set(4, 4, -(k5 + k1));
        set(4, 5, k2);
        set(4, 6, k2);
        set(5, 3, k8);
        set(5, 4, k1);
        set(5, 5, -k7 * y[7] - k2);
        set(5, 6, k8);
        set(5, 7, -k7 * y[5]);
        set(6, 5, k7 * y[7]);
        set(6, 6, -(k2 + k8 + k9));
        set(6, 7, k7 * y[5]);
        set(7, 5, -k7 * y[7]);
        set(7, 6, k2 + k8 + k9);
        set(7, 7, -k7 * y[5]);
    }

    /// `y7 + y8`, constant along solutions.
    pub fn y7_plus_y8(&self, y: &[f64]) -> f64 {
        y[6] + y[7]
    }
}

impl OdeSystem for Hires {
    #[inline]
    fn dim(&self) -> usize {
        8
    }
    #[inline]
    fn rhs(&self, t: f64, y: &[f64], dy: &mut [f64]) {
        self.rhs_generic(t, y, dy)
    }
    fn rhs_dual(&self, t: JacDual, y: &[JacDual], dy: &mut [JacDual]) -> bool {
        self.rhs_generic(t, y, dy);
        true
    }
    fn jacobian(&self, t: f64, y: &[f64], mut jac: MatMut<'_, f64>) -> bool {
        const N: usize = 8;
        let mut j = [0.0; N * N];
        self.jacobian_row_major(t, y, &mut j);
        for r in 0..N {
            for c in 0..N {
                jac[(r, c)] = j[N * r + c];
            }
        }
        true
    }
    fn is_autonomous(&self) -> bool {
        true
    }
}

pub(crate) fn entry() -> Problem {
    let d = Hires::default();
    let p = |name, value, description| Param::positive(name, value, description);
    Problem::new(
        "hires",
        "HIRES: high irradiance response of photomorphogenesis, 8 species (stiff)",
        "E. Schaefer (1975); Hairer & Wanner II, Sec. IV.10; Mazzia & Magherini, Test Set for IVP \
         Solvers, rel. 2.4, Univ. of Bari (2008), problem HIRES",
        &["y1", "y2", "y3", "y4", "y5", "y6", "y7", "y8"],
        vec![
            p("k1", d.k1, "rate constant (1.71)"),
            p("k2", d.k2, "rate constant (0.43)"),
            p("k3", d.k3, "rate constant y2 -> y4 (8.32)"),
            p("k4", d.k4, "rate constant y4 -> y6 (0.69)"),
            p("k5", d.k5, "rate constant y5 -> y3 (0.035)"),
            p("k6", d.k6, "rate constant y3 -> y1 (8.32)"),
            p("k7", d.k7, "rate of y6 + y8 -> y7 (280)"),
            p("k8", d.k8, "rate constant (0.69)"),
            p("k9", d.k9, "rate constant (0.69)"),
            p("oks", d.oks, "constant source of y1 (0.0007)"),
        ],
        (0.0, HIRES_T_END),
        HIRES_Y0.to_vec(),
        Reference::Final {
            t: HIRES_T_END,
            y: HIRES_REFERENCE.to_vec(),
            source: "Mazzia & Magherini, Test Set for IVP Solvers, rel. 2.4 (Bari, 2008), problem \
                     HIRES, reference solution at t = 321.8122",
        },
        System::Hires(d),
    )
}
