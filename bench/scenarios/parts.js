// Scenario 1 (Plaud's flow): one file in 5 MiB parts, 4 in flight, whole-file MD5, over HTTP
// and HTTPS. Contenders: uplift, curl --parallel (no MD5; the sink's reference), curl next to
// md5sum (the same work as the others), the fetch loop (redirect 'error' and the default
// 'follow') and @aws-sdk/lib-storage against the sink's S3 subset.
'use strict';
const path = require('path');
const { runNode, runCurl } = require('../lib/spawn');
const { runRounds } = require('../lib/rounds');
const { partsConfig } = require('../lib/curl-config');
const R = require('../lib/report');

const PART_URL_QUERY = 'partNumber={n}&uploadId=bench-upload&X-Amz-Expires=900';

function contenders(ctx, proto) {
  const { sink, big } = ctx;
  const base = sink[proto];
  const caFile = proto === 'https' ? sink.caFile : undefined;
  const n = big.partFiles.length;
  const partUrl = (who) => `${base}/bench/${who}/obj?${PART_URL_QUERY}`;
  const task = (who, extra) => ({ kind: 'parts', file: big.file, size: big.size, partSize: ctx.partSize, concurrency: 4, partUrl: partUrl(who), caFile, ...extra });
  const fetchEnv = caFile ? { NODE_EXTRA_CA_CERTS: caFile } : {};
  const curlCfg = path.join(ctx.dir, `curl-parts-${proto}.cfg`);
  partsConfig(curlCfg, big.partFiles, partUrl('curl'), caFile);
  const curlArgs = ['--parallel', '--parallel-max', '4', '-K', curlCfg];
  const curlMd5Shell = `md5sum '${big.file}' & curl ${curlArgs.join(' ')}; c=$?; wait $! || exit 9; exit $c`;
  return [
    { name: 'uplift', requests: n, md5: big.md5, bytes: big.size, run: () => runNode('uplift.js', task('uplift')) },
    { name: 'curl --parallel', requests: n, run: () => runCurl(curlArgs) },
    {
      name: 'curl + md5sum',
      requests: n,
      run: async () => {
        const r = await runCurl([], { shell: curlMd5Shell });
        return { ...r, md5: r.stdout.trim().split(/\s+/)[0] };
      },
      md5: big.md5,
    },
    { name: "fetch (redirect 'error')", requests: n, md5: big.md5, run: () => runNode('fetch.js', task('fetch-e', { redirect: 'error' }), { env: fetchEnv }) },
    { name: 'fetch (default follow)', requests: n, md5: big.md5, run: () => runNode('fetch.js', task('fetch-f', { redirect: 'follow' }), { env: fetchEnv }) },
    {
      name: 'lib-storage Upload',
      requests: n + 2,
      md5: big.md5,
      run: () => runNode('lib-storage.js', task('ls', { s3: { endpoint: base, bucket: 'bench', key: 'ls/obj' } })),
    },
  ];
}

async function run(ctx) {
  const sections = [];
  const targets = [];
  const derived = {};
  // The loop-delay target compares with an idle Node process measured in the same rounds (the
  // machine is shared: its load changes from minute to minute).
  const idleRuns = [];
  const beforeRound = async () => { idleRuns.push(await runNode('idle.js', ctx.idleMs)); };
  for (const proto of ['http', 'https']) {
    const results = await runRounds(ctx.sink, contenders(ctx, proto), ctx.runs, `parts ${proto}`, proto === 'https' ? { beforeRound } : {});
    const d = R.derive(results, { bytes: ctx.big.size });
    derived[proto] = d;
    sections.push(`#### ${proto.toUpperCase()}\n\n${R.figuresTable(d)}\n\n${R.ratiosTable(d, 'uplift')}\n\n` +
      `${sinkCheck(d, 'curl --parallel', ['curl + md5sum'])}\n\n${md5Note(d)}`);
  }
  const d = derived.https;
  const ratio = (other) => R.pairRatio(d.uplift.mibps, d[other].mibps);
  const check = (label, s, min) => R.target(label, s.med >= min, `${R.fmtSummary(s)}× (target ≥ ${min}×)`);
  targets.push(check('S1 HTTPS throughput vs curl --parallel', ratio('curl --parallel'), 1.0));
  targets.push(check("S1 HTTPS throughput vs fetch loop (redirect 'error', its best case)", ratio("fetch (redirect 'error')"), 2.5));
  targets.push(check('S1 HTTPS throughput vs fetch loop (default follow)', ratio('fetch (default follow)'), 2.5));
  targets.push(check('S1 HTTPS throughput vs lib-storage Upload', ratio('lib-storage Upload'), 2.0));
  const cpu = R.summary(d.uplift.cpuPerGiB);
  const curlCpu = R.summary(d['curl --parallel'].cpuPerGiB);
  targets.push(R.target('S1 HTTPS CPU per GiB ≤ curl --parallel', cpu.med <= curlCpu.med,
    `${R.fmt(cpu.med)} vs ${R.fmt(curlCpu.med)} CPU s/GiB (curl + md5sum: ${R.fmt(R.summary(d['curl + md5sum'].cpuPerGiB).med)})`));
  const eld = R.summary(d.uplift.eldMax);
  const idleMax = R.summary(idleRuns.map((r) => r.eldMaxMs)).med;
  const beside = R.summary(d['curl + md5sum'].eldMax);
  targets.push(R.target('S1 HTTPS event-loop delay max ≤ idle + 5 ms', eld.med <= idleMax + 5,
    `${R.fmtSummary(eld, 1)} ms vs idle ${R.fmt(idleMax, 1)} ms in the same rounds (an idle Node process beside curl + md5sum: ${R.fmtSummary(beside, 1)} ms)`));
  const growth = R.summary(d.uplift.growth);
  targets.push(R.target('S1 HTTPS peak RSS growth ≤ 32 MiB (worst run)', growth.max <= 32, `${R.fmtSummary(growth, 1)} MiB`));
  return { title: `Scenario 1: ${ctx.big.size / R.MiB} MiB in ${ctx.partSize / R.MiB} MiB parts, 4 in flight, whole-file MD5 (Plaud)`, body: sections.join('\n\n'), targets };
}

/** What the whole-file MD5 costs, from the two curl rows, and uplift beside curl doing the same work. */
function md5Note(d) {
  const med = (name, k) => R.summary(d[name][k]).med;
  const md5Cpu = med('curl + md5sum', 'cpuPerGiB') - med('curl --parallel', 'cpuPerGiB');
  const same = R.pairRatio(d.uplift.mibps, d['curl + md5sum'].mibps);
  const sameCpu = R.pairRatio(d.uplift.cpu, d['curl + md5sum'].cpu);
  return `Same work: uplift reaches ${R.fmtSummary(same)}× the throughput of curl + md5sum with ${R.fmtSummary(sameCpu)}× its CPU. ` +
    `The MD5 alone costs about ${R.fmt(md5Cpu)} CPU s/GiB here (curl + md5sum minus curl); uplift less that is ` +
    `${R.fmt(med('uplift', 'cpuPerGiB') - md5Cpu)} CPU s/GiB against curl's ${R.fmt(med('curl --parallel', 'cpuPerGiB'))}.`;
}

/**
 * The sink is not the bottleneck when curl, the leanest client, beats every other client (uplift
 * aside: it is the one under test). Also prints the busiest second of nginx's CPU.
 */
function sinkCheck(d, curlName, skip = [], { key = 'mibps', unit = 'MiB/s' } = {}) {
  const curl = R.summary(d[curlName][key]).med;
  const others = Object.keys(d).filter((k) => k !== curlName && k !== 'uplift' && !skip.includes(k));
  const lines = others.map((k) => {
    const m = R.summary(d[k][key]).med;
    return `${curl >= m ? '✓' : '✗'} ${k} ${R.fmt(m, 0)} ${unit}`;
  });
  const busiest = Math.max(...Object.values(d).flatMap((x) => x.sinkCpu.map((c, i) => c / x.secs[i])));
  return `Sink check (curl beats the other clients, so the sink is not what limits them): ${curlName} ${R.fmt(curl, 0)} ${unit} vs ` +
    `${lines.join(', ')}; uplift ${R.fmt(R.summary(d.uplift[key]).med, 0)} ${unit}. ` +
    `nginx used at most ${R.fmt(busiest * 100, 0)}% of one core over a run (2 workers, 2 cores shared with the client).`;
}

module.exports = { run, sinkCheck };
