// Heify client end to end against the sandbox: upload URL with signed x-amz-meta-* ids,
// PUT with those headers, UUID checks, the vendor's 401/404 errors, faults and abort.
import { join } from 'node:path';
import { heify } from '../../lib';
import { logSince, makeFile, MiB, rejection, useSuite, waitFor } from './helpers';
import { SANDBOX_READINGS } from '../../lib/sandbox';

describe.each(SANDBOX_READINGS.heify.map((r) => [r]))('reading heify=%s', (reading) => {
  const s = useSuite('heify', { heify: reading });

  const client = (over: Partial<heify.HeifyClientOptions> = {}): heify.HeifyClient =>
    heify.client({ apiKey: s.sb.credentials.heify.apiKey, baseUrl: s.sb.urls.heify, engine: s.engine, ...over });

  const objectOf = (transcriptionId: string) =>
    s.sb.objects().find((o) => o.bucket === s.sb.fixtures.buckets.heify && o.key === `upload/${s.sb.fixtures.heify.clientId}/${transcriptionId}`);

  test('uploadFile with all ids: bytes identical, ids stored as signed metadata', async () => {
    const fx = s.sb.fixtures.heify;
    const f = makeFile(s.dir, 'sales-call.mp3', 2 * MiB + 3);
    const r = await client().uploadFile(f.path, {
      configurationId: fx.configurationId, evaluatorId: fx.evaluatorId, participantId: fx.participantId, name: 'sales-call.mp3',
    });
    expect(r).toMatchObject({
      configurationId: fx.configurationId, evaluatorId: fx.evaluatorId, participantId: fx.participantId,
      name: 'sales-call.mp3', bytes: f.data.length, md5: f.md5,
    });
    expect(r.transcriptionId).toMatch(/^[0-9a-f-]{36}$/);
    // exactly the ids the URL signs are sent: all three, or (configuration-evaluator) two,
    // never an unsigned x-amz-meta-participant_id (S3: 403 HeadersNotSigned)
    const signed = reading === 'all-ids'
      ? { configuration_id: fx.configurationId, evaluator_id: fx.evaluatorId, participant_id: fx.participantId }
      : { configuration_id: fx.configurationId, evaluator_id: fx.evaluatorId };
    expect(objectOf(r.transcriptionId)).toMatchObject({ size: f.data.length, md5: f.md5, contentType: 'audio/mpeg' });
    expect(objectOf(r.transcriptionId)?.metadata).toEqual(signed);
  });

  test('name defaults to the file\'s base name transliterated to ASCII', async () => {
    const f = makeFile(s.dir, 'réunion-été Straße.wav', 1000);
    const r = await client().uploadFile(f.path, { configurationId: s.sb.fixtures.heify.configurationId });
    expect(r.name).toBe('reunion-ete Strasse.wav');
    expect(objectOf(r.transcriptionId)?.md5).toBe(f.md5);
  });

  test('presign → upload called separately; only the given ids are signed and sent', async () => {
    const fx = s.sb.fixtures.heify;
    const c = client();
    const hu = await c.presign({ configurationId: fx.configurationId, evaluatorId: fx.evaluatorId, name: 'réunion-été.wav' });
    expect(hu).toMatchObject({ configurationId: fx.configurationId, evaluatorId: fx.evaluatorId, participantId: null, name: 'runion-t.wav' });
    const bytes = Buffer.from('RIFF....WAVEfmt ');
    const put = await c.upload(hu, bytes, { contentType: 'audio/wav' });
    expect(put.status).toBe(200);
    const obj = objectOf(hu.transcriptionId);
    expect(obj).toMatchObject({ size: bytes.length, contentType: 'audio/wav' });
    expect(obj?.metadata).toEqual({ configuration_id: fx.configurationId, evaluator_id: fx.evaluatorId });
  });

  test('a header the URL signs but the upload has no value for is a typed error before any byte', async () => {
    const fx = s.sb.fixtures.heify;
    const c = client();
    const hu = await c.presign({ configurationId: fx.configurationId, evaluatorId: fx.evaluatorId });
    const from = s.sb.log.entries().length;
    const err = await rejection(c.upload({ ...hu, evaluatorId: null }, Buffer.from('abc')));
    expect(err).toMatchObject({ code: 'ERR_UPLIFT_INVALID_ARGUMENT', vendor: 'heify' });
    expect(err.message).toMatch(/x-amz-meta-evaluator_id.*evaluatorId/);
    expect(logSince(s.sb, from)).toHaveLength(0);
    expect(objectOf(hu.transcriptionId)).toBeUndefined();
  });

  test('a PUT with a wrong value for a signed metadata header is refused by S3', async () => {
    const fx = s.sb.fixtures.heify;
    const c = client();
    const hu = await c.presign({ configurationId: fx.configurationId, evaluatorId: fx.evaluatorId });
    const err = await rejection(c.upload({ ...hu, evaluatorId: fx.participantId }, Buffer.from('abc')));
    expect(err).toMatchObject({ code: 'ERR_UPLIFT_HTTP', vendor: 'heify', status: 403 });
    expect(objectOf(hu.transcriptionId)).toBeUndefined();
  });

  test('upload() sends only the signed ids even when the upload names more', async () => {
    const fx = s.sb.fixtures.heify;
    const c = client();
    const hu = await c.presign({ configurationId: fx.configurationId });
    const put = await c.upload({ ...hu, participantId: fx.participantId }, Buffer.from('abc'), { contentType: 'audio/wav' });
    expect(put.status).toBe(200);
    expect(objectOf(hu.transcriptionId)?.metadata).toEqual({ configuration_id: fx.configurationId });
  });

  test('an unknown configuration is the vendor 404 configuration_not_found', async () => {
    const err = await rejection(client().uploadFile(Buffer.from('abc'), { configurationId: '123e4567-e89b-12d3-a456-426614174000' }));
    expect(err).toMatchObject({ code: 'ERR_UPLIFT_VENDOR', vendor: 'heify', status: 404, vendorCode: 'configuration_not_found' });
    const err2 = await rejection(client().presign({ configurationId: s.sb.fixtures.heify.configurationId, participantId: '123e4567-e89b-12d3-a456-426614174000' }));
    expect(err2).toMatchObject({ code: 'ERR_UPLIFT_VENDOR', status: 404, vendorCode: 'participant_not_found' });
  });

  test('a wrong API key is ERR_UPLIFT_AUTH and never shows', async () => {
    const key = 'hfy_wrong_key_0000000000000000';
    const err = await rejection(client({ apiKey: key }).presign({ configurationId: s.sb.fixtures.heify.configurationId }));
    expect(err).toMatchObject({ code: 'ERR_UPLIFT_AUTH', vendor: 'heify', status: 401, vendorCode: 'unauthorized' });
    expect(JSON.stringify(err)).not.toContain(key);
    expect(err.stack).toContain('heify.test');
  });

  test('ids are UUID-checked and options known-checked before any request', async () => {
    const from = s.sb.log.entries().length;
    const c = client();
    await expect(c.presign({ configurationId: 'not-a-uuid' })).rejects.toMatchObject({ code: 'ERR_UPLIFT_INVALID_ARGUMENT', field: 'options.configurationId', vendor: 'heify' });
    await expect(c.presign({} as never)).rejects.toMatchObject({ field: 'options.configurationId' });
    await expect(c.uploadFile(Buffer.from('x'), { configurationId: s.sb.fixtures.heify.configurationId, evaluatorId: 'x' })).rejects.toMatchObject({ field: 'options.evaluatorId' });
    await expect(c.uploadFile(Buffer.from('x'), { configurationId: s.sb.fixtures.heify.configurationId, configuration_id: 'x' } as never)).rejects.toThrow(/Unknown option "configuration_id".*did you mean "configurationId"/);
    expect(logSince(s.sb, from)).toHaveLength(0);
  });

  test('the binding reads the typed spec once: a missing or mistyped field is a typed error naming it, no request', async () => {
    const from = s.sb.log.entries().length;
    const n = s.engine.nativeEngine() as unknown as { run(op: string, spec: object): { promise: Promise<unknown> } };
    const api = { baseUrl: s.sb.urls.heify, apiKey: s.sb.credentials.heify.apiKey };
    const buffer = { kind: 'buffer', buffer: Buffer.alloc(4) };
    for (const [op, spec, field] of [
      ['heify.presign', { ...api }, 'configurationId'],
      ['heify.presign', { ...api, configurationId: 'c', evaluatorId: 5 }, 'evaluatorId'],
      ['heify.uploadFile', { ...api, configurationId: 'c', source: buffer, contentType: ['audio/mpeg'] }, 'contentType'],
      ['heify.upload', { configurationId: 'c', source: buffer }, 'uploadUrl'],
      ['heify.upload', { uploadUrl: 'http://127.0.0.1:1/u', configurationId: 'c' }, 'source'],
    ] as [string, object, string][]) {
      await expect(n.run(op, spec).promise).rejects.toMatchObject({ code: 'ERR_UPLIFT_INVALID_ARGUMENT', field });
    }
    expect(logSince(s.sb, from)).toHaveLength(0);
  });

  test('uploadFile checks the source before presigning (no URL is minted for a missing file)', async () => {
    const from = s.sb.log.entries().length;
    const err = await rejection(client().uploadFile(join(s.dir, 'missing.mp3'), { configurationId: s.sb.fixtures.heify.configurationId }));
    expect(err).toMatchObject({ code: 'ERR_UPLIFT_FILE_NOT_FOUND', vendor: 'heify' });
    expect(logSince(s.sb, from)).toHaveLength(0);
  });

  test('a 503 on the presign is retried', async () => {
    s.sb.faults.add({ target: 'heify', op: 'presign', action: { status: 503 } });
    const from = s.sb.log.entries().length;
    const r = await client().uploadFile(Buffer.from('retry me'), { configurationId: s.sb.fixtures.heify.configurationId, contentType: 'audio/mpeg' });
    expect(objectOf(r.transcriptionId)?.size).toBe(8);
    expect(logSince(s.sb, from).filter((e) => e.op === 'presign').map((e) => e.status)).toEqual([503, 200]);
  });

  test('an expired upload URL is ERR_UPLIFT_URL_EXPIRED', async () => {
    const c = client();
    const hu = await c.presign({ configurationId: s.sb.fixtures.heify.configurationId });
    s.sb.faults.expireUrlsNow();
    await expect(c.upload(hu, Buffer.from('late'))).rejects.toMatchObject({ code: 'ERR_UPLIFT_URL_EXPIRED', vendor: 'heify' });
  });

  test('abort mid-PUT rejects with AbortError and stores nothing', async () => {
    const f = makeFile(s.dir, 'abort.mp3', MiB);
    s.sb.faults.add({ target: 's3', op: 'PutObject', action: { stallMs: 5000 } });
    const before = s.sb.objects().length;
    const from = s.sb.log.entries().length;
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 300);
    const err = await rejection(client().uploadFile(f.path, { configurationId: s.sb.fixtures.heify.configurationId, signal: ac.signal }));
    expect(err).toMatchObject({ name: 'AbortError', code: 'ERR_UPLIFT_ABORTED', vendor: 'heify' });
    await waitFor(() => logSince(s.sb, from).some((e) => e.op === 'PutObject'));
    expect(s.sb.objects()).toHaveLength(before);
  });
});
