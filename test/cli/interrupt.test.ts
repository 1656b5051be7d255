/**
 * Ctrl-C during `uplift upload`: a ~100 MiB Plaud upload whose S3 parts the sandbox
 * stalls gets SIGINT after its first progress line; the command exits 130 within a few
 * seconds, completes nothing, and leaves no temporary files in its TMPDIR.
 */
import * as fs from 'node:fs';
import { startSandbox, type Sandbox } from '../../lib/sandbox';
import { assertBuilt, cliEnv, killLiveChildren, makeTempDir, MiB, removeDir, startCli, writeRandomFile } from './helpers';

let sb: Sandbox;
let tmp: string;
let files: string;
beforeAll(async () => {
  assertBuilt();
  sb = await startSandbox();
  files = makeTempDir();
});
afterAll(async () => {
  await killLiveChildren();
  await sb?.close();
  removeDir(files);
});
beforeEach(() => { tmp = makeTempDir(); });
afterEach(async () => {
  await killLiveChildren();
  sb.faults.clear();
  removeDir(tmp);
});

test('SIGINT mid-upload exits 130 quickly with no temp files and no completed object', async () => {
  const f = writeRandomFile(files, 'long-meeting.wav', 100 * MiB);
  // every part PUT waits 300 ms before S3 handles it, so the upload is still running at SIGINT
  sb.faults.add({ target: 's3', op: 'UploadPart', times: 1000, action: { stallMs: 300 } });
  const run = startCli(['upload', f.file, '--vendor', 'plaud', '--base-url', sb.urls.plaud, '--token', sb.credentials.plaud.token], cliEnv(tmp));
  await run.waitFor('stderr', /^long-meeting\.wav: /m);
  const t0 = Date.now();
  run.child.kill('SIGINT');
  const exit = await Promise.race([
    run.exited,
    new Promise<'late'>((resolve) => setTimeout(() => resolve('late'), 5000).unref()),
  ]);
  expect(exit).toEqual({ code: 130, signal: null });
  expect(Date.now() - t0).toBeLessThan(5000);
  expect(run.stderr()).toMatch(/uplift: interrupted, stopping uploads/);
  expect(run.stderr()).not.toMatch(/^long-meeting\.wav: done$/m);
  expect(run.stderr()).not.toMatch(/^\s+at /m);
  expect(run.stdout()).toBe('');
  // nothing was completed in Plaud's bucket, and the child's TMPDIR is empty
  expect(sb.objects().filter((o) => o.bucket === sb.fixtures.buckets.plaudUs && o.md5 === f.md5)).toEqual([]);
  expect(fs.readdirSync(tmp)).toEqual([]);
});
