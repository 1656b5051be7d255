// Scenario 4: cold start. ms from spawning the process to the script's first line, to the
// client library loaded, and to the first upload (1 MiB PUT over HTTPS) done; curl's figure is
// its whole process, spawn to exit.
'use strict';
const { runNode, runCurl } = require('../lib/spawn');
const { runRounds } = require('../lib/rounds');
const R = require('../lib/report');

function contenders(ctx) {
  const { sink, coldFile } = ctx;
  const url = (who) => `${sink.https}/bench/cold-${who}/first.wav`;
  const task = (client) => ({ client, url: url(client), file: coldFile.file, caFile: sink.caFile, s3: { endpoint: sink.https, bucket: 'bench', key: 'cold-aws/first.wav' } });
  const node = (client, env) => async () => {
    const r = await runNode('cold.js', task(client), { env });
    const since = (x) => (x === undefined ? undefined : x - r.spawnEpochMs);
    return { ...r, secs: r.wallSecs, scriptMs: since(r.scriptAt), requireMs: since(r.requireAt), firstUploadMs: since(r.firstUploadAt) };
  };
  return [
    { name: 'node (empty script)', requests: 0, run: node('node') },
    { name: 'uplift', requests: 1, run: node('uplift') },
    { name: 'fetch', requests: 1, run: node('fetch', { NODE_EXTRA_CA_CERTS: sink.caFile }) },
    { name: '@aws-sdk/client-s3 + lib-storage (PutObject)', requests: 1, run: node('aws-sdk') },
    {
      name: 'curl -T (whole process)',
      requests: 1,
      run: async () => {
        const r = await runCurl(['-sS', '--fail', '-o', '/dev/null', '--cacert', sink.caFile, '-T', coldFile.file, url('curl')]);
        return { ...r, firstUploadMs: r.wallSecs * 1000 };
      },
    },
  ];
}

async function run(ctx) {
  const results = await runRounds(ctx.sink, contenders(ctx), ctx.runs, 'cold start');
  const ms = (name, key) => R.fmtSummary(R.summary(results[name].map((r) => r[key])), 0);
  const rows = Object.keys(results).map((name) => [name, ms(name, 'scriptMs'), ms(name, 'requireMs'), ms(name, 'firstUploadMs'),
    R.fmtSummary(R.summary(results[name].map((r) => r.wallSecs * 1000)), 0)]);
  const body = R.table(['client (ms after spawn)', 'script starts', 'library loaded', 'first upload done', 'process exited'], rows);
  return { title: `Scenario 4: cold start, first ${ctx.coldFile.size / R.MiB} MiB PUT over HTTPS`, body, targets: [] };
}

module.exports = { run };
