// SSLKEYLOGFILE: libcurl would append every TLS session's secrets to it. uplift honours it
// only on an opt-in by name (UPLIFT_TLS_KEYLOG=1), as Node needs --tls-keylog. Each case
// runs an HTTPS upload in a fresh process (libcurl reads the variable once, at init).
import { spawn } from 'child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { makeCerts, startTlsSink, type Certs, type TlsSink } from './helpers';

const root = path.resolve(__dirname, '..', '..');
let certs: Certs;
let sink: TlsSink;
let dir: string;

beforeAll(async () => {
  certs = makeCerts();
  sink = await startTlsSink(certs.good);
  dir = mkdtempSync(path.join(tmpdir(), 'uplift-keylog-'));
});
afterAll(async () => {
  await sink?.close();
  if (certs) rmSync(certs.dir, { recursive: true, force: true });
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function upload(env: Record<string, string>): Promise<{ status: number | null; out: string }> {
  const code = `
    const { putPresigned, Engine } = require('./dist');
    const e = new Engine({ caFile: ${JSON.stringify(certs.caFile)} });
    putPresigned(${JSON.stringify(`${sink.url}/keylog`)}, Buffer.alloc(1000, 1), { engine: e })
      .then((r) => { console.log('bytes', r.bytes); return e.close(); })
      .catch((err) => { console.log('failed', err.code, err.message); process.exitCode = 3; });
  `;
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env };
  if (!('UPLIFT_TLS_KEYLOG' in env)) delete childEnv.UPLIFT_TLS_KEYLOG;
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['-e', code], { cwd: root, env: childEnv, timeout: 20000 });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('close', (status) => resolve({ status, out }));
  });
}

test('SSLKEYLOGFILE alone writes no key file', async () => {
  const file = path.join(dir, 'keys-no-opt-in.log');
  const r = await upload({ SSLKEYLOGFILE: file });
  expect(r.out).toContain('bytes 1000');
  expect(r.status).toBe(0);
  expect(existsSync(file)).toBe(false);
});

test('SSLKEYLOGFILE with UPLIFT_TLS_KEYLOG=1 writes the TLS secrets', async () => {
  const file = path.join(dir, 'keys-opt-in.log');
  const r = await upload({ SSLKEYLOGFILE: file, UPLIFT_TLS_KEYLOG: '1' });
  expect(r.out).toContain('bytes 1000');
  expect(r.status).toBe(0);
  expect(readFileSync(file, 'utf8')).toMatch(/^(CLIENT_RANDOM|CLIENT_HANDSHAKE_TRAFFIC_SECRET) /m);
});

test('UPLIFT_TLS_KEYLOG other than 1 is no opt-in', async () => {
  const file = path.join(dir, 'keys-yes.log');
  const r = await upload({ SSLKEYLOGFILE: file, UPLIFT_TLS_KEYLOG: 'yes' });
  expect(r.out).toContain('bytes 1000');
  expect(existsSync(file)).toBe(false);
});
