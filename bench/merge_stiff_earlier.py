"""Carry problems of an earlier stiff benchmark run into the current results.

    python merge_stiff_earlier.py RESULTS_DIR COMMIT PROBLEM[,PROBLEM...]

Reads bench/results/stiff_{rust,peers,meta}.json as committed in COMMIT (`git show`), takes the
named problems from its ai4de and peer results, marks each with where it came from (the commit
that recorded it, that run's date, binary commit and load averages) and puts them into the
current RESULTS_DIR/stiff_rust.json and stiff_peers.json (replacing problems of the same name).
`report_stiff.py` labels such sections as from the earlier run. Used by `run_stiff.sh
--keep-from COMMIT` so that a rerun without `--with-128` (tens of minutes) still reports
`bruss2d_128`. Files are replaced atomically (temporary name, then rename).
"""
import json
import os
import subprocess
import sys

res_dir, commit, names = sys.argv[1], sys.argv[2], sys.argv[3].split(",")


def from_git(name):
    out = subprocess.run(["git", "show", f"{commit}:bench/results/{name}"], check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out)


def write_atomic(path, doc):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(doc, f)
    os.replace(tmp, path)


meta = from_git("stiff_meta.json")
origin = {
    "run_commit": subprocess.run(["git", "rev-parse", "--short=12", commit], check=True,
                                 capture_output=True, text=True).stdout.strip(),
    "date": meta["date"],
    "binary_commit": meta["commit"],
    "binary_built": meta.get("binary_built", "?"),
    "load_before": meta["load_before"],
    "load_after": meta.get("load_after", ["?"]),
}
for fname in ["stiff_rust.json", "stiff_peers.json"]:
    old = from_git(fname)
    path = f"{res_dir}/{fname}"
    cur = json.load(open(path))
    keep = [p for p in old["problems"] if p["name"] in names]
    missing = set(names) - {p["name"] for p in keep}
    if missing:
        sys.exit(f"{commit}:{fname} has no results for {sorted(missing)}")
    for p in keep:
        p["earlier_run"] = origin
    cur["problems"] = [p for p in cur["problems"] if p["name"] not in names] + keep
    write_atomic(path, cur)
    print(f"{path}: carried {', '.join(p['name'] for p in keep)} from {origin['run_commit']}",
          file=sys.stderr)
