// A loopback HTTP sink for engine tests: reads every body, records its MD5, answers with an
// S3-style quoted-MD5 ETag, and can be scripted to fail (status, reset, stall).
import * as crypto from 'crypto';
import * as http from 'http';
import type { AddressInfo } from 'net';

export interface SinkRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  bytes: number;
  md5: string;
  complete: boolean;
  fields?: Record<string, string>;
}

export type SinkAction =
  | { status: number; body?: string; headers?: Record<string, string> }
  | { resetAfterBytes: number }
  | { stallMs: number };

export interface Sink {
  url: string;
  requests: SinkRequest[];
  /** Next matching requests get these actions, in order. */
  script(match: (req: http.IncomingMessage) => boolean, ...actions: SinkAction[]): void;
  /** Delay (ms) before reading each body chunk: makes uploads slow. */
  slowMs: number;
  connections: number;
  close(): Promise<void>;
}

export async function startSink(): Promise<Sink> {
  const scripts: { match: (r: http.IncomingMessage) => boolean; actions: SinkAction[] }[] = [];
  const sockets = new Set<import('net').Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const later = (fn: () => void, ms: number): void => {
    const t = setTimeout(() => {
      timers.delete(t);
      fn();
    }, ms);
    timers.add(t);
  };
  const sink: Sink = {
    url: '',
    requests: [],
    slowMs: 0,
    connections: 0,
    script(match, ...actions) {
      scripts.push({ match, actions });
    },
    async close() {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
  const server = http.createServer((req, res) => {
    let action: SinkAction | undefined;
    for (const s of scripts) {
      if (s.actions.length && s.match(req)) {
        action = s.actions.shift();
        break;
      }
    }
    const hash = crypto.createHash('md5');
    const rec: SinkRequest = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, bytes: 0, md5: '', complete: false };
    let raw = Buffer.alloc(0);
    const keepRaw = (req.headers['content-type'] ?? '').startsWith('multipart/form-data');
    req.on('data', (chunk: Buffer) => {
      rec.bytes += chunk.length;
      hash.update(chunk);
      if (keepRaw && raw.length < 1 << 20) raw = Buffer.concat([raw, chunk]);
      if (action && 'resetAfterBytes' in action && rec.bytes >= action.resetAfterBytes) {
        sink.requests.push({ ...rec, md5: '' });
        req.socket.resetAndDestroy?.() ?? req.socket.destroy();
        return;
      }
      if (sink.slowMs > 0) {
        req.pause();
        later(() => req.resume(), sink.slowMs);
      }
    });
    req.on('end', () => {
      rec.complete = true;
      rec.md5 = hash.digest('hex');
      if (keepRaw) rec.fields = parseFields(raw, req.headers['content-type'] ?? '');
      sink.requests.push(rec);
      const answer = (): void => {
        if (action && 'status' in action) {
          res.writeHead(action.status, action.headers ?? {});
          res.end(action.body ?? '');
          return;
        }
        res.writeHead(req.method === 'POST' && keepRaw ? 204 : 200, { ETag: `"${rec.md5}"` });
        res.end();
      };
      if (action && 'stallMs' in action) later(answer, action.stallMs);
      else answer();
    });
  });
  server.on('connection', (s) => {
    sink.connections++;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  sink.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return sink;
}

/** Small multipart parser for assertions (fields only, file part summarised by its MD5). */
function parseFields(raw: Buffer, contentType: string): Record<string, string> {
  const m = /boundary=(?:"([^"]+)"|([^;]+))/.exec(contentType);
  if (!m) return {};
  const boundary = `--${m[1] ?? m[2]}`;
  const out: Record<string, string> = {};
  const text = raw.toString('latin1');
  for (const part of text.split(boundary)) {
    const idx = part.indexOf('\r\n\r\n');
    if (idx < 0) continue;
    const head = part.slice(0, idx);
    const name = /name="([^"]*)"/.exec(head)?.[1];
    if (!name) continue;
    const body = part.slice(idx + 4, part.length - 2);
    const file = /filename="([^"]*)"/.exec(head)?.[1];
    if (file !== undefined) {
      out[`${name}:filename`] = file;
      out[`${name}:md5`] = crypto.createHash('md5').update(Buffer.from(body, 'latin1')).digest('hex');
      out[`${name}:type`] = /content-type:\s*([^\r\n]+)/i.exec(head)?.[1] ?? '';
    } else {
      out[name] = body;
    }
  }
  return out;
}
