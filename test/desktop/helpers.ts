// A small forward proxy on node:http for the desktop-feature tests: CONNECT tunnels (what
// HTTPS uploads use) and plain HTTP forwarding of absolute-form requests, with optional
// Basic credentials (407 otherwise) and a mode that resets every connection. 127.0.0.1 only.
import * as http from 'node:http';
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
  const server = http.createServer((req, res) => {
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
  });
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
  p.url = `http://127.0.0.1:${p.port}`;
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
