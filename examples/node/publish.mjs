#!/usr/bin/env node
// Publish a sqlsynth job from Node.js and wait for its result.
//
//     node examples/node/publish.mjs JOB.json [--timeout SECONDS] [--no-wait]
//
// The same steps as examples/publish.py (README "Publishing from other
// languages"): validate the job against schemas/job.schema.json (ajv, JSON
// Schema 2020-12); bind an exclusive, auto-delete queue to the topic exchange
// `sqlsynth.results` with routing key = job_id *before* publishing; publish
// the job's bytes to the jobs queue, persistent and mandatory, on a confirm
// channel; print the result (the job's manifest) when it arrives.
//
// Environment: AMQP_URL (default amqp://guest:guest@127.0.0.1:5672/%2f),
// SQLSYNTH_JOBS_QUEUE (default sqlsynth.jobs), SQLSYNTH_RESULTS_EXCHANGE
// (default sqlsynth.results). Exit status as `sqlsynth publish --wait`: 0
// every question answered, 1 some were not (or no result before the timeout),
// 2 the job is invalid or was not stored.
//
// Needs: cd examples/node && npm ci

import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

import Ajv2020 from "ajv/dist/2020.js";
import amqp from "amqplib";

const schemas = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "schemas");
// The manifest schema spells its timestamps out with a pattern too, so ajv-formats is not needed.
const ajv = new Ajv2020({ allErrors: true, strict: false, validateFormats: false });
const validateJob = ajv.compile(JSON.parse(readFileSync(join(schemas, "job.schema.json"), "utf8")));
const validateManifest = ajv.compile(JSON.parse(readFileSync(join(schemas, "manifest.schema.json"), "utf8")));

const problems = (validate) => validate.errors.map((e) => `at ${e.instancePath || "/"}: ${e.message}`);

function parseArgs(argv) {
  const args = { job: null, timeout: 600, wait: true };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--timeout") args.timeout = Number(argv[++i]);
    else if (argv[i] === "--no-wait") args.wait = false;
    else args.job = argv[i];
  }
  if (!args.job || !(args.timeout > 0)) {
    console.error("usage: node publish.mjs JOB.json [--timeout SECONDS] [--no-wait]");
    process.exit(2);
  }
  return args;
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const body = readFileSync(args.job);
  let job;
  try {
    job = JSON.parse(body.toString("utf8"));
  } catch (e) {
    console.error(`${args.job}: not JSON: ${e.message}`);
    return 2;
  }
  if (!validateJob(job)) {
    console.error(`${args.job} is not a valid job:\n  ${problems(validateJob).join("\n  ")}`);
    return 2;
  }
  const jobId = job.job_id;
  const url = process.env.AMQP_URL || "amqp://guest:guest@127.0.0.1:5672/%2f";
  const jobsQueue = process.env.SQLSYNTH_JOBS_QUEUE || "sqlsynth.jobs";
  const resultsExchange = process.env.SQLSYNTH_RESULTS_EXCHANGE || "sqlsynth.results";

  const connection = await amqp.connect(url);
  try {
    const channel = await connection.createConfirmChannel();
    let result = null;
    if (args.wait) {
      // Subscribe first: a result published before the bind would be lost.
      await channel.assertExchange(resultsExchange, "topic", { durable: true });
      const { queue } = await channel.assertQueue("", { exclusive: true, autoDelete: true });
      await channel.bindQueue(queue, resultsExchange, jobId);
      result = new Promise((resolve) => {
        channel.consume(
          queue,
          (message) => {
            const manifest = JSON.parse(message.content.toString("utf8"));
            if (manifest.job_id === jobId) {
              resolve({ manifest, reused: message.properties.headers?.["x-sqlsynth-reused"] === true });
            }
          },
          { noAck: true, exclusive: true },
        );
      });
    }
    // The broker sends basic.return before the confirm of the same message.
    let returned = false;
    channel.on("return", () => {
      returned = true;
    });
    const options = { persistent: true, mandatory: true, contentType: "application/json", messageId: jobId };
    try {
      await new Promise((resolve, reject) =>
        channel.publish("", jobsQueue, body, options, (err) => (err ? reject(err) : resolve())),
      );
    } catch {
      console.error(`job ${jobId} was not stored: the broker refused it`);
      return 2;
    }
    if (returned) {
      console.error(`job ${jobId} was not stored: no queue named ${jobsQueue} (has a worker started?)`);
      return 2;
    }
    console.error(`published job ${jobId} (${job.questions.length} questions) to ${jobsQueue}`);
    if (!args.wait) return 0;

    let timer;
    const timeout = new Promise((resolve) => {
      timer = setTimeout(() => resolve(null), args.timeout * 1000);
    });
    const received = await Promise.race([result, timeout]);
    clearTimeout(timer);
    if (!received) {
      console.error(`no result for job ${jobId} within ${args.timeout} s`);
      return 1;
    }
    const { manifest, reused } = received;
    if (!validateManifest(manifest)) {
      console.error(
        `warning: the result does not match schemas/manifest.schema.json:\n  ${problems(validateManifest).join("\n  ")}`,
      );
    }
    console.log(JSON.stringify(manifest, null, 2));
    const { ok, failed, unanswered } = manifest.stats;
    console.error(`job ${jobId}: ${ok} ok, ${failed} failed, ${unanswered} unanswered${reused ? " (it had already run)" : ""}`);
    return failed === 0 && unanswered === 0 ? 0 : 1;
  } finally {
    await connection.close();
  }
}

process.exitCode = await main();
