#!/usr/bin/env python3
"""Runs every gold query of an eval set on SQLite, PostgreSQL and MariaDB and
says where the three disagree: a check for portable gold SQL while writing
cases (tests/eval.rs proves that the gold runs on each engine, not that it
returns the same rows on each).

Usage: python3 evals/check_gold.py SET.json SQLITE_FILE DATABASE
(DATABASE: the same name on PostgreSQL and MariaDB, as tests/eval.rs loads
them: sqlsynth_hr, sqlsynth_customer_orders). Needs the psql and mysql
clients; PGHOST/PGUSER and MYSQL_HOST/MYSQL_USER as for those (defaults:
127.0.0.1, postgres / root). Numbers compare to 6 decimals; MariaDB keeps 4
decimals beyond the dividend's in decimal division (div_precision_increment),
so an average or a ratio may differ in the 5th or 6th decimal there: that is
reported as `close` and is not a portability bug.
"""

import json
import os
import sqlite3
import subprocess
import sys


def norm(value):
    if value is None or value == "NULL":
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return str(value)


def canon(rows, ordered):
    rows = [tuple(norm(v) for v in row) for row in rows]
    return rows if ordered else sorted(rows, key=lambda r: [(v is None, str(v)) for v in r])


def same(a, b, digits):
    def rounded(rows):
        return [tuple(round(v, digits) if isinstance(v, float) else v for v in r) for r in rows]

    return rounded(a) == rounded(b)


def tsv(output):
    return [line.split("\t") for line in output.splitlines()] if output else []


def main():
    set_path, sqlite_path, database = sys.argv[1:4]
    pg_host, pg_user = os.environ.get("PGHOST", "127.0.0.1"), os.environ.get("PGUSER", "postgres")
    my_host, my_user = os.environ.get("MYSQL_HOST", "127.0.0.1"), os.environ.get("MYSQL_USER", "root")
    lite = sqlite3.connect(sqlite_path)
    problems = 0
    for case in json.load(open(set_path, encoding="utf-8"))["cases"]:
        sql = case.get("gold_sql")
        if sql is None:
            continue
        ordered = "ORDER BY" in sql.split(")")[-1]
        pg = subprocess.run(
            ["psql", "-h", pg_host, "-U", pg_user, "-d", database, "-At", "-F", "\t", "-P", "null=NULL",
             "-v", "ON_ERROR_STOP=1", "-c", sql],
            capture_output=True, text=True)
        my = subprocess.run(
            ["mysql", "-h", my_host, "-u", my_user, "--default-character-set=utf8mb4", "-B", "-N", database, "-e", sql],
            capture_output=True, text=True)
        try:
            results = {"sqlite": canon(lite.execute(sql).fetchall(), ordered)}
        except sqlite3.Error as e:
            print(f"{case['id']}: SQLite: {e}")
            problems += 1
            continue
        for name, run in [("postgres", pg), ("mariadb", my)]:
            if run.returncode:
                print(f"{case['id']}: {name}: {run.stderr.strip()}")
                problems += 1
                break
            results[name] = canon(tsv(run.stdout), ordered)
        else:
            a, b, c = results["sqlite"], results["postgres"], results["mariadb"]
            if same(a, b, 6) and same(a, c, 6):
                verdict = "same"
            elif same(a, b, 6) and same(a, c, 3):
                verdict = "close (MariaDB decimal division)"
            else:
                verdict = "DIFFERENT"
                problems += 1
            print(f"{case['id']}: {len(a)} rows, {verdict}")
            if verdict == "DIFFERENT":
                for name, rows in results.items():
                    print(f"    {name}: {rows[:5]}")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
