#!/usr/bin/env python3
"""A loopback emulator of the Azure Monitor Log Analytics query API, for tests.

This is an emulator following Microsoft's documented API, not the service:

- Query: ``POST /v1/workspaces/{workspaceId}/query`` with a JSON body
  ``{"query": "...", "timespan": "<start>/<end>"}`` and ``Prefer: wait=N``;
  the answer is ``{"tables": [{"name", "columns": [{"name", "type"}], "rows"}]}``
  (https://learn.microsoft.com/rest/api/loganalytics/dataaccess/query/execute,
  https://learn.microsoft.com/azure/azure-monitor/logs/api/response-format).
  Results over the service limits (500,000 rows / ~64 MB,
  https://learn.microsoft.com/azure/azure-monitor/service-limits#log-queries-and-language)
  come back truncated in a 200 response with a ``PartialError`` beside the tables
  (https://learn.microsoft.com/azure/azure-monitor/logs/api/errors).
  Throttling is a 429 with ``Retry-After``.
- Metadata: ``GET /v1/workspaces/{workspaceId}/metadata``: the tables and their
  columns (https://learn.microsoft.com/rest/api/loganalytics/dataaccess/metadata/get).
- Tokens: ``POST /{tenant}/oauth2/v2.0/token`` with the client-credentials grant
  of the Microsoft identity platform
  (https://learn.microsoft.com/entra/identity-platform/v2-oauth2-client-creds-grant-flow).

The KQL is evaluated by an independent engine, duckdb-kql on DuckDB, so the
KQL that huntsql generates is checked by someone else's parser.

Tables are created by a setup SQL file in schema ``base``; each is shown to the
KQL as a view in ``main``, filtered by the request's ``timespan`` on
``TimeGenerated`` (both ends inclusive: the stricter reading, so that a client
relying on one particular edge rule shows up as duplicates or gaps).

Test controls (not part of the vendor API):
  POST /_control/faults   {"status": 429, "retry_after": "1", "count": 2}
                          status 0 closes the connection without an answer;
                          "malformed": true answers 200 with broken JSON.
  GET  /_control/requests the query requests received (query, timespan, prefer)
  GET  /_control/stats    {"token_requests": N, "query_requests": N}
  POST /_control/reset    forgets requests, faults and counters
"""

import argparse
import datetime
import decimal
import json
import math
import secrets
import sys
import threading
import time
import urllib.parse
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import duckdb
import duckdb_kql

LOCK = threading.Lock()
STATE = {
    "requests": [],
    "faults": [],
    "tokens": {},  # token -> expiry (epoch seconds)
    "token_requests": 0,
    "query_requests": 0,
}


def kql_type(duck_type):
    t = str(duck_type).upper()
    if t == "BOOLEAN":
        return "bool"
    if t in ("TINYINT", "SMALLINT", "INTEGER"):
        return "int"
    if t in ("BIGINT", "UTINYINT", "USMALLINT", "UINTEGER", "HUGEINT"):
        return "long"
    if t in ("DOUBLE", "FLOAT", "REAL"):
        return "real"
    if t.startswith("DECIMAL"):
        return "decimal"
    if t.startswith("TIMESTAMP") or t == "DATE":
        return "datetime"
    if t == "INTERVAL":
        return "timespan"
    if t == "UUID":
        return "guid"
    if t == "JSON":
        return "dynamic"
    return "string"


def fmt_datetime(v):
    if v.tzinfo is not None:
        v = v.astimezone(datetime.timezone.utc).replace(tzinfo=None)
    return v.strftime("%Y-%m-%dT%H:%M:%S") + ".%07dZ" % (v.microsecond * 10)


def fmt_timespan(v):
    total_us = (v.days * 86400 + v.seconds) * 1_000_000 + v.microseconds
    sign = "-" if total_us < 0 else ""
    total_us = abs(total_us)
    days, rest = divmod(total_us, 86400 * 1_000_000)
    hours, rest = divmod(rest, 3600 * 1_000_000)
    minutes, rest = divmod(rest, 60 * 1_000_000)
    seconds, micros = divmod(rest, 1_000_000)
    text = "%02d:%02d:%02d" % (hours, minutes, seconds)
    if micros:
        text += ".%07d" % (micros * 10)
    if days:
        text = "%d.%s" % (days, text)
    return sign + text


def encode(value, ktype):
    if value is None:
        return None
    if ktype == "datetime":
        if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
            value = datetime.datetime(value.year, value.month, value.day)
        return fmt_datetime(value)
    if ktype == "timespan":
        return fmt_timespan(value)
    if ktype == "guid":
        return str(value)
    if ktype == "decimal":
        return str(value)
    if ktype == "dynamic":
        # The service returns dynamic values as JSON text.
        return value if isinstance(value, str) else json.dumps(value)
    if ktype == "real":
        value = float(value)
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
        return value
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def parse_time(text):
    text = text.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    # Python's fromisoformat takes at most 6 fractional digits.
    if "." in text:
        head, frac = text.split(".", 1)
        digits = ""
        rest = ""
        for i, c in enumerate(frac):
            if c.isdigit():
                digits += c
            else:
                rest = frac[i:]
                break
        text = head + "." + (digits + "000000")[:6] + rest
    v = datetime.datetime.fromisoformat(text)
    if v.tzinfo is None:
        v = v.replace(tzinfo=datetime.timezone.utc)
    return v


def parse_timespan(text):
    """'<start>/<end>' (both ISO 8601 datetimes) as UTC datetimes."""
    parts = text.split("/")
    if len(parts) != 2:
        raise ValueError("timespan must be '<start>/<end>'")
    return parse_time(parts[0]), parse_time(parts[1])


class Emulator:
    def __init__(self, args):
        self.args = args
        self.db = duckdb_kql.connect()
        with open(args.setup, encoding="utf-8", newline="") as f:
            self.db.execute("CREATE SCHEMA base")
            self.db.execute(f.read())
        self.tables = [
            r[0]
            for r in self.db.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'base' ORDER BY 1"
            ).fetchall()
        ]
        self.time_tables = set(
            r[0]
            for r in self.db.execute(
                "SELECT table_name FROM information_schema.columns WHERE table_schema = 'base' AND column_name = 'TimeGenerated'"
            ).fetchall()
        )
        self.make_views(None)

    def make_views(self, span):
        for t in self.tables:
            q = '"' + t.replace('"', '""') + '"'
            sql = "CREATE OR REPLACE VIEW main.%s AS SELECT * FROM base.%s" % (q, q)
            params = []
            if span is not None and t in self.time_tables:
                sql += ' WHERE "TimeGenerated" >= ? AND "TimeGenerated" <= ?'
                params = list(span)
            if params:
                # Views cannot take parameters: inline the two timestamps.
                sql = sql.replace("?", "TIMESTAMPTZ '%s'" % span[0].isoformat(), 1)
                sql = sql.replace("?", "TIMESTAMPTZ '%s'" % span[1].isoformat(), 1)
            self.db.execute(sql)

    def run(self, kql, span):
        with LOCK:
            self.make_views(span)
            rel = duckdb_kql.query(self.db, kql)
            columns = [
                {"name": n, "type": kql_type(t)} for n, t in zip(rel.columns, rel.types)
            ]
            rows = rel.fetchall()
        types = [c["type"] for c in columns]
        rows = [[encode(v, t) for v, t in zip(row, types)] for row in rows]
        return columns, rows

    def metadata(self):
        tables = []
        with LOCK:
            self.make_views(None)
            for t in self.tables:
                rel = duckdb_kql.query(self.db, '["%s"] | getschema' % t.replace('"', '\\"'))
                cols = [{"name": r[0], "type": r[3]} for r in rel.fetchall()]
                entry = {"id": "t/" + t, "name": t, "columns": cols}
                if t in self.time_tables:
                    entry["timespanColumn"] = "TimeGenerated"
                tables.append(entry)
        return {"tables": tables}


def make_handler(emu, args):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a):
            if args.verbose:
                sys.stderr.write("emulator: " + (a[0] % a[1:]) + "\n")

        def send_json(self, status, body, headers=None):
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)

        def body(self):
            n = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(n) if n else b""

        def do_GET(self):
            path = urllib.parse.urlparse(self.path).path
            if path == "/_control/requests":
                with LOCK:
                    return self.send_json(200, STATE["requests"])
            if path == "/_control/stats":
                with LOCK:
                    return self.send_json(
                        200,
                        {
                            "token_requests": STATE["token_requests"],
                            "query_requests": STATE["query_requests"],
                        },
                    )
            parts = path.strip("/").split("/")
            if len(parts) == 4 and parts[0] == "v1" and parts[1] == "workspaces" and parts[3] == "metadata":
                if not self.authorized(parts[2]):
                    return
                return self.send_json(200, emu.metadata())
            self.send_json(404, {"error": {"code": "PathNotFoundError", "message": "no such path " + path}})

        def authorized(self, workspace):
            auth = self.headers.get("Authorization") or ""
            token = auth[len("Bearer "):] if auth.startswith("Bearer ") else None
            with LOCK:
                expiry = STATE["tokens"].get(token)
            valid = token is not None and (
                token == args.static_token
                or token == args.forbidden_token
                or (expiry is not None and expiry > time.time())
            )
            if not valid:
                self.send_json(
                    401,
                    {"error": {"code": "AuthorizationRequiredError", "message": "Valid authentication was not provided"}},
                )
                return False
            if token == args.forbidden_token or workspace != args.workspace:
                self.send_json(
                    403,
                    {
                        "error": {
                            "code": "InsufficientAccessError",
                            "message": "The provided credentials have insufficient access to perform the requested operation",
                        }
                    },
                )
                return False
            return True

        def do_POST(self):
            path = urllib.parse.urlparse(self.path).path
            raw = self.body()
            if path == "/_control/faults":
                fault = json.loads(raw)
                with LOCK:
                    STATE["faults"].append(fault)
                return self.send_json(200, {"ok": True})
            if path == "/_control/reset":
                with LOCK:
                    STATE["requests"].clear()
                    STATE["faults"].clear()
                    STATE["token_requests"] = 0
                    STATE["query_requests"] = 0
                return self.send_json(200, {"ok": True})
            parts = path.strip("/").split("/")
            if len(parts) == 4 and parts[1:] == ["oauth2", "v2.0", "token"]:
                return self.token(parts[0], raw)
            if len(parts) == 4 and parts[0] == "v1" and parts[1] == "workspaces" and parts[3] == "query":
                return self.query(parts[2], raw)
            self.send_json(404, {"error": {"code": "PathNotFoundError", "message": "no such path " + path}})

        def token(self, tenant, raw):
            form = urllib.parse.parse_qs(raw.decode())
            get = lambda k: (form.get(k) or [None])[0]
            with LOCK:
                STATE["token_requests"] += 1
            if get("grant_type") != "client_credentials" or get("scope") != args.scope:
                return self.send_json(
                    400,
                    {"error": "invalid_request", "error_description": "AADSTS90014: grant_type or scope is wrong"},
                )
            if tenant != args.tenant:
                return self.send_json(
                    400,
                    {"error": "invalid_request", "error_description": "AADSTS90002: Tenant '%s' not found." % tenant},
                )
            if get("client_id") != args.client_id or get("client_secret") != args.client_secret:
                return self.send_json(
                    401,
                    {
                        "error": "invalid_client",
                        "error_description": "AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID.\r\nTrace ID: 0",
                    },
                )
            token = secrets.token_urlsafe(24)
            with LOCK:
                STATE["tokens"][token] = time.time() + args.token_lifetime
            self.send_json(
                200,
                {"token_type": "Bearer", "expires_in": args.token_lifetime, "ext_expires_in": args.token_lifetime, "access_token": token},
            )

        def query(self, workspace, raw):
            with LOCK:
                STATE["query_requests"] += 1
                fault = None
                if STATE["faults"]:
                    fault = STATE["faults"][0]
                    fault["count"] = fault.get("count", 1) - 1
                    if fault["count"] <= 0:
                        STATE["faults"].pop(0)
            if fault is not None:
                status = fault.get("status", 500)
                if status == 0:
                    self.close_connection = True
                    self.connection.close()
                    return
                if fault.get("malformed"):
                    return self.send_json(200, b'{"tables": [{"name": "PrimaryResult", "columns": [')
                headers = {}
                if "retry_after" in fault:
                    headers["Retry-After"] = str(fault["retry_after"])
                return self.send_json(
                    status,
                    {"error": {"code": "ServiceError", "message": "emulated fault %d" % status}},
                    headers,
                )
            if not self.authorized(workspace):
                return
            try:
                req = json.loads(raw)
                kql = req["query"]
            except (ValueError, KeyError):
                return self.send_json(
                    400, {"error": {"code": "BadArgumentError", "message": "The request body is not valid JSON with a query"}}
                )
            timespan = req.get("timespan")
            with LOCK:
                STATE["requests"].append({"query": kql, "timespan": timespan, "prefer": self.headers.get("Prefer")})
            try:
                span = parse_timespan(timespan) if timespan else None
                columns, rows = emu.run(kql, span)
            except Exception as e:  # noqa: BLE001 - the error goes back to the client
                return self.send_json(
                    400,
                    {
                        "error": {
                            "code": "BadArgumentError",
                            "message": "The request had some invalid properties",
                            "innererror": {"code": "SemanticError", "message": str(e)},
                        }
                    },
                )
            body = {"tables": [{"name": "PrimaryResult", "columns": columns, "rows": rows}]}
            if len(rows) > args.max_rows:
                body["tables"][0]["rows"] = rows[: args.max_rows]
                body["error"] = {
                    "code": "PartialError",
                    "message": "There were some errors when processing your query.",
                    "details": [
                        {
                            "code": "EngineError",
                            "message": "Something went wrong processing your query on the server.",
                            "innererror": {
                                "code": "-2133196801",
                                "message": "The results of this query exceed the set limit of %d records, so not all records were returned (E_QUERY_RESULT_SET_TOO_LARGE, 0x80DA0003). See https://aka.ms/kustoquerylimits for more information and possible solutions."
                                % args.max_rows,
                                "severity": 2,
                                "severityName": "Error",
                            },
                        }
                    ],
                }
            self.send_json(200, body)

    return Handler


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--setup", required=True, help="SQL creating tables in schema base")
    p.add_argument("--workspace", required=True)
    p.add_argument("--tenant", required=True)
    p.add_argument("--client-id", required=True)
    p.add_argument("--client-secret", required=True)
    p.add_argument("--scope", default="https://api.loganalytics.io/.default")
    p.add_argument("--static-token", default=None, help="a bearer token accepted as is")
    p.add_argument("--forbidden-token", default=None, help="a valid token without access (403)")
    p.add_argument("--max-rows", type=int, default=500000)
    p.add_argument("--token-lifetime", type=int, default=3599)
    p.add_argument("--verbose", action="store_true")
    args = p.parse_args()
    emu = Emulator(args)
    server = ThreadingHTTPServer(("127.0.0.1", args.port), make_handler(emu, args))
    server.daemon_threads = True
    sys.stderr.write("log analytics emulator on 127.0.0.1:%d\n" % args.port)
    server.serve_forever()


if __name__ == "__main__":
    main()
