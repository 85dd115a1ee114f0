//! The right-hand side of `y' = f(t, y)`.

/// A system of ordinary differential equations `y' = f(t, y)` of fixed dimension.
///
/// This is all an explicit method asks of the equations: a dimension and an in-place evaluation.
/// Implementations must write every component of `dy` and must not allocate if the caller wants
/// allocation-free stepping.
pub trait OdeSystem {
    /// Number of state components.
    fn dim(&self) -> usize;
    /// Evaluates `dy = f(t, y)`. `y` and `dy` both have length [`OdeSystem::dim`].
    fn rhs(&self, t: f64, y: &[f64], dy: &mut [f64]);

    // Capabilities for implicit methods. All are optional (default: not provided); see
    // [`crate::jacobian`] for how they are used and [`crate::linalg`] for the iteration matrix.

    /// Analytic Jacobian `∂f/∂y (t, y)` written into the `dim × dim` matrix `jac`, which is zeroed
    /// before the call (write only the non-zeros). Returns whether it is provided; the default
    /// writes nothing and returns `false`.
    fn jacobian(&self, t: f64, y: &[f64], jac: faer::MatMut<'_, f64>) -> bool {
        let _ = (t, y, jac);
        false
    }

    /// Analytic sparse Jacobian: the values of the entries of
    /// [`OdeSystem::jacobian_sparsity`], in its storage (column-major) order, written into
    /// `values` (zeroed before the call). Returns whether it is provided (default `false`).
    fn jacobian_sparse(&self, t: f64, y: &[f64], values: &mut [f64]) -> bool {
        let _ = (t, y, values);
        false
    }

    /// The right-hand side on dual numbers, for exact Jacobians by forward-mode automatic
    /// differentiation. Write `f` once, generic over [`crate::jacobian::DualScalar`], and forward
    /// both `rhs` and `rhs_dual` to it (example in [`crate::jacobian`]). Returns whether it is
    /// provided (default `false`).
    fn rhs_dual(
        &self,
        t: crate::jacobian::JacDual,
        y: &[crate::jacobian::JacDual],
        dy: &mut [crate::jacobian::JacDual],
    ) -> bool {
        let _ = (t, y, dy);
        false
    }

    /// Analytic `∂f/∂t (t, y)` into `dfdt` (used by Rosenbrock methods on non-autonomous
    /// systems). Returns whether it is provided (default `false`).
    fn time_derivative(&self, t: f64, y: &[f64], dfdt: &mut [f64]) -> bool {
        let _ = (t, y, dfdt);
        false
    }

    /// Whether `f` does not depend on `t` (then `∂f/∂t = 0` costs nothing). Default `false`.
    fn is_autonomous(&self) -> bool {
        false
    }

    /// The structurally non-zero entries of `∂f/∂y`, if known: enables sparse LU and
    /// Curtis–Powell–Reid grouped finite differences / dual numbers. See
    /// [`crate::jacobian::detect_sparsity`] to find one automatically. Default `None`.
    fn jacobian_sparsity(&self) -> Option<&crate::sparsity::SparsityPattern> {
        None
    }

    /// The constant mass matrix `M` of `M y' = f(t, y)` (possibly singular: an index-1 DAE);
    /// `None` means `M = I`. Default `None`.
    fn mass_matrix(&self) -> Option<&crate::mass::MassMatrix> {
        None
    }

    /// Linear first integrals of the equations, if known: `k` row vectors `w` (row-major,
    /// `k·dim` values) with `wᵀ f(t, y) = 0` for every `t` and `y`, so that `wᵀ y` is conserved,
    /// e.g. conservation of mass in a reaction network (systems without a mass matrix only: the
    /// Rosenbrock methods reject the combination). Default `None`.
    ///
    /// The implicit methods (Radau5, BDF/NDF) conserve linear invariants by construction: their
    /// result is a Newton solution of equations in `f`. A Rosenbrock method is not: its stages
    /// solve `(M/(hγ) − J) u = r` with `J` rounded to `f64`, so `wᵀ J ≈ 0` holds only to
    /// `ε·|J|`, and the stage solution picks up `≈ hγ·ε·|J|·|u|` along `w` in every stage (the
    /// iteration matrix is ill-conditioned by `hγ‖J‖` exactly in that direction). On problems
    /// whose solution decays by many orders while the invariant stays (E5 of the stiff DETEST
    /// set), that drift dominates the answer. The Rosenbrock methods therefore project each
    /// accepted step back onto the declared invariants with the smallest correction in the
    /// error norm of the step (`min Σ (δᵢ/sᵢ)²`, `sᵢ = atolᵢ + rtolᵢ|yᵢ|`: a component of size
    /// `10⁻⁵` next to ones of size 1 keeps its relative accuracy), which costs `O(k²·dim)` per
    /// step.
    fn linear_invariants(&self) -> Option<&[f64]> {
        None
    }

    /// A preconditioner `P ≈ c·M − J` for the Newton–Krylov linear solver
    /// ([`crate::krylov`], BDF/NDF with [`crate::krylov::LinearSolverChoice::Gmres`]): a fresh
    /// instance per solve (it may own scratch buffers). Default `None` (the solver then uses the
    /// diagonal of `W`).
    fn preconditioner(&self) -> Option<Box<dyn crate::krylov::Preconditioner>> {
        None
    }
}

/// Forwards every method of [`OdeSystem`] through a pointer type.
macro_rules! forward_system {
    ($($ptr:tt)*) => {
        impl<S: OdeSystem + ?Sized> OdeSystem for $($ptr)* {
            fn dim(&self) -> usize {
                (**self).dim()
            }
            #[inline]
            fn rhs(&self, t: f64, y: &[f64], dy: &mut [f64]) {
                (**self).rhs(t, y, dy)
            }
            fn jacobian(&self, t: f64, y: &[f64], jac: faer::MatMut<'_, f64>) -> bool {
                (**self).jacobian(t, y, jac)
            }
            fn jacobian_sparse(&self, t: f64, y: &[f64], values: &mut [f64]) -> bool {
                (**self).jacobian_sparse(t, y, values)
            }
            #[inline]
            fn rhs_dual(
                &self,
                t: crate::jacobian::JacDual,
                y: &[crate::jacobian::JacDual],
                dy: &mut [crate::jacobian::JacDual],
            ) -> bool {
                (**self).rhs_dual(t, y, dy)
            }
            fn time_derivative(&self, t: f64, y: &[f64], dfdt: &mut [f64]) -> bool {
                (**self).time_derivative(t, y, dfdt)
            }
            fn is_autonomous(&self) -> bool {
                (**self).is_autonomous()
            }
            fn jacobian_sparsity(&self) -> Option<&crate::sparsity::SparsityPattern> {
                (**self).jacobian_sparsity()
            }
            fn mass_matrix(&self) -> Option<&crate::mass::MassMatrix> {
                (**self).mass_matrix()
            }
            fn linear_invariants(&self) -> Option<&[f64]> {
                (**self).linear_invariants()
            }
            fn preconditioner(&self) -> Option<Box<dyn crate::krylov::Preconditioner>> {
                (**self).preconditioner()
            }
        }
    };
}

forward_system!(&S);
forward_system!(Box<S>);

/// An [`OdeSystem`] made from a closure `f(t, y, dy)` and a dimension.
///
/// ```
/// use ai4de_ode::{FnSystem, OdeSystem};
/// let decay = FnSystem::new(1, |_t, y: &[f64], dy: &mut [f64]| dy[0] = -y[0]);
/// let mut dy = [0.0];
/// decay.rhs(0.0, &[2.0], &mut dy);
/// assert_eq!(dy[0], -2.0);
/// ```
#[derive(Clone)]
pub struct FnSystem<F> {
    dim: usize,
    f: F,
}

impl<F: Fn(f64, &[f64], &mut [f64])> FnSystem<F> {
    pub fn new(dim: usize, f: F) -> Self {
        Self { dim, f }
    }
}

impl<F: Fn(f64, &[f64], &mut [f64])> OdeSystem for FnSystem<F> {
    fn dim(&self) -> usize {
        self.dim
    }
    #[inline]
    fn rhs(&self, t: f64, y: &[f64], dy: &mut [f64]) {
        (self.f)(t, y, dy)
    }
}

/// Any [`OdeSystem`] with a Jacobian sparsity pattern and/or a mass matrix attached, e.g. a
/// [`FnSystem`] or a pattern found by [`crate::jacobian::detect_sparsity`]. Every other capability
/// is forwarded to the inner system.
///
/// ```
/// use ai4de_ode::{FnSystem, OdeSystem, Structured};
/// use ai4de_ode::jacobian::detect_sparsity;
/// use ai4de_ode::mass::MassMatrix;
/// // y1' = -y1 + y2, 0 = y1 - y2^2 (semi-explicit index-1 DAE)
/// let f = FnSystem::new(2, |_t, y: &[f64], dy: &mut [f64]| {
///     dy[0] = -y[0] + y[1];
///     dy[1] = y[0] - y[1] * y[1];
/// });
/// let pattern = detect_sparsity(&f, 0.0, &[1.0, 1.0]).unwrap();
/// let dae = Structured::new(f)
///     .with_sparsity(pattern)
///     .unwrap()
///     .with_mass(MassMatrix::Diagonal(vec![1.0, 0.0]))
///     .unwrap();
/// assert_eq!(dae.jacobian_sparsity().unwrap().nnz(), 4);
/// assert!(dae.mass_matrix().is_some());
/// ```
#[derive(Debug, Clone)]
pub struct Structured<S> {
    inner: S,
    sparsity: Option<crate::sparsity::SparsityPattern>,
    mass: Option<crate::mass::MassMatrix>,
    invariants: Option<Vec<f64>>,
}

impl<S: OdeSystem> Structured<S> {
    pub fn new(inner: S) -> Self {
        Self {
            inner,
            sparsity: None,
            mass: None,
            invariants: None,
        }
    }

    /// Attaches the pattern of `∂f/∂y` (must be `dim × dim`).
    pub fn with_sparsity(
        mut self,
        pattern: crate::sparsity::SparsityPattern,
    ) -> Result<Self, crate::OdeError> {
        let n = self.inner.dim();
        for (what, found) in [
            ("sparsity pattern rows", pattern.nrows()),
            ("sparsity pattern columns", pattern.ncols()),
        ] {
            if found != n {
                return Err(crate::OdeError::JacobianDimensionMismatch {
                    what,
                    expected: n,
                    found,
                });
            }
        }
        self.sparsity = Some(pattern);
        Ok(self)
    }

    /// Attaches a constant mass matrix (must be `dim × dim` and finite).
    pub fn with_mass(mut self, mass: crate::mass::MassMatrix) -> Result<Self, crate::OdeError> {
        mass.validate(self.inner.dim())?;
        self.mass = Some(mass);
        Ok(self)
    }

    /// Declares linear invariants (see [`OdeSystem::linear_invariants`]): `rows` holds `k ≥ 1`
    /// row vectors of length `dim`, row-major, finite and not all zero.
    pub fn with_linear_invariants(mut self, rows: Vec<f64>) -> Result<Self, crate::OdeError> {
        validate_invariants(self.inner.dim(), &rows)?;
        self.invariants = Some(rows);
        Ok(self)
    }

    /// The wrapped system.
    pub fn inner(&self) -> &S {
        &self.inner
    }
}

impl<S: OdeSystem> OdeSystem for Structured<S> {
    fn dim(&self) -> usize {
        self.inner.dim()
    }
    #[inline]
    fn rhs(&self, t: f64, y: &[f64], dy: &mut [f64]) {
        self.inner.rhs(t, y, dy)
    }
    fn jacobian(&self, t: f64, y: &[f64], jac: faer::MatMut<'_, f64>) -> bool {
        self.inner.jacobian(t, y, jac)
    }
    fn jacobian_sparse(&self, t: f64, y: &[f64], values: &mut [f64]) -> bool {
        // The inner system's sparse values follow its own pattern: only usable if ours is it.
        self.sparsity.is_none() && self.inner.jacobian_sparse(t, y, values)
    }
    #[inline]
    fn rhs_dual(
        &self,
        t: crate::jacobian::JacDual,
        y: &[crate::jacobian::JacDual],
        dy: &mut [crate::jacobian::JacDual],
    ) -> bool {
        self.inner.rhs_dual(t, y, dy)
    }
    fn time_derivative(&self, t: f64, y: &[f64], dfdt: &mut [f64]) -> bool {
        self.inner.time_derivative(t, y, dfdt)
    }
    fn is_autonomous(&self) -> bool {
        self.inner.is_autonomous()
    }
    fn jacobian_sparsity(&self) -> Option<&crate::sparsity::SparsityPattern> {
        self.sparsity.as_ref().or(self.inner.jacobian_sparsity())
    }
    fn mass_matrix(&self) -> Option<&crate::mass::MassMatrix> {
        self.mass.as_ref().or(self.inner.mass_matrix())
    }
    fn linear_invariants(&self) -> Option<&[f64]> {
        self.invariants
            .as_deref()
            .or(self.inner.linear_invariants())
    }
    fn preconditioner(&self) -> Option<Box<dyn crate::krylov::Preconditioner>> {
        self.inner.preconditioner()
    }
}

/// Checks declared linear invariants: a non-empty multiple of `n` values, finite, no zero row.
pub(crate) fn validate_invariants(n: usize, rows: &[f64]) -> Result<(), crate::OdeError> {
    if n == 0 || rows.is_empty() || !rows.len().is_multiple_of(n) {
        return Err(crate::OdeError::DimensionMismatch {
            what: "linear invariants (k rows of dim values)",
            expected: n.max(1) * (rows.len() / n.max(1)).max(1),
            found: rows.len(),
        });
    }
    if let Some((i, &v)) = rows.iter().enumerate().find(|(_, v)| !v.is_finite()) {
        return Err(crate::OdeError::NonFiniteInput {
            what: "linear invariant",
            index: Some(i),
            value: v,
        });
    }
    if let Some(r) = rows
        .chunks_exact(n)
        .position(|w| w.iter().all(|&x| x == 0.0))
    {
        return Err(crate::OdeError::InvalidOption {
            name: "linear invariants",
            reason: format!("row {r} is zero"),
        });
    }
    Ok(())
}
