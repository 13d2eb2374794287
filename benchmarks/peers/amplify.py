"""Amplify the shared process events to N rows for the peer benchmarks.

    python benchmarks/peers/amplify.py [--input ../shared/data/process_events.dev.parquet]
                                       [--sizes 10000,100000,1000000] [--out DIR]

Writes DIR/<N>/process_events.parquet for each N. The rows are the real rows
of the input, repeated: output row i is input row i % R (R = input rows) of
copy c = i // R. Copy 0 is the input unchanged; copy c > 0 is shifted
c * 7 days later (TimeGenerated) and its hosts are renamed (`WORKSTATION5.theshire.local`
becomes `WORKSTATION5-a0001.theshire.local`, `IEWIN7` becomes `IEWIN7-a0001`),
so every copy is a new set of hosts with the same activity. Nothing is
synthesised: command lines, paths and logon ids are the real ones.

The output says it is amplified: three columns are added (`row_id` = i,
`source_row` = the input row, `amplified_copy` = c) and the Parquet file's
metadata holds `huntsql.amplified`. The output is deterministic: the same
input and N give the same file content.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_INPUT = os.path.normpath(os.path.join(HERE, "..", "..", "..", "shared", "data",
                                              "process_events.dev.parquet"))
SHIFT = dt.timedelta(days=7)


def renamed(host: str | None, copy: int) -> str | None:
    if host is None or copy == 0:
        return host
    first, dot, rest = host.partition(".")
    return f"{first}-a{copy:04d}{dot}{rest}"


def amplify(table: pa.Table, rows: int) -> pa.Table:
    base = table.num_rows
    copies = -(-rows // base)
    hosts = table.column("Computer").to_pylist()
    times = table.column("TimeGenerated")
    parts = []
    for copy in range(copies):
        take = min(base, rows - copy * base)
        part = table.slice(0, take)
        if copy:
            host_map = [renamed(h, copy) for h in hosts[:take]]
            part = part.set_column(part.schema.get_field_index("Computer"), "Computer",
                                   pa.array(host_map, type=table.schema.field("Computer").type))
            shifted = pc.add(times.slice(0, take), pa.scalar(SHIFT * copy, pa.duration("us")))
            part = part.set_column(part.schema.get_field_index("TimeGenerated"), "TimeGenerated",
                                   shifted.cast(times.type))
        first = copy * base
        part = part.append_column("row_id", pa.array(range(first, first + take), pa.int64()))
        part = part.append_column("source_row", pa.array(range(take), pa.int64()))
        part = part.append_column("amplified_copy", pa.array([copy] * take, pa.int32()))
        parts.append(part)
    out = pa.concat_tables(parts)
    note = (f"AMPLIFIED: {rows} rows from the {base} real rows of process_events.dev.parquet, "
            f"{copies} copies; copy c is shifted c*7 days and its hosts renamed NAME-aCCCC")
    return out.replace_schema_metadata({**(out.schema.metadata or {}),
                                        b"huntsql.amplified": note.encode()})


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--input", default=DEFAULT_INPUT)
    ap.add_argument("--sizes", default="10000,100000,1000000")
    ap.add_argument("--out", default="target/tmp/peers/data")
    args = ap.parse_args()
    if not os.path.exists(args.input):
        print(f"amplify.py: input {args.input} not found (pass --input, or put shared/ beside the "
              "repository)", file=sys.stderr)
        return 2
    try:
        sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    except ValueError:
        print(f"amplify.py: --sizes {args.sizes!r}: expected comma-separated row counts",
              file=sys.stderr)
        return 2
    if not sizes or min(sizes) < 1:
        print("amplify.py: --sizes needs row counts of at least 1", file=sys.stderr)
        return 2
    table = pq.read_table(args.input)
    for col in ("Computer", "TimeGenerated", "NewProcessName", "CommandLine", "SubjectLogonId",
                "ParentProcessName"):
        if col not in table.column_names:
            print(f"amplify.py: {args.input} lacks column {col}", file=sys.stderr)
            return 2
    for n in sizes:
        folder = os.path.join(args.out, str(n))
        os.makedirs(folder, exist_ok=True)
        target = os.path.join(folder, "process_events.parquet")
        out = amplify(table, n)
        if os.path.exists(target):
            old = pq.read_schema(target).metadata or {}
            if old.get(b"huntsql.amplified") == out.schema.metadata[b"huntsql.amplified"] \
                    and pq.read_metadata(target).num_rows == n:
                print(f"{target}: up to date ({n} rows, AMPLIFIED)")
                continue
        pq.write_table(out, target, row_group_size=128 * 1024, compression="zstd")
        print(f"{target}: {out.schema.metadata[b'huntsql.amplified'].decode()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
