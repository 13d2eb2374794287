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

import numpy as np
import pyarrow.parquet as pq
import sklearn
from sklearn.cluster import DBSCAN


def main() -> int:
    folder = sys.argv[1] if len(sys.argv) > 1 else "target/tmp/dbscan-bench"
    files = glob.glob(os.path.join(folder, "points_*.parquet"))
    sizes = sorted(int(re.search(r"points_(\d+)", f).group(1)) for f in files)
    if not sizes:
        print(f"no points_*.parquet in {folder}: run `huntsql-benchmarks dbscan` first", file=sys.stderr)
        return 2
    print(f"scikit-learn {sklearn.__version__}, DBSCAN(eps=0.01, min_samples=5), one process")
    print("| rows | scikit-learn fit | clusters | noise | labels equal huntsql's |")
    print("|---|---|---|---|---|")
    failed = False
    for n in sizes:
        points = pq.read_table(os.path.join(folder, f"points_{n}.parquet")).to_pandas().sort_values("id")
        xyz = points[["x", "y", "z"]].to_numpy(dtype=np.float64)
        start = time.perf_counter()
        labels = DBSCAN(eps=0.01, min_samples=5).fit(xyz).labels_
        secs = time.perf_counter() - start
        ours = pq.read_table(os.path.join(folder, f"labels_{n}.parquet")).to_pandas().sort_values("id")
        equal = np.array_equal(ours["cluster"].to_numpy(dtype=np.int64), labels.astype(np.int64))
        failed |= not equal
        clusters = len(set(labels.tolist()) - {-1})
        noise = int((labels == -1).sum())
        print(f"| {n} | {secs:.3f} s | {clusters} | {noise} | {'yes' if equal else 'NO'} |")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
