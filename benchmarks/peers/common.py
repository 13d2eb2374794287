"""What every Python peer runner shares: stage timing and the output files.

A runner is started as `python run_SYSTEM.py INPUT.parquet OUT_DIR` by bench.py.
It times each stage with `Stages.stage(name)`; each finished stage is appended
to OUT_DIR/stages.jsonl at once, so a run stopped at the time cap still tells
which stages finished. At the end it writes the outputs bench.py compares:

  rows.parquet   row_id, Computer, the ten msticpy features, ClusterId
  iocs.parquet   row_id, ioc_type, observable
  b64.parquet    row_id, reference, md5           (one row per decoded item)
  stack.parquet  parent, child, events, hosts     (parent/child process pairs)
"""

from __future__ import annotations

import json
import os
import sys
import time
from contextlib import contextmanager

STAGES = ["load", "features", "cluster", "iocs", "b64", "stack", "write"]


class Stages:
    def __init__(self, out_dir: str):
        os.makedirs(out_dir, exist_ok=True)
        self.out_dir = out_dir
        self.path = os.path.join(out_dir, "stages.jsonl")
        open(self.path, "w").close()

    @contextmanager
    def stage(self, name: str):
        assert name in STAGES or name == "session", name
        start = time.perf_counter()
        yield
        secs = time.perf_counter() - start
        with open(self.path, "a") as f:
            f.write(json.dumps({"stage": name, "seconds": secs}) + "\n")
        print(f"{name}: {secs:.3f} s", file=sys.stderr, flush=True)

    def out(self, name: str) -> str:
        return os.path.join(self.out_dir, name)


def args() -> tuple[str, str]:
    if len(sys.argv) != 3:
        print(f"usage: {sys.argv[0]} INPUT.parquet OUT_DIR", file=sys.stderr)
        sys.exit(2)
    if not os.path.exists(sys.argv[1]):
        print(f"{sys.argv[0]}: input {sys.argv[1]} not found", file=sys.stderr)
        sys.exit(2)
    return sys.argv[1], sys.argv[2]
