"""The peer-benchmark pipeline in PySpark (local mode, both cores), msticpy's logic as pandas UDFs.

    python benchmarks/peers/run_pyspark.py INPUT.parquet OUT_DIR

The way a Spark notebook runs msticpy: the features are `pandas_udf`s (Series to
Series) calling msticpy's per-value functions; DBSCAN runs per host in
`groupBy("Computer").applyInPandas` (dbcluster_events' Normalizer + DBSCAN on
the host's rows in row_id order); IoC extraction and base64 unpacking run in
`mapInPandas` (msticpy's IoCExtract / unpack_df on each Arrow batch); the stack
count is Spark SQL. Each stage is cached and counted, so it is timed on its own;
`session` is the SparkSession's start (JVM included), outside the pipeline stages.
Outputs as described in common.py (written through pandas: they are small).
"""

from __future__ import annotations

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
# Spark's Python workers import msticpy_logic too.
os.environ["PYTHONPATH"] = os.pathsep.join(
    p for p in [HERE, os.environ.get("PYTHONPATH", "")] if p)
os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")  # loopback only

import common  # noqa: E402
import pandas as pd  # noqa: E402
from pyspark.sql import SparkSession  # noqa: E402
from pyspark.sql import functions as F  # noqa: E402
from pyspark.sql.functions import pandas_udf  # noqa: E402

FEATURES = [  # (column, msticpy_logic function, input column, Spark type)
    ("processName", "process_name", "NewProcessName", "string"),
    ("pathScore", "path_score", "NewProcessName", "long"),
    ("pathHash", "path_hash", "NewProcessName", "long"),
    ("commandlineLen", "cmdline_len", "CommandLine", "long"),
    ("commandlineTokensFull", "cmdline_tokens", "CommandLine", "long"),
    ("commandlineScore", "cmdline_score", "CommandLine", "long"),
    ("commandlineTokensHash", "cmdline_tokens_hash", "CommandLine", "long"),
    ("isSystemSession", "is_system_session", "SubjectLogonId", "boolean"),
]


PARTITIONS = 4  # local[2]: two tasks per core


def udf_for(function: str, spark_type: str):
    def run(values: pd.Series) -> pd.Series:
        import msticpy_logic as ml
        return getattr(ml, function)(values)
    return pandas_udf(run, spark_type)


def dbscan_host(rows: pd.DataFrame) -> pd.DataFrame:
    import msticpy_logic as ml
    rows = rows.sort_values("row_id")
    labels = ml.dbscan_labels(rows["commandlineTokensFull"], rows["pathScore"],
                              rows["isSystemSession"])
    return pd.DataFrame({"row_id": rows["row_id"].to_numpy(), "ClusterId": labels})


def iocs_batches(batches):
    import msticpy_logic as ml
    for batch in batches:
        yield ml.iocs(batch.set_index("row_id"))


def b64_batches(batches):
    import msticpy_logic as ml
    for batch in batches:
        yield ml.b64(batch.set_index("row_id"))


def materialise(df):
    df = df.cache()
    df.count()
    return df


def main() -> None:
    input_path, out_dir = common.args()
    st = common.Stages(out_dir)
    with st.stage("session"):
        spark = (SparkSession.builder.master("local[2]").appName("huntsql-peers")
                 .config("spark.driver.memory", os.environ.get("PEERS_SPARK_MEMORY", "6g"))
                 .config("spark.sql.shuffle.partitions", str(PARTITIONS))
                 .config("spark.sql.execution.arrow.pyspark.enabled", "true")
                 .config("spark.ui.enabled", "false")
                 .config("spark.ui.showConsoleProgress", "false")
                 .config("spark.driver.host", "127.0.0.1")
                 .getOrCreate())
        spark.sparkContext.setLogLevel("ERROR")
        spark.sql("SELECT 1").collect()

    with st.stage("load"):
        events = materialise(spark.read.parquet(os.path.abspath(input_path)).select(
            "row_id", "Computer", "TimeGenerated",
            F.coalesce("NewProcessName", F.lit("")).alias("NewProcessName"),
            F.coalesce("CommandLine", F.lit("")).alias("CommandLine"),
            "SubjectLogonId", "ParentProcessName")
            # One Parquet file of a few MB is one input split: spread it over both cores.
            .repartition(PARTITIONS))

    print(f"partitions: {events.rdd.getNumPartitions()}", file=sys.stderr)

    with st.stage("features"):
        cols = [udf_for(fn, t)(F.col(src)).alias(name) for name, fn, src, t in FEATURES]
        log_score = udf_for("log_score", "double")
        feats = events.select("row_id", "Computer", "CommandLine", "ParentProcessName", *cols)
        feats = materialise(feats.select(
            "*", log_score("pathScore").alias("pathLogScore"),
            log_score("commandlineLen").alias("commandlineLogLen")))

    with st.stage("cluster"):
        clustered = materialise(
            feats.select("row_id", "Computer", "commandlineTokensFull", "pathScore",
                         "isSystemSession")
            .groupBy("Computer").applyInPandas(dbscan_host, "row_id long, ClusterId long"))

    with st.stage("iocs"):
        iocs = materialise(feats.select("row_id", "CommandLine").mapInPandas(
            iocs_batches, "row_id long, ioc_type string, observable string"))

    with st.stage("b64"):
        b64 = materialise(feats.select("row_id", "CommandLine").mapInPandas(
            b64_batches, "row_id long, reference string, md5 string"))

    with st.stage("stack"):
        # Spark SQL built-ins: the text after the last '\\' (msticpy's split(sep)[-1]).
        parent = F.lower(F.substring_index(F.coalesce("ParentProcessName", F.lit("")), "\\", -1))
        stack = materialise(
            feats.select(parent.alias("parent"),
                         F.lower("processName").alias("child"), "Computer")
            .groupBy("parent", "child")
            .agg(F.count("*").alias("events"), F.countDistinct("Computer").alias("hosts")))

    with st.stage("write"):
        import msticpy_logic as ml
        rows = feats.join(clustered, "row_id").select(
            "row_id", "Computer", *ml.FEATURE_COLUMNS, "ClusterId")
        for name, df in [("rows", rows), ("iocs", iocs), ("b64", b64), ("stack", stack)]:
            df.toPandas().to_parquet(st.out(name + ".parquet"), index=False)
    spark.stop()


if __name__ == "__main__":
    main()
