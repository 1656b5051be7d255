// uplift/express end to end: a real Express app on 127.0.0.1 with uploadToVendor in front of
// the sandbox vendors; uploads sent with fetch + FormData and with curl -F. Spool folders go
// to a private TMPDIR so leftovers can be counted.
import { mkdtempSync, openAsBlob, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import { Engine, eka, heify, kore, plaud, scripe, UpliftError } from '../../lib';
import { uploadToVendor, type UpliftFormResult } from '../../lib/express';
import { startSandbox, type Sandbox } from '../../lib/sandbox';
import { curlForm, listen, md5, MiB, multipartHead, randomBuffer, rawPost, spoolDirs, waitFor, type Running } from './helpers';

const privateTmp = mkdtempSync(join(tmpdir(), 'uplift-express-test-'));
process.env.TMPDIR = privateTmp;

let sb: Sandbox;
let engine: Engine;
let server: Running;
let dir: string;
/** Every vendor upload the Plaud route started, settled or not. */
const started: Promise<unknown>[] = [];
/** Most uploads the /plaud-one route (maxConcurrentUploads 1) ran at once. */
let maxInFlight = 0;
/** Aborts the uploads of the /plaud-stop route (a server shutdown signal). */
const shutdown = new AbortController();

const LIMIT = 8 * MiB;

interface TestFile { path: string; name: string; data: Buffer; md5: string }
function makeFile(name: string, size: number): TestFile {
  const data = randomBuffer(size);
  const path = join(dir, name);
  writeFileSync(path, data);
  return { path, name, data, md5: md5(data) };
}

/** The rejection of `p` (Node's own errors come from another realm: no instanceof Error). */
async function rejectionOf(p: Promise<unknown>): Promise<{ name: string; code?: string }> {
  const e = await p.then(() => undefined, (x: unknown) => x ?? null);
  if (e === undefined) throw new Error('expected the vendor upload to fail, but it resolved');
  return e as { name: string; code?: string };
}

function storedMd5s(): string[] {
  return sb.objects().map((o) => o.md5);
}

beforeAll(async () => {
  dir = mkdtempSync(join(privateTmp, 'files-'));
  sb = await startSandbox();
  engine = new Engine({ retry: { maxAttempts: 2, baseDelayMs: 10, maxDelayMs: 50 } });
  const plaudClient = plaud.client({ token: sb.credentials.plaud.token, baseUrl: sb.urls.plaud, engine });
  const watched = {
    uploadFile(src: plaud.PlaudUploadFileOptions & never, opts?: plaud.PlaudUploadFileOptions): Promise<unknown> {
      const p = plaudClient.uploadFile(src, opts);
      p.catch(() => {});
      started.push(p);
      return p;
    },
  };
  const limits = { maxFileBytes: LIMIT, maxFiles: 3, allowedContentTypes: ['audio/*', 'application/octet-stream'] };
  const app = express();
  app.post('/plaud', uploadToVendor({ client: watched, limits }));
  let inFlight = 0;
  const serial = {
    async uploadFile(src: plaud.PlaudUploadFileOptions & never, opts?: plaud.PlaudUploadFileOptions): Promise<unknown> {
      inFlight += 1;
      maxInFlight = Math.max(maxInFlight, inFlight);
      try {
        return await plaudClient.uploadFile(src, opts);
      } finally {
        inFlight -= 1;
      }
    },
  };
  app.post('/plaud-one', uploadToVendor({ client: serial, limits: { maxConcurrentUploads: 1 } }));
  app.post('/plaud-stop', uploadToVendor({ client: plaudClient, vendorOptions: { signal: shutdown.signal } }));
  app.post('/plaud-next', uploadToVendor({ client: plaudClient, respond: false }), (req, res) => {
    const r = req.uplift as UpliftFormResult;
    const full = (r.files[0]?.result as { downloadUrl?: string } | undefined)?.downloadUrl ?? '';
    res.status(201).json({
      count: r.files.length, fields: r.fields, fileIds: r.files.map((f) => (f.result as { fileId: string }).fileId),
      fullDownloadUrl: /X-Amz-Signature=[0-9a-f]{64}/.test(full),
    });
  });
  app.post('/scripe', uploadToVendor({ client: scripe.client({ apiKey: sb.credentials.scripe.apiKey, baseUrl: sb.urls.scripe, engine }) }));
  app.post('/kore', uploadToVendor({
    client: kore.client({ apiKey: sb.credentials.kore.apiKey, baseUrl: sb.urls.kore, engine }), vendorOptions: { fileContext: 'bulkImport' },
  }));
  app.post('/heify', uploadToVendor({
    client: heify.client({ apiKey: sb.credentials.heify.apiKey, baseUrl: sb.urls.heify, engine }),
    vendorOptions: { configurationId: sb.fixtures.heify.configurationId },
  }));
  app.post('/eka', uploadToVendor({
    client: eka.client({ token: sb.credentials.eka.token, baseUrl: sb.urls.eka, engine }),
    vendorOptions: (req) => ({ txnId: String(req.headers['x-txn-id']), extraData: { mode: 'dictation' } }),
  }));
  server = await listen(app);
});

afterAll(async () => {
  await server?.close();
  await engine?.close();
  await sb?.close();
  rmSync(privateTmp, { recursive: true, force: true });
});

afterEach(() => {
  sb.faults.clear();
});

test('fetch + FormData: one WAV with its size field sent first lands byte-identical', async () => {
  const f = makeFile('take.wav', 6 * MiB + 123);
  const form = new FormData();
  form.append('audioSize', String(f.data.length));
  form.append('audio', await openAsBlob(f.path, { type: 'audio/wav' }), f.name);
  const r = await fetch(`${server.url}/plaud`, { method: 'POST', body: form });
  expect(r.status).toBe(200);
  const text = await r.text();
  const body = JSON.parse(text) as { files: { field: string; name: string; size: number; result: { fileId: string; fileMd5: string; downloadUrl: string } }[] };
  expect(body.files).toHaveLength(1);
  // the browser sees ids, not presigned URL signatures
  expect(body.files[0].result.downloadUrl).toContain('[REDACTED]');
  expect(text).not.toMatch(/X-Amz-Signature=[0-9a-f]/i);
  expect(body.files[0]).toMatchObject({ field: 'audio', name: 'take.wav', size: f.data.length });
  expect(body.files[0].result.fileMd5).toBe(f.md5);
  const obj = sb.objects().find((o) => o.key === `partner/${body.files[0].result.fileId}.wav`);
  expect(obj).toMatchObject({ size: f.data.length, md5: f.md5 });
});

test('curl -F without a size field: the file is spooled, uploaded, and the spool folder removed', async () => {
  const f = makeFile('memo.mp3', 3 * MiB + 7);
  const r = await curlForm(`${server.url}/plaud`, [`file=@${f.path};type=audio/mpeg`]);
  expect(r.status).toBe(200);
  const body = JSON.parse(r.body) as { files: { size: number; result: { fileId: string } }[] };
  expect(body.files[0].size).toBe(f.data.length);
  expect(sb.objects().find((o) => o.key === `partner/${body.files[0].result.fileId}.mp3`)?.md5).toBe(f.md5);
  expect(spoolDirs()).toEqual([]);
});

test('several files in one form, sizes given for some, answer in form order', async () => {
  const files = [makeFile('a.wav', 1 * MiB + 1), makeFile('b.mp3', 5 * MiB + 5), makeFile('c.m4a', 200 * 1024)];
  const form = new FormData();
  form.append('aSize', String(files[0].data.length));
  form.append('a', await openAsBlob(files[0].path, { type: 'audio/wav' }), files[0].name);
  form.append('note', 'hello');
  form.append('size', String(files[1].data.length));
  form.append('b', await openAsBlob(files[1].path, { type: 'audio/mpeg' }), files[1].name);
  form.append('c', await openAsBlob(files[2].path, { type: 'audio/mp4' }), files[2].name);
  const r = await fetch(`${server.url}/plaud`, { method: 'POST', body: form });
  expect(r.status).toBe(200);
  const body = (await r.json()) as { files: { field: string; name: string; size: number; result: { fileMd5: string } }[] };
  expect(body.files.map((x) => [x.field, x.name, x.size])).toEqual(files.map((f, i) => ['abc'[i], f.name, f.data.length]));
  for (const [i, f] of files.entries()) {
    expect(body.files[i].result.fileMd5).toBe(f.md5);
    expect(storedMd5s()).toContain(f.md5);
  }
});

test('respond: false sets req.uplift (files and fields) and calls next()', async () => {
  const f = makeFile('next.wav', 100 * 1024);
  const r = await curlForm(`${server.url}/plaud-next`, ['label=weekly', `fileSize=${f.data.length}`, `file=@${f.path};type=audio/wav`]);
  expect(r.status).toBe(201);
  const body = JSON.parse(r.body) as { count: number; fields: Record<string, string>; fileIds: string[]; fullDownloadUrl: boolean };
  expect(body.count).toBe(1);
  expect(body.fullDownloadUrl).toBe(true); // req.uplift keeps the whole result, server side
  expect(body.fields).toMatchObject({ label: 'weekly', fileSize: String(f.data.length) });
  expect(sb.objects().find((o) => o.key === `partner/${body.fileIds[0]}.wav`)?.md5).toBe(f.md5);
});

test('Scripe, Kore and Heify (one uploadFile each) and Eka (one ticket, two files) through the same middleware', async () => {
  const s = makeFile('episode.mp3', 2 * MiB);
  const rs = await curlForm(`${server.url}/scripe`, [`fileSize=${s.data.length}`, `file=@${s.path};type=audio/mpeg`]);
  expect(rs.status).toBe(200);
  expect((JSON.parse(rs.body) as { files: { result: { uploadId: string; md5: string } }[] }).files[0].result.md5).toBe(s.md5);

  const k = makeFile('call.wav', 1 * MiB + 3);
  const rk = await curlForm(`${server.url}/kore`, [`file=@${k.path};type=audio/wav`]);
  expect(rk.status).toBe(200);
  expect((JSON.parse(rk.body) as { files: { result: { fileId: string; md5: string } }[] }).files[0].result.md5).toBe(k.md5);

  const h = makeFile('sales.mp3', 700 * 1024);
  const rh = await curlForm(`${server.url}/heify`, [`file=@${h.path};type=audio/mpeg`]);
  expect(rh.status).toBe(200);
  expect(storedMd5s()).toEqual(expect.arrayContaining([s.md5, k.md5, h.md5]));

  const e1 = makeFile('part1.wav', 300 * 1024);
  const e2 = makeFile('part2.wav', 400 * 1024);
  const re = await curlForm(`${server.url}/eka`, [`f1=@${e1.path};type=audio/wav`, `f2Size=${e2.data.length}`, `f2=@${e2.path};type=audio/wav`], ['-H', 'x-txn-id: txn_express_1']);
  expect(re.status).toBe(200);
  const eb = JSON.parse(re.body) as { files: { result: { key: string; md5: string; txnId: string; folderPath: string } }[] };
  expect(eb.files.map((x) => x.result.md5)).toEqual([e1.md5, e2.md5]);
  expect(eb.files[0].result.txnId).toBe('txn_express_1');
  expect(eb.files[0].result.folderPath).toBe(eb.files[1].result.folderPath);
  for (const x of eb.files) expect(sb.objects().find((o) => o.key === x.result.key)?.metadata.mode).toBe('dictation');
});

test('over maxFileBytes: 413 with a typed error, announced (no vendor call) or found while streaming (upload aborted)', async () => {
  const f = makeFile('huge.wav', LIMIT + 1);
  const before = sb.objects().length;
  const calls = started.length;
  // announced size: refused before any byte goes to the vendor
  const announced = await curlForm(`${server.url}/plaud`, [`size=${f.data.length}`, `file=@${f.path};type=audio/wav`]);
  expect(announced.status).toBe(413);
  expect(JSON.parse(announced.body)).toEqual({ error: expect.objectContaining({ code: 'ERR_UPLIFT_TOO_LARGE', limit: 'maxFileBytes' }) });
  expect(started.length).toBe(calls);
  // unknown size: the bytes start flowing, the guard trips at LIMIT + 1
  const form = new FormData();
  form.append('file', await openAsBlob(f.path, { type: 'audio/wav' }), f.name);
  const r = await fetch(`${server.url}/plaud`, { method: 'POST', body: form });
  expect(r.status).toBe(413);
  expect(await r.json()).toEqual({ error: expect.objectContaining({ code: 'ERR_UPLIFT_TOO_LARGE', limit: 'maxFileBytes' }) });
  expect(started.length).toBe(calls + 1);
  const err = await rejectionOf(started[calls]);
  expect([err.name, err.code]).toEqual(expect.arrayContaining([expect.stringMatching(/^(TooLargeError|AbortError)$/)]));
  expect(sb.objects().length).toBe(before);
  await waitFor(() => spoolDirs().length === 0, 5000, 'no spool folder');
});

test('over maxFiles: 413; a content type outside allowedContentTypes: 415', async () => {
  const fs4 = [1, 2, 3, 4].map((i) => makeFile(`n${i}.wav`, 10 * 1024));
  const many = await curlForm(`${server.url}/plaud`, fs4.map((f, i) => `f${i}=@${f.path};type=audio/wav`));
  expect(many.status).toBe(413);
  expect(JSON.parse(many.body).error).toMatchObject({ code: 'ERR_UPLIFT_TOO_LARGE', limit: 'maxFiles' });

  const before = sb.objects().length;
  const calls = started.length;
  const t = makeFile('notes.txt', 2048);
  const form = new FormData();
  form.append('file', await openAsBlob(t.path, { type: 'text/plain' }), t.name);
  const r = await fetch(`${server.url}/plaud`, { method: 'POST', body: form });
  expect(r.status).toBe(415);
  expect((await r.json()).error).toMatchObject({ code: 'ERR_UPLIFT_UNSUPPORTED_TYPE', limit: 'allowedContentTypes' });
  expect(started.length).toBe(calls);
  expect(sb.objects().length).toBe(before);

  const notForm = await fetch(`${server.url}/plaud`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
  expect(notForm.status).toBe(415);
  const noFile = new FormData();
  noFile.append('just', 'a field');
  const empty = await fetch(`${server.url}/plaud`, { method: 'POST', body: noFile });
  expect(empty.status).toBe(400);
  expect((await empty.json()).error.code).toBe('ERR_UPLIFT_INVALID_ARGUMENT');
});

test.each([
  ['with its size announced', true],
  ['without a size (spool path)', false],
])('a client that disconnects mid-body aborts the vendor upload, %s; nothing stored, no spool folder left', async (_label, announce) => {
  const size = 6 * MiB;
  const before = sb.objects().length;
  const completes = sb.log.entries({ target: 'plaud', op: 'complete' }).length;
  const calls = started.length;
  const req = rawPost(`${server.url}/plaud`);
  req.write(multipartHead(announce ? { size: String(size) } : {}, { field: 'file', name: 'cut.wav', type: 'audio/wav' }));
  const chunk = randomBuffer(256 * 1024);
  for (let i = 0; i < 8; i++) req.write(chunk); // 2 MiB of 6
  await waitFor(() => started.length === calls + 1, 5000, 'vendor upload started');
  if (!announce) await waitFor(() => spoolDirs().length > 0, 5000, 'spool folder created');
  await new Promise((r) => setTimeout(r, 100));
  req.destroy();
  const err = await rejectionOf(started[calls]);
  // uplift's AbortError (ERR_UPLIFT_ABORTED); while spooling, the spool's pipeline may reject
  // first with Node's own AbortError (code ABORT_ERR): aborted either way
  expect(err.name).toBe('AbortError');
  if (err instanceof UpliftError) expect(err.code).toBe('ERR_UPLIFT_ABORTED');
  await waitFor(() => spoolDirs().length === 0, 5000, 'no spool folder');
  await new Promise((r) => setTimeout(r, 200));
  expect(sb.objects().length).toBe(before);
  expect(sb.log.entries({ target: 'plaud', op: 'complete' }).length).toBe(completes);
});

test('vendor presign failure: 502 with a typed code and no secret in the answer', async () => {
  sb.faults.add({ target: 'plaud', op: 'presign', times: 10, action: { status: 500, code: 'internal_error', message: 'presign is down' } });
  const f = makeFile('fail.wav', 512 * 1024);
  const form = new FormData();
  form.append('fileSize', String(f.data.length));
  form.append('file', await openAsBlob(f.path, { type: 'audio/wav' }), f.name);
  const r = await fetch(`${server.url}/plaud`, { method: 'POST', body: form });
  expect(r.status).toBe(502);
  const text = await r.text();
  const body = JSON.parse(text) as { error: { code: string; message: string; vendor?: string } };
  expect(body.error.code).toMatch(/^ERR_UPLIFT_(VENDOR|HTTP)$/);
  expect(body.error.vendor).toBe('plaud');
  expect(text).not.toContain(sb.credentials.plaud.token);
  expect(text).not.toMatch(/X-Amz-Signature=[0-9a-f]/i);
  expect(sb.log.entries({ target: 'plaud', op: 'presign' }).some((e) => e.status === 500)).toBe(true);
});

test('a size field that does not match the file: 400 ERR_UPLIFT_SIZE_MISMATCH, nothing stored', async () => {
  const f = makeFile('liar.wav', 300 * 1024);
  const before = sb.objects().length;
  const r = await curlForm(`${server.url}/plaud`, [`fileSize=${f.data.length - 1000}`, `file=@${f.path};type=audio/wav`]);
  expect(r.status).toBe(400);
  expect(JSON.parse(r.body).error.code).toBe('ERR_UPLIFT_SIZE_MISMATCH');
  const bad = await curlForm(`${server.url}/plaud`, ['fileSize=lots', `file=@${f.path};type=audio/wav`]);
  expect(bad.status).toBe(400);
  expect(JSON.parse(bad.body).error.code).toBe('ERR_UPLIFT_INVALID_ARGUMENT');
  expect(sb.objects().length).toBe(before);
});

test('maxConcurrentUploads: 1 runs the vendor uploads of concurrent requests one at a time; all land', async () => {
  const files = [0, 1, 2].map((i) => makeFile(`q${i}.wav`, 2 * MiB + i));
  const answers = await Promise.all(files.map(async (f) => {
    const form = new FormData();
    form.append('fileSize', String(f.data.length));
    form.append('file', await openAsBlob(f.path, { type: 'audio/wav' }), f.name);
    const r = await fetch(`${server.url}/plaud-one`, { method: 'POST', body: form });
    return { status: r.status, body: (await r.json()) as { files: { result: { fileMd5: string } }[] } };
  }));
  expect(answers.map((a) => a.status)).toEqual([200, 200, 200]);
  expect(answers.map((a) => a.body.files[0].result.fileMd5)).toEqual(files.map((f) => f.md5));
  expect(maxInFlight).toBe(1);
});

test('a signal in vendorOptions (server shutdown) aborts an upload mid-body: 499 ERR_UPLIFT_ABORTED', async () => {
  const before = sb.objects().length;
  const req = rawPost(`${server.url}/plaud-stop`);
  const answer = new Promise<{ status: number; body: string }>((resolve) => {
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
  });
  req.write(multipartHead({ size: String(4 * MiB) }, { field: 'file', name: 'stop.wav', type: 'audio/wav' }));
  req.write(randomBuffer(MiB));
  await new Promise((r) => setTimeout(r, 200));
  shutdown.abort(new Error('server shutting down'));
  const a = await answer;
  req.destroy();
  expect(a.status).toBe(499);
  expect(JSON.parse(a.body).error.code).toBe('ERR_UPLIFT_ABORTED');
  expect(sb.objects().length).toBe(before);
});
