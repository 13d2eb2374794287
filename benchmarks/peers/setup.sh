#!/usr/bin/env bash
# Python environment for the peer benchmarks (benchmarks/peers/): msticpy 3.0.2
# and its pinned libraries (through ../shared/tools/msticpy/setup.sh, the same
# versions that produced ../shared/expected/msticpy_dev), plus PySpark, DuckDB
# and psutil, pinned.
#
# usage: benchmarks/peers/setup.sh [VENV_DIR]   (default: ~/.cache/huntsql/tools/peers-venv)
# PySpark needs Java 17 (`java -version`); on Debian: apt-get install openjdk-17-jre-headless.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
venv=${1:-$HOME/.cache/huntsql/tools/peers-venv}
shared=${HUNTSQL_SHARED:-$root/../shared}
msticpy_setup="$shared/tools/msticpy/setup.sh"
if [ ! -f "$msticpy_setup" ]; then
  echo "setup.sh: $msticpy_setup not found; set HUNTSQL_SHARED to the shared/ folder" >&2
  exit 2
fi
# Already installed with these pins: nothing to do.
stamp="$venv/.huntsql-peers-pins"
pins="pyspark==4.1.4 duckdb==1.5.6 psutil==7.2.2"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$pins $(md5sum < "$msticpy_setup")" ]; then
  echo "peers venv ready: $venv"
  exit 0
fi
bash "$msticpy_setup" "$venv" >/dev/null
# shellcheck disable=SC2086
"$venv/bin/pip" install -q $pins
if ! java -version >/dev/null 2>&1; then
  echo "setup.sh: warning: no java on PATH; PySpark needs Java 17 (apt-get install openjdk-17-jre-headless)" >&2
fi
echo "$pins $(md5sum < "$msticpy_setup")" > "$stamp"
echo "peers venv ready: $venv"
