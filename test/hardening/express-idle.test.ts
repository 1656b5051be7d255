// uplift/express: a client that announces a size, sends a few KB and goes quiet is answered
// 408 after limits.idleTimeoutMs and frees its upload slot (its vendor upload aborted); a
// request held back by the handler itself (waiting for a slot) is not idle. Eka with a size
// field smaller than the file answers 400 ERR_UPLIFT_SIZE_MISMATCH like the other vendors.
import type { ClientRequest, IncomingMessage } from 'node:http';
import express from 'express';
import { eka, Engine, kore, plaud } from '../../lib';
import { uploadToVendor } from '../../lib/express';
import { startSandbox, type Sandbox } from '../../lib/sandbox';
import { listen, MiB, multipartHead, randomBuffer, rawPost, waitFor, type Running } from '../express/helpers';

let sb: Sandbox;
let engine: Engine;
let server: Running;
/** Vendor uploads the /kore-two and /plaud-two routes started, in order. */
const started: Record<string, Promise<unknown>[]> = { kore: [], plaud: [] };
const IDLE_MS = 300;

beforeAll(async () => {
  sb = await startSandbox();
  engine = new Engine({ retry: { maxAttempts: 1 } });
  const koreClient = kore.client({ apiKey: sb.credentials.kore.apiKey, baseUrl: sb.urls.kore, engine });
  const plaudClient = plaud.client({ token: sb.credentials.plaud.token, baseUrl: sb.urls.plaud, engine });
  /** Kore spools a file of known size; Plaud streams it through the native window. */
  const watched = (name: 'kore' | 'plaud', c: { uploadFile(s: never, o: never): Promise<unknown> }) => ({
    uploadFile(src: never, opts?: never): Promise<unknown> {
      const p = c.uploadFile(src, opts as never);
      p.catch(() => {});
      started[name].push(p);
      return p;
    },
  });
  /** Holds its slot for 1.5 s before uploading (a slow vendor). */
  const slow = {
    async uploadFile(src: never, opts?: never): Promise<unknown> {
      await new Promise((r) => setTimeout(r, 1500));
      return koreClient.uploadFile(src, opts as never);
    },
  };
  const app = express();
  app.post('/kore-two', uploadToVendor({
    client: watched('kore', koreClient as never), vendorOptions: { fileContext: 'bulkImport' },
    limits: { maxConcurrentUploads: 2, idleTimeoutMs: IDLE_MS, lingerMs: 100 },
  }));
  app.post('/plaud-two', uploadToVendor({
    client: watched('plaud', plaudClient as never),
    limits: { maxConcurrentUploads: 2, idleTimeoutMs: IDLE_MS, lingerMs: 100 },
  }));
  app.post('/kore-slow', uploadToVendor({
    client: slow, vendorOptions: { fileContext: 'bulkImport' },
    limits: { maxConcurrentUploads: 1, idleTimeoutMs: IDLE_MS },
  }));
  app.post('/eka', uploadToVendor({
    client: eka.client({ token: sb.credentials.eka.token, baseUrl: sb.urls.eka, engine }),
    vendorOptions: { txnId: `idle-${Date.now()}` },
  }));
  server = await listen(app);
});
afterAll(async () => {
  await server?.close();
  await engine?.close();
  await sb?.close();
});

/** A POST that announces `size` bytes, sends `sent` of them, then goes quiet. */
function quietUpload(route: string, size: number, sent: number): { req: ClientRequest; response: Promise<{ status: number; body: string }> } {
  const req = rawPost(`${server.url}${route}`);
  const response = new Promise<{ status: number; body: string }>((resolve, reject) => {
    req.on('response', (res: IncomingMessage) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => { body += d; }).on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('close', () => setTimeout(() => reject(new Error('connection closed without an answer')), 50));
  });
  response.catch(() => {});
  req.write(multipartHead({ size: String(size) }, { field: 'audio', name: 'quiet.wav', type: 'audio/wav' }));
  req.write(randomBuffer(sent));
  return { req, response };
}

async function postFile(route: string, data: Buffer, fields: Record<string, string> = {}, timeoutMs = 10_000): Promise<{ status: number; body: string }> {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  form.append('audio', new Blob([new Uint8Array(data)], { type: 'audio/wav' }), 'take.wav');
  const r = await fetch(`${server.url}${route}`, { method: 'POST', body: form, signal: AbortSignal.timeout(timeoutMs) });
  return { status: r.status, body: await r.text() };
}

test.each(['kore', 'plaud'] as const)('%s: quiet clients holding every slot are answered 408 and free their slots; the next upload goes through', async (vendor) => {
  const route = `/${vendor}-two`;
  const quiet = [quietUpload(route, MiB, 3 * 1024), quietUpload(route, MiB, 3 * 1024)];
  try {
    await waitFor(() => started[vendor].length === 2, 5000, 'both quiet uploads holding a slot');
    const t0 = Date.now();
    const next = await postFile(route, randomBuffer(5000));
    expect(next.status).toBe(200);
    expect(Date.now() - t0).toBeLessThan(8000);
    for (const q of quiet) {
      const r = await q.response;
      expect(r.status).toBe(408);
      const body = JSON.parse(r.body) as { error: { code: string; limit: string; message: string } };
      expect(body.error.code).toBe('ERR_UPLIFT_TIMEOUT');
      expect(body.error.limit).toBe('idleTimeoutMs');
    }
    // the quiet clients' vendor uploads were aborted, not left running
    for (const p of started[vendor].slice(0, 2)) {
      const e = await p.then(() => undefined, (x: unknown) => x as { code?: string });
      expect(e?.code).toBe('ERR_UPLIFT_ABORTED');
    }
  } finally {
    for (const q of quiet) q.req.destroy();
  }
});

test('a request held back while it waits for a slot is not idle: it completes after the slow one', async () => {
  const first = postFile('/kore-slow', randomBuffer(64 * 1024), {}, 20_000);
  await new Promise((r) => setTimeout(r, 100));
  const second = postFile('/kore-slow', randomBuffer(6 * MiB), { size: String(6 * MiB) }, 20_000);
  const [a, b] = await Promise.all([first, second]);
  expect(a.status).toBe(200);
  expect(b.status).toBe(200);
});

test('Eka with a size field smaller than the file: 400 ERR_UPLIFT_SIZE_MISMATCH (not 500)', async () => {
  const r = await postFile('/eka', randomBuffer(5000), { size: '100' });
  expect(r.status).toBe(400);
  expect((JSON.parse(r.body) as { error: { code: string } }).error.code).toBe('ERR_UPLIFT_SIZE_MISMATCH');
});

test('a vendorOptions.signal whose aborted getter throws: uploadToVendor throws InvalidArgumentError at setup', () => {
  const boom = new Error('getter exploded');
  const signal = { get aborted(): boolean { throw boom; }, addEventListener() {}, removeEventListener() {} };
  let e: unknown;
  try {
    uploadToVendor({ client: { uploadFile: async () => ({}) }, vendorOptions: { signal } });
  } catch (x) {
    e = x;
  }
  expect((e as { code?: string }).code).toBe('ERR_UPLIFT_INVALID_ARGUMENT');
  expect((e as { field?: string }).field).toBe('options.vendorOptions.signal');
  expect((e as Error).cause).toBe(boom);
});
