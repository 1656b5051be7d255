// Figures a Node contender reports about itself, in its own process: wall time, CPU
// (user+sys of all threads, from process.cpuUsage), peak RSS (maxRSS, so a blocked event loop
// cannot hide a peak) and event-loop delay (monitorEventLoopDelay at 1 ms resolution).
// The last stdout line of a contender is one JSON object; the harness parses it.
'use strict';
const { monitorEventLoopDelay } = require('perf_hooks');

const MiB = 1024 * 1024;

/** Starts measuring now; call the returned function when the measured work is done. */
function startMeasure() {
  const eld = monitorEventLoopDelay({ resolution: 1 });
  eld.enable();
  const rssBefore = process.memoryUsage.rss();
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  return function stop(extra = {}) {
    const secs = Number(process.hrtime.bigint() - t0) / 1e9;
    const cpu = process.cpuUsage(cpu0);
    eld.disable();
    const peak = process.resourceUsage().maxRSS * 1024; // maxRSS is in KiB
    return {
      secs,
      cpuSecs: (cpu.user + cpu.system) / 1e6,
      peakRssMiB: peak / MiB,
      rssGrowthMiB: Math.max(0, peak - rssBefore) / MiB,
      eldP99Ms: eld.percentile(99) / 1e6,
      eldMaxMs: eld.max / 1e6,
      ...extra,
    };
  };
}

/** The task the harness passed as argv[2] (JSON). */
function task() {
  return JSON.parse(process.argv[2]);
}

/** Prints the result line and exits 0, or prints the error and exits 1. */
function report(promise) {
  promise.then(
    (r) => {
      process.stdout.write(`${JSON.stringify(r)}\n`);
      process.exit(0);
    },
    (e) => {
      process.stderr.write(`${e && e.stack ? e.stack : e}\n`);
      process.exit(1);
    },
  );
}

module.exports = { startMeasure, task, report, MiB };
