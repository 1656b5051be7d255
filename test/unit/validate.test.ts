/** Unit tests of lib/validate.ts: message shape, predicates, checkers, sources, common options, statSource. */

import { promises as fsp } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { PassThrough, Readable } from 'stream';
import { InvalidArgumentError, SourceError } from '../../lib/errors';
import {
  checkBoolean,
  checkCommon,
  checkContentType,
  checkEnum,
  checkFunction,
  checkHeaders,
  checkInteger,
  checkKnownKeys,
  checkPlainObject,
  checkSignal,
  checkSource,
  checkString,
  checkUrl,
  checkUuid,
  COMMON_KEYS,
  describe as describeValue,
  ifDefined,
  invalid,
  isNonNegativeInteger,
  isPlainObject,
  isPositiveInteger,
  isReadableLike,
  isSafeSize,
  isSignalLike,
  statSource,
  type StatFs,
} from '../../lib/validate';

/** Runs `fn`, expects an InvalidArgumentError, returns it. */
function invalidFrom(fn: () => unknown): InvalidArgumentError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(InvalidArgumentError);
    return e as InvalidArgumentError;
  }
  throw new Error('expected an InvalidArgumentError');
}

describe('invalid() and describe()', () => {
  test('one message shape: expected, field, received', () => {
    const e = invalid('options.concurrency', 'an integer between 1 and 64', 0);
    expect(e).toBeInstanceOf(InvalidArgumentError);
    expect(e.code).toBe('ERR_UPLIFT_INVALID_ARGUMENT');
    expect(e.message).toBe('Expected an integer between 1 and 64 for options.concurrency but received number 0');
    expect(e.field).toBe('options.concurrency');
    expect(e.received).toBe('number 0');
  });

  test('describes each kind of value', () => {
    expect(describeValue('abc')).toBe('string "abc"');
    expect(describeValue('a\r\nb')).toBe('string "a\\r\\nb"');
    expect(describeValue('x'.repeat(100))).toBe(`string "${'x'.repeat(60)}..."`);
    expect(describeValue(1.5)).toBe('number 1.5');
    expect(describeValue(NaN)).toBe('number NaN');
    expect(describeValue(true)).toBe('boolean true');
    expect(describeValue(10n)).toBe('bigint 10n');
    expect(describeValue(Symbol('s'))).toBe('symbol');
    expect(describeValue(null)).toBe('null');
    expect(describeValue(undefined)).toBe('undefined');
    expect(describeValue(function named() {})).toBe('function named');
    expect(describeValue(Buffer.alloc(3))).toBe('Buffer of 3 bytes');
    expect(describeValue(new Uint16Array(2))).toBe('Uint16Array of 4 bytes');
    expect(describeValue([1, 2])).toBe('array of length 2');
    expect(describeValue({})).toBe('empty object');
    expect(describeValue({ a: 1, b: 2 })).toBe('object with keys a, b');
    expect(describeValue({ a: 1, b: 2, c: 3, d: 4, e: 5, f: 6 })).toBe('object with keys a, b, c, d, e, ...');
    expect(describeValue(new Date(0))).toBe('instance of Date');
    expect(describeValue(Object.create(Object.create(null)))).toBe('object');
  });

  test('never prints a secret-named field, only type and length', () => {
    expect(describeValue('sk_live_123456', 'token')).toBe('a string of length 14');
    expect(describeValue('sk_live_123456', 'options.apiKey')).toBe('a string of length 14');
    expect(describeValue('Bearer x', 'headers["Authorization"]')).toBe('a string of length 8');
    expect(describeValue(12345, 'api_key')).toBe('number');
    const e = invalid('kore.client options.apiKey', 'a non-empty string without spaces', 'sk live secret');
    expect(e.message).not.toContain('sk live secret');
    expect(e.message).toContain('a string of length 14');
  });

  test('redacts URL secrets in received strings', () => {
    const e = invalid('url', 'an https: URL', 'ftp://h/x?X-Amz-Signature=deadbeef');
    expect(e.message).not.toContain('deadbeef');
    expect(e.message).toContain('X-Amz-Signature=[REDACTED]');
  });
});

describe('predicates', () => {
  test('isPlainObject', () => {
    expect(isPlainObject({})).toBe(true);
    expect(isPlainObject(Object.create(null))).toBe(true);
    for (const v of [null, [], new Date(), 'x', 1, Buffer.alloc(1), new (class A {})()]) expect(isPlainObject(v)).toBe(false);
  });

  test('integers and sizes', () => {
    expect(isPositiveInteger(1)).toBe(true);
    for (const v of [0, -1, 1.5, NaN, Infinity, '1', 2 ** 53]) expect(isPositiveInteger(v)).toBe(false);
    expect(isNonNegativeInteger(0)).toBe(true);
    expect(isNonNegativeInteger(-1)).toBe(false);
    expect(isSafeSize(0)).toBe(true);
    expect(isSafeSize(Number.MAX_SAFE_INTEGER)).toBe(true);
    for (const v of [Number.MAX_SAFE_INTEGER + 1, -1, 0.5, '5', 5n]) expect(isSafeSize(v)).toBe(false);
  });

  test('isSignalLike / isReadableLike', () => {
    expect(isSignalLike(new AbortController().signal)).toBe(true);
    expect(isSignalLike({ aborted: false, addEventListener() {}, removeEventListener() {} })).toBe(true);
    expect(isSignalLike({ aborted: false })).toBe(false);
    expect(isSignalLike(null)).toBe(false);
    expect(isReadableLike(new PassThrough())).toBe(true);
    expect(isReadableLike({ on() {}, pipe() {}, read() {} })).toBe(true);
    expect(isReadableLike({ on() {} })).toBe(false);
    expect(isReadableLike('x')).toBe(false);
  });
});

describe('checkers', () => {
  test('checkString rules', () => {
    expect(checkString('f', '')).toBe('');
    expect(invalidFrom(() => checkString('opts.name', 5)).message).toBe('Expected a string for opts.name but received number 5');
    expect(invalidFrom(() => checkString('n', '', { nonEmpty: true })).message).toBe('Expected a non-empty string for n but received string ""');
    expect(invalidFrom(() => checkString('n', 'abcd', { maxLength: 3 })).message).toContain('of at most 3 characters');
    expect(checkString('n', 'abc', { maxLength: 3 })).toBe('abc');
    const g = /^[a-z]+$/g;
    expect(checkString('n', 'abc', { pattern: g })).toBe('abc');
    expect(checkString('n', 'abc', { pattern: g })).toBe('abc');
    expect(invalidFrom(() => checkString('n', 'A1', { pattern: /^[a-z]+$/ })).message).toContain('matching /^[a-z]+$/');
    expect(invalidFrom(() => checkString('n', 1, { expected: 'a txn id' })).message).toBe('Expected a txn id for n but received number 1');
  });

  test('checkInteger ranges', () => {
    expect(checkInteger('c', 5, { min: 1, max: 64 })).toBe(5);
    expect(invalidFrom(() => checkInteger('c', 65, { min: 1, max: 64 })).message).toBe('Expected an integer between 1 and 64 for c but received number 65');
    expect(invalidFrom(() => checkInteger('c', 0, { min: 1 })).message).toContain('an integer >= 1');
    expect(invalidFrom(() => checkInteger('c', 10, { max: 5 })).message).toContain('an integer <= 5');
    expect(invalidFrom(() => checkInteger('c', 1.5)).message).toBe('Expected an integer for c but received number 1.5');
    expect(invalidFrom(() => checkInteger('c', '3')).message).toContain('received string "3"');
    expect(checkInteger('c', -7)).toBe(-7);
  });

  test('checkBoolean / checkPlainObject / checkFunction / checkSignal', () => {
    expect(checkBoolean('b', false)).toBe(false);
    expect(invalidFrom(() => checkBoolean('b', 'yes')).message).toContain('Expected a boolean for b');
    expect(checkPlainObject('o', { a: 1 })).toEqual({ a: 1 });
    expect(invalidFrom(() => checkPlainObject('o', [])).message).toContain('received array of length 0');
    const fn = (): number => 1;
    expect(checkFunction('f', fn)).toBe(fn);
    expect(invalidFrom(() => checkFunction('onProgress', {})).message).toBe('Expected a function for onProgress but received empty object');
    const s = new AbortController().signal;
    expect(checkSignal('signal', s)).toBe(s);
    expect(invalidFrom(() => checkSignal('signal', true)).message).toBe('Expected an AbortSignal for signal but received boolean true');
  });

  test('checkUrl: only http: and https:, returned verbatim', () => {
    const presigned = 'https://b.s3.amazonaws.com/k%20ey.mp3?X-Amz-Signature=abc&x=%2F';
    expect(checkUrl('url', presigned)).toBe(presigned);
    expect(checkUrl('url', 'http://127.0.0.1:9000/plaud')).toBe('http://127.0.0.1:9000/plaud');
    const ftp = invalidFrom(() => checkUrl('baseUrl', 'ftp://example.com/x'));
    expect(ftp.message).toBe('Expected an absolute http: or https: URL (other schemes are not allowed) for baseUrl but received string "ftp://example.com/x"');
    expect(invalidFrom(() => checkUrl('url', 'not a url')).message).toContain('without spaces');
    expect(invalidFrom(() => checkUrl('url', '/relative/path')).field).toBe('url');
    expect(invalidFrom(() => checkUrl('url', 'https://h/x\r\nHost: evil')).message).toContain('without spaces or control characters');
    expect(invalidFrom(() => checkUrl('url', 'file:///etc/passwd')).message).toContain('http: or https:');
    expect(invalidFrom(() => checkUrl('url', 42)).message).toContain('received number 42');
    const secret = invalidFrom(() => checkUrl('url', 'gopher://h/?X-Amz-Signature=topsecret'));
    expect(secret.message).not.toContain('topsecret');
  });

  test('checkHeaders: copies valid headers', () => {
    const h = { 'Content-Type': 'audio/mpeg', 'x-amz-meta-a': 'v\twith tab', 'X-Empty': '' };
    const out = checkHeaders('headers', h);
    expect(out).toEqual(h);
    expect(out).not.toBe(h);
    expect(invalidFrom(() => checkHeaders('headers', 'x')).message).toContain('an object of header names to string values');
  });

  test('checkHeaders: CR/LF/NUL injection in values names the header and hides secret values', () => {
    const e = invalidFrom(() => checkHeaders('options.headers', { 'X-Meta': 'a\r\nX-Injected: 1' }));
    expect(e.field).toBe('options.headers["X-Meta"]');
    // header values are never echoed, whatever the header's name (a custom auth header holds a credential)
    expect(e.message).toBe('Expected a header value without CR, LF, NUL or other control characters for options.headers["X-Meta"] but received a string of length 16');
    expect(invalidFrom(() => checkHeaders('h', { A: 'x\ny' })).field).toBe('h["A"]');
    expect(invalidFrom(() => checkHeaders('h', { A: 'x\u0000y' })).field).toBe('h["A"]');
    const auth = invalidFrom(() => checkHeaders('h', { Authorization: 'Bearer sekrit\r\nX: 1' }));
    expect(auth.message).not.toContain('sekrit');
    expect(auth.message).toContain('a string of length');
  });

  test('checkHeaders: bad names, non-string values, duplicates ignoring case', () => {
    const bad = invalidFrom(() => checkHeaders('h', { 'X-Bad\r\nInjected': 'v' }));
    expect(bad.field).toBe('h["X-Bad\\r\\nInjected"]');
    expect(bad.message).toContain('RFC 7230 token');
    expect(invalidFrom(() => checkHeaders('h', { 'Has Space': 'v' })).message).toContain('header name');
    expect(invalidFrom(() => checkHeaders('h', { 'a:b': 'v' })).message).toContain('header name');
    expect(invalidFrom(() => checkHeaders('h', { '': 'v' })).message).toContain('header name');
    expect(invalidFrom(() => checkHeaders('h', { 'Content-Length': 5 })).message).toBe('Expected a string header value for h["Content-Length"] but received number 5');
    const dup = invalidFrom(() => checkHeaders('h', { 'content-type': 'a/b', 'Content-Type': 'c/d' }));
    expect(dup.message).toContain('not already given as "content-type"');
  });

  test('checkUuid / checkEnum / checkContentType', () => {
    expect(checkUuid('configurationId', '123E4567-e89b-12d3-a456-426614174000')).toBe('123E4567-e89b-12d3-a456-426614174000');
    expect(invalidFrom(() => checkUuid('configurationId', 'not-a-uuid')).message).toBe(
      'Expected a UUID such as 123e4567-e89b-12d3-a456-426614174000 for configurationId but received string "not-a-uuid"',
    );
    expect(checkEnum('region', 'jp', ['us', 'jp'] as const)).toBe('jp');
    expect(invalidFrom(() => checkEnum('region', 'US', ['us', 'jp'])).message).toBe('Expected one of "us", "jp" for region but received string "US"');
    expect(checkContentType('contentType', 'audio/mpeg')).toBe('audio/mpeg');
    expect(checkContentType('contentType', 'text/plain; charset="utf-8"')).toBe('text/plain; charset="utf-8"');
    for (const bad of ['audio', 'audio/mpeg\r\nX: y', 'audio/ mpeg', '', 'a/b; c']) {
      expect(invalidFrom(() => checkContentType('contentType', bad)).field).toBe('contentType');
    }
  });

  test('ifDefined', () => {
    expect(ifDefined(undefined, (v) => checkBoolean('b', v))).toBeUndefined();
    expect(ifDefined(true, (v) => checkBoolean('b', v))).toBe(true);
    expect(() => ifDefined(null, (v) => checkBoolean('b', v))).toThrow(InvalidArgumentError);
  });
});

describe('checkKnownKeys', () => {
  const known = [...COMMON_KEYS, 'fileType'];

  test('names the unknown key, suggests the closest and lists the known ones', () => {
    const e = invalidFrom(() => checkKnownKeys('options', { concurency: 4 }, known));
    expect(e.message).toBe(
      'Unknown option "concurency" in options (did you mean "concurrency"?); known options are: onProgress, signal, concurrency, engine, fileType',
    );
    expect(e.field).toBe('options.concurency');
    expect(e.received).toBe('number 4');
  });

  test('case and separator typos are suggested; far-off keys get no suggestion', () => {
    expect(invalidFrom(() => checkKnownKeys('o', { file_type: 'mp3' }, known)).message).toContain('did you mean "fileType"?');
    expect(invalidFrom(() => checkKnownKeys('o', { ONPROGRESS: 1 }, known)).message).toContain('did you mean "onProgress"?');
    const far = invalidFrom(() => checkKnownKeys('o', { banana: 1 }, known));
    expect(far.message).not.toContain('did you mean');
    expect(far.message).toContain('"banana"');
  });

  test('a misplaced secret is not printed', () => {
    const e = invalidFrom(() => checkKnownKeys('scripe.client options', { apiKey: 'sk_secret_value' }, ['baseUrl']));
    expect(e.message).not.toContain('sk_secret_value');
    expect(e.received).toBe('a string of length 15');
  });

  test('known keys pass, even when undefined', () => {
    expect(() => checkKnownKeys('o', { signal: undefined, fileType: 'mp3' }, known)).not.toThrow();
  });
});

describe('checkSource', () => {
  test('path, Buffer, Uint8Array', () => {
    expect(checkSource('source', '/tmp/a.mp3')).toEqual({ kind: 'path', path: '/tmp/a.mp3' });
    const b = Buffer.from('hi');
    const s = checkSource('source', b);
    expect(s.kind).toBe('buffer');
    expect(s.kind === 'buffer' && s.buffer).toBe(b);
    const u = new Uint8Array(3);
    const su = checkSource('source', u);
    expect(su.kind === 'buffer' && su.buffer).toBe(u);
    expect(invalidFrom(() => checkSource('source', '')).message).toContain('a non-empty file path');
    expect(invalidFrom(() => checkSource('source', 'a\u0000b')).message).toContain('without NUL');
  });

  test('a bare Readable and the { stream, ... } form', () => {
    const r = Readable.from(['x']);
    expect(checkSource('source', r)).toEqual({ kind: 'stream', stream: r });
    const p = new PassThrough();
    expect(checkSource('source', { stream: p, size: 10, name: 'a.wav', contentType: 'audio/wav' })).toEqual({
      kind: 'stream', stream: p, size: 10, name: 'a.wav', contentType: 'audio/wav',
    });
    expect(checkSource('source', { stream: p })).toEqual({ kind: 'stream', stream: p });
    p.destroy();
  });

  test('bad stream objects name the sub-field', () => {
    const p = new PassThrough();
    expect(invalidFrom(() => checkSource('source', { stream: p, size: -1 })).field).toBe('source.size');
    expect(invalidFrom(() => checkSource('source', { stream: p, size: 1.5 })).message).toContain('a byte count');
    expect(invalidFrom(() => checkSource('source', { stream: p, name: '' })).field).toBe('source.name');
    expect(invalidFrom(() => checkSource('source', { stream: p, contentType: 'mp3' })).field).toBe('source.contentType');
    expect(invalidFrom(() => checkSource('source', { stream: 'file.mp3' })).message).toBe('Expected a Readable stream for source.stream but received string "file.mp3"');
    const typo = invalidFrom(() => checkSource('source', { stream: p, sise: 3 }));
    expect(typo.message).toContain('did you mean "size"?');
    p.destroy();
    expect(invalidFrom(() => checkSource('source', p)).message).toContain('not ended or been destroyed');
  });

  test('anything else lists the accepted forms', () => {
    for (const v of [42, null, undefined, {}, [1], { path: '/x' }]) {
      const e = invalidFrom(() => checkSource('sources[1]', v));
      expect(e.message).toContain('Expected a file path, a Buffer or Uint8Array, a Readable, or { stream, size?, name?, contentType? } for sources[1]');
    }
  });
});

describe('checkCommon', () => {
  test('undefined and empty give {}', () => {
    expect(checkCommon(undefined)).toEqual({});
    expect(checkCommon({})).toEqual({});
  });

  test('returns only the common keys that were given, other keys untouched', () => {
    const onProgress = jest.fn();
    const signal = new AbortController().signal;
    const engine = { close: jest.fn() };
    expect(checkCommon({ onProgress, signal, concurrency: 64, engine, fileType: 'mp3' })).toEqual({ onProgress, signal, concurrency: 64, engine });
    expect(checkCommon({ concurrency: 1, signal: undefined })).toEqual({ concurrency: 1 });
  });

  test('each bad common option names its field', () => {
    expect(invalidFrom(() => checkCommon(null)).message).toBe('Expected an options object for options but received null');
    expect(invalidFrom(() => checkCommon({ onProgress: 'x' })).field).toBe('options.onProgress');
    expect(invalidFrom(() => checkCommon({ signal: {} })).field).toBe('options.signal');
    expect(invalidFrom(() => checkCommon({ concurrency: 0 })).message).toBe('Expected an integer between 1 and 64 for options.concurrency but received number 0');
    expect(invalidFrom(() => checkCommon({ concurrency: 65 })).field).toBe('options.concurrency');
    expect(invalidFrom(() => checkCommon({ engine: 'default' }, { field: 'upload options' })).message).toBe(
      'Expected an Engine for upload options.engine but received string "default"',
    );
  });

  test('isEngine decides what an engine is', () => {
    class Engine {}
    const isEngine = (v: unknown): v is Engine => v instanceof Engine;
    const e = new Engine();
    expect(checkCommon({ engine: e }, { isEngine }).engine).toBe(e);
    expect(invalidFrom(() => checkCommon({ engine: {} }, { isEngine })).field).toBe('options.engine');
  });
});

describe('statSource', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'uplift-validate-'));
  });
  afterAll(async () => {
    await fsp.rm(dir, { recursive: true, force: true });
  });

  async function sourceErrorFrom(p: Promise<unknown>): Promise<SourceError> {
    const e = await p.then(() => undefined, (err: unknown) => err);
    expect(e).toBeInstanceOf(SourceError);
    return e as SourceError;
  }

  test('resolves size and mtime of a regular file', async () => {
    const f = path.join(dir, 'a.mp3');
    await fsp.writeFile(f, Buffer.alloc(1234, 7));
    const when = new Date('2024-05-06T07:08:09Z');
    await fsp.utimes(f, when, when);
    await expect(statSource(f)).resolves.toEqual({ size: 1234, mtimeMs: when.getTime() });
  });

  test('missing path: FILE_NOT_FOUND naming the path', async () => {
    const f = path.join(dir, 'missing.wav');
    const e = await sourceErrorFrom(statSource(f));
    expect(e.code).toBe('ERR_UPLIFT_FILE_NOT_FOUND');
    expect(e.message).toContain(f);
    expect(e.path).toBe(f);
    expect((e.cause as NodeJS.ErrnoException).code).toBe('ENOENT');
  });

  test('path under a regular file (ENOTDIR): FILE_NOT_FOUND', async () => {
    const f = path.join(dir, 'plain.txt');
    await fsp.writeFile(f, 'x');
    const e = await sourceErrorFrom(statSource(path.join(f, 'child.mp3')));
    expect(e.code).toBe('ERR_UPLIFT_FILE_NOT_FOUND');
    expect((e.cause as NodeJS.ErrnoException).code).toBe('ENOTDIR');
  });

  test('a directory: NOT_A_FILE', async () => {
    const e = await sourceErrorFrom(statSource(dir));
    expect(e.code).toBe('ERR_UPLIFT_NOT_A_FILE');
    expect(e.message).toBe(`Source path is a directory, not a regular file: ${dir}`);
  });

  test('a character device: NOT_A_FILE', async () => {
    const e = await sourceErrorFrom(statSource('/dev/null'));
    expect(e.code).toBe('ERR_UPLIFT_NOT_A_FILE');
    expect(e.message).toContain('a device');
  });

  // Root reads every file, so EACCES is produced through the injectable fs: deterministic for any user.
  test('unreadable file (EACCES from access R_OK): FILE_NOT_READABLE', async () => {
    const f = path.join(dir, 'locked.mp3');
    await fsp.writeFile(f, 'x');
    await fsp.chmod(f, 0o000);
    const calls: Array<[string, number]> = [];
    const fakeFs: StatFs = {
      stat: (p) => fsp.stat(p),
      access: async (p, mode) => {
        calls.push([p, mode]);
        throw Object.assign(new Error(`EACCES: permission denied, access '${p}'`), { code: 'EACCES' });
      },
    };
    const e = await sourceErrorFrom(statSource(f, fakeFs));
    expect(calls).toEqual([[f, fsp.constants.R_OK]]);
    expect(e.code).toBe('ERR_UPLIFT_FILE_NOT_READABLE');
    expect(e.message).toBe(`Source file is not readable (EACCES): ${f}`);
  });

  test('other stat failures: FILE_NOT_READABLE with the errno', async () => {
    const fakeFs: StatFs = {
      stat: async () => {
        throw Object.assign(new Error('loop'), { code: 'ELOOP' });
      },
      access: async () => {},
    };
    const e = await sourceErrorFrom(statSource('/x/loop.mp3', fakeFs));
    expect(e.code).toBe('ERR_UPLIFT_FILE_NOT_READABLE');
    expect(e.message).toContain('ELOOP');
  });
});
