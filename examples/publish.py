#!/usr/bin/env python3
"""Publish a sqlsynth job from Python and wait for its result.

    python3 examples/publish.py JOB.json [--timeout SECONDS] [--no-wait]

What any client has to do (README "Publishing from other languages"):

1. Validate the job against schemas/job.schema.json, so a malformed job is
   refused here instead of being dead-lettered by the worker. (The worker
   checks more than a schema can: unique question ids, configured sources.)
2. Subscribe to the result *before* publishing, so it cannot be missed: an
   exclusive, auto-delete queue bound to the topic exchange `sqlsynth.results`
   with routing key = the job's `job_id`.
3. Publish the job's bytes to the jobs queue through the default exchange:
   persistent (delivery_mode 2), `mandatory` (an unroutable job is an error,
   not silently dropped), on a channel with publisher confirms (the job is
   stored once the broker confirmed it).
4. The result is the job's manifest (schemas/manifest.schema.json) as JSON;
   header `x-sqlsynth-reused` is true when the job had already run.

The worker declares the jobs queue and the results exchange; this client
declares the results exchange too (same arguments) so it can bind before any
worker has started, and never declares the jobs queue (its arguments belong
to the worker's configuration).

Environment: AMQP_URL (default amqp://guest:guest@127.0.0.1:5672/%2f),
SQLSYNTH_JOBS_QUEUE (default sqlsynth.jobs), SQLSYNTH_RESULTS_EXCHANGE
(default sqlsynth.results). Prints the manifest on stdout. Exit status as
`sqlsynth publish --wait`: 0 every question answered, 1 some were not (or no
result before the timeout), 2 the job is invalid or was not stored.

Needs: pip install pika jsonschema
"""

import argparse
import json
import os
import sys
import time

import jsonschema
import pika
import pika.exceptions

SCHEMAS = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "schemas")


def load_schema(name):
    with open(os.path.join(SCHEMAS, name), encoding="utf-8") as f:
        return json.load(f)


def schema_errors(schema, instance):
    validator = jsonschema.Draft202012Validator(schema)
    return [f"at /{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(instance)]


def main():
    parser = argparse.ArgumentParser(description="Publish a sqlsynth job and wait for its result.")
    parser.add_argument("job", help="the job file (JSON)")
    parser.add_argument("--timeout", type=float, default=600, help="seconds to wait for the result")
    parser.add_argument("--no-wait", action="store_true", help="publish and exit")
    args = parser.parse_args()

    with open(args.job, "rb") as f:
        body = f.read()
    try:
        job = json.loads(body)
    except ValueError as e:
        print(f"{args.job}: not JSON: {e}", file=sys.stderr)
        return 2
    errors = schema_errors(load_schema("job.schema.json"), job)
    if errors:
        print(f"{args.job} is not a valid job:\n  " + "\n  ".join(errors), file=sys.stderr)
        return 2
    job_id = job["job_id"]

    url = os.environ.get("AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/%2f")
    jobs_queue = os.environ.get("SQLSYNTH_JOBS_QUEUE", "sqlsynth.jobs")
    results_exchange = os.environ.get("SQLSYNTH_RESULTS_EXCHANGE", "sqlsynth.results")

    connection = pika.BlockingConnection(pika.URLParameters(url))
    try:
        channel = connection.channel()
        channel.confirm_delivery()
        if not args.no_wait:
            channel.exchange_declare(results_exchange, exchange_type="topic", durable=True)
            results = channel.queue_declare("", exclusive=True, auto_delete=True).method.queue
            channel.queue_bind(results, results_exchange, routing_key=job_id)
        properties = pika.BasicProperties(content_type="application/json", delivery_mode=2, message_id=job_id)
        try:
            channel.basic_publish("", jobs_queue, body, properties, mandatory=True)
        except pika.exceptions.UnroutableError:
            print(f"job {job_id} was not stored: no queue named {jobs_queue} (has a worker started?)", file=sys.stderr)
            return 2
        except pika.exceptions.NackError:
            print(f"job {job_id} was not stored: the broker refused it", file=sys.stderr)
            return 2
        print(f"published job {job_id} ({len(job['questions'])} questions) to {jobs_queue}", file=sys.stderr)
        if args.no_wait:
            return 0

        deadline = time.monotonic() + args.timeout
        for method, props, result in channel.consume(results, auto_ack=True, inactivity_timeout=1):
            if method is None:
                if time.monotonic() > deadline:
                    print(f"no result for job {job_id} within {args.timeout} s", file=sys.stderr)
                    return 1
                continue
            manifest = json.loads(result)
            if manifest.get("job_id") != job_id:
                continue
            reused = bool((props.headers or {}).get("x-sqlsynth-reused"))
            problems = schema_errors(load_schema("manifest.schema.json"), manifest)
            if problems:
                print("warning: the result does not match schemas/manifest.schema.json:\n  " + "\n  ".join(problems),
                      file=sys.stderr)
            print(json.dumps(manifest, indent=2))
            stats = manifest["stats"]
            print(f"job {job_id}: {stats['ok']} ok, {stats['failed']} failed, {stats['unanswered']} unanswered"
                  + (" (it had already run)" if reused else ""), file=sys.stderr)
            return 0 if stats["failed"] == 0 and stats["unanswered"] == 0 else 1
        return 1
    finally:
        connection.close()


if __name__ == "__main__":
    sys.exit(main())
