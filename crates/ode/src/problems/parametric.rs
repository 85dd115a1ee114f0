//! The catalogue's right-hand sides with the parameters as arguments, generic over the scalar
//! (`f64`, dual and hyper-dual numbers), and their [`ParametricSystem`] implementations.
//!
//! Each `rhs_params` is the problem's `rhs` with every parameter field replaced by `p[i]`, in
//! the order of the catalogue's [`Param`](super::Param) list; the test
//! `rhs_params_equals_rhs` checks that the two agree on every problem.

use num_dual::{Dual64, HyperDual64};

use crate::error::OdeError;
use crate::jacobian::DualScalar;
use crate::sensitivity::{check_params, ParametricSystem};

use super::{
    Arenstorf, Brusselator2d, DampedOscillator, Decay, DoublePendulum, FitzHughNagumo, Hires,
    Lorenz, LotkaVolterra, Oregonator, Pleiades, Pollu, Robertson, RobertsonDae, VanDerPol,
    VanDerPolScaled, E5, PLEIADES_BODIES, POLLU_REACTIONS,
};

impl Decay {
    /// `f(t, y; λ) = λ y`.
    #[inline]
    pub fn rhs_params<T: DualScalar>(&self, _t: T, y: &[T], p: &[T], dy: &mut [T]) {
        dy[0] = p[0] * y[0];
    }
}

impl DampedOscillator {
    /// `p = (ω, ζ)`.
    #[inline]
    pub fn rhs_params<T: DualScalar>(&self, _t: T, y: &[T], p: &[T], dy: &mut [T]) {
        let w = p[0];
        dy[0] = y[1];
        dy[1] = -w * w * y[0] - p[1] * w * y[1] * 2.0;
    }
}

impl Lorenz {
    /// `p = (σ, ρ, β)`.
    #[inline]
    pub fn rhs_params<T: DualScalar>(&self, _t: T, y: &[T], p: &[T], dy: &mut [T]) {
        let (x, yy, z) = (y[0], y[1], y[2]);
        dy[0] = p[0] * (yy - x);
        dy[1] = x * (p[1] - z) - yy;
        dy[2] = x * yy - p[2] * z;
    }
}

impl Arenstorf {
    /// `p = (μ)`.
    #[inline]
    pub fn rhs_params<T: DualScalar>(&self, _t: T, y: &[T], p: &[T], dy: &mut [T]) {
        let mu = p[0];
        let mu1 = -mu + 1.0;
        let (x, yy, vx, vy) = (y[0], y[1], y[2], y[3]);
        let a = x + mu;
        let b = x - mu1;
        let r1sq = a * a + yy * yy;
        let r2sq = b * b + yy * yy;
        let d1 = r1sq * r1sq.sqrt();
        let d2 = r2sq * r2sq.sqrt();
        dy[0] = vx;
        dy[1] = vy;
        dy[2] = x + vy * 2.0 - mu1 * a / d1 - mu * b / d2;
        dy[3] = yy - vx * 2.0 - mu1 * yy / d1 - mu * yy / d2;
    }
}

impl Pleiades {
    /// `p = (m_1, …, m_7)`.
    #[inline]
    pub fn rhs_params<T: DualScalar>(&self, _t: T, y: &[T], m: &[T], dy: &mut [T]) {
        const N: usize = PLEIADES_BODIES;
        let (q, v) = y[..4 * N].split_at(2 * N);
        let (dq, dv) = dy[..4 * N].split_at_mut(2 * N);
        dq.copy_from_slice(&v[..2 * N]);
        let (x, yy) = q.split_at(N);
        let (ax, ay) = dv.split_at_mut(N);
        ax.fill(T::from(0.0));
        ay.fill(T::from(0.0));
        for i in 0..N {
            for j in i + 1..N {
                let dx = x[j] - x[i];
                let dyy = yy[j] - yy[i];
                let r2 = dx * dx + dyy * dyy;
                let inv_r3 = (r2 * r2.sqrt()).recip();
                let (fx, fy) = (dx * inv_r3, dyy * inv_r3);
                ax[i] += m[j] * fx;
                ay[i] += m[j] * fy;
                ax[j] -= m[i] * fx;
                ay[j] -= m[i] * fy;
            }
        }
    }
}

impl VanDerPol {
    /// `p = (μ)`.
    #[inline]
    pub fn rhs_params<T: DualScalar>(&self, _t: T, y: &[T], p: &[T], dy: &mut [T]) {
        let (x, v) = (y[0], y[1]);
        dy[0] = v;
        dy[1] = (-(x * x) + 1.0) * p[0] * v - x;
    }
}

impl LotkaVolterra {
    /// `p = (α, β, γ, δ)`.
    #[inline]
    pub fn rhs_params<T: DualScalar>(&self, _t: T, y: &[T], p: &[T], dy: &mut [T]) {
        let (x, q) = (y[0], y[1]);
        dy[0] = (p[0] - p[1] * q) * x;
        dy[1] = (p[3] * x - p[2]) * q;
    }
}

impl FitzHughNagumo {
    /// `p = (a, b, τ, I)`.
    #[inline]
    pub fn rhs_params<T: DualScalar>(&self, _t: T, y: &[T], p: &[T], dy: &mut [T]) {
        let (v, w) = (y[0], y[1]);
        dy[0] = v - v * v * v / 3.0 - w + p[3];
        dy[1] = (v + p[0] - p[1] * w) / p[2];
    }
}

impl DoublePendulum {
    /// `p = (m1, m2, l1, l2, g)`.
    #[inline]
    pub fn rhs_params<T: DualScalar>(&self, _t: T, y: &[T], p: &[T], dy: &mut [T]) {
        let (m1, m2, l1, l2, g) = (p[0], p[1], p[2], p[3], p[4]);
        let (th1, th2, w1, w2) = (y[0], y[1], y[2], y[3]);
        let delta = th1 - th2;
        let (sd, cd) = delta.sin_cos();
        let den = m1 * 2.0 + m2 - m2 * (delta * 2.0).cos();
        dy[0] = w1;
        dy[1] = w2;
        dy[2] = (-g * (m1 * 2.0 + m2) * th1.sin()
            - m2 * g * (th1 - th2 * 2.0).sin()
            - sd * m2 * (w2 * w2 * l2 + w1 * w1 * l1 * cd) * 2.0)
            / (l1 * den);
        dy[3] = sd
            * (w1 * w1 * l1 * (m1 + m2) + g * (m1 + m2) * th1.cos() + w2 * w2 * l2 * m2 * cd)
            * 2.0
            / (l2 * den);
    }
}

impl Robertson {
    /// `p = (k1, k2, k3)`.
    #[inline]
    pub fn rhs_params<T: DualScalar>(&self, _t: T, y: &[T], p: &[T], dy: &mut [T]) {
        let r1 = y[0] * p[0];
        let r2 = y[1] * y[1] * p[1];
        let r3 = y[1] * y[2] * p[2];
        dy[0] = r3 - r1;
        dy[1] = r1 - r3 - r2;
        dy[2] = r2;
    }
}

impl RobertsonDae {
    /// `p = (k1, k2, k3)`; `f` of `M y' = f`.
    #[inline]
    pub fn rhs_params<T: DualScalar>(&self, t: T, y: &[T], p: &[T], dy: &mut [T]) {
        self.kinetics.rhs_params(t, y, p, dy);
        dy[2] = y[0] + y[1] + y[2] - 1.0;
    }
}

impl Hires {
    /// `p = (k1, …, k9, oks)`.
    #[inline]
    pub fn rhs_params<T: DualScalar>(&self, _t: T, y: &[T], p: &[T], dy: &mut [T]) {
        let (k1, k2, k3, k4, k5) = (p[0], p[1], p[2], p[3], p[4]);
        let (k6, k7, k8, k9, oks) = (p[5], p[6], p[7], p[8], p[9]);
        let r7 = y[5] * y[7] * k7;
        dy[0] = y[1] * k2 + y[2] * k6 - y[0] * k1 + oks;
        dy[1] = y[0] * k1 - y[1] * (k2 + k3);
        dy[2] = y[3] * k2 + y[4] * k5 - y[2] * (k6 + k1);
        dy[3] = y[1] * k3 + y[2] * k1 - y[3] * (k4 + k2);
        dy[4] = (y[5] + y[6]) * k2 - y[4] * (k5 + k1);
        dy[5] = y[3] * k8 + y[4] * k1 - y[5] * k2 + y[6] * k8 - r7;
        dy[6] = r7 - y[6] * (k2 + k8 + k9);
        dy[7] = -dy[6];
    }
}

impl Pollu {
    /// `p = (k1, …, k25)`: [`Pollu::rhs_generic`] with the rates as arguments.
    #[inline]
    pub fn rhs_params<T: DualScalar>(&self, t: T, y: &[T], p: &[T], dy: &mut [T]) {
        Self::assemble(t, &Self::rates_with(y, p), dy);
    }
}

impl Oregonator {
    /// `p = (s, w, q)`.
    #[inline]
    pub fn rhs_params<T: DualScalar>(&self, _t: T, y: &[T], p: &[T], dy: &mut [T]) {
        let (s, w, q) = (p[0], p[1], p[2]);
        dy[0] = (y[1] + y[0] * (-(y[0] * q) + 1.0 - y[1])) * s;
        dy[1] = (y[2] - (y[0] + 1.0) * y[1]) / s;
        dy[2] = (y[0] - y[2]) * w;
    }
}

impl E5 {
    /// `p = (A, B, C, M)`.
    #[inline]
    pub fn rhs_params<T: DualScalar>(&self, _t: T, y: &[T], p: &[T], dy: &mut [T]) {
        let (a, b, c, m) = (p[0], p[1], p[2], p[3]);
        let cm = c * m;
        let prod1 = y[0] * a;
        let prod2 = y[0] * y[2] * b;
        let prod3 = y[1] * y[2] * cm;
        let prod4 = y[3] * c;
        dy[0] = -prod1 - prod2;
        dy[1] = prod1 - prod3;
        dy[3] = prod2 - prod4;
        dy[2] = dy[1] - dy[3];
    }
}

impl VanDerPolScaled {
    /// `p = (ε)`.
    #[inline]
    pub fn rhs_params<T: DualScalar>(&self, _t: T, y: &[T], p: &[T], dy: &mut [T]) {
        dy[0] = y[1];
        dy[1] = ((-(y[0] * y[0]) + 1.0) * y[1] - y[0]) / p[0];
    }
}

impl Brusselator2d {
    /// `p = (A, B, α)`.
    #[inline]
    pub fn rhs_params<T: DualScalar>(&self, t: T, y: &[T], p: &[T], dy: &mut [T]) {
        let (a, b, alpha) = (p[0], p[1], p[2]);
        let n = self.n();
        let nn = n * n;
        let k = alpha / (self.dx() * self.dx());
        let forcing_on = t.re() >= Self::FORCING_ON;
        let (u, v) = y[..2 * nn].split_at(nn);
        let (du, dv) = dy[..2 * nn].split_at_mut(nn);
        for j in 0..n {
            let (jm, jp) = self.around(j);
            for i in 0..n {
                let (im, ip) = self.around(i);
                let q = i + n * j;
                let (w, e, s, nb) = (im + n * j, ip + n * j, i + n * jm, i + n * jp);
                let (up, vp) = (u[q], v[q]);
                let uuv = up * up * vp;
                let lap_u = (u[w] + u[e] + u[s] + u[nb] - up * 4.0) * k;
                let lap_v = (v[w] + v[e] + v[s] + v[nb] - vp * 4.0) * k;
                let mut fu = lap_u + uuv - up * (b + 1.0) + a;
                if forcing_on && self.in_source(i, j) {
                    fu += 5.0;
                }
                du[q] = fu;
                dv[q] = lap_v + up * b - uuv;
            }
        }
    }
}

/// Implements [`ParametricSystem`] for a catalogue struct from its `rhs_params` and the
/// parameter storage: a list of `f64` fields, or one array field.
macro_rules! parametric {
    (@common) => {
        fn rhs_params_dual(&self, t: Dual64, y: &[Dual64], p: &[Dual64], dy: &mut [Dual64]) -> bool {
            self.rhs_params(t, y, p, dy);
            true
        }
        fn rhs_params_hyperdual(
            &self,
            t: HyperDual64,
            y: &[HyperDual64],
            p: &[HyperDual64],
            dy: &mut [HyperDual64],
        ) -> bool {
            self.rhs_params(t, y, p, dy);
            true
        }
    };
    ($ty:ty { $($field:ident).+ : [$($name:ident),+] }) => {
        impl ParametricSystem for $ty {
            fn n_params(&self) -> usize {
                [$(stringify!($name)),+].len()
            }
            fn param_values(&self) -> Vec<f64> {
                let s = &self.$($field).+;
                vec![$(s.$name),+]
            }
            fn set_params(&mut self, p: &[f64]) -> Result<(), OdeError> {
                check_params(p, self.n_params())?;
                let s = &mut self.$($field).+;
                let mut it = p.iter().copied();
                $(s.$name = it.next().expect("length checked");)+
                Ok(())
            }
            fn param_names(&self) -> Vec<String> {
                vec![$(stringify!($name).to_string()),+]
            }
            parametric!(@common);
        }
    };
    ($ty:ty : [$($name:ident),+]) => {
        impl ParametricSystem for $ty {
            fn n_params(&self) -> usize {
                [$(stringify!($name)),+].len()
            }
            fn param_values(&self) -> Vec<f64> {
                vec![$(self.$name),+]
            }
            fn set_params(&mut self, p: &[f64]) -> Result<(), OdeError> {
                check_params(p, self.n_params())?;
                let mut it = p.iter().copied();
                $(self.$name = it.next().expect("length checked");)+
                Ok(())
            }
            fn param_names(&self) -> Vec<String> {
                vec![$(stringify!($name).to_string()),+]
            }
            parametric!(@common);
        }
    };
    ($ty:ty : $field:ident[$len:expr], $prefix:literal) => {
        impl ParametricSystem for $ty {
            fn n_params(&self) -> usize {
                $len
            }
            fn param_values(&self) -> Vec<f64> {
                self.$field.to_vec()
            }
            fn set_params(&mut self, p: &[f64]) -> Result<(), OdeError> {
                check_params(p, $len)?;
                self.$field.copy_from_slice(p);
                Ok(())
            }
            fn param_names(&self) -> Vec<String> {
                (1..=$len).map(|i| format!(concat!($prefix, "{}"), i)).collect()
            }
            parametric!(@common);
        }
    };
}

parametric!(Decay: [lambda]);
parametric!(DampedOscillator: [omega, zeta]);
parametric!(Lorenz: [sigma, rho, beta]);
parametric!(Arenstorf: [mu]);
parametric!(Pleiades: masses[PLEIADES_BODIES], "m");
parametric!(VanDerPol: [mu]);
parametric!(LotkaVolterra: [alpha, beta, gamma, delta]);
parametric!(FitzHughNagumo: [a, b, tau, current]);
parametric!(DoublePendulum: [m1, m2, l1, l2, g]);
parametric!(Robertson: [k1, k2, k3]);
parametric!(RobertsonDae {
    kinetics: [k1, k2, k3]
});
parametric!(Hires: [k1, k2, k3, k4, k5, k6, k7, k8, k9, oks]);
parametric!(Pollu: k[POLLU_REACTIONS], "k");
parametric!(Oregonator: [s, w, q]);
parametric!(E5: [a, b, c, m]);
parametric!(VanDerPolScaled: [eps]);
parametric!(Brusselator2d: [a, b, alpha]);
