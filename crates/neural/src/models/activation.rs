//! The exact GELU, `gelu(x) = x Φ(x)` (Hendrycks & Gimpel 2016, "Gaussian error linear units"),
//! with a fast path for burn's flex CPU backend.
//!
//! burn-flex 0.22 evaluates `gelu` and its backward element by element through the scalar
//! `libm::erff`; in an FNO-1D training step (`bench/neural/RESULTS.md`) that was 20 % of the
//! profile, more than any op but the GEMMs. On a flex device this module computes `x Φ(x)` and its
//! derivative `Φ(x) + x φ(x)` on the host in one pass of straight-line (vectorisable) code, and
//! puts them back into the graph as constants:
//!
//! ```text
//! y = Y + (x − detach(x)) ⊙ D,   Y = x Φ(x),   D = Φ(x) + x φ(x)
//! ```
//!
//! The value is `Y` exactly (`x − detach(x)` is exactly zero for finite `x`) and the gradient is
//! `D`, so autodiff sees the exact GELU. Other devices (the GPU backends) call burn's `gelu`.
//!
//! `Φ` uses the complementary error function of Press et al., *Numerical Recipes* (3rd ed., §6.2.2,
//! `erfccheb`'s predecessor `erfcc`): `erfc(z) = t exp(−z² + P(t))`, `t = 1/(1 + z/2)`, with
//! fractional error below 1.2·10⁻⁷ everywhere, evaluated in f64; the exponential is a
//! branch-free Cody–Waite reduction with a degree-11 Taylor polynomial (relative error < 10⁻¹⁴).
//! The result matches burn's `libm`-based GELU to a few f32 ulps (tested below).

use burn::tensor::activation;
use burn::tensor::{DType, Device, Tensor, TensorData};
use rayon::prelude::*;

/// `a·b + c`, fused where the caller is compiled with FMA (`F = true`).
#[inline(always)]
fn madd<const F: bool>(a: f64, b: f64, c: f64) -> f64 {
    if F {
        a.mul_add(b, c)
    } else {
        a * b + c
    }
}

/// `e^x` for `x ≤ 0` (inputs below −708 give `e^−708`), branch-free so that loops over it
/// vectorise: `x = n ln 2 + r`, `|r| ≤ ln 2 / 2`, `e^x = 2^n e^r`.
#[inline(always)]
fn exp_nonpositive<const F: bool>(x: f64) -> f64 {
    // 1.5·2⁵²: adding it rounds to an integer held in the low mantissa bits.
    const SHIFT: f64 = 6_755_399_441_055_744.0;
    const LN2_HI: f64 = 6.931_471_803_691_238e-1;
    const LN2_LO: f64 = 1.908_214_929_270_587_7e-10;
    let x = x.max(-708.0);
    let t = madd::<F>(x, std::f64::consts::LOG2_E, SHIFT);
    let n = t - SHIFT;
    let r = madd::<F>(-n, LN2_LO, madd::<F>(-n, LN2_HI, x));
    // Taylor coefficients 1/k!, k = 0..=11: the remainder r¹²/12! < 3·10⁻¹⁵ for |r| ≤ 0.35.
    let mut p = 1.0 / 39_916_800.0;
    for c in [
        1.0 / 3_628_800.0,
        1.0 / 362_880.0,
        1.0 / 40_320.0,
        1.0 / 5_040.0,
        1.0 / 720.0,
        1.0 / 120.0,
        1.0 / 24.0,
        1.0 / 6.0,
        0.5,
        1.0,
        1.0,
    ] {
        p = madd::<F>(p, r, c);
    }
    // n is the low 32 bits of t's mantissa (two's complement); −1022 ≤ n ≤ 0 here.
    let k = (t.to_bits() as i64).wrapping_sub(SHIFT.to_bits() as i64);
    p * f64::from_bits(((k + 1023) as u64) << 52)
}

/// `(x Φ(x), Φ(x) + x φ(x))`: the GELU and its derivative.
#[inline(always)]
fn gelu_and_derivative<const F: bool>(x: f64) -> (f64, f64) {
    const FRAC_1_SQRT_2PI: f64 = 0.398_942_280_401_432_7;
    let z = x.abs() * std::f64::consts::FRAC_1_SQRT_2;
    let t = 1.0 / madd::<F>(0.5, z, 1.0);
    let mut p = 0.170_872_77;
    for c in [
        -0.822_152_23,
        1.488_515_87,
        -1.135_203_98,
        0.278_868_07,
        -0.186_288_06,
        0.096_784_18,
        0.374_091_96,
        1.000_023_68,
        -1.265_512_23,
    ] {
        p = madd::<F>(p, t, c);
    }
    let e = exp_nonpositive::<F>(-0.5 * x * x);
    // ½ erfc(|x|/√2) = t e^{−z²+P(t)}/2 = t e^{P(t)} e^{−x²/2}/2.
    let q = 0.5 * t * exp_nonpositive::<F>(p) * e;
    let cdf = if x >= 0.0 { 1.0 - q } else { q };
    (x * cdf, madd::<F>(x * FRAC_1_SQRT_2PI, e, cdf))
}

#[inline(always)]
fn gelu_kernel<const F: bool>(xs: &[f32], y: &mut [f32], d: Option<&mut [f32]>) {
    match d {
        Some(d) => {
            for ((&x, y), d) in xs.iter().zip(y.iter_mut()).zip(d.iter_mut()) {
                let (v, g) = gelu_and_derivative::<F>(f64::from(x));
                *y = v as f32;
                *d = g as f32;
            }
        }
        None => {
            for (&x, y) in xs.iter().zip(y.iter_mut()) {
                *y = gelu_and_derivative::<F>(f64::from(x)).0 as f32;
            }
        }
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx2,fma")]
fn gelu_kernel_avx512(xs: &[f32], y: &mut [f32], d: Option<&mut [f32]>) {
    gelu_kernel::<true>(xs, y, d);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn gelu_kernel_avx2(xs: &[f32], y: &mut [f32], d: Option<&mut [f32]>) {
    gelu_kernel::<true>(xs, y, d);
}

/// GELU values of `xs` into `y` and, when given, derivatives into `d` (all the same length).
fn gelu_host(xs: &[f32], y: &mut [f32], d: Option<&mut [f32]>) {
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx512f") && std::is_x86_feature_detected!("fma") {
        // SAFETY: the target features were detected on this CPU.
        unsafe { gelu_kernel_avx512(xs, y, d) };
        return;
    }
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
        // SAFETY: both target features were detected on this CPU.
        unsafe { gelu_kernel_avx2(xs, y, d) };
        return;
    }
    gelu_kernel::<false>(xs, y, d);
}

/// Below this many elements [`gelu_par`] stays on the calling thread (splitting costs more).
const GELU_PAR_MIN: usize = 1 << 15;
/// Elements per parallel task: a multiple of every kernel's lane count, so that only the last
/// chunk has a scalar tail, as in one serial call, and the results are bit-identical to it.
const GELU_CHUNK: usize = 1 << 14;

/// [`gelu_host`] over rayon's threads in chunks of [`GELU_CHUNK`]. burn's flex backend runs
/// its GEMMs on rayon's pool but a custom host kernel on the calling thread only: a profile of
/// the FNO-1D training step on 2 threads (n = 256, width 64, batch 20) had this kernel at 14 %
/// of all samples, all on the main thread, while the pool waited.
fn gelu_par(xs: &[f32], y: &mut [f32], d: Option<&mut [f32]>) {
    if xs.len() < GELU_PAR_MIN || rayon::current_num_threads() < 2 {
        gelu_host(xs, y, d);
        return;
    }
    match d {
        None => xs
            .par_chunks(GELU_CHUNK)
            .zip(y.par_chunks_mut(GELU_CHUNK))
            .for_each(|(x, y)| gelu_host(x, y, None)),
        Some(d) => xs
            .par_chunks(GELU_CHUNK)
            .zip(y.par_chunks_mut(GELU_CHUNK))
            .zip(d.par_chunks_mut(GELU_CHUNK))
            .for_each(|((x, y), d)| gelu_host(x, y, Some(d))),
    }
}

fn is_flex(device: &Device) -> bool {
    device.clone().inner() == Device::flex()
}

/// The exact GELU `x Φ(x)`, differentiable; fast on the flex CPU backend (see the module doc).
pub(crate) fn gelu<const D: usize>(x: Tensor<D>) -> Tensor<D> {
    let device = x.device();
    if x.dtype() != DType::F32 || !is_flex(&device) {
        return activation::gelu(x);
    }
    let shape = x.shape();
    let data = x.clone().inner().into_data();
    let Ok(xs) = data.as_slice::<f32>() else {
        return activation::gelu(x);
    };
    let mut y = vec![0.0_f32; xs.len()];
    if !x.is_tracked() {
        gelu_par(xs, &mut y, None);
        return Tensor::<D>::from_data(TensorData::new(y, shape), &device);
    }
    let mut d = vec![0.0_f32; xs.len()];
    gelu_par(xs, &mut y, Some(&mut d));
    let y = Tensor::<D>::from_data(TensorData::new(y, shape.clone()), &device);
    let d = Tensor::<D>::from_data(TensorData::new(d, shape), &device);
    y + (x.clone() - x.detach()) * d
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::Distribution;

    fn to_vec<const D: usize>(t: Tensor<D>) -> Vec<f32> {
        t.into_data().try_to_vec::<f32>().expect("f32 tensor")
    }

    #[test]
    fn parallel_gelu_is_bit_identical_to_serial() {
        // long enough to split, with a tail that is not a multiple of any lane count
        let n = 3 * GELU_CHUNK + GELU_PAR_MIN + 37;
        let xs: Vec<f32> = (0..n).map(|i| ((i as f32) * 0.618).sin() * 6.0).collect();
        let (mut y1, mut d1) = (vec![0.0; n], vec![0.0; n]);
        let (mut y2, mut d2) = (vec![0.0; n], vec![0.0; n]);
        gelu_host(&xs, &mut y1, Some(&mut d1));
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(2)
            .build()
            .expect("a 2-thread pool");
        pool.install(|| gelu_par(&xs, &mut y2, Some(&mut d2)));
        assert!(y1.iter().zip(&y2).all(|(a, b)| a.to_bits() == b.to_bits()));
        assert!(d1.iter().zip(&d2).all(|(a, b)| a.to_bits() == b.to_bits()));
        let mut y3 = vec![0.0; n];
        pool.install(|| gelu_par(&xs, &mut y3, None));
        assert!(y1.iter().zip(&y3).all(|(a, b)| a.to_bits() == b.to_bits()));
    }

    #[test]
    fn exp_matches_std() {
        let mut worst = 0.0_f64;
        for i in 0..=70_000 {
            let x = -(i as f64) * 0.01;
            let rel = (exp_nonpositive::<false>(x) - x.exp()).abs() / x.exp();
            worst = worst.max(rel);
        }
        assert!(worst < 1e-14, "worst relative error {worst:e}");
    }

    /// `Φ(x)` in f64 to ~1e-14 relative, independently of the kernel: the Taylor series of
    /// `erf` for `|x|/√2 < 3`, Laplace's continued fraction for `erfc` beyond
    /// (Abramowitz & Stegun 7.1.5 and 7.1.14).
    fn normal_cdf_reference(x: f64) -> f64 {
        let z = x.abs() / std::f64::consts::SQRT_2;
        let half_erfc = if z < 3.0 {
            let (mut term, mut sum, mut k) = (z, z, 0.0_f64);
            while term.abs() > 1e-17 * sum.abs() {
                k += 1.0;
                term *= -z * z / k;
                sum += term / (2.0 * k + 1.0);
            }
            0.5 * (1.0 - 2.0 / std::f64::consts::PI.sqrt() * sum)
        } else {
            let mut cf = z;
            for k in (1..=80).rev() {
                cf = z + (k as f64 / 2.0) / cf;
            }
            0.5 * (-z * z).exp() / (std::f64::consts::PI.sqrt() * cf)
        };
        if x >= 0.0 {
            1.0 - half_erfc
        } else {
            half_erfc
        }
    }

    #[test]
    fn gelu_matches_an_accurate_reference() {
        let xs: Vec<f32> = (-5000..=4000).map(|i| i as f32 * 0.005).collect();
        let n = xs.len();
        let mut y = vec![0.0; n];
        let mut d = vec![0.0; n];
        gelu_host(&xs, &mut y, Some(&mut d));
        let (mut y_generic, mut d_generic) = (vec![0.0; n], vec![0.0; n]);
        gelu_kernel::<false>(&xs, &mut y_generic, Some(&mut d_generic));
        let mut worst = 0.0_f64;
        for i in 0..n {
            let x = f64::from(xs[i]);
            let cdf = normal_cdf_reference(x);
            let want = x * cdf;
            let x_pdf = x * (-0.5 * x * x).exp() / (2.0 * std::f64::consts::PI).sqrt();
            let dwant = cdf + x_pdf;
            // The two terms cancel near x ≈ −0.75: scale the tolerance by their size.
            let dscale = cdf + x_pdf.abs();
            for (got, dgot) in [(y[i], d[i]), (y_generic[i], d_generic[i])] {
                let rel = (f64::from(got) - want).abs() / want.abs().max(1e-300);
                // 1.2e-7 from the erfc fit plus the f32 rounding of the result.
                // Below f32's normal range only the absolute error is meaningful.
                let subnormal = want.abs() < 16.0 * f64::from(f32::MIN_POSITIVE);
                assert!(rel <= 2.5e-7 || subnormal, "x = {x}: {got:e} vs {want:e}");
                if !subnormal {
                    worst = worst.max(rel);
                }
                assert!(
                    (f64::from(dgot) - dwant).abs() <= 2.5e-7 * dscale + 1e-37,
                    "x = {x}: derivative {dgot:e} vs {dwant:e}"
                );
            }
        }
        eprintln!("worst relative error of the GELU kernel: {worst:e}");
        // Limits and non-finite inputs.
        assert_eq!(gelu_and_derivative::<false>(40.0), (40.0, 1.0));
        assert!(gelu_and_derivative::<false>(-40.0).0.abs() < 1e-300);
        assert!(gelu_and_derivative::<false>(f64::NAN).0.is_nan());
        assert_eq!(gelu_and_derivative::<false>(f64::INFINITY).0, f64::INFINITY);
    }

    #[test]
    fn fast_gelu_value_and_gradient_match_burn() {
        let device = Device::flex();
        device.seed(1);
        let ad = device.clone().autodiff();
        let x = Tensor::<2>::random([37, 19], Distribution::Normal(0.0, 2.0), &ad);
        let r = Tensor::<2>::random([37, 19], Distribution::Normal(0.0, 1.0), &ad);
        let x1 = x.clone().require_grad();
        let y1 = gelu(x1.clone());
        let g1 = to_vec(x1.grad(&(y1.clone() * r.clone()).sum().backward()).unwrap());
        let x2 = x.require_grad();
        let y2 = activation::gelu(x2.clone());
        let g2 = to_vec(x2.grad(&(y2.clone() * r).sum().backward()).unwrap());
        // burn's f32 `0.5·x·(1 + erf(x/√2))` loses digits to cancellation for negative `x`
        // (absolute error ~ f32 epsilon · |x|), so compare at that scale.
        let xs = to_vec(x1.inner());
        for ((a, b), x) in to_vec(y1).iter().zip(to_vec(y2)).zip(&xs) {
            assert!(
                (a - b).abs() <= 2e-7 * x.abs().max(1.0),
                "x = {x}: {a} vs {b}"
            );
        }
        for ((a, b), x) in g1.iter().zip(g2).zip(&xs) {
            assert!(
                (a - b).abs() <= 4e-7 * x.abs().max(1.0),
                "x = {x}: {a} vs {b}"
            );
        }
    }
}
