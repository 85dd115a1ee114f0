//! `auto`: automatic stiffness detection and switching between an explicit method (Tsit5) and a
//! stiff one (Rodas5P), in the spirit of LSODA and DifferentialEquations.jl's
//! `AutoTsit5(Rodas5P())`.
//!
//! * Explicit → stiff: after every accepted Tsit5 step the dominant eigenvalue is estimated from
//!   the two last stages, both at `t + h` (Hairer & Wanner, *Solving ODEs II*, §IV.2: the
//!   stiffness test of DOPRI5). When `|h|·ρ` exceeds [`STIFF_HRHO`] (close to Tsit5's stability
//!   boundary on the negative real axis, about 3.5) for [`STIFF_STEPS`] consecutive steps, the
//!   step size is limited by stability rather than accuracy, and the solve continues with Rodas5P.
//! * Stiff → explicit: after every accepted Rodas5P step, `‖J‖∞` bounds the spectral radius; when
//!   the explicit method's stable step `STIFF_HRHO / ‖J‖∞` is at least half the current stiff step
//!   for [`NONSTIFF_STEPS`] consecutive steps, the solve goes back to Tsit5. The bound is
//!   conservative (it overestimates ρ), so the switch back happens late rather than wrongly.
//!
//! Each switch restarts the other method from the current state (one f-evaluation, a fresh step
//! controller), keeping the current step size as its first guess.

use crate::driver::{self, Step, Stepper};
use crate::error::OdeError;
use crate::jacobian::Jacobian;
use crate::methods::{Rodas5P, Tsit5};
use crate::rk::{self, ExplicitRkStepper};
use crate::rosenbrock::{self, RosenbrockStepper};
use crate::solution::{Solution, Stats};
use crate::solve::Solve;
use crate::system::OdeSystem;
use crate::Method;

/// `|h|·ρ` above which a Tsit5 step counts as limited by stability.
pub const STIFF_HRHO: f64 = 3.0;
/// Consecutive stability-limited steps before switching to the stiff method.
pub const STIFF_STEPS: u32 = 10;
/// Consecutive steps on which the explicit method would be stable before switching back.
pub const NONSTIFF_STEPS: u32 = 5;

/// `‖J‖∞`, the largest absolute row sum.
fn inf_norm(j: &Jacobian, rows: &mut [f64]) -> f64 {
    match j {
        Jacobian::Dense(m) => (0..m.nrows())
            .map(|i| (0..m.ncols()).map(|k| m[(i, k)].abs()).sum::<f64>())
            .fold(0.0, f64::max),
        Jacobian::Sparse { pattern, values } => {
            rows.fill(0.0);
            for (&r, v) in pattern.row_idx().iter().zip(values) {
                rows[r] += v.abs();
            }
            rows.iter().copied().fold(0.0, f64::max)
        }
    }
}

struct AutoStepper {
    explicit: ExplicitRkStepper<Tsit5>,
    stiff: RosenbrockStepper<Rodas5P>,
    /// The method of the current (last attempted) step.
    stiff_mode: bool,
    /// Consecutive steps in favour of switching.
    count: u32,
    /// Magnitude of the last attempted step.
    h: f64,
    rows: Vec<f64>,
}

impl<S: OdeSystem + ?Sized> Stepper<S> for AutoStepper {
    fn init(
        &mut self,
        sys: &S,
        t0: f64,
        h_first: Option<f64>,
        stats: &mut Stats,
    ) -> Result<f64, OdeError> {
        Stepper::<S>::init(&mut self.explicit, sys, t0, h_first, stats)
    }

    fn try_step(&mut self, sys: &S, t: f64, h: f64, stats: &mut Stats) -> Result<Step, OdeError> {
        self.h = h.abs();
        if self.stiff_mode {
            Stepper::<S>::try_step(&mut self.stiff, sys, t, h, stats)
        } else {
            Stepper::<S>::try_step(&mut self.explicit, sys, t, h, stats)
        }
    }

    fn y(&self) -> &[f64] {
        if self.stiff_mode {
            Stepper::<S>::y(&self.stiff)
        } else {
            Stepper::<S>::y(&self.explicit)
        }
    }

    fn y1(&self) -> &[f64] {
        if self.stiff_mode {
            Stepper::<S>::y1(&self.stiff)
        } else {
            Stepper::<S>::y1(&self.explicit)
        }
    }

    fn prepare_dense(&mut self, sys: &S, stats: &mut Stats) {
        if self.stiff_mode {
            Stepper::<S>::prepare_dense(&mut self.stiff, sys, stats)
        } else {
            Stepper::<S>::prepare_dense(&mut self.explicit, sys, stats)
        }
    }

    fn dense(&self, theta: f64, out: &mut [f64]) {
        if self.stiff_mode {
            Stepper::<S>::dense(&self.stiff, theta, out)
        } else {
            Stepper::<S>::dense(&self.explicit, theta, out)
        }
    }

    fn accept(&mut self, sys: &S, t1: f64, more: bool, stats: &mut Stats) -> Result<(), OdeError> {
        if self.stiff_mode {
            let rho = inf_norm(self.stiff.jacobian(), &mut self.rows);
            Stepper::<S>::accept(&mut self.stiff, sys, t1, more, stats)?;
            let stable_explicit = rho == 0.0 || STIFF_HRHO / rho >= 0.5 * self.h;
            self.count = if stable_explicit { self.count + 1 } else { 0 };
            if more && self.count >= NONSTIFF_STEPS {
                let y = Stepper::<S>::y(&self.stiff).to_vec();
                self.explicit.restart(sys, t1, &y, stats)?;
                self.stiff_mode = false;
                self.count = 0;
            }
        } else {
            let hrho = self.explicit.stiffness_hrho();
            Stepper::<S>::accept(&mut self.explicit, sys, t1, more, stats)?;
            self.count = if hrho > STIFF_HRHO { self.count + 1 } else { 0 };
            if more && self.count >= STIFF_STEPS {
                let y = Stepper::<S>::y(&self.explicit).to_vec();
                self.stiff.restart(sys, t1, &y, stats)?;
                self.stiff_mode = true;
                self.count = 0;
            }
        }
        Ok(())
    }
}

/// Solves with automatic switching between Tsit5 and Rodas5P.
pub(crate) fn integrate<S: OdeSystem + ?Sized>(p: Solve<'_, S>) -> Result<Solution, OdeError> {
    driver::validate(&p, true, "auto")?;
    // With a mass matrix only the stiff method applies: start (and stay) there.
    let has_mass = p.system.mass_matrix().is_some();
    let stiff = rosenbrock::stepper::<Rodas5P, S>(&p)?;
    if has_mass {
        let method = p.method;
        return driver::drive(p, method, stiff);
    }
    let explicit = rk::stepper::<Tsit5, S>(&p)?;
    let n = p.system.dim();
    let stepper = AutoStepper {
        explicit,
        stiff,
        stiff_mode: false,
        count: 0,
        h: 0.0,
        rows: vec![0.0; n],
    };
    driver::drive(p, Method::Auto, stepper)
}
