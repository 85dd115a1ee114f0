//! Right-hand sides with a network term: the neural ODE `y' = NN(φ(y); θ)` (Chen et al. 2018)
//! and the universal differential equation `y' = f_known(t, y) + M·NN(φ(y); θ)` (Rackauckas et
//! al. 2020, eq. (2)), where `M` scatters the network outputs into chosen state components and
//! `φ` is a fixed input map (identity, or the cube of `torchdiffeq`'s spiral example).
//!
//! Everything is batched: a state of `batch × dim` numbers is `batch` independent trajectories
//! sharing one time grid (as in `torchdiffeq`), so one network call serves the whole batch.

use std::cell::RefCell;

use ai4de_ode::jacobian::JacDual as Dual64;
use ai4de_ode::sensitivity::ParametricSystem;
use ai4de_ode::OdeError;

use crate::mlp::{check_len, Mlp, MlpWorkspace};
use crate::NodeError;

/// A known-physics term `f_known(t, y)` of a universal differential equation, with its
/// vector–Jacobian product in `y`. Evaluated on one trajectory's state (`dim` numbers).
pub trait KnownTerm: Send + Sync {
    /// State dimension.
    fn dim(&self) -> usize;
    /// `dy = f_known(t, y)` (overwrites `dy`).
    fn eval(&self, t: f64, y: &[f64], dy: &mut [f64]);
    /// `out = (∂f_known/∂y)ᵀ w` (overwrites `out`).
    fn vjp_y(&self, t: f64, y: &[f64], w: &[f64], out: &mut [f64]);
    /// `out = ∂f_known/∂t · dt + ∂f_known/∂y · v` (overwrites `out`): the forward-mode product
    /// that dual-number sensitivities and stiff solvers' Jacobians need.
    fn jvp(&self, t: f64, dt: f64, y: &[f64], v: &[f64], out: &mut [f64]);
}

/// A linear known term `f_known(y) = A y` (`A` row-major `dim × dim`), e.g. the growth and decay
/// terms `αx`, `−δy` of Lotka–Volterra.
#[derive(Debug, Clone, PartialEq)]
pub struct LinearTerm {
    dim: usize,
    a: Vec<f64>,
}

impl LinearTerm {
    /// `A` given row-major; errors on a non-square or non-finite matrix.
    pub fn new(dim: usize, a: Vec<f64>) -> Result<Self, NodeError> {
        check_len("linear term matrix", dim * dim, a.len())?;
        crate::mlp::check_finite("linear term entry", &a)?;
        Ok(Self { dim, a })
    }
    /// The diagonal matrix `diag(d)`.
    pub fn diagonal(d: &[f64]) -> Result<Self, NodeError> {
        let n = d.len();
        let mut a = vec![0.0; n * n];
        for (i, &v) in d.iter().enumerate() {
            a[i * n + i] = v;
        }
        Self::new(n, a)
    }
}

impl KnownTerm for LinearTerm {
    fn dim(&self) -> usize {
        self.dim
    }
    fn eval(&self, _t: f64, y: &[f64], dy: &mut [f64]) {
        let n = self.dim;
        for (i, d) in dy.iter_mut().enumerate() {
            *d = self.a[i * n..(i + 1) * n]
                .iter()
                .zip(y)
                .map(|(a, b)| a * b)
                .sum();
        }
    }
    fn vjp_y(&self, _t: f64, _y: &[f64], w: &[f64], out: &mut [f64]) {
        let n = self.dim;
        out.fill(0.0);
        for (i, &wi) in w.iter().enumerate() {
            for (o, a) in out.iter_mut().zip(&self.a[i * n..(i + 1) * n]) {
                *o += wi * a;
            }
        }
    }
    fn jvp(&self, t: f64, _dt: f64, _y: &[f64], v: &[f64], out: &mut [f64]) {
        self.eval(t, v, out);
    }
}

/// The fixed map `φ` applied to the state before the network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputMap {
    /// `φ(y) = y`.
    Identity,
    /// `φ(y) = y³` componentwise (`torchdiffeq`'s `ode_demo.py` feeds `y**3` to its network).
    Cube,
}

/// A right-hand side with a network term; see the [module docs](self).
pub struct NeuralRhs {
    dim: usize,
    mlp: Mlp,
    input: InputMap,
    known: Option<Box<dyn KnownTerm>>,
    /// State component receiving network output `j`.
    targets: Vec<usize>,
}

impl std::fmt::Debug for NeuralRhs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NeuralRhs")
            .field("dim", &self.dim)
            .field("mlp", &self.mlp)
            .field("input", &self.input)
            .field("known", &self.known.is_some())
            .field("targets", &self.targets)
            .finish()
    }
}

/// Scratch space of a [`NeuralRhs`] (grows with the batch; one per thread).
#[derive(Debug, Clone, Default)]
pub struct RhsWorkspace {
    mlp: MlpWorkspace,
    u: Vec<f64>,
    w_out: Vec<f64>,
    gu: Vec<f64>,
    tmp: Vec<f64>,
}

impl NeuralRhs {
    /// The neural ODE `y' = NN(φ(y); θ)`: the network maps `dim → dim`.
    pub fn neural_ode(mlp: Mlp, input: InputMap) -> Result<Self, NodeError> {
        let dim = mlp.n_in();
        check_len(
            "network output width (neural ODE: equal to the input width)",
            dim,
            mlp.n_out(),
        )?;
        Ok(Self {
            dim,
            mlp,
            input,
            known: None,
            targets: (0..dim).collect(),
        })
    }

    /// The universal differential equation `y' = f_known(t, y) + M·NN(φ(y); θ)`: `mask[i]` says
    /// whether component `i` gets a network term (the network has one output per `true`, in
    /// order, and reads the whole state).
    pub fn ude(
        known: Box<dyn KnownTerm>,
        mlp: Mlp,
        mask: &[bool],
        input: InputMap,
    ) -> Result<Self, NodeError> {
        let dim = known.dim();
        check_len("network mask", dim, mask.len())?;
        check_len("network input width (the state dimension)", dim, mlp.n_in())?;
        let targets: Vec<usize> = (0..dim).filter(|&i| mask[i]).collect();
        check_len(
            "network output width (number of masked components)",
            targets.len(),
            mlp.n_out(),
        )?;
        Ok(Self {
            dim,
            mlp,
            input,
            known: Some(known),
            targets,
        })
    }

    /// State dimension of one trajectory.
    pub fn dim(&self) -> usize {
        self.dim
    }
    /// The network.
    pub fn mlp(&self) -> &Mlp {
        &self.mlp
    }
    /// Number of trainable parameters (the network's `θ`).
    pub fn n_params(&self) -> usize {
        self.mlp.n_params()
    }
    /// The state components that receive network outputs.
    pub fn targets(&self) -> &[usize] {
        &self.targets
    }

    fn features(&self, y: &[f64], ws: &mut RhsWorkspace) {
        ws.u.clear();
        match self.input {
            InputMap::Identity => ws.u.extend_from_slice(y),
            InputMap::Cube => ws.u.extend(y.iter().map(|v| v * v * v)),
        }
    }

    /// The network term alone, `U = NN(φ(y); θ)`, for a batch (`batch × n_out`).
    pub fn network_term(
        &self,
        theta: &[f64],
        y: &[f64],
        ws: &mut RhsWorkspace,
        out: &mut [f64],
    ) -> Result<(), NodeError> {
        self.check(theta, y)?;
        self.features(y, ws);
        self.mlp.forward(theta, &ws.u, &mut ws.mlp, out)
    }

    fn check(&self, theta: &[f64], y: &[f64]) -> Result<(), NodeError> {
        check_len("parameters", self.n_params(), theta.len())?;
        if !y.len().is_multiple_of(self.dim) {
            return Err(NodeError::DimensionMismatch {
                what: "batched state (multiple of the dimension)",
                expected: y.len().div_ceil(self.dim) * self.dim,
                found: y.len(),
            });
        }
        Ok(())
    }

    /// `dy = f(t, y; θ)` for a batch of states (`batch × dim`), checked.
    pub fn eval(
        &self,
        t: f64,
        theta: &[f64],
        y: &[f64],
        ws: &mut RhsWorkspace,
        dy: &mut [f64],
    ) -> Result<(), NodeError> {
        self.check(theta, y)?;
        check_len("derivative", y.len(), dy.len())?;
        self.eval_unchecked(t, theta, y, ws, dy);
        Ok(())
    }

    /// `gy = (∂f/∂y)ᵀ w` (overwritten) and `gθ += (∂f/∂θ)ᵀ w` for a batch, checked.
    #[allow(clippy::too_many_arguments)]
    pub fn vjp(
        &self,
        t: f64,
        theta: &[f64],
        y: &[f64],
        w: &[f64],
        ws: &mut RhsWorkspace,
        gy: &mut [f64],
        gtheta: &mut [f64],
    ) -> Result<(), NodeError> {
        self.check(theta, y)?;
        check_len("cotangent", y.len(), w.len())?;
        check_len("state cotangent", y.len(), gy.len())?;
        check_len("parameter cotangent", self.n_params(), gtheta.len())?;
        self.vjp_unchecked(t, theta, y, w, ws, gy, gtheta);
        Ok(())
    }

    pub(crate) fn eval_unchecked(
        &self,
        t: f64,
        theta: &[f64],
        y: &[f64],
        ws: &mut RhsWorkspace,
        dy: &mut [f64],
    ) {
        let n = self.dim;
        let batch = y.len() / n;
        self.features(y, ws);
        self.mlp.forward_unchecked(theta, &ws.u, &mut ws.mlp);
        let out = self.mlp.output(&ws.mlp, batch);
        let m = self.targets.len();
        for s in 0..batch {
            let d = &mut dy[s * n..(s + 1) * n];
            match &self.known {
                Some(k) => k.eval(t, &y[s * n..(s + 1) * n], d),
                None => d.fill(0.0),
            }
            for (j, &c) in self.targets.iter().enumerate() {
                d[c] += out[s * m + j];
            }
        }
    }

    /// Floats of the activation record of one evaluation of a batch of `batch` trajectories
    /// ([`NeuralRhs::eval_keep`]).
    pub(crate) fn keep_len(&self, batch: usize) -> usize {
        self.mlp.keep_len(batch)
    }

    /// [`NeuralRhs::eval_unchecked`] that also records the network's hidden activations into
    /// `keep` ([`NeuralRhs::keep_len`] floats) for [`NeuralRhs::vjp_kept`].
    pub(crate) fn eval_keep(
        &self,
        t: f64,
        theta: &[f64],
        y: &[f64],
        ws: &mut RhsWorkspace,
        dy: &mut [f64],
        keep: &mut [f64],
    ) {
        self.eval_unchecked(t, theta, y, ws, dy);
        self.mlp.keep_activations(&ws.mlp, y.len() / self.dim, keep);
    }

    /// [`NeuralRhs::vjp_unchecked`] at a point evaluated by [`NeuralRhs::eval_keep`] with the
    /// same `θ` and `y`, from its record: the network's forward pass is not repeated.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn vjp_kept(
        &self,
        t: f64,
        theta: &[f64],
        y: &[f64],
        keep: &[f64],
        w: &[f64],
        ws: &mut RhsWorkspace,
        gy: &mut [f64],
        gtheta: &mut [f64],
    ) {
        self.vjp_impl(t, theta, y, Some(keep), w, ws, gy, gtheta);
    }

    #[allow(clippy::too_many_arguments)]
    pub(crate) fn vjp_unchecked(
        &self,
        t: f64,
        theta: &[f64],
        y: &[f64],
        w: &[f64],
        ws: &mut RhsWorkspace,
        gy: &mut [f64],
        gtheta: &mut [f64],
    ) {
        self.vjp_impl(t, theta, y, None, w, ws, gy, gtheta);
    }

    #[allow(clippy::too_many_arguments)]
    fn vjp_impl(
        &self,
        t: f64,
        theta: &[f64],
        y: &[f64],
        keep: Option<&[f64]>,
        w: &[f64],
        ws: &mut RhsWorkspace,
        gy: &mut [f64],
        gtheta: &mut [f64],
    ) {
        let n = self.dim;
        let batch = y.len() / n;
        let m = self.targets.len();
        self.features(y, ws);
        ws.w_out.clear();
        for s in 0..batch {
            ws.w_out.extend(self.targets.iter().map(|&c| w[s * n + c]));
        }
        ws.gu.resize(y.len(), 0.0);
        let (u, wo, gu) = (&ws.u, &ws.w_out[..batch * m], &mut ws.gu[..]);
        match keep {
            Some(keep) => self
                .mlp
                .vjp_kept(theta, u, keep, wo, &mut ws.mlp, Some(gu), gtheta),
            None => self
                .mlp
                .vjp_unchecked(theta, u, wo, &mut ws.mlp, Some(gu), gtheta),
        }
        match self.input {
            InputMap::Identity => gy.copy_from_slice(gu),
            InputMap::Cube => {
                for ((g, &gi), &yi) in gy.iter_mut().zip(gu.iter()).zip(y) {
                    *g = gi * 3.0 * yi * yi;
                }
            }
        }
        if let Some(k) = &self.known {
            ws.tmp.resize(n, 0.0);
            for s in 0..batch {
                let r = s * n..(s + 1) * n;
                k.vjp_y(t, &y[r.clone()], &w[r.clone()], &mut ws.tmp);
                for (g, v) in gy[r].iter_mut().zip(&ws.tmp) {
                    *g += v;
                }
            }
        }
    }

    /// `f` and its directional derivative `df = ∂f/∂t·dt + ∂f/∂y·v + ∂f/∂θ·dθ` for a batch.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn jvp_unchecked(
        &self,
        t: f64,
        dt: f64,
        theta: &[f64],
        dtheta: &[f64],
        y: &[f64],
        v: &[f64],
        ws: &mut RhsWorkspace,
        f: &mut [f64],
        df: &mut [f64],
    ) -> Result<(), NodeError> {
        let n = self.dim;
        let batch = y.len() / n;
        let m = self.targets.len();
        self.features(y, ws);
        ws.tmp.clear();
        match self.input {
            InputMap::Identity => ws.tmp.extend_from_slice(v),
            InputMap::Cube => ws
                .tmp
                .extend(y.iter().zip(v).map(|(yi, vi)| 3.0 * yi * yi * vi)),
        }
        ws.w_out.resize(batch * m, 0.0);
        ws.gu.resize(batch * m, 0.0);
        self.mlp.jvp(
            theta,
            &ws.u,
            &ws.tmp,
            dtheta,
            &mut ws.mlp,
            &mut ws.w_out,
            &mut ws.gu,
        )?;
        for s in 0..batch {
            let r = s * n..(s + 1) * n;
            match &self.known {
                Some(k) => {
                    k.eval(t, &y[r.clone()], &mut f[r.clone()]);
                    k.jvp(t, dt, &y[r.clone()], &v[r.clone()], &mut df[r.clone()]);
                }
                None => {
                    f[r.clone()].fill(0.0);
                    df[r.clone()].fill(0.0);
                }
            }
            for (j, &c) in self.targets.iter().enumerate() {
                f[s * n + c] += ws.w_out[s * m + j];
                df[s * n + c] += ws.gu[s * m + j];
            }
        }
        Ok(())
    }

    /// This right-hand side with parameters `θ` for `batch` independent trajectories (state
    /// `batch × dim`), as an [`ai4de_ode::OdeSystem`] and [`ai4de_ode::sensitivity::ParametricSystem`]
    /// with parameters `θ`: every solver of `ai4de-ode` integrates it (extrapolation, plots,
    /// stiff methods), and its forward sensitivities and continuous/discrete adjoints
    /// differentiate it, with vector–Jacobian products from the network's own reverse mode.
    pub fn system(&self, theta: &[f64], batch: usize) -> Result<NeuralSystem<'_>, NodeError> {
        self.mlp.check_params(theta)?;
        if batch == 0 {
            return Err(NodeError::InvalidConfig {
                what: "batch",
                reason: "at least one trajectory".into(),
            });
        }
        Ok(NeuralSystem {
            rhs: self,
            theta: theta.to_vec(),
            dim: batch * self.dim,
            scratch: RefCell::new(SystemScratch::default()),
        })
    }
}

/// A [`NeuralRhs`] with its parameters `θ`, as an [`ai4de_ode::OdeSystem`] and a
/// [`ParametricSystem`] (see [`NeuralRhs::system`]).
///
/// `rhs_params_dual` runs the network's forward mode ([`Mlp::jvp`]); `vjp_accumulate` (what the
/// discrete adjoint of `ai4de-ode` calls) runs its reverse mode once for both `(∂f/∂y)ᵀw` and
/// `(∂f/∂θ)ᵀw`; `vjp_y` does the same and keeps the latter, so the `vjp_p` that the continuous
/// adjoint asks for next at the same `(t, y, w)` costs a comparison and a copy.
#[derive(Debug)]
pub struct NeuralSystem<'a> {
    rhs: &'a NeuralRhs,
    theta: Vec<f64>,
    dim: usize,
    scratch: RefCell<SystemScratch>,
}

#[derive(Debug, Default)]
struct SystemScratch {
    ws: RhsWorkspace,
    re: Vec<f64>,
    tan: Vec<f64>,
    dtheta: Vec<f64>,
    f: Vec<f64>,
    df: Vec<f64>,
    /// `(t, y, w)` of the last `vjp_y` and the `(∂f/∂θ)ᵀ w` it computed.
    key_t: f64,
    key_y: Vec<f64>,
    key_w: Vec<f64>,
    gtheta: Vec<f64>,
    cached: bool,
    /// Per slot of the discrete adjoint's recorded pass (`rhs_slot`): the state evaluated and
    /// the network's hidden activations there (`dim` and `keep_len` floats per slot).
    slot_y: Vec<f64>,
    slot_keep: Vec<f64>,
}

impl NeuralSystem<'_> {
    /// The parameters `θ`.
    pub fn theta(&self) -> &[f64] {
        &self.theta
    }

    fn dual_eval(&self, t: Dual64, y: &[Dual64], p: Option<&[Dual64]>, dy: &mut [Dual64]) {
        let mut guard = self.scratch.borrow_mut();
        let s = &mut *guard;
        let n = y.len();
        s.re.clear();
        s.re.extend(y.iter().map(|d| d.re));
        s.tan.clear();
        s.tan.extend(y.iter().map(|d| d.eps));
        s.dtheta.clear();
        match p {
            Some(p) => s.dtheta.extend(p.iter().map(|d| d.eps)),
            None => s.dtheta.resize(self.theta.len(), 0.0),
        }
        s.f.resize(n, 0.0);
        s.df.resize(n, 0.0);
        // lengths are the solver's (dim, n_params), checked at construction
        let ok = self.rhs.jvp_unchecked(
            t.re,
            t.eps,
            &self.theta,
            &s.dtheta,
            &s.re,
            &s.tan,
            &mut s.ws,
            &mut s.f,
            &mut s.df,
        );
        if ok.is_err() {
            dy.fill(Dual64::from_re(f64::NAN));
            return;
        }
        for ((d, &f), &df) in dy.iter_mut().zip(&s.f).zip(&s.df) {
            *d = Dual64::new(f, df);
        }
    }
}

impl ai4de_ode::OdeSystem for NeuralSystem<'_> {
    fn dim(&self) -> usize {
        self.dim
    }
    fn rhs(&self, t: f64, y: &[f64], dy: &mut [f64]) {
        let mut s = self.scratch.borrow_mut();
        self.rhs.eval_unchecked(t, &self.theta, y, &mut s.ws, dy);
    }
    fn rhs_dual(&self, t: Dual64, y: &[Dual64], dy: &mut [Dual64]) -> bool {
        self.dual_eval(t, y, None, dy);
        true
    }
}

impl ParametricSystem for NeuralSystem<'_> {
    fn n_params(&self) -> usize {
        self.theta.len()
    }
    fn param_values(&self) -> Vec<f64> {
        self.theta.clone()
    }
    fn set_params(&mut self, p: &[f64]) -> Result<(), OdeError> {
        ai4de_ode::sensitivity::check_params(p, self.theta.len())?;
        self.theta.copy_from_slice(p);
        let s = self.scratch.get_mut();
        s.cached = false;
        // records made with other parameters must not be used
        s.slot_y.fill(f64::NAN);
        Ok(())
    }
    fn param_names(&self) -> Vec<String> {
        (0..self.theta.len()).map(|i| format!("theta{i}")).collect()
    }
    fn rhs_params_dual(&self, t: Dual64, y: &[Dual64], p: &[Dual64], dy: &mut [Dual64]) -> bool {
        self.dual_eval(t, y, Some(p), dy);
        true
    }
    fn vjp_y(&self, t: f64, y: &[f64], w: &[f64], out: &mut [f64]) -> bool {
        let mut guard = self.scratch.borrow_mut();
        let s = &mut *guard;
        s.gtheta.clear();
        s.gtheta.resize(self.theta.len(), 0.0);
        self.rhs
            .vjp_unchecked(t, &self.theta, y, w, &mut s.ws, out, &mut s.gtheta);
        s.key_t = t;
        s.key_y.clear();
        s.key_y.extend_from_slice(y);
        s.key_w.clear();
        s.key_w.extend_from_slice(w);
        s.cached = true;
        true
    }
    fn rhs_slot(&self, t: f64, y: &[f64], dy: &mut [f64], slot: usize) {
        let mut guard = self.scratch.borrow_mut();
        let s = &mut *guard;
        let kl = self.rhs.keep_len(y.len() / self.rhs.dim());
        let n = y.len();
        if s.slot_y.len() < (slot + 1) * n {
            // grows to the longest recorded solve, then stays (no allocation per solve)
            s.slot_y.resize((slot + 1) * n, f64::NAN);
            s.slot_keep.resize((slot + 1) * kl, 0.0);
        }
        s.slot_y[slot * n..(slot + 1) * n].copy_from_slice(y);
        self.rhs.eval_keep(
            t,
            &self.theta,
            y,
            &mut s.ws,
            dy,
            &mut s.slot_keep[slot * kl..(slot + 1) * kl],
        );
    }
    fn vjp_slot(
        &self,
        slot: usize,
        t: f64,
        y: &[f64],
        w: &[f64],
        out_y: &mut [f64],
        acc_p: &mut [f64],
    ) -> bool {
        let mut guard = self.scratch.borrow_mut();
        let s = &mut *guard;
        let kl = self.rhs.keep_len(y.len() / self.rhs.dim());
        let n = y.len();
        // the record is used only for the very state it was made at
        if s.slot_y.len() < (slot + 1) * n || s.slot_y[slot * n..(slot + 1) * n] != *y {
            return false;
        }
        self.rhs.vjp_kept(
            t,
            &self.theta,
            y,
            &s.slot_keep[slot * kl..(slot + 1) * kl],
            w,
            &mut s.ws,
            out_y,
            acc_p,
        );
        true
    }
    fn vjp_accumulate(
        &self,
        t: f64,
        y: &[f64],
        w: &[f64],
        out_y: &mut [f64],
        acc_p: &mut [f64],
    ) -> bool {
        let mut s = self.scratch.borrow_mut();
        self.rhs
            .vjp_unchecked(t, &self.theta, y, w, &mut s.ws, out_y, acc_p);
        true
    }
    fn vjp_p(&self, t: f64, y: &[f64], w: &[f64], out: &mut [f64]) -> bool {
        let mut guard = self.scratch.borrow_mut();
        let s = &mut *guard;
        if !(s.cached && s.key_t == t && s.key_y == y && s.key_w == w) {
            s.gtheta.clear();
            s.gtheta.resize(self.theta.len(), 0.0);
            s.key_y.clear();
            s.key_y.extend_from_slice(y);
            s.f.resize(y.len(), 0.0);
            self.rhs
                .vjp_unchecked(t, &self.theta, y, w, &mut s.ws, &mut s.f, &mut s.gtheta);
            s.key_t = t;
            s.key_w.clear();
            s.key_w.extend_from_slice(w);
            s.cached = true;
        }
        out.copy_from_slice(&s.gtheta);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Activation;

    #[test]
    fn ude_vjp_matches_central_differences() {
        let known = LinearTerm::diagonal(&[1.3, -1.8]).unwrap();
        for (mask, nout, input) in [
            (vec![true, true], 2, InputMap::Identity),
            (vec![false, true], 1, InputMap::Cube),
        ] {
            let mlp = Mlp::new(&[2, 5, 5, nout], Activation::Rbf).unwrap();
            let theta = mlp.init_glorot(5);
            let rhs = NeuralRhs::ude(Box::new(known.clone()), mlp, &mask, input).unwrap();
            let y = [0.7, 1.9, 0.3, -0.4];
            let w = [0.5, -1.0, 2.0, 0.25];
            let mut ws = RhsWorkspace::default();
            let mut gy = [0.0; 4];
            let mut gt = vec![0.0; rhs.n_params()];
            rhs.vjp(0.0, &theta, &y, &w, &mut ws, &mut gy, &mut gt)
                .unwrap();
            let mut dy = [0.0; 4];
            let mut f = |th: &[f64], yy: &[f64]| {
                rhs.eval(0.0, th, yy, &mut ws, &mut dy).unwrap();
                dy.iter().zip(&w).map(|(a, b)| a * b).sum::<f64>()
            };
            let h = 1e-6;
            // floors: 1 % of the largest entry (FD round-off is ~1e-10 absolute)
            let sy = gy.iter().fold(0.0f64, |m, v| m.max(v.abs()));
            let st = gt.iter().fold(0.0f64, |m, v| m.max(v.abs()));
            for i in 0..4 {
                let (mut p, mut m) = (y, y);
                p[i] += h;
                m[i] -= h;
                let fd = (f(&theta, &p) - f(&theta, &m)) / (2.0 * h);
                assert!(
                    (fd - gy[i]).abs() <= 1e-7 * fd.abs().max(1e-2 * sy),
                    "gy[{i}] {fd} vs {}",
                    gy[i]
                );
            }
            for i in 0..theta.len() {
                let (mut p, mut m) = (theta.clone(), theta.clone());
                p[i] += h;
                m[i] -= h;
                let fd = (f(&p, &y) - f(&m, &y)) / (2.0 * h);
                assert!(
                    (fd - gt[i]).abs() <= 1e-7 * fd.abs().max(1e-2 * st),
                    "gθ[{i}] {fd} vs {}",
                    gt[i]
                );
            }
        }
    }

    /// A record is used only at the state it was made at and with the parameters it was made
    /// with; then its VJP equals the recomputing one.
    #[test]
    fn slot_records_are_used_only_where_valid() {
        let mlp = Mlp::new(&[2, 6, 2], Activation::Tanh).unwrap();
        let theta = mlp.init_glorot(2);
        let rhs = NeuralRhs::neural_ode(mlp, InputMap::Cube).unwrap();
        let mut sys = rhs.system(&theta, 2).unwrap();
        let y = [0.3, -0.2, 1.1, 0.4];
        let w = [1.0, 0.5, -0.25, 2.0];
        let mut dy = [0.0; 4];
        sys.rhs_slot(0.0, &y, &mut dy, 3);
        let (mut gy, mut gp) = ([0.0; 4], vec![0.0; theta.len()]);
        assert!(sys.vjp_slot(3, 0.0, &y, &w, &mut gy, &mut gp));
        let (mut gy2, mut gp2) = ([0.0; 4], vec![0.0; theta.len()]);
        assert!(sys.vjp_accumulate(0.0, &y, &w, &mut gy2, &mut gp2));
        assert_eq!((gy, &gp), (gy2, &gp2));
        let other = [0.3, -0.2, 1.1, 0.5];
        assert!(!sys.vjp_slot(3, 0.0, &other, &w, &mut gy, &mut gp));
        assert!(!sys.vjp_slot(4, 0.0, &y, &w, &mut gy, &mut gp));
        sys.set_params(&theta).unwrap();
        assert!(!sys.vjp_slot(3, 0.0, &y, &w, &mut gy, &mut gp));
    }

    #[test]
    fn shapes_are_validated() {
        let mlp = Mlp::new(&[2, 4, 3], Activation::Tanh).unwrap();
        assert!(NeuralRhs::neural_ode(mlp.clone(), InputMap::Identity).is_err());
        let known = LinearTerm::diagonal(&[1.0, 1.0]).unwrap();
        assert!(NeuralRhs::ude(Box::new(known), mlp, &[true, true], InputMap::Identity).is_err());
        assert!(LinearTerm::new(2, vec![1.0; 3]).is_err());
    }
}
