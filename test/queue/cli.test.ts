/**
 * `uplift worker` and `uplift enqueue` against a private redis-server and the sandbox:
 * enqueued files are uploaded by the worker, SIGTERM stops it with exit code 0, and bad
 * calls exit 2 with one clear line. Needs dist/ (`npm run build:ts`).
 */
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { startSandbox, type Sandbox } from '../../lib/sandbox';
import { assertBuilt, cliEnv, killLiveChildren, makeTempDir, removeDir, runCli, startCli } from '../cli/helpers';
import { startRedis, type RedisServer } from './helpers';

jest.setTimeout(60000);

let redis: RedisServer;
let sb: Sandbox;
let dir: string;

beforeAll(async () => {
  assertBuilt();
  redis = await startRedis();
  sb = await startSandbox();
  dir = makeTempDir();
});

afterEach(killLiveChildren);

afterAll(async () => {
  await sb?.close();
  await redis?.stop();
  removeDir(dir);
});

test('uplift enqueue adds jobs that uplift worker uploads; SIGTERM stops the worker cleanly', async () => {
  const env = cliEnv(dir, {
    UPLIFT_REDIS_URL: `redis://127.0.0.1:${redis.port}`,
    UPLIFT_QUEUE: 'clitest',
    UPLIFT_PLAUD_URL: sb.urls.plaud, UPLIFT_PLAUD_TOKEN: sb.credentials.plaud.token,
    UPLIFT_SCRIPE_URL: sb.urls.scripe, UPLIFT_SCRIPE_API_KEY: sb.credentials.scripe.apiKey,
  });
  const worker = startCli(['worker'], env);
  await worker.waitFor('stdout', /serving plaud, scripe on queue 'clitest'/);
  const files = [0, 1, 2].map((i) => {
    const buf = randomBytes(20000 + i);
    const p = path.join(dir, `rec${i}.mp3`);
    fs.writeFileSync(p, buf);
    return { p, md5: createHash('md5').update(buf).digest('hex') };
  });
  const plaudRun = await runCli(['enqueue', '--vendor', 'plaud', files[0].p, files[1].p], env);
  expect(plaudRun).toMatchObject({ code: 0, stderr: '' });
  const ids = plaudRun.stdout.trim().split('\n').map((l) => l.split(' ')[0]);
  expect(ids).toHaveLength(2);
  const scripeRun = await runCli(['enqueue', '--vendor', 'scripe', '--json', files[2].p], env);
  expect(scripeRun.code).toBe(0);
  const scripeId = JSON.parse(scripeRun.stdout).jobs[0].id as string;
  for (const id of [...ids, scripeId]) await worker.waitFor('stdout', new RegExp(`completed ${id} `));
  for (const f of files) expect(sb.objects().filter((o) => o.md5 === f.md5)).toHaveLength(1);
  worker.child.kill('SIGTERM');
  expect(await worker.exited).toEqual({ code: 0, signal: null });
  const out = worker.stdout() + worker.stderr();
  expect(out).not.toContain(sb.credentials.plaud.token);
  expect(out).not.toContain(sb.credentials.scripe.apiKey);
});

test('bad queue calls exit 2 with one line', async () => {
  const env = cliEnv(dir, { UPLIFT_REDIS_URL: `redis://127.0.0.1:${redis.port}` });
  const noVendor = await runCli(['enqueue', path.join(dir, 'x.mp3')], env);
  expect(noVendor.code).toBe(2);
  expect(noVendor.stderr).toMatch(/--vendor is required/);
  const noCred = await runCli(['worker'], env);
  expect(noCred.code).toBe(2);
  expect(noCred.stderr).toMatch(/no vendor credential set/);
  const badRedis = await runCli(['worker', '--redis', 'http://x'], cliEnv(dir, { UPLIFT_PLAUD_TOKEN: 'tok-1234' }));
  expect(badRedis.code).toBe(2);
  expect(badRedis.stderr).toMatch(/--redis must be a redis:\/\//);
  const missing = await runCli(['enqueue', '--vendor', 'plaud', path.join(dir, 'missing.mp3')], env);
  expect(missing.code).toBe(2);
  expect(missing.stderr).toMatch(/no file at/);
});
