// A small forward proxy on node:http for the desktop-feature tests: CONNECT tunnels (what
// HTTPS uploads use) and plain HTTP forwarding of absolute-form requests, with optional
// Basic credentials (407 otherwise) and a mode that resets every connection. 127.0.0.1 only.
import { createHash } from 'node:crypto';
import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';
import type { AddressInfo } from 'node:net';

export interface TestProxy {
  /** http://127.0.0.1:PORT */
  url: string;
  port: number;
  /** host:port of every CONNECT request, accepted or not */
  tunnels: string[];
  /** absolute URLs of the plain HTTP requests forwarded */
  forwarded: string[];
  /** Proxy-Authorization values seen */
  auth: string[];
  close(): Promise<void>;
}

export interface ProxyOptions {
  /** Basic credentials required ('user:password'); 407 otherwise. */
  credentials?: string;
  /** Reset every connection (CONNECT or plain) without an answer. */
  reset?: boolean;
  /** Serve the proxy itself over TLS (an https:// proxy) with this key and certificate. */
  tls?: { key: Buffer; cert: Buffer };
}

export async function startProxy(opts: ProxyOptions = {}): Promise<TestProxy> {
  const sockets = new Set<net.Socket>();
  const expected = opts.credentials ? `Basic ${Buffer.from(opts.credentials).toString('base64')}` : undefined;
  const p = { url: '', port: 0, tunnels: [] as string[], forwarded: [] as string[], auth: [] as string[] } as TestProxy;
  const authorised = (req: http.IncomingMessage): boolean => {
    const a = req.headers['proxy-authorization'];
    if (a) p.auth.push(a);
    return expected === undefined || a === expected;
  };
  const agent = new http.Agent({ keepAlive: false });
  const handler = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    p.forwarded.push(req.url ?? '');
    if (opts.reset) {
      req.socket.resetAndDestroy();
      return;
    }
    if (!authorised(req)) {
      res.writeHead(407, { 'proxy-authenticate': 'Basic realm="test"', 'content-length': '0' });
      res.end();
      return;
    }
    const target = new URL(req.url ?? '');
    const headers = { ...req.headers };
    delete headers['proxy-authorization'];
    delete headers['proxy-connection'];
    const up = http.request({ host: target.hostname, port: target.port, method: req.method, path: target.pathname + target.search, headers, agent }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    up.on('error', () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    req.pipe(up);
  };
  const server: http.Server = opts.tls ? https.createServer({ key: opts.tls.key, cert: opts.tls.cert }, handler) : http.createServer(handler);
  server.on('connect', (req: http.IncomingMessage, client: net.Socket, head: Buffer) => {
    p.tunnels.push(req.url ?? '');
    if (opts.reset) {
      client.resetAndDestroy();
      return;
    }
    if (!authorised(req)) {
      client.end('HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="test"\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    const [host, port] = (req.url ?? '').split(':');
    const upstream = net.connect(Number(port), host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    sockets.add(upstream);
    upstream.on('close', () => sockets.delete(upstream));
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
  server.on('connection', (s: net.Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  p.port = (server.address() as AddressInfo).port;
  p.url = `${opts.tls ? 'https' : 'http'}://127.0.0.1:${p.port}`;
  p.close = () => new Promise<void>((resolve) => {
    for (const s of sockets) s.destroy();
    agent.destroy();
    server.close(() => resolve());
  });
  return p;
}

/** Runs fn with environment variables set (undefined = unset), restoring them afterwards. */
export async function withEnv<T>(vars: Record<string, string | undefined>, fn: () => Promise<T> | T): Promise<T> {
  const saved: Record<string, string | undefined> = {};
  for (const k of Object.keys(vars)) {
    saved[k] = process.env[k];
    if (vars[k] === undefined) delete process.env[k];
    else process.env[k] = vars[k];
  }
  try {
    return await fn();
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

/** Every proxy variable unset (the tests decide the environment themselves). */
export const NO_PROXY_ENV = {
  http_proxy: undefined, HTTP_PROXY: undefined, https_proxy: undefined, HTTPS_PROXY: undefined,
  no_proxy: undefined, NO_PROXY: undefined, all_proxy: undefined, ALL_PROXY: undefined,
};

/**
 * A loopback PUT sink that counts every body byte as it arrives (all requests together), so
 * a test can measure the rate on the wire; answers 200 with an S3-style ETag.
 */
export interface CountingSink {
  url: string;
  /** body bytes received so far, all requests */
  bytes: number;
  /** completed requests: path and size */
  done: { path: string; bytes: number }[];
  /** bytes received at each sample (see sample()) */
  close(): Promise<void>;
}

export async function startCountingSink(): Promise<CountingSink> {
  const sockets = new Set<net.Socket>();
  const sink = { url: '', bytes: 0, done: [] as { path: string; bytes: number }[] } as CountingSink;
  const server = http.createServer((req, res) => {
    let n = 0;
    const md5 = createHash('md5');
    req.on('data', (c: Buffer) => {
      n += c.length;
      sink.bytes += c.length;
      md5.update(c);
    });
    req.on('end', () => {
      sink.done.push({ path: (req.url ?? '').split('?')[0], bytes: n });
      res.writeHead(200, { etag: `"${md5.digest('hex')}"`, 'content-length': '0' });
      res.end();
    });
  });
  server.on('connection', (s: net.Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  sink.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  sink.close = () => new Promise<void>((resolve) => {
    for (const s of sockets) s.destroy();
    server.close(() => resolve());
  });
  return sink;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Bytes per second the sink received between two moments `fromMs` and `toMs` after now. */
export async function measureRate(sink: CountingSink, fromMs: number, toMs: number): Promise<number> {
  await sleep(fromMs);
  const b0 = sink.bytes;
  const t0 = process.hrtime.bigint();
  await sleep(toMs - fromMs);
  const b1 = sink.bytes;
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  return (b1 - b0) / secs;
}

/** A minimal SOCKS5 proxy (RFC 1928 CONNECT, optional RFC 1929 user/password). */
export interface SocksProxy {
  port: number;
  /** host:port of every CONNECT, as the client sent it (IPv4 or domain name) */
  connects: string[];
  close(): Promise<void>;
}

export async function startSocks5(credentials?: { user: string; password: string }): Promise<SocksProxy> {
  const sockets = new Set<net.Socket>();
  const p = { port: 0, connects: [] as string[] } as SocksProxy;
  const server = net.createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => undefined);
    let buf = Buffer.alloc(0);
    let stage: 'greeting' | 'auth' | 'request' | 'piped' = 'greeting';
    const onData = (chunk: Buffer): void => {
      buf = Buffer.concat([buf, chunk]);
      for (;;) {
        if (stage === 'greeting') {
          if (buf.length < 2 || buf.length < 2 + buf[1]) return;
          const methods = [...buf.subarray(2, 2 + buf[1])];
          buf = buf.subarray(2 + buf[1]);
          const want = credentials ? 2 : 0;
          if (!methods.includes(want)) {
            client.end(Buffer.from([5, 0xff]));
            return;
          }
          client.write(Buffer.from([5, want]));
          stage = credentials ? 'auth' : 'request';
        } else if (stage === 'auth') {
          if (buf.length < 2) return;
          const ulen = buf[1];
          if (buf.length < 3 + ulen || buf.length < 3 + ulen + buf[2 + ulen]) return;
          const user = buf.subarray(2, 2 + ulen).toString();
          const plen = buf[2 + ulen];
          const password = buf.subarray(3 + ulen, 3 + ulen + plen).toString();
          buf = buf.subarray(3 + ulen + plen);
          const ok = user === credentials?.user && password === credentials?.password;
          client.write(Buffer.from([1, ok ? 0 : 1]));
          if (!ok) {
            client.end();
            return;
          }
          stage = 'request';
        } else if (stage === 'request') {
          if (buf.length < 5) return;
          const atyp = buf[3];
          const addrLen = atyp === 1 ? 4 : atyp === 4 ? 16 : 1 + buf[4];
          if (buf.length < 4 + addrLen + 2) return;
          let host: string;
          if (atyp === 1) host = [...buf.subarray(4, 8)].join('.');
          else if (atyp === 3) host = buf.subarray(5, 5 + buf[4]).toString();
          else host = '::1';
          const port = buf.readUInt16BE(4 + addrLen);
          buf = buf.subarray(4 + addrLen + 2);
          p.connects.push(`${host}:${port}`);
          stage = 'piped';
          client.pause();
          const upstream = net.connect(port, host === 'localhost' ? '127.0.0.1' : host, () => {
            client.write(Buffer.from([5, 0, 0, 1, 0, 0, 0, 0, 0, 0]));
            if (buf.length) upstream.write(buf);
            client.off('data', onData);
            upstream.pipe(client);
            client.pipe(upstream);
            client.resume();
          });
          sockets.add(upstream);
          upstream.on('close', () => sockets.delete(upstream));
          upstream.on('error', () => client.end(Buffer.from([5, 5, 0, 1, 0, 0, 0, 0, 0, 0])));
          return;
        } else {
          return;
        }
      }
    };
    client.on('data', onData);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  p.port = (server.address() as AddressInfo).port;
  p.close = () => new Promise<void>((resolve) => {
    for (const s of sockets) s.destroy();
    server.close(() => resolve());
  });
  return p;
}
