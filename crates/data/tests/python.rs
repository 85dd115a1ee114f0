//! Python round trip: numpy and zarr (v3) read what ai4de wrote — shapes, dtypes, dimension
//! names, attributes and values — in a throwaway virtual environment under the target
//! directory (created once, reused). Skipped, with a message, when python3, venv, pip or the
//! network is missing.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use ai4de_data::{generate, open, Dtype, Format, GenerateOptions, NoProgress};
use ai4de_pde::DatasetPde;
use common::{config, tempdir, HeatTest};
use serde_json::Value;

const SCRIPT: &str = r#"
import json, sys
import numpy as np
import zarr

zpath, npz, npydir = sys.argv[1:4]
out = {"zarr_version": zarr.__version__}
g = zarr.open_group(zpath, mode="r")
out["attrs"] = dict(g.attrs)
arrays = {}
for name in ["u", "a", "t", "x", "y"]:
    a = g[name]
    arrays[name] = {
        "shape": list(a.shape),
        "dtype": str(a.dtype),
        "dims": list(a.metadata.dimension_names),
        "zarr_format": a.metadata.zarr_format,
        "values": np.asarray(a[3] if name in ("u", "a") else a[:]).ravel().tolist(),
    }
out["zarr"] = arrays
z = np.load(npz)
out["npz_files"] = sorted(z.files)
out["npz_u"] = {"shape": list(z["u"].shape), "dtype": str(z["u"].dtype),
                "values": z["u"][3].ravel().tolist()}
out["npz_meta"] = json.loads(z["metadata"].tobytes())
u = np.load(npydir + "/u.npy", mmap_mode="r")
out["npy_u"] = {"shape": list(u.shape), "dtype": str(u.dtype), "values": u[3].ravel().tolist()}
out["npy_meta"] = json.load(open(npydir + "/metadata.json"))
try:
    import xarray as xr
    ds = xr.open_zarr(zpath, consolidated=False)
    out["xarray"] = {k: list(v.dims) for k, v in ds.data_vars.items()}
except ImportError:
    pass
print(json.dumps(out))
"#;

/// The venv's python, creating the venv (numpy, zarr>=3) if needed; `None` (with a message)
/// when that is impossible here.
fn venv_python() -> Option<PathBuf> {
    let venv = Path::new(env!("CARGO_TARGET_TMPDIR")).join("ai4de-python-venv");
    let python = venv.join("bin").join("python");
    let marker = venv.join("ai4de-ready");
    if marker.exists() {
        return Some(python);
    }
    let ok = |c: &mut Command| c.output().map(|o| o.status.success()).unwrap_or(false);
    if !ok(Command::new("python3").arg("--version")) {
        eprintln!("SKIPPED python round trip: python3 not found");
        return None;
    }
    let _ = std::fs::remove_dir_all(&venv);
    if !ok(Command::new("python3").args(["-m", "venv"]).arg(&venv)) {
        eprintln!("SKIPPED python round trip: python3 -m venv failed");
        return None;
    }
    let pip = Command::new(&python)
        .args(["-m", "pip", "install", "--quiet", "numpy", "zarr>=3"])
        .output();
    match pip {
        Ok(o) if o.status.success() => {}
        Ok(o) => {
            eprintln!(
                "SKIPPED python round trip: pip install numpy zarr failed (no network?): {}",
                String::from_utf8_lossy(&o.stderr)
                    .lines()
                    .last()
                    .unwrap_or("")
            );
            return None;
        }
        Err(e) => {
            eprintln!("SKIPPED python round trip: cannot run pip: {e}");
            return None;
        }
    }
    std::fs::write(&marker, "numpy zarr\n").ok()?;
    Some(python)
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

#[test]
fn numpy_and_zarr_read_what_ai4de_wrote() {
    let Some(python) = venv_python() else {
        return;
    };
    let dir = tempdir("python");
    let pde = HeatTest::d2();
    let cfg = config(&[6, 5], 4);
    let mut paths = Vec::new();
    for (format, name, dtype) in [
        (Format::Zarr, "d.zarr", Dtype::F32),
        (Format::Npz, "d.npz", Dtype::F64),
        (Format::Npy, "d.npy", Dtype::F32),
    ] {
        let out = dir.join(name);
        let mut o = GenerateOptions::new(5, out.clone());
        o.format = format;
        o.dtype = dtype;
        o.seed = 9;
        o.chunk_samples = 2;
        generate(&pde, &cfg, &o, &NoProgress).unwrap();
        paths.push(out);
    }
    let o = Command::new(&python)
        .arg("-c")
        .arg(SCRIPT)
        .args(&paths)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "python failed:\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let py: Value = serde_json::from_slice(&o.stdout).unwrap();
    eprintln!("zarr-python {}", py["zarr_version"]);

    // Zarr: shapes, dtypes, dimension names, attributes, values.
    let ds = open(&paths[0]).unwrap();
    let z = &py["zarr"];
    assert_eq!(z["u"]["shape"], serde_json::json!([5, 4, 6, 5]));
    assert_eq!(z["u"]["dtype"], "float32");
    assert_eq!(z["u"]["dims"], serde_json::json!(["sample", "t", "x", "y"]));
    assert_eq!(z["u"]["zarr_format"], 3);
    assert_eq!(z["a"]["dims"], serde_json::json!(["sample", "x", "y"]));
    assert_eq!(z["t"]["dims"], serde_json::json!(["t"]));
    assert_eq!(z["t"]["dtype"], "float64");
    assert_eq!(floats(&z["u"]["values"]), ds.read_field("u", 3).unwrap());
    assert_eq!(floats(&z["a"]["values"]), ds.read_field("a", 3).unwrap());
    assert_eq!(floats(&z["x"]["values"]), ds.coord("x").unwrap());
    let attrs = &py["attrs"];
    assert_eq!(attrs["complete"], true);
    assert_eq!(attrs["pde"], "heat-test-2d");
    assert_eq!(attrs["seed"], 9);
    assert_eq!(attrs["samples"], 5);
    assert_eq!(attrs["params"]["nu"], 0.1);
    assert_eq!(attrs["dtype"], "f32");
    assert_eq!(attrs["ai4de_version"], env!("CARGO_PKG_VERSION"));

    // NPZ (f64): members, values, metadata.
    let npz = open(&paths[1]).unwrap();
    assert_eq!(
        py["npz_files"],
        serde_json::json!(["a", "metadata", "t", "u", "x", "y"])
    );
    assert_eq!(py["npz_u"]["dtype"], "float64");
    assert_eq!(py["npz_u"]["shape"], serde_json::json!([5, 4, 6, 5]));
    let want = pde.sample(&cfg, 9, 3).unwrap().fields[0].clone();
    assert_eq!(floats(&py["npz_u"]["values"]), want);
    assert_eq!(
        floats(&py["npz_u"]["values"]),
        npz.read_field("u", 3).unwrap()
    );
    assert_eq!(py["npz_meta"]["complete"], true);

    // NPY directory (f32).
    let npy = open(&paths[2]).unwrap();
    assert_eq!(py["npy_u"]["dtype"], "float32");
    assert_eq!(
        floats(&py["npy_u"]["values"]),
        npy.read_field("u", 3).unwrap()
    );
    assert_eq!(py["npy_meta"]["fields"][0]["name"], "u");
    if let Some(x) = py.get("xarray") {
        assert_eq!(x["u"], serde_json::json!(["sample", "t", "x", "y"]));
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
