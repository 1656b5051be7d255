/** Unit tests of lib/redact.ts: every secret form, registered secrets, idempotence, redactValue. */

import {
  isSensitiveKey,
  looksLikeSecret,
  REDACTED,
  redact,
  redactUrl,
  redactValue,
  registerSecret,
  registeredSecretCount,
  unregisterSecret,
} from '../../lib/redact';

const SIG = 'f2ca1bb6c7e907d06dafe4687e579fce76b37e4e93b7605022da52e6ccc26fd2';
const PRESIGNED =
  'https://bucket.s3.us-east-1.amazonaws.com/uploads/a.mp3?X-Amz-Algorithm=AWS4-HMAC-SHA256' +
  '&X-Amz-Credential=AKIDFAKEEXAMPLEKEY%2F20250101%2Fus-east-1%2Fs3%2Faws4_request' +
  '&X-Amz-Date=20250101T000000Z&X-Amz-Expires=300' +
  '&X-Amz-Security-Token=IQoJb3JpZ2luX2VjEXAMPLETOKEN' +
  `&X-Amz-SignedHeaders=host&X-Amz-Signature=${SIG}`;

describe('query parameters in URLs', () => {
  test('a presigned S3 URL inside an error message keeps everything but the secrets', () => {
    const out = redact(`PUT ${PRESIGNED} failed with 403 Forbidden`);
    expect(out).not.toContain(SIG);
    expect(out).not.toContain('AKIDFAKEEXAMPLEKEY');
    expect(out).not.toContain('IQoJb3JpZ2luX2VjEXAMPLETOKEN');
    expect(out).toContain('X-Amz-Signature=[REDACTED]');
    expect(out).toContain('X-Amz-Credential=[REDACTED]&');
    expect(out).toContain('X-Amz-Security-Token=[REDACTED]&');
    expect(out).toContain('X-Amz-Algorithm=AWS4-HMAC-SHA256');
    expect(out).toContain('X-Amz-Expires=300');
    expect(out).toContain('https://bucket.s3.us-east-1.amazonaws.com/uploads/a.mp3?');
    expect(out.endsWith(' failed with 403 Forbidden')).toBe(true);
  });

  test.each([
    ['Signature', 'https://h/o?AWSAccessKeyId=AKIAXXXX&Expires=1&Signature=abc%2Bdef%3D'],
    ['sig', 'https://acct.blob.core.windows.net/c/b?sv=2020&sig=AbCdEf%2B123'],
    ['token', 'https://h/x?token=tok123&a=1'],
    ['api_key', 'https://h/x?a=1&api_key=k123'],
    ['apikey', 'https://h/x?APIKEY=k123'],
    ['access_token', 'https://h/x?access_token=at123#frag'],
    ['X-Goog-Signature', 'https://storage.googleapis.com/b/o?X-Goog-Signature=abc123'],
  ])('%s is redacted case-insensitively', (name, url) => {
    const out = redact(`see ${url} now`);
    expect(out).toMatch(new RegExp(`${name}=\\[REDACTED\\]`, 'i'));
    expect(out).not.toMatch(/abc|k123|tok123|at123|AbCdEf/);
    expect(out).toContain(' now');
  });

  test('value ends at & # whitespace and quotes', () => {
    expect(redact('"https://h/?token=abc"')).toBe('"https://h/?token=[REDACTED]"');
    expect(redact("'https://h/?sig=abc'")).toBe("'https://h/?sig=[REDACTED]'");
    expect(redact('https://h/?sig=abc#x')).toBe('https://h/?sig=[REDACTED]#x');
    expect(redact('<https://h/?sig=abc>')).toBe('<https://h/?sig=[REDACTED]>');
  });

  test('percent-encoded inside another URL', () => {
    const inner = encodeURIComponent(`https://h/x?a=1&X-Amz-Signature=${SIG}&b=2`);
    const out = redact(`redirect=${inner}`);
    expect(out).not.toContain(SIG);
    expect(out).toContain('%26b%3D2');
  });

  test('form-encoded and prose `token=...`', () => {
    expect(redact('token=abc123&name=x')).toBe('token=[REDACTED]&name=x');
    expect(redact('sent token=abc123 to server')).toBe('sent token=[REDACTED] to server');
  });

  test('parameters that merely end with a secret name are kept', () => {
    expect(redact('https://h/?mytoken=abc&nosig=1')).toBe('https://h/?mytoken=abc&nosig=1');
  });

  test('key= only when the value looks like a secret', () => {
    expect(redact('https://maps.example/api?key=AIzaSyD1234567890abcdefghijk')).toBe('https://maps.example/api?key=[REDACTED]');
    expect(redact('https://h/?key=uploads/2025/a.mp3')).toBe('https://h/?key=uploads/2025/a.mp3');
    expect(redact('https://h/?key=short1')).toBe('https://h/?key=short1');
    expect(looksLikeSecret('AIzaSyD1234567890abcdefghijk')).toBe(true);
    expect(looksLikeSecret('abcdefghijklmnopqrstuvwxyz')).toBe(false);
    expect(looksLikeSecret('folder/file-2025-01-01.mp3')).toBe(false);
  });

  test('password in URL userinfo', () => {
    expect(redact('proxy http://user:hunter22@proxy.local:8080/ down')).toBe('proxy http://user:[REDACTED]@proxy.local:8080/ down');
    expect(redact('http://host:8080/path')).toBe('http://host:8080/path');
  });

  test('redactUrl redacts one URL and leaves the rest verbatim', () => {
    const out = redactUrl(PRESIGNED);
    expect(out).not.toContain(SIG);
    expect(out.startsWith('https://bucket.s3.us-east-1.amazonaws.com/uploads/a.mp3?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=[REDACTED]')).toBe(true);
    expect(redactUrl('https://api.scripe.io/v1/uploads')).toBe('https://api.scripe.io/v1/uploads');
  });
});

describe('headers and bearer tokens', () => {
  test('Authorization: Bearer keeps the scheme', () => {
    expect(redact('Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.e30.sig\r\nHost: x')).toBe('Authorization: Bearer [REDACTED]\r\nHost: x');
  });

  test('Authorization with other schemes is redacted to the end of the line', () => {
    const line = 'authorization: AWS4-HMAC-SHA256 Credential=AKIA/x, SignedHeaders=host, Signature=abcdef\nnext';
    const out = redact(line);
    expect(out).toBe('authorization: AWS4-HMAC-SHA256 [REDACTED]\nnext');
    expect(redact('Authorization: Basic dXNlcjpwYXNz')).toBe('Authorization: Basic [REDACTED]');
  });

  test('Bearer anywhere, but not prose', () => {
    expect(redact('server echoed Bearer abc.def-ghi_123 back')).toBe('server echoed Bearer [REDACTED] back');
    expect(redact('bearer xyz')).toBe('bearer [REDACTED]');
    expect(redact('Missing or invalid bearer token')).toBe('Missing or invalid bearer token');
  });

  test('x-api-key and friends', () => {
    expect(redact('x-api-key: kore-secret-1\nX-Other: 1')).toBe('x-api-key: [REDACTED]\nX-Other: 1');
    expect(redact('X-API-KEY:abc')).toBe('X-API-KEY:[REDACTED]');
    expect(redact('Cookie: session=abc; other=def')).toBe('Cookie: [REDACTED]');
    expect(redact('Content-Type: audio/mpeg')).toBe('Content-Type: audio/mpeg');
  });
});

describe('JSON and inspected objects', () => {
  test('named JSON string fields', () => {
    const body = JSON.stringify({
      token: 'tok"en',
      apiKey: 'k1',
      api_key: 'k2',
      policy: 'eyJleHBpcmF0aW9uIjoi',
      'x-amz-signature': SIG,
      'X-Amz-Credential': 'AKIA/x',
      key: 'folder/${filename}',
      bucket: 'b',
    });
    const out = redact(body);
    const parsed = JSON.parse(out) as Record<string, string>;
    expect(parsed).toEqual({
      token: REDACTED,
      apiKey: REDACTED,
      api_key: REDACTED,
      policy: REDACTED,
      'x-amz-signature': REDACTED,
      'X-Amz-Credential': REDACTED,
      key: 'folder/${filename}',
      bucket: 'b',
    });
  });

  test('pretty-printed JSON and util.inspect output', () => {
    expect(redact('{\n  "Token" : "abc"\n}')).toBe('{\n  "Token" : "[REDACTED]"\n}');
    expect(redact("{ token: 'abc', name: 'x' }")).toBe("{ token: '[REDACTED]', name: 'x' }");
    expect(redact("{ 'x-api-key': 'abc' }")).toBe("{ 'x-api-key': '[REDACTED]' }");
  });
});

describe('registered secrets', () => {
  afterEach(() => {
    for (const s of ['client-token-1234', 'a/b+c=d-secret', 'shortish', 'client-token-1234-longer']) {
      for (let i = 0; i < 5; i++) unregisterSecret(s);
    }
  });

  test('register, redact by default, unregister', () => {
    const before = registeredSecretCount();
    registerSecret('client-token-1234');
    expect(registeredSecretCount()).toBe(before + 1);
    expect(redact('vendor says: client-token-1234 is revoked')).toBe('vendor says: [REDACTED] is revoked');
    unregisterSecret('client-token-1234');
    expect(registeredSecretCount()).toBe(before);
    expect(redact('client-token-1234')).toBe('client-token-1234');
  });

  test('registrations are counted (two clients sharing one token)', () => {
    registerSecret('client-token-1234');
    registerSecret('client-token-1234');
    unregisterSecret('client-token-1234');
    expect(redact('x client-token-1234')).toBe('x [REDACTED]');
    unregisterSecret('client-token-1234');
    expect(redact('x client-token-1234')).toBe('x client-token-1234');
    unregisterSecret('never-registered');
  });

  test('strings of 3 characters or fewer are not registered', () => {
    const before = registeredSecretCount();
    registerSecret('abc');
    registerSecret('');
    expect(registeredSecretCount()).toBe(before);
    expect(redact('abc abc')).toBe('abc abc');
    expect(redact('abc abcd', ['abc', 'abcd'])).toBe('abc [REDACTED]');
  });

  test('percent-encoded form is redacted too, and longer secrets first', () => {
    registerSecret('a/b+c=d-secret');
    expect(redact('raw a/b+c=d-secret enc a%2Fb%2Bc%3Dd-secret')).toBe('raw [REDACTED] enc [REDACTED]');
    registerSecret('client-token-1234');
    registerSecret('client-token-1234-longer');
    expect(redact('client-token-1234-longer')).toBe('[REDACTED]');
  });

  test('extraSecrets apply to one call only', () => {
    expect(redact('my pass is shortish', ['shortish'])).toBe('my pass is [REDACTED]');
    expect(redact('my pass is shortish')).toBe('my pass is shortish');
  });
});

describe('general behaviour', () => {
  test('idempotent', () => {
    const samples = [
      `PUT ${PRESIGNED}`,
      'Authorization: Bearer abc\nX: y',
      '{"token":"abc"}',
      'http://u:p4ss@h/',
      'token=abc&sig=def',
    ];
    for (const s of samples) {
      const once = redact(s);
      expect(redact(once)).toBe(once);
    }
  });

  test('text without secrets is unchanged; empty and non-strings pass through', () => {
    const plain = 'Upload of recording.mp3 (12 MB) to https://api.eka.care/v1/file-upload?txn_id=t1&action=ekascribe-v2 failed: 502';
    expect(redact(plain)).toBe(plain);
    expect(redact('')).toBe('');
    expect(redact(undefined as unknown as string)).toBeUndefined();
  });

  test('isSensitiveKey', () => {
    for (const k of ['token', 'apiKey', 'API_KEY', 'Authorization', 'x-api-key', 'X-Amz-Signature', 'policy', 'password']) {
      expect(isSensitiveKey(k)).toBe(true);
    }
    for (const k of ['key', 'name', 'contentType', 'txnId', 'url']) expect(isSensitiveKey(k)).toBe(false);
  });

  test('redactValue: deep copy with secret fields dropped, strings redacted, cycles and buffers safe', () => {
    const cyc: Record<string, unknown> = { name: 'c' };
    cyc.self = cyc;
    const input = {
      url: `https://h/?sig=${SIG}`,
      headers: { Authorization: 'Bearer x', 'Content-Type': 'audio/mpeg' },
      list: [{ token: 't' }, 'plain'],
      buf: Buffer.alloc(10),
      n: 5,
      missing: undefined,
      fn: () => 1,
      err: new Error(`at https://h/?token=abc`),
      cyc,
    };
    const out = redactValue(input) as Record<string, unknown>;
    expect(out).toEqual({
      url: 'https://h/?sig=[REDACTED]',
      headers: { Authorization: REDACTED, 'Content-Type': 'audio/mpeg' },
      list: [{ token: REDACTED }, 'plain'],
      buf: '[Buffer 10 bytes]',
      n: 5,
      missing: undefined,
      fn: '[Function]',
      err: { name: 'Error', message: 'at https://h/?token=[REDACTED]' },
      cyc: { name: 'c', self: '[Circular]' },
    });
    expect(input.headers.Authorization).toBe('Bearer x');
    expect(redactValue({ a: { b: { c: 1 } } }, undefined, 2)).toEqual({ a: { b: '[Object]' } });
  });
});
