// Scenario 2 (Eka's flow): many small files, each an S3-style presigned POST form, 8 in flight,
// over HTTP and HTTPS. Figures: files/s, client CPU, connections the sink saw.
'use strict';
const path = require('path');
const { runNode, runCurl } = require('../lib/spawn');
const { runRounds } = require('../lib/rounds');
const { formsConfig } = require('../lib/curl-config');
const R = require('../lib/report');
const { sinkCheck } = require('./parts');

// Dummy policy fields in the order S3 forms carry them; the sink does not check them.
const FIELDS = {
  'Content-Type': 'audio/wav',
  'x-amz-algorithm': 'AWS4-HMAC-SHA256',
  'x-amz-credential': 'AKIDBENCHMARK/20250101/ap-south-1/s3/aws4_request',
  'x-amz-date': '20250101T000000Z',
  policy: Buffer.from(JSON.stringify({ expiration: '2099-01-01T00:00:00Z', conditions: [{ bucket: 'bench' }] })).toString('base64'),
  'x-amz-signature': '0'.repeat(64),
};

function contenders(ctx, proto) {
  const { sink, forms } = ctx;
  const url = `${sink[proto]}/bench/`;
  const caFile = proto === 'https' ? sink.caFile : undefined;
  const n = forms.files.length;
  const task = (prefix, extra) => ({ kind: 'forms', url, fileList: forms.listFile, keyPrefix: `eka/${prefix}/`, fields: FIELDS, concurrency: 8, caFile, ...extra });
  const fetchEnv = caFile ? { NODE_EXTRA_CA_CERTS: caFile } : {};
  const curlCfg = path.join(ctx.dir, `curl-forms-${proto}.cfg`);
  formsConfig(curlCfg, forms.files, url, 'eka/curl/', FIELDS, caFile);
  return [
    { name: 'uplift', requests: n, bytes: forms.bytes, run: () => runNode('uplift.js', task('uplift')) },
    {
      name: 'uplift, Engine { threads: 1 }',
      requests: n,
      bytes: forms.bytes,
      run: () => runNode('uplift.js', task('uplift1', { engineOptions: { threads: 1 } })),
    },
    { name: 'curl --parallel -F', requests: n, run: () => runCurl(['--parallel', '--parallel-max', '8', '-K', curlCfg]) },
    { name: "fetch (redirect 'error')", requests: n, bytes: forms.bytes, run: () => runNode('fetch.js', task('fetch-e', { redirect: 'error' }), { env: fetchEnv }) },
    { name: 'fetch (default follow)', requests: n, bytes: forms.bytes, run: () => runNode('fetch.js', task('fetch-f', { redirect: 'follow' }), { env: fetchEnv }) },
  ];
}

async function run(ctx) {
  const sections = [];
  const targets = [];
  const n = ctx.forms.files.length;
  for (const proto of ['http', 'https']) {
    const results = await runRounds(ctx.sink, contenders(ctx, proto), ctx.runs, `forms ${proto}`);
    const d = R.derive(results, { bytes: ctx.forms.bytes, items: n });
    sections.push(`#### ${proto.toUpperCase()}\n\n${R.figuresTable(d, { items: n })}\n\n${R.ratiosTable(d, 'uplift', { items: n })}\n\n` +
      sinkCheck(d, 'curl --parallel -F', ['uplift, Engine { threads: 1 }'], { key: 'itemsps', unit: 'files/s' }));
    const fetchBest = R.pairRatio(d.uplift.itemsps, d["fetch (redirect 'error')"].itemsps);
    const conns = R.summary(d.uplift.conns);
    targets.push(R.target(`S2 ${proto.toUpperCase()} files/s ≥ 2× fetch loop (redirect 'error'), connections ≤ 8`,
      fetchBest.med >= 2 && conns.max <= 8,
      `${R.fmtSummary(fetchBest)}×, ${R.fmtSummary(conns, 0)} connections (fetch: ${R.fmtSummary(R.summary(d["fetch (redirect 'error')"].conns), 0)})`));
  }
  return { title: `Scenario 2: ${n} files of ${ctx.forms.fileBytes / 1024} KiB as presigned POST forms, 8 in flight (Eka)`, body: sections.join('\n\n'), targets };
}

module.exports = { run };
