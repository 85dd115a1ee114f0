//! Truncated DFT as GEMMs (what `Fno1d` does, through burn's flex backend) against FFTs
//! (rustfft) for the spectral convolution's transforms, on point-major activations
//! `[n, b·c]`: forward `[n, b·c] → [2m, b·c]` (real and imaginary parts of the `m` lowest
//! modes, scaled by `1/n`) and inverse `[2m, b·c] → [n, b·c]`. The backward pass of each
//! transform is the other one's shape (the adjoint of a truncated DFT is a zero-padded inverse
//! DFT), so forward + backward of a layer costs about twice the sum printed here.
//!
//! ```text
//! RAYON_NUM_THREADS=1 cargo run --release -p ai4de-neural --example bench_spectral -- [--n 256]
//!     [--bc 1280] [--modes 16] [--reps 30]
//! ```
//! The FFT side packs two real signals into one complex FFT and includes the transposes to and
//! from the point-major layout (the model's activations are point-major; an FFT needs each
//! signal contiguous). Both sides are checked against each other before timing.

use std::f64::consts::PI;
use std::time::Instant;

use ai4de_neural::burn::tensor::{Device, Tensor, TensorData};
use rustfft::num_complex::Complex32;
use rustfft::FftPlanner;

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

fn median_us(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    1e6 * v[v.len() / 2]
}

/// FFT-based truncated real DFT of the `bc` columns of `x: [n, bc]` into `out: [2m, bc]`.
struct FftPath {
    fwd: std::sync::Arc<dyn rustfft::Fft<f32>>,
    inv: std::sync::Arc<dyn rustfft::Fft<f32>>,
    buf: Vec<Complex32>,
    scratch: Vec<Complex32>,
}

impl FftPath {
    fn new(n: usize, bc: usize) -> Self {
        let mut planner = FftPlanner::<f32>::new();
        let fwd = planner.plan_fft_forward(n);
        let inv = planner.plan_fft_inverse(n);
        let scratch_len = fwd
            .get_inplace_scratch_len()
            .max(inv.get_inplace_scratch_len());
        Self {
            fwd,
            inv,
            buf: vec![Complex32::new(0.0, 0.0); n * bc.div_ceil(2)],
            scratch: vec![Complex32::new(0.0, 0.0); scratch_len],
        }
    }

    fn forward(&mut self, x: &[f32], n: usize, bc: usize, m: usize, out: &mut [f32]) {
        let pairs = bc / 2;
        // Transpose into `pairs` complex signals z = x[:, 2p] + i x[:, 2p+1].
        for j in 0..n {
            let row = &x[j * bc..(j + 1) * bc];
            for p in 0..pairs {
                self.buf[p * n + j] = Complex32::new(row[2 * p], row[2 * p + 1]);
            }
        }
        self.fwd
            .process_with_scratch(&mut self.buf[..pairs * n], &mut self.scratch);
        let s = 0.5 / n as f32;
        for p in 0..pairs {
            let z = &self.buf[p * n..(p + 1) * n];
            for k in 0..m {
                let a = z[k];
                let b = z[(n - k) % n].conj();
                // X_{2p}(k) = (Z_k + conj Z_{n−k})/2, X_{2p+1}(k) = (Z_k − conj Z_{n−k})/(2i).
                let (e, o) = (a + b, a - b);
                out[k * bc + 2 * p] = s * e.re;
                out[(m + k) * bc + 2 * p] = s * e.im;
                out[k * bc + 2 * p + 1] = s * o.im;
                out[(m + k) * bc + 2 * p + 1] = -s * o.re;
            }
        }
    }

    fn inverse(&mut self, y: &[f32], n: usize, bc: usize, m: usize, out: &mut [f32]) {
        let pairs = bc / 2;
        for p in 0..pairs {
            let z = &mut self.buf[p * n..(p + 1) * n];
            z.fill(Complex32::new(0.0, 0.0));
            for k in 0..m {
                let a = Complex32::new(y[k * bc + 2 * p], y[(m + k) * bc + 2 * p]);
                let b = Complex32::new(y[k * bc + 2 * p + 1], y[(m + k) * bc + 2 * p + 1]);
                // irfft ignores the imaginary part of the zero mode.
                let (a, b) = if k == 0 {
                    (Complex32::new(a.re, 0.0), Complex32::new(b.re, 0.0))
                } else {
                    (a, b)
                };
                let i_b = Complex32::new(-b.im, b.re);
                z[k] = a + i_b;
                if k > 0 {
                    let i_bc = Complex32::new(b.im, b.re); // i · conj(b)
                    z[n - k] = a.conj() + i_bc;
                }
            }
        }
        self.inv
            .process_with_scratch(&mut self.buf[..pairs * n], &mut self.scratch);
        for j in 0..n {
            let row = &mut out[j * bc..(j + 1) * bc];
            for p in 0..pairs {
                let z = self.buf[p * n + j];
                row[2 * p] = z.re;
                row[2 * p + 1] = z.im;
            }
        }
    }
}

fn dft_matrices(n: usize, m: usize) -> (Vec<f32>, Vec<f32>) {
    let mut f = vec![0.0_f32; 2 * m * n];
    let mut g = vec![0.0_f32; n * 2 * m];
    for k in 0..m {
        let c = if k == 0 || 2 * k == n { 1.0 } else { 2.0 };
        for j in 0..n {
            let th = 2.0 * PI * ((j * k) % n) as f64 / n as f64;
            f[k * n + j] = (th.cos() / n as f64) as f32;
            f[(m + k) * n + j] = (-th.sin() / n as f64) as f32;
            g[j * 2 * m + k] = (c * th.cos()) as f32;
            g[j * 2 * m + m + k] = (-c * th.sin()) as f32;
        }
    }
    (f, g)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let n = arg(&args, "--n", 256);
    let bc = arg(&args, "--bc", 20 * 64);
    let m = arg(&args, "--modes", 16);
    let reps = arg(&args, "--reps", 30);
    assert!(
        bc.is_multiple_of(2) && 2 * m <= n,
        "need an even --bc and 2·modes <= n"
    );
    let device = Device::flex();
    let xs: Vec<f32> = (0..n * bc)
        .map(|i| ((i * 7919) % 1009) as f32 / 1009.0 - 0.5)
        .collect();
    let (fv, gv) = dft_matrices(n, m);
    let f = Tensor::<2>::from_data(TensorData::new(fv, [2 * m, n]), &device);
    let g = Tensor::<2>::from_data(TensorData::new(gv, [n, 2 * m]), &device);
    let x = Tensor::<2>::from_data(TensorData::new(xs.clone(), [n, bc]), &device);

    // Agreement of the two paths (forward and inverse) before timing.
    let mut fft = FftPath::new(n, bc);
    let mut spec = vec![0.0_f32; 2 * m * bc];
    fft.forward(&xs, n, bc, m, &mut spec);
    let spec_gemm = f.clone().matmul(x.clone());
    let sg: Vec<f32> = spec_gemm.clone().into_data().try_to_vec().expect("f32");
    let err_f = spec
        .iter()
        .zip(&sg)
        .fold(0.0_f32, |a, (p, q)| a.max((p - q).abs()));
    let mut back = vec![0.0_f32; n * bc];
    fft.inverse(&sg, n, bc, m, &mut back);
    let bg: Vec<f32> = g
        .clone()
        .matmul(spec_gemm)
        .into_data()
        .try_to_vec()
        .expect("f32");
    let err_i = back
        .iter()
        .zip(&bg)
        .fold(0.0_f32, |a, (p, q)| a.max((p - q).abs()));
    assert!(
        err_f < 1e-4 && err_i < 1e-3,
        "paths disagree: {err_f:e} {err_i:e}"
    );

    let spec_t = Tensor::<2>::from_data(TensorData::new(sg.clone(), [2 * m, bc]), &device);
    let time = |mut f: Box<dyn FnMut() + '_>| {
        let mut v = Vec::with_capacity(reps);
        for i in 0..reps + 3 {
            let t0 = Instant::now();
            f();
            if i >= 3 {
                v.push(t0.elapsed().as_secs_f64());
            }
        }
        median_us(v)
    };
    let gemm_fwd = time(Box::new(|| {
        let _ = f.clone().matmul(x.clone()).into_data();
    }));
    let gemm_inv = time(Box::new(|| {
        let _ = g.clone().matmul(spec_t.clone()).into_data();
    }));
    let mut out_spec = vec![0.0_f32; 2 * m * bc];
    let mut out_grid = vec![0.0_f32; n * bc];
    let fft_fwd = time(Box::new(|| fft.forward(&xs, n, bc, m, &mut out_spec)));
    let mut fft = FftPath::new(n, bc);
    let fft_inv = time(Box::new(|| fft.inverse(&sg, n, bc, m, &mut out_grid)));
    println!(
        "spectral n={n} bc={bc} modes={m} gemm_fwd_us={gemm_fwd:.1} gemm_inv_us={gemm_inv:.1} fft_fwd_us={fft_fwd:.1} fft_inv_us={fft_inv:.1} ratio_fft_over_gemm={:.2}",
        (fft_fwd + fft_inv) / (gemm_fwd + gemm_inv)
    );
}
