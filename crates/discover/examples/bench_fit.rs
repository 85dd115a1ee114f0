//! Fit timing for the PySINDy comparison (`bench/discover/run.sh`): reads a CSV `t,<names>`,
//! fits SINDy (finite differences of order 2, polynomial library of degree D, STLSQ with the
//! given threshold, ridge 0.05, unbias) `reps` times and prints JSON with the median wall time of
//! one whole fit (derivative + library + regression) and the coefficients.
//!
//! `cargo run -p ai4de-discover --release --example bench_fit -- data.csv 0.5 2 21 [weak]`

use std::time::Instant;

use ai4de_discover::{
    Derivative, Differentiation, Library, Optimizer, Sindy, Stlsq, Threshold, TimeSeries, WeakForm,
};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let a: Vec<String> = std::env::args().collect();
    if a.len() < 5 {
        return Err("usage: bench_fit DATA.csv THRESHOLD DEGREE REPS [weak]".into());
    }
    let text = std::fs::read_to_string(&a[1])?;
    let mut lines = text.lines();
    let header: Vec<String> = lines
        .next()
        .ok_or("empty csv")?
        .split(',')
        .map(|s| s.trim().to_string())
        .collect();
    let (mut t, mut y) = (Vec::new(), Vec::new());
    for l in lines.filter(|l| !l.trim().is_empty()) {
        for (k, v) in l.split(',').enumerate() {
            let v: f64 = v.trim().parse()?;
            if k == 0 {
                t.push(v)
            } else {
                y.push(v)
            }
        }
    }
    let data = TimeSeries::new(t, y, header[1..].to_vec())?;
    let tau: f64 = a[2].parse()?;
    let degree: usize = a[3].parse()?;
    let reps: usize = a[4].parse()?;
    let weak = a.get(5).is_some_and(|s| s == "weak");
    let lib = Library::polynomial(&data.names, degree, true, true)?;
    let sindy = Sindy {
        differentiation: if weak {
            Differentiation::Weak(WeakForm::default())
        } else {
            Differentiation::Pointwise(Derivative::fd(2))
        },
        optimizer: Optimizer::Stlsq(Stlsq {
            threshold: Threshold::Fixed(tau),
            alpha: 0.05,
            max_iter: 20,
            unbias: true,
        }),
        normalize: false,
    };
    let mut times = Vec::with_capacity(reps);
    let mut model = None;
    for _ in 0..reps {
        let s = Instant::now();
        let m = sindy.fit(&data, &lib)?;
        times.push(s.elapsed().as_secs_f64());
        model = Some(m);
    }
    let raw = times.clone();
    times.sort_by(f64::total_cmp);
    let m = model.ok_or("reps must be >= 1")?;
    let p = m.coefficients.n_terms;
    let coefs: Vec<Vec<f64>> = (0..m.variables.len())
        .map(|j| m.coefficients.values[j * p..(j + 1) * p].to_vec())
        .collect();
    println!(
        "{}",
        serde_json::json!({
            "median_s": times[times.len() / 2],
            "min_s": times[0],
            "times_s": raw,
            "terms": m.term_names(),
            "coefficients": coefs,
        })
    );
    Ok(())
}
