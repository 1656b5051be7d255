// Bad inputs across the public API: types, ranges, paths, names, headers, URLs, vendor fields,
// engine options, closed engines, wrong stream sizes and malformed vendor answers. Each is a
// typed error (class by instanceof, stable code) whose message names the problem; none sends
// a byte (every URL points at the sandbox, whose log must stay empty), none crashes.
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import {
  AbortError, BadResponseError, eka, Engine, EngineClosedError, heify, InvalidArgumentError, kore, plaud, postPresignedForm, putPresigned,
  RegionUnavailableError, scripe, SourceError, TooLargeError, UnsupportedTypeError, uploadPresignedParts, UpliftError,
} from '../../lib';
import { S3Client } from '../../lib/sandbox';
import { expectNoSecret, logMark, md5, MiB, trapUnhandledRejections, useSuite } from './helpers';

trapUnhandledRejections();
const s = useSuite('bad');

/** A real presigned PUT on the sandbox's S3: a byte sent to it would show in sb.log. */
let putUrl: string;
/** part URLs on the sandbox's S3 */
let partUrl: (n: number) => string;
let audio: string;
let emptyMp3: string;

beforeAll(async () => {
  const s3 = new S3Client(s.sb.s3);
  const bucket = s.sb.fixtures.buckets.scripe;
  putUrl = await s3.presignPut(bucket, 'bad-input/object.wav', { expiresInSec: 900 });
  partUrl = (n) => `${s.sb.s3.endpoint}/${bucket}/bad-input/parts?partNumber=${n}&uploadId=u1&X-Amz-Signature=${'0f'.repeat(32)}`;
  audio = join(s.dir, 'take.wav');
  writeFileSync(audio, Buffer.alloc(64 * 1024, 7));
  emptyMp3 = join(s.dir, 'empty.mp3');
  writeFileSync(emptyMp3, Buffer.alloc(0));
  mkdirSync(join(s.dir, 'folder.wav'));
});

const plaudClient = (): plaud.PlaudClient => plaud.client({ token: s.sb.credentials.plaud.token, baseUrl: s.sb.urls.plaud, engine: s.engine });
const koreClient = (): kore.KoreClient => kore.client({ apiKey: s.sb.credentials.kore.apiKey, baseUrl: s.sb.urls.kore, engine: s.engine });
const scripeClient = (): scripe.ScripeClient => scripe.client({ apiKey: s.sb.credentials.scripe.apiKey, baseUrl: s.sb.urls.scripe, engine: s.engine });
const heifyClient = (): heify.HeifyClient => heify.client({ apiKey: s.sb.credentials.heify.apiKey, baseUrl: s.sb.urls.heify, engine: s.engine });
const ekaClient = (): eka.EkaClient => eka.client({ token: s.sb.credentials.eka.token, baseUrl: s.sb.urls.eka, engine: s.engine });
const put = (o: Record<string, unknown>, source: unknown = Buffer.from('abc')): Promise<unknown> =>
  putPresigned(putUrl, source as Buffer, { engine: s.engine, ...o } as never);
const parts = (list: unknown, o: Record<string, unknown> = {}, source: unknown = Buffer.alloc(10)): Promise<unknown> =>
  uploadPresignedParts(list as never, source as Buffer, { engine: s.engine, partSizeBytes: 5, ...o } as never);
const twoParts = (): { partNumber: number; url: string }[] => [{ partNumber: 1, url: partUrl(1) }, { partNumber: 2, url: partUrl(2) }];
const streamOf = (bytes: number): Readable => Readable.from([Buffer.alloc(bytes, 1)]);
const uuid = '123e4567-e89b-42d3-a456-426614174000';

type ErrorClass = abstract new (...args: never[]) => Error;

interface Case {
  name: string;
  /** may throw synchronously (client constructors) or reject */
  run: () => unknown;
  cls: ErrorClass;
  code: string;
  /** must match the message: names the field or the problem */
  re: RegExp;
  /** InvalidArgumentError.field, when it is one */
  field?: string;
}

const inv = (name: string, run: () => unknown, re: RegExp, field?: string): Case => ({
  name, run, cls: InvalidArgumentError, code: 'ERR_UPLIFT_INVALID_ARGUMENT', re, field,
});

const cases: Case[] = [
  // sources and paths
  { name: 'path that does not exist', run: () => put({}, join(s.dir, 'nope.wav')), cls: SourceError, code: 'ERR_UPLIFT_FILE_NOT_FOUND', re: /not found.*nope\.wav/ },
  { name: 'path that is a directory', run: () => put({}, join(s.dir, 'folder.wav')), cls: SourceError, code: 'ERR_UPLIFT_NOT_A_FILE', re: /directory.*folder\.wav/ },
  inv('empty path string', () => put({}, ''), /source/, 'source'),
  inv('path with a NUL byte', () => put({}, 'take\u0000.wav'), /NUL/, 'source'),
  inv('a number as source', () => put({}, 42), /for source but received number 42/, 'source'),
  inv('Plaud: empty file (Plaud stores at least 1 byte)', () => plaudClient().uploadFile(emptyMp3), /empty/, 'source'),
  inv('Kore: empty file', () => koreClient().uploadFile(emptyMp3, { fileContext: 'bulkImport' }), /empty/, 'source'),
  inv('stream size negative', () => put({}, { stream: streamOf(3), size: -5 }), /source\.size/, 'source.size'),
  inv('stream size not an integer', () => put({}, { stream: streamOf(3), size: 2.5 }), /source\.size/, 'source.size'),
  // sizes and concurrency
  inv('concurrency negative', () => put({ concurrency: -1 }), /options\.concurrency.*-1/, 'options.concurrency'),
  inv('concurrency not an integer', () => put({ concurrency: 2.5 }), /options\.concurrency/, 'options.concurrency'),
  inv('concurrency NaN', () => put({ concurrency: NaN }), /options\.concurrency.*NaN/, 'options.concurrency'),
  inv('concurrency 0', () => parts(twoParts(), { concurrency: 0 }), /options\.concurrency/, 'options.concurrency'),
  inv('concurrency over 64', () => plaudClient().uploadFile(audio, { concurrency: 65 }), /options\.concurrency.*65/, 'options.concurrency'),
  inv('partSizeBytes 0', () => parts(twoParts(), { partSizeBytes: 0 }), /options\.partSizeBytes/, 'options.partSizeBytes'),
  inv('partSizeBytes negative', () => parts(twoParts(), { partSizeBytes: -5 * MiB }), /options\.partSizeBytes/, 'options.partSizeBytes'),
  inv('partSizeBytes NaN', () => parts(twoParts(), { partSizeBytes: NaN }), /options\.partSizeBytes/, 'options.partSizeBytes'),
  inv('Plaud presign: fileSize not an integer', () => plaudClient().presign({ fileSize: 1.5, fileType: 'mp3' }), /options\.fileSize/, 'options.fileSize'),
  inv('Plaud presign: fileSize negative', () => plaudClient().presign({ fileSize: -1, fileType: 'mp3' }), /options\.fileSize/, 'options.fileSize'),
  inv('Plaud presign: fileSize over 5 GiB', () => plaudClient().presign({ fileSize: 5 * 1024 ** 3 + 1, fileType: 'mp3' }), /options\.fileSize/, 'options.fileSize'),
  inv('spoolLimitBytes negative', () => put({ spoolLimitBytes: -1 }), /options\.spoolLimitBytes/, 'options.spoolLimitBytes'),
  // part URLs
  inv('parts: empty list', () => parts([]), /parts/, 'parts'),
  inv('parts: a part number twice', () => parts([{ partNumber: 1, url: partUrl(1) }, { partNumber: 1, url: partUrl(2) }]), /appears twice/),
  inv('parts: a non-http(s) URL', () => parts([{ partNumber: 1, url: partUrl(1) }, { partNumber: 2, url: 'ftp://127.0.0.1/x' }]), /parts\[1\]\.url/, 'parts[1].url'),
  inv('parts: URL missing', () => parts([{ partNumber: 1 }, { partNumber: 2, url: partUrl(2) }]), /parts\[0\]\.url/, 'parts[0].url'),
  inv('parts: fewer URLs than parts', () => parts([{ partNumber: 1, url: partUrl(1) }]), /parts has 1 URL.*need 2/, 'parts'),
  inv('parts: part number 0', () => parts([{ partNumber: 0, url: partUrl(1) }, { partNumber: 2, url: partUrl(2) }]), /parts\[0\]\.partNumber/, 'parts[0].partNumber'),
  // URLs
  inv('file: URL', () => putPresigned('file:///etc/passwd', Buffer.from('x'), { engine: s.engine }), /http: or https:.*url/, 'url'),
  inv('URL with CR/LF', () => putPresigned(`${putUrl}\r\nX-Injected: 1`, Buffer.from('x'), { engine: s.engine }), /control characters/, 'url'),
  inv('relative URL', () => putPresigned('/bucket/key', Buffer.from('x'), { engine: s.engine }), /absolute http/, 'url'),
  inv('Eka baseUrl with a query string', () => eka.client({ token: 't0ken', baseUrl: `${s.sb.urls.eka}?x=1` }), /options\.baseUrl/, 'options.baseUrl'),
  // headers
  inv('header name with CR/LF', () => put({ headers: { 'x-a\r\nx-b': '1' } }), /header name .*options\.headers\["x-a\\r\\nx-b"\]/),
  inv('header name with a space', () => put({ headers: { 'x a': '1' } }), /header name .*for options\.headers\["x a"\]/, 'options.headers["x a"]'),
  inv('header value with CR/LF', () => put({ headers: { 'x-amz-meta-a': 'ok\r\nx-evil: 1' } }), /without CR, LF.*for options\.headers\["x-amz-meta-a"\]/, 'options.headers["x-amz-meta-a"]'),
  inv('header value a number', () => put({ headers: { 'x-amz-meta-a': 5 } }), /string header value for options\.headers\["x-amz-meta-a"\] but received number 5/),
  inv('Content-Type with CR/LF', () => put({ contentType: 'audio/mpeg\r\nx-evil: 1' }), /content type .*for options\.contentType/, 'options.contentType'),
  inv('method other than PUT or POST', () => put({ method: 'DELETE' }), /options\.method/, 'options.method'),
  inv('form field name with CR/LF', () => postPresignedForm(putUrl, { 'key\r\nx': 'a' }, Buffer.from('x'), { engine: s.engine }), /CR, LF.*for fields/, 'fields'),
  inv('form field value not a string', () => postPresignedForm(putUrl, { key: 5 } as never, Buffer.from('x'), { engine: s.engine }), /for fields\.key but received number 5/, 'fields.key'),
  inv('form fileField with a quote', () => postPresignedForm(putUrl, {}, Buffer.from('x'), { engine: s.engine, fileField: 'fi"le' }), /options\.fileField/, 'options.fileField'),
  inv('the same header twice, in two cases', () => put({ headers: { 'X-Amz-Meta-A': '1', 'x-amz-meta-a': '2' } }), /already given as "X-Amz-Meta-A"/),
  // abort and common options
  {
    name: 'signal aborted before the call', cls: AbortError, code: 'ERR_UPLIFT_ABORTED', re: /abort/i,
    run: () => plaudClient().uploadFile(audio, { signal: AbortSignal.abort(new Error('stop before start')) }),
  },
  inv('signal that is not an AbortSignal', () => put({ signal: { aborted: false } }), /options\.signal/, 'options.signal'),
  inv('unknown option (typo)', () => put({ concurency: 2 }), /Unknown option "concurency".*did you mean "concurrency"/, 'options.concurency'),
  inv('onProgress not a function', () => put({ onProgress: 'log' }), /options\.onProgress/, 'options.onProgress'),
  inv('retry.maxAttempts 0', () => put({ retry: { maxAttempts: 0 } }), /options\.retry\.maxAttempts/, 'options.retry.maxAttempts'),
  inv('timeouts.stallMs negative', () => put({ timeouts: { stallMs: -1 } }), /options\.timeouts\.stallMs/, 'options.timeouts.stallMs'),
  inv('retry with an unknown key', () => put({ retry: { max: 3 } }), /Unknown option "max" in options\.retry/, 'options.retry.max'),
  inv('timeouts.connectMs 0', () => put({ timeouts: { connectMs: 0 } }), /options\.timeouts\.connectMs/, 'options.timeouts.connectMs'),
  inv('engine that is not an Engine', () => put({ engine: {} }), /options\.engine/, 'options.engine'),
  // credentials
  inv('token of the wrong type (number)', () => plaud.client({ token: 12345 as never, baseUrl: s.sb.urls.plaud }), /options\.token.*number/, 'options.token'),
  inv('API key with a space', () => scripe.client({ apiKey: 'scripe key with spaces', baseUrl: s.sb.urls.scripe }), /options\.apiKey/, 'options.apiKey'),
  inv('client option typo', () => plaud.client({ token: 'plaud_t0ken', regoin: 'us' } as never), /Unknown option "regoin".*did you mean "region"/),
  inv('Scripe apiVersion not a date', () => scripe.client({ apiKey: 'scripe_t0ken', apiVersion: '2026/08/01' }), /options\.apiVersion/, 'options.apiVersion'),
  inv('Kore without baseUrl', () => kore.client({ apiKey: 'kg-abc' } as never), /options\.baseUrl/, 'options.baseUrl'),
  // Eka names and transaction ids
  inv('Eka: file name with ../', () => ekaClient().uploadFiles([{ source: audio, name: '../escape.wav' }], { txnId: 'txn_1' }), /file name without "\/".* for sources\[0\]\.name but received string "\.\.\/escape\.wav"/, 'sources[0].name'),
  inv('Eka: file name with /', () => ekaClient().uploadFiles([{ source: audio, name: 'dir/take.wav' }], { txnId: 'txn_1' }), /name/),
  inv('Eka: file name with a control character', () => ekaClient().uploadFiles([{ source: audio, name: 'take\u0007.wav' }], { txnId: 'txn_1' }), /control characters/),
  // (a Buffer without name is named audio-<n>.<ext>: test/vendors/eka.test.ts)
  inv('Eka: txnId with /', () => ekaClient().uploadFiles(audio, { txnId: 'a/b' }), /options\.txnId/, 'options.txnId'),
  inv('Eka: extraData with a nested object', () => ekaClient().uploadFiles(audio, { txnId: 'txn_1', extraData: { a: { b: 1 } } as never }), /options\.extraData\.a/, 'options.extraData.a'),
  inv('Eka: two files with one name', () => ekaClient().uploadFiles([audio, { source: Buffer.from('y'), name: 'take.wav' }], { txnId: 'txn_1' }), /two files are named "take\.wav"/),
  // Kore
  { name: 'Kore: unsupported extension', run: () => koreClient().uploadFile(Buffer.from('notes'), { fileContext: 'bulkImport', fileName: 'notes.txt' }), cls: UnsupportedTypeError, code: 'ERR_UPLIFT_UNSUPPORTED_TYPE', re: /"\.txt"/ },
  inv('Kore: chunkSizeBytes over 25 MiB', () => koreClient().uploadFile(audio, { fileContext: 'bulkImport', chunkSizeBytes: 25 * MiB + 1 }), /options\.chunkSizeBytes/, 'options.chunkSizeBytes'),
  inv('Kore: fileName with ../', () => koreClient().uploadFile(audio, { fileContext: 'bulkImport', fileName: '../up.wav' }), /options\.fileName/, 'options.fileName'),
  inv('Kore: fileContext missing', () => koreClient().uploadFile(audio, {} as never), /options\.fileContext/, 'options.fileContext'),
  // Plaud
  { name: "Plaud: region 'eu'", run: () => plaud.client({ token: 'plaud_t0ken', region: 'eu' }), cls: RegionUnavailableError, code: 'ERR_UPLIFT_REGION_UNAVAILABLE', re: /"eu" is not yet available/ },
  inv("Plaud: region 'xx'", () => plaud.client({ token: 'plaud_t0ken', region: 'xx' as never }), /options\.region.*"xx"/, 'options.region'),
  inv('Plaud: fileType with punctuation', () => plaudClient().uploadFile(audio, { fileType: 'mp3!' }), /options\.fileType/, 'options.fileType'),
  // Scripe
  // (a type outside Scripe's listed examples goes to the server, whose 422 is the UnsupportedTypeError: test/vendors/scripe.test.ts)
  inv('Scripe: maxSizeBytes over the type cap', () => scripeClient().uploadFile(audio, { maxSizeBytes: 500 * MiB + 1 }), /options\.maxSizeBytes.*caps audio\/wav/, 'options.maxSizeBytes'),
  inv('Scripe: maxSizeBytes 0', () => scripeClient().presign({ contentType: 'audio/mpeg', maxSizeBytes: 0 }), /options\.maxSizeBytes/, 'options.maxSizeBytes'),
  { name: 'Scripe: source over maxSizeBytes', run: () => scripeClient().uploadFile(audio, { maxSizeBytes: 100 }), cls: TooLargeError, code: 'ERR_UPLIFT_TOO_LARGE', re: /65536 bytes, over the 100-byte limit/ },
  // Heify
  inv('Heify: configurationId not a UUID', () => heifyClient().uploadFile(audio, { configurationId: 'config-1' }), /UUID .*for options\.configurationId/, 'options.configurationId'),
  inv('Heify: configurationId missing', () => heifyClient().uploadFile(audio, {} as never), /options\.configurationId/, 'options.configurationId'),
  inv('Heify: evaluatorId not a UUID', () => heifyClient().presign({ configurationId: uuid, evaluatorId: 'nobody' }), /options\.evaluatorId/, 'options.evaluatorId'),
  inv('Heify: name over 255 characters', () => heifyClient().presign({ configurationId: uuid, name: 'n'.repeat(256) }), /at most 255 characters for options\.name/, 'options.name'),
  // Engine
  inv('Engine: threads 0', () => new Engine({ threads: 0 }), /between 1 and 16 for options\.threads/, 'options.threads'),
  inv('Engine: threads 17', () => new Engine({ threads: 17 }), /options\.threads.*17/, 'options.threads'),
  inv('Engine: maxConnectionsPerHost 65', () => new Engine({ maxConnectionsPerHost: 65 }), /options\.maxConnectionsPerHost/, 'options.maxConnectionsPerHost'),
  inv('Engine: unknown option', () => new Engine({ thread: 2 } as never), /Unknown option "thread".*did you mean "threads"/),
  inv('Engine: insecureSkipTlsVerify not a boolean', () => new Engine({ insecureSkipTlsVerify: 'yes' as never }), /options\.insecureSkipTlsVerify/, 'options.insecureSkipTlsVerify'),
  {
    name: 'a closed engine (primitive)', cls: EngineClosedError, code: 'ERR_UPLIFT_ENGINE_CLOSED', re: /closed/,
    run: async () => { const e = new Engine(); await e.close(); return putPresigned(putUrl, Buffer.from('x'), { engine: e }); },
  },
  {
    name: 'a closed engine (vendor client)', cls: EngineClosedError, code: 'ERR_UPLIFT_ENGINE_CLOSED', re: /closed/,
    run: async () => {
      const e = new Engine();
      await e.close();
      return plaud.client({ token: s.sb.credentials.plaud.token, baseUrl: s.sb.urls.plaud, engine: e }).uploadFile(audio);
    },
  },
];

/** What `run` threw or rejected with; fails when it succeeds. */
async function failure(run: () => unknown): Promise<Error & Record<string, unknown>> {
  try {
    await run();
  } catch (e) {
    return e as Error & Record<string, unknown>;
  }
  throw new Error('expected a typed error, but the call succeeded');
}

test('the table holds more than 30 cases', () => {
  expect(cases.length).toBeGreaterThan(30);
});

describe('typed error, message naming the problem, nothing sent', () => {
  test.each(cases)('$name', async (c) => {
    const mark = logMark(s.sb);
    const err = await failure(c.run);
    expect(err).toBeInstanceOf(UpliftError);
    expect(err).toBeInstanceOf(c.cls);
    expect(err.code).toBe(c.code);
    expect(err.message).toMatch(c.re);
    if (c.field !== undefined) expect(err.field).toBe(c.field);
    expect(err.retryable).toBe(false);
    expectNoSecret(s.sb, err, [new URL(putUrl).searchParams.get('X-Amz-Signature') ?? '-', '0f'.repeat(32)]);
    // nothing reached the sandbox (vendor APIs or S3)
    await new Promise((r) => setTimeout(r, 20));
    expect(mark.since()).toEqual([]);
  });
});

// The engine computes the request framing; a caller's Content-Length / Transfer-Encoding /
// Expect / Connection / Host would corrupt it (a shorter Content-Length leaves body bytes to be
// read as the next request), so they are refused before anything is sent, whatever their case.
const framing: [string, string][] = [['Content-Length', '5'], ['Transfer-Encoding', 'chunked'], ['Expect', ''], ['connection', 'close'], ['HOST', 'evil.example']];
test.each(framing)('framing header %s is refused before any byte', async (name, value) => {
  const mark = logMark(s.sb);
  const err = await failure(() => put({ headers: { [name]: value }, retry: { maxAttempts: 1 } }, Buffer.alloc(10, 65)));
  expect(err).toBeInstanceOf(InvalidArgumentError);
  expect(err.message).toMatch(new RegExp(`options\\.headers\\["${name}"\\]`));
  await new Promise((r) => setTimeout(r, 20));
  expect(mark.since()).toEqual([]);
});

test('an aborted signal rejects with its reason as cause', async () => {
  const reason = new Error('stop before start');
  const err = await failure(() => plaudClient().uploadFile(audio, { signal: AbortSignal.abort(reason) }));
  expect(err).toMatchObject({ name: 'AbortError', vendor: 'plaud' });
  expect(err.cause).toBe(reason);
});

test('a secret given in the wrong shape never shows in the error', async () => {
  const key = 'scripe key with spaces 0123456789';
  const err = await failure(() => scripe.client({ apiKey: key, baseUrl: s.sb.urls.scripe }));
  expect(`${err.message}\n${JSON.stringify(err)}`).not.toContain(key);
});

// A stream whose real length differs from its declared size may be streamed before the
// difference shows, so bytes can go out; what must hold is a typed SIZE_MISMATCH and no
// object (no truncated or padded copy) stored, and for multipart no complete.
describe('a stream whose size is wrong: ERR_UPLIFT_SIZE_MISMATCH and nothing stored', () => {
  /** `bytes` random bytes in 64 KiB chunks, read lazily */
  const slowStream = (bytes: number): Readable => Readable.from((function* () {
    for (let left = bytes; left > 0; left -= 64 * 1024) yield randomBytes(Math.min(64 * 1024, left));
  })());
  const sizes: [string, number, number][] = [
    ['shorter than declared (tiny)', 10, 20],
    ['longer than declared (tiny)', 30, 20],
    ['shorter than declared (3 of 4 MiB)', 3 * MiB, 4 * MiB],
    ['longer than declared (5 of 4 MiB)', 5 * MiB, 4 * MiB],
  ];

  test.each(sizes)('putPresigned: %s', async (_label, real, declared) => {
    const key = `bad-input/stream-${real}-${declared}.wav`;
    const url = await new S3Client(s.sb.s3).presignPut(s.sb.fixtures.buckets.scripe, key, { expiresInSec: 900 });
    const mark = logMark(s.sb);
    const err = await failure(() => putPresigned(url, { stream: slowStream(real), size: declared }, { engine: s.engine }));
    expect(err).toBeInstanceOf(SourceError);
    expect(err).toMatchObject({ code: 'ERR_UPLIFT_SIZE_MISMATCH', retryable: false });
    expect(err.message).toMatch(new RegExp(`${declared}`));
    await new Promise((r) => setTimeout(r, 50));
    expect(mark.since().filter((e) => e.status === 200)).toEqual([]);
    expect(s.sb.objects().filter((o) => o.key === key)).toEqual([]);
  });

  test.each(sizes.slice(2))('Plaud multipart: %s', async (_label, real, declared) => {
    const mark = logMark(s.sb);
    const before = s.sb.objects().length;
    const err = await failure(() => plaudClient().uploadFile({ stream: slowStream(real), size: declared, name: 'stream.mp3' }));
    expect(err).toBeInstanceOf(SourceError);
    expect(err).toMatchObject({ code: 'ERR_UPLIFT_SIZE_MISMATCH', vendor: 'plaud' });
    await new Promise((r) => setTimeout(r, 50));
    expect(mark.since({ target: 'plaud', op: 'complete' })).toEqual([]);
    expect(s.sb.objects()).toHaveLength(before);
  });
});

describe('an empty file where the vendor allows it', () => {
  const EMPTY_MD5 = md5(Buffer.alloc(0));

  test('putPresigned of an empty file stores an empty object', async () => {
    const url = await new S3Client(s.sb.s3).presignPut(s.sb.fixtures.buckets.scripe, 'bad-input/empty.mp3', { expiresInSec: 900 });
    const r = await putPresigned(url, emptyMp3, { engine: s.engine });
    expect(r).toMatchObject({ status: 200, bytes: 0, md5: EMPTY_MD5 });
    expect(s.sb.objects().find((o) => o.key === 'bad-input/empty.mp3')).toMatchObject({ size: 0, md5: EMPTY_MD5, contentType: 'audio/mpeg' });
  });

  test('Scripe uploadFile of an empty file succeeds', async () => {
    const r = await scripeClient().uploadFile(emptyMp3);
    expect(r).toMatchObject({ bytes: 0, md5: EMPTY_MD5, contentType: 'audio/mpeg' });
    const stored = s.sb.objects().filter((o) => o.bucket === s.sb.fixtures.buckets.scripe && r.uploadId.endsWith(o.key.split('/').pop() ?? '-'));
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({ size: 0, md5: EMPTY_MD5 });
  });

  test('Eka uploadFiles of an empty file succeeds (its policy allows 0 bytes)', async () => {
    const r = await ekaClient().uploadFiles(emptyMp3, { txnId: 'txn_empty' });
    expect(r.files).toEqual([{ key: `${r.folderPath}empty.mp3`, size: 0, md5: EMPTY_MD5 }]);
    expect(s.sb.objects().find((o) => o.key === r.files[0].key)).toMatchObject({ size: 0, md5: EMPTY_MD5 });
  });
});

describe('malformed vendor answers (broken JSON injected by the sandbox): ERR_UPLIFT_BAD_RESPONSE, no file byte sent', () => {
  const runs: { vendor: string; op: string; run: () => Promise<unknown> }[] = [
    { vendor: 'eka', op: 'presign', run: () => ekaClient().uploadFiles(audio, { txnId: 'txn_bad_json' }) },
    { vendor: 'kore', op: 'sessionStart', run: () => koreClient().presign({ fileContext: 'bulkImport', fileName: 'a.wav', fileSize: 10, totalChunks: 1, fileExtension: 'wav' }) },
    { vendor: 'plaud', op: 'presign', run: () => plaudClient().uploadFile(audio) },
    { vendor: 'scripe', op: 'presign', run: () => scripeClient().uploadFile(audio) },
    { vendor: 'heify', op: 'presign', run: () => heifyClient().uploadFile(audio, { configurationId: s.sb.fixtures.heify.configurationId }) },
  ];
  test.each(runs)('$vendor $op', async (c) => {
    s.sb.faults.add({ target: c.vendor, op: c.op, action: { malformedJson: true } });
    const mark = logMark(s.sb);
    const err = await failure(c.run);
    expect(err).toBeInstanceOf(BadResponseError);
    expect(err).toMatchObject({ code: 'ERR_UPLIFT_BAD_RESPONSE', vendor: c.vendor, retryable: false });
    expect(err.message).toMatch(/JSON|malformed|parse|invalid/i);
    await new Promise((r) => setTimeout(r, 20));
    // exactly the one vendor call; no S3 request
    expect(mark.since().map((e) => `${e.target} ${e.op}`)).toEqual([`${c.vendor} ${c.op}`]);
  });
});

describe('vendor answers that are JSON but lack required fields: ERR_UPLIFT_BAD_RESPONSE, no file byte sent', () => {
  let server: http.Server;
  let base: string;
  /** JSON body answered next (200) */
  let answer = '{}';
  const seen: string[] = [];

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      seen.push(`${req.method} ${req.url}`);
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(answer)) });
        res.end(answer);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); });
  });
  beforeEach(() => { seen.length = 0; });

  const runs: { name: string; body: string; run: () => Promise<unknown> }[] = [
    {
      name: 'Plaud presign without Parts',
      body: JSON.stringify({ FileId: 'file_1', UploadId: 'u1', ChunkSize: 5242880 }),
      run: () => plaud.client({ token: 'plaud_t0ken', baseUrl: base, engine: s.engine }).uploadFile(audio),
    },
    {
      name: 'Scripe presign without uploadUrl',
      body: JSON.stringify({ data: { id: 'upl_1', method: 'PUT', contentType: 'audio/wav', maxSizeBytes: 1000000 } }),
      run: () => scripe.client({ apiKey: 'scripe_t0ken', baseUrl: base, engine: s.engine }).uploadFile(audio),
    },
    {
      name: 'Heify presign with an uploadUrl that is a number',
      body: JSON.stringify({ transcription_id: 't1', upload_url: 5 }),
      run: () => heify.client({ apiKey: 'hfy_t0ken', baseUrl: base, engine: s.engine }).uploadFile(audio, { configurationId: uuid }),
    },
    {
      name: 'Kore session start without sessionId',
      body: JSON.stringify({ expirationDate: '2030-01-01T00:00:00Z' }),
      run: () => kore.client({ apiKey: 'kg-t0ken', baseUrl: base, engine: s.engine })
        .presign({ fileContext: 'bulkImport', fileName: 'a.wav', fileSize: 10, totalChunks: 1, fileExtension: 'wav' }),
    },
    {
      name: 'Eka presign without the form fields',
      body: JSON.stringify({ uploadData: { url: 'http://127.0.0.1:1/bucket' }, folderPath: 'EC_1/txn/' }),
      run: () => eka.client({ token: 'eka_t0ken', baseUrl: base, engine: s.engine }).uploadFiles(audio, { txnId: 'txn_1' }),
    },
  ];
  test.each(runs)('$name', async (c) => {
    answer = c.body;
    const err = await failure(c.run);
    expect(err).toBeInstanceOf(BadResponseError);
    expect(err).toMatchObject({ code: 'ERR_UPLIFT_BAD_RESPONSE', retryable: false });
    expect(err.message.length).toBeGreaterThan(0);
    // one presign call reached the fake vendor; no upload followed
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatch(/^POST /);
  });
});
