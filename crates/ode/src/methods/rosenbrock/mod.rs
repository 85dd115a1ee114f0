//! Rosenbrock–Wanner methods as data: [`RosenbrockTableau`] values, one per file, consumed by the
//! one generic linearly implicit stepper (`crate::rosenbrock`).
//!
//! | method          | order | error est. | dense | stages (f-evals) | source                        |
//! |-----------------|-------|------------|-------|------------------|-------------------------------|
//! | [`rodas5p`]     | 5     | 4          | 4     | 8 (8)            | Steinebach 2023               |
//! | [`rodas4`]      | 4     | 3          | 3     | 6 (6)            | Hairer & Wanner, RODAS        |
//! | [`rosenbrock23`]| 2     | 3          | 2     | 3 (2, FSAL)      | Shampine & Reichelt, ode23s   |

pub mod rodas4;
pub mod rodas5p;
pub mod rosenbrock23;

use crate::tableau::Coef;

/// An `s`-stage Rosenbrock method for `M y' = f(t, y)` (`M` constant, possibly singular), in
/// Hairer's transformed form (Hairer & Wanner, *Solving Ordinary Differential Equations II*,
/// §IV.7, (7.25), and §VI.4 for `M ≠ I`), which needs no matrix–vector product with `J`:
///
/// ```text
///   (M/(hγ) − J) u_i = f(t + α_i h, y + Σ_{j<i} a_ij u_j) + M Σ_{j<i} (c_ij/h) u_j + γ_i h ∂f/∂t,
///   y1 = y + Σ_i m_i u_i,       err = Σ_i e_i u_i,
/// ```
///
/// with `J = ∂f/∂y (t, y)`, one LU factorisation of `M/(hγ) − J` per step and one linear solve
/// per stage. In terms of the classical coefficients `α_ij`, `γ_ij` (`γ_ii = γ`) and weights
/// `b_i`, with `Γ = (γ_ij)` lower triangular, the stages are `u = Γ k` and
/// `a = (α_ij) Γ⁻¹`, `C = diag(1/γ) − Γ⁻¹`, `m = b Γ⁻¹`, `α_i = Σ_j α_ij`, `γ_i = Σ_{j≤i} γ_ij`
/// (`tests/rosenbrock_order_conditions.rs` inverts the transformation and checks the order
/// conditions on `α`, `β = α + Γ` and `b`).
///
/// Dense output (`θ ∈ [0, 1]`, both ends exact):
///
/// ```text
///   y(t + θh) = (1 − θ) y + θ y1 + θ(1 − θ) Σ_k θ^k Σ_i dense[k][i] u_i .
/// ```
#[derive(Debug, Clone, Copy)]
pub struct RosenbrockTableau {
    /// Short name used on the command line (`rodas5p`, ...).
    pub name: &'static str,
    /// Classical order of `y1` (exact Jacobian).
    pub order: u32,
    /// Order of the embedded solution `y1 − err`.
    pub embedded_order: u32,
    /// The error estimate scales like `h^error_exponent`; the controller uses its inverse as
    /// exponent.
    pub error_exponent: u32,
    /// The diagonal coefficient `γ`.
    pub gamma: Coef,
    /// Strictly lower-triangular `a_ij` (row `i` has `i` entries).
    pub a: &'static [&'static [Coef]],
    /// Strictly lower-triangular `c_ij` (row `i` has `i` entries).
    pub c: &'static [&'static [Coef]],
    /// Stage times `α_i = Σ_j α_ij`.
    pub alpha: &'static [Coef],
    /// Coefficients `γ_i = Σ_{j≤i} γ_ij` of the `h ∂f/∂t` term.
    pub gamma_i: &'static [Coef],
    /// Weights `m_i` of the step.
    pub m: &'static [Coef],
    /// Error weights `e_i = m_i − m̂_i`.
    pub e: &'static [Coef],
    /// The last stage is evaluated at `(t + h, y1)` (its row of `a` is `m`, `m_s = 0`,
    /// `α_s = 1`), so its `f` is the next step's `f(t, y)`.
    pub fsal: bool,
    /// Order of the dense output (uniformly in θ, exact Jacobian).
    pub dense_order: u32,
    /// Dense-output coefficients (see above): one row per power of θ, `s` entries each.
    pub dense: &'static [&'static [Coef]],
}

impl RosenbrockTableau {
    /// Number of stages `s`.
    pub const fn stages(&self) -> usize {
        self.alpha.len()
    }
}
