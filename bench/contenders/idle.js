// Idle baseline for event-loop delay: the same monitorEventLoopDelay({ resolution: 1 }) as the
// contenders, over argv[2] ms of an otherwise idle process.
'use strict';
const { startMeasure, report } = require('./measure');

const ms = Number(process.argv[2] || 2000);
const stop = startMeasure();
report(new Promise((resolve) => setTimeout(() => resolve(stop()), ms)));
