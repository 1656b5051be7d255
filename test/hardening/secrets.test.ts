// Secrets never shown: Kore's media URL signature (`s=`) in the CLI output and the Express
// default answer (kept whole in the value returned to code); request ids a peer echoes a
// credential into; misspelled credential options and custom auth header values.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { inspect } from 'util';
import express from 'express';
import { Engine, InvalidArgumentError, kore, plaud, putPresigned, UpliftError } from '../../lib';
import { uploadToVendor } from '../../lib/express';
import { startSandbox, type Sandbox } from '../../lib/sandbox';
import { assertBuilt, cliEnv, killLiveChildren, runCli } from '../cli/helpers';
import { listen, type Running } from '../express/helpers';
import { startSink, type Sink } from '../support/sink';

let sb: Sandbox;
let sink: Sink;
let engine: Engine;
let tmp: string;
let file: string;

beforeAll(async () => {
  assertBuilt();
  sb = await startSandbox();
  sink = await startSink();
  engine = new Engine({ retry: { maxAttempts: 1 } });
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'uplift-secrets-test-'));
  file = path.join(tmp, 'memo.wav');
  fs.writeFileSync(file, Buffer.alloc(64 * 1024, 3));
});
afterAll(async () => {
  await killLiveChildren();
  await engine?.close();
  await sink?.close();
  await sb?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** The value of the `s=` parameter of a Kore media URL. */
function signatureOf(url: string): string {
  const s = new URL(url).searchParams.get('s');
  if (!s) throw new Error(`no s= in ${url}`);
  return s;
}

describe('Kore media URL signature (s=)', () => {
  test('kept whole in the value returned to code', async () => {
    const c = kore.client({ apiKey: sb.credentials.kore.apiKey, baseUrl: sb.urls.kore, engine });
    const r = await c.uploadFile(file, { fileContext: 'bulkImport' });
    expect(r.url).toMatch(/[?&]s=[^&[]+/);
    expect(signatureOf(r.url).length).toBeGreaterThan(8);
  });

  test('redacted in `uplift upload --vendor kore`, plain and --json', async () => {
    const args = ['upload', file, '--vendor', 'kore', '--base-url', sb.urls.kore, '--api-key', sb.credentials.kore.apiKey];
    for (const extra of [[], ['--json']]) {
      const r = await runCli([...args, ...extra], cliEnv(tmp));
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/getMediaStream/);
      expect(r.stdout).toMatch(/[?&]s=\[REDACTED\]/);
      expect(r.stdout).not.toMatch(/[?&]s=(?!\[REDACTED\])/);
    }
  });

  test('redacted in the Express default answer; respond: false keeps it whole', async () => {
    const c = kore.client({ apiKey: sb.credentials.kore.apiKey, baseUrl: sb.urls.kore, engine });
    const app = express();
    app.post('/kore', uploadToVendor({ client: c, vendorOptions: { fileContext: 'bulkImport' } }));
    app.post('/kore-next', uploadToVendor({ client: c, vendorOptions: { fileContext: 'bulkImport' }, respond: false }), (req, res) => {
      res.json({ url: (req.uplift!.files[0].result as { url: string }).url });
    });
    const server: Running = await listen(app);
    try {
      const send = async (route: string): Promise<string> => {
        const form = new FormData();
        form.append('file', new Blob([fs.readFileSync(file)], { type: 'audio/wav' }), 'memo.wav');
        const r = await fetch(`${server.url}${route}`, { method: 'POST', body: form });
        expect(r.status).toBe(200);
        return r.text();
      };
      const shown = await send('/kore');
      expect(shown).toMatch(/getMediaStream/);
      expect(shown).toMatch(/[?&]s=\[REDACTED\]/);
      expect(shown).not.toMatch(/[?&]s=(?!\[REDACTED\])/);
      const full = JSON.parse(await send('/kore-next')) as { url: string };
      expect(signatureOf(full.url)).not.toBe('[REDACTED]');
    } finally {
      await server.close();
    }
  });
});

describe('error fields a peer fills', () => {
  test('a peer echoing the token in x-amz-request-id: requestId and util.inspect(err) do not show it', async () => {
    const token = `tok-${'9f'.repeat(16)}`;
    plaud.client({ token, baseUrl: sink.url }); // registers the token as a secret
    sink.script((r) => r.url === '/echo', { status: 403, headers: { 'x-amz-request-id': token, 'x-request-id': token }, body: '<Error><Code>AccessDenied</Code></Error>' });
    const e = await putPresigned(`${sink.url}/echo`, Buffer.from('abc'), { engine }).then(() => undefined, (x: unknown) => x);
    expect(e).toBeInstanceOf(UpliftError);
    expect((e as UpliftError).status).toBe(403);
    expect((e as UpliftError).requestId).toBeDefined();
    expect((e as UpliftError).requestId).not.toContain(token);
    expect(inspect(e, { depth: 5 })).not.toContain(token);
    expect(JSON.stringify(e)).not.toContain(token);
  });

  test('a vendor answer whose x-request-id carries a bearer credential is redacted too', async () => {
    const token = `plaud-${'ab12'.repeat(8)}`;
    const c = plaud.client({ token, baseUrl: sink.url, engine });
    sink.script(() => true, { status: 401, headers: { 'x-request-id': `Bearer ${token}` }, body: '{"error":"unauthorized"}' });
    const e = await c.uploadFile(Buffer.from('abc'), { fileType: 'wav' }).then(() => undefined, (x: unknown) => x);
    expect(e).toBeInstanceOf(UpliftError);
    expect(inspect(e, { depth: 5 })).not.toContain(token);
    expect(String((e as UpliftError).requestId ?? '')).not.toContain(token);
  });
});

describe('credentials in bad options are never echoed', () => {
  const value = 'sk_live_9a8b7c6d5e4f3a2b1c0d';

  test.each([
    ['plaud tokne', () => plaud.client({ tokne: value } as never), 'tokne'],
    ['kore apiKy', () => kore.client({ apiKy: value, baseUrl: 'http://127.0.0.1:1' } as never), 'apiKy'],
    ['putPresigned apiKy', () => putPresigned('http://127.0.0.1:1/x', Buffer.from('a'), { apiKy: value } as never), 'apiKy'],
  ])('%s: the message names the option, not its value', async (_name, call, key) => {
    let e: unknown;
    try {
      await call();
    } catch (x) {
      e = x;
    }
    expect(e).toBeInstanceOf(InvalidArgumentError);
    const err = e as InvalidArgumentError;
    expect(err.message).toContain(JSON.stringify(key));
    expect(err.field).toContain(key);
    expect(err.message).not.toContain(value);
    expect(err.received).not.toContain(value);
    expect(inspect(err)).not.toContain(value);
  });

  test('a bad custom auth header: neither the message nor received shows its value', async () => {
    const cases: Record<string, string>[] = [
      { 'X-Custom-Auth': `${value}\r\nX-Injected: 1` },
      { 'X-Custom-Auth': value, 'x-custom-auth': value },
    ];
    for (const headers of cases) {
      const e = await putPresigned('http://127.0.0.1:1/x', Buffer.from('a'), { headers }).then(() => undefined, (x: unknown) => x);
      expect(e).toBeInstanceOf(InvalidArgumentError);
      const err = e as InvalidArgumentError;
      expect(err.field).toMatch(/X-Custom-Auth|x-custom-auth/);
      expect(err.message).not.toContain(value);
      expect(err.received).not.toContain(value);
      expect(err.received).toMatch(/a string of length \d+/);
    }
  });
});
