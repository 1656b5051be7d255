// Contender "lib-storage": @aws-sdk/lib-storage `Upload` (queueSize and partSize from the
// task) on an S3Client pointed at the sink (path style, dummy credentials, SDK defaults
// otherwise, e.g. its default part checksums). The sink's CA reaches the SDK through a custom
// https.Agent. The file is streamed through a node:crypto MD5 on the main thread, so it does
// the same work as the others (the whole-file MD5 of Plaud's flow).
'use strict';
const crypto = require('crypto');
const fs = require('fs');
const http = require('http');
const https = require('https');
const { Transform } = require('stream');
const { startMeasure, task, report } = require('./measure');

async function main() {
  const t = task();
  if (t.kind !== 'parts') throw new Error(`lib-storage runs S3 multipart only, not ${t.kind}`);
  const { S3Client } = require('@aws-sdk/client-s3');
  const { Upload } = require('@aws-sdk/lib-storage');
  const { NodeHttpHandler } = require('@smithy/node-http-handler');
  const agentOptions = { keepAlive: true, maxSockets: 50 };
  const client = new S3Client({
    region: 'us-east-1',
    endpoint: t.s3.endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: 'AKIDBENCHMARK', secretAccessKey: 'bench-only-not-a-secret' },
    requestHandler: new NodeHttpHandler({
      httpAgent: new http.Agent(agentOptions),
      httpsAgent: new https.Agent({ ...agentOptions, ca: t.caFile ? fs.readFileSync(t.caFile) : undefined }),
    }),
  });
  try {
    const stop = startMeasure();
    const md5 = crypto.createHash('md5');
    let bytes = 0;
    const hashing = new Transform({
      transform(chunk, _enc, cb) {
        md5.update(chunk);
        bytes += chunk.length;
        cb(null, chunk);
      },
    });
    const body = fs.createReadStream(t.file).pipe(hashing);
    const upload = new Upload({
      client,
      params: { Bucket: t.s3.bucket, Key: t.s3.key, Body: body, ContentType: 'audio/wav' },
      queueSize: t.concurrency,
      partSize: t.partSize,
    });
    const out = await upload.done();
    if (!out.ETag) throw new Error('no ETag from CompleteMultipartUpload');
    return stop({ md5: md5.digest('hex'), bytes });
  } finally {
    client.destroy();
  }
}

report(main());
