/**
 * examples/queue/demo.js runs end to end against the test's redis-server: two worker
 * processes share the jobs and every file is stored once.
 */
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { ROOT, startRedis, type RedisServer } from './helpers';

jest.setTimeout(90000);
let redis: RedisServer;
beforeAll(async () => { redis = await startRedis(); });
afterAll(async () => { await redis?.stop(); });

test('the two-worker example uploads every job once through its worker processes', async () => {
  const env: NodeJS.ProcessEnv = { ...process.env, REDIS_URL: `redis://127.0.0.1:${redis.port}`, JOBS: '12' };
  delete env.NODE_OPTIONS;
  const child = spawn(process.execPath, [path.join(ROOT, 'examples/queue/demo.js')], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => { out += d; });
  child.stderr.setEncoding('utf8').on('data', (d: string) => { out += d; });
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  expect({ code, out }).toMatchObject({ code: 0 });
  const summary = out.match(/jobs: 12, stored once each: (true|false), per worker: (\{.*\})/);
  expect(summary?.[1]).toBe('true');
  const per = JSON.parse(summary![2]) as Record<string, number>;
  expect(Object.keys(per).length).toBeGreaterThanOrEqual(1);
  expect(Object.values(per).reduce((a, b) => a + b, 0)).toBe(12);
});

test("'uplift/queue' loads from CommonJS and ESM through the package exports", async () => {
  const run = (args: string[]): Promise<string> => new Promise((resolve) => {
    const c = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    c.stdout.on('data', (d) => { out += d; });
    c.stderr.on('data', (d) => { out += d; });
    c.on('close', () => resolve(out));
  });
  const esm = await run(['--input-type=module', '-e', "import { createUploadQueue, createUploadWorker, QUEUE_VENDORS } from 'uplift/queue'; console.log(typeof createUploadQueue, typeof createUploadWorker, QUEUE_VENDORS.join(','));"]);
  expect(esm.trim()).toBe('function function eka,kore,plaud,scripe,heify');
  const cjs = await run(['-e', "const q = require('uplift/queue'); console.log(typeof q.createUploadQueue, typeof q.createUploadWorker);"]);
  expect(cjs.trim()).toBe('function function');
});
