#!/usr/bin/env node
// Example: an upload worker. It holds the vendor credentials (from the environment, never
// from Redis) and runs the upload jobs that producers add with uplift/queue.
//
//   REDIS_URL=redis://127.0.0.1:6379 UPLIFT_PLAUD_TOKEN=... node examples/queue/worker.js
//
// Env: REDIS_URL (default redis://127.0.0.1:6379), QUEUE (default uplift), CONCURRENCY
// (default 4), UPLIFT_JOURNAL_KEY (seals resume journals; the same on every worker), and the
// credentials of the vendors to serve: UPLIFT_PLAUD_TOKEN (+ UPLIFT_PLAUD_URL),
// UPLIFT_SCRIPE_API_KEY (+ UPLIFT_SCRIPE_URL), UPLIFT_KORE_API_KEY + UPLIFT_KORE_URL,
// UPLIFT_HEIFY_API_KEY (+ UPLIFT_HEIFY_URL), UPLIFT_EKA_TOKEN (+ UPLIFT_EKA_URL).
// SIGTERM / Ctrl-C: stop taking jobs, let running uploads finish for 30 s, then stop them
// (they go back to the queue with their journal and resume on another worker).
'use strict';
const { Redis } = require('ioredis');
const { eka, heify, kore, plaud, scripe } = require('uplift');
const { createUploadWorker } = require('uplift/queue');

const env = process.env;
const url = (name) => (env[name] ? { baseUrl: env[name] } : {});
const clients = {};
if (env.UPLIFT_PLAUD_TOKEN) clients.plaud = plaud.client({ token: env.UPLIFT_PLAUD_TOKEN, ...url('UPLIFT_PLAUD_URL') });
if (env.UPLIFT_SCRIPE_API_KEY) clients.scripe = scripe.client({ apiKey: env.UPLIFT_SCRIPE_API_KEY, ...url('UPLIFT_SCRIPE_URL') });
if (env.UPLIFT_KORE_API_KEY) clients.kore = kore.client({ apiKey: env.UPLIFT_KORE_API_KEY, baseUrl: env.UPLIFT_KORE_URL });
if (env.UPLIFT_HEIFY_API_KEY) clients.heify = heify.client({ apiKey: env.UPLIFT_HEIFY_API_KEY, ...url('UPLIFT_HEIFY_URL') });
if (env.UPLIFT_EKA_TOKEN) clients.eka = eka.client({ token: env.UPLIFT_EKA_TOKEN, ...url('UPLIFT_EKA_URL') });

const connection = new Redis(env.REDIS_URL || 'redis://127.0.0.1:6379', { maxRetriesPerRequest: null });
const worker = createUploadWorker({
  connection,
  name: env.QUEUE || 'uplift',
  clients,
  concurrency: Number(env.CONCURRENCY || 4),
  limiter: { plaud: { max: 20, duration: 1000 } }, // at most 20 Plaud uploads started per second, all workers together
  shutdownDeadlineMs: 30000,
  ...(env.UPLIFT_JOURNAL_KEY ? { journalKey: env.UPLIFT_JOURNAL_KEY } : {}),
  onError: (e) => console.error(`worker ${process.pid}: ${e.message}`),
});
for (const w of worker.workers) {
  w.on('completed', (job) => console.log(`worker ${process.pid}: completed ${job.id} (${job.data.vendor})`));
  w.on('failed', (job, err) => console.log(`worker ${process.pid}: failed ${job && job.id}: ${err.message}`));
}
worker.ready().then(() => console.log(`worker ${process.pid}: ready for ${Object.keys(clients).join(', ')}`));

const stop = () => {
  worker.close().then(() => connection.quit()).then(() => process.exit(0));
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
