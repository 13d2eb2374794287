"""msticpy 3.0.2's hunt logic, shaped for the peer benchmarks.

The msticpy runner calls msticpy's own functions on the whole frame
(add_process_features, dbcluster_events, IoCExtract, unpack_df). The DuckDB
and PySpark runners call the same msticpy functions from vectorised UDFs on
each batch: the per-value helpers msticpy's add_process_features applies
(char_ord_score, crc32_hash, delim_count, delim_hash, the same lambdas) over a
pandas Series, dbcluster_events' Normalizer + DBSCAN on each host's rows, and
IoCExtract / unpack_df on a frame of the batch's command lines.

Importing this module points tldextract (used by msticpy's domain check) at its
bundled Public Suffix List, as ../shared/tools/msticpy/baseline.py does, so
that no process tries to download it; every process that imports msticpy
(Spark's Python workers too) imports this module first.
"""

from __future__ import annotations

import warnings
from math import log10

warnings.filterwarnings("ignore")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import tldextract  # noqa: E402

tldextract.tldextract.TLD_EXTRACTOR = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)

from msticpy.analysis.eventcluster import (  # noqa: E402
    char_ord_score,
    crc32_hash,
    dbcluster_events,
    delim_count,
    delim_hash,
)
from msticpy.transform import base64unpack  # noqa: E402
from msticpy.transform.iocextract import IoCExtract  # noqa: E402
from sklearn.cluster import DBSCAN  # noqa: E402
from sklearn.preprocessing import Normalizer  # noqa: E402

# The shared baseline's dbcluster_events parameters (tools/msticpy/baseline.py):
CLUSTER_COLUMNS = ["commandlineTokensFull", "pathScore", "isSystemSession"]
MAX_CLUSTER_DISTANCE = 0.0001
MIN_CLUSTER_SAMPLES = 2
# What add_process_features picks from the first 10 rows of these (Windows) events.
PATH_SEPARATOR = "\\"

FEATURE_COLUMNS = [
    "processName", "pathScore", "pathLogScore", "pathHash", "commandlineLen",
    "commandlineLogLen", "commandlineTokensFull", "commandlineScore",
    "commandlineTokensHash", "isSystemSession",
]

_EXTRACTOR: IoCExtract | None = None


def extractor() -> IoCExtract:
    global _EXTRACTOR  # noqa: PLW0603 - one IoCExtract (compiled regexes) per process
    if _EXTRACTOR is None:
        _EXTRACTOR = IoCExtract()
    return _EXTRACTOR


# ---------------------------------------------------------------------------
# Features, one function per column: msticpy's lambdas from
# _add_processname_features / _add_commandline_features, over a Series.
# Inputs are already NULL-filled with '' (add_process_features' fillna).

def process_name(path: pd.Series) -> pd.Series:
    return path.map(lambda x: x.split(PATH_SEPARATOR)[-1])


def path_score(path: pd.Series) -> pd.Series:
    return path.map(char_ord_score).astype("int64")


def log_score(score: pd.Series) -> pd.Series:
    return score.map(lambda x: log10(x) if x else 0).astype("float64")


def path_hash(path: pd.Series) -> pd.Series:
    return path.map(crc32_hash).astype("int64")


def cmdline_len(cmdline: pd.Series) -> pd.Series:
    return cmdline.map(len).astype("int64")


def cmdline_tokens(cmdline: pd.Series) -> pd.Series:
    return cmdline.map(delim_count).astype("int64")


def cmdline_score(cmdline: pd.Series) -> pd.Series:
    return cmdline.map(char_ord_score).astype("int64")


def cmdline_tokens_hash(cmdline: pd.Series) -> pd.Series:
    return cmdline.map(delim_hash).astype("int64")


def is_system_session(logon_id: pd.Series) -> pd.Series:
    return logon_id.isin(["0x3e7", "-1"])


def parent_name(parent: pd.Series) -> pd.Series:
    """File name of the parent process, lower case; '' when there is none."""
    return parent.fillna("").map(lambda x: x.split(PATH_SEPARATOR)[-1].lower())


# ---------------------------------------------------------------------------
# Clustering: dbcluster_events' own steps (Normalizer, then DBSCAN).

def dbscan_labels(tokens, score, system) -> np.ndarray:
    x = np.column_stack([np.asarray(tokens, dtype=np.float64),
                         np.asarray(score, dtype=np.float64),
                         np.asarray(system, dtype=np.float64)])
    x = Normalizer().fit_transform(x)
    model = DBSCAN(eps=MAX_CLUSTER_DISTANCE, min_samples=MIN_CLUSTER_SAMPLES).fit(x)
    return model.labels_.astype(np.int64)


def dbcluster_host(host_rows: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    """msticpy's dbcluster_events on one host's rows: (summary frame, label per row)."""
    clusters, model, _x = dbcluster_events(
        data=host_rows, cluster_columns=CLUSTER_COLUMNS, time_column="TimeGenerated",
        max_cluster_distance=MAX_CLUSTER_DISTANCE, min_cluster_samples=MIN_CLUSTER_SAMPLES,
        normalize=True)
    return clusters, model.labels_.astype(np.int64)


# ---------------------------------------------------------------------------
# IoCs and base64 over a frame whose index is row_id.

IOC_COLUMNS = ["row_id", "ioc_type", "observable"]
B64_COLUMNS = ["row_id", "reference", "md5"]


def iocs(frame: pd.DataFrame) -> pd.DataFrame:
    """IoCExtract().extract on CommandLine: one row per (row_id, type, observable)."""
    found = extractor().extract(data=frame, columns=["CommandLine"])
    if found.empty:
        return pd.DataFrame({"row_id": pd.Series(dtype="int64"),
                             "ioc_type": pd.Series(dtype="object"),
                             "observable": pd.Series(dtype="object")})
    return pd.DataFrame({"row_id": found["SourceIndex"].astype("int64"),
                         "ioc_type": found["IoCType"].astype(str),
                         "observable": found["Observable"].astype(str)})


def b64(frame: pd.DataFrame) -> pd.DataFrame:
    """unpack_df on CommandLine: one row per decoded item (row_id, reference, md5)."""
    found = base64unpack.unpack_df(data=frame, column="CommandLine")
    if found.empty:
        return pd.DataFrame({"row_id": pd.Series(dtype="int64"),
                             "reference": pd.Series(dtype="object"),
                             "md5": pd.Series(dtype="object")})
    return pd.DataFrame({
        "row_id": found["src_index"].astype("int64"),
        "reference": found["reference"].map(lambda r: "|".join(r) if isinstance(r, tuple) else str(r)),
        "md5": found["md5"].map(lambda m: m if isinstance(m, str) else None),
    })
