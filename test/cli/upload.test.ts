/**
 * `uplift upload` against a sandbox started in this test process: flags (--base-url,
 * --token/--api-key) and UPLIFT_* environment variables, --json results, and the bytes the
 * sandbox's S3 stored (MD5 and size) for Eka, Kore, Plaud, Scripe and Heify.
 */
import { startSandbox, type Sandbox } from '../../lib/sandbox';
import { ENV } from '../../lib/cli/upload';
import { ANSI, assertBuilt, cliEnv, killLiveChildren, makeTempDir, MiB, removeDir, runCli, writeRandomFile } from './helpers';

type Vendor = 'eka' | 'kore' | 'plaud' | 'scripe' | 'heify';

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
  removeDir(tmp);
});

function secretOf(v: Vendor): string {
  const c = sb.credentials;
  return { eka: c.eka.token, kore: c.kore.apiKey, plaud: c.plaud.token, scripe: c.scripe.apiKey, heify: c.heify.apiKey }[v];
}

function bucketOf(v: Vendor): string {
  const b = sb.fixtures.buckets;
  return { eka: b.eka, kore: b.kore, plaud: b.plaudUs, scripe: b.scripe, heify: b.heify }[v];
}

/** How the test passes the vendor's URL and credential. */
function credentialArgs(v: Vendor): string[] {
  const flag = v === 'eka' || v === 'plaud' ? '--token' : '--api-key';
  const extra = v === 'heify' ? ['--configuration-id', sb.fixtures.heify.configurationId] : v === 'eka' ? ['--txn-id', `cli_${Date.now()}`] : [];
  return ['--base-url', sb.urls[v], flag, secretOf(v), ...extra];
}

function credentialEnv(v: Vendor): Record<string, string> {
  const env: Record<string, string> = { [ENV[v].url]: sb.urls[v], [ENV[v].secret]: secretOf(v) };
  if (v === 'heify') env.UPLIFT_HEIFY_CONFIGURATION_ID = sb.fixtures.heify.configurationId;
  return env;
}

/** Every stored object of that vendor's bucket whose bytes match. */
function stored(v: Vendor, md5: string, size: number): { key: string }[] {
  return sb.objects().filter((o) => o.bucket === bucketOf(v) && o.md5 === md5 && o.size === size);
}

interface JsonOut { vendor: string; results: Record<string, unknown>[] }

function parseJson(stdout: string): JsonOut {
  expect(stdout).not.toMatch(ANSI);
  return JSON.parse(stdout) as JsonOut;
}

const cases: { vendor: Vendor; via: 'flags' | 'env'; bytes: number }[] = [
  { vendor: 'plaud', via: 'flags', bytes: 7 * MiB + 123 },
  { vendor: 'plaud', via: 'env', bytes: 3 * MiB + 5 },
  { vendor: 'scripe', via: 'flags', bytes: 2 * MiB + 7 },
  { vendor: 'scripe', via: 'env', bytes: MiB + 1 },
  { vendor: 'heify', via: 'flags', bytes: MiB + 11 },
  { vendor: 'heify', via: 'env', bytes: 2 * MiB + 3 },
  { vendor: 'kore', via: 'flags', bytes: 2 * MiB + 9 },
  { vendor: 'kore', via: 'env', bytes: 26 * MiB + 17 },
];

test.each(cases)('upload --json to $vendor via $via', async ({ vendor, via, bytes }) => {
  const f = writeRandomFile(files, `${vendor}-${via}.wav`, bytes);
  const args = ['upload', f.file, '--vendor', vendor, '--json'];
  const env = via === 'flags' ? cliEnv(tmp) : cliEnv(tmp, credentialEnv(vendor));
  if (via === 'flags') args.push(...credentialArgs(vendor));
  if (vendor === 'plaud' && via === 'flags') args.push('--concurrency', '2');
  const r = await runCli(args, env);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  const out = parseJson(r.stdout);
  expect(out.vendor).toBe(vendor);
  expect(out.results).toHaveLength(1);
  const res = out.results[0];
  expect(res.md5).toBe(f.md5);
  expect(res.bytes).toBe(f.size);
  if (vendor === 'plaud') {
    expect(res.fileId).toEqual(expect.any(String));
    expect(res.fileType).toBe('wav');
    expect(res.parts).toHaveLength(Math.ceil(f.size / (5 * MiB)));
  } else if (vendor === 'scripe') {
    expect(res.uploadId).toEqual(expect.any(String));
    expect(res.contentType).toBe('audio/wav');
  } else if (vendor === 'heify') {
    expect(res.transcriptionId).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.configurationId).toBe(sb.fixtures.heify.configurationId);
    expect(res.name).toBe(`${vendor}-${via}.wav`);
  } else if (vendor === 'kore') {
    expect(res.fileId).toEqual(expect.any(String));
    expect(res.mode).toBe(f.size < 25 * MiB ? 'single' : 'chunked');
    expect(res.chunks).toBe(f.size < 25 * MiB ? 1 : Math.ceil(f.size / (8 * MiB)));
  }
  expect(stored(vendor, f.md5, f.size)).toHaveLength(1);
  // neither the credential nor a presigned URL's signature shows in what the command prints
  expect(r.stdout).not.toContain(secretOf(vendor));
  expect(r.stdout).not.toMatch(/X-Amz-(Signature|Credential)=(?!\[REDACTED\])/i);
  if (vendor === 'scripe' || vendor === 'heify') expect(res.uploadUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\//);
  if (vendor === 'scripe') expect(res.uploadUrl).toMatch(/X-Amz-Signature=\[REDACTED\]/);
});

test('upload --json to eka: several files in one transaction, via flags then via env', async () => {
  const a = writeRandomFile(files, 'eka-a.wav', MiB + 1);
  const b = writeRandomFile(files, 'eka-b.mp3', 2 * MiB + 2);
  for (const via of ['flags', 'env'] as const) {
    const txn = `cli_${via}_${Date.now()}`;
    const args = ['upload', a.file, b.file, '--vendor', 'eka', '--json'];
    if (via === 'flags') args.push('--base-url', sb.urls.eka, '--token', secretOf('eka'), '--txn-id', txn);
    else args.push('--txn-id', txn);
    const r = await runCli(args, via === 'flags' ? cliEnv(tmp) : cliEnv(tmp, credentialEnv('eka')));
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = parseJson(r.stdout);
    expect(out.results).toHaveLength(1);
    const res = out.results[0] as { txnId: string; folderPath: string; files: { key: string; size: number; md5: string }[] };
    expect(res.txnId).toBe(txn);
    expect(res.folderPath.startsWith(`${sb.fixtures.eka.workspaceId}/${txn}/`)).toBe(true);
    expect(res.files.map((x) => [x.md5, x.size]).sort()).toEqual([[a.md5, a.size], [b.md5, b.size]].sort());
    for (const x of res.files) expect(x.key.startsWith(res.folderPath)).toBe(true);
    for (const x of [a, b]) {
      const keys = stored('eka', x.md5, x.size).map((o) => o.key);
      expect(keys.filter((k) => k.startsWith(res.folderPath))).toHaveLength(1);
    }
  }
});

test('flags win over the environment, and without --json progress goes to stderr, results to stdout', async () => {
  const f = writeRandomFile(files, 'plain.wav', 6 * MiB);
  // a wrong token in the environment, the right one on the command line
  const env = cliEnv(tmp, { ...credentialEnv('plaud'), UPLIFT_PLAUD_TOKEN: 'plaud_wrong' });
  const r = await runCli(['upload', f.file, '--vendor', 'plaud', '--token', secretOf('plaud')], env);
  expect(r.code).toBe(0);
  expect(r.stderr).toMatch(/^plain\.wav: started, 6\.0 MiB$/m);
  expect(r.stderr).toMatch(/^plain\.wav: 100% \(6\.0 MiB, parts 2\/2\)$/m);
  expect(r.stderr).toMatch(/^plain\.wav: done$/m);
  expect(r.stderr).not.toMatch(ANSI);
  const lines = r.stdout.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0].startsWith('plaud: {')).toBe(true);
  const res = JSON.parse(lines[0].slice('plaud: '.length)) as { md5: string; bytes: number };
  expect(res).toMatchObject({ md5: f.md5, bytes: f.size });
  expect(stored('plaud', f.md5, f.size)).toHaveLength(1);
});
