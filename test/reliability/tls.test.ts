// TLS through the public API: a loopback HTTPS sink with certificates made at test time by
// the openssl CLI (a throwaway CA, a leaf for IP:127.0.0.1, a leaf for DNS:wrong.example).
// Verification is on by default, `caFile` adds a trusted CA, a wrong host name is refused
// without retry, and `insecureSkipTlsVerify` turns checks off with one process warning.
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { Engine, putPresigned, TlsError, UpliftError } from '../../lib';
import { makeCerts, md5, MiB, realProcess, rejection, startTlsSink, trapUnhandledRejections, type Certs, type TlsSink } from './helpers';

trapUnhandledRejections();

let certs: Certs;
/** engines and sinks of the running test; closed after it */
let engines: Engine[] = [];
let sinks: TlsSink[] = [];

beforeAll(() => {
  certs = makeCerts();
});
afterAll(() => {
  if (certs) rmSync(certs.dir, { recursive: true, force: true });
});
afterEach(async () => {
  await Promise.all(engines.map((e) => e.close()));
  await Promise.all(sinks.map((s) => s.close()));
  engines = [];
  sinks = [];
});

const engine = (o: ConstructorParameters<typeof Engine>[0] = {}): Engine => {
  const e = new Engine({ retry: { baseDelayMs: 10, maxDelayMs: 200 }, ...o });
  engines.push(e);
  return e;
};
const sink = async (which: 'good' | 'wrongHost'): Promise<TlsSink> => {
  const s = await startTlsSink(certs[which]);
  sinks.push(s);
  return s;
};
/** Time for a retry to show if there were one (backoffs here are 10-200 ms). */
const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 400));
/** A presigned-looking URL on the sink; the signature must never show in an error. */
const urlOn = (s: TlsSink, key: string): string => `${s.url}/bucket/${key}?X-Amz-Expires=900&X-Amz-Signature=${'ab'.repeat(32)}`;

test('a certificate for another host name is ERR_UPLIFT_TLS even with its CA trusted, and is not retried', async () => {
  const s = await sink('wrongHost');
  const body = randomBytes(256 * 1024);
  const e = engine({ caFile: certs.caFile, retry: { maxAttempts: 4, baseDelayMs: 10 } });
  const err = await rejection(putPresigned(urlOn(s, 'wrong-host.bin'), body, { engine: e }));
  expect(err).toBeInstanceOf(TlsError);
  expect(err).toBeInstanceOf(UpliftError);
  expect(err).toMatchObject({ code: 'ERR_UPLIFT_TLS', retryable: false });
  expect(err.message).toMatch(/certificate|host|name|SSL|TLS/i);
  expect(`${err.message} ${JSON.stringify(err)}`).not.toContain('ab'.repeat(32));
  // one connection, dropped by the client after the handshake; no request got through, no retry
  await settle();
  expect(s.connections).toBe(1);
  expect(s.requests).toBe(0);
  expect(s.bodies).toHaveLength(0);
});

test('a certificate for IP:127.0.0.1 signed by the caFile CA: the PUT succeeds with identical bytes', async () => {
  const s = await sink('good');
  const body = randomBytes(3 * MiB + 17);
  const r = await putPresigned(urlOn(s, 'good.wav'), body, { engine: engine({ caFile: certs.caFile }) });
  expect(r).toMatchObject({ status: 200, bytes: body.length, md5: md5(body), etag: `"${md5(body)}"` });
  expect(s.bodies).toEqual([{ method: 'PUT', path: '/bucket/good.wav', bytes: body.length, md5: md5(body) }]);
});

test('without caFile the same server is refused: verification is on by default', async () => {
  const s = await sink('good');
  const err = await rejection(putPresigned(urlOn(s, 'default.bin'), randomBytes(1000), { engine: engine() }));
  expect(err).toBeInstanceOf(TlsError);
  expect(err).toMatchObject({ code: 'ERR_UPLIFT_TLS', retryable: false });
  await settle();
  expect(s.connections).toBe(1);
  expect(s.requests).toBe(0);
});

test('a caFile that does not exist is refused, never silently ignored', async () => {
  const s = await sink('good');
  let err: unknown;
  try {
    // either the engine refuses the option, or the transfer fails: both typed, none sends a byte
    await putPresigned(urlOn(s, 'nofile.bin'), randomBytes(100), { engine: engine({ caFile: `${certs.dir}/missing.pem` }) });
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(UpliftError);
  expect((err as UpliftError).code).toMatch(/^ERR_UPLIFT_(TLS|INVALID_ARGUMENT|FILE_NOT_FOUND)$/);
  expect((err as Error).message).toMatch(/missing\.pem|caFile/);
  expect(s.bodies).toHaveLength(0);
});

test('insecureSkipTlsVerify: uploads succeed against both servers and the warning is emitted once', async () => {
  const warnings: Error[] = [];
  const onWarning = (w: Error): void => { warnings.push(w); };
  realProcess().on('warning', onWarning);
  try {
    const good = await sink('good');
    const wrong = await sink('wrongHost');
    const a = randomBytes(MiB + 3);
    const b = randomBytes(4096);
    const e1 = engine({ insecureSkipTlsVerify: true });
    const e2 = engine({ insecureSkipTlsVerify: true });
    const r1 = await putPresigned(urlOn(good, 'insecure-a.bin'), a, { engine: e1 });
    const r2 = await putPresigned(urlOn(wrong, 'insecure-b.bin'), b, { engine: e2 });
    expect(r1.md5).toBe(md5(a));
    expect(r2.md5).toBe(md5(b));
    expect(good.bodies.map((x) => x.md5)).toEqual([md5(a)]);
    expect(wrong.bodies.map((x) => x.md5)).toEqual([md5(b)]);
    await new Promise((r) => setTimeout(r, 20)); // warnings are emitted on a later tick
    const ours = warnings.filter((w) => (w as Error & { code?: string }).code === 'UPLIFT_INSECURE_TLS');
    expect(ours).toHaveLength(1);
    expect(ours[0].message).toMatch(/insecureSkipTlsVerify/);
  } finally {
    realProcess().off('warning', onWarning);
  }
});
