//! The 2-D spectral convolution's transforms, truncated-DFT GEMMs (what `Fno2d` does, through
//! burn's flex backend) against FFTs (realfft along y, rustfft along x over the kept `ky`
//! columns only), forward and forward + backward, on the model's point-major activations
//! `[ny, nx, b·c]` (rows ordered y, x, sample; channels fastest).
//!
//! ```text
//! RAYON_NUM_THREADS=1 cargo run --release -p ai4de-neural --example bench_spectral2d -- \
//!     [--n 85] [--bc 640] [--modes 12] [--reps 15]
//! RAYON_NUM_THREADS=1 cargo run --release -p ai4de-neural --example bench_spectral2d -- --cases
//! ```
//! `--cases` runs the set-ups of issue 7: Darcy (85², width 32, batch 20: `bc` = 640, 12 modes
//! per corner), Navier–Stokes (64², width 20, batch 20: `bc` = 400, 12 modes) and 256² with
//! 12 and 32 modes (width 32, batch 20).
//!
//! What is timed, per layer (one spectral convolution's transforms, without the mode mixing,
//! which is the same on both paths):
//! * **forward**: the truncated forward transform `[ny, nx·bc] → [m2, 2·m1, bc]` complex and the
//!   inverse back to `[ny, nx·bc]`;
//! * **forward + backward**: the same, then `Σ y ⊙ r` and the gradient with respect to the
//!   input. The GEMM side is burn's autodiff of exactly the model's four GEMMs; the FFT side
//!   applies the exact adjoints (the adjoint of the truncated forward transform is a zero-padded
//!   inverse with weight 1/(nx·ny) on every kept mode, the adjoint of the inverse is a forward
//!   transform with weights `c_ky` and no 1/(nx·ny)), checked against the autodiff gradient below.
//!
//! The FFT side includes the transposes to and from the point-major layout (an FFT needs each
//! signal contiguous), done in blocks of 16 signals so that every read and write of the
//! activations is a 64-byte run. It runs on one thread; compare with `RAYON_NUM_THREADS=1`.
//!
//! Timing: CPU time of the whole process (`CLOCK_PROCESS_CPUTIME_ID`, which also counts the
//! rayon worker that runs flex's GEMMs), the four variants alternating within each repetition,
//! medians over repetitions; wall medians are printed too. Both paths are checked against each
//! other (forward, inverse and gradient) before timing.

use std::f64::consts::PI;
use std::sync::Arc;
use std::time::Instant;

use ai4de_neural::burn::tensor::{Device, Tensor, TensorData};
use realfft::{ComplexToReal, RealFftPlanner, RealToComplex};
use rustfft::num_complex::Complex32;
use rustfft::{Fft, FftPlanner};

fn arg(args: &[String], name: &str, default: usize) -> usize {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .map(|v| {
            v.parse()
                .unwrap_or_else(|_| panic!("{name} takes an integer, got {v}"))
        })
        .unwrap_or(default)
}

/// CPU seconds of the whole process (all threads).
#[cfg(unix)]
fn cpu_seconds() -> f64 {
    let mut t = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `clock_gettime` only writes the struct it is given.
    unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut t) };
    t.tv_sec as f64 + 1e-9 * t.tv_nsec as f64
}

#[cfg(not(unix))]
fn cpu_seconds() -> f64 {
    f64::NAN
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// The model's truncated-DFT matrices (`Dft2dBasis` in `src/models/spectral.rs`, copied here
/// because that type is crate-private): `(forward_y [2m2, ny], forward_x [4m1, 2nx],
/// inverse_x [2nx, 4m1], inverse_y [ny, 2m2])`.
fn dft_matrices(
    nx: usize,
    ny: usize,
    m1: usize,
    m2: usize,
) -> (Vec<f32>, Vec<f32>, Vec<f32>, Vec<f32>) {
    let mut fy = vec![0.0_f32; 2 * m2 * ny];
    let mut iy = vec![0.0_f32; ny * 2 * m2];
    for k in 0..m2 {
        let c = if k == 0 || 2 * k == ny { 1.0 } else { 2.0 };
        for j in 0..ny {
            let th = 2.0 * PI * ((j * k) % ny) as f64 / ny as f64;
            let (s, co) = th.sin_cos();
            fy[2 * k * ny + j] = (co / ny as f64) as f32;
            fy[(2 * k + 1) * ny + j] = (-s / ny as f64) as f32;
            iy[j * 2 * m2 + 2 * k] = (c * co) as f32;
            iy[j * 2 * m2 + 2 * k + 1] = (-c * s) as f32;
        }
    }
    let kk = 2 * m1;
    let mut fx = vec![0.0_f32; 2 * kk * 2 * nx];
    let mut ix = vec![0.0_f32; 2 * nx * 2 * kk];
    for (q, k) in (0..m1).chain(nx - m1..nx).enumerate() {
        for j in 0..nx {
            let th = 2.0 * PI * ((j * k) % nx) as f64 / nx as f64;
            let (s, c) = th.sin_cos();
            let (cf, sf) = ((c / nx as f64) as f32, (s / nx as f64) as f32);
            let row = 2 * nx;
            fx[2 * q * row + j] = cf;
            fx[2 * q * row + nx + j] = sf;
            fx[(2 * q + 1) * row + j] = -sf;
            fx[(2 * q + 1) * row + nx + j] = cf;
            let row = 2 * kk;
            ix[j * row + 2 * q] = c as f32;
            ix[j * row + 2 * q + 1] = -s as f32;
            ix[(nx + j) * row + 2 * q] = s as f32;
            ix[(nx + j) * row + 2 * q + 1] = c as f32;
        }
    }
    (fy, fx, ix, iy)
}

/// The GEMM path: the model's four GEMMs on one device.
struct GemmPath {
    fy: Tensor<2>,
    fx: Tensor<3>,
    ix: Tensor<3>,
    iy: Tensor<2>,
    dims: (usize, usize, usize, usize, usize),
}

impl GemmPath {
    fn new(dims: (usize, usize, usize, usize, usize), device: &Device) -> Self {
        let (ny, nx, _, m1, m2) = dims;
        let (fy, fx, ix, iy) = dft_matrices(nx, ny, m1, m2);
        let kk = 2 * m1;
        Self {
            fy: Tensor::from_data(TensorData::new(fy, [2 * m2, ny]), device),
            fx: Tensor::from_data(TensorData::new(fx, [1, 2 * kk, 2 * nx]), device),
            ix: Tensor::from_data(TensorData::new(ix, [1, 2 * nx, 2 * kk]), device),
            iy: Tensor::from_data(TensorData::new(iy, [ny, 2 * m2]), device),
            dims,
        }
    }

    /// `[ny, nx·bc] → [m2, 4m1, bc]` (rows `(ky, kx, re/im)`).
    fn forward(&self, v: Tensor<2>) -> Tensor<3> {
        let (_, nx, bc, _, m2) = self.dims;
        let a = self.fy.clone().matmul(v).reshape([m2, 2 * nx, bc]);
        self.fx.clone().matmul(a)
    }

    /// `[m2, 4m1, bc] → [ny, nx·bc]`.
    fn inverse(&self, s: Tensor<3>) -> Tensor<2> {
        let (_, nx, bc, _, m2) = self.dims;
        let y = self.ix.clone().matmul(s).reshape([2 * m2, nx * bc]);
        self.iy.clone().matmul(y)
    }
}

/// Number of signals transposed together: 16 `f32` = one 64-byte cache line per grid row.
const BLOCK: usize = 16;

/// The FFT path on host buffers (one thread).
struct FftPath {
    ny: usize,
    nx: usize,
    bc: usize,
    m1: usize,
    m2: usize,
    r2c: Arc<dyn RealToComplex<f32>>,
    c2r: Arc<dyn ComplexToReal<f32>>,
    fx: Arc<dyn Fft<f32>>,
    ix: Arc<dyn Fft<f32>>,
    /// `[BLOCK, ny]` real signals along y.
    rows: Vec<f32>,
    /// `[BLOCK, ny/2 + 1]` their half spectra.
    half: Vec<Complex32>,
    /// `[m2·bc, nx]`: the kept `ky` columns as signals along x, row `ky·bc + c`.
    zx: Vec<Complex32>,
    scratch: Vec<Complex32>,
}

impl FftPath {
    fn new(ny: usize, nx: usize, bc: usize, m1: usize, m2: usize) -> Self {
        let mut rp = RealFftPlanner::<f32>::new();
        let (r2c, c2r) = (rp.plan_fft_forward(ny), rp.plan_fft_inverse(ny));
        let mut cp = FftPlanner::<f32>::new();
        let (fx, ix) = (cp.plan_fft_forward(nx), cp.plan_fft_inverse(nx));
        let scratch = r2c
            .get_scratch_len()
            .max(c2r.get_scratch_len())
            .max(fx.get_inplace_scratch_len())
            .max(ix.get_inplace_scratch_len());
        let h = ny / 2 + 1;
        Self {
            ny,
            nx,
            bc,
            m1,
            m2,
            r2c,
            c2r,
            fx,
            ix,
            rows: vec![0.0; BLOCK * ny],
            half: vec![Complex32::new(0.0, 0.0); BLOCK * h],
            zx: vec![Complex32::new(0.0, 0.0); m2 * bc * nx],
            scratch: vec![Complex32::new(0.0, 0.0); scratch],
        }
    }

    /// Truncated forward transform of `v: [ny, nx·bc]` into `out: [m2, 2·m1, 2, bc]`
    /// (the GEMM path's layout), the mode `(kx, ky)` multiplied by `w[ky]`:
    /// `out = w[ky] Σ_{x,y} v e^{−2πi(kx x/nx + ky y/ny)}`.
    fn forward(&mut self, v: &[f32], w: &[f32], out: &mut [f32]) {
        let (ny, nx, bc, m1, m2) = (self.ny, self.nx, self.bc, self.m1, self.m2);
        let cols = nx * bc;
        let h = ny / 2 + 1;
        let mut r0 = 0;
        while r0 < cols {
            let nb = BLOCK.min(cols - r0);
            // Gather `nb` signals along y: for each y one contiguous run of `nb` floats.
            for y in 0..ny {
                let src = &v[y * cols + r0..y * cols + r0 + nb];
                for (i, &s) in src.iter().enumerate() {
                    self.rows[i * ny + y] = s;
                }
            }
            for i in 0..nb {
                let row = &mut self.rows[i * ny..(i + 1) * ny];
                let spec = &mut self.half[i * h..(i + 1) * h];
                self.r2c
                    .process_with_scratch(row, spec, &mut self.scratch)
                    .expect("buffer lengths match the plan");
                let (x, c) = ((r0 + i) / bc, (r0 + i) % bc);
                for ky in 0..m2 {
                    self.zx[(ky * bc + c) * nx + x] = spec[ky] * w[ky];
                }
            }
            r0 += nb;
        }
        self.fx
            .process_with_scratch(&mut self.zx, &mut self.scratch);
        let kk = 2 * m1;
        for ky in 0..m2 {
            for (q, k) in (0..m1).chain(nx - m1..nx).enumerate() {
                let base = ((ky * kk + q) * 2) * bc;
                for c in 0..bc {
                    let z = self.zx[(ky * bc + c) * nx + k];
                    out[base + c] = z.re;
                    out[base + bc + c] = z.im;
                }
            }
        }
    }

    /// Inverse of the truncated spectrum `s: [m2, 2·m1, 2, bc]` into `out: [ny, nx·bc]`:
    /// `out = Re Σ_{kept} w[ky] S e^{2πi(kx x/nx + ky y/ny)}` (with `w = c_ky`, `c_0 = 1`,
    /// `c_ky = 2`, this is the model's inverse; with `w = 1/(nx·ny)` the adjoint of the
    /// forward transform with `1/(nx·ny)`).
    fn inverse(&mut self, s: &[f32], w: &[f32], out: &mut [f32]) {
        let (ny, nx, bc, m1, m2) = (self.ny, self.nx, self.bc, self.m1, self.m2);
        let cols = nx * bc;
        let h = ny / 2 + 1;
        let kk = 2 * m1;
        self.zx.fill(Complex32::new(0.0, 0.0));
        for ky in 0..m2 {
            for (q, k) in (0..m1).chain(nx - m1..nx).enumerate() {
                let base = ((ky * kk + q) * 2) * bc;
                for c in 0..bc {
                    self.zx[(ky * bc + c) * nx + k] = Complex32::new(s[base + c], s[base + bc + c]);
                }
            }
        }
        self.ix
            .process_with_scratch(&mut self.zx, &mut self.scratch);
        // irfft weights the modes 1.. twice (Hermitian completion) and drops Im of mode 0.
        let half_w: Vec<f32> = (0..m2)
            .map(|ky| if ky == 0 { w[0] } else { 0.5 * w[ky] })
            .collect();
        let mut r0 = 0;
        while r0 < cols {
            let nb = BLOCK.min(cols - r0);
            for i in 0..nb {
                let (x, c) = ((r0 + i) / bc, (r0 + i) % bc);
                let spec = &mut self.half[i * h..(i + 1) * h];
                spec.fill(Complex32::new(0.0, 0.0));
                for ky in 0..m2 {
                    spec[ky] = self.zx[(ky * bc + c) * nx + x] * half_w[ky];
                }
                spec[0].im = 0.0;
                let row = &mut self.rows[i * ny..(i + 1) * ny];
                self.c2r
                    .process_with_scratch(spec, row, &mut self.scratch)
                    .expect("buffer lengths match the plan");
            }
            for y in 0..ny {
                let dst = &mut out[y * cols + r0..y * cols + r0 + nb];
                for (i, d) in dst.iter_mut().enumerate() {
                    *d = self.rows[i * ny + y];
                }
            }
            r0 += nb;
        }
    }
}

fn max_abs_diff(a: &[f32], b: &[f32]) -> (f32, f32) {
    assert_eq!(a.len(), b.len());
    let d = a
        .iter()
        .zip(b)
        .fold(0.0_f32, |m, (x, y)| m.max((x - y).abs()));
    let s = b.iter().fold(0.0_f32, |m, y| m.max(y.abs()));
    (d, s)
}

struct Case {
    name: &'static str,
    n: usize,
    bc: usize,
    modes: usize,
}

fn run_case(case: &Case, reps: usize) {
    let (ny, nx, bc, m1, m2) = (case.n, case.n, case.bc, case.modes, case.modes);
    assert!(
        2 * m1 <= nx && 2 * m2 <= ny,
        "need 2·modes <= n ({} modes, n = {})",
        case.modes,
        case.n
    );
    let dims = (ny, nx, bc, m1, m2);
    let cols = nx * bc;
    let npix = (nx * ny) as f32;
    let xs: Vec<f32> = (0..ny * cols)
        .map(|i| ((i * 7919) % 1009) as f32 / 1009.0 - 0.5)
        .collect();
    let rs: Vec<f32> = (0..ny * cols)
        .map(|i| ((i * 104_729) % 997) as f32 / 997.0 - 0.5)
        .collect();
    let spec_len = m2 * 2 * m1 * 2 * bc;

    let device = Device::flex();
    let ad = device.clone().autodiff();
    let gemm = GemmPath::new(dims, &device);
    let gemm_ad = GemmPath::new(dims, &ad);
    let x = Tensor::<2>::from_data(TensorData::new(xs.clone(), [ny, cols]), &device);
    let r_ad = Tensor::<2>::from_data(TensorData::new(rs.clone(), [ny, cols]), &ad);
    let mut fft = FftPath::new(ny, nx, bc, m1, m2);
    let w_fwd = vec![1.0 / npix; m2];
    let w_inv: Vec<f32> = (0..m2).map(|k| if k == 0 { 1.0 } else { 2.0 }).collect();
    let w_adj_inv = w_inv.clone();
    let w_adj_fwd = vec![1.0 / npix; m2];

    // FFT-side buffers, allocated once.
    let mut spec = vec![0.0_f32; spec_len];
    let mut y = vec![0.0_f32; ny * cols];
    let mut gspec = vec![0.0_f32; spec_len];
    let mut gx = vec![0.0_f32; ny * cols];

    let fft_fwd = |fft: &mut FftPath, spec: &mut [f32], y: &mut [f32]| {
        fft.forward(&xs, &w_fwd, spec);
        fft.inverse(spec, &w_inv, y);
    };
    let fft_fwd_bwd = |fft: &mut FftPath,
                       spec: &mut [f32],
                       y: &mut [f32],
                       gspec: &mut [f32],
                       gx: &mut [f32]|
     -> f32 {
        fft.forward(&xs, &w_fwd, spec);
        fft.inverse(spec, &w_inv, y);
        let loss: f32 = y.iter().zip(&rs).map(|(a, b)| a * b).sum();
        // d loss / d y = r.
        fft.forward(&rs, &w_adj_inv, gspec);
        fft.inverse(gspec, &w_adj_fwd, gx);
        loss
    };
    let gemm_fwd = || gemm.inverse(gemm.forward(x.clone()));
    let xa = Tensor::<2>::from_data(TensorData::new(xs.clone(), [ny, cols]), &ad).require_grad();
    let gemm_fwd_bwd = || {
        let xa = xa.clone();
        let out = gemm_ad.inverse(gemm_ad.forward(xa.clone()));
        let loss = (out * r_ad.clone()).sum();
        let grads = loss.backward();
        xa.grad(&grads).expect("the input requires a gradient")
    };

    // Agreement before timing.
    fft_fwd(&mut fft, &mut spec, &mut y);
    let spec_g: Vec<f32> = gemm
        .forward(x.clone())
        .into_data()
        .try_to_vec()
        .expect("f32");
    let y_g: Vec<f32> = gemm_fwd().into_data().try_to_vec().expect("f32");
    fft_fwd_bwd(&mut fft, &mut spec, &mut y, &mut gspec, &mut gx);
    let gx_g: Vec<f32> = gemm_fwd_bwd().into_data().try_to_vec().expect("f32");
    let checks = [
        ("forward spectrum", max_abs_diff(&spec, &spec_g)),
        ("inverse", max_abs_diff(&y, &y_g)),
        ("input gradient", max_abs_diff(&gx, &gx_g)),
    ];
    for (what, (d, s)) in checks {
        assert!(
            d <= 1e-4 * s.max(1e-3),
            "{}: FFT and GEMM paths disagree in the {what}: max |diff| {d:e} (scale {s:e})",
            case.name
        );
    }
    let rel = |(d, s): (f32, f32)| d / s.max(1e-30);

    let mut t: [(Vec<f64>, Vec<f64>); 4] = Default::default();
    for rep in 0..reps + 2 {
        for (i, slot) in t.iter_mut().enumerate() {
            let (c0, w0) = (cpu_seconds(), Instant::now());
            match i {
                0 => {
                    let _ = gemm_fwd();
                }
                1 => fft_fwd(&mut fft, &mut spec, &mut y),
                2 => {
                    let _ = gemm_fwd_bwd();
                }
                _ => {
                    fft_fwd_bwd(&mut fft, &mut spec, &mut y, &mut gspec, &mut gx);
                }
            }
            // The first two repetitions warm caches and the allocator.
            if rep >= 2 {
                slot.0.push(1e3 * (cpu_seconds() - c0));
                slot.1.push(1e3 * w0.elapsed().as_secs_f64());
            }
        }
    }
    let m: Vec<(f64, f64)> = t.into_iter().map(|(c, w)| (median(c), median(w))).collect();
    println!(
        "{} n={} bc={} modes={} | CPU ms: gemm_fwd {:.2} fft_fwd {:.2} (fft/gemm {:.2}) | gemm_fwdbwd {:.2} fft_fwdbwd {:.2} (fft/gemm {:.2}) | wall ms: {:.2} {:.2} {:.2} {:.2} | rel diff fwd {:.1e} inv {:.1e} grad {:.1e}",
        case.name,
        case.n,
        case.bc,
        case.modes,
        m[0].0,
        m[1].0,
        m[1].0 / m[0].0,
        m[2].0,
        m[3].0,
        m[3].0 / m[2].0,
        m[0].1,
        m[1].1,
        m[2].1,
        m[3].1,
        rel(checks[0].1),
        rel(checks[1].1),
        rel(checks[2].1),
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let reps = arg(&args, "--reps", 15);
    if args.iter().any(|a| a == "--cases") {
        let cases = [
            Case {
                name: "darcy",
                n: 85,
                bc: 20 * 32,
                modes: 12,
            },
            Case {
                name: "ns",
                n: 64,
                bc: 20 * 20,
                modes: 12,
            },
            Case {
                name: "hires12",
                n: 256,
                bc: 20 * 32,
                modes: 12,
            },
            Case {
                name: "hires32",
                n: 256,
                bc: 20 * 32,
                modes: 32,
            },
        ];
        for c in &cases {
            run_case(c, reps);
        }
    } else {
        run_case(
            &Case {
                name: "custom",
                n: arg(&args, "--n", 85),
                bc: arg(&args, "--bc", 640),
                modes: arg(&args, "--modes", 12),
            },
            reps,
        );
    }
}
