/**
 * uplift/queue and `uplift worker` when Redis is not there: calls fail typed, close()
 * settles, and the process then exits by itself (no client left reconnecting, no timer left
 * waiting for Redis). Needs dist/ (`npm run build:ts`).
 */
import { spawn } from 'node:child_process';
import * as net from 'node:net';
import * as path from 'node:path';
import { assertBuilt, cliEnv, killLiveChildren, makeTempDir, removeDir, startCli } from '../cli/helpers';

jest.setTimeout(60000);

const CHILD = path.join(__dirname, 'unreachable-child.js');
let port: number;
let dir: string;

/** A loopback port with nothing listening on it. */
async function deadPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const p = (s.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return p;
}

/** Runs the child in `mode`; resolves with its exit and output, or the marker 'hung' after `ms`. */
function runChild(mode: string, ms: number): Promise<{ code: number | null | 'hung'; out: string; elapsedMs: number }> {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const child = spawn(process.execPath, [CHILD, mode], { env: { ...process.env, UPLIFT_TEST_REDIS_PORT: String(port) }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve({ code: 'hung', out, elapsedMs: Date.now() - t0 });
    }, ms);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, out, elapsedMs: Date.now() - t0 });
    });
  });
}

beforeAll(async () => {
  assertBuilt();
  port = await deadPort();
  dir = makeTempDir();
});

afterEach(killLiveChildren);
afterAll(() => removeDir(dir));

test('a worker whose ready() timed out closes and its process exits by itself', async () => {
  const r = await runChild('ready-timeout', 20000);
  expect(r.out).toBe('ready ERR_UPLIFT_NETWORK\nclosed\n');
  expect(r.code).toBe(0);
});

test('close() settles a ready() still waiting for Redis, and the process exits', async () => {
  const r = await runChild('close-while-ready', 20000);
  expect(r.out).toBe('ready ERR_UPLIFT_ABORTED\nclosed\n');
  expect(r.code).toBe(0);
  expect(r.elapsedMs).toBeLessThan(15000);
});

test('a producer whose add() timed out closes and its process exits by itself', async () => {
  const r = await runChild('queue', 20000);
  expect(r.out).toBe('add ERR_UPLIFT_NETWORK\nclosed\n');
  expect(r.code).toBe(0);
});

test('uplift worker without a reachable Redis stops on SIGTERM and exits 0', async () => {
  const env = cliEnv(dir, { UPLIFT_REDIS_URL: `redis://127.0.0.1:${port}`, UPLIFT_PLAUD_TOKEN: 'tok-unreachable-1234' });
  const worker = startCli(['worker', '--shutdown-deadline', '500'], env);
  await new Promise((r) => setTimeout(r, 1500));
  const t0 = Date.now();
  worker.child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const exit = await Promise.race([worker.exited, new Promise<'hung'>((r) => (timer = setTimeout(() => r('hung'), 15000)))]);
  clearTimeout(timer);
  expect(exit).toEqual({ code: 0, signal: null });
  expect(Date.now() - t0).toBeLessThan(15000);
  expect(worker.stderr()).toMatch(/stopping/);
  expect(worker.stdout() + worker.stderr()).not.toContain('tok-unreachable-1234');
});
