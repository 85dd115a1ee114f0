//! Dataset metadata (stored with every dataset) and the manifest of a run (stored with a
//! partial run, compared on resume).

use serde_json::{json, Map, Value};

use ai4de_pde::{GenConfig, Layout, PdeInfo};

use crate::GenerateOptions;

/// Version of the on-disk layout written by this crate.
pub(crate) const LAYOUT_VERSION: u64 = 1;

/// The metadata of a dataset: everything needed to know what it holds and to regenerate it.
pub(crate) fn metadata(
    info: &PdeInfo,
    cfg: &GenConfig,
    layout: &Layout,
    opts: &GenerateOptions,
    complete: bool,
) -> Map<String, Value> {
    let coord = |name: &str| layout.coords.iter().find(|(n, _)| n == name);
    let grid: Vec<usize> = layout
        .coords
        .iter()
        .filter(|(n, _)| n != "t")
        .map(|(_, v)| v.len())
        .collect();
    let fields: Vec<Value> = layout
        .fields
        .iter()
        .map(|f| {
            let mut dims = vec!["sample".to_string()];
            dims.extend(f.dims.iter().cloned());
            let mut shape = vec![opts.samples as usize];
            shape.extend(f.shape.iter().copied());
            json!({ "name": f.name, "dims": dims, "shape": shape })
        })
        .collect();
    let mut m = Map::new();
    m.insert("complete".into(), json!(complete));
    m.insert("pde".into(), json!(info.name));
    m.insert("equation".into(), json!(info.equation));
    m.insert("pde_info".into(), json!(info));
    m.insert("params".into(), json!(layout.params));
    m.insert("grid".into(), json!(grid));
    m.insert(
        "time_points".into(),
        coord("t").map_or(Value::Null, |(_, t)| json!(t)),
    );
    m.insert("solver".into(), layout.solver.clone());
    m.insert("seed".into(), json!(opts.seed));
    m.insert("samples".into(), json!(opts.samples));
    m.insert("dtype".into(), json!(opts.dtype.name()));
    m.insert("chunk_samples".into(), json!(opts.chunk_samples));
    m.insert("fields".into(), json!(fields));
    m.insert(
        "coords".into(),
        json!(layout.coords.iter().map(|(n, _)| n).collect::<Vec<_>>()),
    );
    m.insert("config".into(), json!(cfg));
    m.insert("ai4de_version".into(), json!(env!("CARGO_PKG_VERSION")));
    m.insert("layout_version".into(), json!(LAYOUT_VERSION));
    m
}

/// What identifies a run: a partial run is resumed only under the same manifest.
pub(crate) fn manifest(info: &PdeInfo, cfg: &GenConfig, opts: &GenerateOptions) -> Value {
    json!({
        "pde": info.name,
        "config": cfg,
        "seed": opts.seed,
        "samples": opts.samples,
        "format": opts.format.name(),
        "dtype": opts.dtype.name(),
        "chunk_samples": opts.chunk_samples,
        "ai4de_version": env!("CARGO_PKG_VERSION"),
        "layout_version": LAYOUT_VERSION,
    })
}

/// A one-line description of how two manifests differ (`seed: 1 -> 2, samples: 8 -> 9`).
pub(crate) fn manifest_difference(old: &Value, new: &Value) -> String {
    let (Some(o), Some(n)) = (old.as_object(), new.as_object()) else {
        return "unreadable manifest".into();
    };
    let mut keys: Vec<&String> = o.keys().chain(n.keys()).collect();
    keys.sort();
    keys.dedup();
    let diffs: Vec<String> = keys
        .into_iter()
        .filter(|k| o.get(*k) != n.get(*k))
        .map(|k| {
            let show = |v: Option<&Value>| v.map_or("-".to_string(), Value::to_string);
            format!("{k}: {} -> {}", show(o.get(k)), show(n.get(k)))
        })
        .collect();
    if diffs.is_empty() {
        "none".into()
    } else {
        diffs.join(", ")
    }
}
