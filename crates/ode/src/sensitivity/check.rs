//! A gradient check users can call: forward sensitivities, the continuous and discrete
//! adjoints and central finite differences of the same loss, side by side.

use std::fmt;

use super::adjoint::{ContinuousAdjoint, TrajectoryLoss};
use super::discrete::DiscreteAdjoint;
use super::mode::{forward_gradient, loss_value};
use super::ParametricSystem;
use crate::error::OdeError;
use crate::methods::Method;
use crate::solve::{Options, Tolerance};

/// Options of [`gradient_check`].
#[derive(Debug, Clone)]
pub struct GradientCheckOptions {
    /// Method of every solve (default [`Method::Tsit5`]; take a stiff one for stiff problems).
    pub method: Method,
    /// Tolerances of the sensitivity solves (forward and adjoints). Default `1e-10`, `1e-12`.
    pub rtol: f64,
    pub atol: f64,
    /// Tolerances of the finite-difference solves: tighter than `rtol`, because solver noise
    /// `ε` in the loss becomes an error `≈ ε |L| / h` in a difference quotient. Default
    /// `1e-12`, `1e-14`.
    pub fd_rtol: f64,
    pub fd_atol: f64,
    /// Relative finite-difference step: entry `j` is perturbed by `h_j = fd_step · s_j`, `h_j/2`
    /// and `h_j/4` with `s_j = |θ_j|`; for a zero parameter `s_j` is the largest `|p_k|` (1
    /// if all are zero), for a zero initial state the component's largest magnitude along the
    /// trajectory (1 if it stays zero). Default `1e-3`: the Richardson value has truncation
    /// error `O(h⁴)`, so the best step balances `h⁴` against `ε / h`, `h ≈ ε^{1/5}` (Press et
    /// al., *Numerical Recipes*, §5.7).
    pub fd_step: f64,
    /// Per-entry absolute steps (length `n_p`, or `n_p + n` with the initial states),
    /// overriding `fd_step`.
    pub fd_steps: Option<Vec<f64>>,
    /// Also check `∂L/∂y0` (default `true`).
    pub initial_state: bool,
    /// The relative tolerance of the verdict (default `1e-6`, the acceptance level of issue 6).
    pub tolerance: f64,
    /// Whether to run the discrete adjoint when the method is explicit and the loss has no
    /// running cost (default `true`).
    pub discrete: bool,
    /// Maximum steps of every solve.
    pub max_steps: usize,
}

impl Default for GradientCheckOptions {
    fn default() -> Self {
        Self {
            method: Method::Tsit5,
            rtol: 1e-10,
            atol: 1e-12,
            fd_rtol: 1e-12,
            fd_atol: 1e-14,
            fd_step: 1e-3,
            fd_steps: None,
            initial_state: true,
            tolerance: 1e-6,
            discrete: true,
            max_steps: 1_000_000,
        }
    }
}

/// One way of computing the gradient.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckedMode {
    Forward,
    ContinuousAdjoint,
    DiscreteAdjoint,
}

impl fmt::Display for CheckedMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CheckedMode::Forward => "forward",
            CheckedMode::ContinuousAdjoint => "adjoint",
            CheckedMode::DiscreteAdjoint => "discrete",
        })
    }
}

/// What one mode gave.
#[derive(Debug, Clone)]
pub enum ModeResult {
    /// The gradient (`n_p` entries, then `n` initial-state entries when checked).
    Gradient(Vec<f64>),
    /// Not applicable to this system, loss or method (e.g. the discrete adjoint of an implicit
    /// method, the continuous adjoint of a DAE); not a failure.
    Skipped(String),
    /// The computation failed: a failure of the check.
    Failed(OdeError),
}

/// One mode's gradient and its errors.
#[derive(Debug, Clone)]
pub struct ModeCheck {
    pub mode: CheckedMode,
    pub result: ModeResult,
    /// Per entry, `|g_j − fd_j| / max(|fd_j|, 1e-3 · max_k |fd_k|)` (empty unless a gradient).
    pub rel_error_fd: Vec<f64>,
    /// Per entry, the same relative error against the first available mode (the reference:
    /// forward, else the continuous adjoint); zeros for the reference itself.
    pub rel_error_reference: Vec<f64>,
}

/// The result of [`gradient_check`]; [`fmt::Display`] prints a table.
#[derive(Debug, Clone)]
pub struct GradientCheckReport {
    /// Entry names: the parameter names, then `y0[<k>]`.
    pub names: Vec<String>,
    /// The loss at the checked point (finite-difference solve).
    pub loss: f64,
    /// Central differences `D(h)`, Richardson-extrapolated: `R(h/2) = (4 D(h/4) − D(h/2)) / 3`
    /// (truncation error `O(h⁴)`).
    pub finite_difference: Vec<f64>,
    /// Estimated absolute error of each finite difference: `|R(h/2) − R(h)|`, the difference
    /// between two extrapolations, which over-estimates the error of the finer one (by about
    /// 16 in the asymptotic range) and also picks up solver noise amplified by `1/h`.
    pub fd_error: Vec<f64>,
    /// The absolute steps used.
    pub fd_steps: Vec<f64>,
    pub modes: Vec<ModeCheck>,
    /// The verdict's tolerance.
    pub tolerance: f64,
    /// Per entry: whether the finite difference resolves the entry to the tolerance
    /// (`fd_error ≤ tolerance · scale`); an entry where it does not is judged by the modes'
    /// agreement with each other and with the difference within its estimated error.
    pub fd_conclusive: Vec<bool>,
    /// Whether every mode that ran agrees with the reference to `tolerance` relative and with
    /// the finite difference (to `tolerance` relative plus three times its estimated error),
    /// no mode failed, and at least one mode ran.
    pub passed: bool,
}

impl GradientCheckReport {
    /// The gradient of `mode`, if it ran.
    pub fn gradient(&self, mode: CheckedMode) -> Option<&[f64]> {
        self.modes
            .iter()
            .find(|m| m.mode == mode)
            .and_then(|m| match &m.result {
                ModeResult::Gradient(g) => Some(g.as_slice()),
                _ => None,
            })
    }

    /// The largest relative error of any mode against the finite differences.
    pub fn max_rel_error_fd(&self) -> f64 {
        self.modes
            .iter()
            .flat_map(|m| m.rel_error_fd.iter().copied())
            .fold(0.0, f64::max)
    }

    /// The largest relative disagreement between modes.
    pub fn max_rel_error_between_modes(&self) -> f64 {
        self.modes
            .iter()
            .flat_map(|m| m.rel_error_reference.iter().copied())
            .fold(0.0, f64::max)
    }
}

impl fmt::Display for GradientCheckReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "gradient check: {} (tolerance {:.0e}), loss = {:.12e}",
            if self.passed { "PASSED" } else { "FAILED" },
            self.tolerance,
            self.loss
        )?;
        let ran: Vec<(&ModeCheck, &Vec<f64>)> = self
            .modes
            .iter()
            .filter_map(|m| match &m.result {
                ModeResult::Gradient(g) => Some((m, g)),
                _ => None,
            })
            .collect();
        let w = self.names.iter().map(String::len).max().unwrap_or(5).max(5);
        write!(
            f,
            "{:w$}  {:>20} {:>8}",
            "entry", "finite difference", "fd err"
        )?;
        for (m, _) in &ran {
            write!(f, "  {:>20} {:>8}", m.mode.to_string(), "rel err")?;
        }
        writeln!(f)?;
        for (j, name) in self.names.iter().enumerate() {
            write!(
                f,
                "{name:w$}  {:>20.12e} {:>8.1e}{}",
                self.finite_difference[j],
                self.fd_error[j],
                if self.fd_conclusive[j] { "" } else { "?" }
            )?;
            for (m, g) in &ran {
                let e = m.rel_error_fd[j].max(m.rel_error_reference[j]);
                let flag = if e > self.tolerance { " !" } else { "" };
                write!(f, "  {:>20.12e} {:>8.1e}{flag}", g[j], e)?;
            }
            writeln!(f)?;
        }
        for m in &self.modes {
            match &m.result {
                ModeResult::Skipped(why) => writeln!(f, "{}: skipped ({why})", m.mode)?,
                ModeResult::Failed(e) => writeln!(f, "{}: FAILED: {e}", m.mode)?,
                ModeResult::Gradient(_) => {}
            }
        }
        if self.fd_conclusive.iter().any(|c| !c) {
            writeln!(
                f,
                "?: the finite difference does not resolve this entry to the tolerance; judged by the modes' agreement"
            )?;
        }
        Ok(())
    }
}

/// Checks the gradient of `loss` with respect to the parameters (and initial state) of
/// `system` at its current parameters and `y0`: forward sensitivities, the continuous adjoint
/// and, for explicit methods and point losses, the discrete adjoint, each against central
/// finite differences of the loss (two step sizes, Richardson-extrapolated, with an error
/// estimate) and against each other.
///
/// This is the check to run after writing [`ParametricSystem::rhs_params_dual`],
/// [`ParametricSystem::vjp_y`] or [`ParametricSystem::vjp_p`] by hand: a wrong VJP shows up as
/// an adjoint that disagrees with forward mode and the finite differences, a wrong dual
/// right-hand side as forward and adjoint agreeing with each other but not with the
/// differences. It is as expensive as `6 (n_p + n) + 5` solves.
///
/// `system` is borrowed mutably to perturb its parameters; they are restored before the
/// function returns, also on error.
///
/// Errors: [`OdeError::DimensionMismatch`] for `y0` or `fd_steps`,
/// [`OdeError::InvalidOption`] for a non-positive step or tolerance, and the errors of the
/// finite-difference solves (a mode that fails is recorded in the report instead).
///
/// ```
/// use ai4de_ode::problems;
/// use ai4de_ode::sensitivity::{gradient_check, GradientCheckOptions, SquaredError};
/// let mut lotka = problems::get("lotka").unwrap();
/// let y0 = lotka.y0.clone();
/// let loss = SquaredError::new(vec![1.0, 2.0], vec![1.0, 1.0, 2.0, 0.5], 2).unwrap();
/// let report = gradient_check(&mut lotka, (0.0, 2.0), &y0, &loss, &GradientCheckOptions::default())
///     .unwrap();
/// println!("{report}");
/// assert!(report.passed);
/// ```
pub fn gradient_check<S: ParametricSystem + ?Sized, L: TrajectoryLoss + ?Sized>(
    system: &mut S,
    t_span: (f64, f64),
    y0: &[f64],
    loss: &L,
    options: &GradientCheckOptions,
) -> Result<GradientCheckReport, OdeError> {
    let n = system.dim();
    if y0.len() != n {
        return Err(OdeError::DimensionMismatch {
            what: "y0",
            expected: n,
            found: y0.len(),
        });
    }
    for (name, v) in [
        ("fd_step", options.fd_step),
        ("tolerance", options.tolerance),
        ("rtol", options.rtol),
        ("fd_rtol", options.fd_rtol),
    ] {
        if !(v.is_finite() && v > 0.0) {
            return Err(OdeError::InvalidOption {
                name,
                reason: format!("must be finite and positive, got {v}"),
            });
        }
    }
    let p0 = system.param_values();
    super::check_params(&p0, system.n_params())?;
    let np = p0.len();
    let m = np + if options.initial_state { n } else { 0 };
    let steps = match &options.fd_steps {
        Some(s) if s.len() != m => {
            return Err(OdeError::DimensionMismatch {
                what: "fd_steps",
                expected: m,
                found: s.len(),
            })
        }
        Some(s) => {
            if let Some(i) = s.iter().position(|h| !(h.is_finite() && *h > 0.0)) {
                return Err(OdeError::InvalidOption {
                    name: "fd_steps",
                    reason: format!("entry {i} is {}, not finite and positive", s[i]),
                });
            }
            s.clone()
        }
        None => {
            let scaled = |v: &[f64]| -> Vec<f64> {
                let top = v.iter().fold(0.0f64, |a, x| a.max(x.abs()));
                let fallback = if top > 0.0 { top } else { 1.0 };
                v.iter()
                    .map(|x| options.fd_step * if *x != 0.0 { x.abs() } else { fallback })
                    .collect()
            };
            let mut s = scaled(&p0);
            if options.initial_state {
                let typical = typical_magnitudes(system, t_span, y0, options)?;
                s.extend(y0.iter().zip(&typical).map(|(v, typ)| {
                    options.fd_step
                        * if *v != 0.0 {
                            v.abs()
                        } else if *typ > 0.0 {
                            *typ
                        } else {
                            1.0
                        }
                }));
            }
            s
        }
    };
    let mut names = system.param_names();
    names.resize_with(np, String::new);
    if options.initial_state {
        names.extend((0..n).map(|k| format!("y0[{k}]")));
    }

    let mut sens_options = Options {
        rtol: Tolerance::Scalar(options.rtol),
        atol: Tolerance::Scalar(options.atol),
        max_steps: options.max_steps,
        ..Options::default()
    };
    let fd_options = Options {
        rtol: Tolerance::Scalar(options.fd_rtol),
        atol: Tolerance::Scalar(options.fd_atol),
        max_steps: options.max_steps,
        ..Options::default()
    };

    // finite differences (the system's parameters are restored whatever happens)
    let fd = finite_differences(
        system,
        t_span,
        y0,
        loss,
        options,
        &fd_options,
        &steps,
        np,
        &p0,
    );
    system.set_params(&p0)?;
    let (loss_value, finite_difference, fd_error) = fd?;

    // the modes
    let system: &S = system;
    let mut results = Vec::new();
    results.push((
        CheckedMode::Forward,
        match forward_gradient(
            system,
            t_span,
            y0,
            loss,
            options.method,
            sens_options.clone(),
            options.initial_state,
        ) {
            Ok(g) => ModeResult::Gradient(concat(&g.dp, &g.dy0, options.initial_state)),
            Err(e) => classify(e),
        },
    ));
    sens_options.save_at = Default::default();
    results.push((
        CheckedMode::ContinuousAdjoint,
        match ContinuousAdjoint::new(system, t_span, y0, loss)
            .method(options.method)
            .options(sens_options.clone())
            .run()
        {
            Ok(g) => ModeResult::Gradient(concat(&g.dp, &g.dy0, options.initial_state)),
            Err(e) => classify(e),
        },
    ));
    let discrete = if !options.discrete {
        ModeResult::Skipped("not requested".into())
    } else if options.method.explicit_tableau().is_none() {
        ModeResult::Skipped(format!(
            "{} is not an explicit Runge-Kutta method",
            options.method.name()
        ))
    } else if loss.has_running() {
        ModeResult::Skipped("the loss has a running cost".into())
    } else {
        match DiscreteAdjoint::new(system, t_span, y0, loss)
            .method(options.method)
            .options(sens_options)
            .run()
        {
            Ok(g) => ModeResult::Gradient(concat(
                &g.gradient.dp,
                &g.gradient.dy0,
                options.initial_state,
            )),
            Err(e) => classify(e),
        }
    };
    results.push((CheckedMode::DiscreteAdjoint, discrete));

    // errors and verdict
    let scale = finite_difference.iter().fold(0.0f64, |a, v| a.max(v.abs()));
    let floor = 1e-3 * scale;
    let rel = |a: &[f64], b: &[f64]| -> Vec<f64> {
        a.iter()
            .zip(b)
            .map(|(x, y)| {
                let d = (x - y).abs();
                let den = y.abs().max(floor);
                if d == 0.0 {
                    0.0
                } else if den > 0.0 {
                    d / den
                } else {
                    f64::INFINITY
                }
            })
            .collect()
    };
    let reference: Option<Vec<f64>> = results.iter().find_map(|(_, r)| match r {
        ModeResult::Gradient(g) => Some(g.clone()),
        _ => None,
    });
    let fd_conclusive: Vec<bool> = fd_error
        .iter()
        .zip(&finite_difference)
        .map(|(e, v)| *e <= options.tolerance * v.abs().max(floor))
        .collect();
    let mut passed = reference.is_some();
    let mut modes = Vec::new();
    for (mode, result) in results {
        let (rel_error_fd, rel_error_reference) = match &result {
            ModeResult::Gradient(g) => {
                let e_fd = rel(g, &finite_difference);
                let e_ref = rel(g, reference.as_deref().expect("a gradient exists"));
                for j in 0..m {
                    let allowed_fd = options.tolerance
                        + 3.0 * fd_error[j] / finite_difference[j].abs().max(floor).max(1e-300);
                    // NaN compares false: a NaN gradient fails
                    let ok = e_ref[j] <= options.tolerance && e_fd[j] <= allowed_fd;
                    if !ok {
                        passed = false;
                    }
                }
                (e_fd, e_ref)
            }
            ModeResult::Failed(_) => {
                passed = false;
                (Vec::new(), Vec::new())
            }
            ModeResult::Skipped(_) => (Vec::new(), Vec::new()),
        };
        modes.push(ModeCheck {
            mode,
            result,
            rel_error_fd,
            rel_error_reference,
        });
    }
    Ok(GradientCheckReport {
        names,
        loss: loss_value,
        finite_difference,
        fd_error,
        fd_steps: steps,
        modes,
        tolerance: options.tolerance,
        fd_conclusive,
        passed,
    })
}

/// `max_t |y_k(t)|` over the accepted steps of one solve at the sensitivity tolerances.
fn typical_magnitudes<S: ParametricSystem + ?Sized>(
    system: &S,
    t_span: (f64, f64),
    y0: &[f64],
    options: &GradientCheckOptions,
) -> Result<Vec<f64>, OdeError> {
    let sol = crate::solve::Solve::new(system, t_span, y0)
        .method(options.method)
        .rtol(options.rtol)
        .atol(options.atol)
        .max_steps(options.max_steps)
        .run()?;
    let mut top = vec![0.0f64; y0.len()];
    for row in sol.rows() {
        for (t, v) in top.iter_mut().zip(row) {
            *t = t.max(v.abs());
        }
    }
    Ok(top)
}

fn concat(dp: &[f64], dy0: &[f64], with_y0: bool) -> Vec<f64> {
    let mut g = dp.to_vec();
    if with_y0 {
        g.extend_from_slice(dy0);
    }
    g
}

fn classify(e: OdeError) -> ModeResult {
    match e {
        OdeError::SensitivityUnavailable { what } => ModeResult::Skipped(what),
        e => ModeResult::Failed(e),
    }
}

/// `(L, D, err)`: the loss, the Richardson-extrapolated central differences and their error
/// estimates. Leaves the system's parameters perturbed on error (the caller restores them).
#[allow(clippy::too_many_arguments, clippy::type_complexity)]
fn finite_differences<S: ParametricSystem + ?Sized, L: TrajectoryLoss + ?Sized>(
    system: &mut S,
    t_span: (f64, f64),
    y0: &[f64],
    loss: &L,
    options: &GradientCheckOptions,
    fd_options: &Options,
    steps: &[f64],
    np: usize,
    p0: &[f64],
) -> Result<(f64, Vec<f64>, Vec<f64>), OdeError> {
    let value =
        |sys: &S, y: &[f64]| loss_value(sys, t_span, y, loss, options.method, fd_options.clone());
    let l0 = value(system, y0)?;
    let mut d = Vec::with_capacity(steps.len());
    let mut err = Vec::with_capacity(steps.len());
    let mut p = p0.to_vec();
    let mut y = y0.to_vec();
    for (j, &h) in steps.iter().enumerate() {
        let mut at = |s: f64| -> Result<f64, OdeError> {
            if j < np {
                p[j] = p0[j] + s;
                system.set_params(&p)?;
                let v = value(system, y0);
                p[j] = p0[j];
                v
            } else {
                y[j - np] = y0[j - np] + s;
                let v = value(system, &y);
                y[j - np] = y0[j - np];
                v
            }
        };
        let mut central = |h: f64| -> Result<f64, OdeError> { Ok((at(h)? - at(-h)?) / (2.0 * h)) };
        let (d1, d2, d4) = (central(h)?, central(h / 2.0)?, central(h / 4.0)?);
        if j < np {
            system.set_params(p0)?;
        }
        let (r1, r2) = ((4.0 * d2 - d1) / 3.0, (4.0 * d4 - d2) / 3.0);
        d.push(r2);
        err.push((r2 - r1).abs());
    }
    Ok((l0, d, err))
}
