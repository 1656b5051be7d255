/**
 * `uplift sandbox`: prints `export UPLIFT_...='...'` lines for the five emulators; uploads
 * run with exactly that environment succeed against it; SIGINT stops it with exit 0.
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import { ENV, VENDORS } from '../../lib/cli/upload';
import { assertBuilt, cliEnv, killLiveChildren, makeTempDir, MiB, parseExports, removeDir, runCli, startCli, writeRandomFile } from './helpers';

let tmp: string;
beforeAll(() => { assertBuilt(); });
beforeEach(() => { tmp = makeTempDir(); });
afterEach(async () => {
  await killLiveChildren();
  removeDir(tmp);
});

/** A port that was free a moment ago on 127.0.0.1. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

test('sandbox prints export lines; uploads with that environment work; SIGINT exits 0', async () => {
  const port = await freePort();
  const sbx = startCli(['sandbox', '--port', String(port)], cliEnv(tmp));
  await sbx.waitFor('stdout', /^export UPLIFT_SANDBOX_S3_ENDPOINT='[^']+'$/m);
  const exported = parseExports(sbx.stdout());
  const names = [...VENDORS.flatMap((v) => [ENV[v].url, ENV[v].secret]), 'UPLIFT_HEIFY_CONFIGURATION_ID', 'UPLIFT_SANDBOX_S3_ENDPOINT'];
  expect(Object.keys(exported).sort()).toEqual(names.sort());
  // every non-comment stdout line is an export line
  for (const line of sbx.stdout().trim().split('\n')) expect(line).toMatch(/^(# .*|export [A-Z0-9_]+='[^']*')$/);
  for (const v of VENDORS) {
    expect(exported[ENV[v].url]).toBe(`http://127.0.0.1:${port}/${v}`);
    expect(exported[ENV[v].secret].length).toBeGreaterThan(8);
  }
  expect(exported.UPLIFT_SANDBOX_S3_ENDPOINT).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

  // the sandbox answers on the printed URL (an unauthenticated call is refused by the emulator)
  const probe = await fetch(`${exported.UPLIFT_PLAUD_URL}/open/partner/files/upload/generate-presigned-urls`, { method: 'POST', body: '{}' });
  expect(probe.status).toBe(401);
  await probe.arrayBuffer();

  const env = cliEnv(tmp, exported);
  const f = writeRandomFile(tmp, 'sandbox-upload.wav', 6 * MiB + 3);
  for (const v of VENDORS) {
    const args = ['upload', f.file, '--vendor', v, '--json', ...(v === 'eka' ? ['--txn-id', `sbx_${Date.now()}`] : [])];
    const r = await runCli(args, env);
    expect(`${v}: ${r.stderr}`).toBe(`${v}: `);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { vendor: string; results: Record<string, unknown>[] };
    expect(out.vendor).toBe(v);
    const res = out.results[0];
    if (v === 'eka') {
      expect(res.files).toEqual([expect.objectContaining({ md5: f.md5, size: f.size })]);
    } else {
      expect(res).toMatchObject({ md5: f.md5, bytes: f.size });
    }
    // Plaud's complete step compares file_md5 with what its S3 stored: a server-side check
    if (v === 'plaud') expect(res.fileMd5).toBe(f.md5);
  }

  sbx.child.kill('SIGINT');
  const exit = await sbx.exited;
  expect(exit).toEqual({ code: 0, signal: null });
  expect(sbx.stderr()).toMatch(/uplift sandbox: stopped/);
  // stopped means stopped: nothing listens on the port any more
  await expect(fetch(`${exported.UPLIFT_PLAUD_URL}/open/partner/files/upload/generate-presigned-urls`, { method: 'POST', body: '{}' })).rejects.toThrow();
  // the sandbox's temp folder (its S3 objects) is gone; only the test's own file is left
  expect(fs.readdirSync(tmp)).toEqual(['sandbox-upload.wav']);
});
