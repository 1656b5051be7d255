// Cold start: wall-clock times (epoch ms, sub-ms precision) of the script's first line, of the
// client library loaded and of the first upload done (one small PUT over HTTPS). The harness
// subtracts the time it spawned this process, so the figures count from exec, not from
// performance.timeOrigin (taken after part of Node's start-up).
// argv[2] is the task: { client: 'node'|'uplift'|'fetch'|'aws-sdk', url, file, caFile, s3 }.
'use strict';
const now = () => performance.timeOrigin + performance.now();
const atStart = now();
const t = JSON.parse(process.argv[2]);

async function main() {
  const out = { scriptAt: atStart };
  if (t.client === 'node') return out;
  if (t.client === 'uplift') {
    const uplift = require('uplift');
    out.requireAt = now();
    const engine = new uplift.Engine({ caFile: t.caFile });
    await uplift.putPresigned(t.url, t.file, { engine });
    out.firstUploadAt = now();
    await engine.close();
    return out;
  }
  if (t.client === 'fetch') {
    const fs = require('fs');
    out.requireAt = now();
    const res = await fetch(t.url, { method: 'PUT', body: fs.readFileSync(t.file), redirect: 'error' });
    await res.arrayBuffer();
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    out.firstUploadAt = now();
    return out;
  }
  if (t.client === 'aws-sdk') {
    const { S3Client, PutObjectCommand } = require('@aws-sdk/client-s3');
    require('@aws-sdk/lib-storage');
    const { NodeHttpHandler } = require('@smithy/node-http-handler');
    const fs = require('fs');
    const https = require('https');
    out.requireAt = now();
    const client = new S3Client({
      region: 'us-east-1',
      endpoint: t.s3.endpoint,
      forcePathStyle: true,
      credentials: { accessKeyId: 'AKIDBENCHMARK', secretAccessKey: 'bench-only-not-a-secret' },
      requestHandler: new NodeHttpHandler({ httpsAgent: new https.Agent({ keepAlive: true, ca: fs.readFileSync(t.caFile) }) }),
    });
    await client.send(new PutObjectCommand({ Bucket: t.s3.bucket, Key: t.s3.key, Body: fs.readFileSync(t.file) }));
    out.firstUploadAt = now();
    client.destroy();
    return out;
  }
  throw new Error(`unknown client ${t.client}`);
}

main().then(
  (r) => { process.stdout.write(`${JSON.stringify(r)}\n`); process.exit(0); },
  (e) => { process.stderr.write(`${e && e.stack ? e.stack : e}\n`); process.exit(1); },
);
