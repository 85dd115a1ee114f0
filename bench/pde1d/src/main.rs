//! Samples per second of ai4de's 1-D generators on the settings of the peer generators
//! (PDEBench Burgers, Kassam–Trefethen KS), plus the FFT-bound floor of the spectral solvers.
//! Usage: pde1d-bench <case> <samples> <threads> <repeats>; prints one JSON line per case.
//! Accuracy helpers (raw little-endian f64 files, row-major [t][x]):
//! `pde1d-bench dump <case> <index> <path>` writes sample `index` (seed 0) of a case;
//! `pde1d-bench burgers_ref <index> <cells> <explicit|split> <cfl> <path>` solves the same
//! PDEBench Burgers initial condition on `cells` cells (a multiple of 1024) and writes it at the
//! 1024 coarse cell centres (mean of the two fine cells that meet there).

use std::collections::BTreeMap;
use std::time::Instant;

use ai4de_pde::d1::burgers::{advective_step, solve_burgers};
use ai4de_pde::d1::fd::Boundary;
use ai4de_pde::d1::fv::{BurgersFlux, FiniteVolume, Limiter, Viscous};
use ai4de_pde::d1::ks::{kassam_trefethen_ic, solve_ks, KS_LENGTH};
use ai4de_pde::d1::sampler::Grf1d;
use ai4de_pde::d1::sampler::PdebenchSines;
use ai4de_pde::d1::semilinear::Stepper;
use ai4de_pde::d1::spectral::Fourier1d;
use ai4de_pde::random::sample_rng;
use ai4de_pde::{get, GenConfig};
use rayon::prelude::*;
use realfft::num_complex::Complex64;
use realfft::RealFftPlanner;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Seconds for `pairs` (forward + inverse) real FFTs of length `n` (plans and buffers reused).
fn fft_pairs_time(n: usize, pairs: usize) -> f64 {
    let mut planner = RealFftPlanner::<f64>::new();
    let f = planner.plan_fft_forward(n);
    let b = planner.plan_fft_inverse(n);
    let mut x = vec![0.1; n];
    let mut c = vec![Complex64::new(0.0, 0.0); n / 2 + 1];
    let mut s = vec![Complex64::new(0.0, 0.0); f.get_scratch_len().max(b.get_scratch_len())];
    let t = Instant::now();
    for _ in 0..pairs {
        f.process_with_scratch(&mut x, &mut c, &mut s).unwrap();
        c[0].im = 0.0;
        c[n / 2].im = 0.0;
        b.process_with_scratch(&mut c, &mut x, &mut s).unwrap();
        for v in &mut x {
            *v *= 1.0 / n as f64;
        }
    }
    std::hint::black_box(&x);
    t.elapsed().as_secs_f64()
}

fn write_raw(path: &str, v: &[f64]) {
    let bytes: Vec<u8> = v.iter().flat_map(|x| x.to_le_bytes()).collect();
    std::fs::write(path, bytes).unwrap();
}

/// (catalogue name, config) of a benchmark case, matching the peer's settings.
fn case_config(case: &str) -> (&'static str, GenConfig) {
    let mut params = BTreeMap::new();
    let burgers = |params: BTreeMap<String, f64>| {
        (
            "burgers_pdebench",
            GenConfig {
                grid: vec![1024],
                steps: Some(201),
                params,
            },
        )
    };
    match case {
        "burgers_pdebench" => {
            params.insert("nu".to_string(), 0.01);
            params.insert("cfl".to_string(), 0.4);
            burgers(params)
        }
        "burgers_pdebench_cfl025" => {
            params.insert("nu".to_string(), 0.01);
            params.insert("cfl".to_string(), 0.25);
            burgers(params)
        }
        // the previous default: central viscous flux inside the stages, diffusive step limit
        "burgers_pdebench_explicit" => {
            params.insert("nu".to_string(), 0.01);
            params.insert("cfl".to_string(), 0.4);
            params.insert("split_viscous".to_string(), 0.0);
            burgers(params)
        }
        "ks" => {
            params.insert("random_ic".to_string(), 0.0);
            (
                "ks",
                GenConfig {
                    grid: vec![128],
                    steps: Some(151),
                    params,
                },
            )
        }
        "burgers" => (
            "burgers",
            GenConfig {
                grid: vec![1024],
                steps: Some(101),
                params,
            },
        ),
        "advection" => (
            "advection",
            GenConfig {
                grid: vec![1024],
                steps: Some(201),
                params,
            },
        ),
        "diffusion_reaction" => (
            "diffusion_reaction",
            GenConfig {
                grid: vec![1024],
                steps: Some(101),
                params,
            },
        ),
        other => panic!("unknown case {other}"),
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("dump") {
        let (name, cfg) = case_config(&args[2]);
        let index: u64 = args[3].parse().unwrap();
        let s = get(name).unwrap().sample(&cfg, 0, index).unwrap();
        write_raw(&args[4], &s.fields[0]);
        return;
    }
    if args.get(1).map(String::as_str) == Some("burgers_ref") {
        let index: u64 = args[2].parse().unwrap();
        let cells: usize = args[3].parse().unwrap();
        let r = cells / 1024;
        assert!(
            r >= 2 && r * 1024 == cells && r % 2 == 0,
            "cells: an even multiple of 1024"
        );
        let field = PdebenchSines::ADVECTION_BURGERS.draw(1.0, &mut sample_rng(0, index));
        let mut fv = FiniteVolume::new(
            BurgersFlux,
            0.01 / std::f64::consts::PI,
            0.0,
            1.0,
            cells,
            Boundary::Periodic,
            Limiter::MonotonizedCentral,
        )
        .unwrap();
        if args[4] == "split" {
            fv.set_viscous(Viscous::SplitSpectral).unwrap();
        }
        fv.cfl = args[5].parse().unwrap();
        let u0: Vec<f64> = fv.centres().iter().map(|&x| field.eval(x)).collect();
        let times: Vec<f64> = (0..201).map(|i| 2.0 * i as f64 / 200.0).collect();
        let t0 = Instant::now();
        let (u, st) = fv.solve(&u0, &times, "burgers_ref", index).unwrap();
        let coarse: Vec<f64> = u
            .chunks_exact(cells)
            .flat_map(|row| {
                (0..1024).map(move |j| 0.5 * (row[r * j + r / 2 - 1] + row[r * j + r / 2]))
            })
            .collect();
        write_raw(&args[6], &coarse);
        eprintln!(
            "burgers_ref: {cells} cells, {} steps, {:.1} s",
            st.steps,
            t0.elapsed().as_secs_f64()
        );
        return;
    }
    let case = args
        .get(1)
        .map(String::as_str)
        .unwrap_or("burgers_pdebench");
    let samples: u64 = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(8);
    let threads: usize = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(2);
    let repeats: usize = args.get(4).and_then(|s| s.parse().ok()).unwrap_or(3);
    if case == "ks_dump" {
        // u(t = 20) from Kassam–Trefethen's initial condition, h = 1/4, N = 128.
        let x = Fourier1d::new(128, KS_LENGTH).unwrap().grid();
        let u0 = kassam_trefethen_ic(&x);
        let (u, _) = solve_ks(&u0, KS_LENGTH, &[0.0, 20.0], 0.25, Stepper::Etdrk4).unwrap();
        println!("{}", serde_json::to_string(&u[128..]).unwrap());
        return;
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap();

    let (name, cfg) = case_config(case);
    let pde = get(name).unwrap();
    pde.sample(&cfg, 0, 0).unwrap(); // warm-up
    let mut times = Vec::new();
    for r in 0..repeats {
        let t = Instant::now();
        let out: Vec<_> = pool.install(|| {
            (0..samples)
                .into_par_iter()
                .map(|i| pde.sample(&cfg, r as u64, i).unwrap())
                .collect()
        });
        std::hint::black_box(out);
        times.push(t.elapsed().as_secs_f64());
    }
    let med = median(times.clone());
    let mut rec = serde_json::json!({
        "case": case, "samples": samples, "threads": threads, "repeats": repeats,
        "seconds": times, "median_s": med, "samples_per_s": samples as f64 / med,
    });
    // FFT-bound floor of the spectral solvers: 4 nonlinear evaluations per ETDRK4 step, each one
    // forward and one inverse real FFT, plus one inverse per output; single thread, medians of
    // repeated runs of the solve and of the FFTs alone.
    let floor = match case {
        "ks" => {
            let x = Fourier1d::new(128, KS_LENGTH).unwrap().grid();
            let u0 = kassam_trefethen_ic(&x);
            let tt: Vec<f64> = (0..151).map(|i| i as f64).collect();
            let (_, st) = solve_ks(&u0, KS_LENGTH, &tt, 0.25, Stepper::Etdrk4).unwrap();
            let one = median(
                (0..7)
                    .map(|_| {
                        let t0 = Instant::now();
                        solve_ks(&u0, KS_LENGTH, &tt, 0.25, Stepper::Etdrk4).unwrap();
                        t0.elapsed().as_secs_f64()
                    })
                    .collect(),
            );
            let fft = median(
                (0..7)
                    .map(|_| fft_pairs_time(128, 4 * st.steps + 150))
                    .collect(),
            );
            Some((st.steps, fft, one))
        }
        "burgers" => {
            let mut f = Fourier1d::new(1024, 1.0).unwrap();
            let u0 = Grf1d::FNO_BURGERS.sample(&mut f, &mut sample_rng(0, 0));
            let tt: Vec<f64> = (0..101).map(|i| 0.01 * i as f64).collect();
            let h = advective_step(&u0, 1.0, 1024, 1.0);
            let (_, st) = solve_burgers(&u0, 1.0, 0.1, &tt, h, Stepper::Etdrk4).unwrap();
            let one = median(
                (0..3)
                    .map(|_| {
                        let t0 = Instant::now();
                        solve_burgers(&u0, 1.0, 0.1, &tt, h, Stepper::Etdrk4).unwrap();
                        t0.elapsed().as_secs_f64()
                    })
                    .collect(),
            );
            let fft = median(
                (0..3)
                    .map(|_| fft_pairs_time(1024, 4 * st.steps + 100))
                    .collect(),
            );
            Some((st.steps, fft, one))
        }
        _ => None,
    };
    if let Some((steps, fft, one)) = floor {
        rec["steps_per_sample"] = steps.into();
        rec["single_sample_s"] = one.into();
        rec["fft_floor_s"] = fft.into();
        rec["ratio_to_fft_floor"] = (one / fft).into();
    }
    println!("{rec}");
}
