// Runs contenders in rounds: round i runs every contender once, starting at a different one each
// round (so no contender always goes first), each in a fresh process. Around each run it reads
// the sink's access log (requests, distinct connections, non-2xx answers) and its CPU, and it
// checks what the contender reports (MD5, bytes) against what the harness knows.
'use strict';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * contenders: [{ name, run: () => Promise<figures>, requests: number, md5?: string, bytes?: number }]
 * Resolves { [name]: figures[] } with figures[i] from round i. `beforeRound(i)` runs first in
 * each round (e.g. an idle loop-delay baseline under the same ambient load).
 */
async function runRounds(sink, contenders, runs, label, { beforeRound } = {}) {
  const out = Object.fromEntries(contenders.map((c) => [c.name, []]));
  for (let i = 0; i < runs; i++) {
    if (beforeRound) await beforeRound(i);
    for (let j = 0; j < contenders.length; j++) {
      const c = contenders[(i + j) % contenders.length];
      const offset = sink.logOffset();
      const cpu0 = sink.cpuSeconds();
      const r = await c.run();
      // nginx logs a request after its answer went out: give the last lines a moment.
      let log = sink.requestsSince(offset);
      for (let k = 0; k < 40 && log.requests < c.requests; k++) {
        await sleep(25);
        log = sink.requestsSince(offset);
      }
      r.sinkCpuSecs = sink.cpuSeconds() - cpu0;
      r.connections = log.connections;
      r.requests = log.requests;
      const problems = [];
      if (log.failures.length) problems.push(`sink answered ${log.failures.slice(0, 5).join(', ')}`);
      if (log.requests !== c.requests) problems.push(`sink logged ${log.requests} requests, expected ${c.requests}`);
      if (c.md5 && r.md5 !== undefined && r.md5 !== c.md5) problems.push(`MD5 ${r.md5} != ${c.md5}`);
      if (c.bytes !== undefined && r.bytes !== undefined && r.bytes !== c.bytes) problems.push(`bytes ${r.bytes} != ${c.bytes}`);
      if (problems.length) throw new Error(`${label} / ${c.name}, round ${i + 1}: ${problems.join('; ')}`);
      out[c.name][i] = r;
      sink.clearRoot();
      process.stderr.write(`  ${label} round ${i + 1}/${runs} ${c.name}: ${r.secs.toFixed(2)} s\n`);
    }
  }
  return out;
}

module.exports = { runRounds };
