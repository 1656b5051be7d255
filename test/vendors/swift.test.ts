// The Plaud, Scripe and Heify happy paths with the sandbox minting its presigned URLs
// against a real S3 implementation (OpenStack Swift's s3api on 127.0.0.1): the stored
// bytes' MD5 is read back through S3. CI starts Swift and sets UPLIFT_REQUIRE_SWIFT=1.
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Engine, heify, plaud, scripe } from '../../lib';
import { startSandbox, type Sandbox } from '../../lib/sandbox';
import { swiftRequired, swiftTarget, SWIFT_HOWTO } from '../support/swift';

const MiB = 1024 * 1024;
const target = swiftTarget();

if (!target && swiftRequired()) {
  test('Swift is required (UPLIFT_REQUIRE_SWIFT=1) but UPLIFT_SWIFT_* is not set', () => {
    throw new Error(`Swift is not running; ${SWIFT_HOWTO}`);
  });
}

(target ? describe : describe.skip)('vendors against Swift', () => {
  let sb: Sandbox;
  let engine: Engine;
  let dir: string;
  beforeAll(async () => {
    // Bucket names of their own, so runs do not mix with other suites' objects.
    const tag = crypto.randomBytes(3).toString('hex');
    sb = await startSandbox({
      s3: target!,
      buckets: { plaudUs: `plaud-us-${tag}`, scripe: `scripe-${tag}`, heify: `heify-${tag}`, eka: `eka-${tag}`, kore: `kore-${tag}`, plaudJp: `plaud-jp-${tag}` },
    });
    engine = new Engine({ retry: { baseDelayMs: 20 } });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'uplift-swift-vendors-'));
  });
  afterAll(async () => {
    await engine?.close();
    await sb?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  function file(name: string, size: number): { path: string; md5: string } {
    const data = crypto.randomBytes(size);
    const p = path.join(dir, name);
    fs.writeFileSync(p, data);
    return { path: p, md5: crypto.createHash('md5').update(data).digest('hex') };
  }

  async function stored(bucket: string, md5: string): Promise<boolean> {
    return (await sb.listObjects()).some((o) => o.bucket === bucket && o.md5 === md5);
  }

  test('Plaud: 12 MiB + 1 byte in 3 parts, complete, MD5 read back from Swift', async () => {
    const f = file('meeting.mp3', 12 * MiB + 1);
    const c = plaud.client({ token: sb.credentials.plaud.token, baseUrl: sb.urls.plaud });
    const r = await c.uploadFile(f.path, { engine });
    expect(r.md5).toBe(f.md5);
    expect(r.parts).toHaveLength(3);
    expect(await stored(sb.fixtures.buckets.plaudUs, f.md5)).toBe(true);
  });

  test('Scripe: signed Content-Type PUT, MD5 read back from Swift', async () => {
    const f = file('episode.mp3', 3 * MiB);
    const c = scripe.client({ apiKey: sb.credentials.scripe.apiKey, baseUrl: sb.urls.scripe });
    const r = await c.uploadFile(f.path, { engine });
    expect(r.uploadId).toMatch(/^upl_/);
    expect(await stored(sb.fixtures.buckets.scripe, f.md5)).toBe(true);
  });

  test('Heify: signed x-amz-meta-* PUT, MD5 read back from Swift', async () => {
    const f = file('call.mp3', 2 * MiB);
    const c = heify.client({ apiKey: sb.credentials.heify.apiKey, baseUrl: sb.urls.heify });
    const r = await c.uploadFile(f.path, { configurationId: sb.fixtures.heify.configurationId, evaluatorId: sb.fixtures.heify.evaluatorId, engine });
    expect(r.transcriptionId).toBeTruthy();
    expect(await stored(sb.fixtures.buckets.heify, f.md5)).toBe(true);
  });
});
