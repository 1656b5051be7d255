// Shared pieces of the Express proxy suites: an Express app on 127.0.0.1:0 (closed with its
// connections), curl -F uploads, raw multipart requests written by hand, spool-folder checks.
import { execFile } from 'node:child_process';
import { createHash, randomFillSync } from 'node:crypto';
import { readdirSync } from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import express from 'express';

export const MiB = 1024 * 1024;

export const md5 = (b: Uint8Array): string => createHash('md5').update(b).digest('hex');

export function randomBuffer(size: number): Buffer {
  return randomFillSync(Buffer.allocUnsafe(size));
}

export interface Running {
  url: string;
  close(): Promise<void>;
}

/** Starts `app` on 127.0.0.1 (free port); close() also ends idle and active connections. */
export async function listen(app: express.Express): Promise<Running> {
  const server = http.createServer(app);
  // fetch keeps connections alive between tests; a server that closes an idle one after
  // Node's 5 s default races with a request sent on it ("other side closed") on a loaded
  // machine, so idle connections outlive the suite here
  server.keepAliveTimeout = 120_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

export interface CurlResult { status: number; body: string }

/** `curl -sS -F <form>... <url>`: the status and body. */
export function curlForm(url: string, form: string[], extra: string[] = []): Promise<CurlResult> {
  const args = ['-sS', '--max-time', '60', ...extra, ...form.flatMap((f) => ['-F', f]), '-w', '\n%{http_code}', url];
  return new Promise((resolve, reject) => {
    execFile('curl', args, { maxBuffer: 4 * MiB }, (err, stdout, stderr) => {
      if (err) {
        reject(new Error(`curl failed: ${stderr || err.message}`));
        return;
      }
      const cut = stdout.lastIndexOf('\n');
      resolve({ status: Number(stdout.slice(cut + 1)), body: stdout.slice(0, cut) });
    });
  });
}

export const BOUNDARY = 'upliftTestBoundary7MA4YWxk';

/** The multipart text before a file's bytes: optional fields first, then the file part's headers. */
export function multipartHead(fields: Record<string, string>, file: { field: string; name: string; type: string }): string {
  let s = '';
  for (const [k, v] of Object.entries(fields)) s += `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`;
  s += `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${file.field}"; filename="${file.name}"\r\nContent-Type: ${file.type}\r\n\r\n`;
  return s;
}


/** A POST whose body the test writes itself (chunked transfer), to stop it midway. */
export function rawPost(url: string): http.ClientRequest {
  const req = http.request(url, { method: 'POST', headers: { 'content-type': `multipart/form-data; boundary=${BOUNDARY}` } });
  req.on('error', () => {}); // the test destroys it on purpose
  return req;
}

/** Folders named uplift-spool-* in os.tmpdir(). */
export function spoolDirs(): string[] {
  return readdirSync(tmpdir()).filter((n) => n.startsWith('uplift-spool-'));
}

/** Resolves once `cond()` is true; rejects after `timeoutMs` (default 5000). */
export async function waitFor(cond: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`${what} not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
