// uplift/queue with URL sources: add({ vendor, source: { url, headers?, size? } }) seals the
// URL and its headers with the journalKey before they reach Redis, a worker with the key
// opens them and streams the presigned GET into the vendor; no signature or header value is
// ever in Redis; without a key add() refuses; a worker with another key fails the job once.
import { createHash, randomBytes } from 'node:crypto';
import { plaud, scripe } from '../../lib/index';
import { createUploadQueue, createUploadWorker, type UploadQueue, type UploadWorker } from '../../lib/queue';
import { startSandbox, type Sandbox } from '../../lib/sandbox';
import { S3Client } from '../../lib/sandbox/s3/client';
import { dumpRedis, settled, startRedis, type RedisCli, type RedisServer } from '../queue/helpers';

jest.setTimeout(60000);
const MiB = 1024 * 1024;
const KEY = 'a journal key of the workers, 32+';

let redis: RedisServer;
let sb: Sandbox;
let cli: RedisCli;
let data: Buffer;
let url: string;
let signature: string;
const closers: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  redis = await startRedis();
  sb = await startSandbox();
  const s3 = new S3Client(sb.s3);
  await s3.createBucket('clinic-recordings');
  data = randomBytes(7 * MiB + 5);
  await s3.putObject('clinic-recordings', 'visit-42.mp3', data, data.length);
  url = await s3.presignGet('clinic-recordings', 'visit-42.mp3', 900);
  signature = new URL(url).searchParams.get('X-Amz-Signature') as string;
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const { Redis } = require('ioredis');
  cli = new Redis({ host: '127.0.0.1', port: redis.port });
});
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c().catch(() => {});
});
afterAll(async () => {
  await cli?.quit();
  await sb?.close();
  await redis?.stop();
});

const connection = (): { host: string; port: number } => ({ host: '127.0.0.1', port: redis.port });
const name = (): string => `url-${randomBytes(3).toString('hex')}`;
function queue(n: string, journalKey?: string): UploadQueue {
  const q = createUploadQueue({ connection: connection(), name: n, ...(journalKey ? { journalKey } : {}) });
  closers.push(() => q.close());
  return q;
}
function worker(n: string, journalKey: string): UploadWorker {
  const w = createUploadWorker({
    connection: connection(), name: n, journalKey, concurrency: 2,
    clients: {
      plaud: plaud.client({ token: sb.credentials.plaud.token, baseUrl: sb.urls.plaud }),
      scripe: scripe.client({ apiKey: sb.credentials.scripe.apiKey, baseUrl: sb.urls.scripe }),
    },
  });
  closers.push(() => w.close({ deadlineMs: 0 }));
  return w;
}

/** The settled job's state and the fields the tests read. */
async function settledState(q: UploadQueue, id: string): Promise<{ state: string; failedReason?: string; attemptsMade: number; returnvalue: unknown }> {
  const j = await settled(q, id, 30000);
  return { state: await j.getState(), failedReason: j.failedReason, attemptsMade: j.attemptsMade, returnvalue: j.returnvalue };
}

test('URL jobs run on a worker holding the key; Redis never holds the signature or the header value', async () => {
  const n = name();
  const q = queue(n, KEY);
  worker(n, KEY);
  const teamToken = 'team-token-5c2f9e81d7a4';
  const a = await q.add({ vendor: 'plaud', source: { url, headers: { 'X-Team-Token': teamToken } } });
  const b = await q.add({ vendor: 'scripe', source: { url, size: data.length } });
  const md5 = createHash('md5').update(data).digest('hex');
  const ra = await settledState(q, a.id!);
  const rb = await settledState(q, b.id!);
  expect(ra).toMatchObject({ state: 'completed' });
  expect(rb).toMatchObject({ state: 'completed' });
  expect(ra.returnvalue).toMatchObject({ md5, fileMd5: md5, bytes: data.length, fileType: 'mp3' });
  expect(rb.returnvalue).toMatchObject({ md5, bytes: data.length, contentType: 'audio/mpeg' });
  const stored = sb.objects().filter((o) => o.md5 === md5 && o.bucket !== 'clinic-recordings');
  expect(stored.map((o) => o.bucket).sort()).toEqual([sb.fixtures.buckets.plaudUs, sb.fixtures.buckets.scripe].sort());
  const dump = await dumpRedis(cli);
  expect(dump).toContain('uplift-sealed:v1:');
  expect(dump).not.toContain(signature);
  expect(dump).not.toContain(teamToken);
  expect(dump).not.toContain('visit-42.mp3?');
});

test('without a journalKey add() refuses a URL source, naming job.source and the fix', async () => {
  const q = queue(name());
  const err = await q.add({ vendor: 'plaud', source: { url } }).then(() => undefined, (e: unknown) => e);
  expect(err).toMatchObject({ code: 'ERR_UPLIFT_INVALID_ARGUMENT', field: 'job.source' });
  expect((err as Error).message).toMatch(/journalKey/);
  expect((err as Error).message).not.toContain(signature);
  // a bad URL source is still checked first, field by field
  const keyed = queue(name(), KEY);
  await expect(keyed.add({ vendor: 'plaud', source: { url: 'ftp://x/y' } })).rejects.toMatchObject({ field: 'job.source.url' });
  await expect(keyed.add({ vendor: 'plaud', source: { url, size: -2 } })).rejects.toMatchObject({ field: 'job.source.size' });
});

test('a worker with another key fails the job once, without reaching the source or the vendor', async () => {
  const n = name();
  const q = queue(n, KEY);
  worker(n, 'another key of at least 16 chars');
  const before = sb.log.entries().length;
  const j = await q.add({ vendor: 'plaud', source: { url } }, { attempts: 3 });
  const r = await settledState(q, j.id!);
  expect(r.state).toBe('failed');
  expect(r.attemptsMade).toBe(1);
  expect(r.failedReason).toMatch(/sealed with a journalKey this worker does not have/);
  expect(sb.log.entries().slice(before)).toHaveLength(0);
});
