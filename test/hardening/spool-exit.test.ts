// Spool folders (a stream of unknown size is copied to uplift-spool-<pid>-*/body) never
// outlive their process or Worker: process.exit() right after the upload starts, a Worker
// terminated mid-spool, and folders of processes that no longer run (swept by the next
// process that spools). Each case runs in a child process with a private TMPDIR.
import { execFile, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { assertBuilt } from '../cli/helpers';
import { startSink, type Sink } from '../support/sink';

const CHILD = path.join(__dirname, 'fixtures', 'spool-child.js');
let tmp: string;
let sink: Sink;

beforeAll(async () => {
  assertBuilt();
  sink = await startSink();
});
afterAll(async () => {
  await sink.close();
});
beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'uplift-spool-exit-test-'));
});
afterEach(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

interface ChildResult { code: number | null; stdout: string; stderr: string }

function runChild(args: string[]): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [CHILD, ...args], { env: { ...process.env, TMPDIR: tmp }, timeout: 30_000 }, (err, stdout, stderr) => {
      if (err && typeof (err as { code?: unknown }).code !== 'number') {
        reject(err);
        return;
      }
      resolve({ code: err ? ((err as { code?: number }).code ?? null) : 0, stdout, stderr });
    });
  });
}

const spools = (): string[] => fs.readdirSync(tmp).filter((n) => n.startsWith('uplift-spool-'));

test('process.exit() right after starting an upload of unknown size leaves no spool folder (10 runs)', async () => {
  for (let i = 0; i < 10; i++) {
    const r = await runChild([i % 2 === 0 ? 'exit-now' : 'exit-later']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(spools()).toEqual([]);
  }
});

test('a Worker terminated mid-spool leaves no spool folder', async () => {
  const r = await runChild(['worker']);
  expect(r.stderr).toBe('');
  const out = JSON.parse(r.stdout.trim()) as { during: string[]; after: string[] };
  expect(out.during).toHaveLength(1); // the Worker was spooling when it was terminated
  expect(out.after).toEqual([]); // gone as soon as terminate() resolved
  expect(spools()).toEqual([]);
});

test('spool folders of processes that no longer run are swept by the next process that spools; live ones are kept', async () => {
  const dead = spawn(process.execPath, ['-e', '0']);
  const deadPid = dead.pid!;
  await new Promise((r) => dead.once('close', r));
  const stale = path.join(tmp, `uplift-spool-${deadPid}-AbC123`);
  fs.mkdirSync(stale);
  fs.writeFileSync(path.join(stale, 'body'), 'audio of a killed process');
  const live = path.join(tmp, `uplift-spool-${process.pid}-LiVe12`);
  fs.mkdirSync(live);
  const r = await runChild(['spool-once', `${sink.url}/sweep`]);
  expect(r.stderr).toBe('');
  const out = JSON.parse(r.stdout.trim()) as { bytes?: number; after: string[] };
  expect(out.bytes).toBe(1000);
  expect(fs.existsSync(stale)).toBe(false);
  expect(fs.existsSync(live)).toBe(true);
  expect(out.after).toEqual([path.basename(live)]);
});
