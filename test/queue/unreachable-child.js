// A process that uses uplift/queue against a Redis that is not there (UPLIFT_TEST_REDIS_PORT,
// nothing listening) and must then exit by itself: prints one line per step.
'use strict';
const path = require('path');
const root = path.resolve(__dirname, '../..');
const { plaud } = require(path.join(root, 'dist/index.js'));
const { createUploadQueue, createUploadWorker } = require(path.join(root, 'dist/queue/index.js'));

const connection = { host: '127.0.0.1', port: Number(process.env.UPLIFT_TEST_REDIS_PORT) };
const mode = process.argv[2];
const line = (s) => process.stdout.write(`${s}\n`);

(async () => {
  if (mode === 'queue') {
    const q = createUploadQueue({ connection, name: 'gone', redisTimeoutMs: 500 });
    await q.add({ vendor: 'plaud', source: __filename }).then(() => line('added'), (e) => line(`add ${e.code}`));
    await q.close();
  } else {
    const w = createUploadWorker({ connection, name: 'gone', clients: { plaud: plaud.client({ token: 'tok-unreachable' }) }, shutdownDeadlineMs: 200 });
    if (mode === 'ready-timeout') {
      await w.ready({ timeoutMs: 500 }).then(() => line('ready'), (e) => line(`ready ${e.code}`));
      await w.close();
    } else {
      // close() while ready() still waits: ready settles at once
      const pending = w.ready({ timeoutMs: 60000 }).then(() => 'ready', (e) => e.code);
      await new Promise((r) => setTimeout(r, 300));
      await w.close();
      line(`ready ${await pending}`);
    }
  }
  line('closed');
})();
