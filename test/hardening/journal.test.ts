// Resume journals: the file (which holds presigned part URLs) is 0600, also when a stale
// 0644 temporary file is in the way; a journal path that is a folder or cannot be written,
// and a store that throws, fail with a typed InvalidArgumentError for options.journal.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Engine, InvalidArgumentError, plaud, UpliftError } from '../../lib';
import type { JournalStore } from '../../lib';
import { startSandbox, type Sandbox } from '../../lib/sandbox';

const MiB = 1024 * 1024;
let sb: Sandbox;
let engine: Engine;
let dir: string;
let file: string;
let client: plaud.PlaudClient;

beforeAll(async () => {
  sb = await startSandbox();
  engine = new Engine({ retry: { maxAttempts: 1 } });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'uplift-journal-test-'));
  file = path.join(dir, 'long.wav');
  fs.writeFileSync(file, Buffer.alloc(11 * MiB, 5));
  client = plaud.client({ token: sb.credentials.plaud.token, baseUrl: sb.urls.plaud, engine });
});
afterAll(async () => {
  await engine?.close();
  await sb?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function rejection(p: Promise<unknown>): Promise<UpliftError> {
  const e = await p.then(() => undefined, (x: unknown) => x);
  if (e === undefined) throw new Error('expected a rejection');
  return e as UpliftError;
}

test('the journal file is written 0600 while the upload runs (a stale 0644 .tmp is replaced)', async () => {
  const journal = path.join(dir, 'upload.journal');
  fs.writeFileSync(`${journal}.tmp`, 'stale', { mode: 0o644 });
  fs.chmodSync(`${journal}.tmp`, 0o644);
  const modes = new Set<number>();
  const r = await client.uploadFile(file, {
    journal,
    concurrency: 1,
    onProgress: () => {
      if (fs.existsSync(journal)) modes.add(fs.statSync(journal).mode & 0o777);
    },
  });
  expect(r.bytes).toBe(11 * MiB);
  expect([...modes]).toEqual([0o600]);
  expect(fs.existsSync(journal)).toBe(false); // removed once the upload completed
});

test('a journal path that is a folder: InvalidArgumentError for options.journal, cause EISDIR', async () => {
  const e = await rejection(client.uploadFile(file, { journal: dir }));
  expect(e).toBeInstanceOf(InvalidArgumentError);
  expect(e.code).toBe('ERR_UPLIFT_INVALID_ARGUMENT');
  expect((e as InvalidArgumentError).field).toBe('options.journal');
  expect((e.cause as NodeJS.ErrnoException).code).toBe('EISDIR');
  expect(e.message).toContain(dir);
});

test('a journal path whose folder does not exist: InvalidArgumentError, cause ENOENT', async () => {
  const journal = path.join(dir, 'no-such-folder', 'upload.journal');
  const e = await rejection(client.uploadFile(file, { journal }));
  expect(e).toBeInstanceOf(InvalidArgumentError);
  expect((e as InvalidArgumentError).field).toBe('options.journal');
  expect((e.cause as NodeJS.ErrnoException).code).toBe('ENOENT');
});

test('a journal store that throws in get() or set(): InvalidArgumentError with the store error as cause', async () => {
  const boom = new Error('database is down');
  const getFails: JournalStore = { get: async () => { throw boom; }, set: async () => {}, delete: async () => {} };
  const e1 = await rejection(client.uploadFile(file, { journal: getFails }));
  expect(e1).toBeInstanceOf(InvalidArgumentError);
  expect((e1 as InvalidArgumentError).field).toBe('options.journal');
  expect(e1.cause).toBe(boom);
  expect(e1.message).toContain('get()');

  const setFails: JournalStore = { get: async () => undefined, set: () => { throw boom; }, delete: async () => {} };
  const e2 = await rejection(client.uploadFile(file, { journal: setFails }));
  expect(e2).toBeInstanceOf(InvalidArgumentError);
  expect(e2.cause).toBe(boom);
  expect(e2.message).toContain('set()');
});
