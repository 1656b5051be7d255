/**
 * Helpers for the command-line suites: run `node bin/uplift.js ...` as an async child
 * process (never spawnSync: a sandbox started in the test process must keep serving),
 * collect its output, wait for lines, and give each run a private TMPDIR so a test can
 * check that the command left no temporary files behind.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const ROOT = path.resolve(__dirname, '../..');
export const BIN = path.join(ROOT, 'bin', 'uplift.js');
/** the ESC character that starts every ANSI escape sequence */
export const ANSI = /\x1b/;
export const VENDORS = ['eka', 'kore', 'plaud', 'scripe', 'heify'] as const;
export const MiB = 1024 * 1024;

/** The CLI runs from dist/; `npm run build:ts` (part of `npm test`) makes it. */
export function assertBuilt(): void {
  if (!fs.existsSync(path.join(ROOT, 'dist', 'cli', 'main.js'))) {
    throw new Error('dist/cli/main.js is missing: run `npm run build:ts` before the CLI tests');
  }
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface CliRun {
  child: ChildProcess;
  /** everything the child wrote so far (utf8) */
  stdout(): string;
  stderr(): string;
  /** settles when the child has exited and its pipes are drained */
  exited: Promise<Exit>;
  /** resolves with the first match of `re` in that stream's text; rejects after `timeoutMs` or at exit */
  waitFor(stream: 'stdout' | 'stderr', re: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
}

const live = new Set<ChildProcess>();

/**
 * Environment for a child: the test process' environment without UPLIFT_* variables,
 * NODE_DEBUG and NODE_OPTIONS, with CI=1 (plain output) and TMPDIR=`tmpDir`, plus `extra`.
 */
export function cliEnv(tmpDir: string, extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k.startsWith('UPLIFT_') || k === 'NODE_DEBUG' || k === 'NODE_OPTIONS') continue;
    env[k] = v;
  }
  env.CI = '1';
  env.TMPDIR = tmpDir;
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

/** Starts `node bin/uplift.js <args>` with stdout and stderr piped; stdin is /dev/null. */
export function startCli(args: string[], env: NodeJS.ProcessEnv): CliRun {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(child);
  const text = { stdout: '', stderr: '' };
  const listeners = new Set<() => void>();
  const notify = (): void => { for (const l of [...listeners]) l(); };
  child.stdout!.setEncoding('utf8').on('data', (d: string) => { text.stdout += d; notify(); });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => { text.stderr += d; notify(); });
  let done = false;
  const exited = new Promise<Exit>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => {
      live.delete(child);
      done = true;
      notify();
      resolve({ code, signal });
    });
  });
  const waitFor = (stream: 'stdout' | 'stderr', re: RegExp, timeoutMs = 20_000): Promise<RegExpMatchArray> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        const m = text[stream].match(re);
        if (m) finish(() => resolve(m));
        else if (done) finish(() => reject(new Error(`uplift ${args.join(' ')} exited before ${stream} matched ${re}\nstdout:\n${text.stdout}\nstderr:\n${text.stderr}`)));
      };
      const timer = setTimeout(() => finish(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${stream} to match ${re}\nstdout:\n${text.stdout}\nstderr:\n${text.stderr}`))), timeoutMs);
      const finish = (settle: () => void): void => {
        clearTimeout(timer);
        listeners.delete(check);
        settle();
      };
      listeners.add(check);
      check();
    });
  return { child, stdout: () => text.stdout, stderr: () => text.stderr, exited, waitFor };
}

export interface CliResult extends Exit {
  stdout: string;
  stderr: string;
}

/** Runs the command to its end; SIGKILLs it and rejects after `timeoutMs` (default 30 s). */
export async function runCli(args: string[], env: NodeJS.ProcessEnv, timeoutMs = 30_000): Promise<CliResult> {
  const run = startCli(args, env);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      run.child.kill('SIGKILL');
      reject(new Error(`uplift ${args.join(' ')} did not exit within ${timeoutMs} ms\nstdout:\n${run.stdout()}\nstderr:\n${run.stderr()}`));
    }, timeoutMs);
  });
  try {
    const exit = await Promise.race([run.exited, timeout]);
    return { ...exit, stdout: run.stdout(), stderr: run.stderr() };
  } finally {
    clearTimeout(timer);
  }
}

/** SIGKILLs every child these helpers started that is still running (for afterEach/afterAll). */
export async function killLiveChildren(): Promise<void> {
  const waits = [...live].map((c) => new Promise<void>((resolve) => {
    if (c.exitCode !== null || c.signalCode !== null) return resolve();
    c.once('close', () => resolve());
    c.kill('SIGKILL');
  }));
  await Promise.all(waits);
}

/** A fresh folder under the real temp dir (the caller removes it with removeDir). */
export function makeTempDir(prefix = 'uplift-clitest-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export function removeDir(dir: string | undefined): void {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
}

/** Writes `bytes` random bytes to dir/name in 1 MiB pieces; returns the path and lowercase hex MD5. */
export function writeRandomFile(dir: string, name: string, bytes: number): { file: string; md5: string; size: number } {
  const file = path.join(dir, name);
  const h = createHash('md5');
  const fd = fs.openSync(file, 'w');
  try {
    for (let left = bytes; left > 0;) {
      const piece = randomBytes(Math.min(left, MiB));
      h.update(piece);
      fs.writeSync(fd, piece);
      left -= piece.length;
    }
  } finally {
    fs.closeSync(fd);
  }
  return { file, md5: h.digest('hex'), size: bytes };
}

/** Reads `export NAME='value'` lines (single-quoted, as `uplift sandbox` prints them). */
export function parseExports(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^export ([A-Z_][A-Z0-9_]*)='([^']*)'$/.exec(line.trim());
    if (m) out[m[1]] = m[2];
  }
  return out;
}

/** Lines of a Markdown table row `| a | b |` → ['a', 'b']; undefined for other lines. */
export function tableCells(line: string): string[] | undefined {
  const t = line.trim();
  if (!t.startsWith('|') || !t.endsWith('|')) return undefined;
  return t.slice(1, -1).split('|').map((c) => c.trim());
}
