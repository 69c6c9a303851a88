"""The reference point for the export benchmark: ConnectorX reads the query
into Arrow, pyarrow writes it as zstd Parquet.

usage: python3 connectorx_export.py POSTGRES_URL SQL OUT.parquet
"""
import sys

import connectorx as cx
import pyarrow.parquet as pq

url, sql, out = sys.argv[1:4]
table = cx.read_sql(url, sql, return_type="arrow")
pq.write_table(table, out, compression="zstd")
print(table.num_rows)
