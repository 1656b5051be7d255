/**
 * Helpers for the queue suites: a private redis-server (Debian's) on 127.0.0.1 with a
 * random port and a temporary folder, stopped by `stop()`; worker child processes that run
 * `test/queue/worker-child.js` against dist/ (built by `npm run build:ts`); polling a job
 * until it settles; a dump of every Redis key and value.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import type { UploadQueue } from '../../lib/queue';

export const ROOT = path.resolve(__dirname, '../..');
export const CHILD = path.join(__dirname, 'worker-child.js');

export interface RedisServer {
  port: number;
  dir: string;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/** Starts redis-server on 127.0.0.1 (no persistence); resolves once it accepts connections. */
export async function startRedis(): Promise<RedisServer> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'uplift-redis-'));
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const child = spawn('redis-server', [
      '--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no',
      '--daemonize', 'no', '--protected-mode', 'yes', '--loglevel', 'warning',
    ], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout!.on('data', (d) => { out += String(d); });
    child.stderr!.on('data', (d) => { out += String(d); });
    const up = await new Promise<boolean>((resolve) => {
      const t = setInterval(() => {
        const c = net.connect(port, '127.0.0.1', () => {
          c.end();
          clearInterval(t);
          resolve(true);
        });
        c.on('error', () => c.destroy());
      }, 50);
      child.once('exit', () => { clearInterval(t); resolve(false); });
    });
    if (up) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      return {
        port, dir,
        async stop() {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
          await exited;
          fs.rmSync(dir, { recursive: true, force: true });
        },
      };
    }
    if (attempt >= 3) throw new Error(`redis-server did not start: ${out}`);
  }
}

export interface WorkerChild {
  child: ChildProcess;
  lines: string[];
  /** resolves with the first line matching `re` (rejects after `timeoutMs` or at exit) */
  waitFor(re: RegExp, timeoutMs?: number): Promise<string>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts a worker process; `config` goes to it as JSON in UPLIFT_TEST_WORKER. */
export function startWorker(config: Record<string, unknown>): WorkerChild {
  const env: NodeJS.ProcessEnv = { ...process.env, UPLIFT_TEST_WORKER: JSON.stringify(config) };
  delete env.NODE_OPTIONS;
  const child = spawn(process.execPath, [CHILD], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  let stderr = '';
  const listeners = new Set<() => void>();
  let buf = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    buf += d;
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      lines.push(buf.slice(0, i));
      buf = buf.slice(i + 1);
    }
    for (const l of [...listeners]) l();
  });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('close', (code, signal) => {
      for (const l of [...listeners]) l();
      resolve({ code, signal });
    });
  });
  const waitFor = (re: RegExp, timeoutMs = 30000): Promise<string> => new Promise((resolve, reject) => {
    const check = (): void => {
      const hit = lines.find((l) => re.test(l));
      if (hit !== undefined) {
        done();
        resolve(hit);
      } else if (child.exitCode !== null || child.signalCode !== null) {
        done();
        reject(new Error(`worker exited before printing ${re}; stderr: ${stderr}`));
      }
    };
    const t = setTimeout(() => { done(); reject(new Error(`timeout waiting for ${re}; lines: ${lines.join(' | ')}; stderr: ${stderr}`)); }, timeoutMs);
    const done = (): void => { clearTimeout(t); listeners.delete(check); };
    listeners.add(check);
    check();
  });
  return { child, lines, waitFor, exited };
}

/** The ioredis calls the suites make (typed here so each suite type-checks on its own). */
export interface RedisCli {
  call(command: string, ...args: (string | number)[]): Promise<unknown>;
  quit(): Promise<unknown>;
}

/** What the suites read from a settled job. */
export interface SettledJob {
  id?: string;
  progress: unknown;
  returnvalue: unknown;
  failedReason?: string;
  attemptsMade: number;
  processedOn?: number;
  finishedOn?: number;
  getState(): Promise<string>;
}

/** Resolves when the job reaches `completed` or `failed` (polls its state). */
export async function settled(q: UploadQueue, id: string, timeoutMs = 60000): Promise<SettledJob> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const j = await q.getJob(id);
    const state = j ? await j.getState() : 'missing';
    if (j && (state === 'completed' || state === 'failed')) return (await q.getJob(id))!;
    if (Date.now() > end) throw new Error(`job ${id} did not settle (state ${j ? await j.getState() : 'missing'})`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Every key and value in Redis, as text. */
export async function dumpRedis(cli: RedisCli): Promise<string> {
  const out: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await cli.call('SCAN', cursor, 'COUNT', 500) as [string, string[]];
    cursor = next;
    for (const k of batch) {
      out.push(k);
      const type = await cli.call('TYPE', k) as string;
      if (type === 'string') out.push(String(await cli.call('GET', k)));
      else if (type === 'hash') out.push(JSON.stringify(await cli.call('HGETALL', k)));
      else if (type === 'list') out.push(JSON.stringify(await cli.call('LRANGE', k, 0, -1)));
      else if (type === 'set') out.push(JSON.stringify(await cli.call('SMEMBERS', k)));
      else if (type === 'zset') out.push(JSON.stringify(await cli.call('ZRANGE', k, 0, -1, 'WITHSCORES')));
      else if (type === 'stream') out.push(JSON.stringify(await cli.call('XRANGE', k, '-', '+')));
      else out.push(`<${type}>`);
    }
  } while (cursor !== '0');
  return out.join('\n');
}
