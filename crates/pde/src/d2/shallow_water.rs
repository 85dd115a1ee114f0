//! The two-dimensional shallow-water equations by finite volumes, and PDEBench's radial dam
//! break (`shallow_water`):
//!
//! ```text
//! h_t + (h u)_x + (h v)_y = 0
//! (h u)_t + (h u² + g h²/2)_x + (h u v)_y = −g h b_x
//! (h v)_t + (h u v)_x + (h v² + g h²/2)_y = −g h b_y
//! ```
//!
//! with depth `h > 0`, velocity `(u, v)`, gravity `g` and bed elevation `b(x, y)`.
//!
//! Scheme (unsplit, cell averages on a uniform grid):
//! - MUSCL reconstruction of `h`, `u`, `v` (and of the surface `η = h + b` when there is a bed)
//!   with a slope limiter ([`Limiter`]; B. van Leer, J. Comput. Phys. 32, 1979);
//! - the HLL flux with Davis/Einfeldt wave-speed estimates (A. Harten, P. D. Lax and B. van Leer,
//!   SIAM Review 25, 1983; E. F. Toro, *Shock-Capturing Methods for Free-Surface Shallow Flows*,
//!   Wiley 2001, ch. 10);
//! - the hydrostatic reconstruction of E. Audusse, F. Bouchut, M.-O. Bristeau, R. Klein and
//!   B. Perthame (SIAM J. Sci. Comput. 25, 2004) for the bed, second-order version with the
//!   centred source term, so a lake at rest (`η` constant, no velocity) is preserved to
//!   rounding (well balanced);
//! - three-stage SSP Runge–Kutta (Shu & Osher 1988) with `dt = cfl / max((|u|+c)/Δx + (|v|+c)/Δy)`,
//!   `c = √(g h)`, landing on every output time.
//!
//! The mass `Σ h ΔxΔy` is conserved to rounding with wall boundaries (and with transmissive ones
//! while no wave reaches them).

use serde_json::json;

use crate::d1::fv::Limiter;
use crate::dataset::resolve_params;
use crate::random::sample_rng;
use crate::{DatasetPde, FieldSpec, GenConfig, Layout, ParamInfo, PdeError, PdeInfo, Sample};
use rand::RngExt;

/// Boundary conditions on all four sides (two ghost cells each).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SwBoundary {
    /// Zero-gradient extrapolation (outflow; PyClaw's `extrap`, used by PDEBench).
    #[default]
    Transmissive,
    /// Reflecting walls: depth mirrored, normal velocity reversed.
    Wall,
}

/// State of the shallow-water system: depth and discharges, each `nx · ny` values, row-major
/// with `y` fastest (index `i ny + j` for cell `(x_i, y_j)`).
#[derive(Debug, Clone, PartialEq)]
pub struct SwState {
    pub h: Vec<f64>,
    pub hu: Vec<f64>,
    pub hv: Vec<f64>,
}

/// Counters of one solve.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct SwStats {
    pub steps: usize,
}

/// Work buffers of one grid line (two ghost cells per side).
#[derive(Debug, Clone, Default)]
struct Line {
    h: Vec<f64>,
    un: Vec<f64>,
    ut: Vec<f64>,
    eta: Vec<f64>,
    /// Face values (`m + 1` faces): flux components and the cell-side corrections.
    f: [Vec<f64>; 3],
    /// `g/2 (h² − h*²)` on the left and right side of each face (hydrostatic reconstruction).
    corr_l: Vec<f64>,
    corr_r: Vec<f64>,
    /// Reconstructed depth and bed on both sides of each face (for the centred source).
    h_l: Vec<f64>,
    h_r: Vec<f64>,
    b_l: Vec<f64>,
    b_r: Vec<f64>,
}

impl Line {
    fn new(m: usize) -> Self {
        let c = || vec![0.0; m + 4];
        let f = || vec![0.0; m + 1];
        Self {
            h: c(),
            un: c(),
            ut: c(),
            eta: c(),
            f: [f(), f(), f()],
            corr_l: f(),
            corr_r: f(),
            h_l: f(),
            h_r: f(),
            b_l: f(),
            b_r: f(),
        }
    }
}

/// The finite-volume shallow-water solver on `[x0, x1] × [y0, y1]` (see the module doc); work
/// buffers allocated once.
#[derive(Debug, Clone)]
pub struct ShallowWater2d {
    /// Gravitational acceleration (PDEBench: 1).
    pub g: f64,
    /// CFL number (default 0.4).
    pub cfl: f64,
    pub limiter: Limiter,
    pub boundary: SwBoundary,
    nx: usize,
    ny: usize,
    x0: f64,
    y0: f64,
    dx: f64,
    dy: f64,
    /// Bed elevation per cell (empty: flat).
    bed: Vec<f64>,
    line_x: Line,
    line_y: Line,
    du: [Vec<f64>; 3],
    stage: [Vec<f64>; 3],
}

impl ShallowWater2d {
    /// A solver on `nx × ny` cells (each at least 4) of `[x0, x1] × [y0, y1]` with gravity `g`.
    pub fn new(
        nx: usize,
        ny: usize,
        (x0, x1): (f64, f64),
        (y0, y1): (f64, f64),
        g: f64,
    ) -> Result<Self, PdeError> {
        if nx < 4 || ny < 4 {
            return Err(PdeError::InvalidGrid {
                pde: "shallow_water".into(),
                grid: vec![nx, ny],
                reason: "need at least 4 cells per direction".into(),
            });
        }
        let bad = |what: &str, value: f64, reason: &str| PdeError::InvalidValue {
            pde: "shallow_water".into(),
            what: what.into(),
            value,
            reason: reason.into(),
        };
        for (what, a, b) in [("x interval", x0, x1), ("y interval", y0, y1)] {
            if !(a.is_finite() && b.is_finite() && b > a) {
                return Err(bad(what, b - a, "need a finite interval a < b"));
            }
        }
        if !(g.is_finite() && g > 0.0) {
            return Err(bad("g", g, "gravity must be finite and positive"));
        }
        let n = nx * ny;
        Ok(Self {
            g,
            cfl: 0.4,
            limiter: Limiter::MonotonizedCentral,
            boundary: SwBoundary::Transmissive,
            nx,
            ny,
            x0,
            y0,
            dx: (x1 - x0) / nx as f64,
            dy: (y1 - y0) / ny as f64,
            bed: Vec::new(),
            line_x: Line::new(nx),
            line_y: Line::new(ny),
            du: [vec![0.0; n], vec![0.0; n], vec![0.0; n]],
            stage: [vec![0.0; n], vec![0.0; n], vec![0.0; n]],
        })
    }

    /// Cell centres along x and y.
    pub fn centres(&self) -> (Vec<f64>, Vec<f64>) {
        let c = |a: f64, d: f64, m: usize| (0..m).map(|i| a + (i as f64 + 0.5) * d).collect();
        (c(self.x0, self.dx, self.nx), c(self.y0, self.dy, self.ny))
    }

    /// Sets the bed elevation per cell (`nx · ny` finite values; empty for a flat bed).
    pub fn set_bed(&mut self, bed: Vec<f64>) -> Result<(), PdeError> {
        if !bed.is_empty() && bed.len() != self.nx * self.ny {
            return Err(PdeError::InvalidGrid {
                pde: "shallow_water".into(),
                grid: vec![bed.len()],
                reason: format!("the bed needs {} values", self.nx * self.ny),
            });
        }
        if let Some(v) = bed.iter().find(|v| !v.is_finite()) {
            return Err(PdeError::InvalidValue {
                pde: "shallow_water".into(),
                what: "bed".into(),
                value: *v,
                reason: "must be finite".into(),
            });
        }
        self.bed = bed;
        Ok(())
    }

    /// The stable step `cfl / max((|u| + c)/Δx + (|v| + c)/Δy)`; `None` if the depth is not
    /// positive or the state not finite somewhere.
    fn stable_step(&self, s: &SwState) -> Option<f64> {
        let mut rate: f64 = 0.0;
        for ((&h, &hu), &hv) in s.h.iter().zip(&s.hu).zip(&s.hv) {
            if !(h > 0.0 && h.is_finite() && hu.is_finite() && hv.is_finite()) {
                return None;
            }
            let c = (self.g * h).sqrt();
            let r = ((hu / h).abs() + c) / self.dx + ((hv / h).abs() + c) / self.dy;
            rate = rate.max(r);
        }
        Some(self.cfl / rate)
    }

    /// `du = L(s)`: flux differences in x and y plus the bed source.
    fn rhs(&mut self, h: &[f64], hu: &[f64], hv: &[f64]) {
        let (nx, ny) = (self.nx, self.ny);
        for d in &mut self.du {
            d.fill(0.0);
        }
        let g = self.g;
        let lim = self.limiter;
        let bnd = self.boundary;
        let bed = &self.bed;
        // Sweeps along x (stride ny, normal discharge hu) then along y (contiguous, normal hv).
        for j in 0..ny {
            let line = &mut self.line_x;
            let idx = |i: usize| i * ny + j;
            gather(line, nx, idx, h, hu, hv, bed, bnd);
            faces(line, nx, g, lim, !bed.is_empty());
            scatter(line, nx, idx, 1.0 / self.dx, g, [0, 1, 2], &mut self.du);
        }
        for i in 0..nx {
            let line = &mut self.line_y;
            let idx = |j: usize| i * ny + j;
            gather(line, ny, idx, h, hv, hu, bed, bnd);
            faces(line, ny, g, lim, !bed.is_empty());
            scatter(line, ny, idx, 1.0 / self.dy, g, [0, 2, 1], &mut self.du);
        }
    }

    /// One SSP-RK3 step of size `dt`.
    fn step(&mut self, s: &mut SwState, dt: f64) {
        let mut st = std::mem::take(&mut self.stage);
        // stage 1: st = s + dt L(s)
        self.rhs(&s.h, &s.hu, &s.hv);
        for (c, cur) in [&s.h, &s.hu, &s.hv].into_iter().enumerate() {
            for ((o, &u), &d) in st[c].iter_mut().zip(cur).zip(&self.du[c]) {
                *o = u + dt * d;
            }
        }
        // stage 2: st = 3/4 s + 1/4 (st + dt L(st))
        self.rhs(&st[0], &st[1], &st[2]);
        for (c, cur) in [&s.h, &s.hu, &s.hv].into_iter().enumerate() {
            for ((o, &u), &d) in st[c].iter_mut().zip(cur).zip(&self.du[c]) {
                *o = 0.75 * u + 0.25 * (*o + dt * d);
            }
        }
        // stage 3: s = 1/3 s + 2/3 (st + dt L(st))
        self.rhs(&st[0], &st[1], &st[2]);
        for (c, cur) in [&mut s.h, &mut s.hu, &mut s.hv].into_iter().enumerate() {
            for ((u, &o), &d) in cur.iter_mut().zip(&st[c]).zip(&self.du[c]) {
                *u = (*u + 2.0 * (o + dt * d)) / 3.0;
            }
        }
        self.stage = st;
    }

    /// Integrates `s0` and returns the states at `times` (increasing, `times[0]` the initial
    /// time). `sample` is only used in errors.
    pub fn solve(
        &mut self,
        s0: &SwState,
        times: &[f64],
        sample: u64,
    ) -> Result<(Vec<SwState>, SwStats), PdeError> {
        let n = self.nx * self.ny;
        if s0.h.len() != n || s0.hu.len() != n || s0.hv.len() != n || times.is_empty() {
            return Err(PdeError::InvalidGrid {
                pde: "shallow_water".into(),
                grid: vec![s0.h.len(), s0.hu.len(), s0.hv.len()],
                reason: format!("need {n} values of h, hu and hv and at least one output time"),
            });
        }
        let mut s = s0.clone();
        let mut out = vec![s.clone()];
        let mut t = times[0];
        let mut stats = SwStats::default();
        let fail = |t: f64| PdeError::NonPositiveDepth {
            pde: "shallow_water".into(),
            t,
            sample,
        };
        for &t_out in &times[1..] {
            while t < t_out {
                let dt = self.stable_step(&s).ok_or_else(|| fail(t))?;
                let rest = t_out - t;
                let (dt, last) = crate::step_toward(rest, dt);
                self.step(&mut s, dt);
                t = if last { t_out } else { t + dt };
                stats.steps += 1;
            }
            if self.stable_step(&s).is_none() {
                return Err(fail(t));
            }
            out.push(s.clone());
        }
        Ok((out, stats))
    }
}

/// Copies one grid line (cells `idx(0..m)`) with two ghost cells per side into `line`, as
/// primitives: depth, normal and tangential velocity, surface `h + b`.
#[allow(clippy::too_many_arguments)]
fn gather(
    line: &mut Line,
    m: usize,
    idx: impl Fn(usize) -> usize,
    h: &[f64],
    qn: &[f64],
    qt: &[f64],
    bed: &[f64],
    bnd: SwBoundary,
) {
    for k in 0..m {
        let c = idx(k);
        let hh = h[c];
        line.h[k + 2] = hh;
        line.un[k + 2] = qn[c] / hh;
        line.ut[k + 2] = qt[c] / hh;
        line.eta[k + 2] = hh + bed.get(c).copied().unwrap_or(0.0);
    }
    // ghosts: mirror images of the first/last two cells
    let sign = match bnd {
        SwBoundary::Transmissive => 1.0,
        SwBoundary::Wall => -1.0,
    };
    for (ghost, inner) in [(1, 2), (0, 3), (m + 2, m + 1), (m + 3, m)] {
        let inner = match bnd {
            // zero gradient: copy the boundary cell
            SwBoundary::Transmissive => {
                if ghost < 2 {
                    2
                } else {
                    m + 1
                }
            }
            SwBoundary::Wall => inner,
        };
        line.h[ghost] = line.h[inner];
        line.un[ghost] = sign * line.un[inner];
        line.ut[ghost] = line.ut[inner];
        line.eta[ghost] = line.eta[inner];
    }
}

/// The HLL flux of `(h, h u_n, h u_n u_t)` between two states (Davis/Einfeldt speeds).
#[inline]
fn hll(g: f64, hl: f64, ul: f64, tl: f64, hr: f64, ur: f64, tr: f64) -> [f64; 3] {
    let flux = |h: f64, u: f64, t: f64| [h * u, h * u * u + 0.5 * g * h * h, h * u * t];
    let (cl, cr) = ((g * hl).sqrt(), (g * hr).sqrt());
    let sl = (ul - cl).min(ur - cr);
    let sr = (ul + cl).max(ur + cr);
    let fl = flux(hl, ul, tl);
    let fr = flux(hr, ur, tr);
    if sl >= 0.0 {
        fl
    } else if sr <= 0.0 {
        fr
    } else {
        let ql = [hl, hl * ul, hl * tl];
        let qr = [hr, hr * ur, hr * tr];
        let inv = 1.0 / (sr - sl);
        std::array::from_fn(|c| (sr * fl[c] - sl * fr[c] + sl * sr * (qr[c] - ql[c])) * inv)
    }
}

/// Reconstruction and fluxes at the `m + 1` faces of a gathered line.
fn faces(line: &mut Line, m: usize, g: f64, lim: Limiter, has_bed: bool) {
    let slope = |v: &[f64], k: usize| lim.slope(v[k] - v[k - 1], v[k + 1] - v[k]);
    for f in 0..=m {
        // face f lies between ext cells f + 1 (left) and f + 2 (right)
        let (a, b) = (f + 1, f + 2);
        let hl = line.h[a] + 0.5 * slope(&line.h, a);
        let hr = line.h[b] - 0.5 * slope(&line.h, b);
        let ul = line.un[a] + 0.5 * slope(&line.un, a);
        let ur = line.un[b] - 0.5 * slope(&line.un, b);
        let tl = line.ut[a] + 0.5 * slope(&line.ut, a);
        let tr = line.ut[b] - 0.5 * slope(&line.ut, b);
        let (bl, br) = if has_bed {
            let el = line.eta[a] + 0.5 * slope(&line.eta, a);
            let er = line.eta[b] - 0.5 * slope(&line.eta, b);
            (el - hl, er - hr)
        } else {
            (0.0, 0.0)
        };
        // hydrostatic reconstruction: depths relative to the higher bed at the face
        let bs = bl.max(br);
        let hls = (hl + bl - bs).max(0.0);
        let hrs = (hr + br - bs).max(0.0);
        let fl = hll(g, hls, ul, tl, hrs, ur, tr);
        for (c, v) in fl.into_iter().enumerate() {
            line.f[c][f] = v;
        }
        line.corr_l[f] = 0.5 * g * (hl * hl - hls * hls);
        line.corr_r[f] = 0.5 * g * (hr * hr - hrs * hrs);
        line.h_l[f] = hl;
        line.h_r[f] = hr;
        line.b_l[f] = bl;
        line.b_r[f] = br;
    }
}

/// Adds `−(F_{i+½}^− − F_{i−½}^+)/Δ + S_i` of a line to `du`; `comp` maps the line's (mass,
/// normal, tangential) components to (h, hu, hv).
fn scatter(
    line: &Line,
    m: usize,
    idx: impl Fn(usize) -> usize,
    inv_d: f64,
    g: f64,
    comp: [usize; 3],
    du: &mut [Vec<f64>; 3],
) {
    for i in 0..m {
        let c = idx(i);
        // cell i: left face i, right face i + 1
        let (fl, fr) = (i, i + 1);
        du[comp[0]][c] -= (line.f[0][fr] - line.f[0][fl]) * inv_d;
        let source = -g * 0.5 * (line.h_r[fl] + line.h_l[fr]) * (line.b_l[fr] - line.b_r[fl]);
        du[comp[1]][c] -=
            (line.f[1][fr] + line.corr_l[fr] - line.f[1][fl] - line.corr_r[fl] - source) * inv_d;
        du[comp[2]][c] -= (line.f[2][fr] - line.f[2][fl]) * inv_d;
    }
}

/// Catalogue entry `shallow_water`: PDEBench's 2-D radial dam break.
///
/// ```text
/// shallow-water equations (module doc) with g = 1, flat bed, on [−2.5, 2.5]², t ∈ [0, 1],
/// h(x, y, 0) = 2 for √(x² + y²) < r, 1 otherwise, r ~ U[0.3, 0.7], u = v = 0
/// ```
///
/// * Source: M. Takamoto et al., *PDEBench* (NeurIPS 2022 Datasets and Benchmarks), §D.6
///   ("2D_rdb_NA_NA": 128 × 128 cells, 101 output times); PDEBench solves it with PyClaw
///   (finite volumes, Roe solver) and stores the depth `h`.
/// * Solver: [`ShallowWater2d`] — MUSCL (MC limiter), HLL flux, SSP-RK3, CFL 0.4,
///   transmissive boundaries. Field `h` (`["t", "x", "y"]`).
#[derive(Debug, Clone, Copy, Default)]
pub struct ShallowWaterRdb;

const SW_NAME: &str = "shallow_water";

fn sw_params() -> Vec<ParamInfo> {
    vec![
        ParamInfo {
            name: "g",
            default: 1.0,
            description: "gravitational acceleration",
        },
        ParamInfo {
            name: "t_end",
            default: 1.0,
            description: "final time T",
        },
        ParamInfo {
            name: "h_in",
            default: 2.0,
            description: "depth inside the dam",
        },
        ParamInfo {
            name: "h_out",
            default: 1.0,
            description: "depth outside the dam",
        },
        ParamInfo {
            name: "r_min",
            default: 0.3,
            description: "smallest dam radius (r ~ U[r_min, r_max])",
        },
        ParamInfo {
            name: "r_max",
            default: 0.7,
            description: "largest dam radius",
        },
        ParamInfo {
            name: "cfl",
            default: 0.4,
            description: "CFL number of the SSP-RK3 steps (at most 0.5)",
        },
    ]
}

impl DatasetPde for ShallowWaterRdb {
    fn info(&self) -> PdeInfo {
        PdeInfo {
            name: SW_NAME,
            equation: "h_t + (hu)_x + (hv)_y = 0, (hu)_t + (hu^2 + g h^2/2)_x + (huv)_y = 0, \
                       (hv)_t + (huv)_x + (hv^2 + g h^2/2)_y = 0",
            domain: "(x, y) in [-2.5, 2.5]^2, t in [0, t_end]",
            boundary: "transmissive (zero gradient)",
            sampler:
                "radial dam break: h = h_in inside radius r ~ U[r_min, r_max], h_out outside, \
                      zero velocity",
            solver: "finite volumes: MUSCL (MC limiter) on h, u, v, HLL flux, SSP-RK3",
            source: "Takamoto et al., PDEBench, NeurIPS 2022 (2-D shallow water, radial dam break)",
            spatial_dims: 2,
            default_grid: vec![128, 128],
            default_steps: 101,
            params: sw_params(),
        }
    }

    fn layout(&self, cfg: &GenConfig) -> Result<Layout, PdeError> {
        let p = resolve_params(SW_NAME, &sw_params(), &cfg.params)?;
        let n = super::square_grid(SW_NAME, &cfg.grid, 128)?;
        if n < 4 {
            return Err(PdeError::InvalidGrid {
                pde: SW_NAME.into(),
                grid: cfg.grid.clone(),
                reason: "need at least 4 cells per side".into(),
            });
        }
        let bad = |what: &str, value: f64, reason: &str| PdeError::InvalidValue {
            pde: SW_NAME.into(),
            what: what.into(),
            value,
            reason: reason.into(),
        };
        for k in ["g", "t_end", "h_in", "h_out", "cfl"] {
            if !(p[k].is_finite() && p[k] > 0.0) {
                return Err(bad(k, p[k], "must be finite and positive"));
            }
        }
        if p["cfl"] > 0.5 {
            return Err(bad("cfl", p["cfl"], "must be at most 0.5"));
        }
        if !(p["r_min"] >= 0.0 && p["r_max"] >= p["r_min"] && p["r_max"] <= 2.5) {
            return Err(bad("r_max", p["r_max"], "need 0 <= r_min <= r_max <= 2.5"));
        }
        let steps = cfg.steps.unwrap_or(101);
        if steps < 2 {
            return Err(bad("steps", steps as f64, "need at least 2 output times"));
        }
        let t: Vec<f64> = (0..steps)
            .map(|k| p["t_end"] * k as f64 / (steps - 1) as f64)
            .collect();
        let x: Vec<f64> = (0..n)
            .map(|i| -2.5 + (i as f64 + 0.5) * 5.0 / n as f64)
            .collect();
        Ok(Layout {
            fields: vec![FieldSpec {
                name: "h".into(),
                dims: vec!["t".into(), "x".into(), "y".into()],
                shape: vec![steps, n, n],
            }],
            coords: vec![("t".into(), t), ("x".into(), x.clone()), ("y".into(), x)],
            solver: json!({
                "method": "finite volumes: MUSCL (MC limiter) on h, u, v + HLL flux + SSP-RK3",
                "cfl": p["cfl"],
                "boundary": "transmissive",
            }),
            params: p,
        })
    }

    fn sample(&self, cfg: &GenConfig, seed: u64, index: u64) -> Result<Sample, PdeError> {
        let layout = self.layout(cfg)?;
        let p = &layout.params;
        let n = layout.coords[1].1.len();
        let mut rng = sample_rng(seed, index);
        let u: f64 = rng.random();
        let r = p["r_min"] + (p["r_max"] - p["r_min"]) * u;
        let mut sw = ShallowWater2d::new(n, n, (-2.5, 2.5), (-2.5, 2.5), p["g"])?;
        sw.cfl = p["cfl"];
        let (xc, yc) = sw.centres();
        let h: Vec<f64> = xc
            .iter()
            .flat_map(|&x| {
                yc.iter().map(move |&y| {
                    if (x * x + y * y).sqrt() < r {
                        p["h_in"]
                    } else {
                        p["h_out"]
                    }
                })
            })
            .collect();
        let s0 = SwState {
            hu: vec![0.0; h.len()],
            hv: vec![0.0; h.len()],
            h,
        };
        let (states, _) = sw.solve(&s0, &layout.coords[0].1, index)?;
        let mut out = Vec::with_capacity(states.len() * n * n);
        for s in &states {
            out.extend_from_slice(&s.h);
        }
        Ok(Sample { fields: vec![out] })
    }
}
