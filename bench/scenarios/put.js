// Scenario 3 (Scripe, Heify): one file in a single presigned PUT, over HTTP and HTTPS.
'use strict';
const { runNode, runCurl } = require('../lib/spawn');
const { runRounds } = require('../lib/rounds');
const R = require('../lib/report');
const { sinkCheck } = require('./parts');

function contenders(ctx, proto) {
  const { sink, single } = ctx;
  const url = (who) => `${sink[proto]}/bench/${who}/take.wav?X-Amz-Expires=300`;
  const caFile = proto === 'https' ? sink.caFile : undefined;
  const task = (who, extra) => ({ kind: 'put', url: url(who), file: single.file, caFile, ...extra });
  const fetchEnv = caFile ? { NODE_EXTRA_CA_CERTS: caFile } : {};
  const curlArgs = ['-sS', '--fail', '-o', '/dev/null', '-H', 'Content-Type: audio/wav', '-T', single.file, url('curl'), ...(caFile ? ['--cacert', caFile] : [])];
  return [
    { name: 'uplift', requests: 1, md5: single.md5, bytes: single.size, run: () => runNode('uplift.js', task('uplift')) },
    { name: 'curl -T', requests: 1, run: () => runCurl(curlArgs) },
    {
      name: 'curl -T + md5sum',
      requests: 1,
      md5: single.md5,
      run: async () => {
        const r = await runCurl([], { shell: `md5sum '${single.file}' & curl ${curlArgs.map((a) => `'${a}'`).join(' ')}; c=$?; wait $! || exit 9; exit $c` });
        return { ...r, md5: r.stdout.trim().split(/\s+/)[0] };
      },
    },
    { name: "fetch (redirect 'error')", requests: 1, bytes: single.size, run: () => runNode('fetch.js', task('fetch-e', { redirect: 'error' }), { env: fetchEnv }) },
    { name: 'fetch (default follow)', requests: 1, bytes: single.size, run: () => runNode('fetch.js', task('fetch-f', { redirect: 'follow' }), { env: fetchEnv }) },
  ];
}

async function run(ctx) {
  const sections = [];
  for (const proto of ['http', 'https']) {
    const results = await runRounds(ctx.sink, contenders(ctx, proto), ctx.runs, `put ${proto}`);
    const d = R.derive(results, { bytes: ctx.single.size });
    sections.push(`#### ${proto.toUpperCase()}\n\n${R.figuresTable(d)}\n\n${R.ratiosTable(d, 'uplift')}\n\n${sinkCheck(d, 'curl -T', ['curl -T + md5sum'])}`);
  }
  return {
    title: `Scenario 3: one ${ctx.single.size / R.MiB} MiB presigned PUT (Scripe, Heify)`,
    body: sections.join('\n\n'),
    targets: [],
  };
}

module.exports = { run };
