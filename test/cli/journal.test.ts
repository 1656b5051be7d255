// `uplift upload --journal`: Ctrl-C mid-upload leaves the journal; the same command again
// sends only the missing parts and removes it. Wrong uses are usage errors.
import { spawn } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { startSandbox, type Sandbox } from '../../lib/sandbox';

const root = path.resolve(__dirname, '..', '..');
let sb: Sandbox;
let dir: string;
beforeAll(async () => {
  sb = await startSandbox();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'uplift-cli-journal-'));
});
afterAll(async () => {
  await sb.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Runs the command; `poll` is called every 50 ms with a function that sends SIGINT. */
function run(args: string[], poll?: (interrupt: () => void) => void): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(root, 'bin', 'uplift.js'), ...args], { cwd: root, env: { ...process.env, CI: '1' } });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const timer = poll ? setInterval(() => poll(() => child.kill('SIGINT')), 50) : undefined;
    child.on('close', (code) => {
      if (timer) clearInterval(timer);
      resolve({ code, out, err });
    });
  });
}

test('Ctrl-C keeps the journal; running again resumes and removes it', async () => {
  const data = crypto.randomBytes(31 * 1024 * 1024);
  const file = path.join(dir, 'meeting.mp3');
  fs.writeFileSync(file, data);
  const journal = path.join(dir, 'meeting.journal');
  const args = ['upload', file, '--vendor', 'plaud', '--base-url', sb.urls.plaud, '--token', sb.credentials.plaud.token, '--journal', journal, '--concurrency', '1', '--json'];
  sb.faults.add({ target: 's3', op: 'UploadPart', times: 1000, action: { stallMs: 150 } });
  let killed = false;
  const first = await run(args, (interrupt) => {
    if (killed || !fs.existsSync(journal)) return;
    try {
      if (Object.keys(JSON.parse(fs.readFileSync(journal, 'utf8')).parts).length >= 2) {
        killed = true;
        interrupt();
      }
    } catch {
      /* being renamed into place */
    }
  });
  expect(first.code).toBe(130);
  sb.faults.clear();
  const stored = Object.keys(JSON.parse(fs.readFileSync(journal, 'utf8')).parts).length;
  expect(stored).toBeGreaterThanOrEqual(1);
  const before = sb.log.entries({ target: 's3', op: 'UploadPart' }).length;
  const second = await run(args);
  expect(second.code).toBe(0);
  const result = JSON.parse(second.out);
  expect(result.results[0].md5).toBe(crypto.createHash('md5').update(data).digest('hex'));
  const sent = sb.log.entries({ target: 's3', op: 'UploadPart' }).length - before;
  expect(sent).toBeLessThanOrEqual(7 - stored + 1); // 7 parts; at most the one in flight at the kill again
  expect(fs.existsSync(journal)).toBe(false);
});

test('--journal with another vendor or with two files is a usage error', async () => {
  const f = path.join(dir, 'a.mp3');
  fs.writeFileSync(f, 'abc');
  const a = await run(['upload', f, '--vendor', 'scripe', '--api-key', 'k', '--journal', path.join(dir, 'j')]);
  expect(a.code).toBe(2);
  expect(a.err).toMatch(/--journal resumes plaud and kore uploads only/);
  const b = await run(['upload', f, f, '--vendor', 'plaud', '--token', 't', '--journal', path.join(dir, 'j')]);
  expect(b.code).toBe(2);
  expect(b.err).toMatch(/exactly one file/);
});
