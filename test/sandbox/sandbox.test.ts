/**
 * startSandbox as a whole: start time, loopback binding, URL layout, 404/405 and malformed
 * requests, shared faults and log (front and S3 peer), an external S3 target, close(),
 * and that the main `uplift` entry does not load the sandbox.
 */
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, request } from 'node:http';
import { connect } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import * as ts from 'typescript';
import { sampleWav, startSandbox, writeSampleWav, type Sandbox } from '../../lib/sandbox';

let sb: Sandbox;
let startMs = 0;
beforeAll(async () => {
  const t0 = Date.now();
  sb = await startSandbox();
  startMs = Date.now() - t0;
});
afterAll(async () => { await sb.close(); });
afterEach(() => { sb.faults.clear(); });

const md5 = (b: Buffer): string => createHash('md5').update(b).digest('hex');

function tryConnect(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host, port });
    s.setTimeout(1000, () => { s.destroy(); resolve(false); });
    s.on('connect', () => { s.destroy(); resolve(true); });
    s.on('error', () => resolve(false));
  });
}

function raw(port: number, text: string): Promise<string> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    let out = '';
    s.on('data', (c) => { out += c.toString('latin1'); });
    s.on('close', () => resolve(out));
    s.on('error', () => resolve(out));
    s.end(text);
  });
}

test('starts in under a second, on 127.0.0.1 only, with the documented URL layout', async () => {
  expect(startMs).toBeLessThan(1000);
  const u = new URL(sb.url);
  expect(u.hostname).toBe('127.0.0.1');
  expect(sb.urls).toEqual({
    eka: `${sb.url}/eka`, kore: `${sb.url}/kore`, plaud: `${sb.url}/plaud`, plaudJp: `${sb.url}/plaud/jp`,
    scripe: `${sb.url}/scripe`, heify: `${sb.url}/heify`,
  });
  expect(new URL(sb.s3.endpoint).hostname).toBe('127.0.0.1');
  const port = Number(u.port);
  expect(await tryConnect('127.0.0.1', port)).toBe(true);
  const external = Object.values(networkInterfaces()).flat().filter((i) => i && !i.internal && i.family === 'IPv4');
  for (const i of external) expect(await tryConnect(i!.address, port)).toBe(false);
});

test('credentials are random per start', async () => {
  const other = await startSandbox();
  try {
    expect(other.credentials.eka.token).not.toBe(sb.credentials.eka.token);
    expect(other.credentials.scripe.apiKey).not.toBe(sb.credentials.scripe.apiKey);
    expect(other.fixtures.heify.configurationId).not.toBe(sb.fixtures.heify.configurationId);
    expect(other.url).not.toBe(sb.url);
  } finally {
    await other.close();
  }
});

test('unknown paths → 404 JSON, known path with a wrong method → 405', async () => {
  for (const p of ['/', '/nope', '/eka/v2/file-upload', '/scripe/v1/uploads/x', '/kore/api/public/files/session/a/b/c']) {
    const r = await fetch(`${sb.url}${p}`, { method: 'POST' });
    expect(r.status).toBe(404);
    expect(r.headers.get('content-type')).toMatch(/application\/json/);
    await r.json();
  }
  const r = await fetch(`${sb.urls.plaud}/open/partner/files/upload/complete-upload`, { method: 'PUT' });
  expect(r.status).toBe(405);
  expect(sb.log.entries({ target: 'sandbox', status: 404 }).length).toBeGreaterThanOrEqual(2);
  expect(sb.log.entries({ target: 'scripe', op: 'unknown', status: 404 }).length).toBe(1);
});

test('malformed requests never take the front down', async () => {
  const port = Number(new URL(sb.url).port);
  expect(await raw(port, 'THIS IS NOT HTTP\r\n\r\n')).toMatch(/^HTTP\/1\.1 400/);
  // a body shorter than announced, then the client half-closes: answered or dropped, never a crash
  expect(await raw(port, 'POST /scripe/v1/uploads HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n{')).toMatch(/^$|^HTTP\/1\.1 4\d\d/);
  const huge = await new Promise<number>((resolve) => {
    const req = request(`${sb.urls.scripe}/v1/uploads`, { method: 'POST', headers: { authorization: `Bearer ${sb.credentials.scripe.apiKey}`, 'scripe-api-version': '2026-08-01', 'content-type': 'application/json', 'content-length': String(1e12) } }, (res) => { res.resume(); resolve(res.statusCode ?? 0); req.destroy(); });
    req.on('error', () => resolve(-1));
    req.write('{');
  });
  expect(huge).toBe(413);
  const bad = await fetch(`${sb.urls.heify}/request-upload-url`, { method: 'POST', headers: { 'x-api-key': sb.credentials.heify.apiKey, 'content-type': 'application/json' }, body: '\u0000\u0001{{' });
  expect(bad.status).toBe(400);
  const ok = await fetch(`${sb.urls.scripe}/v1/uploads`, { method: 'POST', headers: { authorization: `Bearer ${sb.credentials.scripe.apiKey}`, 'scripe-api-version': '2026-08-01', 'content-type': 'application/json' }, body: JSON.stringify({ contentType: 'audio/wav' }) });
  expect(ok.status).toBe(200);
});

test('the log records vendor requests without query strings; faults hit the front and the S3 peer', async () => {
  sb.log.clear();
  const r = await fetch(`${sb.urls.eka}/v1/file-upload?txn_id=logtest&action=ekascribe-v2`, { method: 'POST', headers: { authorization: `Bearer ${sb.credentials.eka.token}`, 'content-type': 'application/json' }, body: JSON.stringify({ extraData: { mode: 'x' } }) });
  expect(r.status).toBe(200);
  const [e] = sb.log.entries({ target: 'eka' });
  expect(e).toMatchObject({ target: 'eka', op: 'presign', method: 'POST', path: '/eka/v1/file-upload', status: 200, bytesIn: JSON.stringify({ extraData: { mode: 'x' } }).length });
  expect(e.time).toBeGreaterThan(Date.now() - 10_000);

  // a fault on S3 PutObject through the shared Faults: the Scripe upload URL gets S3's 503
  const mint = await fetch(`${sb.urls.scripe}/v1/uploads`, { method: 'POST', headers: { authorization: `Bearer ${sb.credentials.scripe.apiKey}`, 'scripe-api-version': '2026-08-01', 'content-type': 'application/json' }, body: JSON.stringify({ contentType: 'text/plain' }) });
  const { data } = (await mint.json()) as { data: { uploadUrl: string } };
  sb.faults.add({ target: 's3', op: 'PutObject', action: { status: 503, code: 'SlowDown' } });
  const put1 = await fetch(data.uploadUrl, { method: 'PUT', headers: { 'content-type': 'text/plain' }, body: 'hello' });
  expect(put1.status).toBe(503);
  expect(await put1.text()).toContain('SlowDown');
  const put2 = await fetch(data.uploadUrl, { method: 'PUT', headers: { 'content-type': 'text/plain' }, body: 'hello' });
  expect(put2.status).toBe(200);
  const s3Puts = sb.log.entries({ target: 's3', op: 'PutObject' });
  expect(s3Puts.map((x) => x.status)).toEqual([503, 200]);
  expect(s3Puts.every((x) => !x.path.includes('?') && !x.path.includes('Signature'))).toBe(true);
  expect(sb.faults.pending()).toEqual([]);
});

test('an external S3 target: objects() points to listObjects(), which lists with MD5s', async () => {
  const ext = await startSandbox({ s3: sb.s3 });
  try {
    expect(() => ext.objects()).toThrow(/listObjects/);
    expect(ext.s3.endpoint).toBe(sb.s3.endpoint);
    const fx = ext.fixtures.heify;
    const r = await fetch(`${ext.urls.heify}/request-upload-url`, { method: 'POST', headers: { 'x-api-key': ext.credentials.heify.apiKey, 'content-type': 'application/json' }, body: JSON.stringify({ configuration_id: fx.configurationId }) });
    const { data } = (await r.json()) as { data: { upload_url: string; transcription_id: string } };
    const bytes = randomBytes(4096);
    const put = await fetch(data.upload_url, { method: 'PUT', headers: { 'content-type': 'audio/wav', 'x-amz-meta-configuration_id': fx.configurationId }, body: bytes });
    expect(put.status).toBe(200);
    const key = `upload/${fx.clientId}/${data.transcription_id}`;
    const listed = (await ext.listObjects()).find((o) => o.key === key);
    expect(listed).toMatchObject({ bucket: 'heify-uploads', size: bytes.length, md5: md5(bytes), contentType: 'audio/wav', metadata: { configuration_id: fx.configurationId } });
    expect(sb.objects().find((o) => o.key === key)?.md5).toBe(md5(bytes));
  } finally {
    await ext.close();
  }
  // closing the external-target sandbox leaves the other one working
  expect((await fetch(`${sb.urls.heify}/request-upload-url`, { method: 'POST' })).status).toBe(401);
});

test('close() frees the port and the temp folders, and can be called twice', async () => {
  const s = await startSandbox();
  const port = Number(new URL(s.url).port);
  const s3Port = Number(new URL(s.s3.endpoint).port);
  const dir = s.tempDir;
  expect(statSync(dir).isDirectory()).toBe(true);
  // leave chunk files behind on purpose: a session that never completes
  const start = await fetch(`${s.urls.kore}/api/public/files/session/start`, { method: 'POST', headers: { 'x-api-key': s.credentials.kore.apiKey, 'content-type': 'application/json' }, body: JSON.stringify({ fileContext: 'c', totalChunks: 2, fileExtension: 'wav', fileName: 'a.wav', fileSize: 20 }) });
  const { sessionId } = (await start.json()) as { sessionId: string };
  const f = new FormData();
  f.append('chunkNumber', '0');
  f.append('file', new Blob([new Uint8Array(10)]), 'x');
  expect((await fetch(`${s.urls.kore}/api/public/files/session/${sessionId}`, { method: 'POST', headers: { 'x-api-key': s.credentials.kore.apiKey }, body: f })).status).toBe(200);
  expect(readdirSync(join(dir, 'kore')).length).toBeGreaterThan(0);

  await Promise.all([s.close(), s.close()]);
  await s.close();
  expect(existsSync(dir)).toBe(false);
  expect(await tryConnect('127.0.0.1', port)).toBe(false);
  expect(await tryConnect('127.0.0.1', s3Port)).toBe(false);
  await expect(fetch(`${s.urls.scripe}/v1/uploads`, { method: 'POST' })).rejects.toThrow();
  const again = createServer();
  await new Promise<void>((resolve, reject) => { again.once('error', reject); again.listen(port, '127.0.0.1', () => resolve()); });
  await new Promise<void>((resolve) => again.close(() => resolve()));
});

test('a stall in flight does not hold close() back', async () => {
  const s = await startSandbox();
  s.faults.add({ target: 'scripe', action: { stallMs: 30_000 } });
  const pending = fetch(`${s.urls.scripe}/v1/uploads`, { method: 'POST' }).catch((e: unknown) => e);
  await new Promise((r) => setTimeout(r, 100));
  const t0 = Date.now();
  await s.close();
  expect(Date.now() - t0).toBeLessThan(2000);
  // undici's TypeError comes from another realm than the test's Error: check by shape
  const outcome = await pending;
  expect((outcome as { status?: number }).status).toBeUndefined();
  expect(String(outcome)).toMatch(/fetch failed|terminated|socket/i);
});

test('sample WAVs: valid header, requested size, same bytes in memory and on disk', async () => {
  const w = sampleWav({ bytes: 10_000, sampleRate: 8000 });
  expect(w.length).toBe(10_000);
  expect(w.toString('ascii', 0, 4)).toBe('RIFF');
  expect(w.readUInt32LE(4)).toBe(w.length - 8);
  expect(w.toString('ascii', 8, 16)).toBe('WAVEfmt ');
  expect(w.readUInt32LE(24)).toBe(8000);
  expect(w.readUInt32LE(40)).toBe(w.length - 44);
  expect(w.subarray(44).some((b) => b !== 0)).toBe(true);
  expect(sampleWav().length).toBe(44 + 32000);
  expect(() => sampleWav({ bytes: 10 })).toThrow(RangeError);
  const dir = mkdtempSync(join(tmpdir(), 'uplift-wav-'));
  try {
    const size = await writeSampleWav(join(dir, 'a.wav'), { bytes: 3 * 1024 * 1024 + 45, sampleRate: 8000 });
    expect(size).toBe(3 * 1024 * 1024 + 44);
    const disk = readFileSync(join(dir, 'a.wav'));
    expect(disk.length).toBe(size);
    expect(md5(disk)).toBe(md5(sampleWav({ bytes: size, sampleRate: 8000 })));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** Transpiles lib/ (no type check) into a temp folder and requires index.js in a child Node. */
function modulesLoadedByMainEntry(): string[] {
  const root = join(__dirname, '..', '..', 'lib');
  const out = mkdtempSync(join(tmpdir(), 'uplift-main-entry-'));
  try {
    const walk = (dir: string): string[] => readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
      d.isDirectory() ? walk(join(dir, d.name)) : d.name.endsWith('.ts') && !d.name.endsWith('.d.ts') ? [join(dir, d.name)] : []);
    for (const file of walk(root)) {
      const js = ts.transpileModule(readFileSync(file, 'utf8'), {
        compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
      }).outputText;
      const dest = join(out, relative(root, file)).replace(/\.ts$/, '.js');
      mkdirSync(dirname(dest), { recursive: true });
      writeFileSync(dest, js);
    }
    const script = `require(${JSON.stringify(join(out, 'index.js'))}); process.stdout.write(JSON.stringify(Object.keys(require.cache)));`;
    const text = execFileSync(process.execPath, ['-e', script], { env: { ...process.env, NODE_PATH: join(root, '..', 'node_modules') }, encoding: 'utf8' });
    return (JSON.parse(text) as string[]).map((p) => p.startsWith(out) ? `lib/${relative(out, p)}` : p);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

const mainEntry = join(__dirname, '..', '..', 'lib', 'index.ts');
// stated exception: this check needs the main entry, which another part of the project writes
(existsSync(mainEntry) ? test : test.skip)('requiring the main entry loads nothing of the sandbox', () => {
  const loaded = modulesLoadedByMainEntry();
  expect(loaded).toContain('lib/index.js');
  expect(loaded.filter((p) => p.startsWith('lib/sandbox/'))).toEqual([]);
  expect(loaded.filter((p) => /node_modules[\\/](busboy|streamsearch)[\\/]/.test(p))).toEqual([]);
});
