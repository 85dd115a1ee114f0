//! `pollu`: the air-pollution model of the Dutch National Institute of Public Health (Verwer
//! 1994; Bari test set POLLU).
// Published constants are kept with all their digits.
#![allow(clippy::excessive_precision)]

use std::sync::OnceLock;

use num_dual::DualNum;

use crate::faer::MatMut;
use crate::jacobian::JacDual;
use crate::sparsity::SparsityPattern;
use crate::OdeSystem;

use super::{Param, Problem, Reference, System};

/// Number of species of POLLU.
pub const POLLU_SPECIES: usize = 20;

/// Number of reactions of POLLU.
pub const POLLU_REACTIONS: usize = 25;

/// The species of POLLU, in state order.
pub const POLLU_SPECIES_NAMES: [&str; POLLU_SPECIES] = [
    "NO2", "NO", "O3P", "O3", "HO2", "OH", "HCHO", "CO", "ALD", "MEO2", "C2O3", "CO2", "PAN",
    "CH3O", "HNO3", "O1D", "SO2", "SO4", "NO3", "N2O5",
];

/// The Test Set's rate constants `k1..k25` (units: ppm and minutes).
pub const POLLU_RATES: [f64; POLLU_REACTIONS] = [
    0.35, 0.266e2, 0.123e5, 0.86e-3, 0.82e-3, 0.15e5, 0.13e-3, 0.24e5, 0.165e5, 0.9e4, 0.22e-1,
    0.12e5, 0.188e1, 0.163e5, 0.48e7, 0.35e-3, 0.175e-1, 0.1e9, 0.444e12, 0.124e4, 0.21e1, 0.578e1,
    0.474e-1, 0.178e4, 0.312e1,
];

/// Initial state of POLLU: NO 0.2, O3 0.04, HCHO 0.1, CO 0.3, ALD 0.01, SO2 0.007; the rest 0.
pub const POLLU_Y0: [f64; POLLU_SPECIES] = [
    0.0, 0.2, 0.0, 0.04, 0.0, 0.0, 0.1, 0.3, 0.01, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.007, 0.0,
    0.0, 0.0,
];

/// End of the Test Set's integration interval for POLLU (minutes).
pub const POLLU_T_END: f64 = 60.0;

/// Published reference solution of POLLU at `t = 60` (default rates, [`POLLU_Y0`]).
///
/// From the `solut` routine of `pollu.f`, Bari "Test Set for IVP Solvers" release 2.4 (computed
/// with RADAU5 in true double precision on a Cray C90, `uround = 1.01e-19`,
/// `rtol = atol = h0 = 1.1e-18`), 16 significant digits. Cross-checked digit by digit against
/// independent transcriptions: deSolve's POLLU demo (`ytrue`), the ReaK C++ integrator tests, a
/// Fortran driver's `SOLUT`, a C++ (kodes) test system, a JavaScript test, a Python
/// test-problem class, a Julia verification script and the ModelingToolkit POLLU docs; and
/// numerically against SciPy Radau (`rtol = 1e-13`), which agrees to `1.5·10⁻¹⁴` relative. The
/// nitrogen, sulphur and carbon balances of [`Pollu::balances`] hold for the reference to about
/// `1e-16`.
pub const POLLU_REFERENCE: [f64; POLLU_SPECIES] = [
    0.5646255480022769e-1,
    0.1342484130422339,
    0.4139734331099427e-8,
    0.5523140207484359e-2,
    0.2018977262302196e-6,
    0.1464541863493966e-6,
    0.7784249118997964e-1,
    0.3245075353396018,
    0.7494013383880406e-2,
    0.1622293157301561e-7,
    0.1135863833257075e-7,
    0.2230505975721359e-2,
    0.2087162882798630e-3,
    0.1396921016840158e-4,
    0.8964884856898295e-2,
    0.4352846369330103e-17,
    0.6899219696263405e-2,
    0.1007803037365946e-3,
    0.1772146513969984e-5,
    0.5682943292316392e-4,
];

/// One reaction `r = k · Π reactants → products`: (reactant species, product species with
/// stoichiometric coefficients), 0-based.
type Reaction = (&'static [usize], &'static [(usize, f64)]);

/// The 25 reactions of POLLU in Test Set order (species as in [`POLLU_SPECIES_NAMES`]).
///
/// Used for the Jacobian and the mass balances; the right-hand side is written out as in the
/// Test Set and checked against this table in the tests.
pub const POLLU_MECHANISM: [Reaction; POLLU_REACTIONS] = [
    (&[0], &[(1, 1.0), (2, 1.0)]),                // 1  NO2 -> NO + O3P
    (&[1, 3], &[(0, 1.0)]),                       // 2  NO + O3 -> NO2
    (&[4, 1], &[(0, 1.0), (5, 1.0)]),             // 3  HO2 + NO -> NO2 + OH
    (&[6], &[(4, 2.0), (7, 1.0)]),                // 4  HCHO -> 2 HO2 + CO
    (&[6], &[(7, 1.0)]),                          // 5  HCHO -> CO
    (&[6, 5], &[(4, 1.0), (7, 1.0)]),             // 6  HCHO + OH -> HO2 + CO
    (&[8], &[(9, 1.0), (4, 1.0), (7, 1.0)]),      // 7  ALD -> MEO2 + HO2 + CO
    (&[8, 5], &[(10, 1.0)]),                      // 8  ALD + OH -> C2O3
    (&[10, 1], &[(0, 1.0), (9, 1.0), (11, 1.0)]), // 9  C2O3 + NO -> NO2 + MEO2 + CO2
    (&[10, 0], &[(12, 1.0)]),                     // 10 C2O3 + NO2 -> PAN
    (&[12], &[(10, 1.0), (0, 1.0)]),              // 11 PAN -> C2O3 + NO2
    (&[9, 1], &[(13, 1.0), (0, 1.0)]),            // 12 MEO2 + NO -> CH3O + NO2
    (&[13], &[(6, 1.0), (4, 1.0)]),               // 13 CH3O -> HCHO + HO2
    (&[0, 5], &[(14, 1.0)]),                      // 14 NO2 + OH -> HNO3
    (&[2], &[(3, 1.0)]),                          // 15 O3P -> O3
    (&[3], &[(15, 1.0)]),                         // 16 O3 -> O1D
    (&[3], &[(2, 1.0)]),                          // 17 O3 -> O3P
    (&[15], &[(5, 2.0)]),                         // 18 O1D -> 2 OH
    (&[15], &[(2, 1.0)]),                         // 19 O1D -> O3P
    (&[16, 5], &[(17, 1.0), (4, 1.0)]),           // 20 SO2 + OH -> SO4 + HO2
    (&[18], &[(1, 1.0)]),                         // 21 NO3 -> NO
    (&[18], &[(0, 1.0), (2, 1.0)]),               // 22 NO3 -> NO2 + O3P
    (&[0, 3], &[(18, 1.0)]),                      // 23 NO2 + O3 -> NO3
    (&[18, 0], &[(19, 1.0)]),                     // 24 NO3 + NO2 -> N2O5
    (&[19], &[(18, 1.0), (0, 1.0)]),              // 25 N2O5 -> NO3 + NO2
];

/// POLLU: 20 species and 25 reactions of an atmospheric chemistry model (J. G. Verwer, SIAM J.
/// Sci. Comput. 15 (1994) 1243–1259), as in the Test Set: `y' = S r(y)` with the reaction rates
///
/// ```text
/// r1  = k1  y1        r2  = k2  y2 y4     r3  = k3  y5 y2     r4  = k4  y7      r5  = k5  y7
/// r6  = k6  y7 y6     r7  = k7  y9        r8  = k8  y9 y6     r9  = k9  y11 y2  r10 = k10 y11 y1
/// r11 = k11 y13       r12 = k12 y10 y2    r13 = k13 y14       r14 = k14 y1 y6   r15 = k15 y3
/// r16 = k16 y4        r17 = k17 y4        r18 = k18 y16       r19 = k19 y16     r20 = k20 y17 y6
/// r21 = k21 y19       r22 = k22 y19       r23 = k23 y1 y4     r24 = k24 y19 y1  r25 = k25 y20
/// ```
///
/// and the stoichiometry of [`POLLU_MECHANISM`]:
///
/// ```text
/// y1'  = −r1 − r10 − r14 − r23 − r24 + r2 + r3 + r9 + r11 + r12 + r22 + r25
/// y2'  = −r2 − r3 − r9 − r12 + r1 + r21
/// y3'  = −r15 + r1 + r17 + r19 + r22
/// y4'  = −r2 − r16 − r17 − r23 + r15
/// y5'  = −r3 + 2 r4 + r6 + r7 + r13 + r20
/// y6'  = −r6 − r8 − r14 − r20 + r3 + 2 r18
/// y7'  = −r4 − r5 − r6 + r13
/// y8'  =  r4 + r5 + r6 + r7
/// y9'  = −r7 − r8
/// y10' = −r12 + r7 + r9
/// y11' = −r9 − r10 + r8 + r11
/// y12' =  r9
/// y13' = −r11 + r10
/// y14' = −r13 + r12
/// y15' =  r14
/// y16' = −r18 − r19 + r16
/// y17' = −r20
/// y18' =  r20
/// y19' = −r21 − r22 − r24 + r23 + r25
/// y20' = −r25 + r24
/// ```
///
/// with the rate constants [`POLLU_RATES`] (`k19 = 4.44·10¹¹` makes it very stiff).
///
/// * Default problem: [`POLLU_Y0`], `t ∈ [0, 60]` (minutes).
/// * Invariants: nitrogen `y1 + y2 + y13 + y15 + y19 + 2 y20`, sulphur `y17 + y18` and carbon
///   `y7 + y8 + 2 y9 + y10 + 2 y11 + y12 + 2 y13 + y14` ([`Pollu::balances`]).
/// * Jacobian: [`Pollu::jacobian_row_major`] (from the mechanism; 82 structural nonzeros of 400,
///   declared as [`OdeSystem::jacobian_sparsity`], see [`Pollu::sparsity`]).
///   Also as [`OdeSystem::jacobian`], and `f` on dual numbers as [`OdeSystem::rhs_dual`].
/// * Reference: [`POLLU_REFERENCE`].
/// * Source: J. G. Verwer, "Gauss–Seidel iteration for stiff ODEs from chemical kinetics", SIAM J.
///   Sci. Comput. 15 (1994) 1243–1259; F. Mazzia and C. Magherini, Test Set for IVP Solvers,
///   release 2.4, University of Bari (2008), problem POLLU.
///
/// The rate constants are a field (not catalogue parameters) so that other configurations can be
/// built in code.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pollu {
    /// Rate constants `k1..k25` (default [`POLLU_RATES`]).
    pub k: [f64; POLLU_REACTIONS],
}

impl Default for Pollu {
    fn default() -> Self {
        Self { k: POLLU_RATES }
    }
}

/// Names of the rate constants `k1..k25` as catalogue parameters.
pub const POLLU_RATE_NAMES: [&str; POLLU_REACTIONS] = [
    "k1", "k2", "k3", "k4", "k5", "k6", "k7", "k8", "k9", "k10", "k11", "k12", "k13", "k14", "k15",
    "k16", "k17", "k18", "k19", "k20", "k21", "k22", "k23", "k24", "k25",
];

impl Pollu {
    pub(crate) fn param_mut(&mut self, name: &str) -> Option<&mut f64> {
        let i = POLLU_RATE_NAMES.iter().position(|n| *n == name)?;
        Some(&mut self.k[i])
    }

    /// The 25 reaction rates `r_j(y)`.
    #[inline]
    pub fn rates<T: DualNum<Primitive = f64> + Copy>(&self, y: &[T]) -> [T; POLLU_REACTIONS] {
        let k = &self.k;
        [
            y[0] * k[0],
            y[1] * y[3] * k[1],
            y[4] * y[1] * k[2],
            y[6] * k[3],
            y[6] * k[4],
            y[6] * y[5] * k[5],
            y[8] * k[6],
            y[8] * y[5] * k[7],
            y[10] * y[1] * k[8],
            y[10] * y[0] * k[9],
            y[12] * k[10],
            y[9] * y[1] * k[11],
            y[13] * k[12],
            y[0] * y[5] * k[13],
            y[2] * k[14],
            y[3] * k[15],
            y[3] * k[16],
            y[15] * k[17],
            y[15] * k[18],
            y[16] * y[5] * k[19],
            y[18] * k[20],
            y[18] * k[21],
            y[0] * y[3] * k[22],
            y[18] * y[0] * k[23],
            y[19] * k[24],
        ]
    }

    /// The 25 reaction rates `r_j(y)` with the rate constants `k` as arguments.
    #[inline]
    pub(crate) fn rates_with<T: DualNum<Primitive = f64> + Copy>(
        y: &[T],
        k: &[T],
    ) -> [T; POLLU_REACTIONS] {
        [
            y[0] * k[0],
            y[1] * y[3] * k[1],
            y[4] * y[1] * k[2],
            y[6] * k[3],
            y[6] * k[4],
            y[6] * y[5] * k[5],
            y[8] * k[6],
            y[8] * y[5] * k[7],
            y[10] * y[1] * k[8],
            y[10] * y[0] * k[9],
            y[12] * k[10],
            y[9] * y[1] * k[11],
            y[13] * k[12],
            y[0] * y[5] * k[13],
            y[2] * k[14],
            y[3] * k[15],
            y[3] * k[16],
            y[15] * k[17],
            y[15] * k[18],
            y[16] * y[5] * k[19],
            y[18] * k[20],
            y[18] * k[21],
            y[0] * y[3] * k[22],
            y[18] * y[0] * k[23],
            y[19] * k[24],
        ]
    }

    /// The right-hand side for any scalar type of `num-dual` (`f64` included), written out as in
    /// the Test Set's `feval`.
    #[inline]
    pub fn rhs_generic<T: DualNum<Primitive = f64> + Copy>(&self, t: T, y: &[T], dy: &mut [T]) {
        Self::assemble(t, &self.rates(y), dy);
    }

    /// `dy = S r`: the species balances of the 25 reaction rates `r` (the Test Set's `feval`).
    #[inline]
    pub(crate) fn assemble<T: DualNum<Primitive = f64> + Copy>(
        _t: T,
        r: &[T; POLLU_REACTIONS],
        dy: &mut [T],
    ) {
        dy[0] = -r[0] - r[9] - r[13] - r[22] - r[23]
            + r[1]
            + r[2]
            + r[8]
            + r[10]
            + r[11]
            + r[21]
            + r[24];
        dy[1] = -r[1] - r[2] - r[8] - r[11] + r[0] + r[20];
        dy[2] = -r[14] + r[0] + r[16] + r[18] + r[21];
        dy[3] = -r[1] - r[15] - r[16] - r[22] + r[14];
        dy[4] = -r[2] + r[3] + r[3] + r[5] + r[6] + r[12] + r[19];
        dy[5] = -r[5] - r[7] - r[13] - r[19] + r[2] + r[17] + r[17];
        dy[6] = -r[3] - r[4] - r[5] + r[12];
        dy[7] = r[3] + r[4] + r[5] + r[6];
        dy[8] = -r[6] - r[7];
        dy[9] = -r[11] + r[6] + r[8];
        dy[10] = -r[8] - r[9] + r[7] + r[10];
        dy[11] = r[8];
        dy[12] = -r[10] + r[9];
        dy[13] = -r[12] + r[11];
        dy[14] = r[13];
        dy[15] = -r[17] - r[18] + r[15];
        dy[16] = -r[19];
        dy[17] = r[19];
        dy[18] = -r[20] - r[21] - r[23] + r[22] + r[24];
        dy[19] = -r[24] + r[23];
    }

    /// Analytic Jacobian `∂f/∂y`, dense row-major (`jac[20 i + j] = ∂f_i/∂y_j`), assembled from
    /// [`POLLU_MECHANISM`]: `∂f_i/∂y_j = Σ_r S_ir ∂r/∂y_j` with `S` products minus reactants.
    pub fn jacobian_row_major(&self, _t: f64, y: &[f64], jac: &mut [f64]) {
        const N: usize = POLLU_SPECIES;
        let jac = &mut jac[..N * N];
        jac.fill(0.0);
        self.jacobian_entries(y, |i, j, v| jac[N * i + j] += v);
    }

    /// Calls `add(i, j, v)` for every contribution `v` of a reaction to `∂f_i/∂y_j`; the
    /// Jacobian is their sum (first- or second-order mass action).
    #[inline]
    fn jacobian_entries(&self, y: &[f64], mut add: impl FnMut(usize, usize, f64)) {
        for (r, (reactants, products)) in POLLU_MECHANISM.iter().enumerate() {
            // ∂r/∂y_j for each reactant j
            for (a, &j) in reactants.iter().enumerate() {
                let mut d = self.k[r];
                for (b, &l) in reactants.iter().enumerate() {
                    if a != b {
                        d *= y[l];
                    }
                }
                for &i in reactants.iter() {
                    add(i, j, -d);
                }
                for &(i, s) in products.iter() {
                    add(i, j, s * d);
                }
            }
        }
    }

    /// The structural sparsity pattern of `∂f/∂y` (82 of 400 entries) from [`POLLU_MECHANISM`]:
    /// `(i, j)` when species `j` is a reactant of a reaction that consumes or produces species
    /// `i`. Declared as [`OdeSystem::jacobian_sparsity`], which lets the dense LU of the stiff
    /// methods order the unknowns for little fill-in (`crate::linalg`).
    pub fn sparsity() -> &'static SparsityPattern {
        static PATTERN: OnceLock<SparsityPattern> = OnceLock::new();
        PATTERN.get_or_init(|| {
            let mut e = Vec::new();
            for (reactants, products) in POLLU_MECHANISM.iter() {
                for &j in reactants.iter() {
                    e.extend(reactants.iter().map(|&i| (i, j)));
                    e.extend(products.iter().map(|&(i, _)| (i, j)));
                }
            }
            SparsityPattern::from_entries(POLLU_SPECIES, POLLU_SPECIES, e)
                .expect("the mechanism names species 0..20 only")
        })
    }

    /// The conserved element totals `[nitrogen, sulphur, carbon]` (ppm).
    pub fn balances(&self, y: &[f64]) -> [f64; 3] {
        let nitrogen = y[0] + y[1] + y[12] + y[14] + y[18] + 2.0 * y[19];
        let sulphur = y[16] + y[17];
        let carbon = y[6] + y[7] + 2.0 * y[8] + y[9] + 2.0 * y[10] + y[11] + 2.0 * y[12] + y[13];
        [nitrogen, sulphur, carbon]
    }
}

impl OdeSystem for Pollu {
    #[inline]
    fn dim(&self) -> usize {
        POLLU_SPECIES
    }
    #[inline]
    fn rhs(&self, t: f64, y: &[f64], dy: &mut [f64]) {
        self.rhs_generic(t, y, dy)
    }
    fn rhs_dual(&self, t: JacDual, y: &[JacDual], dy: &mut [JacDual]) -> bool {
        self.rhs_generic(t, y, dy);
        true
    }
    fn jacobian(&self, _t: f64, y: &[f64], mut jac: MatMut<'_, f64>) -> bool {
        // Straight into the (column-major) matrix: the Rosenbrock methods evaluate J every step.
        jac.fill(0.0);
        self.jacobian_entries(y, |i, j, v| jac[(i, j)] += v);
        true
    }
    fn is_autonomous(&self) -> bool {
        true
    }
    fn jacobian_sparsity(&self) -> Option<&SparsityPattern> {
        Some(Self::sparsity())
    }
}

pub(crate) fn entry() -> Problem {
    Problem::new(
        "pollu",
        "POLLU: air-pollution chemistry, 20 species and 25 reactions (stiff)",
        "J. G. Verwer, SIAM J. Sci. Comput. 15 (1994); Mazzia & Magherini, Test Set for IVP \
         Solvers, rel. 2.4, Univ. of Bari (2008), problem POLLU",
        &POLLU_SPECIES_NAMES,
        POLLU_RATE_NAMES
            .iter()
            .zip(POLLU_RATES)
            .map(|(name, k)| Param::positive(name, k, "rate constant (Test Set value)"))
            .collect(),
        (0.0, POLLU_T_END),
        POLLU_Y0.to_vec(),
        Reference::Final {
            t: POLLU_T_END,
            y: POLLU_REFERENCE.to_vec(),
            source: "Mazzia & Magherini, Test Set for IVP Solvers, rel. 2.4 (Bari, 2008), problem \
                     POLLU, reference solution at t = 60",
        },
        System::Pollu(Pollu::default()),
    )
}
