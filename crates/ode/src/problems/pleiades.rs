//! `pleiades`: seven stars in the plane (HNW I §II.10; Bari test set PLEI).
// Published constants are kept with all their digits.
#![allow(clippy::excessive_precision)]

use crate::OdeSystem;

use super::{Param, Problem, Reference, System};

/// Number of bodies.
pub const PLEIADES_BODIES: usize = 7;

/// Initial state of the Pleiades problem, laid out as `(x1..x7, y1..y7, x1'..x7', y1'..y7')`.
pub const PLEIADES_Y0: [f64; 28] = [
    3.0, 3.0, -1.0, -3.0, 2.0, -2.0, 2.0, // x
    3.0, -3.0, 2.0, 0.0, 0.0, -4.0, 4.0, // y
    0.0, 0.0, 0.0, 0.0, 0.0, 1.75, -1.5, // x'
    0.0, 0.0, 0.0, -1.25, 1.0, 0.0, 0.0, // y'
];

/// Published reference solution at `t = 3`, same layout as [`PLEIADES_Y0`], from the Bari "Test Set
/// for IVP Solvers" (F. Mazzia, C. Magherini et al.), problem PLEI, release 2.4, where it is
/// given to 16 significant digits (computed by the test-set authors with a high-accuracy
/// integration in extended precision).
pub const PLEIADES_REFERENCE_T3: [f64; 28] = [
    0.370_613_914_397_050_2,
    3.237_284_092_057_233,
    -3.222_559_032_418_324,
    0.659_709_145_577_531_0,
    0.342_558_170_715_658_4,
    1.562_172_101_400_631,
    -0.700_309_292_221_249_5,
    -3.943_437_585_517_392,
    -3.271_380_973_972_550,
    5.225_081_843_456_543,
    -2.590_612_434_977_470,
    1.198_213_693_392_275,
    -0.242_968_234_493_582_4,
    1.091_449_240_428_980,
    3.417_003_806_314_313,
    1.354_584_501_625_501,
    -2.590_065_597_810_775,
    2.025_053_734_714_242,
    -1.155_815_100_160_448,
    -0.807_298_817_022_302_1,
    0.595_239_635_420_871_0,
    -3.741_244_961_234_010,
    0.377_345_968_575_063_0,
    0.938_685_886_955_107_3,
    0.366_792_222_720_057_1,
    -0.347_404_635_380_849_0,
    2.344_915_448_180_937,
    -1.947_020_434_263_292,
];

/// The Pleiades: seven stars in the plane with masses `m_i = i` and gravitational constant 1,
///
/// ```text
/// x_i'' = Σ_{j≠i} m_j (x_j − x_i) / r_ij,   y_i'' = Σ_{j≠i} m_j (y_j − y_i) / r_ij,
/// r_ij = ((x_i − x_j)² + (y_i − y_j)²)^{3/2},   i = 1..7,
/// ```
///
/// 14 second-order equations written as a 28-component first-order system with the layout
/// `(x1..x7, y1..y7, x1'..x7', y1'..y7')`.
///
/// * Default problem: [`PLEIADES_Y0`], `t ∈ [0, 3]`. Several close encounters make the step size
///   vary strongly.
/// * Reference: [`PLEIADES_REFERENCE_T3`] (Bari test set, PLEI).
/// * Invariant: the total energy `½ Σ m_i |v_i|² − Σ_{i<j} m_i m_j / |q_i − q_j|`
///   ([`Pleiades::energy`]).
/// * Source: Hairer, Nørsett & Wanner, Solving ODEs I, §II.10, eq. (10.3); F. Mazzia and
///   C. Magherini, Test Set for IVP Solvers, release 2.4, University of Bari (2008), problem PLEI.
///
/// The masses are fields (not catalogue parameters) so that other configurations can be built in
/// code.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pleiades {
    /// Masses `m_1..m_7` (default `1, 2, …, 7`).
    pub masses: [f64; PLEIADES_BODIES],
}

impl Default for Pleiades {
    fn default() -> Self {
        Self {
            masses: [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0],
        }
    }
}

/// Names of the masses `m1..m7` as catalogue parameters.
pub const PLEIADES_MASS_NAMES: [&str; PLEIADES_BODIES] = ["m1", "m2", "m3", "m4", "m5", "m6", "m7"];

impl Pleiades {
    pub(crate) fn param_mut(&mut self, name: &str) -> Option<&mut f64> {
        let i = PLEIADES_MASS_NAMES.iter().position(|n| *n == name)?;
        Some(&mut self.masses[i])
    }

    /// Total energy (kinetic plus potential), constant along solutions.
    pub fn energy(&self, y: &[f64]) -> f64 {
        const N: usize = PLEIADES_BODIES;
        let m = &self.masses;
        let mut e = 0.0;
        for i in 0..N {
            let (u, v) = (y[2 * N + i], y[3 * N + i]);
            e += 0.5 * m[i] * (u * u + v * v);
            for j in i + 1..N {
                let dx = y[i] - y[j];
                let dy = y[N + i] - y[N + j];
                e -= m[i] * m[j] / (dx * dx + dy * dy).sqrt();
            }
        }
        e
    }
}

impl OdeSystem for Pleiades {
    #[inline]
    fn dim(&self) -> usize {
        4 * PLEIADES_BODIES
    }
    #[inline]
    fn rhs(&self, _t: f64, y: &[f64], dy: &mut [f64]) {
        const N: usize = PLEIADES_BODIES;
        let m = &self.masses;
        // Fixed-size views: one length check here instead of bounds checks in the loops, and
        // constant loop bounds wherever the caller passes a runtime-length slice.
        let y: &[f64; 4 * N] = y.try_into().expect("pleiades state has 28 components");
        let dy: &mut [f64; 4 * N] = dy
            .try_into()
            .expect("pleiades derivative has 28 components");
        let (q, v) = y.split_at(2 * N);
        let (dq, dv) = dy.split_at_mut(2 * N);
        dq.copy_from_slice(&v[..2 * N]);
        let (x, yy) = q.split_at(N);
        let (ax, ay) = dv.split_at_mut(N);
        ax.fill(0.0);
        ay.fill(0.0);
        for i in 0..N {
            for j in i + 1..N {
                let dx = x[j] - x[i];
                let dyy = yy[j] - yy[i];
                let r2 = dx * dx + dyy * dyy;
                let inv_r3 = 1.0 / (r2 * r2.sqrt());
                let (fx, fy) = (dx * inv_r3, dyy * inv_r3);
                ax[i] += m[j] * fx;
                ay[i] += m[j] * fy;
                ax[j] -= m[i] * fx;
                ay[j] -= m[i] * fy;
            }
        }
    }
}

pub(crate) fn entry() -> Problem {
    let names: Vec<String> = ["x", "y", "vx", "vy"]
        .iter()
        .flat_map(|c| (1..=PLEIADES_BODIES).map(move |i| format!("{c}{i}")))
        .collect();
    Problem::with_state_names(
        "pleiades",
        "seven stars in the plane (28-dimensional gravitational N-body problem)",
        "Hairer, Norsett & Wanner I, Sec. II.10, eq. (10.3); Mazzia & Magherini, Test Set for IVP \
         Solvers, rel. 2.4, Univ. of Bari (2008), problem PLEI",
        names,
        PLEIADES_MASS_NAMES
            .iter()
            .zip(Pleiades::default().masses)
            .map(|(name, m)| Param::positive(name, m, "mass of the star (default i for star i)"))
            .collect(),
        (0.0, 3.0),
        PLEIADES_Y0.to_vec(),
        Reference::Final {
            t: 3.0,
            y: PLEIADES_REFERENCE_T3.to_vec(),
            source: "Mazzia & Magherini, Test Set for IVP Solvers, rel. 2.4 (Bari, 2008), problem \
                     PLEI, reference solution at t = 3",
        },
        System::Pleiades(Pleiades::default()),
    )
}
