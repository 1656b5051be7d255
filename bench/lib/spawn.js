// Runs one contender in its own process and returns its figures. Node contenders print a JSON
// line; the curl CLI runs under /usr/bin/time (or bash `times` when GNU time is absent) for
// its CPU seconds and peak RSS. Every child is tracked so the harness can kill it on exit.
'use strict';
const { spawn } = require('child_process');
const fs = require('fs');
const path = require('path');

const MiB = 1024 * 1024;
const running = new Set();
const TIME_BIN = fs.existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;

/** Kills every contender still running (harness exit paths). */
function killAll() {
  for (const c of running) {
    try { c.kill('SIGKILL'); } catch { /* gone */ }
  }
}

/**
 * The parent's environment without NODE_EXTRA_CA_CERTS (a shell may point it at the system
 * bundle, which costs every Node child ~20-30 ms of start-up), plus `env`.
 */
function childEnv(env) {
  const out = { ...process.env };
  delete out.NODE_EXTRA_CA_CERTS;
  return { ...out, ...env };
}

function runProcess(cmd, args, { env, timeoutMs }) {
  return new Promise((resolve, reject) => {
    const spawnEpochMs = performance.timeOrigin + performance.now(); // same clock as the child's
    const t0 = process.hrtime.bigint();
    const child = spawn(cmd, args, { env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
    running.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', (e) => { clearTimeout(timer); running.delete(child); reject(e); });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      running.delete(child);
      const wallSecs = Number(process.hrtime.bigint() - t0) / 1e9;
      resolve({ code, signal, stdout, stderr, wallSecs, spawnEpochMs });
    });
  });
}

function lastJsonLine(text) {
  const lines = text.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]);
}

/** Runs bench/contenders/<script> with the task as JSON in argv[2]; resolves its figures. */
async function runNode(script, taskObj, { env = {}, timeoutMs = 600000 } = {}) {
  const file = path.join(__dirname, '..', 'contenders', script);
  const r = await runProcess(process.execPath, [file, JSON.stringify(taskObj)], { env, timeoutMs });
  if (r.code !== 0) throw new Error(`${script} failed (${r.signal || r.code}): ${r.stderr.trim().slice(-2000)}`);
  return { ...lastJsonLine(r.stdout), wallSecs: r.wallSecs, spawnEpochMs: r.spawnEpochMs };
}

/** Starts contenders/idle.js in probe mode; resolves { stop(): Promise<figures> } once it measures. */
function startProbe() {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(__dirname, '..', 'contenders', 'idle.js'), 'stdin'], { env: childEnv({}), stdio: ['pipe', 'pipe', 'pipe'] });
    running.add(child);
    let stdout = '';
    let stderr = '';
    const closed = new Promise((res) => child.once('close', (code) => { running.delete(child); res(code); }));
    child.stderr.on('data', (d) => { stderr += d; });
    child.once('error', reject);
    child.stdout.on('data', (d) => {
      const first = stdout === '';
      stdout += d;
      if (first && stdout.startsWith('ready')) {
        resolve({
          async stop() {
            child.stdin.end();
            const code = await closed;
            if (code !== 0) throw new Error(`loop-delay probe failed (${code}): ${stderr.trim()}`);
            return lastJsonLine(stdout);
          },
        });
      }
    });
    closed.then((code) => reject(new Error(`loop-delay probe exited early (${code}): ${stderr.trim()}`)));
  });
}

/**
 * Runs curl with `args`; CPU and peak RSS come from GNU time (whole process, start-up included).
 * With `shell`, runs `bash -c shell` instead (for curl next to md5sum). Its loop-delay figures
 * are those of an idle Node process running beside it (startProbe).
 */
async function runCurl(args, { shell, timeoutMs = 600000 } = {}) {
  const cmd = shell ? ['bash', '-c', shell] : ['curl', ...args];
  const probe = await startProbe();
  let r;
  let eld;
  try {
    if (TIME_BIN) {
      r = await runProcess(TIME_BIN, ['-f', 'BENCHTIME %U %S %M', ...cmd], { timeoutMs });
    } else {
      const inner = shell ?? cmd.map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(' ');
      r = await runProcess('bash', ['-c', `${inner}; rc=$?; times >&2; exit $rc`], { timeoutMs });
    }
  } finally {
    eld = await probe.stop();
  }
  if (r.code !== 0) throw new Error(`curl failed (${r.signal || r.code}): ${r.stderr.trim().slice(-2000)}`);
  let cpuSecs = NaN;
  let peakRssMiB = NaN;
  const m = /BENCHTIME (\S+) (\S+) (\d+)/.exec(r.stderr);
  if (m) {
    cpuSecs = Number(m[1]) + Number(m[2]);
    peakRssMiB = (Number(m[3]) * 1024) / MiB;
  } else {
    const lines = r.stderr.trim().split('\n');
    const kids = /(\d+)m([\d.]+)s (\d+)m([\d.]+)s/.exec(lines[lines.length - 1] || '');
    if (kids) cpuSecs = Number(kids[1]) * 60 + Number(kids[2]) + Number(kids[3]) * 60 + Number(kids[4]);
  }
  return { secs: r.wallSecs, wallSecs: r.wallSecs, cpuSecs, peakRssMiB, stdout: r.stdout, eldP99Ms: eld.eldP99Ms, eldMaxMs: eld.eldMaxMs };
}

module.exports = { runNode, runCurl, killAll, TIME_BIN };
