// The Express proxy example in a real browser: headless Chromium (/usr/bin/chromium, driven by
// playwright-core) opens the example page served by examples/express-proxy/server.js (started
// in-process against a sandbox), picks a generated WAV, clicks Upload, waits for "done", and
// the sandbox's S3 holds the same bytes. Without /usr/bin/chromium: fails under CI, skips
// (with a message) elsewhere.
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { startSandbox, writeSampleWav, type Sandbox } from '../../lib/sandbox';

const CHROMIUM = '/usr/bin/chromium';
const present = existsSync(CHROMIUM);
if (!present && !process.env.CI) {
  // eslint-disable-next-line no-console
  console.warn(`browser test skipped: ${CHROMIUM} is missing (apt-get install chromium, or scripts/system-deps.sh test)`);
}
const maybe = present || process.env.CI ? test : test.skip;

interface Proxy { url: string; close(): Promise<void> }
// eslint-disable-next-line @typescript-eslint/no-var-requires
const { startProxy } = require('../../examples/express-proxy/server.js') as { startProxy(o: { port: number; sandbox: Sandbox }): Promise<Proxy> };

let sb: Sandbox | undefined;
let proxy: Proxy | undefined;
let browser: Browser | undefined;
let dir: string | undefined;

afterAll(async () => {
  await browser?.close();
  await proxy?.close();
  await sb?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function fileMd5(path: string): Promise<string> {
  const h = createHash('md5');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}

maybe('the example page uploads a WAV through the proxy: progress to 100, "done", stored MD5 matches', async () => {
  if (!present) throw new Error(`${CHROMIUM} is missing; CI must install the chromium package (scripts/system-deps.sh test)`);
  dir = mkdtempSync(join(tmpdir(), 'uplift-browser-'));
  const wav = join(dir, 'interview.wav');
  const size = await writeSampleWav(wav, { bytes: 7 * 1024 * 1024 + 4000, toneHz: 523 });
  const md5 = await fileMd5(wav);
  sb = await startSandbox();
  proxy = await startProxy({ port: 0, sandbox: sb });
  // Playwright gives every launch a fresh temporary --user-data-dir (removed on close).
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const page = await browser.newPage();
  const posted: string[] = [];
  page.on('request', (r) => {
    if (r.method() === 'POST') posted.push(r.url());
  });
  await page.goto(`${proxy.url}/`);
  await page.setInputFiles('#file', wav);
  await page.click('#upload');
  await page.waitForFunction(() => {
    const s = document.getElementById('status');
    return s?.dataset.state === 'done' || s?.dataset.state === 'error';
  }, undefined, { timeout: 45000 });
  const status = await page.textContent('#status');
  const resultText = (await page.textContent('#result')) ?? '';
  expect(status).toBe('done');
  expect(await page.$eval('#progress', (el) => (el as HTMLProgressElement).value)).toBe(100);
  expect(posted).toEqual([`${proxy.url}/upload`]);
  const body = JSON.parse(resultText) as { files: { field: string; name: string; size: number; result: { fileId: string; fileMd5: string } }[] };
  expect(body.files).toHaveLength(1);
  expect(body.files[0]).toMatchObject({ field: 'file', name: 'interview.wav', size });
  const obj = sb.objects().find((o) => o.key === `partner/${body.files[0].result.fileId}.wav`);
  expect(obj).toMatchObject({ size, md5 });
  await page.close();
});
