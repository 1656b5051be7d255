// Loop-delay probe with nothing of its own to do: the same monitorEventLoopDelay({ resolution: 1 })
// as the contenders. argv[2] is a duration in ms (the idle baseline), or "stdin": print
// "ready", then measure until stdin closes (a probe running beside the curl CLI, showing
// what the machine's load alone does to an event loop).
'use strict';
const { startMeasure, report } = require('./measure');

const arg = process.argv[2] || '2000';
if (arg === 'stdin') {
  const stop = startMeasure();
  process.stdin.resume();
  process.stdin.on('end', () => report(Promise.resolve(stop())));
  process.stdout.write('ready\n');
} else {
  const stop = startMeasure();
  report(new Promise((resolve) => setTimeout(() => resolve(stop()), Number(arg))));
}
