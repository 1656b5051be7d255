// Which CA certificates an Engine trusts (handed to libcurl in memory): by default what
// Node's https trusts (tls.rootCertificates plus NODE_EXTRA_CA_CERTS), `ca` instead of that,
// `caFile` added to it, `caStore: 'system'` for the operating system's bundle. Loopback
// HTTPS sink with a throwaway CA made by the openssl CLI.
import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tls from 'node:tls';
import { Engine, InvalidArgumentError, putPresigned, TlsError } from '../../lib';
import { makeCerts, md5, rejection, startTlsSink, trapUnhandledRejections, type Certs, type TlsSink } from '../reliability/helpers';

trapUnhandledRejections();

let certs: Certs;
let sink: TlsSink;
let engines: Engine[] = [];
const savedEnv = { NODE_EXTRA_CA_CERTS: process.env.NODE_EXTRA_CA_CERTS, SSL_CERT_FILE: process.env.SSL_CERT_FILE };

beforeAll(async () => {
  certs = makeCerts();
  sink = await startTlsSink(certs.good);
  // Read when this file's first Engine is made, as Node reads it at startup.
  process.env.NODE_EXTRA_CA_CERTS = certs.caFile;
});
afterAll(async () => {
  for (const [k, v] of Object.entries(savedEnv)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  if (sink) await sink.close();
  if (certs) rmSync(certs.dir, { recursive: true, force: true });
});
afterEach(async () => {
  await Promise.all(engines.map((e) => e.close()));
  engines = [];
});

const engine = (o: ConstructorParameters<typeof Engine>[0] = {}): Engine => {
  const e = new Engine({ retry: { maxAttempts: 1 }, ...o });
  engines.push(e);
  return e;
};
const put = (e: Engine, key: string, body: Buffer) => putPresigned(`${sink.url}/bucket/${key}`, body, { engine: e });
/** A CA that did not sign the sink's certificate: one of Node's bundled roots. */
const otherCa = (): string => tls.rootCertificates[0];

test('default trust is Node\'s: a CA named by NODE_EXTRA_CA_CERTS is trusted without caFile', async () => {
  const body = randomBytes(64 * 1024);
  const r = await put(engine(), 'extra-ca.bin', body);
  expect(r.status).toBe(200);
  expect(sink.bodies.find((b) => b.path === '/bucket/extra-ca.bin')).toMatchObject({ bytes: body.length, md5: md5(body) });
});

test('`ca` replaces the default trust: another CA alone is refused with ERR_UPLIFT_TLS, the right one succeeds', async () => {
  const err = await rejection(put(engine({ ca: otherCa() }), 'other-ca.bin', randomBytes(1024)));
  expect(err).toBeInstanceOf(TlsError);
  expect(err).toMatchObject({ code: 'ERR_UPLIFT_TLS' });
  expect(sink.bodies.find((b) => b.path === '/bucket/other-ca.bin')).toBeUndefined();

  const body = randomBytes(1024);
  const r = await put(engine({ ca: [otherCa(), readFileSync(certs.caFile)] }), 'right-ca.bin', body);
  expect(r.status).toBe(200);
});

test('`caFile` adds to the trusted set: `ca` of another CA plus caFile of the right one succeeds', async () => {
  const body = randomBytes(4096);
  const r = await put(engine({ ca: otherCa(), caFile: certs.caFile }), 'ca-plus-file.bin', body);
  expect(r.status).toBe(200);
  expect(sink.bodies.find((b) => b.path === '/bucket/ca-plus-file.bin')).toMatchObject({ md5: md5(body) });
});

test("caStore 'system' reads the bundle named by SSL_CERT_FILE; a missing one is a typed error naming it", async () => {
  const bundle = join(certs.dir, 'system-bundle.pem');
  writeFileSync(bundle, readFileSync(certs.caFile));
  process.env.SSL_CERT_FILE = bundle;
  try {
    const r = await put(engine({ caStore: 'system' }), 'system.bin', randomBytes(2048));
    expect(r.status).toBe(200);

    process.env.SSL_CERT_FILE = join(certs.dir, 'nope.pem');
    let err: unknown;
    try {
      engine({ caStore: 'system' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InvalidArgumentError);
    expect(err).toMatchObject({ code: 'ERR_UPLIFT_INVALID_ARGUMENT', field: 'SSL_CERT_FILE' });
    expect((err as Error).message).toMatch(/nope\.pem/);
  } finally {
    delete process.env.SSL_CERT_FILE;
  }
});

test('bad trust options are typed errors naming the field', () => {
  const cases: [() => unknown, string][] = [
    [() => engine({ caStore: 'windows' as never }), 'options.caStore'],
    [() => engine({ ca: 'not a certificate' }), 'options.ca'],
    [() => engine({ ca: [otherCa(), 42 as never] }), 'options.ca[1]'],
    [() => engine({ ca: otherCa(), caStore: 'node' }), 'options.ca'],
    [() => engine({ caFile: join(certs.dir, 'ca.key') }), 'options.caFile'],
  ];
  for (const [make, field] of cases) {
    let err: unknown;
    try {
      make();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InvalidArgumentError);
    expect(err).toMatchObject({ code: 'ERR_UPLIFT_INVALID_ARGUMENT', field });
    expect((err as Error).message).toContain(field);
  }
});
