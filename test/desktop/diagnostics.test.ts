// node:diagnostics_channel instrumentation against the sandbox, for each of the five
// vendors: a subscriber sees uplift:upload:start, then uplift:part:done for each stored part
// or chunk and uplift:retry for each retried request, then uplift:upload:end (or
// uplift:upload:error), all with one id, and no credential or URL signature in any payload.
import * as dc from 'node:diagnostics_channel';
import { randomBytes } from 'node:crypto';
import { diagnosticsChannels, eka, heify, kore, plaud, putPresigned, scripe } from '../../lib';
import { useSuite } from '../vendors/helpers';
import { startCountingSink } from './helpers';

const s = useSuite('diag');
const MiB = 1024 * 1024;

type Event = { channel: string; msg: Record<string, unknown> };
let events: Event[] = [];
const names = Object.values(diagnosticsChannels);
const listeners = names.map((channel) => {
  const fn = (msg: unknown): void => { events.push({ channel, msg: msg as Record<string, unknown> }); };
  return { channel, fn };
});
beforeAll(() => { for (const l of listeners) dc.subscribe(l.channel, l.fn); });
afterAll(() => { for (const l of listeners) dc.unsubscribe(l.channel, l.fn); });
beforeEach(() => { events = []; });

/** The channel sequence with parts and retries summarised, e.g. ['start', 'retry:2', 'part', 'end']. */
function sequence(): string[] {
  return events.map((e) => {
    const short = e.channel.replace(/^uplift:(upload:)?/, '');
    return short === 'retry' ? `retry:${String(e.msg.partNumber)}` : short;
  });
}

function checkCommon(operation: string, vendor: string, secrets: string[]): void {
  expect(events.length).toBeGreaterThanOrEqual(2);
  const ids = new Set(events.map((e) => e.msg.id));
  expect(ids.size).toBe(1);
  for (const e of events) expect(e.msg).toMatchObject({ operation, vendor });
  const text = JSON.stringify(events.map((e) => ({ ...e.msg, error: String((e.msg.error as Error | undefined)?.message ?? '') })));
  for (const secret of secrets) expect(text).not.toContain(secret);
  expect(text).not.toMatch(/X-Amz-Signature=[0-9a-f]{8}/i);
}

test('plaud: start, a retried part, every part done, end', async () => {
  const c = plaud.client({ token: s.sb.credentials.plaud.token, baseUrl: s.sb.urls.plaud, engine: s.engine });
  s.sb.faults.add({ target: 's3', op: 'UploadPart', partNumber: 2, action: { status: 503, code: 'SlowDown' } });
  await c.uploadFile(randomBytes(2 * 5242880 + 10), { fileType: 'mp3' });
  const seq = sequence();
  expect(seq[0]).toBe('start');
  expect(seq[seq.length - 1]).toBe('end');
  expect(seq.filter((x) => x === 'part:done')).toHaveLength(3);
  expect(seq).toContain('retry:2');
  expect(seq.indexOf('retry:2')).toBeLessThan(seq.length - 1);
  const retry = events.find((e) => e.channel === 'uplift:retry')!.msg;
  expect(retry).toMatchObject({ partNumber: 2, attempt: 1, delayMs: expect.any(Number), error: { code: 'ERR_UPLIFT_RATE_LIMITED', status: 503, retryable: true } });
  const parts = events.filter((e) => e.channel === 'uplift:part:done').map((e) => e.msg.partNumber).sort();
  expect(parts).toEqual([1, 2, 3]);
  for (const p of events.filter((e) => e.channel === 'uplift:part:done')) expect(p.msg.etag).toMatch(/^"[0-9a-f]{32}"$/);
  expect(events[events.length - 1].msg.durationMs).toEqual(expect.any(Number));
  checkCommon('plaud.uploadFile', 'plaud', [s.sb.credentials.plaud.token]);
});

test('kore: start, a retried chunk, every chunk done, end', async () => {
  const c = kore.client({ apiKey: s.sb.credentials.kore.apiKey, baseUrl: s.sb.urls.kore, engine: s.engine });
  const data = randomBytes(3 * MiB - 100);
  const session = await c.presign({ fileContext: 'bulkImport', fileName: 'diag.m4a', fileSize: data.length, totalChunks: 3, fileExtension: 'm4a', chunkSizeBytes: MiB });
  expect(events).toEqual([]); // presign sends no file: nothing published
  s.sb.faults.add({ target: 'kore', op: 'chunk', action: { status: 503 } });
  await c.upload(session, data);
  const seq = sequence();
  expect(seq[0]).toBe('start');
  expect(seq[seq.length - 1]).toBe('end');
  expect(seq.filter((x) => x === 'part:done')).toHaveLength(3);
  expect(seq.filter((x) => x.startsWith('retry:'))).toHaveLength(1);
  checkCommon('kore.upload', 'kore', [s.sb.credentials.kore.apiKey]);
  events = [];
  await c.complete(session);
  expect(events).toEqual([]);
});

test('eka: start, a retried form POST, end', async () => {
  const c = eka.client({ token: s.sb.credentials.eka.token, baseUrl: s.sb.urls.eka, engine: s.engine });
  s.sb.faults.add({ target: 's3', op: 'PostObject', action: { status: 503 } });
  await c.uploadFiles({ source: randomBytes(64 * 1024), name: 'diag.wav' }, { txnId: 'txn-diag' });
  const seq = sequence();
  expect(seq[0]).toBe('start');
  expect(seq[seq.length - 1]).toBe('end');
  expect(seq.filter((x) => x.startsWith('retry:'))).toHaveLength(1);
  checkCommon('eka.uploadFiles', 'eka', [s.sb.credentials.eka.token]);
});

test('scripe: start and end; a rejected key publishes upload:error with the UpliftError, redacted', async () => {
  const keys = s.sb.credentials.scripe;
  const c = scripe.client({ apiKey: keys.apiKey, baseUrl: s.sb.urls.scripe, engine: s.engine });
  await c.uploadFile(randomBytes(100 * 1024), { contentType: 'audio/mpeg' });
  expect(sequence()).toEqual(['start', 'end']);
  checkCommon('scripe.uploadFile', 'scripe', [keys.apiKey]);
  events = [];
  const bad = scripe.client({ apiKey: keys.revokedApiKey, baseUrl: s.sb.urls.scripe, engine: s.engine });
  await expect(bad.uploadFile(Buffer.from('abc'), { contentType: 'audio/mpeg' })).rejects.toMatchObject({ code: 'ERR_UPLIFT_AUTH' });
  expect(sequence()).toEqual(['start', 'error']);
  expect(events[1].msg.error).toMatchObject({ code: 'ERR_UPLIFT_AUTH', vendor: 'scripe' });
  checkCommon('scripe.uploadFile', 'scripe', [keys.revokedApiKey]);
});

test('heify: start, a retried PUT, end', async () => {
  const fx = s.sb.fixtures.heify;
  const c = heify.client({ apiKey: s.sb.credentials.heify.apiKey, baseUrl: s.sb.urls.heify, engine: s.engine });
  s.sb.faults.add({ target: 's3', op: 'PutObject', action: { status: 500 } });
  await c.uploadFile(randomBytes(128 * 1024), { configurationId: fx.configurationId, name: 'diag.mp3' });
  const seq = sequence();
  expect(seq[0]).toBe('start');
  expect(seq[seq.length - 1]).toBe('end');
  expect(seq.filter((x) => x.startsWith('retry:'))).toHaveLength(1);
  checkCommon('heify.uploadFile', 'heify', [s.sb.credentials.heify.apiKey]);
});

test('generic primitives publish too, with the URL redacted', async () => {
  const sink = await startCountingSink();
  try {
    const url = `${sink.url}/obj.bin?X-Amz-Expires=60&X-Amz-Signature=${'ef'.repeat(32)}`;
    await putPresigned(url, randomBytes(1000), { engine: s.engine });
    expect(sequence()).toEqual(['start', 'end']);
    expect(events[0].msg).toMatchObject({ operation: 'putPresigned', url: expect.stringContaining('/obj.bin') });
    expect(JSON.stringify(events)).not.toContain('ef'.repeat(32));
    expect(events[0].msg.vendor).toBeUndefined();
  } finally {
    await sink.close();
  }
});

test('nothing is published without subscribers', async () => {
  for (const l of listeners) dc.unsubscribe(l.channel, l.fn);
  const c = scripe.client({ apiKey: s.sb.credentials.scripe.apiKey, baseUrl: s.sb.urls.scripe, engine: s.engine });
  try {
    await c.uploadFile(randomBytes(1000), { contentType: 'audio/mpeg' });
    expect(events).toEqual([]);
  } finally {
    for (const l of listeners) dc.subscribe(l.channel, l.fn);
  }
});
