// BullMQ through the same workload as bench_naq: enqueue N no-op jobs in bulk (addBulk), then
// drain them with one worker (this process) at a fixed concurrency. Prints one JSON object.
//
//   node bullmq_bench.mjs --port 6379 --n 100000 --concurrency 30 [--json out.json]
//
// BullMQ's defaults are kept: completed jobs stay in Redis with their return value, which is
// what naq's "results on" does (result + status records in KV).
import { Queue, Worker } from 'bullmq';
import { readFileSync, writeFileSync } from 'node:fs';

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

const port = Number(arg('port', '6379'));
const n = Number(arg('n', '100000'));
const concurrency = Number(arg('concurrency', '30'));
const chunk = Number(arg('chunk', '1000'));
const jsonPath = arg('json', '');
const connection = { host: '127.0.0.1', port, maxRetriesPerRequest: null };
const name = 'naq-bench';

const seconds = (start) => Number(process.hrtime.bigint() - start) / 1e9;

async function main() {
  const queue = new Queue(name, { connection });
  await queue.obliterate({ force: true });

  // Enqueue: addBulk in chunks (one Redis pipeline each), all N before any worker runs.
  const t0 = process.hrtime.bigint();
  for (let done = 0; done < n; done += chunk) {
    const size = Math.min(chunk, n - done);
    await queue.addBulk(Array.from({ length: size }, () => ({ name: 'noop', data: {} })));
  }
  const enqueueSecs = seconds(t0);

  // Drain: one worker, `concurrency` jobs at once; done when N jobs completed.
  let completed = 0;
  let resolveDone;
  const done = new Promise((resolve) => { resolveDone = resolve; });
  const t1 = process.hrtime.bigint();
  const worker = new Worker(name, async () => null, { connection, concurrency, autorun: false });
  worker.on('completed', () => {
    completed += 1;
    if (completed === n) resolveDone();
  });
  worker.on('failed', (job, err) => { console.error(`job ${job?.id} failed: ${err}`); });
  worker.run();
  await done;
  const drainSecs = seconds(t1);
  await worker.close();
  const redisInfo = await (await queue.client).info('server');
  await queue.obliterate({ force: true });
  await queue.close();

  const pkg = JSON.parse(readFileSync(new URL('./node_modules/bullmq/package.json', import.meta.url)));
  const result = {
    peer: 'bullmq',
    bullmq_version: pkg.version,
    redis_version: (redisInfo.match(/redis_version:(\S+)/) || [])[1] || 'unknown',
    node_version: process.version,
    n,
    concurrency,
    enqueue_rate: n / enqueueSecs,
    process_rate: n / drainSecs,
  };
  const text = JSON.stringify(result, null, 2);
  if (jsonPath) writeFileSync(jsonPath, text + '\n');
  console.log(text);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
