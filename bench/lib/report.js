// Markdown for the results: one row per contender with median (min–max) of each figure,
// uplift's ratios to each contender taken pair by pair, and the target checks (✓/✗).
'use strict';
const { summary, pairRatio, fmt, fmtSummary } = require('./stats');

const GiB = 1024 * 1024 * 1024;
const MiB = 1024 * 1024;

function col(results, name, f) {
  return (results[name] || []).map((r) => (r ? f(r) : NaN));
}

function table(header, rows) {
  const line = (cells) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

/** Per-run derived figures used by tables and targets. `bytes` moved per run, `items` per run (files). */
function derive(results, { bytes, items }) {
  const d = {};
  for (const [name, runs] of Object.entries(results)) {
    d[name] = {
      mibps: col(results, name, (r) => bytes / MiB / r.secs),
      itemsps: items ? col(results, name, (r) => items / r.secs) : [],
      cpu: col(results, name, (r) => r.cpuSecs),
      cpuPerGiB: col(results, name, (r) => r.cpuSecs / (bytes / GiB)),
      peak: col(results, name, (r) => r.peakRssMiB),
      growth: col(results, name, (r) => (r.rssGrowthMiB === undefined ? NaN : r.rssGrowthMiB)),
      eldP99: col(results, name, (r) => (r.eldP99Ms === undefined ? NaN : r.eldP99Ms)),
      eldMax: col(results, name, (r) => (r.eldMaxMs === undefined ? NaN : r.eldMaxMs)),
      conns: col(results, name, (r) => r.connections),
      sinkCpu: col(results, name, (r) => r.sinkCpuSecs),
      secs: col(results, name, (r) => r.secs),
      runs: runs.length,
    };
  }
  return d;
}

function figuresTable(d, { items } = {}) {
  const header = ['contender', items ? 'files/s' : 'MiB/s', 'client CPU s', items ? 'CPU ms/file' : 'CPU s/GiB', 'peak RSS MiB', 'RSS growth MiB',
    'loop delay p99 ms', 'loop delay max ms', 'connections', 'sink CPU s'];
  const rows = Object.entries(d).map(([name, x]) => [
    name,
    fmtSummary(summary(items ? x.itemsps : x.mibps), 0),
    fmtSummary(summary(x.cpu)),
    items ? fmtSummary(summary(x.cpu.map((c) => (c * 1000) / items))) : fmtSummary(summary(x.cpuPerGiB)),
    fmtSummary(summary(x.peak), 0),
    fmtSummary(summary(x.growth), 1),
    fmtSummary(summary(x.eldP99), 1),
    fmtSummary(summary(x.eldMax), 1),
    fmtSummary(summary(x.conns), 0),
    fmtSummary(summary(x.sinkCpu)),
  ]);
  return table(header, rows);
}

function ratiosTable(d, base, { items } = {}) {
  const header = ['uplift vs', `${items ? 'files/s' : 'MiB/s'} ratio (×, higher is better)`, 'CPU ratio (×, lower is better)', 'peak RSS ratio'];
  const rows = [];
  for (const name of Object.keys(d)) {
    if (name === base) continue;
    const tp = items ? pairRatio(d[base].itemsps, d[name].itemsps) : pairRatio(d[base].mibps, d[name].mibps);
    rows.push([name, fmtSummary(tp), fmtSummary(pairRatio(d[base].cpu, d[name].cpu)), fmtSummary(pairRatio(d[base].peak, d[name].peak))]);
  }
  return table(header, rows);
}

/** A target line: { label, pass, detail }. */
function target(label, pass, detail) {
  return { label, pass, detail };
}

function targetsMarkdown(targets) {
  return targets.map((t) => `- ${t.pass ? '✓' : '✗'} ${t.label}: ${t.detail}`).join('\n');
}

module.exports = { derive, figuresTable, ratiosTable, table, target, targetsMarkdown, summary, pairRatio, fmt, fmtSummary, MiB, GiB };
