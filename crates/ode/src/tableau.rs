//! Runge–Kutta methods as data.
//!
//! A method is a [`ButcherTableau`] value; one generic stepper (`crate::stepper`) consumes it.
//! Every coefficient is a [`Coef`]: the `f64` the solver uses and the exact text it was written
//! from (a fraction such as `-56/15` or a published decimal such as `0.161`), so that tests can
//! verify the order conditions in exact rational arithmetic on the coefficients as published.

/// One tableau coefficient: its `f64` value and the exact text it came from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Coef {
    /// The value used in computation.
    pub v: f64,
    /// The exact source text: an integer, a decimal (`0.161`, `1.5e-3`) or a fraction `p/q`,
    /// optionally with a leading `-`.
    pub text: &'static str,
}

/// Writes a [`Coef`] from a literal or a fraction of literals, keeping the source text.
///
/// `q!(3 / 40)`, `q!(-56 / 15)`, `q!(0.161)`, `q!(0)`. Integers that do not fit in `i32` must be
/// written with a trailing `.0` (`q!(1234567890123.0 / 7.0)`); the compiler rejects them otherwise.
#[macro_export]
macro_rules! q {
    (- $n:literal / $d:literal) => {
        $crate::tableau::Coef {
            v: -($n as f64 / $d as f64),
            text: concat!("-", stringify!($n), "/", stringify!($d)),
        }
    };
    ($n:literal / $d:literal) => {
        $crate::tableau::Coef {
            v: $n as f64 / $d as f64,
            text: concat!(stringify!($n), "/", stringify!($d)),
        }
    };
    (- $x:literal) => {
        $crate::tableau::Coef {
            v: -($x as f64),
            text: concat!("-", stringify!($x)),
        }
    };
    ($x:literal) => {
        $crate::tableau::Coef {
            v: $x as f64,
            text: stringify!($x),
        }
    };
}

/// An explicit Runge–Kutta method with an optional embedded error estimator and a continuous
/// extension (dense output).
///
/// Stages: `k_i = f(t + c_i h, y + h Σ_{j<i} a_ij k_j)` for `i = 0..s`. The step is
/// `y1 = y + h Σ b_i k_i`, the error estimate `err = h Σ e_i k_i` with `e = b − b̂`.
/// With `fsal`, the last stage is evaluated at `(t + h, y1)` (its row of `a` equals `b`) and is
/// reused as the first stage of the next step.
#[derive(Debug, Clone, Copy)]
pub struct ButcherTableau {
    /// Short name used on the command line (`tsit5`, `dop853`, ...).
    pub name: &'static str,
    /// Classical order of the propagated solution.
    pub order: u32,
    /// Order of the embedded solution `b̂` (0 for a fixed-step method without one).
    pub embedded_order: u32,
    /// The error estimate scales like `h^error_exponent`; the step-size controller uses
    /// `1 / error_exponent` as its exponent (5 for a 5(4) pair, 8 for DOP853's combined estimate).
    pub error_exponent: u32,
    /// Gains `(β1, β2)` of the PI step-size controller for this method,
    /// `h_new = h·safety·err^(−β1)·err_prev^(β2)`; `None`: `β1 = 0.7/k`, `β2 = 0.4/k` with
    /// `k = error_exponent` (Hairer & Wanner, *Solving ODEs II*, §IV.2; OrdinaryDiffEq.jl's
    /// default). Methods whose authors' codes tuned their own set them here.
    pub pi_gains: Option<(f64, f64)>,
    /// First same as last: the last stage is `f(t + h, y1)`.
    pub fsal: bool,
    /// Nodes `c_i`, one per stage.
    pub c: &'static [Coef],
    /// Strictly lower-triangular matrix: row `i` has exactly `i` entries.
    pub a: &'static [&'static [Coef]],
    /// Weights `b_i` of the propagated solution.
    pub b: &'static [Coef],
    /// Error weights `e_i = b_i − b̂_i`; empty for fixed-step methods.
    pub e: &'static [Coef],
    /// Second error weights (DOP853's third-order estimator `b − b̂₃`); empty otherwise.
    pub e3: &'static [Coef],
    /// Continuous extension.
    pub dense: DenseOutput,
}

/// A continuous extension `y(t + θh) = y + h Σ_i b_i(θ) k_i`, `θ ∈ [0, 1]`.
///
/// The sum runs over the main stages followed by `extra_c.len()` extra stages that are evaluated
/// only when the step is interpolated. Extra stage `e` is `f(t + c_e h, y + h Σ_j a_ej k_j)` where
/// `j` runs over all main stages and the extra stages before it (row `e` of `extra_a` has
/// `s + e` entries).
#[derive(Debug, Clone, Copy)]
pub struct DenseOutput {
    /// Order of the interpolant (local error `O(h^(order+1))` uniformly in θ).
    pub order: u32,
    pub extra_c: &'static [Coef],
    pub extra_a: &'static [&'static [Coef]],
    /// `b_i(θ) = Σ_p bi[i][p] θ^(p+1)`; one row per main and extra stage (rows may be empty).
    pub bi: &'static [&'static [Coef]],
}

impl ButcherTableau {
    /// Number of main stages `s`.
    pub const fn stages(&self) -> usize {
        self.c.len()
    }
    /// Whether the method has an embedded error estimator (adaptive stepping).
    pub const fn is_adaptive(&self) -> bool {
        !self.e.is_empty()
    }
    /// Total number of stages the interpolant uses.
    pub const fn dense_stages(&self) -> usize {
        self.c.len() + self.dense.extra_c.len()
    }
}

#[cfg(test)]
mod tests {
    use crate::Method;

    /// The generic stepper reads `b`, `e` and `e3` at every stage index and unrolls at most 16
    /// stages: every built-in tableau must have these shapes.
    #[test]
    fn weight_rows_have_one_entry_per_stage() {
        for m in Method::ALL {
            let t = m.tableau();
            let s = t.stages();
            assert!((1..=16).contains(&s), "{}: {s} stages", t.name);
            assert_eq!(t.a.len(), s, "{}: rows of a", t.name);
            for (i, row) in t.a.iter().enumerate() {
                assert_eq!(row.len(), i, "{}: row {i} of a", t.name);
            }
            assert_eq!(t.b.len(), s, "{}: b", t.name);
            assert!(t.e.is_empty() || t.e.len() == s, "{}: e", t.name);
            assert!(t.e3.is_empty() || t.e3.len() == s, "{}: e3", t.name);
            assert!(
                t.e3.is_empty() || !t.e.is_empty(),
                "{}: e3 without e",
                t.name
            );
            if let Some((b1, b2)) = t.pi_gains {
                assert!(b1 > 0.0 && b2 >= 0.0 && b2 < b1, "{}: PI gains", t.name);
            }
        }
    }
}
