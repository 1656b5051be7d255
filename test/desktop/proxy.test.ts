// Proxies through the public API: a CONNECT proxy on loopback sees the tunnel of an HTTPS
// upload and forwards plain HTTP; credentials in the proxy URL work and never show; a proxy
// answering 407 or resetting gives ProxyError; HTTPS_PROXY / HTTP_PROXY / NO_PROXY (either
// case) are honoured at Engine construction, proxy: false turns them off, and libcurl never
// reads the environment on its own.
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { Engine, InvalidArgumentError, ProxyError, putPresigned, UpliftError } from '../../lib';
import { startSink, type Sink } from '../support/sink';
import { makeCerts, md5, rejection, startTlsSink, trapUnhandledRejections, type Certs, type TlsSink } from '../reliability/helpers';
import { NO_PROXY_ENV, startProxy, startSocks5, withEnv, type TestProxy } from './helpers';

trapUnhandledRejections();

let certs: Certs;
let closers: (() => Promise<void>)[] = [];
const engines: Engine[] = [];

beforeAll(() => {
  certs = makeCerts();
});
afterAll(() => {
  if (certs) rmSync(certs.dir, { recursive: true, force: true });
});
afterEach(async () => {
  await Promise.all(engines.splice(0).map((e) => e.close()));
  await Promise.all(closers.splice(0).map((c) => c()));
  closers = [];
});

const engine = (o: ConstructorParameters<typeof Engine>[0] = {}): Engine => {
  const e = new Engine({ caFile: certs.caFile, retry: { maxAttempts: 2, baseDelayMs: 10, maxDelayMs: 50 }, ...o });
  engines.push(e);
  return e;
};
const proxy = async (o: Parameters<typeof startProxy>[0] = {}): Promise<TestProxy> => {
  const p = await startProxy(o);
  closers.push(() => p.close());
  return p;
};
const tlsSink = async (): Promise<TlsSink> => {
  const s = await startTlsSink(certs.good);
  closers.push(() => s.close());
  return s;
};
const sink = async (): Promise<Sink> => {
  const s = await startSink();
  closers.push(() => s.close());
  return s;
};
const SIG = 'cd'.repeat(32);
const signed = (base: string, key: string): string => `${base}/bucket/${key}?X-Amz-Expires=900&X-Amz-Signature=${SIG}`;

test('an HTTPS upload goes through a CONNECT tunnel of the proxy, bytes intact', async () => {
  const p = await proxy();
  const s = await tlsSink();
  const body = randomBytes(3 * 1024 * 1024 + 7);
  const r = await putPresigned(signed(s.url, 'tunnel.bin'), body, { engine: engine({ proxy: p.url }) });
  expect(r).toMatchObject({ status: 200, bytes: body.length, md5: md5(body) });
  expect(p.tunnels).toEqual([new URL(s.url).host]);
  expect(p.forwarded).toEqual([]);
  expect(s.bodies).toEqual([{ method: 'PUT', path: '/bucket/tunnel.bin', bytes: body.length, md5: md5(body) }]);
});

test('a plain HTTP upload is forwarded by the proxy (absolute-form request), per-call proxy over the engine\'s', async () => {
  const p = await proxy();
  const s = await sink();
  const body = randomBytes(512 * 1024);
  const e = engine({ proxy: false });
  const r = await putPresigned(signed(s.url, 'plain.bin'), body, { engine: e, proxy: p.url });
  expect(r.md5).toBe(md5(body));
  expect(p.forwarded).toHaveLength(1);
  expect(p.forwarded[0]).toMatch(new RegExp(`^${s.url}/bucket/plain\\.bin\\?`));
  expect(p.tunnels).toEqual([]);
  expect(s.requests.map((q) => q.md5)).toEqual([md5(body)]);
  // the same engine without the per-call proxy goes direct
  await putPresigned(signed(s.url, 'direct.bin'), body, { engine: e });
  expect(p.forwarded).toHaveLength(1);
  expect(s.requests).toHaveLength(2);
});

test('credentials in the proxy URL are sent as Basic auth and never shown', async () => {
  const password = 'pr0xy-S3cret-pw';
  const p = await proxy({ credentials: `alice:${password}` });
  const s = await tlsSink();
  const body = randomBytes(64 * 1024);
  const good = engine({ proxy: `http://alice:${password}@127.0.0.1:${p.port}` });
  expect(JSON.stringify(good.options)).not.toContain(password);
  expect(String(good.options.proxy)).toContain('127.0.0.1');
  await putPresigned(signed(s.url, 'auth.bin'), body, { engine: good });
  expect(s.bodies).toHaveLength(1);

  const wrong = `wr0ng-Passw0rd`;
  const err = await rejection(putPresigned(signed(s.url, 'denied.bin'), body, { engine: engine({ proxy: `http://alice:${wrong}@127.0.0.1:${p.port}` }) }));
  expect(err).toBeInstanceOf(ProxyError);
  expect(err).toBeInstanceOf(UpliftError);
  expect(err).toMatchObject({ code: 'ERR_UPLIFT_PROXY', status: 407, retryable: false });
  expect(err.message).toMatch(/407/);
  expect(err.message).toMatch(/credentials/);
  const shown = `${err.message} ${JSON.stringify(err)} ${err.stack}`;
  expect(shown).not.toContain(wrong);
  expect(shown).not.toContain(SIG);
  expect(s.bodies).toHaveLength(1); // nothing reached the origin
});

test('a proxy answering 407 to CONNECT is ProxyError and is not retried', async () => {
  const p = await proxy({ credentials: 'bob:secret-pass' });
  const s = await tlsSink();
  const err = await rejection(putPresigned(signed(s.url, 'x.bin'), randomBytes(1024), { engine: engine({ proxy: p.url, retry: { maxAttempts: 4, baseDelayMs: 10 } }) }));
  expect(err).toMatchObject({ name: 'ProxyError', code: 'ERR_UPLIFT_PROXY', status: 407, retryable: false });
  expect(p.tunnels).toHaveLength(1);
  expect(s.connections).toBe(0);
});

test('a proxy answering 407 to a plain HTTP request is ProxyError too', async () => {
  const p = await proxy({ credentials: 'bob:secret-pass' });
  const s = await sink();
  const err = await rejection(putPresigned(signed(s.url, 'x.bin'), randomBytes(1024), { engine: engine({ proxy: p.url }) }));
  expect(err).toMatchObject({ code: 'ERR_UPLIFT_PROXY', status: 407, retryable: false });
  expect(s.requests).toHaveLength(0);
});

test('a proxy that resets the connection is a retryable ProxyError after the attempts', async () => {
  const p = await proxy({ reset: true });
  const s = await tlsSink();
  const err = await rejection(putPresigned(signed(s.url, 'x.bin'), randomBytes(1024), { engine: engine({ proxy: p.url, retry: { maxAttempts: 3, baseDelayMs: 10, maxDelayMs: 20 } }) }));
  expect(err).toBeInstanceOf(ProxyError);
  expect(err).toMatchObject({ code: 'ERR_UPLIFT_PROXY', retryable: true });
  expect(err.message).toContain(`127.0.0.1:${p.port}`);
  expect(p.tunnels).toHaveLength(3);
  expect(s.connections).toBe(0);
});

test('a proxy that is not listening is ProxyError naming it', async () => {
  const p = await startProxy();
  const port = p.port;
  await p.close();
  const s = await tlsSink();
  const err = await rejection(putPresigned(signed(s.url, 'x.bin'), randomBytes(1024), { engine: engine({ proxy: `http://127.0.0.1:${port}`, retry: { maxAttempts: 1 } }) }));
  expect(err).toMatchObject({ code: 'ERR_UPLIFT_PROXY' });
  expect(err.message).toContain(`127.0.0.1:${port}`);
});

test('an https:// proxy (TLS to the proxy, its CA from caFile) tunnels an HTTPS upload', async () => {
  const p = await proxy({ tls: certs.good });
  expect(p.url).toMatch(/^https:/);
  const s = await tlsSink();
  const body = randomBytes(256 * 1024);
  const r = await putPresigned(signed(s.url, 'tls-proxy.bin'), body, { engine: engine({ proxy: p.url }) });
  expect(r.md5).toBe(md5(body));
  expect(p.tunnels).toEqual([new URL(s.url).host]);
  expect(s.bodies).toHaveLength(1);
});

test('socks5:// and socks5h:// proxies (with user:password) carry uploads; a wrong password is ProxyError', async () => {
  const socks = await startSocks5({ user: 'carol', password: 'socks-Pa55' });
  closers.push(() => socks.close());
  const s = await tlsSink();
  const plain = await sink();
  const body = randomBytes(128 * 1024);
  await putPresigned(signed(s.url, 'socks.bin'), body, { engine: engine({ proxy: `socks5://carol:socks-Pa55@127.0.0.1:${socks.port}` }) });
  const local = `localhost:${new URL(plain.url).port}`;
  await putPresigned(signed(`http://${local}`, 'socksh.bin'), body, { engine: engine({ proxy: `socks5h://carol:socks-Pa55@127.0.0.1:${socks.port}` }) });
  expect(socks.connects).toEqual([new URL(s.url).host, local]); // socks5h: the proxy resolves the name
  expect(s.bodies.map((b) => b.md5)).toEqual([md5(body)]);
  expect(plain.requests.map((q) => q.md5)).toEqual([md5(body)]);
  const err = await rejection(putPresigned(signed(s.url, 'no.bin'), body, { engine: engine({ proxy: `socks5://carol:wrong-Pa55@127.0.0.1:${socks.port}` }) }));
  expect(err).toMatchObject({ code: 'ERR_UPLIFT_PROXY' });
  expect(`${err.message} ${JSON.stringify(err)}`).not.toContain('wrong-Pa55');
});

describe('environment variables', () => {
  test('HTTPS_PROXY (or https_proxy) is used for https:// URLs, HTTP_PROXY for http://', async () => {
    const p = await proxy();
    const s = await tlsSink();
    const plain = await sink();
    const body = randomBytes(4096);
    for (const name of ['HTTPS_PROXY', 'https_proxy']) {
      const e = await withEnv({ ...NO_PROXY_ENV, [name]: p.url }, () => engine());
      await putPresigned(signed(s.url, `${name}.bin`), body, { engine: e });
      await putPresigned(signed(plain.url, `${name}.bin`), body, { engine: e }); // no HTTP_PROXY: direct
    }
    expect(p.tunnels).toHaveLength(2);
    expect(p.forwarded).toHaveLength(0);
    const e2 = await withEnv({ ...NO_PROXY_ENV, HTTP_PROXY: `127.0.0.1:${p.port}` }, () => engine()); // scheme-less, as curl allows
    await putPresigned(signed(plain.url, 'http.bin'), body, { engine: e2 });
    expect(p.forwarded).toHaveLength(1);
    expect(s.bodies).toHaveLength(2);
  });

  test('NO_PROXY / no_proxy and the noProxy option bypass the proxy; proxy: false ignores the environment', async () => {
    const p = await proxy();
    const s = await tlsSink();
    const body = randomBytes(4096);
    const e1 = await withEnv({ ...NO_PROXY_ENV, HTTPS_PROXY: p.url, NO_PROXY: 'example.com, 127.0.0.1' }, () => engine());
    await putPresigned(signed(s.url, 'a.bin'), body, { engine: e1 });
    const e2 = await withEnv({ ...NO_PROXY_ENV, https_proxy: p.url, no_proxy: '*' }, () => engine());
    await putPresigned(signed(s.url, 'b.bin'), body, { engine: e2 });
    const e3 = await withEnv({ ...NO_PROXY_ENV, HTTPS_PROXY: p.url }, () => engine({ noProxy: ['localhost', '127.0.0.1:443'] }));
    await putPresigned(signed(s.url, 'c.bin'), body, { engine: e3 });
    const e4 = await withEnv({ ...NO_PROXY_ENV, HTTPS_PROXY: p.url }, () => engine({ proxy: false }));
    await putPresigned(signed(s.url, 'd.bin'), body, { engine: e4 });
    expect(p.tunnels).toEqual([]);
    expect(s.bodies).toHaveLength(4);
    // and a per-call proxy: false on an engine that has one
    const e5 = await withEnv({ ...NO_PROXY_ENV, HTTPS_PROXY: p.url }, () => engine());
    await putPresigned(signed(s.url, 'e.bin'), body, { engine: e5, proxy: false });
    expect(p.tunnels).toEqual([]);
    await putPresigned(signed(s.url, 'f.bin'), body, { engine: e5 });
    expect(p.tunnels).toHaveLength(1);
  });

  test('libcurl never reads proxy variables by itself: the engine decides at construction', async () => {
    const s = await sink();
    const e = await withEnv(NO_PROXY_ENV, () => engine());
    const dead = await startProxy();
    const deadPort = dead.port;
    await dead.close();
    // set after construction: a libcurl reading http_proxy itself would fail against the dead port
    await withEnv({ http_proxy: `http://127.0.0.1:${deadPort}`, HTTP_PROXY: `http://127.0.0.1:${deadPort}` }, async () => {
      const body = randomBytes(2048);
      await putPresigned(signed(s.url, 'env.bin'), body, { engine: e });
    });
    expect(s.requests).toHaveLength(1);
  });

  test('a malformed proxy variable fails Engine construction naming the variable', async () => {
    await withEnv({ ...NO_PROXY_ENV, HTTPS_PROXY: 'ftp://proxy.example:21' }, () => {
      let err: unknown;
      try {
        new Engine();
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(InvalidArgumentError);
      expect((err as Error).message).toMatch(/HTTPS_PROXY/);
      expect((err as Error).message).toMatch(/proxy: false/);
    });
  });
});

test('bad proxy options are InvalidArgumentError naming the field', () => {
  const bad: [unknown, RegExp][] = [
    ['ftp://proxy:21', /options\.proxy/],
    ['http://proxy:8080/path', /options\.proxy/],
    [true, /options\.proxy/],
    ['not a url', /options\.proxy/],
  ];
  for (const [value, field] of bad) {
    expect(() => new Engine({ proxy: value as string })).toThrow(InvalidArgumentError);
    expect(() => new Engine({ proxy: value as string })).toThrow(field);
  }
  expect(() => new Engine({ noProxy: 'a,b/c' })).toThrow(/options\.noProxy/);
  expect(() => new Engine({ noProxy: 5 as unknown as string })).toThrow(/options\.noProxy/);
  const e = new Engine({ proxy: 'socks5://user:sockspass1@127.0.0.1:1080', noProxy: '.internal.example' });
  engines.push(e);
  expect(String(e.options.proxy)).not.toContain('sockspass1');
  expect(String(e.options.proxy)).toMatch(/^socks5:\/\/.*127\.0\.0\.1:1080$/);
  return expect(putPresigned('http://127.0.0.1:1/x', Buffer.alloc(1), { engine: e, proxy: 'gopher://x' })).rejects.toThrow(/options\.proxy/);
});
