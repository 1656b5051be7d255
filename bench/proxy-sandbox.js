// Child process of bench/proxy.js: the uplift sandbox (vendor emulators + S3 peer) on
// 127.0.0.1, in its own process so the proxy's figures are its own. IPC messages:
//   -> { type: 'ready', plaudUrl, plaudToken }
//   <- 'objects' -> { type: 'objects', list: [{ key, size, md5 }] } (Plaud US bucket)
//   <- 'clear'   -> { type: 'cleared' } after deleting every Plaud object (keeps the disk small)
//   <- 'close'   -> closes the sandbox and exits 0
'use strict';
const { startSandbox, S3Client } = require('../dist/sandbox');

async function main() {
  const sb = await startSandbox();
  const s3 = new S3Client(sb.s3);
  const bucket = sb.fixtures.buckets.plaudUs;
  const plaudObjects = () => sb.objects().filter((o) => o.bucket === bucket);
  process.on('message', async (m) => {
    try {
      if (m === 'objects') {
        process.send({ type: 'objects', list: plaudObjects().map(({ key, size, md5 }) => ({ key, size, md5 })) });
      } else if (m === 'clear') {
        for (const o of plaudObjects()) await s3.deleteObject(bucket, o.key);
        process.send({ type: 'cleared' });
      } else if (m === 'close') {
        await sb.close();
        process.exit(0);
      }
    } catch (e) {
      process.send({ type: 'error', message: String(e && e.message) });
    }
  });
  process.on('disconnect', () => sb.close().finally(() => process.exit(0)));
  process.send({ type: 'ready', plaudUrl: sb.urls.plaud, plaudToken: sb.credentials.plaud.token });
}

main().catch((e) => {
  console.error(`proxy-sandbox: ${e && e.message}`);
  process.exit(1);
});
