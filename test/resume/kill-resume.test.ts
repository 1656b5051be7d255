// Kill and resume: a child process uploads 64 MiB to the sandbox's Plaud with a journal and
// is killed with SIGKILL after some parts; a second process resumes from the journal. After
// the kill point each part is sent at most once, parts stored before it never again, and
// the stored object's MD5 matches.
import { spawn, type ChildProcess } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { startSandbox, type Sandbox } from '../../lib/sandbox';

const root = path.resolve(__dirname, '..', '..');
const MiB = 1024 * 1024;
let sb: Sandbox;
let dir: string;

beforeAll(async () => {
  sb = await startSandbox();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'uplift-resume-'));
});
afterAll(async () => {
  await sb.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function child(script: string): { proc: ChildProcess; done: Promise<{ code: number | null; signal: string | null; out: string }> } {
  const proc = spawn(process.execPath, ['-e', script], { cwd: root });
  let out = '';
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (out += d));
  const done = new Promise<{ code: number | null; signal: string | null; out: string }>((resolve) => {
    proc.on('close', (code, signal) => resolve({ code, signal, out }));
  });
  return { proc, done };
}

function uploadScript(file: string, journal: string): string {
  return `
    const { plaud } = require('./dist');
    const c = plaud.client({ token: ${JSON.stringify(sb.credentials.plaud.token)}, baseUrl: ${JSON.stringify(sb.urls.plaud)} });
    c.uploadFile(${JSON.stringify(file)}, { journal: ${JSON.stringify(journal)}, concurrency: 2 })
      .then((r) => console.log('RESULT ' + JSON.stringify({ fileId: r.fileId, md5: r.md5 })))
      .catch((e) => { console.log('ERROR ' + e.code + ' ' + e.message); process.exit(1); });
  `;
}

test('SIGKILL mid-upload, then resume: only missing parts are sent, bytes identical', async () => {
  const file = path.join(dir, 'long-meeting.mp3');
  const data = crypto.randomBytes(64 * MiB);
  fs.writeFileSync(file, data);
  const md5 = crypto.createHash('md5').update(data).digest('hex');
  const journal = path.join(dir, 'upload.journal');

  // Slow each part down so the kill lands mid-upload.
  sb.faults.add({ target: 's3', op: 'UploadPart', times: 1000, action: { stallMs: 250 } });
  const first = child(uploadScript(file, journal));
  const deadline = Date.now() + 30000;
  let storedBeforeKill: Record<string, string> = {};
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    try {
      storedBeforeKill = JSON.parse(fs.readFileSync(journal, 'utf8')).parts;
    } catch {
      continue;
    }
    if (Object.keys(storedBeforeKill).length >= 4) break;
  }
  first.proc.kill('SIGKILL');
  const r1 = await first.done;
  expect(r1.signal).toBe('SIGKILL');
  storedBeforeKill = JSON.parse(fs.readFileSync(journal, 'utf8')).parts;
  const killedAt = Date.now();
  const partsBefore = Object.keys(storedBeforeKill).length;
  expect(partsBefore).toBeGreaterThanOrEqual(4);
  expect(partsBefore).toBeLessThan(13); // 64 MiB / 5 MiB = 13 parts: it was killed mid-way
  sb.faults.clear();

  const second = child(uploadScript(file, journal));
  const r2 = await second.done;
  expect(r2.out).toContain('RESULT ');
  const result = JSON.parse(r2.out.slice(r2.out.indexOf('RESULT ') + 7).split('\n')[0]);
  expect(result.md5).toBe(md5);

  // After the kill: each part at most once, and none of those stored before the kill.
  const after = sb.log.entries({ target: 's3', op: 'UploadPart' }).filter((e) => e.time >= killedAt && e.status === 200);
  const counts = new Map<number, number>();
  for (const e of after) counts.set(e.partNumber!, (counts.get(e.partNumber!) ?? 0) + 1);
  for (const [n, c] of counts) expect([n, c]).toEqual([n, 1]);
  for (const n of Object.keys(storedBeforeKill)) expect(counts.has(Number(n))).toBe(false);
  expect(counts.size).toBe(13 - partsBefore);

  const stored = sb.objects().filter((o) => o.bucket === sb.fixtures.buckets.plaudUs && o.md5 === md5);
  expect(stored).toHaveLength(1);
  expect(stored[0].size).toBe(data.length);
  expect(fs.existsSync(journal)).toBe(false); // deleted after completion
});

test('a journal store object (async get/set/delete) resumes too, and is cleared', async () => {
  const data = crypto.randomBytes(11 * MiB);
  const file = path.join(dir, 'store.mp3');
  fs.writeFileSync(file, data);
  const md5 = crypto.createHash('md5').update(data).digest('hex');
  let value: string | undefined;
  const writes: string[] = [];
  const store = {
    get: async () => value,
    set: async (v: string) => {
      value = v;
      writes.push(v);
    },
    delete: async () => {
      value = undefined;
    },
  };
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const { plaud } = require('../../lib');
  const c = plaud.client({ token: sb.credentials.plaud.token, baseUrl: sb.urls.plaud });
  // First attempt, one part at a time: part 3 fails for good after parts 1 and 2 are stored.
  sb.faults.add({ target: 's3', op: 'UploadPart', partNumber: 3, times: 4, action: { status: 403, code: 'AccessDenied' } });
  await expect(c.uploadFile(file, { journal: store, concurrency: 1, retry: { baseDelayMs: 1 } })).rejects.toMatchObject({ code: 'ERR_UPLIFT_HTTP' });
  const rec = JSON.parse(value!);
  expect(Object.keys(rec.parts).sort()).toEqual(['1', '2']);
  sb.faults.clear();
  const before = sb.log.entries({ target: 's3', op: 'UploadPart' }).length;
  const res = await c.resume(store);
  expect(res.md5).toBe(md5);
  const resent = sb.log.entries({ target: 's3', op: 'UploadPart' }).slice(before).map((e) => e.partNumber);
  expect(resent).toEqual([3]);
  expect(value).toBeUndefined();
  expect(writes.length).toBeGreaterThan(1);
});

test('Kore chunked upload aborted mid-way resumes from its journal with only the missing chunks', async () => {
  const data = crypto.randomBytes(30 * MiB);
  const file = path.join(dir, 'call.wav');
  fs.writeFileSync(file, data);
  const md5 = crypto.createHash('md5').update(data).digest('hex');
  const journal = path.join(dir, 'kore.journal');
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const { kore } = require('../../lib');
  const c = kore.client({ apiKey: sb.credentials.kore.apiKey, baseUrl: sb.urls.kore });
  sb.faults.add({ target: 'kore', op: 'chunk', times: 100, action: { stallMs: 100 } });
  const ac = new AbortController();
  const err = await c.uploadFile(file, {
    fileContext: 'bulkImport', journal, concurrency: 1, signal: ac.signal,
    onProgress: (p: { partsDone: number }) => { if (p.partsDone >= 2) ac.abort(); },
  }).catch((e: unknown) => e);
  expect((err as { code: string }).code).toBe('ERR_UPLIFT_ABORTED');
  sb.faults.clear();
  await new Promise((r) => setTimeout(r, 500)); // the aborted chunk's stalled request ends in the sandbox
  const stored = Object.keys(JSON.parse(fs.readFileSync(journal, 'utf8')).parts);
  expect(stored.length).toBeGreaterThanOrEqual(2);
  expect(stored.length).toBeLessThan(4);
  const before = sb.log.entries({ target: 'kore', op: 'chunk' }).length;
  const res = await c.resume(journal);
  expect(res.md5).toBe(md5);
  expect(res.mode).toBe('chunked');
  expect(sb.log.entries({ target: 'kore', op: 'chunk' }).length - before).toBe(4 - stored.length);
  expect(sb.objects().some((o) => o.bucket === sb.fixtures.buckets.kore && o.md5 === md5 && o.size === data.length)).toBe(true);
  expect(fs.existsSync(journal)).toBe(false);
});
