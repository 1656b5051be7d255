// Contender "uplift": the public API (uploadPresignedParts, postPresignedForm, putPresigned)
// on one Engine that trusts the sink's CA through `caFile`. Run by bench/run.js in its own process.
'use strict';
const fs = require('fs');
const path = require('path');
const { startMeasure, task, report } = require('./measure');

async function main() {
  const t = task();
  const uplift = require('uplift');
  // t.engineOptions: a variant row's Engine options (the main row uses the defaults).
  const engine = new uplift.Engine({ ...(t.caFile ? { caFile: t.caFile } : {}), ...t.engineOptions });
  try {
    if (t.kind === 'parts') {
      const n = Math.ceil(t.size / t.partSize);
      const parts = Array.from({ length: n }, (_, i) => ({ partNumber: i + 1, url: t.partUrl.replace('{n}', String(i + 1)) }));
      const stop = startMeasure();
      const r = await uplift.uploadPresignedParts(parts, t.file, { engine, partSizeBytes: t.partSize, concurrency: t.concurrency });
      if (r.parts.length !== n || r.parts.some((p) => !p.etag)) throw new Error('missing ETags');
      return stop({ md5: r.md5, bytes: r.bytes });
    }
    if (t.kind === 'forms') {
      const files = JSON.parse(fs.readFileSync(t.fileList, 'utf8'));
      const stop = startMeasure();
      let next = 0;
      let bytes = 0;
      const worker = async () => {
        while (next < files.length) {
          const f = files[next++];
          const fields = { key: `${t.keyPrefix}${path.basename(f)}`, ...t.fields };
          const r = await uplift.postPresignedForm(t.url, fields, f, { engine });
          if (r.status !== 204) throw new Error(`status ${r.status}`);
          bytes += r.bytes;
        }
      };
      await Promise.all(Array.from({ length: t.concurrency }, worker));
      return stop({ files: files.length, bytes });
    }
    if (t.kind === 'put') {
      const stop = startMeasure();
      const r = await uplift.putPresigned(t.url, t.file, { engine, contentType: 'audio/wav' });
      return stop({ md5: r.md5, bytes: r.bytes, status: r.status });
    }
    throw new Error(`unknown task kind ${t.kind}`);
  } finally {
    await engine.close();
  }
}

report(main());
