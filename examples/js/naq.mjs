// Enqueue naq jobs and read their results from Node.js, with nothing but the official NATS
// clients. Follows docs/wire-format.md (version 1) exactly as the C++ naq::Queue does:
//   1. store a "queued" status record in the KV bucket <prefix>_job_status (key = job id),
//   2. publish the envelope to <prefix>.queue.<queue> with header Nats-Msg-Id = job id and wait
//      for the JetStream ack (the job is durable then; a repeat within the dedup window is a
//      no-op),
//   3. (optional, for `naq events`) publish an "enqueued" event to <prefix>.events.<queue>.enqueued.<id>.
// The result is read by watching the job's record in <prefix>_job_status (no polling): one
// record per job, final once its state is succeeded, dead, cancelled or dependency_failed.
//
// naq's streams and buckets must exist: any naq worker creates them when it starts (so does
// `naq queues`). This module never creates them, so it cannot disagree with naq's settings.
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import { randomBytes } from "node:crypto";

export const WIRE_VERSION = 1;
const TOKEN = /^[A-Za-z0-9_-]{1,64}$/;
const JOB_ID = /^[A-Za-z0-9_-]{1,128}$/;

/** A UUIDv7 (time-sortable), the kind of id naq generates. */
export function newJobId() {
  const b = randomBytes(16);
  const ms = BigInt(Date.now());
  for (let i = 0; i < 6; i++) b[i] = Number((ms >> BigInt(8 * (5 - i))) & 0xffn);
  b[6] = (b[6] & 0x0f) | 0x70; // version 7
  b[8] = (b[8] & 0x3f) | 0x80; // variant 10
  const h = b.toString("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

const FINAL_STATES = new Set(["succeeded", "dead", "cancelled", "dependency_failed"]);

/** A finished job's record as a result: what `naq --json result` prints. */
export function resultView(record) {
  const ok = record.state === "succeeded";
  const view = { v: WIRE_VERSION, id: record.id, status: ok ? "succeeded" : "failed", attempt: record.attempt,
                 started_at: record.started_at ?? 0, finished_at: record.finished_at ?? 0 };
  if (ok) view.result = record.result ?? null;
  if (!ok && record.error) view.error = record.error;
  if (record.worker) view.worker = record.worker;
  return view;
}

/** NATS names of a deployment (jetstream.prefix, default "naq"). */
export function names(prefix = "naq") {
  return {
    jobsStream: `${prefix}_jobs`,
    queueSubject: (queue) => `${prefix}.queue.${queue}`,
    eventsStream: `${prefix}_events`,
    eventSubject: (queue, type, id) => `${prefix}.events.${queue}.${type}.${id.replace(/[^A-Za-z0-9_-]/g, "_")}`,
    statusBucket: `${prefix}_job_status`,
  };
}

/**
 * The job envelope, keys in the order the C++ encoder writes them. Options left out take the
 * defaults of config/naq.yaml's queue section (max_attempts 1, exponential backoff 1s..5m with
 * jitter, no timeout).
 */
export function makeJob(queue, task, args = {}, options = {}) {
  if (!TOKEN.test(queue)) throw new Error(`queue name '${queue}' must be 1-64 of A-Z a-z 0-9 _ -`);
  if (!task) throw new Error("task name must not be empty");
  const id = options.jobId ?? newJobId();
  if (!JOB_ID.test(id)) throw new Error(`job id '${id}' must be 1-128 of A-Z a-z 0-9 _ -`);
  const backoff = options.backoff ?? {};
  const opts = {
    backoff: {
      base_ms: backoff.base_ms ?? 1000,
      jitter: backoff.jitter ?? true,
      kind: backoff.kind ?? "exponential",
      max_ms: backoff.max_ms ?? 300000,
    },
  };
  if (options.dependsOn?.length) opts.depends_on = options.dependsOn;
  opts.max_attempts = options.maxAttempts ?? 1;
  if (options.resultTtlMs !== undefined) opts.result_ttl_ms = options.resultTtlMs;
  opts.timeout_ms = options.timeoutMs ?? 0;
  return { args, enqueued_at: Date.now(), id, options: opts, queue, task, v: WIRE_VERSION };
}

/** The "queued" (or "waiting", with dependencies) status record naq::Queue writes before the job. */
export function queuedStatus(job) {
  return {
    attempt: 0,
    enqueued_at: job.enqueued_at,
    id: job.id,
    max_attempts: job.options.max_attempts,
    queue: job.queue,
    state: job.options.depends_on ? "waiting" : "queued",
    task: job.task,
    updated_at: job.enqueued_at,
    v: WIRE_VERSION,
  };
}

/** A producer on one NATS connection (the caller owns and closes it). */
export class Producer {
  constructor(nc, { prefix = "naq" } = {}) {
    this.nc = nc;
    this.names = names(prefix);
    this.js = jetstream(nc);
    this.kvm = new Kvm(nc);
  }

  /** Resolves once naq's jobs stream and buckets exist (a worker has started), or throws. */
  async waitForNaq(timeoutMs = 10000) {
    const jsm = await jetstreamManager(this.nc);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        await jsm.streams.info(this.names.jobsStream);
        await (await this.kvm.open(this.names.statusBucket)).status();
        return;
      } catch (err) {
        if (Date.now() > deadline) {
          throw new Error(`naq's stream and bucket (${this.names.jobsStream}, ${this.names.statusBucket}) ` +
                          `do not exist: start a naq worker first (${err.message})`);
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  /**
   * Enqueues one job; resolves to { id, duplicate } once the server has stored it.
   * `options`: { jobId, maxAttempts, backoff: {kind, base_ms, max_ms, jitter}, timeoutMs,
   * resultTtlMs, dependsOn: [ids], events: true }.
   */
  async enqueue(queue, task, args = {}, options = {}) {
    const job = makeJob(queue, task, args, options);
    const status = await this.kvm.open(this.names.statusBucket);
    try {
      // Only when the job has no record yet: a repeated enqueue must not make a finished job look queued.
      await status.create(job.id, JSON.stringify(queuedStatus(job)));
    } catch (err) {
      if (!/wrong last sequence|key exists/i.test(String(err?.message))) throw err;
    }
    if (options.events !== false) await this.#enqueuedEvent(job);
    // msgID is sent as the Nats-Msg-Id header: the stream drops a repeat within its dedup window.
    const ack = await this.js.publish(this.names.queueSubject(queue), JSON.stringify(job), { msgID: job.id });
    return { id: job.id, duplicate: ack.duplicate };
  }

  /**
   * Waits until the job's record is final and resolves to its result view ({v, id, status:
   * "succeeded"|"failed", result | error, attempt, worker, started_at, finished_at}, as
   * `naq --json result` prints it), through a watch on its key. Rejects after `timeoutMs`.
   */
  async waitResult(id, timeoutMs = 30000) {
    const records = await this.kvm.open(this.names.statusBucket);
    const watch = await records.watch({ key: id });
    let timer;
    const timeout = new Promise((_, reject) => {
      timer = setTimeout(() => {
        watch.stop();
        reject(new Error(`no result for job ${id} within ${timeoutMs} ms`));
      }, timeoutMs);
    });
    const first = (async () => {
      for await (const entry of watch) {
        if (entry.operation !== "PUT") continue;
        const record = JSON.parse(entry.string());
        if (FINAL_STATES.has(record.state)) return resultView(record);
      }
      throw new Error(`watch on job ${id} ended`);
    })();
    try {
      return await Promise.race([first, timeout]);
    } finally {
      clearTimeout(timer);
      watch.stop();
    }
  }

  async #enqueuedEvent(job) {
    const event = { at: job.enqueued_at, job_id: job.id, queue: job.queue, task: job.task, type: "enqueued", v: WIRE_VERSION };
    try {
      await this.js.publish(this.names.eventSubject(job.queue, "enqueued", job.id), JSON.stringify(event));
    } catch {
      // No events stream (events.enabled false): events never stop jobs.
    }
  }
}
