#!/usr/bin/env node
// Enqueue a naq job from Node.js and (with --wait) print its result, like `naq enqueue --wait`.
//   node enqueue.mjs --url nats://127.0.0.1:4222 --queue emails --task echo --args '{"to":"a@b.c"}' --wait 30
// Exit codes as the naq CLI: 0 ok, 1 the job failed, 2 usage, 4 timed out, 5 cannot reach NATS.
import { connect } from "@nats-io/transport-node";
import { parseArgs } from "node:util";
import { Producer } from "./naq.mjs";

const usage = `usage: enqueue.mjs [--url URL] [--prefix P] [--queue Q] --task T [--args JSON]
                  [--max-attempts N] [--timeout-ms MS] [--job-id ID] [--wait SECONDS]`;
let opts;
try {
  ({ values: opts } = parseArgs({
    options: {
      url: { type: "string", default: process.env.NAQ_NATS_URL ?? "nats://127.0.0.1:4222" },
      prefix: { type: "string", default: process.env.NAQ_JETSTREAM_PREFIX ?? "naq" },
      queue: { type: "string", default: process.env.NAQ_DEFAULT_QUEUE ?? "naq_default_queue" },
      task: { type: "string" },
      args: { type: "string", default: "{}" },
      "max-attempts": { type: "string" },
      "timeout-ms": { type: "string" },
      "job-id": { type: "string" },
      wait: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  }));
  if (opts.help) {
    console.log(usage);
    process.exit(0);
  }
  if (!opts.task) throw new Error("--task is required");
  opts.args = JSON.parse(opts.args);
} catch (err) {
  console.error(`enqueue.mjs: ${err.message}\n${usage}`);
  process.exit(2);
}

let nc;
try {
  nc = await connect({ servers: opts.url, name: "naq-js-producer" });
} catch (err) {
  console.error(`enqueue.mjs: cannot reach NATS at ${opts.url}: ${err.message}`);
  process.exit(5);
}
let code = 0;
try {
  const producer = new Producer(nc, { prefix: opts.prefix });
  await producer.waitForNaq();
  const { id, duplicate } = await producer.enqueue(opts.queue, opts.task, opts.args, {
    jobId: opts["job-id"],
    maxAttempts: opts["max-attempts"] === undefined ? undefined : Number(opts["max-attempts"]),
    timeoutMs: opts["timeout-ms"] === undefined ? undefined : Number(opts["timeout-ms"]),
  });
  if (opts.wait === undefined) {
    console.log(id + (duplicate ? " (duplicate)" : ""));
  } else {
    const record = await producer.waitResult(id, Number(opts.wait) * 1000);
    console.log(JSON.stringify(record));
    code = record.status === "succeeded" ? 0 : 1;
  }
} catch (err) {
  console.error(`enqueue.mjs: ${err.message}`);
  code = /within \d+ ms/.test(err.message) ? 4 : 1;
} finally {
  await nc.close();
}
process.exit(code);
