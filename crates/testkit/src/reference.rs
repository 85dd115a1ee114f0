//! A high-accuracy reference solution from two different methods that must agree.

use std::fmt;

use ai4de_ode::{Method, OdeError, OdeSystem, SaveAt, Solve};

use crate::norms::rel_inf_diff;

/// Settings of [`two_method_reference`].
#[derive(Debug, Clone, PartialEq)]
pub struct ReferenceOptions {
    /// The two methods; the first one's states are the reference (default Vern9, then DOP853).
    pub methods: [Method; 2],
    /// Relative tolerance of both solves (default `1e-14`).
    pub rtol: f64,
    /// Absolute tolerance of both solves (default `1e-14`).
    pub atol: f64,
    /// Largest allowed disagreement, measured as the normwise relative difference
    /// `max_i |a_i − b_i| / max_i |b_i|` at each saved time (default `1e-10`).
    pub agreement: f64,
    /// Step limit of each solve (default 10 000 000).
    pub max_steps: usize,
}

impl Default for ReferenceOptions {
    fn default() -> Self {
        Self {
            methods: [Method::Vern9, Method::Dop853],
            rtol: 1e-14,
            atol: 1e-14,
            agreement: 1e-10,
            max_steps: 10_000_000,
        }
    }
}

/// A reference solution computed twice, by two different methods, that agree.
#[derive(Debug, Clone, PartialEq)]
pub struct TwoMethodReference {
    /// Saved times (the requested times, or only `t_end`).
    pub t: Vec<f64>,
    /// The reference states (from `methods[0]`), one row per time.
    pub y: Vec<Vec<f64>>,
    /// The check states (from `methods[1]`), one row per time.
    pub check: Vec<Vec<f64>>,
    /// Largest normwise relative difference between the two over the saved times: an estimate of
    /// the error of the worse of the two.
    pub disagreement: f64,
    pub methods: [Method; 2],
    /// Right-hand-side evaluations of each solve.
    pub f_evals: [usize; 2],
}

impl TwoMethodReference {
    /// The reference state at the last saved time.
    pub fn final_state(&self) -> &[f64] {
        self.y.last().expect("at least one saved time")
    }
}

/// Why no reference could be computed.
#[derive(Debug, Clone, PartialEq)]
pub enum ReferenceError {
    /// One of the solves failed.
    Solve { method: Method, error: OdeError },
    /// The two methods disagree by more than [`ReferenceOptions::agreement`].
    Disagree {
        methods: [Method; 2],
        t: f64,
        disagreement: f64,
        allowed: f64,
    },
}

impl fmt::Display for ReferenceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReferenceError::Solve { method, error } => {
                write!(f, "reference solve with {method} failed: {error}")
            }
            ReferenceError::Disagree {
                methods,
                t,
                disagreement,
                allowed,
            } => write!(
                f,
                "reference solutions by {} and {} disagree at t = {t}: relative difference \
                 {disagreement:e} > {allowed:e}",
                methods[0], methods[1]
            ),
        }
    }
}

impl std::error::Error for ReferenceError {}

/// Solves `y' = f(t, y)`, `y(t0) = y0` on `t_span` with two different methods at a tight
/// tolerance (default: Vern9 and DOP853 at `rtol = atol = 1e-14`), and checks that the two agree
/// to [`ReferenceOptions::agreement`] at every saved time.
///
/// `times` are the output times (within the span, monotone in the direction of integration);
/// empty means only the final state. On success the first method's states are the reference and
/// `disagreement` says how far they can be trusted.
pub fn two_method_reference<S: OdeSystem + ?Sized>(
    system: &S,
    t_span: (f64, f64),
    y0: &[f64],
    times: &[f64],
    options: &ReferenceOptions,
) -> Result<TwoMethodReference, ReferenceError> {
    let save_at = if times.is_empty() {
        SaveAt::Final
    } else {
        SaveAt::Times(times.to_vec())
    };
    let solve = |method: Method| {
        Solve::new(system, t_span, y0)
            .method(method)
            .rtol(options.rtol)
            .atol(options.atol)
            .max_steps(options.max_steps)
            .save_at(save_at.clone())
            .run()
            .map_err(|error| ReferenceError::Solve { method, error })
    };
    let a = solve(options.methods[0])?;
    let b = solve(options.methods[1])?;
    assert_eq!(a.t, b.t, "both solves save at the same times");
    let y: Vec<Vec<f64>> = a.rows().map(<[f64]>::to_vec).collect();
    let check: Vec<Vec<f64>> = b.rows().map(<[f64]>::to_vec).collect();
    let mut disagreement = 0.0f64;
    for ((t, ya), yb) in a.t.iter().zip(&y).zip(&check) {
        let d = rel_inf_diff(yb, ya);
        if d.is_nan() || d > options.agreement {
            return Err(ReferenceError::Disagree {
                methods: options.methods,
                t: *t,
                disagreement: d,
                allowed: options.agreement,
            });
        }
        disagreement = disagreement.max(d);
    }
    Ok(TwoMethodReference {
        t: a.t.clone(),
        y,
        check,
        disagreement,
        methods: options.methods,
        f_evals: [a.stats.f_evals, b.stats.f_evals],
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ai4de_ode::FnSystem;

    #[test]
    fn decay_reference_is_accurate() {
        let sys = FnSystem::new(2, |t: f64, y: &[f64], dy: &mut [f64]| {
            dy[0] = -y[0];
            dy[1] = t.cos();
        });
        let times = [0.5, 1.0, 2.0];
        let r = two_method_reference(
            &sys,
            (0.0, 2.0),
            &[1.0, 0.0],
            &times,
            &ReferenceOptions::default(),
        )
        .unwrap();
        assert_eq!(r.t, times);
        assert!(r.disagreement <= 1e-10);
        for (t, y) in r.t.iter().zip(&r.y) {
            assert!((y[0] - (-t).exp()).abs() < 1e-12, "t {t}: {y:?}");
            assert!((y[1] - t.sin()).abs() < 1e-12, "t {t}: {y:?}");
        }
        let f = two_method_reference(
            &sys,
            (0.0, 2.0),
            &[1.0, 0.0],
            &[],
            &ReferenceOptions::default(),
        )
        .unwrap();
        assert_eq!(f.t, [2.0]);
        assert!((f.final_state()[0] - (-2.0f64).exp()).abs() < 1e-12);
    }

    #[test]
    fn disagreement_is_reported() {
        // loose tolerances cannot meet a tight agreement bound
        let sys = FnSystem::new(1, |_t, y: &[f64], dy: &mut [f64]| dy[0] = y[0] * y[0]);
        let opts = ReferenceOptions {
            rtol: 1e-3,
            atol: 1e-3,
            agreement: 1e-15,
            methods: [Method::Vern9, Method::Bs3],
            ..ReferenceOptions::default()
        };
        let e = two_method_reference(&sys, (0.0, 0.5), &[1.0], &[], &opts).unwrap_err();
        assert!(matches!(e, ReferenceError::Disagree { .. }), "{e}");
        assert!(e.to_string().contains("disagree"));
    }
}
