/**
 * The client's HTTP exchange on node:http/https: one request, the answer's body read
 * whole (small XML) or handed over as a stream. No connection reuse, so nothing is left
 * open between calls.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import { Readable } from 'node:stream';

export interface RawAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

export interface SendArgs {
  method: string;
  url: URL;
  headers: Record<string, string>;
  body?: Buffer | string | NodeJS.ReadableStream;
}

/** Sends the request; resolves with the answer stream once the head has arrived. */
export function open({ method, url, headers, body }: SendArgs): Promise<http.IncomingMessage> {
  const mod = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = mod.request(url, { method, headers, agent: false }, resolve);
    req.on('error', reject);
    if (body === undefined) req.end();
    else if (typeof body === 'string' || Buffer.isBuffer(body)) req.end(body);
    else {
      const src = body instanceof Readable ? body : Readable.from(body as AsyncIterable<Buffer>);
      src.on('error', (e) => req.destroy(e));
      src.pipe(req);
    }
  });
}

/** Sends the request and reads the whole answer (for small XML answers). */
export async function send(a: SendArgs): Promise<RawAnswer> {
  const res = await open(a);
  const chunks: Buffer[] = [];
  for await (const c of res) chunks.push(c as Buffer);
  return { status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) };
}
