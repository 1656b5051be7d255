// Summaries of repeated runs: median with min and max, and ratios taken pair by pair (the
// same run index of two contenders, which ran back to back).
'use strict';

function median(xs) {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** { med, min, max, n } of the finite values. */
function summary(xs) {
  const s = xs.filter((x) => Number.isFinite(x));
  if (s.length === 0) return { med: NaN, min: NaN, max: NaN, n: 0 };
  return { med: median(s), min: Math.min(...s), max: Math.max(...s), n: s.length };
}

/** Summary of a[i] / b[i] over the run indexes where both exist. */
function pairRatio(a, b) {
  const r = [];
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    if (Number.isFinite(a[i]) && Number.isFinite(b[i]) && b[i] !== 0) r.push(a[i] / b[i]);
  }
  return summary(r);
}

function fmt(x, digits) {
  if (!Number.isFinite(x)) return 'n/a';
  const d = digits ?? (Math.abs(x) >= 100 ? 0 : Math.abs(x) >= 10 ? 1 : 2);
  return x.toFixed(d);
}

/** "median (min–max)" */
function fmtSummary(s, digits) {
  if (!s || s.n === 0) return 'n/a';
  if (s.n === 1) return fmt(s.med, digits);
  return `${fmt(s.med, digits)} (${fmt(s.min, digits)}–${fmt(s.max, digits)})`;
}

module.exports = { median, summary, pairRatio, fmt, fmtSummary };
