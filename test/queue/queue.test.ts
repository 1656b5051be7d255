/**
 * uplift/queue on BullMQ against a private redis-server and the sandbox: jobs spread over
 * two worker processes, stalled-job takeover after kill -9 with resume from the Redis
 * journal, non-retryable failures, cancel, graceful close, and no credential in Redis.
 * Needs dist/ (`npm run build:ts`) for the worker processes.
 */
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Engine, plaud, scripe } from '../../lib/index';
import { createUploadQueue, createUploadWorker, type UploadJobData, type UploadQueue, type UploadWorker } from '../../lib/queue';
import { startSandbox, type Sandbox } from '../../lib/sandbox';
import { dumpRedis, ROOT, settled, startRedis, startWorker, type RedisCli, type RedisServer, type SettledJob, type WorkerChild } from './helpers';

jest.setTimeout(120000);

const MiB = 1024 * 1024;
let redis: RedisServer;
let sb: Sandbox;
let dir: string;
let cli: RedisCli;

// eslint-disable-next-line @typescript-eslint/no-var-requires
const { Redis } = require('ioredis') as { Redis: new (o: { host: string; port: number }) => RedisCli };
const children: WorkerChild[] = [];
const closers: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  if (!fs.existsSync(path.join(ROOT, 'dist', 'queue', 'index.js'))) throw new Error('dist/queue/index.js is missing: run `npm run build:ts` first');
  redis = await startRedis();
  sb = await startSandbox();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'uplift-queue-'));
  cli = new Redis({ host: '127.0.0.1', port: redis.port });
});

afterEach(async () => {
  for (const c of children.splice(0)) {
    if (c.child.exitCode === null && c.child.signalCode === null) c.child.kill('SIGKILL');
    await c.exited;
  }
  for (const close of closers.splice(0).reverse()) await close().catch(() => {});
});

afterAll(async () => {
  await cli?.quit();
  await sb?.close();
  await redis?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

const connection = (): { host: string; port: number } => ({ host: '127.0.0.1', port: redis.port });
let seq = 0;
const uniqueName = (): string => `q${++seq}-${randomBytes(3).toString('hex')}`;

function writeFile(name: string, bytes: number): { path: string; md5: string } {
  const p = path.join(dir, name);
  const buf = randomBytes(bytes);
  fs.writeFileSync(p, buf);
  return { path: p, md5: createHash('md5').update(buf).digest('hex') };
}

function queue(name: string): UploadQueue {
  const q = createUploadQueue({ connection: connection(), name });
  closers.push(() => q.close());
  return q;
}

function inProcessWorker(name: string, opts: Partial<Parameters<typeof createUploadWorker>[0]>): UploadWorker {
  const w = createUploadWorker({ connection: connection(), name, clients: {}, ...opts });
  closers.push(() => w.close({ deadlineMs: 0 }));
  return w;
}

function child(name: string, extra: Record<string, unknown> = {}): WorkerChild {
  const c = startWorker({ name, redisPort: redis.port, sandbox: { urls: sb.urls, credentials: sb.credentials }, ...extra });
  children.push(c);
  return c;
}

function credentialStrings(): string[] {
  const out: string[] = [];
  const walk = (v: unknown): void => {
    if (typeof v === 'string') out.push(v);
    else if (v && typeof v === 'object') Object.values(v).forEach(walk);
  };
  walk(sb.credentials);
  return out.filter((s) => s.length >= 8);
}

const SIGNATURE_RE = /X-Amz-Signature=[0-9a-f]{16}|[?&]s=[A-Za-z0-9_-]{16}|[?&]Signature=[A-Za-z0-9%+/]{16}/;

test('50 jobs across two worker processes all complete, each stored once with the right MD5; Redis holds no credential', async () => {
  const name = uniqueName();
  const journalKey = randomBytes(24).toString('base64');
  const a = child(name, { journalKey });
  const b = child(name, { journalKey });
  await Promise.all([a.waitFor(/^ready/), b.waitFor(/^ready/)]);
  const q = queue(name);
  const before = new Set(sb.objects().map((o) => `${o.bucket}/${o.key}`));
  const files: { id: string; md5: string }[] = [];
  for (let i = 0; i < 50; i++) {
    const vendor = (['plaud', 'kore', 'eka', 'scripe', 'heify'] as const)[i % 5];
    const f = writeFile(`f${i}.wav`, 16 * 1024 + i * 4099);
    const options = vendor === 'eka' ? { txnId: `txn-${name}-${i}` }
      : vendor === 'kore' ? { fileContext: 'bulkImport' }
        : vendor === 'heify' ? { configurationId: sb.fixtures.heify.configurationId } : {};
    const job = await q.add({ vendor, source: f.path, options });
    files.push({ id: job.id!, md5: f.md5 });
  }
  for (const f of files) {
    const j = await settled(q, f.id);
    expect({ id: f.id, state: await j.getState(), failed: j.failedReason ?? null }).toEqual({ id: f.id, state: 'completed', failed: null });
    expect(j.attemptsMade).toBeLessThanOrEqual(1);
  }
  const stored = sb.objects().filter((o) => !before.has(`${o.bucket}/${o.key}`));
  expect(stored).toHaveLength(50);
  const md5s = stored.map((o) => o.md5).sort();
  expect(md5s).toEqual(files.map((f) => f.md5).sort());
  // both processes took jobs
  const byA = a.lines.filter((l) => l.startsWith('completed')).length;
  const byB = b.lines.filter((l) => l.startsWith('completed')).length;
  expect(byA + byB).toBe(50);
  expect(byA).toBeGreaterThan(0);
  expect(byB).toBeGreaterThan(0);
  // progress went to the job, the result is its return value (signatures redacted)
  const plaudJob = (await q.getJob(files[0].id))!;
  expect(plaudJob.progress).toMatchObject({ bytesSent: 16 * 1024, totalBytes: 16 * 1024 });
  expect(plaudJob.returnvalue).toMatchObject({ fileMd5: files[0].md5 });
  const dump = await dumpRedis(cli);
  expect(dump.length).toBeGreaterThan(1000);
  for (const secret of credentialStrings()) expect(dump.includes(secret)).toBe(false);
  expect(dump).not.toMatch(SIGNATURE_RE);
  expect(dump).not.toContain(journalKey);
});

test('kill -9 of a worker mid-Plaud upload: another worker takes the job over and sends only the parts not stored', async () => {
  const name = uniqueName();
  const journalKey = randomBytes(24).toString('base64');
  const stall = { lockDuration: 1500, stalledInterval: 500, journalKey, concurrency: 1 };
  const f = writeFile('big.wav', 8 * 5 * MiB + 12345); // 9 parts of 5 MiB
  // parts 4.. answer slowly, so the first worker is killed while part 4 is in flight
  sb.faults.add({ target: 's3', op: 'UploadPart', partNumber: 4, action: { stallMs: 10000 } });
  const a = child(name, stall);
  await a.waitFor(/^ready/);
  const q = queue(name);
  sb.log.clear();
  const job = await q.add({ vendor: 'plaud', source: f.path, options: { concurrency: 1 } });
  await a.waitFor(new RegExp(`^active ${job.id}`));
  // the second worker starts while the first uploads (its start-up on a loaded machine must
  // not outlast part 4's stall, or the first worker finishes the job before the kill)
  const b = child(name, stall);
  const partsDone = async (): Promise<number[]> => sb.log.entries({ target: 's3', op: 'UploadPart', status: 200 }).map((e) => e.partNumber!);
  const until = Date.now() + 30000;
  while ((await partsDone()).length < 3) {
    if (Date.now() > until) throw new Error('parts 1-3 were not stored');
    await new Promise((r) => setTimeout(r, 20));
  }
  await new Promise((r) => setTimeout(r, 400)); // the journal write of part 3
  // the journal is in Redis, sealed: no part URL signature readable
  const jkey = `bull:${name}-plaud:uplift:journal:${job.id}`;
  const sealed = await cli.call('GET', jkey) as string | null;
  expect(sealed).toMatch(/^uplift-sealed:v1:/);
  expect(sealed).not.toMatch(SIGNATURE_RE);
  await b.waitFor(/^ready/);
  const killedAt = Date.now();
  a.child.kill('SIGKILL');
  await a.exited;
  const j = await settled(q, job.id!, 60000);
  expect(await j.getState()).toBe('completed');
  // the completion line may reach us just after the job's state in Redis
  expect(await b.waitFor(new RegExp(`^completed ${job.id}$`), 10000)).toBe(`completed ${job.id}`);
  const ok = sb.log.entries({ target: 's3', op: 'UploadPart', status: 200 });
  const sentAfterKill = ok.filter((e) => e.time > killedAt).map((e) => e.partNumber!);
  // parts 1-3 were stored before the kill and never sent again
  for (const n of [1, 2, 3]) expect(ok.filter((e) => e.partNumber === n)).toHaveLength(1);
  expect(sentAfterKill.filter((n) => n <= 3)).toEqual([]);
  // every part is stored, parts 5-9 exactly once
  for (let n = 5; n <= 9; n++) expect(ok.filter((e) => e.partNumber === n)).toHaveLength(1);
  expect(new Set(ok.map((e) => e.partNumber))).toEqual(new Set([1, 2, 3, 4, 5, 6, 7, 8, 9]));
  const stored = sb.objects().filter((o) => o.md5 === f.md5);
  expect(stored).toHaveLength(1);
  expect(j.returnvalue).toMatchObject({ fileMd5: f.md5 });
  expect(await cli.call('EXISTS', jkey)).toBe(0);
});

test('a wrong vendor token fails the job once, without retries; the failure is typed and redacted', async () => {
  const name = uniqueName();
  const engine = new Engine();
  closers.push(() => engine.close());
  const w = inProcessWorker(name, { clients: { plaud: plaud.client({ token: 'wrong-token-0123456789', baseUrl: sb.urls.plaud, engine }) } });
  await w.ready();
  const q = queue(name);
  const f = writeFile('auth.wav', 4096);
  sb.log.clear();
  const job = await q.add({ vendor: 'plaud', source: f.path }, { attempts: 4, backoff: { type: 'fixed', delay: 50 } });
  const j = await settled(q, job.id!);
  expect(await j.getState()).toBe('failed');
  expect(j.attemptsMade).toBe(1);
  expect(j.failedReason).toMatch(/^ERR_UPLIFT_AUTH \(HTTP 401\)/);
  expect(j.failedReason).not.toContain('wrong-token-0123456789');
  await new Promise((r) => setTimeout(r, 300));
  expect(sb.log.entries({ target: 'plaud', op: 'presign' })).toHaveLength(1);
});

test('a job added through plain BullMQ with bad data fails once as invalid, never reaching the vendor', async () => {
  const name = uniqueName();
  const w = inProcessWorker(name, { clients: { plaud: plaud.client({ token: sb.credentials.plaud.token, baseUrl: sb.urls.plaud }) } });
  await w.ready();
  const q = queue(name);
  const f = writeFile('raw.wav', 100);
  sb.log.clear();
  const raw = await q.queue('plaud').add('plaud', { vendor: 'plaud', source: f.path, options: { signal: 'x' } }, { attempts: 3 });
  const j = await settled(q, raw.id!);
  expect(await j.getState()).toBe('failed');
  expect(j.attemptsMade).toBe(1);
  expect(j.failedReason).toMatch(/^ERR_UPLIFT_INVALID_ARGUMENT: job\.options\.signal/);
  expect(sb.log.entries({ target: 'plaud' })).toEqual([]);
});

test('a network failure is retried by BullMQ and then succeeds', async () => {
  const name = uniqueName();
  const engine = new Engine({ retry: { maxAttempts: 1 } });
  closers.push(() => engine.close());
  const w = inProcessWorker(name, { clients: { scripe: scripe.client({ apiKey: sb.credentials.scripe.apiKey, baseUrl: sb.urls.scripe, engine }) } });
  await w.ready();
  const q = queue(name);
  const f = writeFile('retry.wav', 8192);
  sb.faults.add({ target: 'scripe', action: { status: 503 }, times: 1 });
  const job = await q.add({ vendor: 'scripe', source: f.path }, { attempts: 3, backoff: { type: 'fixed', delay: 50 } });
  const j = await settled(q, job.id!);
  expect(await j.getState()).toBe('completed');
  expect(j.attemptsMade).toBe(2);
  expect(j.failedReason).toMatch(/^ERR_UPLIFT_VENDOR \(HTTP 503\)/); // the first attempt's
  expect(sb.objects().filter((o) => o.md5 === f.md5)).toHaveLength(1);
});

test('cancel stops a running upload within a second and fails the job without retry; a waiting job is removed', async () => {
  const name = uniqueName();
  const w = inProcessWorker(name, { concurrency: 1, clients: { plaud: plaud.client({ token: sb.credentials.plaud.token, baseUrl: sb.urls.plaud }) } });
  await w.ready();
  const q = queue(name);
  const f = writeFile('cancel.wav', 6 * 5 * MiB); // 6 parts
  const waiting = writeFile('waiting.wav', 1024);
  sb.log.clear();
  // part 2 hangs: the upload is mid-flight when it is cancelled
  sb.faults.add({ target: 's3', op: 'UploadPart', partNumber: 2, action: { stallMs: 8000 } });
  const job = await q.add({ vendor: 'plaud', source: f.path, options: { concurrency: 1 } }, { attempts: 3 });
  const second = await q.add({ vendor: 'plaud', source: waiting.path });
  const until = Date.now() + 20000;
  while (sb.log.entries({ target: 's3', op: 'UploadPart', partNumber: 1, status: 200 }).length === 0) {
    if (Date.now() > until) throw new Error('the upload did not start');
    await new Promise((r) => setTimeout(r, 20));
  }
  await new Promise((r) => setTimeout(r, 200));
  expect(await q.cancel(second.id!)).toBe('removed');
  const t0 = Date.now();
  expect(await q.cancel(job.id!)).toBe('cancelling');
  const j = await settled(q, job.id!, 5000);
  const elapsed = Date.now() - t0;
  expect(elapsed).toBeLessThan(1000);
  expect(await j.getState()).toBe('failed');
  expect(j.failedReason).toMatch(/^ERR_UPLIFT_ABORTED/);
  expect(j.attemptsMade).toBe(1);
  expect(w.running).toBe(0);
  await new Promise((r) => setTimeout(r, 1500));
  // no part after the hanging one was ever sent, nothing was stored
  expect(sb.log.entries({ target: 's3', op: 'UploadPart' }).filter((e) => e.partNumber! > 2)).toEqual([]);
  expect(sb.log.entries({ target: 'plaud', op: 'complete' })).toEqual([]);
  expect(sb.objects().filter((o) => o.md5 === f.md5)).toHaveLength(0);
  expect(await q.getJob(second.id!)).toBeUndefined();
  expect(await cli.call('EXISTS', `bull:${name}-plaud:uplift:journal:${job.id}`)).toBe(0);
});

test('close() with a deadline stops a running upload and puts the job back without using an attempt; the next worker resumes it', async () => {
  const name = uniqueName();
  const w = createUploadWorker({ connection: connection(), name, concurrency: 1, clients: { plaud: plaud.client({ token: sb.credentials.plaud.token, baseUrl: sb.urls.plaud }) } });
  await w.ready();
  const q = queue(name);
  const f = writeFile('shutdown.wav', 3 * 5 * MiB); // 3 parts
  sb.log.clear();
  sb.faults.add({ target: 's3', op: 'UploadPart', partNumber: 2, action: { stallMs: 5000 } });
  const job = await q.add({ vendor: 'plaud', source: f.path, options: { concurrency: 1 } });
  const until = Date.now() + 20000;
  while (sb.log.entries({ target: 's3', op: 'UploadPart', partNumber: 1, status: 200 }).length === 0) {
    if (Date.now() > until) throw new Error('the upload did not start');
    await new Promise((r) => setTimeout(r, 20));
  }
  await new Promise((r) => setTimeout(r, 300));
  const t0 = Date.now();
  await w.close({ deadlineMs: 200 });
  expect(Date.now() - t0).toBeLessThan(3000);
  const back = (await q.getJob(job.id!))!;
  expect(['waiting', 'delayed']).toContain(await back.getState());
  expect(back.attemptsMade).toBe(0);
  expect(await cli.call('EXISTS', `bull:${name}-plaud:uplift:journal:${job.id}`)).toBe(1);
  // another worker finishes it without sending part 1 again
  const w2 = inProcessWorker(name, { clients: { plaud: plaud.client({ token: sb.credentials.plaud.token, baseUrl: sb.urls.plaud }) } });
  await w2.ready();
  const done = await settled(q, job.id!);
  expect(await done.getState()).toBe('completed');
  expect(sb.log.entries({ target: 's3', op: 'UploadPart', partNumber: 1, status: 200 })).toHaveLength(1);
  expect(sb.objects().filter((o) => o.md5 === f.md5)).toHaveLength(1);
});

test('the limiter is per vendor: Plaud jobs are held to 2 per second while Scripe jobs run at once', async () => {
  const name = uniqueName();
  const w = inProcessWorker(name, {
    concurrency: 4,
    limiter: { plaud: { max: 2, duration: 1000 } },
    clients: {
      plaud: plaud.client({ token: sb.credentials.plaud.token, baseUrl: sb.urls.plaud }),
      scripe: scripe.client({ apiKey: sb.credentials.scripe.apiKey, baseUrl: sb.urls.scripe }),
    },
  });
  await w.ready();
  const q = queue(name);
  const f = writeFile('limited.wav', 2048);
  const t0 = Date.now();
  const plaudJobs: { id?: string }[] = await Promise.all([0, 1, 2, 3, 4, 5].map(() => q.add({ vendor: 'plaud', source: f.path })));
  const scripeJobs: { id?: string }[] = await Promise.all([0, 1, 2, 3, 4, 5].map(() => q.add({ vendor: 'scripe', source: f.path })));
  const scripeDone: SettledJob[] = await Promise.all(scripeJobs.map((j) => settled(q, j.id!)));
  const plaudDone: SettledJob[] = await Promise.all(plaudJobs.map((j) => settled(q, j.id!)));
  for (const j of [...scripeDone, ...plaudDone]) expect(await j.getState()).toBe('completed');
  const startedPlaud = plaudDone.map((j) => j.processedOn! - t0).sort((a: number, b: number) => a - b);
  const lastScripe = Math.max(...scripeDone.map((j) => j.finishedOn! - t0));
  // 6 Plaud jobs at 2 per second: the 5th and 6th start 2 s windows after the first
  expect(startedPlaud[5] - startedPlaud[0]).toBeGreaterThanOrEqual(1800);
  expect(lastScripe).toBeLessThan(startedPlaud[5]);
});

test('a Redis that does not answer: add(), getJob() and cancel() reject with ERR_UPLIFT_NETWORK after redisTimeoutMs', async () => {
  const q = createUploadQueue({ connection: { host: '127.0.0.1', port: 1 }, name: uniqueName(), redisTimeoutMs: 300 });
  closers.push(() => q.close());
  const f = writeFile('offline.wav', 10);
  const t0 = Date.now();
  await expect(q.add({ vendor: 'plaud', source: f.path })).rejects.toMatchObject({ code: 'ERR_UPLIFT_NETWORK', retryable: true, message: expect.stringMatching(/^add: Redis did not answer within 300 ms/) });
  expect(Date.now() - t0).toBeLessThan(2000);
  await expect(q.getJob('some-id')).rejects.toMatchObject({ code: 'ERR_UPLIFT_NETWORK' });
  await expect(q.cancel('some-id')).rejects.toMatchObject({ code: 'ERR_UPLIFT_NETWORK' });
  await expect(q.cancel(42 as unknown as string)).rejects.toMatchObject({ code: 'ERR_UPLIFT_INVALID_ARGUMENT', field: 'job' });
});

test('add() checks its job: vendor, source, required options, and no credential or worker-owned option', async () => {
  const q = queue(uniqueName());
  const f = writeFile('check.wav', 10);
  await expect(q.add({ vendor: 'nope' as 'plaud', source: f.path })).rejects.toMatchObject({ code: 'ERR_UPLIFT_INVALID_ARGUMENT', field: 'job.vendor' });
  await expect(q.add({ vendor: 'plaud', source: '' })).rejects.toMatchObject({ field: 'job.source' });
  await expect(q.add({ vendor: 'plaud', source: { url: 'http://127.0.0.1/x' } as unknown as string })).rejects.toMatchObject({ field: 'job.source' });
  await expect(q.add({ vendor: 'kore', source: f.path })).rejects.toMatchObject({ field: 'job.options.fileContext' });
  await expect(q.add({ vendor: 'plaud', source: f.path, options: { token: 'x' } })).rejects.toMatchObject({ field: 'job.options.token' });
  await expect(q.add({ vendor: 'plaud', source: f.path, options: { nested: { apiKey: 'k' } } })).rejects.toMatchObject({ field: 'job.options.nested.apiKey' });
  await expect(q.add({ vendor: 'plaud', source: f.path, options: { journal: '/tmp/j' } })).rejects.toMatchObject({ field: 'job.options.journal' });
  expect(() => createUploadWorker({ connection: connection(), name: 'x', clients: {} })).toThrow(expect.objectContaining({ field: 'options.clients' }));
  expect(() => createUploadWorker({ connection: connection(), name: 'x', clients: { plaud: plaud.client({ token: 't0123', baseUrl: sb.urls.plaud }) }, journalKey: 'short' })).toThrow(expect.objectContaining({ field: 'options.journalKey' }));
  expect(() => createUploadQueue({ connection: connection(), name: 'bad name' })).toThrow(expect.objectContaining({ field: 'options.name' }));
});
