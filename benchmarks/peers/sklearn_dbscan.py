"""scikit-learn's DBSCAN on the points `huntsql-benchmarks dbscan` wrote.

    python3 benchmarks/peers/sklearn_dbscan.py [DIR]

For each points_N.parquet in DIR (default target/tmp/dbscan-bench) it times
DBSCAN(eps=0.01, min_samples=5).fit on the same x, y, z and checks that the
labels equal huntsql's (labels_N.parquet, joined on id). Exit 1 on a mismatch.
"""

import glob
import os
import re
import sys
import time

import subprocess
import tempfile

import numpy as np
import pyarrow.parquet as pq
import sklearn
from sklearn.cluster import DBSCAN
from sklearn.preprocessing import StandardScaler

# 'zscore' scales the unit cube to about [-1.73, 1.73]: eps grows with it.
ZSCORE_EPS = 0.0346
HUNTSQL = os.environ.get("HUNTSQL", "target/release/huntsql")


def huntsql_zscore_labels(folder: str, n: int) -> np.ndarray:
    """huntsql's labels with normalize 'zscore', through the release binary."""
    with tempfile.TemporaryDirectory() as out:
        target = os.path.join(out, "labels.parquet")
        sql = (
            f"COPY (SELECT id, dbscan_cluster({ZSCORE_EPS}, 5, 'zscore', x, y, z) OVER () AS cluster "
            f"FROM points_{n}) TO '{target}' STORED AS PARQUET"
        )
        subprocess.run([HUNTSQL, "--data", folder, "-c", sql],
                       check=True, capture_output=True)
        labels = pq.read_table(target).sort_by("id")
        return labels["cluster"].to_numpy().astype(np.int64)


def main() -> int:
    folder = sys.argv[1] if len(sys.argv) > 1 else "target/tmp/dbscan-bench"
    files = glob.glob(os.path.join(folder, "points_*.parquet"))
    sizes = sorted(int(re.search(r"points_(\d+)", f).group(1)) for f in files)
    if not sizes:
        print(f"no points_*.parquet in {folder}: run `huntsql-benchmarks dbscan` first", file=sys.stderr)
        return 2
    print(f"scikit-learn {sklearn.__version__}, DBSCAN(eps=0.01, min_samples=5), one process")
    print(f"| rows | scikit-learn fit | clusters | noise | labels equal huntsql's | StandardScaler + DBSCAN(eps={ZSCORE_EPS}) equals huntsql 'zscore' |")
    print("|---|---|---|---|---|---|")
    failed = False
    for n in sizes:
        points = pq.read_table(os.path.join(folder, f"points_{n}.parquet")).sort_by("id")
        xyz = np.column_stack([points[c].to_numpy() for c in ("x", "y", "z")]).astype(np.float64)
        start = time.perf_counter()
        labels = DBSCAN(eps=0.01, min_samples=5).fit(xyz).labels_
        secs = time.perf_counter() - start
        ours = pq.read_table(os.path.join(folder, f"labels_{n}.parquet")).sort_by("id")
        equal = np.array_equal(ours["cluster"].to_numpy().astype(np.int64), labels.astype(np.int64))
        failed |= not equal
        clusters = len(set(labels.tolist()) - {-1})
        noise = int((labels == -1).sum())
        scaled = StandardScaler().fit_transform(xyz)
        zlabels = DBSCAN(eps=ZSCORE_EPS, min_samples=5).fit(scaled).labels_
        zequal = np.array_equal(huntsql_zscore_labels(folder, n), zlabels.astype(np.int64))
        failed |= not zequal
        zclusters = len(set(zlabels.tolist()) - {-1})
        print(f"| {n} | {secs:.3f} s | {clusters} | {noise} | {'yes' if equal else 'NO'} "
              f"| {'yes' if zequal else 'NO'} ({zclusters} clusters) |")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
