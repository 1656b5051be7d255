// `uplift upload --url`: a presigned GET of the sandbox's S3 peer is uploaded to a vendor by
// the command line; the stored bytes are the source's, no temporary file is left, and the
// URL's signature is never printed. A bad --url is a usage error.
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { startSandbox, type Sandbox } from '../../lib/sandbox';
import { S3Client } from '../../lib/sandbox/s3/client';
import { assertBuilt, cliEnv, killLiveChildren, makeTempDir, removeDir, runCli } from '../cli/helpers';

let sb: Sandbox;
let tmp: string;
let data: Buffer;
let url: string;

beforeAll(async () => {
  assertBuilt();
  sb = await startSandbox();
  const s3 = new S3Client(sb.s3);
  await s3.createBucket('team-audio');
  data = randomBytes(3 * 1024 * 1024 + 9);
  await s3.putObject('team-audio', 'standup.mp3', data, data.length);
  url = await s3.presignGet('team-audio', 'standup.mp3', 900);
});
afterAll(async () => {
  await killLiveChildren();
  await sb?.close();
});
beforeEach(() => { tmp = makeTempDir(); });
afterEach(async () => {
  await killLiveChildren();
  removeDir(tmp);
});

test('uplift upload --url streams a presigned GET to the vendor', async () => {
  const r = await runCli(['upload', '--vendor', 'scripe', '--base-url', sb.urls.scripe, '--api-key', sb.credentials.scripe.apiKey, '--url', url, '--json'], cliEnv(tmp));
  expect(r.code).toBe(0);
  const out = JSON.parse(r.stdout) as { results: { md5: string; bytes: number; contentType: string }[] };
  const md5 = createHash('md5').update(data).digest('hex');
  expect(out.results).toEqual([expect.objectContaining({ md5, bytes: data.length, contentType: 'audio/mpeg' })]);
  expect(sb.objects().filter((o) => o.bucket === sb.fixtures.buckets.scripe && o.md5 === md5)).toHaveLength(1);
  const sig = new URL(url).searchParams.get('X-Amz-Signature') as string;
  expect(r.stdout + r.stderr).not.toContain(sig);
  expect(fs.readdirSync(tmp)).toEqual([]);
});

test('a --url that is not http(s) is a usage error without the URL\'s secret', async () => {
  const r = await runCli(['upload', '--vendor', 'scripe', '--api-key', 'k-123456789', '--url', 'ftp://h/x?X-Amz-Signature=deadbeefdeadbeef'], cliEnv(tmp));
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(/--url must be an http:\/\/ or https:\/\/ URL/);
  expect(r.stderr).not.toContain('deadbeefdeadbeef');
});
