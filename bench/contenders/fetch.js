// Contender "fetch": what a Node developer writes from the vendors' docs with the built-in
// fetch. Parts: read in order, whole-file MD5 with node:crypto on the main thread, a pool of
// `concurrency` PUTs in flight. Forms: FormData with a Blob per file. Single PUT: a file
// stream with its Content-Length (presigned S3 PUTs refuse chunked bodies). `redirect` is
// 'error' (undici's best case) or 'follow' (the default, which keeps a copy of the body).
// The sink's CA comes from NODE_EXTRA_CA_CERTS, set by the harness.
'use strict';
const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const { startMeasure, task, report } = require('./measure');

async function putParts(t) {
  const n = Math.ceil(t.size / t.partSize);
  const fh = await fs.promises.open(t.file, 'r');
  const md5 = crypto.createHash('md5');
  const etags = new Array(n);
  const inFlight = new Set();
  let failed;
  try {
    for (let i = 0; i < n && !failed; i++) {
      const len = Math.min(t.partSize, t.size - i * t.partSize);
      const buf = Buffer.allocUnsafe(len);
      const { bytesRead } = await fh.read(buf, 0, len, i * t.partSize);
      if (bytesRead !== len) throw new Error(`short read on part ${i + 1}`);
      md5.update(buf);
      const url = t.partUrl.replace('{n}', String(i + 1));
      const p = fetch(url, { method: 'PUT', body: buf, redirect: t.redirect })
        .then(async (res) => {
          await res.arrayBuffer();
          if (!res.ok) throw new Error(`part ${i + 1}: HTTP ${res.status}`);
          etags[i] = res.headers.get('etag');
        })
        .catch((e) => { failed = failed || e; })
        .finally(() => inFlight.delete(p));
      inFlight.add(p);
      if (inFlight.size >= t.concurrency) await Promise.race(inFlight);
    }
    await Promise.all(inFlight);
  } finally {
    await fh.close();
  }
  if (failed) throw failed;
  if (etags.some((e) => !e)) throw new Error('missing ETags');
  return { md5: md5.digest('hex'), bytes: t.size };
}

async function postForms(t) {
  const files = JSON.parse(fs.readFileSync(t.fileList, 'utf8'));
  let next = 0;
  let bytes = 0;
  const worker = async () => {
    while (next < files.length) {
      const f = files[next++];
      const data = await fs.promises.readFile(f);
      const form = new FormData();
      form.append('key', `${t.keyPrefix}${path.basename(f)}`);
      for (const [k, v] of Object.entries(t.fields)) form.append(k, v);
      form.append('file', new Blob([data], { type: 'audio/wav' }), path.basename(f));
      const res = await fetch(t.url, { method: 'POST', body: form, redirect: t.redirect });
      await res.arrayBuffer();
      if (res.status !== 204) throw new Error(`${path.basename(f)}: HTTP ${res.status}`);
      bytes += data.length;
    }
  };
  await Promise.all(Array.from({ length: t.concurrency }, worker));
  return { files: files.length, bytes };
}

async function putOne(t) {
  const size = (await fs.promises.stat(t.file)).size;
  const res = await fetch(t.url, {
    method: 'PUT',
    body: fs.createReadStream(t.file),
    duplex: 'half',
    headers: { 'content-type': 'audio/wav', 'content-length': String(size) },
    redirect: t.redirect,
  });
  await res.arrayBuffer();
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
  return { bytes: size, status: res.status };
}

async function main() {
  const t = task();
  const run = { parts: putParts, forms: postForms, put: putOne }[t.kind];
  if (!run) throw new Error(`unknown task kind ${t.kind}`);
  const stop = startMeasure();
  const r = await run(t);
  return stop(r);
}

report(main());
