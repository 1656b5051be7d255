// Eka Care client end to end against the sandbox: one presign per transaction, one form POST
// per file into folderPath, extraData as metadata, name checks, vendor errors, the engine's
// one re-presign on an expired policy, concurrency, faults and abort.
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { eka } from '../../lib';
import { logSince, makeFile, md5, MiB, rejection, useSuite, waitFor } from './helpers';
import { SANDBOX_READINGS } from '../../lib/sandbox';

describe.each(SANDBOX_READINGS.eka.map((r) => [r]))('reading eka=%s', (reading) => {
  const s = useSuite('eka', { eka: reading });

  const client = (over: Partial<eka.EkaClientOptions> = {}): eka.EkaClient =>
    eka.client({ token: s.sb.credentials.eka.token, baseUrl: s.sb.urls.eka, engine: s.engine, ...over });

  const objectAt = (key: string) => s.sb.objects().find((o) => o.bucket === s.sb.fixtures.buckets.eka && o.key === key);
  const posts = (from: number) => logSince(s.sb, from).filter((e) => e.target === 's3' && e.op === 'PostObject');
  const presigns = (from: number) => logSince(s.sb, from).filter((e) => e.target === 'eka' && e.op === 'presign');

  test('uploadFiles: 3 files into the transaction folder, byte-identical, extraData as metadata', async () => {
    const files = [makeFile(s.dir, 'first_audio.wav', MiB), makeFile(s.dir, 'second_audio.mp3', 2 * MiB + 3), makeFile(s.dir, 'third_audio.m4a', 512 * 1024)];
    const from = s.sb.log.entries().length;
    const seen: number[] = [];
    const r = await client().uploadFiles(files.map((f) => f.path), {
      txnId: 'txn_301', extraData: { mode: 'dictation', uhid: 'unique_patient_id' }, onProgress: (p) => seen.push(p.bytesSent),
    });
    expect(r.txnId).toBe('txn_301');
    expect(r.folderPath).toMatch(new RegExp(`^${s.sb.fixtures.eka.workspaceId}/txn_301/\\d{8}_\\d{6}/$`));
    expect(r.files).toEqual(files.map((f) => ({ key: r.folderPath + f.path.split('/').pop(), size: f.data.length, md5: f.md5 })));
    for (const [i, f] of files.entries()) {
      expect(objectAt(r.files[i].key)).toMatchObject({ size: f.data.length, md5: f.md5, metadata: { mode: 'dictation', uhid: 'unique_patient_id' } });
    }
    expect(presigns(from)).toHaveLength(1);
    expect(posts(from).map((e) => e.status)).toEqual([204, 204, 204]);
    expect(seen[seen.length - 1]).toBe(files.reduce((n, f) => n + f.data.length, 0));
  });

  test('presign → upload called separately: a named Buffer, then a named stream and a path', async () => {
    const c = client();
    const ticket = await c.presign({ txnId: 'txn-steps' });
    expect(ticket.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\//);
    expect(ticket.folderPath).toMatch(/\/txn-steps\/\d{8}_\d{6}\/$/);
    expect(ticket.txnId).toBe('txn-steps');
    expect(ticket.fields.key).toBe(`${ticket.folderPath}\${filename}`);
    const one = Buffer.from('a short dictation');
    expect(await c.upload(ticket, { source: one, name: 'note.wav' })).toEqual([{ key: `${ticket.folderPath}note.wav`, size: one.length, md5: md5(one) }]);
    const streamed = Buffer.alloc(300 * 1024, 9);
    const f = makeFile(s.dir, 'later.mp3', 1000);
    const two = await c.upload(ticket, [{ stream: Readable.from([streamed]), name: 'streamed.webm' }, f.path], { concurrency: 2 });
    expect(two.map((x) => x.key)).toEqual([`${ticket.folderPath}streamed.webm`, `${ticket.folderPath}later.mp3`]);
    expect(objectAt(two[0].key)).toMatchObject({ size: streamed.length, md5: md5(streamed) });
    expect(objectAt(two[1].key)?.md5).toBe(f.md5);
  });

  test('names that could leave the folder are refused before any byte', async () => {
    const c = client();
    const ticket = await c.presign({ txnId: 'txn-names' });
    const from = s.sb.log.entries().length;
    const b = Buffer.from('x');
    for (const name of ['../escape.wav', 'a/b.wav', 'a\\b.wav', '..', '.', '', 'bad\nname.wav', 'nul\u0000.wav']) {
      await expect(c.upload(ticket, { source: b, name })).rejects.toMatchObject({ code: 'ERR_UPLIFT_INVALID_ARGUMENT', vendor: 'eka' });
    }
    await expect(c.upload(ticket, [{ source: b, name: 'same.wav' }, { source: b, name: 'same.wav' }])).rejects.toThrow(/two files are named "same.wav"/);
    await expect(c.uploadFiles([{ source: b, name: '../x.wav' }], { txnId: 'txn-names' })).rejects.toMatchObject({ code: 'ERR_UPLIFT_INVALID_ARGUMENT' });
    await expect(c.uploadFiles([], { txnId: 'txn-names' })).rejects.toMatchObject({ field: 'sources' });
    await expect(c.uploadFiles(b, { txnId: 'has space' } as never)).rejects.toMatchObject({ field: 'options.txnId' });
    await expect(c.uploadFiles(b, { txnId: 't', extraData: { 'bad key': 1 } })).rejects.toMatchObject({ field: 'options.extraData' });
    await expect(c.presign({ txnId: 't', txn_id: 't' } as never)).rejects.toThrow(/Unknown option "txn_id"/);
    expect(logSince(s.sb, from)).toHaveLength(0);
  });

  test('a Buffer or stream without a name is named audio-<n>.<ext>, from its content type or its first bytes', async () => {
    const wav = Buffer.concat([Buffer.from('RIFF\x24\x00\x00\x00WAVEfmt ', 'latin1'), Buffer.alloc(64, 1)]);
    const mp3 = Buffer.concat([Buffer.from('ID3\x04\x00', 'latin1'), Buffer.alloc(64, 2)]);
    const typed = Buffer.alloc(50, 3);
    const unknown = Buffer.alloc(40, 4);
    const r = await client().uploadFiles(
      [wav, Readable.from([mp3]), { source: typed, contentType: 'audio/ogg' }, unknown, { source: Buffer.from('named'), name: 'audio-5.bin' }],
      { txnId: 'txn-unnamed' },
    );
    expect(r.files.map((f) => f.key.slice(r.folderPath.length))).toEqual(['audio-1.wav', 'audio-2.mp3', 'audio-3.ogg', 'audio-4.bin', 'audio-5.bin']);
    expect(objectAt(r.files[1].key)).toMatchObject({ size: mp3.length, md5: md5(mp3) });
  });

  test('extraData numbers and booleans are sent as strings (S3 metadata is text)', async () => {
    const { createServer } = await import('node:http');
    const bodies: unknown[] = [];
    const server = createServer((req, res) => {
      const parts: Buffer[] = [];
      req.on('data', (c: Buffer) => parts.push(c));
      req.on('end', () => {
        bodies.push(JSON.parse(Buffer.concat(parts).toString('utf8')));
        res.writeHead(401, { 'content-type': 'application/json' });
        res.end('{"error":[{"error_code":"unauthorized","message":"capture only"}]}');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const port = (server.address() as import('node:net').AddressInfo).port;
      const c = eka.client({ token: 'eka_capture_token_0000', baseUrl: `http://127.0.0.1:${port}`, engine: s.engine });
      await expect(c.presign({ txnId: 't-capture', extraData: { visit: 3, urgent: true, mode: 'dictation' } })).rejects.toMatchObject({ code: 'ERR_UPLIFT_AUTH' });
      expect(bodies).toEqual([{ extraData: { visit: '3', urgent: 'true', mode: 'dictation' } }]);
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });

  test('a wrong token is ERR_UPLIFT_AUTH and never shows', async () => {
    const token = 'eka_wrong_token_00000000000000';
    const err = await rejection(client({ token }).uploadFiles({ source: Buffer.from('x'), name: 'a.wav' }, { txnId: 't1' }));
    expect(err).toMatchObject({ code: 'ERR_UPLIFT_AUTH', vendor: 'eka', status: 401, vendorCode: 'unauthorized' });
    expect(JSON.stringify(err)).not.toContain(token);
    expect(err.stack).not.toContain(token);
  });

  test('a txn_id the vendor refuses is its 400 invalid_txn_id', async () => {
    const err = await rejection(client().presign({ txnId: 'txn+plus' }));
    expect(err).toMatchObject({ code: 'ERR_UPLIFT_VENDOR', vendor: 'eka', status: 400, vendorCode: 'invalid_txn_id' });
    expect(err.stack).toContain('eka.test');
  });

  test('an expired policy is re-presigned once for the same txnId (extraData kept) and the files sent again', async () => {
    const c = client();
    const ticket = await c.presign({ txnId: 'txn-expire', extraData: { mode: 'consult' } });
    s.sb.faults.expireUrlsNow();
    await new Promise((r) => setTimeout(r, 1100)); // a policy signed from now on is after the cut-off
    const from = s.sb.log.entries().length;
    const f = makeFile(s.dir, 'expire.wav', 100 * 1024);
    const r = await c.upload(ticket, f.path);
    expect(r).toEqual([{ key: `${ticket.folderPath}expire.wav`, size: f.data.length, md5: f.md5 }]);
    expect(presigns(from).map((e) => e.status)).toEqual([200]);
    expect(posts(from).map((e) => e.status)).toEqual([403, 204]);
    expect(objectAt(r[0].key)).toMatchObject({ md5: f.md5, metadata: { mode: 'consult' } });
  });

  test('a policy that stays expired ends as ERR_UPLIFT_URL_EXPIRED after one re-presign', async () => {
    s.sb.faults.add({ target: 's3', op: 'PostObject', times: 2, action: { status: 403, code: 'AccessDenied', message: 'Invalid according to Policy: Policy expired.' } });
    const from = s.sb.log.entries().length;
    const err = await rejection(client().uploadFiles({ source: Buffer.from('abc'), name: 'x.wav' }, { txnId: 'txn-expire-2' }));
    expect(err).toMatchObject({ code: 'ERR_UPLIFT_URL_EXPIRED', vendor: 'eka', status: 403 });
    expect(presigns(from)).toHaveLength(2);
    expect(posts(from).map((e) => e.status)).toEqual([403, 403]);
  });

  test('a 429 with Retry-After on the presign is waited out', async () => {
    s.sb.faults.add({ target: 'eka', op: 'presign', action: { status: 429, retryAfterSec: 1 } });
    const from = s.sb.log.entries().length;
    const t0 = Date.now();
    const r = await client().uploadFiles({ source: Buffer.from('abc'), name: 'ra.wav' }, { txnId: 'txn-ra' });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(950);
    expect(presigns(from).map((e) => e.status)).toEqual([429, 200]);
    expect(objectAt(r.files[0].key)?.size).toBe(3);
  });

  test('a reset in the middle of a form POST is retried', async () => {
    const f = makeFile(s.dir, 'reset.wav', 2 * MiB);
    s.sb.faults.add({ target: 's3', op: 'PostObject', action: { resetAfterBytes: 256 * 1024 } });
    const from = s.sb.log.entries().length;
    const r = await client().uploadFiles(f.path, { txnId: 'txn-reset' });
    expect(posts(from).map((e) => e.status)).toEqual([0, 204]);
    expect(objectAt(r.files[0].key)?.md5).toBe(f.md5);
  });

  test('concurrency 1 sends the files one after another', async () => {
    s.sb.faults.add({ target: 's3', op: 'PostObject', times: 3, action: { stallMs: 400 } });
    const from = s.sb.log.entries().length;
    const b = (n: string) => ({ source: Buffer.from(n), name: `${n}.wav` });
    const t0 = Date.now();
    await client().uploadFiles([b('a'), b('b'), b('c')], { txnId: 'txn-serial', concurrency: 1 });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1150);
    const times = posts(from).map((e) => e.time);
    expect(times).toHaveLength(3);
    expect(times[1] - times[0]).toBeGreaterThanOrEqual(350);
    expect(times[2] - times[1]).toBeGreaterThanOrEqual(350);
  });

  test('abort mid-upload rejects with AbortError and stores nothing', async () => {
    const f = makeFile(s.dir, 'abort.wav', MiB);
    s.sb.faults.add({ target: 's3', op: 'PostObject', times: 2, action: { stallMs: 3000 } });
    const before = s.sb.objects().length;
    const from = s.sb.log.entries().length;
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 300);
    const t0 = Date.now();
    const err = await rejection(client().uploadFiles([f.path, { source: Buffer.from('b'), name: 'b.wav' }], { txnId: 'txn-abort', signal: ac.signal }));
    expect(err).toMatchObject({ name: 'AbortError', code: 'ERR_UPLIFT_ABORTED', vendor: 'eka' });
    expect(Date.now() - t0).toBeLessThan(2000);
    await waitFor(() => posts(from).length === 2, 5000);
    expect(s.sb.objects()).toHaveLength(before);
  });

  test('the binding reads the typed spec once: a missing or mistyped field is a typed error naming it, no request', async () => {
    const from = s.sb.log.entries().length;
    const n = s.engine.nativeEngine() as unknown as { run(op: string, spec: object): { promise: Promise<unknown> } };
    const api = { baseUrl: s.sb.urls.eka, token: s.sb.credentials.eka.token };
    const file = { source: { kind: 'buffer', buffer: Buffer.alloc(4) }, name: 'a.wav', contentType: 'audio/wav' };
    const ticket = { url: 'http://127.0.0.1:1/', fields: { key: 'k', policy: 'p' }, folderPath: 'f/' };
    for (const [op, spec, field] of [
      ['eka.presign', { ...api }, 'txnId'],
      ['eka.uploadFiles', { ...api, txnId: 't', files: [{ ...file, name: 3 }] }, 'files[0].name'],
      ['eka.uploadFiles', { ...api, txnId: 't', files: [] }, 'files'],
      ['eka.uploadFiles', { ...api, txnId: 't', files: [{ name: 'a.wav', contentType: 'audio/wav' }] }, 'files[0].source'],
      ['eka.upload', { ...api, ticket: { ...ticket, fields: { key: 1 } }, files: [file] }, 'ticket.fields.key'],
      ['eka.upload', { ...api, ticket: 'x', files: [file] }, 'ticket'],
    ] as [string, object, string][]) {
      await expect(n.run(op, spec).promise).rejects.toMatchObject({ code: 'ERR_UPLIFT_INVALID_ARGUMENT', field });
    }
    expect(logSince(s.sb, from)).toHaveLength(0);
  });

  test('a missing file fails before any request', async () => {
    const here = makeFile(s.dir, 'here.wav', 10);
    const from = s.sb.log.entries().length;
    const err = await rejection(client().uploadFiles([here.path, join(s.dir, 'missing.wav')], { txnId: 'txn-missing' }));
    expect(err).toMatchObject({ code: 'ERR_UPLIFT_FILE_NOT_FOUND', vendor: 'eka' });
    expect(logSince(s.sb, from)).toHaveLength(0);
  });
});
