//! Benchmark driver for `bench/pde2d/run.sh` (see README.md there).
//!
//! Subcommands (all numbers on stdout, one JSON object per line):
//! - `ic N SEED PATH`: writes the FNO initial vorticity (GRF alpha 2.5, tau 7) of sample SEED as
//!   raw little-endian f64 (N*N values);
//! - `solve N NU T SCHEME DT IC OUT REPS`: solves from IC to T (2 output times), writes the final
//!   field to OUT (raw f64), prints the median wall and CPU time of REPS solves each with a new
//!   solver (cold) and of solves with one reused solver (warm), and the solver counts;
//! - `throughput N NU T SCHEME DT SAMPLES THREADS`: generates SAMPLES samples (GRF + solve, 2
//!   output times) on THREADS threads, each sample single-threaded with one solver per thread,
//!   prints samples per second;
//! - `fft N REPS`: median time of one right-hand-side's transforms (4 inverse + 1 forward real
//!   2-D FFTs of N x N) - the FFT-bound floor per evaluation.
use std::time::Instant;

use ai4de_pde::d2::fourier::{Complex64, Fourier2};
use ai4de_pde::d2::grf::GrfPeriodic;
use ai4de_pde::d2::navier_stokes::{NavierStokes2d, NsConfig, NsScheme};
use ai4de_pde::random::sample_rng;

fn arg<T: std::str::FromStr>(a: &[String], i: usize) -> T {
    a.get(i)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("argument {i} missing or invalid: {a:?}"))
}

fn scheme(s: &str) -> NsScheme {
    match s {
        "etdrk4" => NsScheme::Etdrk4,
        "fno" => NsScheme::FnoCrankNicolson,
        _ => panic!("scheme must be etdrk4 or fno"),
    }
}

fn cfg(n: usize, nu: f64, t: f64, sch: NsScheme, dt: f64) -> NsConfig {
    NsConfig {
        n,
        nu,
        forcing: 0.1,
        t_end: t,
        n_out: 2,
        scheme: sch,
        dt_max: if dt > 0.0 { dt } else { t },
    }
}

fn ic(n: usize, seed: u64) -> Vec<f64> {
    let mut w0 = vec![0.0; n * n];
    GrfPeriodic::new(n, 2.5, 7.0, None).sample_into(&mut sample_rng(seed, 0), &mut w0);
    w0
}

fn write_raw(path: &str, v: &[f64]) {
    let bytes: Vec<u8> = v.iter().flat_map(|x| x.to_le_bytes()).collect();
    std::fs::write(path, bytes).expect("write");
}

fn read_raw(path: &str) -> Vec<f64> {
    std::fs::read(path)
        .expect("read")
        .chunks_exact(8)
        .map(|c| f64::from_le_bytes(c.try_into().unwrap()))
        .collect()
}

/// CPU time of the calling thread in seconds (`/proc/thread-self/schedstat`, nanoseconds), so
/// that timings on a loaded machine count only this thread's work.
fn cpu_s() -> f64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse::<f64>().ok())
        .map_or(f64::NAN, |ns| ns * 1e-9)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

fn main() {
    let a: Vec<String> = std::env::args().collect();
    match a.get(1).map(|s| s.as_str()) {
        Some("ic") => {
            let n: usize = arg(&a, 2);
            write_raw(&a[4], &ic(n, arg(&a, 3)));
        }
        Some("solve") => {
            let (n, nu, t): (usize, f64, f64) = (arg(&a, 2), arg(&a, 3), arg(&a, 4));
            let (sch, dt) = (scheme(&a[5]), arg::<f64>(&a, 6));
            let w0 = read_raw(&a[7]);
            let reps: usize = arg(&a, 9);
            let mut out = vec![0.0; 2 * n * n];
            let mut times = Vec::new();
            let mut cpu = Vec::new();
            let mut stats = None;
            // cold: a new solver (FFT plans, ETDRK4 coefficients) per solve
            for _ in 0..reps {
                let (t0, c0) = (Instant::now(), cpu_s());
                let mut s = NavierStokes2d::new(cfg(n, nu, t, sch, dt)).unwrap();
                stats = Some(s.solve_into(&w0, &mut out, 0).unwrap());
                times.push(t0.elapsed().as_secs_f64());
                cpu.push(cpu_s() - c0);
            }
            // warm: one solver reused (what `ns2d` dataset generation does per thread)
            let mut warm = Vec::new();
            let mut warm_cpu = Vec::new();
            let mut s = NavierStokes2d::new(cfg(n, nu, t, sch, dt)).unwrap();
            s.solve_into(&w0, &mut out, 0).unwrap();
            for _ in 0..reps.max(3) {
                let (t0, c0) = (Instant::now(), cpu_s());
                s.solve_into(&w0, &mut out, 0).unwrap();
                warm.push(t0.elapsed().as_secs_f64());
                warm_cpu.push(cpu_s() - c0);
            }
            write_raw(&a[8], &out[n * n..]);
            let st = stats.unwrap();
            println!(
                "{{\"n\": {n}, \"scheme\": \"{}\", \"median_s\": {}, \"cpu_s\": {}, \"warm_median_s\": {}, \"warm_cpu_s\": {}, \"steps\": {}, \"rhs_evals\": {}, \"retries\": {}}}",
                a[5],
                median(times),
                median(cpu),
                median(warm),
                median(warm_cpu),
                st.steps,
                st.rhs_evals,
                st.retries
            );
        }
        Some("throughput") => {
            let (n, nu, t): (usize, f64, f64) = (arg(&a, 2), arg(&a, 3), arg(&a, 4));
            let (sch, dt) = (scheme(&a[5]), arg::<f64>(&a, 6));
            let (samples, threads): (usize, usize) = (arg(&a, 7), arg(&a, 8));
            let t0 = Instant::now();
            std::thread::scope(|s| {
                for th in 0..threads {
                    s.spawn(move || {
                        // one solver per thread, as `ns2d` dataset generation does
                        let mut out = vec![0.0; 2 * n * n];
                        let mut solver = NavierStokes2d::new(cfg(n, nu, t, sch, dt)).unwrap();
                        for i in (th..samples).step_by(threads) {
                            let w0 = ic(n, 1000 + i as u64);
                            solver.solve_into(&w0, &mut out, i as u64).unwrap();
                        }
                    });
                }
            });
            let wall = t0.elapsed().as_secs_f64();
            println!(
                "{{\"n\": {n}, \"scheme\": \"{}\", \"samples\": {samples}, \"threads\": {threads}, \"wall_s\": {wall}, \"samples_per_s\": {}}}",
                a[5],
                samples as f64 / wall
            );
        }
        Some("fft") => {
            let (n, reps): (usize, usize) = (arg(&a, 2), arg(&a, 3));
            let mut f = Fourier2::new(n, n);
            let u = ic(n, 1);
            let mut uh = vec![Complex64::default(); f.len_spec()];
            f.forward(&u, &mut uh);
            let mut outs = vec![vec![0.0; n * n]; 4];
            let mut times = Vec::new();
            let mut cpu = Vec::new();
            for _ in 0..reps {
                let (t0, c0) = (Instant::now(), cpu_s());
                for _ in 0..100 {
                    for o in outs.iter_mut() {
                        f.inverse(&uh, o);
                    }
                    f.forward(&outs[0], &mut uh);
                }
                times.push(t0.elapsed().as_secs_f64() / 100.0);
                cpu.push((cpu_s() - c0) / 100.0);
            }
            println!(
                "{{\"n\": {n}, \"fft5_median_s\": {}, \"fft5_cpu_s\": {}}}",
                median(times),
                median(cpu)
            );
        }
        _ => eprintln!("usage: see the doc comment of bench/pde2d/src/main.rs"),
    }
}
