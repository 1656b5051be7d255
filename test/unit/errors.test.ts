/** Unit tests of lib/errors.ts: codes, names, instanceof, defaults, redaction, toJSON, call sites. */

import {
  AbortError,
  AuthError,
  BadResponseError,
  BODY_SNIPPET_CHARS,
  codes,
  EngineClosedError,
  HttpError,
  IntegrityError,
  InternalError,
  InvalidArgumentError,
  isUpliftError,
  NetworkError,
  RateLimitError,
  RegionUnavailableError,
  SourceError,
  TimeoutError,
  TlsError,
  TooLargeError,
  UnsupportedTypeError,
  UpliftError,
  UrlExpiredError,
  VendorError,
  withCallSite,
  ProxyError,
} from '../../lib/errors';
import { registerSecret, unregisterSecret } from '../../lib/redact';

const PRESIGNED =
  'https://bucket.s3.amazonaws.com/a.mp3?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAEXAMPLE%2F20250101%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Signature=0123456789abcdef0123456789abcdef';

type Case = [string, (message?: string) => UpliftError, string, string];

const cases: Case[] = [
  ['InvalidArgumentError', (m = 'bad') => new InvalidArgumentError(m, { field: 'f', received: 'x' }), 'ERR_UPLIFT_INVALID_ARGUMENT', 'InvalidArgumentError'],
  ['SourceError', (m = 'bad') => new SourceError('ERR_UPLIFT_FILE_NOT_FOUND', m), 'ERR_UPLIFT_FILE_NOT_FOUND', 'SourceError'],
  ['HttpError', (m = 'bad') => new HttpError(m, { status: 400 }), 'ERR_UPLIFT_HTTP', 'HttpError'],
  ['NetworkError', (m = 'bad') => new NetworkError(m, { curlCode: 7 }), 'ERR_UPLIFT_NETWORK', 'NetworkError'],
  ['TlsError', (m = 'bad') => new TlsError(m, { curlCode: 60 }), 'ERR_UPLIFT_TLS', 'TlsError'],
  ['TimeoutError', (m = 'bad') => new TimeoutError(m, { kind: 'stall' }), 'ERR_UPLIFT_TIMEOUT', 'TimeoutError'],
  ['AbortError', (m = 'bad') => new AbortError(undefined, m), 'ERR_UPLIFT_ABORTED', 'AbortError'],
  ['UrlExpiredError', (m = 'bad') => new UrlExpiredError(m), 'ERR_UPLIFT_URL_EXPIRED', 'UrlExpiredError'],
  ['VendorError', (m = 'bad') => new VendorError(m, { vendor: 'scripe' }), 'ERR_UPLIFT_VENDOR', 'VendorError'],
  ['AuthError', (m = 'bad') => new AuthError(m), 'ERR_UPLIFT_AUTH', 'AuthError'],
  ['RateLimitError', (m = 'bad') => new RateLimitError(m), 'ERR_UPLIFT_RATE_LIMITED', 'RateLimitError'],
  ['BadResponseError', (m = 'bad') => new BadResponseError(m), 'ERR_UPLIFT_BAD_RESPONSE', 'BadResponseError'],
  ['TooLargeError', (m = 'bad') => new TooLargeError(m), 'ERR_UPLIFT_TOO_LARGE', 'TooLargeError'],
  ['UnsupportedTypeError', (m = 'bad') => new UnsupportedTypeError(m), 'ERR_UPLIFT_UNSUPPORTED_TYPE', 'UnsupportedTypeError'],
  ['RegionUnavailableError', (m = 'bad') => new RegionUnavailableError(m), 'ERR_UPLIFT_REGION_UNAVAILABLE', 'RegionUnavailableError'],
  ['IntegrityError', (m = 'bad') => new IntegrityError(m), 'ERR_UPLIFT_INTEGRITY', 'IntegrityError'],
  ['EngineClosedError', (m = 'bad') => new EngineClosedError(m), 'ERR_UPLIFT_ENGINE_CLOSED', 'EngineClosedError'],
  ['InternalError', (m = 'bad') => new InternalError(m), 'ERR_UPLIFT_INTERNAL', 'InternalError'],
  ['ProxyError', (m = 'bad') => new ProxyError(m, { status: 407 }), 'ERR_UPLIFT_PROXY', 'ProxyError'],
];

describe('error classes', () => {
  test.each(cases)('%s has its code, name and prototype chain', (_label, make, code, name) => {
    const err = make();
    expect(err).toBeInstanceOf(Error);
    expect(err).toBeInstanceOf(UpliftError);
    expect(err.code).toBe(code);
    expect(err.name).toBe(name);
    expect(err.code.startsWith('ERR_UPLIFT_')).toBe(true);
    expect(Object.prototype.hasOwnProperty.call(codes, err.code)).toBe(true);
    expect(err.stack?.split('\n')[0]).toBe(`${name}: ${err.message}`);
    expect(isUpliftError(err)).toBe(true);
    expect(isUpliftError(err, code as keyof typeof codes)).toBe(true);
    expect(isUpliftError(err, 'ERR_UPLIFT_TLS')).toBe(code === 'ERR_UPLIFT_TLS');
  });

  test('classes are distinct (no accidental inheritance between subclasses)', () => {
    const classes = [InvalidArgumentError, SourceError, HttpError, NetworkError, TlsError, TimeoutError, AbortError,
      UrlExpiredError, VendorError, AuthError, RateLimitError, BadResponseError, TooLargeError, UnsupportedTypeError,
      RegionUnavailableError, IntegrityError, EngineClosedError, InternalError, ProxyError];
    const errs = cases.map(([, make]) => make());
    errs.forEach((err, i) => {
      classes.forEach((cls, j) => expect(err instanceof cls).toBe(i === j));
    });
  });

  test('codes lists every code with a one-line description, all prefixed ERR_UPLIFT_', () => {
    const keys = Object.keys(codes);
    expect(keys.length).toBe(23);
    for (const [code, text] of Object.entries(codes)) {
      expect(code).toMatch(/^ERR_UPLIFT_[A-Z_]+$/);
      expect(text.length).toBeGreaterThan(10);
      expect(text).not.toContain('\n');
    }
    for (const [, make, code] of cases) expect(keys).toContain(code);
    for (const c of ['ERR_UPLIFT_NOT_A_FILE', 'ERR_UPLIFT_FILE_NOT_READABLE', 'ERR_UPLIFT_SOURCE_CHANGED', 'ERR_UPLIFT_SIZE_MISMATCH']) {
      expect(keys).toContain(c);
    }
  });

  test('base UpliftError defaults to the internal code and takes common fields', () => {
    const cause = new Error('root');
    const e = new UpliftError('x', { code: 'ERR_UPLIFT_VENDOR', vendor: 'plaud', status: 502, retryable: true, cause, requestId: 'r-1', vendorCode: 'oops', details: { a: 1 } });
    expect(e).toMatchObject({ code: 'ERR_UPLIFT_VENDOR', vendor: 'plaud', status: 502, retryable: true, requestId: 'r-1', vendorCode: 'oops', details: { a: 1 } });
    expect(e.cause).toBe(cause);
    const d = new UpliftError('y');
    expect(d.code).toBe('ERR_UPLIFT_INTERNAL');
    expect(d.retryable).toBe(false);
    expect('cause' in d).toBe(false);
    expect(Object.keys(d).sort()).toEqual(['code', 'retryable']);
  });
});

describe('class-specific fields and retryable defaults', () => {
  test('InvalidArgumentError keeps field and received', () => {
    const e = new InvalidArgumentError('m', { field: 'options.concurrency', received: 'number 0' });
    expect(e.field).toBe('options.concurrency');
    expect(e.received).toBe('number 0');
    expect(e.retryable).toBe(false);
  });

  test('SourceError accepts each source code and refuses others', () => {
    for (const c of ['ERR_UPLIFT_FILE_NOT_FOUND', 'ERR_UPLIFT_NOT_A_FILE', 'ERR_UPLIFT_FILE_NOT_READABLE', 'ERR_UPLIFT_SOURCE_CHANGED', 'ERR_UPLIFT_SIZE_MISMATCH'] as const) {
      const e = new SourceError(c, 'm', { path: '/tmp/a.mp3' });
      expect(e.code).toBe(c);
      expect(e.path).toBe('/tmp/a.mp3');
      expect(e.retryable).toBe(false);
    }
    expect(() => new SourceError('ERR_UPLIFT_HTTP' as never, 'm')).toThrow(TypeError);
  });

  test('HttpError: status, request id, S3 code as vendorCode, retryable by status, short redacted body', () => {
    const e = new HttpError('PUT failed with 403', {
      status: 403,
      requestId: 'REQ123',
      vendorCode: 'SignatureDoesNotMatch',
      body: `<Error><Code>SignatureDoesNotMatch</Code><StringToSign>${PRESIGNED}</StringToSign>${'x'.repeat(1000)}</Error>`,
    });
    expect(e.status).toBe(403);
    expect(e.requestId).toBe('REQ123');
    expect(e.vendorCode).toBe('SignatureDoesNotMatch');
    expect(e.retryable).toBe(false);
    expect(e.body!.length).toBeLessThanOrEqual(BODY_SNIPPET_CHARS);
    expect(e.body).toContain('SignatureDoesNotMatch');
    expect(e.body).not.toContain('0123456789abcdef0123456789abcdef');
    expect(e.body).not.toContain('AKIAEXAMPLE');
    for (const s of [408, 429, 500, 503]) expect(new HttpError('m', { status: s }).retryable).toBe(true);
    for (const s of [400, 401, 403, 404, 412]) expect(new HttpError('m', { status: s }).retryable).toBe(false);
    expect(new HttpError('m', { status: 500, retryable: false }).retryable).toBe(false);
  });

  test('NetworkError / TlsError carry the curl code; network is retryable, TLS is not', () => {
    const n = new NetworkError('refused', { curlCode: 7 });
    expect(n.curlCode).toBe(7);
    expect(n.retryable).toBe(true);
    expect(new NetworkError('x').curlCode).toBe(0);
    const t = new TlsError('certificate verify failed', { curlCode: 60 });
    expect(t.curlCode).toBe(60);
    expect(t.retryable).toBe(false);
  });

  test('TimeoutError kind decides retryable', () => {
    expect(new TimeoutError('t', { kind: 'connect' }).retryable).toBe(true);
    expect(new TimeoutError('t', { kind: 'stall', timeoutMs: 30000 })).toMatchObject({ kind: 'stall', retryable: true, timeoutMs: 30000 });
    expect(new TimeoutError('t', { kind: 'overall' }).retryable).toBe(false);
  });

  test('AbortError: name AbortError, cause is the reason, never retryable', () => {
    const reason = new Error('user cancelled');
    const e = new AbortError(reason);
    expect(e.name).toBe('AbortError');
    expect(e.cause).toBe(reason);
    expect(e.message).toBe('The operation was aborted');
    expect(e.retryable).toBe(false);
    const ac = new AbortController();
    ac.abort();
    expect(new AbortError(ac.signal.reason).cause).toBe(ac.signal.reason);
    expect(new AbortError('why', 'stopped').message).toBe('stopped');
  });

  test('vendor errors: VendorError retryable on 5xx, RateLimitError retryable with Retry-After', () => {
    const v = new VendorError('scripe said no', { vendor: 'scripe', status: 422, vendorCode: 'unprocessable' });
    expect(v).toMatchObject({ vendor: 'scripe', status: 422, vendorCode: 'unprocessable', retryable: false });
    expect(new VendorError('x', { vendor: 'kore', status: 503 }).retryable).toBe(true);
    expect(new VendorError('x', { vendor: 'kore' }).retryable).toBe(false);
    const a = new AuthError('key revoked', { vendor: 'scripe', status: 401, vendorCode: 'key_revoked' });
    expect(a).toMatchObject({ vendor: 'scripe', status: 401, vendorCode: 'key_revoked', retryable: false });
    const r = new RateLimitError('slow down', { vendor: 'plaud', retryAfterMs: 2000 });
    expect(r).toMatchObject({ status: 429, retryAfterMs: 2000, retryable: true, vendor: 'plaud' });
    expect(new RateLimitError('x').retryAfterMs).toBeUndefined();
  });

  test('other classes keep their extra fields', () => {
    expect(new TooLargeError('big', { sizeBytes: 10, maxSizeBytes: 5 })).toMatchObject({ sizeBytes: 10, maxSizeBytes: 5 });
    expect(new UnsupportedTypeError('type', { contentType: 'audio/x-foo' }).contentType).toBe('audio/x-foo');
    expect(new RegionUnavailableError('eu', { vendor: 'plaud', region: 'eu' })).toMatchObject({ region: 'eu', vendor: 'plaud' });
    expect(new IntegrityError('md5', { expected: 'aa', actual: 'bb' })).toMatchObject({ expected: 'aa', actual: 'bb' });
    expect(new EngineClosedError().message).toBe('The engine is closed');
    expect(new BadResponseError('no id', { vendor: 'heify', details: { missing: 'transcription_id' } }).details).toEqual({ missing: 'transcription_id' });
  });
});

describe('secrets never appear', () => {
  test('every constructor redacts its message (a presigned URL inside the message)', () => {
    const msgs = [
      ...cases.map(([, make]) => make(`request to ${PRESIGNED} failed; Authorization: Bearer sk_live_secret123`)),
      new HttpError(`PUT ${PRESIGNED} answered 403`, { status: 403 }),
      new NetworkError(`connect to ${PRESIGNED} failed`),
      new UrlExpiredError(`expired: ${PRESIGNED}`),
      new InternalError('sent Authorization: Bearer sk_live_secret123'),
      new AbortError(undefined, `aborted ${PRESIGNED}`),
      new SourceError('ERR_UPLIFT_SIZE_MISMATCH', `stream for ${PRESIGNED} was short`),
    ];
    for (const e of msgs) {
      expect(e.message).toContain('[REDACTED]');
      expect(e.message).not.toContain('0123456789abcdef0123456789abcdef');
      expect(e.message).not.toContain('sk_live_secret123');
      expect(e.stack).not.toContain('0123456789abcdef0123456789abcdef');
    }
  });

  test('registered secrets are removed from messages, details and toJSON', () => {
    registerSecret('tok_live_ABCDEF123456');
    try {
      const e = new AuthError('token tok_live_ABCDEF123456 rejected', {
        details: { note: 'used tok_live_ABCDEF123456', apiKey: 'whatever', nested: { token: 't' } },
      });
      expect(e.message).toBe('token [REDACTED] rejected');
      expect(e.details).toEqual({ note: 'used [REDACTED]', apiKey: '[REDACTED]', nested: { token: '[REDACTED]' } });
      expect(JSON.stringify(e)).not.toContain('tok_live_ABCDEF123456');
    } finally {
      unregisterSecret('tok_live_ABCDEF123456');
    }
  });

  test('toJSON lists the fields, omits the stack, summarises and redacts the cause', () => {
    const cause = Object.assign(new Error(`socket to ${PRESIGNED} reset`), { code: 'ECONNRESET' });
    const e = new NetworkError('reset', { curlCode: 56, cause, vendor: 'plaud', requestId: 'abc' });
    const j = e.toJSON();
    expect(j).toEqual({
      name: 'NetworkError',
      code: 'ERR_UPLIFT_NETWORK',
      message: 'reset',
      retryable: true,
      vendor: 'plaud',
      requestId: 'abc',
      curlCode: 56,
      cause: { name: 'Error', message: expect.stringContaining('X-Amz-Signature=[REDACTED]'), code: 'ECONNRESET' },
    });
    expect(JSON.stringify(e)).not.toContain('0123456789abcdef0123456789abcdef');
    expect(JSON.parse(JSON.stringify(e)).stack).toBeUndefined();
    expect(new AbortError('plain reason').toJSON().cause).toBe('plain reason');
  });

  test('toJSON redacts again: a secret registered after construction', () => {
    const e = new VendorError('bad key later-registered-key-42', { vendor: 'heify' });
    expect(e.message).toContain('later-registered-key-42');
    registerSecret('later-registered-key-42');
    try {
      expect(JSON.stringify(e)).not.toContain('later-registered-key-42');
    } finally {
      unregisterSecret('later-registered-key-42');
    }
  });
});

describe('withCallSite', () => {
  function publicEntry(): Error {
    return new Error();
  }

  test('keeps name and message, takes the frames of the call site', async () => {
    const site = publicEntry();
    const err = await new Promise<NetworkError>((resolve) => setImmediate(() => resolve(new NetworkError('refused', { curlCode: 7 }))));
    expect(err.stack).not.toContain('publicEntry');
    const same = withCallSite(err, site);
    expect(same).toBe(err);
    const lines = err.stack!.split('\n');
    expect(lines[0]).toBe('NetworkError: refused');
    expect(lines[1]).toMatch(/^\s+at publicEntry /);
    expect(err.stack).toContain('errors.test.ts');
    expect(err.message).toBe('refused');
    expect(err.code).toBe('ERR_UPLIFT_NETWORK');
  });

  test('works with a multi-line site message and leaves non-errors alone', () => {
    const site = new Error('line one\nline two');
    const err = new InternalError('boom');
    withCallSite(err, site);
    expect(err.stack!.split('\n')[0]).toBe('InternalError: boom');
    expect(err.stack!.split('\n')[1]).toMatch(/^\s+at /);
    expect(err.stack).not.toContain('line two');
    expect(withCallSite('x', site)).toBe('x');
    const keep = new InternalError('k');
    const before = keep.stack;
    withCallSite(keep, { stack: undefined });
    expect(keep.stack).toBe(before);
  });
});
