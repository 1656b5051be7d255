// A worker process for the queue suites: serves the vendors of a sandbox whose URLs and
// credentials come in UPLIFT_TEST_WORKER (JSON), prints one line per event
// ("ready", "active <id>", "completed <id>", "failed <id>"), closes on SIGTERM.
'use strict';
const path = require('path');
const root = path.resolve(__dirname, '../..');
const { eka, kore, plaud, scripe, heify } = require(path.join(root, 'dist/index.js'));
const { createUploadWorker } = require(path.join(root, 'dist/queue/index.js'));

const cfg = JSON.parse(process.env.UPLIFT_TEST_WORKER);
const { urls, credentials } = cfg.sandbox;
const clients = {
  eka: eka.client({ token: credentials.eka.token, baseUrl: urls.eka }),
  kore: kore.client({ apiKey: credentials.kore.apiKey, baseUrl: urls.kore }),
  plaud: plaud.client({ token: credentials.plaud.token, baseUrl: urls.plaud }),
  scripe: scripe.client({ apiKey: credentials.scripe.apiKey, baseUrl: urls.scripe }),
  heify: heify.client({ apiKey: credentials.heify.apiKey, baseUrl: urls.heify }),
};
const w = createUploadWorker({
  connection: { host: '127.0.0.1', port: cfg.redisPort },
  name: cfg.name,
  clients,
  concurrency: cfg.concurrency ?? 4,
  shutdownDeadlineMs: cfg.shutdownDeadlineMs ?? 5000,
  ...(cfg.journalKey ? { journalKey: cfg.journalKey } : {}),
  ...(cfg.lockDuration ? { lockDuration: cfg.lockDuration, stalledInterval: cfg.stalledInterval } : {}),
  onError: (e) => process.stderr.write(`worker error: ${e.message}\n`),
});
for (const bw of w.workers) {
  bw.on('active', (job) => process.stdout.write(`active ${job.id}\n`));
  bw.on('completed', (job) => process.stdout.write(`completed ${job.id}\n`));
  bw.on('failed', (job, err) => process.stdout.write(`failed ${job && job.id} ${err.message}\n`));
}
w.ready().then(() => process.stdout.write(`ready ${process.pid}\n`), (e) => {
  process.stderr.write(`not ready: ${e.message}\n`);
  process.exit(1);
});
process.on('SIGTERM', () => {
  w.close().then(() => process.exit(0), () => process.exit(1));
});
