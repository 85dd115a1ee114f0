//! Python round trip: numpy, zarr (v3) and xarray read what ai4de wrote — shapes, dtypes,
//! dimension names, attributes and values — and, with the `hdf5` feature, h5py reads the
//! PDEBench-layout HDF5 file; in a throwaway virtual environment under the target directory
//! (created once, reused). Skipped, with a message, when python3, venv, pip or the network is
//! missing.

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
import xarray as xr
ds = xr.open_zarr(zpath, consolidated=False)
out["xarray"] = {k: list(v.dims) for k, v in ds.data_vars.items()}
out["xarray_u"] = np.asarray(ds["u"][3]).ravel().tolist()
print(json.dumps(out))
"#;

/// h5py on the PDEBench layout: a 1-D file (`tensor`, coordinates) and a 2-D one (one group
/// per sample).
#[cfg(feature = "hdf5")]
const H5_SCRIPT: &str = r#"
import json, sys
import h5py
import numpy as np

d1, d2 = sys.argv[1:3]
out = {"h5py_version": h5py.__version__}
with h5py.File(d1, "r") as f:
    out["d1_keys"] = sorted(f.keys())
    out["d1"] = {k: {"shape": list(f[k].shape), "dtype": str(f[k].dtype)} for k in f.keys()}
    out["d1_u3"] = f["tensor"][3].ravel().tolist()
    out["d1_x"] = f["x-coordinate"][:].tolist()
    out["d1_t"] = f["t-coordinate"][:].tolist()
    out["d1_meta"] = json.loads(f.attrs["ai4de"])
with h5py.File(d2, "r") as f:
    out["d2_keys"] = sorted(f.keys())
    g = f["0003"]
    out["d2_group"] = sorted(g.keys())
    out["d2_grid"] = sorted(g["grid"].keys())
    out["d2_data"] = {"shape": list(g["data"].shape), "dtype": str(g["data"].dtype)}
    out["d2_u3"] = g["data"][..., 0].ravel().tolist()
    out["d2_a3"] = g["a"][:].ravel().tolist()
    out["d2_y"] = g["grid/y"][:].tolist()
    out["d2_meta"] = json.loads(f.attrs["ai4de"])
print(json.dumps(out))
"#;

/// Runs `script` with `paths` as arguments and parses the JSON it prints.
fn run(python: &Path, script: &str, paths: &[PathBuf]) -> Value {
    let o = Command::new(python)
        .arg("-c")
        .arg(script)
        .args(paths)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "python failed:\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    serde_json::from_slice(&o.stdout).unwrap()
}

/// The Python packages of the venv (h5py only when the `hdf5` feature is on).
fn packages() -> Vec<&'static str> {
    let mut p = vec!["numpy", "zarr>=3", "xarray"];
    if cfg!(feature = "hdf5") {
        p.push("h5py");
    }
    p
}

/// The venv's python, creating the venv ([`packages`]) if needed; `None` (with a message)
/// when that is impossible here. The marker file lists what was installed, so a venv made
/// without a package (e.g. before the `hdf5` feature was switched on) is rebuilt.
fn venv_python() -> Option<PathBuf> {
    // The tests of this file run in parallel threads: one of them builds the venv.
    static VENV: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _guard = VENV
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let venv = Path::new(env!("CARGO_TARGET_TMPDIR")).join("ai4de-python-venv");
    let python = venv.join("bin").join("python");
    let marker = venv.join("ai4de-ready");
    let wanted = packages().join(" ");
    if std::fs::read_to_string(&marker).is_ok_and(|m| m.trim() == wanted) {
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
        .args(["-m", "pip", "install", "--quiet"])
        .args(packages())
        .output();
    match pip {
        Ok(o) if o.status.success() => {}
        Ok(o) => {
            eprintln!(
                "SKIPPED python round trip: pip install {wanted} failed (no network?): {}",
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
    std::fs::write(&marker, format!("{wanted}\n")).ok()?;
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
    let py = run(&python, SCRIPT, &paths);
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
    // xarray (installed in the venv, so never silently skipped).
    assert_eq!(
        py["xarray"]["u"],
        serde_json::json!(["sample", "t", "x", "y"])
    );
    assert_eq!(py["xarray"]["a"], serde_json::json!(["sample", "x", "y"]));
    assert_eq!(floats(&py["xarray_u"]), ds.read_field("u", 3).unwrap());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[cfg(feature = "hdf5")]
#[test]
fn h5py_reads_the_pdebench_layout_ai4de_wrote() {
    let Some(python) = venv_python() else {
        return;
    };
    let dir = tempdir("python-h5");
    let cases = [
        (HeatTest::d1(), config(&[12], 5), Dtype::F32, "d1.h5"),
        (HeatTest::d2(), config(&[6, 5], 4), Dtype::F64, "d2.h5"),
    ];
    let mut paths = Vec::new();
    for (pde, cfg, dtype, name) in &cases {
        let out = dir.join(name);
        let mut o = GenerateOptions::new(5, out.clone());
        o.format = Format::Hdf5;
        o.dtype = *dtype;
        o.seed = 9;
        generate(pde, cfg, &o, &NoProgress).unwrap();
        paths.push(out);
    }
    let py = run(&python, H5_SCRIPT, &paths);
    eprintln!("h5py {}", py["h5py_version"]);

    // 1-D, float32: `tensor` [N, nt, nx] and float64 coordinates, metadata attribute.
    let d1 = open(&paths[0]).unwrap();
    assert_eq!(
        py["d1_keys"],
        serde_json::json!(["t-coordinate", "tensor", "x-coordinate"])
    );
    assert_eq!(py["d1"]["tensor"]["shape"], serde_json::json!([5, 5, 12]));
    assert_eq!(py["d1"]["tensor"]["dtype"], "float32");
    assert_eq!(py["d1"]["x-coordinate"]["dtype"], "float64");
    assert_eq!(py["d1"]["t-coordinate"]["shape"], serde_json::json!([5]));
    let want = cases[0].0.sample(&cases[0].1, 9, 3).unwrap().fields[0].clone();
    let want32: Vec<f64> = want.iter().map(|&v| v as f32 as f64).collect();
    assert_eq!(floats(&py["d1_u3"]), want32);
    assert_eq!(floats(&py["d1_u3"]), d1.read_field("u", 3).unwrap());
    assert_eq!(floats(&py["d1_x"]), d1.coord("x").unwrap());
    assert_eq!(floats(&py["d1_t"]), d1.coord("t").unwrap());
    let m1 = &py["d1_meta"];
    assert_eq!(m1["pde"], "heat-test-1d");
    assert_eq!(m1["seed"], 9);
    assert_eq!(m1["samples"], 5);
    assert_eq!(m1["dtype"], "f32");
    assert_eq!(m1["complete"], true);
    assert_eq!(m1["params"]["nu"], 0.1);
    assert_eq!(m1["ai4de_version"], env!("CARGO_PKG_VERSION"));

    // 2-D, float64: one group per sample with `data` [nt, nx, ny, 1], `a` and `grid/{t,x,y}`.
    let d2 = open(&paths[1]).unwrap();
    assert_eq!(
        py["d2_keys"],
        serde_json::json!(["0000", "0001", "0002", "0003", "0004"])
    );
    assert_eq!(py["d2_group"], serde_json::json!(["a", "data", "grid"]));
    assert_eq!(py["d2_grid"], serde_json::json!(["t", "x", "y"]));
    assert_eq!(py["d2_data"]["shape"], serde_json::json!([4, 6, 5, 1]));
    assert_eq!(py["d2_data"]["dtype"], "float64");
    let want = cases[1].0.sample(&cases[1].1, 9, 3).unwrap();
    assert_eq!(floats(&py["d2_u3"]), want.fields[0]);
    assert_eq!(floats(&py["d2_a3"]), want.fields[1]);
    assert_eq!(floats(&py["d2_u3"]), d2.read_field("u", 3).unwrap());
    assert_eq!(floats(&py["d2_y"]), d2.coord("y").unwrap());
    assert_eq!(py["d2_meta"]["pde"], "heat-test-2d");
    assert_eq!(py["d2_meta"]["dtype"], "f64");
    std::fs::remove_dir_all(&dir).unwrap();
}
