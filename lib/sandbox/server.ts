/**
 * The sandbox's HTTP front on 127.0.0.1: routes `/<vendor>/<documented path>` to the
 * vendor emulators, applies injected faults before handling, logs one entry per request
 * and turns every failure into the vendor's own error shape (never crashes the process).
 * Owned by startSandbox; close() ends every connection and pending stall.
 */
import { createServer, STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { describeFault, type FaultAction, type Faults } from './faults';
import type { LogEntry, RequestLog } from './log';
import { ClientGoneError, sendJson, VendorError } from './vendors/common';
import type { VendorContext, VendorEmulator } from './vendors/types';

export interface FrontOptions {
  /** 0 = a free port */
  port: number;
  vendors: VendorEmulator[];
  faults: Faults;
  log: RequestLog;
}

export interface Front {
  /** http://127.0.0.1:PORT */
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Body that is broken JSON, answered with 200 for a `malformedJson` fault. */
const BROKEN_JSON = '{"data": {"id": "upl_trunc';

/** A PassThrough that counts the bytes going through it. */
class Counter extends PassThrough {
  /** bytes of request body seen so far */
  bytes = 0;
  override _transform(chunk: Buffer, enc: BufferEncoding, cb: (e?: Error | null, d?: Buffer) => void): void {
    this.bytes += chunk.length;
    cb(null, chunk);
  }
}

export async function startFront(o: FrontOptions): Promise<Front> {
  const vendors = new Map(o.vendors.map((v) => [v.name as string, v]));
  /** stall timers still pending; resolved early by close() */
  const stalls = new Set<{ timer: NodeJS.Timeout; wake: () => void }>();
  let closed = false;

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) sendJson(res, 500, { error: 'internal_error' });
      else res.destroy();
    });
  });
  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    else socket.destroy();
  });

  /** Waits `ms`, or less when the client goes away or the front closes. */
  function stall(ms: number, res: ServerResponse): Promise<void> {
    return new Promise((resolve) => {
      const s = {
        timer: setTimeout(() => wake(), ms),
        wake: () => wake(),
      };
      const wake = (): void => {
        clearTimeout(s.timer);
        stalls.delete(s);
        res.off('close', wake);
        resolve();
      };
      stalls.add(s);
      res.on('close', wake);
    });
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://127.0.0.1');
    } catch {
      req.resume();
      sendJson(res, 400, { error: 'bad_request', message: 'unparseable request target' });
      return;
    }
    const path = url.pathname;
    const body = new Counter();
    req.pipe(body);
    const vendor = vendors.get(path.split('/')[1] ?? '');
    const entry: LogEntry = { time: 0, target: vendor ? vendor.name : 'sandbox', op: 'unknown', method, path, status: 0, bytesIn: 0 };
    const requestType = req.headers['content-type'];
    if (requestType !== undefined) entry.contentType = requestType;
    res.on('close', () => {
      entry.time = Date.now();
      entry.status = res.headersSent ? res.statusCode : 0;
      entry.bytesIn = body.bytes;
      o.log.add(entry);
    });
    res.on('finish', () => body.resume());

    if (!vendor) {
      sendJson(res, 404, { error: 'not_found', message: `no vendor emulator at ${path}; try /eka, /kore, /plaud, /scripe or /heify` });
      return;
    }
    const subPath = path.slice(vendor.name.length + 1) || '/';
    let route: ReturnType<VendorEmulator['match']>;
    try {
      route = vendor.match(method, subPath);
    } catch {
      route = undefined;
    }
    const op = route && 'op' in route ? route.op : 'unknown';
    entry.op = op;

    const fault = o.faults.take(vendor.name, op, path);
    if (fault) {
      entry.fault = describeFault(fault);
      if (await applyFault(fault, vendor, req, res, body)) return;
    }
    if (closed || res.destroyed) return;

    if (!route) {
      renderError(vendor, res, new VendorError(404, '', `no such endpoint: ${method} ${path}`));
      return;
    }
    if (!('op' in route)) {
      renderError(vendor, res, new VendorError(405, '', `${method} is not allowed on ${path}`, undefined, { allow: route.allow.join(', ') }));
      return;
    }
    const ctx: VendorContext = { req, res, body, url, subPath };
    try {
      await route.handle(ctx);
      if (!res.headersSent) throw new Error(`handler for ${vendor.name}/${op} gave no answer`);
    } catch (e) {
      if (e instanceof ClientGoneError) { res.destroy(); return; }
      renderError(vendor, res, e instanceof VendorError ? e : new VendorError(500, '', 'internal error of the emulator'));
    }
  }

  /** Applies a fault; true when it fully answered (or dropped) the request. */
  async function applyFault(f: FaultAction, vendor: VendorEmulator, req: IncomingMessage, res: ServerResponse, body: Counter): Promise<boolean> {
    if ('status' in f) {
      const headers: Record<string, string> = f.retryAfterSec !== undefined ? { 'retry-after': String(f.retryAfterSec) } : {};
      renderError(vendor, res, new VendorError(f.status, f.code ?? '', f.message ?? `injected fault: ${STATUS_CODES[f.status] ?? 'error'}`, undefined, headers));
      return true;
    }
    if ('resetAfterBytes' in f) {
      const drop = (): void => { req.socket.destroy(); };
      if (f.resetAfterBytes <= 0) { drop(); return true; }
      body.on('data', () => { if (body.bytes >= f.resetAfterBytes) drop(); });
      body.on('end', drop);
      body.resume();
      return true;
    }
    if ('stallMs' in f) {
      await stall(f.stallMs, res);
      return false;
    }
    if ('json' in f) {
      await new Promise<void>((resolve) => { body.on('end', resolve); body.on('error', () => resolve()); req.on('close', () => resolve()); body.resume(); });
      sendJson(res, 200, f.json);
      return true;
    }
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': String(Buffer.byteLength(BROKEN_JSON)) });
    res.end(BROKEN_JSON);
    return true;
  }

  function renderError(vendor: VendorEmulator, res: ServerResponse, e: VendorError): void {
    const code = e.code || vendor.defaultCode(e.status);
    const headers: Record<string, string> = { ...e.headers };
    // an oversized body not read to its end: answer and close, as front proxies do
    if (e.status === 413 && !res.req.complete) headers.connection = 'close';
    sendJson(res, e.status, vendor.errorBody(e.status, code, e.message, e.extra), headers);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port: o.port, host: '127.0.0.1' }, () => { server.off('error', reject); resolve(); });
  });
  const port = (server.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      for (const s of [...stalls]) s.wake();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
