#!/usr/bin/env bash
# Installs the Python environment of the Log Analytics emulator
# (tests/servers/log_analytics_emulator.py): DuckDB and duckdb-kql, which
# evaluates the KQL huntsql sends. The Sentinel tests (tests/log_analytics.rs)
# start the emulator with this venv's python. Does nothing when it is there.
set -euo pipefail
ROOT="${HUNTSQL_TOOLS:-$HOME/.cache/huntsql/tools}"
VENV="$ROOT/venv-kql"
if [ -x "$VENV/bin/python" ] && "$VENV/bin/python" -c "import duckdb, duckdb_kql, pytz" 2>/dev/null; then
    exit 0
fi
echo "installing duckdb and duckdb-kql into $VENV" >&2
mkdir -p "$ROOT"
python3 -m venv "$VENV"
"$VENV/bin/pip" install --quiet --disable-pip-version-check "duckdb>=1.1" "duckdb-kql[duckdb]==1.1.2"
