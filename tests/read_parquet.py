"""Reads Parquet files with pyarrow, the way a user's data stack would, and
prints what the tests compare: row count, column names and types, the
key/value metadata, and the rows normalised (numbers rounded to 2 places,
temporal values as ISO text) and sorted, so answers from different databases
can be compared as multisets.

usage: python3 read_parquet.py FILE [FILE ...]  -> JSON object keyed by file

A FILE may be an s3://bucket/key URL: it is read through pyarrow's own S3
client, configured from AWS_ENDPOINT, AWS_ACCESS_KEY_ID,
AWS_SECRET_ACCESS_KEY and AWS_REGION.
"""
import datetime
import decimal
import json
import os
import sys

import pyarrow.parquet as pq


def normalise(value):
    if value is None:
        return None
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (int, float, decimal.Decimal)):
        return "%.2f" % float(value)
    if isinstance(value, (datetime.datetime, datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.hex()
    return str(value)


def open_path(path):
    """(filesystem, path) for pyarrow: its S3 client for s3:// URLs, else local."""
    if not path.startswith("s3://"):
        return None, path
    from pyarrow import fs

    endpoint = os.environ.get("AWS_ENDPOINT", "")
    scheme, _, host = endpoint.partition("://")
    s3 = fs.S3FileSystem(
        endpoint_override=host or None,
        scheme=scheme or "https",
        access_key=os.environ.get("AWS_ACCESS_KEY_ID"),
        secret_key=os.environ.get("AWS_SECRET_ACCESS_KEY"),
        region=os.environ.get("AWS_REGION", "us-east-1"),
    )
    return s3, path[len("s3://"):]


def describe(path):
    filesystem, where = open_path(path)
    table = pq.read_table(where, filesystem=filesystem)
    metadata = pq.ParquetFile(where, filesystem=filesystem).metadata.metadata or {}
    rows = [[normalise(v) for v in row.values()] for row in table.to_pylist()]
    rows.sort(key=lambda r: json.dumps(r))
    return {
        "num_rows": table.num_rows,
        "columns": table.column_names,
        "types": [str(t) for t in table.schema.types],
        "metadata": {k.decode(): v.decode() for k, v in metadata.items() if k.startswith(b"sqlsynth.")},
        "rows": rows,
    }


if __name__ == "__main__":
    print(json.dumps({path: describe(path) for path in sys.argv[1:]}))
