"""huntsql against msticpy/pandas, DuckDB and PySpark on the same hunt pipeline.

    benchmarks/peers/run.sh [--sizes 10000,100000,1000000] [--cap 1800] [--systems ...]
    (or: $VENV/bin/python benchmarks/peers/bench.py ..., after setup.sh and a release build)

For each size: amplify the shared process events (amplify.py), run each system
in its own process (one at a time), time it, sample the resident memory of its
whole process tree (Spark's JVM and Python workers included), stop it at the
time cap (reported as "> cap", not dropped), then check that the outputs agree
before printing any time. Prints Markdown tables; writes results.json beside the
outputs (--work).

Checks (reference: msticpy; when msticpy was stopped at the cap, the first
other msticpy-logic system that finished):
- DuckDB and PySpark run msticpy's own functions, so they must give msticpy's
  outputs exactly: the ten features and the DBSCAN label of every row, every
  (row, IoC type, observable), every decoded item (row, reference, md5), the
  stack counts.
- huntsql must give the same ten features, the same DBSCAN label of every row
  (hence the same cluster counts per host) and the same stack counts. Where it
  differs from msticpy on purpose, only what should agree is compared:
  * base64: every item msticpy decodes must be decoded to the same bytes (row,
    md5); references are not compared (huntsql numbers them by the tree), and
    the items huntsql decodes beyond msticpy's (raw deflate streams inflated,
    UTF-16 text read as text and unpacked further) are counted, not failed.
  * IoCs: every IoC msticpy finds that the hand labels
    (../shared/data/ioc_labels.dev.jsonl, by source row) confirm must be found
    by huntsql; msticpy's unconfirmed finds (file names as domains, version
    numbers as IPs, ...: tests/parity_iocs.rs explains each) are excluded and
    counted. Precision and recall against the labels are printed per system.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import time
from collections import Counter, defaultdict

import numpy as np
import pandas as pd
import psutil
import pyarrow.parquet as pq

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)
import amplify  # noqa: E402

SYSTEMS = ["huntsql", "msticpy", "duckdb", "pyspark"]
MSTICPY_LOGIC = ["msticpy", "duckdb", "pyspark"]
LABEL = {"huntsql": "huntsql (SQL, release)", "msticpy": "msticpy 3.0.2 + pandas",
         "duckdb": "DuckDB + Python UDFs", "pyspark": "PySpark local[2] + pandas UDFs"}
STAGES = ["load", "features", "cluster", "iocs", "b64", "stack"]
FEATURES = ["processName", "pathScore", "pathLogScore", "pathHash", "commandlineLen",
            "commandlineLogLen", "commandlineTokensFull", "commandlineScore",
            "commandlineTokensHash", "isSystemSession"]
IOC_TYPES = ["ipv4", "ipv6", "dns", "url", "email", "md5_hash", "sha1_hash", "sha256_hash"]


def shared_dir() -> str:
    return os.environ.get("HUNTSQL_SHARED", os.path.normpath(os.path.join(ROOT, "..", "shared")))


# ---------------------------------------------------------------------------
# Running one system

def huntsql_stage_of_statements(sql_path: str) -> list[str]:
    """The stage of each statement of the SQL file, in order (from its `-- stage:` markers)."""
    stages, current = [], None
    for line in open(sql_path):
        marker = re.match(r"\s*--\s*stage:\s*(\w+)", line)
        if marker:
            current = marker.group(1)
            continue
        code = line.split("--", 1)[0].strip()
        if code.endswith(";"):
            stages.append(current)
    return stages


def tree_rss(proc: psutil.Process) -> int:
    total = 0
    try:
        procs = [proc, *proc.children(recursive=True)]
    except psutil.Error:
        return 0
    for p in procs:
        try:
            total += p.memory_info().rss
        except psutil.Error:
            pass
    return total


def kill_tree(pid: int) -> None:
    try:
        procs = psutil.Process(pid).children(recursive=True)
    except psutil.Error:
        procs = []
    try:
        os.killpg(pid, signal.SIGKILL)
    except OSError:
        pass
    for p in procs:
        try:
            p.kill()
        except psutil.Error:
            pass


def run_measured(cmd: list[str], cwd: str, cap: float, log_prefix: str) -> dict:
    """Runs cmd in its own process group; wall time, peak tree RSS, capped or not."""
    out = open(log_prefix + ".stdout", "w")
    err = open(log_prefix + ".stderr", "w")
    start = time.perf_counter()
    child = subprocess.Popen(cmd, cwd=cwd, stdout=out, stderr=err, stdin=subprocess.DEVNULL,
                             start_new_session=True)
    proc = psutil.Process(child.pid)
    peak, capped, status, maxrss = 0, False, None, 0
    while True:
        pid, status, usage = os.wait4(child.pid, os.WNOHANG)
        if pid:
            maxrss = usage.ru_maxrss * 1024
            break
        peak = max(peak, tree_rss(proc))
        if time.perf_counter() - start > cap:
            capped = True
            kill_tree(child.pid)
            _, status, usage = os.wait4(child.pid, 0)
            maxrss = usage.ru_maxrss * 1024
            break
        # Fine sampling for short runs, light for long ones (the sampler shares the cores).
        time.sleep(0.02 if time.perf_counter() - start < 2 else 0.1)
    wall = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status) if status is not None else None
    # Anything the run left behind (a JVM that outlived its driver) goes too.
    kill_tree(child.pid)
    out.close()
    err.close()
    return {"wall": wall, "peak_rss": max(peak, maxrss), "capped": capped,
            "exit": child.returncode}


def run_system(system: str, size: int, data_dir: str, out_dir: str, cap: float, args) -> dict:
    shutil.rmtree(out_dir, ignore_errors=True)
    os.makedirs(out_dir)
    input_path = os.path.join(data_dir, "process_events.parquet")
    if system == "huntsql":
        sql = os.path.join(HERE, "huntsql_pipeline.sql")
        cmd = [args.huntsql, "--data", os.path.abspath(data_dir), "-f", sql]
    else:
        cmd = [args.python, os.path.join(HERE, f"run_{system}.py"), os.path.abspath(input_path),
               os.path.abspath(out_dir)]
    log = os.path.join(out_dir, "run")
    res = run_measured(cmd, out_dir, cap, log)
    stages: dict[str, float] = {}
    if system == "huntsql":
        times = [float(m.group(1)) for m in re.finditer(r"^Time: ([0-9.]+) s$",
                                                         open(log + ".stderr").read(), re.M)]
        for stage, secs in zip(huntsql_stage_of_statements(sql), times):
            stages[stage] = stages.get(stage, 0.0) + secs
    else:
        path = os.path.join(out_dir, "stages.jsonl")
        if os.path.exists(path):
            for line in open(path):
                rec = json.loads(line)
                stages[rec["stage"]] = rec["seconds"]
    res["stages"] = stages
    res["ok"] = res["exit"] == 0 and not res["capped"]
    if not res["ok"] and not res["capped"]:
        tail = open(log + ".stderr").read()[-2000:]
        res["error"] = tail
        print(f"\n!! {system} at {size} rows failed (exit {res['exit']}); end of its stderr:\n{tail}",
              file=sys.stderr)
    return res


# ---------------------------------------------------------------------------
# Start-up

def startup(args) -> list[dict]:
    rows = []

    def measure(name: str, cmd: list[str], runs: int):
        walls = []
        for _ in range(runs):
            start = time.perf_counter()
            r = subprocess.run(cmd, capture_output=True, text=True)
            walls.append(time.perf_counter() - start)
            if r.returncode:
                print(f"!! start-up of {name} failed: {r.stderr[-1000:]}", file=sys.stderr)
                rows.append({"what": name, "median": None, "runs": runs})
                return
        rows.append({"what": name, "median": statistics.median(walls), "best": min(walls),
                     "runs": runs})

    if "huntsql" in args.systems:
        measure('huntsql -c "SELECT 1"', [args.huntsql, "-c", "SELECT 1"], args.startup_runs)
    if "pyspark" in args.systems:
        measure("python: SparkSession local[2] + SELECT 1", [args.python, "-c", SPARK_STARTUP],
                max(1, min(3, args.startup_runs)))
    if "duckdb" in args.systems:
        measure("python: import duckdb + SELECT 1", [args.python, "-c",
                "import duckdb; duckdb.connect().execute('SELECT 1').fetchall()"],
                args.startup_runs)
    if "msticpy" in args.systems or "duckdb" in args.systems or "pyspark" in args.systems:
        measure("python: import msticpy's hunt functions", [args.python, "-c",
                f"import sys; sys.path.insert(0, {HERE!r}); import msticpy_logic"],
                max(1, min(3, args.startup_runs)))
    return rows


SPARK_STARTUP = """
import os
os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
from pyspark.sql import SparkSession
s = (SparkSession.builder.master("local[2]").config("spark.ui.enabled", "false")
     .config("spark.driver.host", "127.0.0.1").getOrCreate())
s.sql("SELECT 1").collect()
s.stop()
"""


# ---------------------------------------------------------------------------
# Agreement

def refang(v: str) -> str:
    for a, b in (("[.]", "."), ("(.)", "."), ("[dot]", "."), ("hxxp", "http"), ("hXXp", "http"),
                 ("fxp", "ftp"), ("fXp", "ftp"), ("[at]", "@"), ("[AT]", "@"), ("[@]", "@")):
        v = v.replace(a, b)
    return v


def norm_ioc(t: str, v: str) -> str:
    """As ../shared/tools/score_iocs.py normalises (huntsql refangs, msticpy does not)."""
    v = refang(str(v).strip())
    return v.lower() if t in ("dns", "email", "md5_hash", "sha1_hash", "sha256_hash") else v


def load_labels() -> tuple[dict[int, set], dict[int, set]]:
    """Hand labels per dev row: {source_row: {(type, value)}}, and dns_internal per row."""
    gold: dict[int, set] = defaultdict(set)
    internal: dict[int, set] = defaultdict(set)
    path = os.path.join(shared_dir(), "data", "ioc_labels.dev.jsonl")
    if not os.path.exists(path):
        return gold, internal
    for line in open(path):
        rec = json.loads(line)
        for i in rec["iocs"]:
            if i["type"] == "dns_internal":
                internal[rec["row_id"]].add(("dns", norm_ioc("dns", i["value"])))
            elif i["type"] in IOC_TYPES:
                gold[rec["row_id"]].add((i["type"], norm_ioc(i["type"], i["value"])))
    return gold, internal


class Outputs:
    def __init__(self, folder: str | None):
        if folder is None:
            return

        def read(name):
            return pq.read_table(os.path.join(folder, name + ".parquet")).to_pandas()
        self.rows = read("rows").sort_values("row_id").reset_index(drop=True)
        self.iocs = read("iocs")
        self.b64 = read("b64")
        self.stack = read("stack")

    def ioc_set(self) -> set:
        return {(int(r), t, norm_ioc(t, v)) for r, t, v in
                self.iocs[["row_id", "ioc_type", "observable"]].itertuples(index=False)
                if t in IOC_TYPES}

    def cluster_summary(self, only=None) -> tuple[int, int, int]:
        """(clusters over all hosts, noise rows, hosts), of the rows `only` (default all)."""
        r = self.rows if only is None else self.rows[only]
        clusters = r[r.ClusterId >= 0].groupby("Computer", dropna=False).ClusterId.nunique().sum()
        return int(clusters), int((r.ClusterId == -1).sum()), int(r.Computer.nunique(dropna=False))


def plain(v):
    return v.item() if isinstance(v, np.generic) else v


def example(items, n=3) -> str:
    items = sorted(items, key=str)
    shown = ", ".join(str(i) for i in items[:n])
    return shown + (f", ... ({len(items)} in all)" if len(items) > n else "")


def compare(ref_name: str, ref: Outputs, name: str, out: Outputs, source_row: pd.Series,
            labels, cluster_rows: np.ndarray | None = None) -> tuple[list[str], list[str]]:
    """(mismatches, notes) of `out` against `ref`.

    `ref.stack` None: stack counts are not compared. `cluster_rows`: the rows whose
    ClusterId is compared (default all)."""
    bad, notes = [], []
    exact = name in MSTICPY_LOGIC
    # Rows: features and cluster labels.
    a, b = ref.rows, out.rows
    if len(a) != len(b) or not np.array_equal(a.row_id.to_numpy(), b.row_id.to_numpy()):
        bad.append(f"rows: {name} has {len(b)} rows, {ref_name} {len(a)} (or other row_ids)")
    else:
        for col in [*FEATURES, "ClusterId", "Computer"]:
            x, y = a[col], b[col]
            if col == "ClusterId" and cluster_rows is not None:
                x, y = x.where(cluster_rows, -9), y.where(cluster_rows, -9)
            if x.dtype.kind == "f" or y.dtype.kind == "f":
                differ = ~np.isclose(x.astype(float), y.astype(float), rtol=1e-12, atol=1e-12)
            else:
                differ = (x.astype(str) != y.astype(str)).to_numpy()
            if differ.any():
                idx = np.flatnonzero(differ)
                eg = [f"row_id {a.row_id[i]} (source row {source_row.get(a.row_id[i])}, host "
                      f"{a.Computer[i]}): {plain(x[i])!r} vs {plain(y[i])!r}" for i in idx[:3]]
                bad.append(f"{col}: {len(idx)} rows differ; e.g. " + "; ".join(eg))
        ca, cb = ref.cluster_summary(cluster_rows), out.cluster_summary(cluster_rows)
        if ca != cb:
            bad.append(f"cluster counts: {ref_name} {ca[0]} clusters / {ca[1]} noise rows over "
                       f"{ca[2]} hosts, {name} {cb[0]} / {cb[1]} over {cb[2]}")
    # Stack counts.
    if ref.stack is None:
        notes.append("stack counts: not compared (the reference ran on fewer rows)")
        sa = sb = set()
    else:
        sa = {tuple(r) for r in ref.stack[["parent", "child", "events", "hosts"]].fillna("")
              .itertuples(index=False)}
        sb = {tuple(r) for r in out.stack[["parent", "child", "events", "hosts"]].fillna("")
              .itertuples(index=False)}
    if sa != sb:
        bad.append(f"stack counts: {len(sa - sb)} (parent, child, events, hosts) only in "
                   f"{ref_name}: {example(sa - sb)}; {len(sb - sa)} only in {name}: "
                   f"{example(sb - sa)}")
    # Base64.
    if exact:
        ba = Counter(tuple(r) for r in ref.b64[["row_id", "md5"]].itertuples(index=False))
        bb = Counter(tuple(r) for r in out.b64[["row_id", "md5"]].itertuples(index=False))
        if ba != bb:
            bad.append(f"base64 items (row, md5): {sum((ba - bb).values())} only in {ref_name}: "
                       f"{example(ba - bb)}; {sum((bb - ba).values())} only in {name}: "
                       f"{example(bb - ba)}")
        if ref.b64 is not None and "reference" in out.b64 and "reference" in ref.b64:
            ra = {tuple(r) for r in ref.b64[["row_id", "reference", "md5"]].itertuples(index=False)}
            rb = {tuple(r) for r in out.b64[["row_id", "reference", "md5"]].itertuples(index=False)}
            if ra != rb:
                notes.append(
                    f"base64: {len(rb - ra)} items numbered differently, same bytes: "
                    f"{example(sorted(ra - rb)[:2] + sorted(rb - ra)[:2], 4)}. msticpy numbers "
                    "a fragment it failed to decode only the first time a process meets it "
                    "(module-global memo _UNDECODABLE_STRINGS), so its references depend on "
                    "the rows decoded before in the same process")
    else:
        ba = {tuple(r) for r in ref.b64[["row_id", "md5"]].itertuples(index=False)}
        bb = {tuple(r) for r in out.b64[["row_id", "md5"]].itertuples(index=False)}
        missing = ba - bb
        if missing:
            bad.append(f"base64: {len(missing)} items {ref_name} decodes (row, md5) are not "
                       f"decoded to the same bytes by {name}: {example(missing)}")
        extra = out.b64[[tuple(r) in (bb - ba) for r in
                         out.b64[["row_id", "md5"]].itertuples(index=False)]]
        if len(extra):
            kinds = Counter(
                "raw deflate stream inflated" if c == "deflate" else
                "inside UTF-16 text (msticpy shows it NUL-riddled)" if e == "utf-16" or d > 1
                else f"other (depth {d}, {e})"
                for d, e, c in extra[["depth", "encoding", "container"]].itertuples(index=False))
            notes.append(f"base64: {len(ba & bb)} items decoded alike (row, md5); "
                         f"{len(extra)} more items decoded by {name} only, not compared: "
                         + ", ".join(f"{k}: {v}" for k, v in kinds.most_common())
                         + "; references not compared (numbered by the tree)")
    # IoCs.
    ia, ib = ref.ioc_set(), out.ioc_set()
    if exact:
        if ia != ib or len(ref.iocs) != len(out.iocs):
            bad.append(f"IoCs (row, type, observable): {len(ia - ib)} only in {ref_name}: "
                       f"{example(ia - ib)}; {len(ib - ia)} only in {name}: {example(ib - ia)}")
    else:
        gold, _internal = labels

        def confirmed(item):
            r, t, v = item
            return (t, v) in gold.get(int(source_row.get(r, -1)), ())
        should = {i for i in ia if confirmed(i)}
        missing = should - ib
        if missing:
            bad.append(f"IoCs: {len(missing)} labelled IoCs {ref_name} finds are missed by "
                       f"{name}: {example(missing)}")
        excluded = ia - ib - should
        notes.append(f"IoCs: {len(should & ib)} labelled IoCs found by both; excluded: "
                     f"{len(excluded)} {ref_name}-only finds the labels do not confirm "
                     f"(by type: {dict(Counter(t for _, t, _ in excluded).most_common())}); "
                     f"{len(ib - ia)} {name}-only finds, of which "
                     f"{sum(1 for i in ib - ia if confirmed(i))} labelled")
    return bad, notes


def label_scores(out: Outputs, source_row: pd.Series, labels) -> str:
    gold, internal = labels
    rows = out.rows.row_id.to_numpy()
    truth = {(int(r), t, v) for r in rows for (t, v) in gold.get(int(source_row[r]), ())}
    pred = {i for i in out.ioc_set()
            if (i[1], i[2]) not in internal.get(int(source_row[i[0]]), ())}
    tp = len(pred & truth)
    p = tp / len(pred) if pred else 1.0
    r = tp / len(truth) if truth else 1.0
    return f"precision {p:.3f}, recall {r:.3f} ({len(pred)} IoCs)"


def expand(ref: Outputs, ids: pd.DataFrame, base: int) -> Outputs:
    """What `ref` (a run on at least `base` rows) says about the rows `ids` of a larger
    input: every amplified row has the outputs of its source row in copy 0 (row_id ==
    source_row), its own row_id and host. Stack counts are left out."""
    out = Outputs(None)
    first = ref.rows[ref.rows.row_id < base].set_index("row_id")
    rows = first.loc[ids.source_row.to_numpy()].reset_index(drop=True)
    rows["row_id"] = ids.row_id.to_numpy()
    rows["Computer"] = ids.Computer.to_numpy()
    out.rows = rows
    pairs = ids[["row_id", "source_row"]]

    def spread(frame):
        frame = frame[frame.row_id < base].rename(columns={"row_id": "source_row"})
        return pairs.merge(frame, on="source_row").drop(columns="source_row")
    out.iocs, out.b64, out.stack = spread(ref.iocs), spread(ref.b64), None
    return out


def check_size(size: int, results: dict, work: str, ids: pd.DataFrame, labels,
               earlier: dict, base: int) -> dict:
    """Compares the outputs at this size; `earlier` maps smaller sizes to their reference
    (name, Outputs), used when no msticpy-logic system finished at this size."""
    source_row = pd.Series(ids.source_row.to_numpy(), index=ids.row_id.to_numpy())
    done = {s: Outputs(os.path.join(work, "out", str(size), s)) for s, r in results.items()
            if r["ok"]}
    ref_name = next((s for s in MSTICPY_LOGIC if s in done), None)
    report = {}
    print(f"\n#### Agreement, {size:,} rows")
    cluster_rows = None
    if ref_name is None:
        usable = [n for n in earlier if n >= base]
        if not usable:
            print("- no msticpy-logic system finished: nothing to compare huntsql with at this size")
            return {**{s: None for s in results}, "_ref": None}
        from_size = max(usable)
        ref_name, small = earlier[from_size]
        ref = expand(small, ids, base)
        complete = (size // base) * base
        cluster_rows = (ids.row_id < complete).to_numpy()
        print(f"- no msticpy-logic system finished at this size: the reference is {ref_name} at "
              f"{from_size:,} rows, spread over the amplified rows by source row (features, "
              f"IoCs, base64 per row; DBSCAN labels of the {complete:,} rows of complete copies, "
              f"whose hosts hold the same rows as copy 0's; "
              f"{size - complete:,} rows of the last, partial copy excluded from DBSCAN)")
        ref_name = f"{ref_name}@{from_size}"
        report["_ref"] = ref_name
    else:
        report["_ref"] = ref_name
        ref = done[ref_name]
        earlier[size] = (ref_name, ref)
    clusters, noise, hosts = ref.cluster_summary(cluster_rows)
    print(f"- reference: {ref_name}: {clusters} clusters and {noise} noise rows over {hosts} hosts, "
          f"{len(ref.iocs)} IoCs, {len(ref.b64)} base64 items "
          f"({ref.b64.md5.nunique()} distinct payload md5s)"
          + (f", {len(ref.stack)} parent/child pairs" if ref.stack is not None else ""))
    for name in results:
        if name not in done:
            print(f"- {name}: not compared ({'stopped at the cap' if results[name]['capped'] else 'failed'})")
            report[name] = None
            continue
        scores = label_scores(done[name], source_row, labels)
        if name == ref_name:
            print(f"- {name}: reference; IoCs against the hand labels: {scores}")
            report[name] = True
            continue
        bad, notes = compare(ref_name, ref, name, done[name], source_row, labels, cluster_rows)
        report[name] = not bad
        verdict = "AGREES" if not bad else f"MISMATCH ({len(bad)})"
        print(f"- {name}: {verdict}; IoCs against the hand labels: {scores}")
        for line in bad:
            print(f"  - MISMATCH {line}")
        for line in notes:
            print(f"  - {line}")
    return report


# ---------------------------------------------------------------------------
# Tables

def fmt_secs(x) -> str:
    if x is None:
        return "-"
    return f"{x:.2f} s" if x < 100 else f"{x:.0f} s"


def fmt_mem(b) -> str:
    return f"{b / 2**20:,.0f} MiB" if b < 2**30 else f"{b / 2**30:.2f} GiB"


def print_size_table(size: int, results: dict, agree: dict, cap: float) -> None:
    print(f"\n### {size:,} rows (AMPLIFIED from the 5,489 real dev rows)\n")
    print("| system | " + " | ".join(STAGES) + " | stages total | wall (process) | peak RSS "
          "| huntsql speed-up (wall / stages) | outputs |")
    print("|---" * (len(STAGES) + 6) + "|")
    hq = results.get("huntsql")
    for name, r in results.items():
        cells = []
        for s in STAGES:
            if s in r["stages"]:
                cells.append(fmt_secs(r["stages"][s]))
            else:
                cells.append(f"> cap" if r["capped"] else "-")
        total = sum(r["stages"].get(s, 0.0) for s in STAGES)
        total_cell = fmt_secs(total) if r["ok"] else (f"> {cap:.0f} s" if r["capped"] else "failed")
        wall_cell = fmt_secs(r["wall"]) if r["ok"] else (f"> {cap:.0f} s" if r["capped"] else "failed")
        if name == "huntsql" or not hq or not hq["ok"]:
            speed = "-"
        else:
            hq_total = sum(hq["stages"].get(s, 0.0) for s in STAGES)
            if r["ok"]:
                speed = f"{r['wall'] / hq['wall']:,.0f}x / {total / hq_total:,.0f}x"
            elif r["capped"]:
                speed = f"> {cap / hq['wall']:,.0f}x / > {cap / hq_total:,.0f}x"
            else:
                speed = "-"
        ag = agree.get(name)
        ref = agree.get("_ref")
        ag_cell = ("n/a" if ag is None else "reference" if name == ref
                   else f"agree (vs {ref})" if ag else f"MISMATCH (vs {ref})")
        print(f"| {LABEL[name]} | " + " | ".join(cells) + f" | {total_cell} | {wall_cell} | "
              f"{fmt_mem(r['peak_rss'])} | {speed} | {ag_cell} |")
    extra = [f"{n}: SparkSession start {fmt_secs(r['stages']['session'])}" for n, r in results.items()
             if "session" in r["stages"]]
    print("\nstages total: the sum of the stages, each materialised (write-out of the compared "
          "outputs excluded); wall: the whole process, start-up, imports and write-out included."
          + (" " + "; ".join(extra) + " (in wall, not in stages)." if extra else ""))


def machine() -> str:
    cpu = "?"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (f"{os.cpu_count()} cores ({cpu}), {psutil.virtual_memory().total / 2**30:.0f} GiB, "
            f"load average {', '.join(f'{x:.2f}' for x in os.getloadavg())} at start")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--sizes", default="10000,100000,1000000")
    ap.add_argument("--cap", type=float, default=1800.0, help="seconds per run (default 1800)")
    ap.add_argument("--systems", default=",".join(SYSTEMS))
    ap.add_argument("--huntsql", default=os.environ.get("HUNTSQL",
                                                        os.path.join(ROOT, "target", "release", "huntsql")))
    ap.add_argument("--python", default=sys.executable, help="the peers venv's python")
    ap.add_argument("--work", default=os.path.join(ROOT, "target", "tmp", "peers"))
    ap.add_argument("--input", default=os.path.join(shared_dir(), "data", "process_events.dev.parquet"))
    ap.add_argument("--startup-runs", type=int, default=10)
    args = ap.parse_args()
    args.systems = [s.strip() for s in args.systems.split(",") if s.strip()]
    unknown = [s for s in args.systems if s not in SYSTEMS]
    if unknown:
        print(f"bench.py: unknown system(s) {unknown}; choose from {SYSTEMS}", file=sys.stderr)
        return 2
    try:
        sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    except ValueError:
        print(f"bench.py: --sizes {args.sizes!r}: expected comma-separated row counts", file=sys.stderr)
        return 2
    if "huntsql" in args.systems and not os.access(args.huntsql, os.X_OK):
        print(f"bench.py: no huntsql binary at {args.huntsql}: build it (cargo build --release -p "
              "huntsql) or pass --huntsql PATH", file=sys.stderr)
        return 2
    if not os.path.exists(args.input):
        print(f"bench.py: input {args.input} not found: set HUNTSQL_SHARED to the shared/ folder "
              "or pass --input", file=sys.stderr)
        return 2

    data_root = os.path.join(args.work, "data")
    rc = subprocess.run([args.python, os.path.join(HERE, "amplify.py"), "--input", args.input,
                         "--sizes", ",".join(map(str, sizes)), "--out", data_root]).returncode
    if rc:
        return rc
    labels = load_labels()
    everything = {"machine": machine(), "command": " ".join(sys.argv), "cap": args.cap,
                  "sizes": {}}
    print(f"\nMachine: {everything['machine']}")
    print("\n### Start-up\n")
    print("| what | median wall | best | runs |\n|---|---|---|---|")
    for row in startup(args):
        everything.setdefault("startup", []).append(row)
        print(f"| {row['what']} | {fmt_secs(row['median'])} | {fmt_secs(row.get('best'))} "
              f"| {row['runs']} |")
    tables = []
    any_mismatch = False
    earlier: dict = {}
    base = pq.read_metadata(args.input).num_rows
    for size in sizes:
        data_dir = os.path.join(data_root, str(size))
        ids = pq.read_table(os.path.join(data_dir, "process_events.parquet"),
                            columns=["row_id", "source_row", "Computer"]).to_pandas()
        results = {}
        for system in args.systems:
            print(f"[{size:,} rows] {system} ...", file=sys.stderr, flush=True)
            out_dir = os.path.join(args.work, "out", str(size), system)
            results[system] = run_system(system, size, data_dir, out_dir, args.cap, args)
            r = results[system]
            state = "capped" if r["capped"] else ("ok" if r["ok"] else "FAILED")
            print(f"[{size:,} rows] {system}: {state}, wall {r['wall']:.2f} s, "
                  f"peak RSS {fmt_mem(r['peak_rss'])}", file=sys.stderr, flush=True)
        agree = check_size(size, results, args.work, ids, labels, earlier, base)
        any_mismatch |= any(v is False for k, v in agree.items() if k != "_ref")
        tables.append((size, results, agree))
        everything["sizes"][size] = {"results": results,
                                     "agree": {k: v for k, v in agree.items() if k != "_ref"}}
        json.dump(everything, open(os.path.join(args.work, "results.json"), "w"), indent=1)
    for size, results, agree in tables:
        print_size_table(size, results, agree, args.cap)
    print(f"\nCommand: {everything['command']}\nResults: {os.path.join(args.work, 'results.json')}")
    if any_mismatch:
        print("\nSOME OUTPUTS DISAGREE (see the agreement sections above): the times of a "
              "system whose outputs disagree are not results.")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
