// A vendor's complete step works before it answers (Kore merges the chunks, Plaud completes
// the S3 multipart upload). Waiting for that answer is not a stall: a short timeouts.stallMs
// must not cut it and send complete again, which would find the session busy or gone (or
// complete twice). timeouts.responseMs still bounds the wait.
import { kore, plaud } from '../../lib';
import { logSince, makeFile, MiB, rejection, useSuite } from './helpers';

const s = useSuite('slow-complete');
const completes = (from: number, target: string) =>
  logSince(s.sb, from).filter((e) => e.target === target && e.op === 'complete');

test('Kore: a complete that takes longer than stallMs is waited for, sent once', async () => {
  const f = makeFile(s.dir, 'board-meeting.wav', 26 * MiB);
  s.sb.faults.add({ target: 'kore', op: 'complete', action: { stallMs: 1500 } });
  const from = s.sb.log.entries().length;
  const c = kore.client({ apiKey: s.sb.credentials.kore.apiKey, baseUrl: s.sb.urls.kore, engine: s.engine });
  const r = await c.uploadFile(f.path, { fileContext: 'bulkImport', timeouts: { stallMs: 500 } });
  expect(r).toMatchObject({ mode: 'chunked', bytes: f.data.length, md5: f.md5 });
  expect(completes(from, 'kore').map((e) => e.status)).toEqual([200]);
});

test('Plaud: a complete-upload that takes longer than stallMs is waited for, sent once', async () => {
  const f = makeFile(s.dir, 'interview.mp3', 11 * MiB);
  s.sb.faults.add({ target: 'plaud', op: 'complete', action: { stallMs: 1500 } });
  const from = s.sb.log.entries().length;
  const c = plaud.client({ token: s.sb.credentials.plaud.token, baseUrl: s.sb.urls.plaud, engine: s.engine });
  const r = await c.uploadFile(f.path, { timeouts: { stallMs: 500 } });
  expect(r.md5).toBe(f.md5);
  expect(completes(from, 'plaud').map((e) => e.status)).toEqual([200]);
});

test('Kore: responseMs still bounds the wait for complete (typed, not retried)', async () => {
  const f = makeFile(s.dir, 'long-call.wav', 26 * MiB);
  s.sb.faults.add({ target: 'kore', op: 'complete', action: { stallMs: 3000 } });
  const c = kore.client({ apiKey: s.sb.credentials.kore.apiKey, baseUrl: s.sb.urls.kore, engine: s.engine });
  const err = await rejection(c.uploadFile(f.path, { fileContext: 'bulkImport', timeouts: { stallMs: 500, responseMs: 1000 } }));
  expect(err).toMatchObject({ code: 'ERR_UPLIFT_TIMEOUT', kind: 'response', vendor: 'kore' });
});
