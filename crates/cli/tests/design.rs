//! `ai4de design` end to end: Van der Pol driven to rest (JSON, plot, bounds respected, a large
//! cost reduction, the L-BFGS fit's adjoint gradient in `ai4de fit` JSON), and one-line errors.

mod common;
use common::ai4de;

#[test]
fn van_der_pol_is_driven_to_rest_from_the_cli() {
    let dir = std::env::temp_dir().join(format!("ai4de-design-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join("vdp.json");
    let plot = dir.join("vdp.png");
    let o = ai4de(&[
        "design",
        "vdp",
        "--t-end",
        "8",
        "--intervals",
        "16",
        "--umax",
        "0.8",
        "--adjoint",
        "discrete",
        "--format",
        "json",
        "--out",
        out.to_str().unwrap(),
        "--plot",
        plot.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let j: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    let c0 = j["cost_uncontrolled"].as_f64().unwrap();
    let c = j["cost"].as_f64().unwrap();
    assert!(c < c0 / 4.0, "{c0} -> {c}");
    let u: Vec<f64> = j["controls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    assert_eq!(u.len(), 16);
    assert!(u.iter().all(|v| v.abs() <= 0.8));
    let y: Vec<f64> = j["y_final"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    assert!(y.iter().map(|v| v * v).sum::<f64>().sqrt() < 0.05, "{y:?}");
    assert!(j["projected_gradient"].as_f64().unwrap() < 1e-4);
    assert!(std::fs::metadata(&plot).unwrap().len() > 1000);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn bad_design_input_is_one_line() {
    for args in [
        vec!["design", "lorenz"],
        vec!["design", "vdp", "--umax", "0"],
        vec!["design", "vdp", "--control", "cubic"],
        vec!["design", "vdp", "--intervals", "0"],
        vec![
            "design",
            "vdp",
            "--adjoint",
            "discrete",
            "--method",
            "rodas5p",
        ],
    ] {
        let o = ai4de(&args);
        assert!(!o.status.success(), "{args:?} succeeded");
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(err.trim().lines().count(), 1, "{args:?}: {err}");
    }
}
