// Kore.ai client end to end against the sandbox: single POST under 25 MiB, chunked session
// at or above, the three session steps called separately, extension checks, vendor errors,
// injected faults and abort.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { kore } from '../../lib';
import { logSince, makeFile, md5, MiB, rejection, useSuite, waitFor, type TestFile } from './helpers';
import { SANDBOX_READINGS } from '../../lib/sandbox';

describe.each(SANDBOX_READINGS.kore.map((r) => [r]))('reading kore=%s', (reading) => {
  const s = useSuite('kore', { kore: reading });
  let big: TestFile;

  beforeAll(() => {
    big = makeFile(s.dir, 'town-hall.wav', 30 * MiB);
  });

  const client = (over: Partial<kore.KoreClientOptions> = {}): kore.KoreClient =>
    kore.client({ apiKey: s.sb.credentials.kore.apiKey, baseUrl: s.sb.urls.kore, engine: s.engine, ...over });

  const objectOf = (url: string) => {
    const name = new URL(url).pathname.split('/').pop() ?? '';
    return s.sb.objects().find((o) => o.bucket === s.sb.fixtures.buckets.kore && o.key === `orgFiles/${name}`);
  };
  const ops = (from: number, op: string) => logSince(s.sb, from).filter((e) => e.target === 'kore' && e.op === op);

  test('a file under 25 MiB goes as one POST; the answered url serves the same bytes', async () => {
    const f = makeFile(s.dir, 'memo.mp3', 3 * MiB + 11);
    const from = s.sb.log.entries().length;
    const r = await client().uploadFile(f.path, { fileContext: 'bulkImport' });
    expect(r).toMatchObject({ mode: 'single', chunks: 1, bytes: f.data.length, md5: f.md5 });
    expect(r.fileId).toEqual(expect.any(String));
    expect(objectOf(r.url)).toMatchObject({ size: f.data.length, md5: f.md5, contentType: 'audio/mpeg' });
    expect(ops(from, 'upload')).toHaveLength(1);
    expect(ops(from, 'sessionStart')).toHaveLength(0);
    const got = Buffer.from(await (await fetch(r.url)).arrayBuffer());
    expect(md5(got)).toBe(f.md5);
  });

  test('30 MiB goes through a chunked session: 4 chunks of the default 8 MiB', async () => {
    const from = s.sb.log.entries().length;
    const seen: number[] = [];
    const r = await client().uploadFile(big.path, { fileContext: 'bulkImport', onProgress: (p) => seen.push(p.bytesSent) });
    expect(r).toMatchObject({ mode: 'chunked', chunks: 4, bytes: big.data.length, md5: big.md5 });
    expect(objectOf(r.url)).toMatchObject({ size: big.data.length, md5: big.md5 });
    expect(ops(from, 'sessionStart').map((e) => e.status)).toEqual([200]);
    const chunks = ops(from, 'chunk');
    expect(chunks.map((e) => e.status)).toEqual([200, 200, 200, 200]);
    // three full 8 MiB chunks and a 6 MiB tail, each in its own form body
    const sizes = chunks.map((e) => e.bytesIn).sort((a, b) => a - b);
    expect(sizes[0]).toBeGreaterThan(6 * MiB);
    expect(sizes[0]).toBeLessThan(6 * MiB + 4096);
    expect(sizes[3]).toBeLessThan(8 * MiB + 4096);
    expect(ops(from, 'complete').map((e) => e.status)).toEqual([200]);
    // the content type the doc's table shows for complete
    expect(ops(from, 'complete').map((e) => e.contentType)).toEqual(['application/json']);
    expect(seen[seen.length - 1]).toBe(big.data.length);
  });

  test('chunkSizeBytes sets the chunk count; a 503 on a chunk is retried', async () => {
    s.sb.faults.add({ target: 'kore', op: 'chunk', action: { status: 503 } });
    const from = s.sb.log.entries().length;
    const r = await client().uploadFile(big.path, { fileContext: 'bulkImport', chunkSizeBytes: 10 * MiB, concurrency: 2 });
    expect(r).toMatchObject({ mode: 'chunked', chunks: 3, md5: big.md5 });
    expect(ops(from, 'chunk').map((e) => e.status).sort()).toEqual([200, 200, 200, 503]);
    expect(objectOf(r.url)?.md5).toBe(big.md5);
  });

  test('presign → upload → complete called separately', async () => {
    const f = makeFile(s.dir, 'parts.m4a', 3 * MiB - 100);
    const c = client();
    const from = s.sb.log.entries().length;
    const session = await c.presign({ fileContext: 'bulkImport', fileName: 'parts.m4a', fileSize: f.data.length, totalChunks: 3, fileExtension: 'm4a', chunkSizeBytes: MiB });
    expect(session).toMatchObject({ sessionId: expect.any(String), chunkSizeBytes: MiB });
    expect(Date.parse(session.expirationDate)).toBeGreaterThan(Date.now());
    const sent = await c.upload(session, f.path);
    expect(sent).toEqual({ chunks: 3, bytes: f.data.length, md5: f.md5 });
    expect(ops(from, 'chunk')).toHaveLength(3);
    const done = await c.complete(session);
    expect(done).toEqual({ fileId: expect.any(String), url: expect.any(String) });
    expect(objectOf(done.url)).toMatchObject({ size: f.data.length, md5: f.md5 });
  });

  test('a file between 25,000,000 and 26,214,400 bytes goes chunked (25 MB may be either)', async () => {
    const f = makeFile(s.dir, 'between.wav', 25_500_000);
    const from = s.sb.log.entries().length;
    const r = await client().uploadFile(f.path, { fileContext: 'bulkImport', chunkSizeBytes: 25_000_000 });
    expect(r).toMatchObject({ mode: 'chunked', chunks: 2, bytes: f.data.length, md5: f.md5 });
    expect(ops(from, 'upload')).toHaveLength(0);
    expect(ops(from, 'chunk').map((e) => e.status)).toEqual([200, 200]);
    expect(objectOf(r.url)).toMatchObject({ size: f.data.length, md5: f.md5 });
    await expect(client().uploadFile(f.path, { fileContext: 'bulkImport', chunkSizeBytes: 25_000_001 })).rejects.toMatchObject({ field: 'options.chunkSizeBytes' });
  });

  test('a single POST answered 413 falls back to a chunked session, once', async () => {
    const f = makeFile(s.dir, 'fallback.mp3', 3 * MiB);
    s.sb.faults.add({ target: 'kore', op: 'upload', action: { status: 413, code: 'FILE_TOO_LARGE' } });
    const from = s.sb.log.entries().length;
    const r = await client().uploadFile(f.path, { fileContext: 'bulkImport', chunkSizeBytes: 2 * MiB });
    expect(r).toMatchObject({ mode: 'chunked', chunks: 2, bytes: f.data.length, md5: f.md5 });
    expect(ops(from, 'upload').map((e) => e.status)).toEqual([413]);
    expect(ops(from, 'sessionStart').map((e) => e.status)).toEqual([200]);
    expect(objectOf(r.url)).toMatchObject({ size: f.data.length, md5: f.md5 });
  });

  test('chunk numbers complete reports missing are sent again once, then complete succeeds', async () => {
    // the first chunk POST is answered 200 but not stored: complete lists it as missing
    s.sb.faults.add({ target: 'kore', op: 'chunk', action: { json: { chunkNumber: '0', sessionId: 'lost' } } });
    const from = s.sb.log.entries().length;
    const r = await client().uploadFile(big.path, { fileContext: 'bulkImport', concurrency: 1 });
    expect(r).toMatchObject({ mode: 'chunked', chunks: 4, md5: big.md5 });
    expect(ops(from, 'complete').map((e) => e.status)).toEqual([400, 200]);
    expect(ops(from, 'chunk')).toHaveLength(5);
    expect(objectOf(r.url)).toMatchObject({ size: big.data.length, md5: big.md5 });
  });

  test('a journal whose session is past its expirationDate starts a new session', async () => {
    const journal = join(s.dir, 'expired-session.journal');
    s.sb.faults.add({ target: 'kore', op: 'chunk', times: 100, action: { stallMs: 100 } });
    const ac = new AbortController();
    const err = await rejection(client().uploadFile(big.path, {
      fileContext: 'bulkImport', journal, concurrency: 1, signal: ac.signal,
      onProgress: (p) => { if (p.partsDone >= 2) ac.abort(); },
    }));
    expect(err).toMatchObject({ code: 'ERR_UPLIFT_ABORTED' });
    s.sb.faults.clear();
    await new Promise((r) => setTimeout(r, 500));
    const rec = JSON.parse(readFileSync(journal, 'utf8'));
    expect(Object.keys(rec.parts).length).toBeGreaterThanOrEqual(2);
    rec.presign.expirationDate = new Date(Date.now() - 1000).toISOString();
    writeFileSync(journal, JSON.stringify(rec));
    const from = s.sb.log.entries().length;
    const r = await client().resume(journal);
    expect(r).toMatchObject({ mode: 'chunked', chunks: 4, md5: big.md5 });
    expect(ops(from, 'sessionStart').map((e) => e.status)).toEqual([200]);
    expect(ops(from, 'chunk')).toHaveLength(4);
    expect(objectOf(r.url)?.md5).toBe(big.md5);
  });

  test('complete before all chunks is the vendor error MISSING_CHUNKS', async () => {
    const c = client();
    const session = await c.presign({ fileContext: 'bulkImport', fileName: 'a.mp3', fileSize: 100, totalChunks: 1, fileExtension: '.mp3' });
    const err = await rejection(c.complete(session));
    expect(err).toMatchObject({ code: 'ERR_UPLIFT_VENDOR', vendor: 'kore', status: 400, vendorCode: 'MISSING_CHUNKS' });
  });

  test('an expired session is the vendor error SESSION_EXPIRED', async () => {
    const c = client();
    const bytes = Buffer.alloc(5000, 1);
    const session = await c.presign({ fileContext: 'bulkImport', fileName: 'late.wav', fileSize: bytes.length, totalChunks: 1, fileExtension: 'wav' });
    s.sb.faults.expireUrlsNow();
    const err = await rejection(c.upload(session, bytes));
    expect(err).toMatchObject({ code: 'ERR_UPLIFT_VENDOR', vendor: 'kore', status: 400, vendorCode: 'SESSION_EXPIRED' });
  });

  test('an unsupported extension fails before any request', async () => {
    const from = s.sb.log.entries().length;
    const c = client();
    const txt = makeFile(s.dir, 'notes.txt', 10);
    await expect(c.uploadFile(txt.path, { fileContext: 'bulkImport' })).rejects.toMatchObject({ code: 'ERR_UPLIFT_UNSUPPORTED_TYPE', vendor: 'kore' });
    await expect(c.uploadFile(Buffer.from('x'), { fileContext: 'bulkImport', fileName: 'scan.pdf' })).rejects.toThrow(/does not accept "\.pdf"/);
    await expect(c.uploadFile(join(s.dir, 'noext'), { fileContext: 'bulkImport' })).rejects.toMatchObject({ code: 'ERR_UPLIFT_UNSUPPORTED_TYPE' });
    await expect(c.presign({ fileContext: 'x', fileName: 'a.doc', fileSize: 5, totalChunks: 1, fileExtension: 'doc' })).rejects.toMatchObject({ code: 'ERR_UPLIFT_UNSUPPORTED_TYPE' });
    expect(logSince(s.sb, from)).toHaveLength(0);
  });

  test('arguments are checked before any request', async () => {
    const from = s.sb.log.entries().length;
    const c = client();
    await expect(c.uploadFile(Buffer.from('x'), { fileContext: 'bulkImport' })).rejects.toMatchObject({ field: 'options.fileName' });
    await expect(c.uploadFile(Buffer.from('x'), { fileName: 'a.mp3' } as never)).rejects.toMatchObject({ field: 'options.fileContext' });
    await expect(c.uploadFile(Buffer.from('x'), { fileContext: 'b', fileName: 'a.mp3', chunkSizeBytes: 26 * MiB })).rejects.toMatchObject({ field: 'options.chunkSizeBytes' });
    await expect(c.uploadFile(Buffer.from('x'), { fileContext: 'b', fileName: 'a.mp3', chunkSizeBytes: 25 * MiB })).rejects.toMatchObject({ field: 'options.chunkSizeBytes' });
    await expect(c.presign({ fileContext: 'b', fileName: 'a.mp3', fileSize: 20 * MiB, totalChunks: 2, fileExtension: 'mp3' }))
      .rejects.toThrow(/totalChunks is 2 but .* make 3/);
    await expect(c.upload({ sessionId: 's', expirationDate: '', chunkSizeBytes: 10, fileSize: 5 }, Buffer.alloc(6))).rejects.toMatchObject({ field: 'source' });
    expect(() => kore.client({ apiKey: 'kg-abcdef' } as never)).toThrow(expect.objectContaining({ field: 'options.baseUrl', vendor: 'kore' }));
    expect(() => kore.client({ apiKey: 'kg-abcdef', baseUrl: 'ftp://x' })).toThrow(expect.objectContaining({ field: 'options.baseUrl' }));
    expect(logSince(s.sb, from)).toHaveLength(0);
  });

  test('a wrong API key is ERR_UPLIFT_AUTH and never shows', async () => {
    const key = 'kg-wrong-0123456789abcdef';
    const err = await rejection(client({ apiKey: key }).uploadFile(Buffer.from('abc'), { fileContext: 'bulkImport', fileName: 'a.mp3' }));
    expect(err).toMatchObject({ code: 'ERR_UPLIFT_AUTH', vendor: 'kore', status: 401, vendorCode: 'UNAUTHORIZED' });
    expect(JSON.stringify(err)).not.toContain(key);
    expect(err.stack).toContain('kore.test');
  });

  test('a reset in the middle of a chunk is retried', async () => {
    const f = makeFile(s.dir, 'reset.mp3', 3 * MiB);
    s.sb.faults.add({ target: 'kore', op: 'chunk', action: { resetAfterBytes: 256 * 1024 } });
    const from = s.sb.log.entries().length;
    const c = client();
    const session = await c.presign({ fileContext: 'bulkImport', fileName: 'reset.mp3', fileSize: f.data.length, totalChunks: 2, fileExtension: 'mp3', chunkSizeBytes: 2 * MiB });
    await c.upload(session, f.path, { concurrency: 1 });
    const done = await c.complete(session);
    expect(ops(from, 'chunk').map((e) => e.status)).toEqual([0, 200, 200]);
    expect(objectOf(done.url)?.md5).toBe(f.md5);
  });

  test('abort mid-upload rejects with AbortError and stores nothing', async () => {
    // every chunk POST stalls 2 s in the front before it is read
    s.sb.faults.add({ target: 'kore', op: 'chunk', times: 8, action: { stallMs: 2000 } });
    const before = s.sb.objects().length;
    const from = s.sb.log.entries().length;
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 300);
    const t0 = Date.now();
    const err = await rejection(client().uploadFile(big.path, { fileContext: 'bulkImport', signal: ac.signal }));
    expect(err).toMatchObject({ name: 'AbortError', code: 'ERR_UPLIFT_ABORTED', vendor: 'kore' });
    expect(Date.now() - t0).toBeLessThan(1500);
    // the four chunk POSTs in flight end unanswered once the stall is over: the client is gone
    await waitFor(() => ops(from, 'chunk').length === 4, 6000);
    expect(ops(from, 'chunk').map((e) => e.status)).toEqual([0, 0, 0, 0]);
    expect(ops(from, 'complete')).toHaveLength(0);
    expect(s.sb.objects()).toHaveLength(before);
  });

  test('the binding reads the typed spec once: a missing or mistyped field is a typed error naming it; an unknown op is refused', async () => {
    const from = s.sb.log.entries().length;
    const n = s.engine.nativeEngine() as unknown as { run(op: string, spec: object): { promise: Promise<unknown> } };
    const api = { baseUrl: s.sb.urls.kore, apiKey: s.sb.credentials.kore.apiKey };
    const source = { kind: 'buffer', buffer: Buffer.alloc(4) };
    for (const [op, spec, field] of [
      ['kore.presign', { ...api, fileContext: 'x', fileName: 'a.mp3', fileSize: 4, fileExtension: 'mp3' }, 'totalChunks'],
      ['kore.upload', { ...api, source }, 'sessionId'],
      ['kore.upload', { ...api, sessionId: 's', source, chunkNumbers: [0, -1] }, 'chunkNumbers[1]'],
      ['kore.complete', { ...api, sessionId: 7 }, 'sessionId'],
      ['kore.uploadFile', { ...api, source, chunkSizeBytes: 2.5 }, 'chunkSizeBytes'],
      ['kore.uploadFile', { apiKey: api.apiKey, source }, 'baseUrl'],
    ] as [string, object, string][]) {
      await expect(n.run(op, spec).promise).rejects.toMatchObject({ code: 'ERR_UPLIFT_INVALID_ARGUMENT', field });
    }
    await expect(n.run('kore.nothing', { ...api }).promise).rejects.toMatchObject({ code: 'ERR_UPLIFT_INVALID_ARGUMENT', message: "unknown operation 'kore.nothing'" });
    expect(logSince(s.sb, from)).toHaveLength(0);
  });

  test('a missing file fails before any request', async () => {
    const from = s.sb.log.entries().length;
    await expect(client().uploadFile(join(s.dir, 'missing.wav'), { fileContext: 'bulkImport' })).rejects.toMatchObject({ code: 'ERR_UPLIFT_FILE_NOT_FOUND', vendor: 'kore' });
    expect(logSince(s.sb, from)).toHaveLength(0);
  });
});
