//! Steady Darcy flow `−∇·(a ∇u) = f` on the unit square with `u = 0` on the boundary, the
//! elliptic benchmark of the FNO paper (Li et al. 2021, ICLR, §5.2: `f = 1`, `a` piecewise
//! constant from a thresholded Gaussian random field).
//!
//! Discretisation: the standard 5-point finite-difference (finite-volume) scheme on the nodes
//! `x_i = i h`, `h = 1/(n − 1)`, with face coefficients taken as harmonic means of the nodal
//! values, `a_{i+½,j} = 2 a_{ij} a_{i+1,j} / (a_{ij} + a_{i+1,j})` — the flux-continuous choice
//! for discontinuous coefficients (LeVeque, *Finite Difference Methods for Ordinary and Partial
//! Differential Equations*, SIAM 2007, §2.15; second order for smooth `a`). The resulting matrix
//! on the `(n − 2)²` interior nodes is symmetric positive definite and is factored by `faer`'s
//! sparse Cholesky with an AMD ordering; the symbolic factorisation depends only on `n` and is
//! done once per [`DarcySolver`]. Everything runs sequentially (`Par::Seq`) so results do not
//! depend on the thread count.

use faer::dyn_stack::{MemBuffer, MemStack};
use faer::sparse::linalg::cholesky::{
    factorize_symbolic_cholesky, CholeskySymbolicParams, LltRef, SymbolicCholesky,
    SymmetricOrdering,
};
use faer::sparse::{SparseColMatRef, SymbolicSparseColMatRef};
use faer::{Conj, MatMut, Par, Side};

use std::collections::BTreeMap;

use super::grf::{threshold, GrfNeumann};
use crate::dataset::resolve_params;
use crate::random::sample_rng;
use crate::{DatasetPde, FieldSpec, GenConfig, Layout, ParamInfo, PdeError, PdeInfo, Sample};

/// A reusable solver of the 5-point Darcy problem on an `n × n` node grid (boundary included).
pub struct DarcySolver {
    n: usize,
    col_ptr: Vec<usize>,
    row_idx: Vec<usize>,
    values: Vec<f64>,
    symbolic: SymbolicCholesky<usize>,
    l_values: Vec<f64>,
    mem: MemBuffer,
    rhs: Vec<f64>,
}

impl std::fmt::Debug for DarcySolver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DarcySolver")
            .field("n", &self.n)
            .finish_non_exhaustive()
    }
}

impl DarcySolver {
    /// Builds the sparsity pattern and its symbolic Cholesky factorisation; `n >= 3`.
    pub fn new(n: usize) -> Result<Self, PdeError> {
        if n < 3 {
            return Err(PdeError::InvalidGrid {
                pde: "darcy".into(),
                grid: vec![n, n],
                reason: "need at least 3 points per side (one interior node)".into(),
            });
        }
        let m = n - 2;
        let unknowns = m * m;
        // lower triangle, column by column: diagonal, east neighbour (j+1), south neighbour (i+1)
        let mut col_ptr = Vec::with_capacity(unknowns + 1);
        let mut row_idx = Vec::with_capacity(3 * unknowns);
        col_ptr.push(0);
        for i in 0..m {
            for j in 0..m {
                let c = i * m + j;
                row_idx.push(c);
                if j + 1 < m {
                    row_idx.push(c + 1);
                }
                if i + 1 < m {
                    row_idx.push(c + m);
                }
                col_ptr.push(row_idx.len());
            }
        }
        let symbolic_mat =
            SymbolicSparseColMatRef::new_checked(unknowns, unknowns, &col_ptr, None, &row_idx);
        let symbolic = factorize_symbolic_cholesky(
            symbolic_mat,
            Side::Lower,
            SymmetricOrdering::Amd,
            CholeskySymbolicParams::default(),
        )
        .map_err(|e| PdeError::LinearSolve {
            pde: "darcy".into(),
            reason: format!("symbolic Cholesky factorisation: {e:?}"),
        })?;
        let req = symbolic
            .factorize_numeric_llt_scratch::<f64>(Par::Seq, Default::default())
            .or(symbolic.solve_in_place_scratch::<f64>(1, Par::Seq));
        let mem = MemBuffer::try_new(req).map_err(|_| PdeError::LinearSolve {
            pde: "darcy".into(),
            reason: "out of memory for the factorisation workspace".into(),
        })?;
        let nnz = row_idx.len();
        Ok(Self {
            n,
            l_values: vec![0.0; symbolic.len_val()],
            values: vec![0.0; nnz],
            col_ptr,
            row_idx,
            symbolic,
            mem,
            rhs: vec![0.0; unknowns],
        })
    }

    /// Points per side (boundary included).
    pub fn n(&self) -> usize {
        self.n
    }

    /// Solves `−∇·(a∇u) = f`, `u = 0` on the boundary, for nodal `a` (positive, finite) and `f`
    /// (`n²` values each, row-major `[x][y]`), writing all `n²` nodal values of `u`.
    pub fn solve(&mut self, a: &[f64], f: &[f64], u: &mut [f64]) -> Result<(), PdeError> {
        let n = self.n;
        assert_eq!(a.len(), n * n, "DarcySolver::solve: a length");
        assert_eq!(f.len(), n * n, "DarcySolver::solve: f length");
        assert_eq!(u.len(), n * n, "DarcySolver::solve: u length");
        if let Some((idx, &v)) = a
            .iter()
            .enumerate()
            .find(|(_, v)| !(v.is_finite() && **v > 0.0))
        {
            return Err(PdeError::InvalidValue {
                pde: "darcy".into(),
                what: format!("a[{}][{}]", idx / n, idx % n),
                value: v,
                reason: "the permeability must be positive and finite".into(),
            });
        }
        if let Some(idx) = f.iter().position(|v| !v.is_finite()) {
            return Err(PdeError::InvalidValue {
                pde: "darcy".into(),
                what: format!("f[{}][{}]", idx / n, idx % n),
                value: f[idx],
                reason: "the source must be finite".into(),
            });
        }
        let m = n - 2;
        let h2 = 1.0 / ((n - 1) as f64).powi(2);
        let hm = |p: f64, q: f64| 2.0 * p * q / (p + q);
        let node = |i: usize, j: usize| a[i * n + j];
        let mut k = 0;
        for i in 1..=m {
            for j in 1..=m {
                let c = node(i, j);
                let (ae, aw) = (hm(c, node(i, j + 1)), hm(c, node(i, j - 1)));
                let (as_, an) = (hm(c, node(i + 1, j)), hm(c, node(i - 1, j)));
                self.values[k] = ae + aw + as_ + an;
                k += 1;
                if j < m {
                    self.values[k] = -ae;
                    k += 1;
                }
                if i < m {
                    self.values[k] = -as_;
                    k += 1;
                }
                self.rhs[(i - 1) * m + (j - 1)] = h2 * f[i * n + j];
            }
        }
        let unknowns = m * m;
        let mat = SparseColMatRef::new(
            SymbolicSparseColMatRef::new_checked(
                unknowns,
                unknowns,
                &self.col_ptr,
                None,
                &self.row_idx,
            ),
            &self.values,
        );
        let stack = MemStack::new(&mut self.mem);
        self.symbolic
            .factorize_numeric_llt::<f64>(
                &mut self.l_values,
                mat,
                Side::Lower,
                Default::default(),
                Par::Seq,
                stack,
                Default::default(),
            )
            .map_err(|e| PdeError::LinearSolve {
                pde: "darcy".into(),
                reason: format!("Cholesky factorisation: {e:?}"),
            })?;
        let llt = LltRef::<'_, usize, f64>::new(&self.symbolic, &self.l_values);
        let stack = MemStack::new(&mut self.mem);
        llt.solve_in_place_with_conj(
            Conj::No,
            MatMut::from_column_major_slice_mut(&mut self.rhs, unknowns, 1),
            Par::Seq,
            stack,
        );
        u.fill(0.0);
        for i in 1..=m {
            for j in 1..=m {
                u[i * n + j] = self.rhs[(i - 1) * m + (j - 1)];
            }
        }
        if let Some(idx) = u.iter().position(|v| !v.is_finite()) {
            return Err(PdeError::LinearSolve {
                pde: "darcy".into(),
                reason: format!("non-finite solution at node ({}, {})", idx / n, idx % n),
            });
        }
        Ok(())
    }
}

/// Catalogue entry `darcy`: the FNO Darcy-flow data set. Fields `a` (the permeability) and `u`
/// (the pressure), both `["x", "y"]` on the `n × n` nodes of `[0, 1]²` (boundary included).
#[derive(Debug, Clone, Copy, Default)]
pub struct Darcy;

const DARCY_NAME: &str = "darcy";

impl Darcy {
    fn params() -> Vec<ParamInfo> {
        vec![
            ParamInfo {
                name: "a_pos",
                default: 12.0,
                description: "permeability where the GRF is >= 0",
            },
            ParamInfo {
                name: "a_neg",
                default: 3.0,
                description: "permeability where the GRF is < 0",
            },
            ParamInfo {
                name: "alpha",
                default: 2.0,
                description: "GRF exponent (covariance (-lap + tau^2)^-alpha)",
            },
            ParamInfo {
                name: "tau",
                default: 3.0,
                description: "GRF inverse length scale",
            },
            ParamInfo {
                name: "f",
                default: 1.0,
                description: "constant source term",
            },
        ]
    }

    fn resolve(cfg: &GenConfig) -> Result<(usize, BTreeMap<String, f64>), PdeError> {
        let p = resolve_params(DARCY_NAME, &Self::params(), &cfg.params)?;
        let n = super::square_grid(DARCY_NAME, &cfg.grid, 85)?;
        let bad = |what: &str, value: f64, reason: &str| PdeError::InvalidValue {
            pde: DARCY_NAME.into(),
            what: what.into(),
            value,
            reason: reason.into(),
        };
        if n < 3 {
            return Err(PdeError::InvalidGrid {
                pde: DARCY_NAME.into(),
                grid: cfg.grid.clone(),
                reason: "need at least 3 points per side (one interior node)".into(),
            });
        }
        if let Some(s) = cfg.steps {
            if s != 1 {
                return Err(bad(
                    "steps",
                    s as f64,
                    "a steady problem has exactly 1 step",
                ));
            }
        }
        for name in ["a_pos", "a_neg"] {
            if p[name] <= 0.0 {
                return Err(bad(name, p[name], "the permeability must be positive"));
            }
        }
        if p["alpha"] <= 0.0 {
            return Err(bad("alpha", p["alpha"], "must be positive"));
        }
        if p["tau"] <= 0.0 {
            return Err(bad("tau", p["tau"], "must be positive"));
        }
        Ok((n, p))
    }
}

impl DatasetPde for Darcy {
    fn info(&self) -> PdeInfo {
        PdeInfo {
            name: DARCY_NAME,
            equation: "-div(a grad u) = f, f = 1",
            domain: "(x, y) in [0, 1]^2 (steady)",
            boundary: "u = 0 on the boundary",
            sampler: "a = 12 where g >= 0, 3 where g < 0, g ~ GRF N(0, (-lap + 9 I)^-2) \
                      (Neumann cosine series, FNO GRF.m)",
            solver: "5-point finite differences, harmonic-mean face coefficients, sparse \
                     Cholesky (faer, AMD ordering)",
            source:
                "Li et al. 2021, Fourier Neural Operator for Parametric PDEs (ICLR), Darcy flow",
            spatial_dims: 2,
            default_grid: vec![85, 85],
            default_steps: 1,
            params: Self::params(),
        }
    }

    fn layout(&self, cfg: &GenConfig) -> Result<Layout, PdeError> {
        let (n, params) = Self::resolve(cfg)?;
        let x: Vec<f64> = (0..n).map(|i| i as f64 / (n - 1) as f64).collect();
        let spec = |name: &str| FieldSpec {
            name: name.into(),
            dims: vec!["x".into(), "y".into()],
            shape: vec![n, n],
        };
        Ok(Layout {
            fields: vec![spec("a"), spec("u")],
            coords: vec![("x".into(), x.clone()), ("y".into(), x)],
            params,
            solver: serde_json::json!({
                "discretisation": "5-point finite differences, harmonic-mean face coefficients",
                "linear_solver": "faer sparse Cholesky (AMD), sequential, direct",
            }),
        })
    }

    fn sample(&self, cfg: &GenConfig, seed: u64, index: u64) -> Result<Sample, PdeError> {
        let (n, p) = Self::resolve(cfg)?;
        let mut rng = sample_rng(seed, index);
        let mut g = vec![0.0; n * n];
        GrfNeumann::new(n, p["alpha"], p["tau"]).sample_into(&mut rng, &mut g);
        let mut a = vec![0.0; n * n];
        threshold(&g, p["a_pos"], p["a_neg"], &mut a);
        let f = vec![p["f"]; n * n];
        let mut u = vec![0.0; n * n];
        DarcySolver::new(n)?.solve(&a, &f, &mut u)?;
        Ok(Sample { fields: vec![a, u] })
    }
}
