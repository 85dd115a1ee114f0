//! The `ai4de` binary end to end: listings, solve outputs, and one-line errors on bad input.

mod common;
use common::{ai4de, stderr, stdout, tempdir};

#[test]
fn problems_lists_the_catalogue() {
    let o = ai4de(&["problems"]);
    assert!(o.status.success());
    let s = stdout(&o);
    for name in [
        "decay",
        "linear",
        "lorenz",
        "arenstorf",
        "pleiades",
        "vdp",
        "lotka",
        "fhn",
        "pendulum2",
    ] {
        assert!(s.contains(name), "{name} missing from:\n{s}");
    }
    let o = ai4de(&["problems", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let pleiades = v
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "pleiades")
        .unwrap();
    assert_eq!(pleiades["dim"], 28);
}

#[test]
fn methods_lists_orders() {
    let o = ai4de(&["methods"]);
    assert!(o.status.success());
    let s = stdout(&o);
    for name in [
        "auto",
        "tsit5",
        "dp5",
        "dop853",
        "vern7",
        "vern9",
        "bs3",
        "rk4",
        "euler",
        "rodas5p",
        "rodas4",
        "rosenbrock23",
        "radau5",
        "bdf",
        "ndf",
    ] {
        assert!(s.contains(name), "{name} missing");
    }
}

#[test]
fn solve_json_has_the_documented_shape() {
    let o = ai4de(&[
        "solve", "decay", "--rtol", "1e-10", "--atol", "1e-12", "--t-end", "2", "--format", "json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["problem"], "decay");
    assert_eq!(v["method"], "auto");
    assert_eq!(v["rtol"], 1e-10);
    let t = v["t"].as_array().unwrap();
    let y = v["y"].as_array().unwrap();
    assert_eq!(t.len(), y.len());
    assert_eq!(t[0], 0.0);
    assert_eq!(t.last().unwrap(), 2.0);
    let y_end = y.last().unwrap()[0].as_f64().unwrap();
    assert!((y_end - (-2.0f64).exp()).abs() < 1e-9, "{y_end}");
    let stats = &v["stats"];
    for k in ["steps", "accepted", "rejected", "f_evals"] {
        assert!(stats[k].as_u64().is_some(), "stats.{k}");
    }
    assert_eq!(stats["accepted"].as_u64().unwrap() as usize + 1, t.len());
}

#[test]
fn solve_saveat_count_and_list() {
    let o = ai4de(&[
        "solve", "lorenz", "--saveat", "11", "--t-end", "1", "--format", "json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let t: Vec<f64> = v["t"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect();
    assert_eq!(t.len(), 11);
    assert!((t[3] - 0.3).abs() < 1e-15 && t[10] == 1.0);

    let o = ai4de(&["solve", "vdp", "--saveat", "0,0.5,1.5", "--format", "csv"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let s = stdout(&o);
    let lines: Vec<&str> = s.lines().collect();
    assert_eq!(lines.len(), 4);
    assert!(lines[0].starts_with("t,"));
    assert!(lines[2].starts_with("0.5,"));
}

#[test]
fn solve_writes_files_and_plots() {
    let dir = tempdir("files");
    for ext in ["json", "csv", "npy", "npz"] {
        let out = dir.join(format!("lotka.{ext}"));
        let o = ai4de(&[
            "solve",
            "lotka",
            "--saveat",
            "50",
            "--out",
            out.to_str().unwrap(),
        ]);
        assert!(o.status.success(), "{ext}: {}", stderr(&o));
        assert!(std::fs::metadata(&out).unwrap().len() > 100, "{ext}");
    }
    let npy = std::fs::read(dir.join("lotka.npy")).unwrap();
    assert!(npy.starts_with(b"\x93NUMPY"));
    for ext in ["png", "svg"] {
        let plot = dir.join(format!("lorenz.{ext}"));
        let o = ai4de(&["solve", "lorenz", "--plot", plot.to_str().unwrap()]);
        assert!(o.status.success(), "{ext}: {}", stderr(&o));
        assert!(std::fs::metadata(&plot).unwrap().len() > 1000);
    }
    // Nothing half-written left behind.
    let leftovers: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains(".tmp"))
        .collect();
    assert!(leftovers.is_empty());
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn param_and_y0_overrides_take_effect() {
    let a = ai4de(&["solve", "vdp", "--saveat", "2", "--format", "json"]);
    let b = ai4de(&[
        "solve", "vdp", "--param", "mu=3", "--y0", "-1,0.5", "--saveat", "2", "--format", "json",
    ]);
    assert!(b.status.success(), "{}", stderr(&b));
    let va: serde_json::Value = serde_json::from_slice(&a.stdout).unwrap();
    let vb: serde_json::Value = serde_json::from_slice(&b.stdout).unwrap();
    assert_eq!(vb["params"]["mu"], 3.0);
    assert_eq!(vb["y"][0][0], -1.0);
    assert_ne!(va["y"][1], vb["y"][1]);
}

#[test]
fn backward_integration_from_the_cli() {
    let o = ai4de(&[
        "solve", "decay", "--t0", "1", "--t-end", "0", "--y0", "1", "--rtol", "1e-10", "--format",
        "json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let y = v["y"].as_array().unwrap().last().unwrap()[0]
        .as_f64()
        .unwrap();
    assert!((y - 1.0f64.exp()).abs() < 1e-8);
}

/// Each bad input: non-zero exit and exactly one line on stderr that names the problem.
#[test]
fn bad_input_gives_one_clear_line() {
    let cases: &[(&[&str], &str)] = &[
        (&["solve", "nosuch"], "unknown problem"),
        (&["solve", "lorenz", "--method", "rk99"], "unknown method"),
        (&["solve", "lorenz", "--param", "nosuch=1"], "nosuch"),
        (&["solve", "lorenz", "--param", "rho"], "NAME=VALUE"),
        (&["solve", "lorenz", "--param", "rho=abc"], "not a number"),
        (&["solve", "lorenz", "--param", "rho=nan"], "rho"),
        (&["solve", "lorenz", "--rtol", "-1"], "tolerance"),
        (&["solve", "lorenz", "--atol", "nan"], "tolerance"),
        (&["solve", "lorenz", "--y0", "1,2"], "3 states"),
        (&["solve", "lorenz", "--y0", "1,inf,2"], "finite"),
        (&["solve", "lorenz", "--t-end", "inf"], "time span"),
        (
            &["solve", "lorenz", "--saveat", "1,100"],
            "outside the time span",
        ),
        (&["solve", "lorenz", "--method", "rk4"], "dt"),
        (
            &["solve", "lorenz", "--max-steps", "10"],
            "maximum number of steps",
        ),
        (&["solve", "lorenz", "--format", "xml"], "unknown format"),
        (&["solve", "lorenz", "--out", "x.unknown"], "extension"),
        (&["solve", "lorenz", "--plot", "x.gif"], "gif"),
        (&["solve", "lorenz", "--bogus"], "unexpected argument"),
        (&["solve", "lorenz", "--max-steps", "many"], "invalid value"),
        (&["solve", "lorenz", "--dt", "-0.1"], "dt"),
        (&["solve", "lorenz", "--saveat", "1"], "at least 2"),
        (&["solve", "hires", "--jacobian", "magic"], "unknown source"),
        (
            &["solve", "hires", "--jacobian", "fd:banded"],
            "unknown storage",
        ),
    ];
    for (args, needle) in cases {
        let o = ai4de(args);
        let err = stderr(&o);
        assert!(!o.status.success(), "{args:?} succeeded");
        assert_eq!(
            err.lines().count(),
            1,
            "{args:?}: stderr not one line:\n{err}"
        );
        assert!(
            err.to_lowercase().contains(&needle.to_lowercase()),
            "{args:?}: '{needle}' not in: {err}"
        );
    }
}

#[test]
fn stiff_problems_solve_with_the_default_method() {
    let o = ai4de(&[
        "solve", "rober", "--t-end", "40", "--rtol", "1e-8", "--atol", "1e-12", "--format", "json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["method"], "auto");
    assert!(v["stats"]["jac_evals"].as_u64().unwrap() > 0);
    let y = v["y"].as_array().unwrap().last().unwrap();
    let sum: f64 = y
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .sum();
    assert!((sum - 1.0).abs() < 1e-8, "{sum}");
    for method in ["rodas5p", "bdf", "ndf", "radau5"] {
        let o = ai4de(&["solve", "hires", "--method", method, "--format", "json"]);
        assert!(o.status.success(), "{method}: {}", stderr(&o));
    }
    // Forced finite-difference Jacobians: same answer, more f-evaluations.
    let run = |jac: &str| {
        let o = ai4de(&[
            "solve",
            "hires",
            "--method",
            "rodas5p",
            "--jacobian",
            jac,
            "--saveat",
            "2",
            "--format",
            "json",
        ]);
        assert!(o.status.success(), "{jac}: {}", stderr(&o));
        serde_json::from_slice::<serde_json::Value>(&o.stdout).unwrap()
    };
    let (auto, fd) = (run("auto"), run("fd:dense"));
    assert!(fd["stats"]["f_evals"].as_u64() > auto["stats"]["f_evals"].as_u64());
    let last = |v: &serde_json::Value| v["y"].as_array().unwrap().last().unwrap().clone();
    for (a, b) in last(&auto)
        .as_array()
        .unwrap()
        .iter()
        .zip(last(&fd).as_array().unwrap())
    {
        let (a, b) = (a.as_f64().unwrap(), b.as_f64().unwrap());
        assert!((a - b).abs() <= 1e-6 * b.abs().max(1e-6), "{a} vs {b}");
    }
}

/// `--linear-solver gmres`: BDF with Newton–Krylov on the Brusselator (its FFT preconditioner)
/// gives the direct solver's answer to the tolerance, with GMRES counters and no LU in the JSON;
/// unknown solvers and GMRES with a method that has no Krylov path are one clear line.
#[test]
fn solve_with_the_gmres_linear_solver() {
    let run = |lin: &str| {
        let o = ai4de(&[
            "solve",
            "bruss2d",
            "--method",
            "bdf",
            "--linear-solver",
            lin,
            "--t-end",
            "0.2",
            "--rtol",
            "1e-7",
            "--atol",
            "1e-7",
            "--saveat",
            "2",
            "--format",
            "json",
        ]);
        assert!(o.status.success(), "{lin}: {}", stderr(&o));
        serde_json::from_slice::<serde_json::Value>(&o.stdout).unwrap()
    };
    let (g, d) = (run("gmres"), run("direct"));
    assert!(g["stats"]["lin_iters"].as_u64().unwrap() > 0);
    assert!(g["stats"]["prec_setups"].as_u64().unwrap() > 0);
    assert_eq!(g["stats"]["lu_decomps"].as_u64().unwrap(), 0);
    assert_eq!(d["stats"]["lin_iters"].as_u64().unwrap(), 0);
    assert!(d["stats"]["lu_decomps"].as_u64().unwrap() > 0);
    let last = |v: &serde_json::Value| -> Vec<f64> {
        v["y"]
            .as_array()
            .unwrap()
            .last()
            .unwrap()
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap())
            .collect()
    };
    let (yg, yd) = (last(&g), last(&d));
    assert_eq!(yg.len(), 2048);
    let worst = yg
        .iter()
        .zip(&yd)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max);
    assert!(worst < 1e-5, "gmres vs direct: {worst:e}");
    for (args, needle) in [
        (
            &["solve", "bruss2d", "--linear-solver", "cg"][..],
            "unknown solver",
        ),
        (
            &[
                "solve",
                "rober",
                "--method",
                "rodas5p",
                "--linear-solver",
                "gmres",
            ][..],
            "linear_solver",
        ),
    ] {
        let o = ai4de(args);
        assert!(!o.status.success(), "{args:?}");
        let err = stderr(&o);
        assert!(err.contains(needle), "{args:?}: '{needle}' not in: {err}");
        assert_eq!(err.trim().lines().count(), 1, "{args:?}: {err}");
    }
}
