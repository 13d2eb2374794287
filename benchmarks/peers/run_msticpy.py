"""The peer-benchmark pipeline in msticpy 3.0.2 + pandas, as a notebook runs it.

    python benchmarks/peers/run_msticpy.py INPUT.parquet OUT_DIR

add_process_features on the frame; dbcluster_events on each host's rows
(groupby Computer) with the shared baseline's parameters; IoCExtract().extract
and base64unpack.unpack_df on CommandLine; a pandas stack count of
parent/child pairs. Outputs as described in common.py.
"""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import common  # noqa: E402
import msticpy_logic as ml  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from msticpy.analysis.eventcluster import add_process_features  # noqa: E402

COLUMNS = ["row_id", "Computer", "TimeGenerated", "NewProcessName", "CommandLine",
           "SubjectLogonId", "ParentProcessName"]


def main() -> None:
    input_path, out_dir = common.args()
    st = common.Stages(out_dir)

    with st.stage("load"):
        events = pd.read_parquet(input_path, columns=COLUMNS)
        events.index = pd.Index(events["row_id"].to_numpy(), name="row_id")

    with st.stage("features"):
        feats = add_process_features(input_frame=events, path_separator=ml.PATH_SEPARATOR)

    with st.stage("cluster"):
        labels = pd.Series(np.full(len(feats), -2, dtype=np.int64), index=feats.index)
        summaries = []
        for _host, rows in feats.groupby("Computer", sort=False, dropna=False):
            summary, host_labels = ml.dbcluster_host(rows)
            labels.loc[rows.index] = host_labels
            summaries.append(summary)
        clusters = pd.concat(summaries)  # dbcluster_events' output, per host  # noqa: F841

    with st.stage("iocs"):
        iocs = ml.iocs(feats[["CommandLine"]])

    with st.stage("b64"):
        b64 = ml.b64(feats[["CommandLine"]])

    with st.stage("stack"):
        pairs = pd.DataFrame({"parent": ml.parent_name(feats["ParentProcessName"]),
                              "child": feats["processName"].str.lower(),
                              "Computer": feats["Computer"]})
        stack = (pairs.groupby(["parent", "child"], dropna=False)
                 .agg(events=("Computer", "size"), hosts=("Computer", "nunique"))
                 .reset_index())

    with st.stage("write"):
        rows = feats[["Computer", *ml.FEATURE_COLUMNS]].copy()
        rows.insert(0, "row_id", feats.index.to_numpy())
        rows["ClusterId"] = labels.to_numpy()
        rows.to_parquet(st.out("rows.parquet"), index=False)
        iocs.to_parquet(st.out("iocs.parquet"), index=False)
        b64.to_parquet(st.out("b64.parquet"), index=False)
        stack.to_parquet(st.out("stack.parquet"), index=False)


if __name__ == "__main__":
    main()
