#!/usr/bin/env bash
# huntsql against msticpy/pandas, DuckDB and PySpark on one hunt pipeline (issue 10).
#
# usage: benchmarks/peers/run.sh [--sizes 10000,100000,1000000] [--cap 1800]
#                                [--systems huntsql,msticpy,duckdb,pyspark] [--no-build]
#                                [--startup-runs 10] [--work DIR]
#
# Builds huntsql in release (the package set RESULTS.md uses), makes the Python
# environment (setup.sh: msticpy 3.0.2, DuckDB, PySpark, psutil; PySpark needs
# Java 17), amplifies the shared process events to each size, runs every system
# in turn and prints Markdown tables (start-up; per size: time per stage, wall,
# peak RSS, huntsql's speed-up, whether the outputs agree). Exit 1 when outputs
# disagree. Run from anywhere; shared/ must sit beside the repository (or set
# HUNTSQL_SHARED). The full run takes long: msticpy's IoC extraction alone needs
# about 20 s per 10,000 rows on this machine kind, so at 1,000,000 rows msticpy
# and the peers that run its logic may pass the cap; such a run is reported as
# "> cap", and huntsql is then checked against the largest size a peer finished.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
venv=${PEERS_VENV:-$HOME/.cache/huntsql/tools/peers-venv}
build=1
args=()
for a in "$@"; do
  if [ "$a" = "--no-build" ]; then build=0; else args+=("$a"); fi
done
target=${CARGO_TARGET_DIR:-$root/target}
if [ "$build" = 1 ]; then
  (cd "$root" && cargo build --release -p huntsql -p huntsql-benchmarks)
fi
huntsql=${HUNTSQL:-$target/release/huntsql}
bash "$here/setup.sh" "$venv"
cd "$root"
exec "$venv/bin/python" "$here/bench.py" --huntsql "$huntsql" "${args[@]}"
