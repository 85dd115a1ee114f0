//! `ai4de discover` end to end: the catalogue demonstration, CSV and NPZ input, JSON output and
//! plots, a PDE dataset, and one-line errors on bad input.

mod common;
use common::{ai4de, stderr, stdout, tempdir};

/// The terms of each equation in a model JSON.
fn support(json: &serde_json::Value) -> Vec<Vec<String>> {
    json["equations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            e["terms"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t["term"].as_str().unwrap().to_string())
                .collect()
        })
        .collect()
}

#[test]
fn from_lorenz_with_noise_recovers_lorenz() {
    let dir = tempdir("lorenz");
    let out = dir.join("model.json");
    let plot = dir.join("fit.png");
    let o = ai4de(&[
        "discover",
        "--from",
        "lorenz",
        "--noise",
        "0.01",
        "--t-end",
        "10",
        "--out",
        out.to_str().unwrap(),
        "--plot",
        plot.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let s = stdout(&o);
    assert!(s.contains("x' = -"), "{s}");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(json["variables"], serde_json::json!(["x", "y", "z"]));
    assert_eq!(
        support(&json),
        [vec!["x", "y"], vec!["x", "y", "x*z"], vec!["z", "x*y"]]
    );
    let c = json["equations"][1]["terms"][0]["coefficient"]
        .as_f64()
        .unwrap();
    assert!((c - 28.0).abs() < 0.5, "{c}");
    assert!(std::fs::metadata(&plot).unwrap().len() > 1000);
}

#[test]
fn csv_and_npz_input_and_ensemble_json() {
    let dir = tempdir("csv");
    let csv = dir.join("lv.csv");
    // simulate with `ai4de solve`, then discover from the file
    let o = ai4de(&[
        "solve",
        "lotka",
        "--t-end",
        "10",
        "--saveat",
        "2001",
        "--rtol",
        "1e-11",
        "--atol",
        "1e-11",
        "--out",
        csv.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = dir.join("m.json");
    let o = ai4de(&[
        "discover",
        csv.to_str().unwrap(),
        "--optimizer",
        "ensemble",
        "--threshold",
        "0.1",
        "--models",
        "20",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(
        support(&json),
        [
            vec!["prey", "prey*predator"],
            vec!["predator", "prey*predator"]
        ]
    );
    assert!(json["equations"][0]["terms"][0]["std"].as_f64().unwrap() >= 0.0);
    let npz = dir.join("lv.npz");
    let o = ai4de(&[
        "solve",
        "lotka",
        "--t-end",
        "10",
        "--saveat",
        "2001",
        "--rtol",
        "1e-11",
        "--atol",
        "1e-11",
        "--out",
        npz.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = ai4de(&["discover", npz.to_str().unwrap(), "--derivative", "fd4"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let s = stdout(&o);
    assert!(s.contains("x' = 1.500 x - 1.000 x*y"), "{s}");
    assert!(s.contains("y' = -3.000 y + 1.000 x*y"), "{s}");
}

#[test]
fn pde_dataset_burgers() {
    let dir = tempdir("pde");
    let ds = dir.join("burgers.zarr");
    let plot = dir.join("pde.png");
    let o = ai4de(&[
        "generate",
        "burgers",
        "--samples",
        "1",
        "--out",
        ds.to_str().unwrap(),
    ]);
    if !o.status.success() {
        panic!("generate failed: {}", stderr(&o));
    }
    let o = ai4de(&[
        "discover",
        ds.to_str().unwrap(),
        "--derivative",
        "spectral",
        "--library",
        "pde:2:3",
        "--plot",
        plot.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let s = stdout(&o);
    assert!(s.contains("u*u_x") && s.contains("u_xx"), "{s}");
    // data, simulated model and difference panels
    assert!(
        s.contains("discovered model vs data: max |difference|"),
        "{s}"
    );
    assert!(std::fs::metadata(&plot).unwrap().len() > 1000);
}

#[test]
fn bad_input_is_one_line_errors() {
    let dir = tempdir("bad");
    let nan = dir.join("nan.csv");
    std::fs::write(&nan, "t,x\n0,1\n1,NaN\n2,3\n3,4\n4,5\n5,6\n").unwrap();
    let short = dir.join("short.csv");
    std::fs::write(&short, "t,x,y\n0,1,2\n1,2,3\n").unwrap();
    let ragged = dir.join("ragged.csv");
    std::fs::write(&ragged, "t,x,y\n0,1,2\n1,2\n").unwrap();
    let header = dir.join("header.csv");
    std::fs::write(&header, "time,x\n0,1\n").unwrap();
    let few: String = std::iter::once("t,x,y".to_string())
        .chain((0..8).map(|i| format!("{i},{},{}", (i as f64).sin(), (i as f64).cos())))
        .collect::<Vec<_>>()
        .join("\n");
    let small = dir.join("small.csv");
    std::fs::write(&small, few).unwrap();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["discover", nan.to_str().unwrap()], "non-finite"),
        (vec!["discover", short.to_str().unwrap()], "too few samples"),
        (
            vec!["discover", ragged.to_str().unwrap()],
            "values, the header has",
        ),
        (vec!["discover", header.to_str().unwrap()], "header must be"),
        (
            vec![
                "discover",
                small.to_str().unwrap(),
                "--library",
                "poly:4",
                "--threshold",
                "0.1",
            ],
            "library has 15 terms but only 8 samples",
        ),
        (
            vec!["discover", "--from", "lorenz", "--library", "cheb:3"],
            "unknown library",
        ),
        (
            vec!["discover", "--from", "lorenz", "--optimizer", "lasso"],
            "unknown optimizer",
        ),
        (
            vec!["discover", "--from", "lorenz", "--derivative", "magic"],
            "unknown derivative",
        ),
        (vec!["discover", "--from", "nosuch"], "unknown problem"),
        (vec!["discover"], "give a data file"),
        (vec!["discover", "/nonexistent/data.csv"], "cannot read"),
    ];
    for (args, msg) in cases {
        let o = ai4de(&args);
        assert!(!o.status.success(), "{args:?} succeeded");
        let e = stderr(&o);
        assert!(e.contains(msg), "{args:?}: {e}");
        assert_eq!(e.trim_end().lines().count(), 1, "{args:?}: {e}");
    }
}
