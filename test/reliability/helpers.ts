// Shared set-up of the reliability suites: a sandbox + engine per suite (short backoffs), a
// trap for unhandled rejections on the real process, test files, certificates made with the
// openssl CLI at test time, and two loopback HTTPS servers (an S3-like PUT sink and a
// forwarding proxy in front of the sandbox). Everything a helper starts is stopped by its
// owner's close() / afterAll; servers bind to 127.0.0.1 only.
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runInThisContext } from 'node:vm';
import { Engine } from '../../lib';
import { startSandbox, type LogEntry, type LogFilter, type Sandbox } from '../../lib/sandbox';

export const MiB = 1024 * 1024;

export const md5 = (b: Uint8Array): string => createHash('md5').update(b).digest('hex');

/**
 * Node's own `process` object. Jest gives each test file a copy whose listeners the runtime
 * never calls; `unhandledRejection` and `warning` are emitted on the real one.
 */
export function realProcess(): NodeJS.Process {
  return runInThisContext('process') as NodeJS.Process;
}

export interface RejectionTrap {
  /** reasons of every unhandled rejection seen while the trap was set */
  seen: unknown[];
}

/** Sets an `unhandledRejection` listener for the whole suite and asserts after each test that it never fired. */
export function trapUnhandledRejections(): RejectionTrap {
  const trap: RejectionTrap = { seen: [] };
  const onRejection = (reason: unknown): void => { trap.seen.push(reason); };
  beforeAll(() => { realProcess().on('unhandledRejection', onRejection); });
  afterEach(async () => {
    // a rejection is reported after a microtask turn; give it one macrotask to show
    await new Promise((r) => setImmediate(r));
    expect(trap.seen.map((r) => (r instanceof Error ? `${r.name}: ${r.message}` : String(r)))).toEqual([]);
  });
  afterAll(() => { realProcess().off('unhandledRejection', onRejection); });
  return trap;
}

export interface Suite {
  sb: Sandbox;
  engine: Engine;
  /** temp folder of the suite, removed after it */
  dir: string;
}

/** Registers beforeAll/afterAll/afterEach hooks; the returned object is filled in beforeAll. */
export function useSuite(prefix: string): Suite {
  const s = {} as Suite;
  beforeAll(async () => {
    s.dir = mkdtempSync(join(tmpdir(), `uplift-rel-${prefix}-`));
    s.sb = await startSandbox();
    s.engine = new Engine({ retry: { baseDelayMs: 10, maxDelayMs: 2000 } });
  });
  afterAll(async () => {
    await s.engine?.close();
    await s.sb?.close();
    if (s.dir) rmSync(s.dir, { recursive: true, force: true });
  });
  afterEach(() => {
    s.sb?.faults.clear();
  });
  return s;
}

export interface TestFile { path: string; data: Buffer; md5: string }

/** Writes `size` random bytes to `<dir>/<name>`. */
export function makeFile(dir: string, name: string, size: number): TestFile {
  const data = randomBytes(size);
  const path = join(dir, name);
  writeFileSync(path, data);
  return { path, data, md5: md5(data) };
}

/** The rejection of `p`; throws when `p` resolves. */
export async function rejection(p: Promise<unknown>): Promise<Error & Record<string, unknown>> {
  try {
    await p;
  } catch (e) {
    return e as Error & Record<string, unknown>;
  }
  throw new Error('expected a rejection, but the promise resolved');
}

/** Resolves once `cond()` is true; rejects after `timeoutMs` (default 5000). */
export async function waitFor(cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/**
 * No credential of the sandbox, no presigned-URL signature and none of `extra` shows in the
 * error's message, JSON form or stack.
 */
export function expectNoSecret(sb: Sandbox, err: Error, extra: string[] = []): void {
  const text = `${err.message}\n${JSON.stringify(err)}\n${err.stack ?? ''}`;
  const c = sb.credentials;
  for (const secret of [c.plaud.token, c.kore.apiKey, c.scripe.apiKey, c.heify.apiKey, c.eka.token, ...extra]) {
    expect(text).not.toContain(secret);
  }
  expect(text).not.toMatch(/X-Amz-Signature=[0-9a-f]{64}/i);
}

/** Marks a point in the sandbox log; `since(filter)` gives the entries after it. */
export function logMark(sb: Sandbox): { since(filter?: LogFilter): LogEntry[] } {
  const from = sb.log.entries().length;
  return { since: (filter) => sb.log.entries().slice(from).filter((e) => matches(e, filter)) };
}

function matches(e: LogEntry, f: LogFilter | undefined): boolean {
  if (!f) return true;
  return (Object.keys(f) as (keyof LogFilter)[]).every((k) => f[k] === undefined || e[k] === f[k]);
}

// ---- certificates -----------------------------------------------------------------------

export interface Certs {
  dir: string;
  /** PEM of the test CA (the `caFile` to trust) */
  caFile: string;
  /** a leaf for IP:127.0.0.1 and DNS:localhost, signed by the CA */
  good: { key: Buffer; cert: Buffer };
  /** a leaf for DNS:wrong.example only, signed by the same CA */
  wrongHost: { key: Buffer; cert: Buffer };
}

/** Makes a throwaway CA and two leaves with the openssl CLI in a new temp folder (removed by the caller). */
export function makeCerts(): Certs {
  const dir = mkdtempSync(join(tmpdir(), 'uplift-rel-tls-'));
  const ossl = (...args: string[]): void => { execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' }); };
  ossl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2',
    '-subj', '/CN=uplift reliability test CA', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
  const leaf = (name: string, san: string): { key: Buffer; cert: Buffer } => {
    ossl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`);
    writeFileSync(join(dir, `${name}.ext`), `subjectAltName=${san}\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n`);
    ossl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.pem`, '-days', '2', '-extfile', `${name}.ext`);
    return { key: readFileSync(join(dir, `${name}.key`)), cert: readFileSync(join(dir, `${name}.pem`)) };
  };
  return {
    dir,
    caFile: join(dir, 'ca.pem'),
    good: leaf('good', 'IP:127.0.0.1,DNS:localhost'),
    wrongHost: leaf('wrong', 'DNS:wrong.example'),
  };
}


// ---- loopback HTTPS servers -------------------------------------------------------------

interface Tracked {
  /** https://127.0.0.1:PORT */
  url: string;
  /** TCP connections accepted */
  connections: number;
  /** handshakes the client broke off (e.g. it refused the certificate) */
  tlsClientErrors: number;
  /** requests that got past the handshake */
  requests: number;
  close(): Promise<void>;
}

async function listenTracked(server: https.Server, t: Omit<Tracked, 'url' | 'close'>): Promise<Tracked> {
  const sockets = new Set<Socket>();
  server.on('connection', (sock: Socket) => {
    t.connections += 1;
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
  });
  server.on('tlsClientError', () => { t.tlsClientErrors += 1; });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port: 0, host: '127.0.0.1' }, () => { server.off('error', reject); resolve(); });
  });
  const port = (server.address() as AddressInfo).port;
  const out = t as Tracked;
  out.url = `https://127.0.0.1:${port}`;
  out.close = () => new Promise<void>((resolve) => {
    for (const s of sockets) s.destroy();
    server.close(() => resolve());
  });
  return out;
}

export interface TlsSink extends Tracked {
  /** MD5 (hex) and byte count of each body received in full */
  bodies: { method: string; path: string; bytes: number; md5: string }[];
}

/** An HTTPS server that reads every body and answers 200 with an S3-style quoted-MD5 ETag. */
export async function startTlsSink(pair: { key: Buffer; cert: Buffer }): Promise<TlsSink> {
  const bodies: TlsSink['bodies'] = [];
  const t = { connections: 0, tlsClientErrors: 0, requests: 0 };
  const server = https.createServer({ key: pair.key, cert: pair.cert }, (req, res) => {
    t.requests += 1;
    const hash = createHash('md5');
    let bytes = 0;
    req.on('data', (c: Buffer) => { bytes += c.length; hash.update(c); });
    req.on('end', () => {
      const hex = hash.digest('hex');
      bodies.push({ method: req.method ?? '', path: (req.url ?? '').split('?')[0], bytes, md5: hex });
      res.writeHead(200, { etag: `"${hex}"`, 'content-length': '0' });
      res.end();
    });
  });
  const tracked = await listenTracked(server, t);
  return Object.assign(tracked, { bodies }) as TlsSink;
}

/** An HTTPS front that forwards every request to `target` (an http:// origin such as the sandbox's). */
export async function startTlsProxy(pair: { key: Buffer; cert: Buffer }, target: string): Promise<Tracked> {
  const t = { connections: 0, tlsClientErrors: 0, requests: 0 };
  const origin = new URL(target);
  const agent = new http.Agent({ keepAlive: false });
  const server = https.createServer({ key: pair.key, cert: pair.cert }, (req, res) => {
    t.requests += 1;
    const up = http.request({
      host: origin.hostname, port: origin.port, method: req.method, path: req.url, headers: { ...req.headers, host: origin.host }, agent,
    }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    up.on('error', () => { if (!res.headersSent) res.writeHead(502); res.end(); });
    req.pipe(up);
  });
  const tracked = await listenTracked(server, t);
  const close = tracked.close;
  tracked.close = async () => { await close(); agent.destroy(); };
  return tracked;
}
