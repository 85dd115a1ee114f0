//! `ai4de fit` end to end: the synthetic demonstration, CSV (with a state left out) and NPZ
//! input, JSON output with estimates and standard errors, the plot, MCMC, multiple shooting, and
//! one-line errors on bad input.

mod common;
use common::{ai4de, stderr, stdout, tempdir};

fn estimates(json: &serde_json::Value) -> Vec<(String, f64, f64, f64)> {
    json["estimates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["name"].as_str().unwrap().to_string(),
                e["estimate"].as_f64().unwrap(),
                e["std_error"].as_f64().unwrap(),
                e["truth"].as_f64().unwrap_or(f64::NAN),
            )
        })
        .collect()
}

#[test]
fn synthetic_lotka_volterra_demo() {
    let dir = tempdir("lotka");
    let out = dir.join("fit.json");
    let plot = dir.join("fit.png");
    let data = dir.join("data.csv");
    let o = ai4de(&[
        "fit",
        "lotka",
        "--synthetic",
        "--noise",
        "0.05",
        "--fit",
        "alpha,beta,gamma,delta",
        "--out",
        out.to_str().unwrap(),
        "--plot",
        plot.to_str().unwrap(),
        "--write-data",
        data.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(
        text.contains("alpha") && text.contains("95% interval"),
        "{text}"
    );
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    let est = estimates(&json);
    assert_eq!(est.len(), 4);
    for (name, v, se, truth) in &est {
        assert!(
            (v - truth).abs() <= 3.0 * se,
            "{name}: {v} ± {se} vs {truth}"
        );
    }
    assert!(json["iterations"].as_u64().unwrap() > 0);
    assert!(std::fs::metadata(&plot).unwrap().len() > 1000);

    // the written data fitted from the file, predator left out, JSON on stdout: same
    // neighbourhood, larger standard errors
    let csv = std::fs::read_to_string(&data).unwrap();
    let prey_only: String = csv
        .lines()
        .map(|l| l.rsplit_once(',').unwrap().0.to_string() + "\n")
        .collect();
    let prey = dir.join("prey.csv");
    std::fs::write(&prey, prey_only).unwrap();
    let o = ai4de(&[
        "fit",
        "lotka",
        "--data",
        prey.to_str().unwrap(),
        "--fit",
        "alpha,beta,gamma,delta",
        "--start",
        "alpha=1.2,beta=0.8,gamma=3.5,delta=1.2",
        "--format",
        "json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let j: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let e2 = estimates(&j);
    for ((n, v, se, _), (_, v0, se0, _)) in e2.iter().zip(&est) {
        assert!((v - v0).abs() < 4.0 * se, "{n}: {v} vs {v0}");
        assert!(se > se0, "{n}: {se} vs {se0}");
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn npz_input_log_parameters_mcmc_and_multiple_shooting() {
    use ndarray::{Array1, Array2};
    use ndarray_npy::NpzWriter;
    let dir = tempdir("npz");
    // noise-free FitzHugh-Nagumo data written by a synthetic run
    let csv = dir.join("fhn.csv");
    let o = ai4de(&[
        "fit",
        "fhn",
        "--synthetic",
        "--noise",
        "0.01",
        "--t-end",
        "100",
        "--fit",
        "a",
        "--write-data",
        csv.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = std::fs::read_to_string(&csv).unwrap();
    let mut t = Vec::new();
    let mut y = Vec::new();
    for line in text.lines().skip(1) {
        let v: Vec<f64> = line.split(',').map(|s| s.parse().unwrap()).collect();
        t.push(v[0]);
        y.extend_from_slice(&v[1..]);
    }
    let n = t.len();
    let npz = dir.join("fhn.npz");
    let mut w = NpzWriter::new(std::fs::File::create(&npz).unwrap());
    w.add_array("t", &Array1::from(t)).unwrap();
    w.add_array("y", &Array2::from_shape_vec((n, 2), y).unwrap())
        .unwrap();
    w.finish().unwrap();
    let o = ai4de(&[
        "fit",
        "fhn",
        "--data",
        npz.to_str().unwrap(),
        "--fit",
        "a,b,tau:log",
        "--start",
        "a=0.3,b=0.3,tau=30",
        "--shooting",
        "multiple:10",
        "--bounds",
        "b=0:2",
        "--mcmc",
        "300",
        "--format",
        "json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let j: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let est = estimates(&j);
    for ((name, v, se, _), truth) in est.iter().zip([0.7, 0.8, 12.5]) {
        assert!((v - truth).abs() <= 4.0 * se, "{name}: {v} ± {se}");
    }
    assert!(j["multiple_shooting"]["iterations"].as_u64().unwrap() > 0);
    assert_eq!(j["estimates"][2]["scale"], "log");
    assert_eq!(j["mcmc"]["chains"], 4);
    assert_eq!(j["mcmc"]["rhat"].as_array().unwrap().len(), 3);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn bad_input_gives_one_line_errors() {
    let dir = tempdir("bad");
    let nan = dir.join("nan.csv");
    std::fs::write(&nan, "t,prey,predator\n0.5,1.0,1.0\n1.0,NaN,0.9\n").unwrap();
    let early = dir.join("early.csv");
    std::fs::write(&early, "t,prey\n-1.0,1.0\n1.0,0.9\n").unwrap();
    let wolves = dir.join("wolves.csv");
    std::fs::write(&wolves, "t,prey,wolves\n0.5,1.0,1.0\n1.0,1.0,0.9\n").unwrap();
    let ok = dir.join("ok.csv");
    std::fs::write(&ok, "t,prey\n0.5,1.0\n1.0,0.9\n1.5,0.8\n").unwrap();
    let missing = dir.join("missing.csv");
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec![
                "fit",
                "lotka",
                "--data",
                nan.to_str().unwrap(),
                "--fit",
                "alpha",
            ],
            "non-finite data value",
        ),
        (
            vec![
                "fit",
                "lotka",
                "--data",
                early.to_str().unwrap(),
                "--fit",
                "alpha",
            ],
            "before the initial time",
        ),
        (
            vec![
                "fit",
                "lotka",
                "--data",
                wolves.to_str().unwrap(),
                "--fit",
                "alpha",
            ],
            "unknown state 'wolves'",
        ),
        (
            vec![
                "fit",
                "lotka",
                "--data",
                ok.to_str().unwrap(),
                "--fit",
                "kappa",
            ],
            "unknown parameter 'kappa'",
        ),
        (
            vec![
                "fit",
                "lotka",
                "--data",
                ok.to_str().unwrap(),
                "--fit",
                "alpha",
                "--bounds",
                "alpha=2:3",
            ],
            "outside its bounds",
        ),
        (
            vec![
                "fit",
                "lotka",
                "--data",
                ok.to_str().unwrap(),
                "--fit",
                "alpha",
                "--bounds",
                "alpha=3:2",
            ],
            "invalid bounds",
        ),
        (
            vec!["fit", "nope", "--synthetic", "--fit", "a"],
            "unknown problem",
        ),
        (
            vec![
                "fit",
                "lotka",
                "--synthetic",
                "--fit",
                "alpha",
                "--method",
                "newton",
            ],
            "unknown method",
        ),
        (
            vec![
                "fit",
                "decay",
                "--synthetic",
                "--fit",
                "lambda",
                "--start",
                "lambda=100",
            ],
            "lambda = 100",
        ),
        (
            vec![
                "fit",
                "lotka",
                "--data",
                missing.to_str().unwrap(),
                "--fit",
                "alpha",
            ],
            "cannot read",
        ),
    ];
    for (args, want) in cases {
        let o = ai4de(&args);
        assert!(!o.status.success(), "{args:?} succeeded");
        let err = stderr(&o);
        assert!(err.contains(want), "{args:?}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
    std::fs::remove_dir_all(&dir).ok();
}
