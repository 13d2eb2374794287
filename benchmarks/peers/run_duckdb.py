"""The peer-benchmark pipeline in DuckDB, with msticpy's logic as vectorised Python UDFs.

    python benchmarks/peers/run_duckdb.py INPUT.parquet OUT_DIR

DuckDB SQL does the plumbing (read Parquet, group, unnest, join, the stack count
with built-in functions);
msticpy's logic runs in Arrow UDFs (`type='arrow'`: one call per vector of rows,
not per row), each calling the msticpy functions of msticpy_logic.py on a pandas
Series or frame of the vector. DBSCAN runs per host on the host's rows gathered
with `list(... ORDER BY row_id)`. Each stage is a CREATE TABLE, so it is timed
on its own. DuckDB uses both cores (threads = 2); the Python UDFs hold the GIL.
Outputs as described in common.py.
"""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import common  # noqa: E402
import duckdb  # noqa: E402
import msticpy_logic as ml  # noqa: E402
import pandas as pd  # noqa: E402
import pyarrow as pa  # noqa: E402


def series(arr) -> pd.Series:
    return arr.to_pandas()


def scalar_udf(fn, out_type: pa.DataType):
    def udf(arr):
        return pa.array(fn(series(arr)), type=out_type)
    return udf


def udf_dbscan(ids, tokens, scores, system):
    """One list of labels per host: the host's rows, in row_id order."""
    out = []
    for t, s, y in zip(tokens.to_pylist(), scores.to_pylist(), system.to_pylist()):
        out.append(ml.dbscan_labels(t, s, y).tolist())
    return pa.array(out, type=pa.list_(pa.int64()))


def frame_of(ids, cmdlines) -> pd.DataFrame:
    frame = pd.DataFrame({"CommandLine": series(cmdlines)})
    frame.index = pd.Index(ids.to_numpy(zero_copy_only=False), name="row_id")
    return frame


def grouped(found: pd.DataFrame, ids, fields: list[str]) -> list:
    by_row: dict[int, list] = {}
    for rec in found[["row_id", *fields]].itertuples(index=False):
        by_row.setdefault(rec[0], []).append(dict(zip(fields, rec[1:])))
    return [by_row.get(i, []) for i in ids.to_pylist()]


IOC_TYPE = pa.list_(pa.struct([("ioc_type", pa.string()), ("observable", pa.string())]))
B64_TYPE = pa.list_(pa.struct([("reference", pa.string()), ("md5", pa.string())]))


def udf_iocs(ids, cmdlines):
    found = ml.iocs(frame_of(ids, cmdlines))
    return pa.array(grouped(found, ids, ["ioc_type", "observable"]), type=IOC_TYPE)


def udf_b64(ids, cmdlines):
    found = ml.b64(frame_of(ids, cmdlines))
    return pa.array(grouped(found, ids, ["reference", "md5"]), type=B64_TYPE)


def register(con: duckdb.DuckDBPyConnection) -> None:
    def f(name, fn, params, ret, out_type=None):
        udf = scalar_udf(fn, out_type) if out_type is not None else fn
        con.create_function(name, udf, params, con.dtype(ret), type="arrow")

    f("mp_process_name", ml.process_name, ["VARCHAR"], "VARCHAR", pa.string())
    f("mp_path_score", ml.path_score, ["VARCHAR"], "BIGINT", pa.int64())
    f("mp_log_score", ml.log_score, ["BIGINT"], "DOUBLE", pa.float64())
    f("mp_path_hash", ml.path_hash, ["VARCHAR"], "BIGINT", pa.int64())
    f("mp_cmdline_len", ml.cmdline_len, ["VARCHAR"], "BIGINT", pa.int64())
    f("mp_cmdline_tokens", ml.cmdline_tokens, ["VARCHAR"], "BIGINT", pa.int64())
    f("mp_cmdline_score", ml.cmdline_score, ["VARCHAR"], "BIGINT", pa.int64())
    f("mp_cmdline_tokens_hash", ml.cmdline_tokens_hash, ["VARCHAR"], "BIGINT", pa.int64())
    f("mp_is_system_session", ml.is_system_session, ["VARCHAR"], "BOOLEAN", pa.bool_())
    f("mp_dbscan", udf_dbscan, ["BIGINT[]", "BIGINT[]", "BIGINT[]", "BOOLEAN[]"], "BIGINT[]")
    f("mp_iocs", udf_iocs, ["BIGINT", "VARCHAR"], "STRUCT(ioc_type VARCHAR, observable VARCHAR)[]")
    f("mp_b64", udf_b64, ["BIGINT", "VARCHAR"], "STRUCT(reference VARCHAR, md5 VARCHAR)[]")


def main() -> None:
    input_path, out_dir = common.args()
    st = common.Stages(out_dir)
    con = duckdb.connect()
    con.execute("SET threads = 2")
    register(con)

    with st.stage("load"):
        con.execute("""
            CREATE TABLE events AS
            SELECT row_id, Computer, TimeGenerated,
                   coalesce(NewProcessName, '') AS NewProcessName,
                   coalesce(CommandLine, '') AS CommandLine,
                   SubjectLogonId, ParentProcessName
            FROM read_parquet(?)""", [input_path])

    with st.stage("features"):
        con.execute("""
            CREATE TABLE features AS
            SELECT row_id, Computer, CommandLine, ParentProcessName,
                   processName, pathScore, mp_log_score(pathScore) AS pathLogScore, pathHash,
                   commandlineLen, mp_log_score(commandlineLen) AS commandlineLogLen,
                   commandlineTokensFull, commandlineScore, commandlineTokensHash, isSystemSession
            FROM (
              SELECT *,
                     mp_process_name(NewProcessName) AS processName,
                     mp_path_score(NewProcessName) AS pathScore,
                     mp_path_hash(NewProcessName) AS pathHash,
                     mp_cmdline_len(CommandLine) AS commandlineLen,
                     mp_cmdline_tokens(CommandLine) AS commandlineTokensFull,
                     mp_cmdline_score(CommandLine) AS commandlineScore,
                     mp_cmdline_tokens_hash(CommandLine) AS commandlineTokensHash,
                     mp_is_system_session(SubjectLogonId) AS isSystemSession
              FROM events)""")

    with st.stage("cluster"):
        con.execute("""
            CREATE TABLE clustered AS
            WITH hosts AS (
              SELECT Computer, list(row_id ORDER BY row_id) AS ids,
                     mp_dbscan(list(row_id ORDER BY row_id),
                               list(commandlineTokensFull ORDER BY row_id),
                               list(pathScore ORDER BY row_id),
                               list(isSystemSession ORDER BY row_id)) AS labels
              FROM features GROUP BY Computer)
            SELECT Computer, unnest(ids) AS row_id, unnest(labels) AS ClusterId FROM hosts""")

    with st.stage("iocs"):
        con.execute("""
            CREATE TABLE iocs AS
            SELECT row_id, i.ioc_type AS ioc_type, i.observable AS observable
            FROM (SELECT row_id, unnest(mp_iocs(row_id, CommandLine)) AS i FROM features)""")

    with st.stage("b64"):
        con.execute("""
            CREATE TABLE b64 AS
            SELECT row_id, i.reference AS reference, i.md5 AS md5
            FROM (SELECT row_id, unnest(mp_b64(row_id, CommandLine)) AS i FROM features)""")

    with st.stage("stack"):
        con.execute("""
            CREATE TABLE stack AS
            SELECT lower(string_split(coalesce(ParentProcessName, ''), '\\')[-1]) AS parent,
                   lower(processName) AS child,
                   count(*) AS events, count(DISTINCT Computer) AS hosts
            FROM features GROUP BY ALL""")

    with st.stage("write"):
        cols = ", ".join(f'"{c}"' for c in ml.FEATURE_COLUMNS)
        for name, query in [
            ("rows", f"SELECT f.row_id, f.Computer, {cols}, c.ClusterId FROM features f "
                     "JOIN clustered c USING (row_id) ORDER BY f.row_id"),
            ("iocs", "SELECT * FROM iocs"), ("b64", "SELECT * FROM b64"),
            ("stack", "SELECT * FROM stack"),
        ]:
            con.execute(f"COPY ({query}) TO '{st.out(name + '.parquet')}' (FORMAT parquet)")


if __name__ == "__main__":
    main()
