// Child process of bench/queue.js: one uplift/queue worker serving Plaud (the sandbox's),
// `CONCURRENCY` jobs at once. Prints `ready`, then `done <n>` per completed job (`failed
// <reason>` per failure); on SIGTERM closes and prints `rss <peak RSS bytes>`, then exits.
'use strict';
const { plaud } = require('../dist/index.js');
const { createUploadWorker } = require('../dist/queue/index.js');

const env = process.env;
const worker = createUploadWorker({
  connection: { host: '127.0.0.1', port: Number(env.REDIS_PORT) },
  name: env.QUEUE,
  clients: { plaud: plaud.client({ token: env.PLAUD_TOKEN, baseUrl: env.PLAUD_URL }) },
  concurrency: Number(env.CONCURRENCY || 4),
  progressIntervalMs: 500,
});
let done = 0;
for (const w of worker.workers) {
  w.on('completed', () => process.stdout.write(`done ${++done}\n`));
  w.on('failed', (job, err) => process.stdout.write(`failed ${err.message}\n`));
}
worker.ready().then(() => process.stdout.write('ready\n'));
process.once('SIGTERM', async () => {
  await worker.close({ deadlineMs: 1000 });
  process.stdout.write(`rss ${process.resourceUsage().maxRSS * 1024}\n`, () => process.exit(0));
});
