#!/usr/bin/env bash
# Installs osmem-server (PyPI: an in-memory server speaking the OpenSearch REST
# API — mappings, _bulk, _search, point in time, search_after — shipped as a
# binary inside the wheel) into a venv under ~/.cache/huntsql/tools, and links
# its binary to ~/.cache/huntsql/tools/bin/osmem-server. The Elasticsearch
# tests (tests/elasticsearch_osmem.rs) start it on 127.0.0.1.
# Does nothing when the binary is already there.
set -euo pipefail
ROOT="${HUNTSQL_TOOLS:-$HOME/.cache/huntsql/tools}"
VERSION=0.1.6
if [ -x "$ROOT/bin/osmem-server" ] && [ -f "$ROOT/osmem-venv/.installed-$VERSION" ]; then
    exit 0
fi
echo "installing osmem-server $VERSION into $ROOT/osmem-venv" >&2
mkdir -p "$ROOT/bin"
python3 -m venv "$ROOT/osmem-venv"
"$ROOT/osmem-venv/bin/pip" install --quiet --disable-pip-version-check "osmem-server==$VERSION"
# The package ships a Go binary; pip puts it in the venv (bin/ or the package
# folder). Prefer a real executable over the Python launcher script.
bin=""
for candidate in $(find "$ROOT/osmem-venv" -type f -name 'osmem-server*' -perm -u+x 2>/dev/null); do
    if file "$candidate" 2>/dev/null | grep -q ELF || head -c 4 "$candidate" | grep -q ELF; then
        bin="$candidate"
        break
    fi
done
if [ -z "$bin" ]; then
    bin="$ROOT/osmem-venv/bin/osmem-server"
fi
if [ ! -x "$bin" ]; then
    echo "osmem-server: no executable found in $ROOT/osmem-venv" >&2
    exit 1
fi
ln -sf "$bin" "$ROOT/bin/osmem-server"
touch "$ROOT/osmem-venv/.installed-$VERSION"
echo "osmem-server: $bin" >&2
