#!/usr/bin/env bash
# Installs s3s-fs (a small S3 server over a local directory that checks SigV4
# signatures), which the object-store tests (tests/s3.rs) start on 127.0.0.1.
# Does nothing when the binary is already there. The build takes about
# 7 minutes on two cores.
set -euo pipefail
ROOT="${HUNTSQL_TOOLS:-$HOME/.cache/huntsql/tools}"
if [ -x "$ROOT/bin/s3s-fs" ]; then
    exit 0
fi
echo "installing s3s-fs 0.14.1 into $ROOT (about 7 minutes)" >&2
# A throw-away target folder: the release build of s3s-fs is not huntsql's.
unset CARGO_TARGET_DIR
cmd=(cargo install s3s-fs@0.14.1 --features binary --locked --root "$ROOT")
if [ -e /tmp/huntsql-cargo.lock ] && command -v flock >/dev/null; then
    flock /tmp/huntsql-cargo.lock "${cmd[@]}"
else
    "${cmd[@]}"
fi
