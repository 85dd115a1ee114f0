//! `ai4de solve <problem> --sensitivities ...` (issue 6): forward sensitivities as extra
//! output columns, checked against the exact solution and against central differences of
//! two solves with `--param`.

mod common;
use common::ai4de;

fn json(args: &[&str]) -> serde_json::Value {
    let o = ai4de(args);
    assert!(
        o.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    serde_json::from_slice(&o.stdout).unwrap()
}

#[test]
fn decay_sensitivities_are_exact_in_csv() {
    // y' = λ y, λ = −1, y(0) = 1: ∂y/∂λ = t e^{−t}, ∂y/∂y0 = e^{−t}
    let o = ai4de(&[
        "solve",
        "decay",
        "--sensitivities",
        "lambda,y0:y",
        "--saveat",
        "0,1,2",
        "--rtol",
        "1e-10",
        "--atol",
        "1e-12",
        "--format",
        "csv",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let s = String::from_utf8(o.stdout).unwrap();
    let mut lines = s.lines();
    assert_eq!(lines.next(), Some("t,y,dy/dlambda,dy/dy(0)"));
    let mut rows = 0;
    for line in lines {
        let v: Vec<f64> = line.split(',').map(|x| x.parse().unwrap()).collect();
        let (t, e) = (v[0], (-v[0]).exp());
        assert!((v[1] - e).abs() < 1e-9, "{line}");
        assert!((v[2] - t * e).abs() < 1e-9, "{line}");
        assert!((v[3] - e).abs() < 1e-9, "{line}");
        rows += 1;
    }
    assert_eq!(rows, 3);
}

#[test]
fn lotka_sensitivities_match_differences_of_cli_solves() {
    let base = [
        "solve", "lotka", "--saveat", "0,2,5", "--rtol", "1e-11", "--atol", "1e-13", "--method",
        "vern9", "--format", "json",
    ];
    let mut args = base.to_vec();
    args.extend(["--sensitivities", "beta,delta"]);
    let v = json(&args);
    let names: Vec<&str> = v["state_names"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "prey",
            "predator",
            "dprey/dbeta",
            "dpredator/dbeta",
            "dprey/ddelta",
            "dpredator/ddelta"
        ]
    );
    let last = |v: &serde_json::Value| -> Vec<f64> {
        v["y"].as_array().unwrap()[2]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap())
            .collect()
    };
    let sens = last(&v);
    for (j, name) in ["beta", "delta"].into_iter().enumerate() {
        let value = v["params"][name].as_f64().unwrap();
        let h = 1e-5 * value;
        let at = |x: f64| {
            let mut a = base.to_vec();
            let p = format!("{name}={x}");
            a.extend(["--param", p.as_str()]);
            last(&json(&a))
        };
        let (plus, minus) = (at(value + h), at(value - h));
        for k in 0..2 {
            let fd = (plus[k] - minus[k]) / (2.0 * h);
            let got = sens[2 + 2 * j + k];
            assert!(
                (got - fd).abs() <= 1e-5 * fd.abs().max(1e-2),
                "d{k}/d{name}: {got} vs {fd}"
            );
        }
    }
}

#[test]
fn sensitivity_summary_and_bad_names() {
    let o = ai4de(&["solve", "lorenz", "--t-end", "1", "--sensitivities", "all"]);
    assert!(o.status.success());
    let s = String::from_utf8_lossy(&o.stdout);
    assert!(s.contains("final sensitivities:"), "{s}");
    assert!(s.contains("dz/drho = "), "{s}");
    for (args, needle) in [
        (
            &["solve", "lorenz", "--sensitivities", "nosuch"][..],
            "no parameter 'nosuch'",
        ),
        (
            &["solve", "lorenz", "--sensitivities", "y0:w"],
            "no state 'w'",
        ),
        (&["solve", "lorenz", "--sensitivities", "rho,rho"], "twice"),
    ] {
        let o = ai4de(args);
        assert!(!o.status.success(), "{args:?}");
        let e = String::from_utf8_lossy(&o.stderr);
        assert!(e.contains(needle), "{args:?}: {e}");
        assert!(!e.contains("panicked"), "{e}");
    }
}
