// Cold start: ms from process start (performance.now(), whose origin is the process start) to
// the script's first line, to the client library loaded, and to the first upload done (one
// small PUT over HTTPS). argv[2] is the task: { client: 'node'|'uplift'|'fetch'|'aws-sdk', url, file, caFile, s3 }.
'use strict';
const atStart = performance.now();
const t = JSON.parse(process.argv[2]);

async function main() {
  const out = { scriptMs: atStart };
  if (t.client === 'node') return out;
  if (t.client === 'uplift') {
    const uplift = require('uplift');
    out.requireMs = performance.now();
    const engine = new uplift.Engine({ caFile: t.caFile });
    await uplift.putPresigned(t.url, t.file, { engine });
    out.firstUploadMs = performance.now();
    await engine.close();
    return out;
  }
  if (t.client === 'fetch') {
    const fs = require('fs');
    out.requireMs = performance.now();
    const res = await fetch(t.url, { method: 'PUT', body: fs.readFileSync(t.file), redirect: 'error' });
    await res.arrayBuffer();
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    out.firstUploadMs = performance.now();
    return out;
  }
  if (t.client === 'aws-sdk') {
    const { S3Client, PutObjectCommand } = require('@aws-sdk/client-s3');
    require('@aws-sdk/lib-storage');
    const { NodeHttpHandler } = require('@smithy/node-http-handler');
    const fs = require('fs');
    const https = require('https');
    out.requireMs = performance.now();
    const client = new S3Client({
      region: 'us-east-1',
      endpoint: t.s3.endpoint,
      forcePathStyle: true,
      credentials: { accessKeyId: 'AKIDBENCHMARK', secretAccessKey: 'bench-only-not-a-secret' },
      requestHandler: new NodeHttpHandler({ httpsAgent: new https.Agent({ keepAlive: true, ca: fs.readFileSync(t.caFile) }) }),
    });
    await client.send(new PutObjectCommand({ Bucket: t.s3.bucket, Key: t.s3.key, Body: fs.readFileSync(t.file) }));
    out.firstUploadMs = performance.now();
    client.destroy();
    return out;
  }
  throw new Error(`unknown client ${t.client}`);
}

main().then(
  (r) => { process.stdout.write(`${JSON.stringify(r)}\n`); process.exit(0); },
  (e) => { process.stderr.write(`${e && e.stack ? e.stack : e}\n`); process.exit(1); },
);
