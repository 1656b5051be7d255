// Process and environment lifecycle: an idle engine does not keep the process alive, the
// addon works in worker_threads and survives their teardown mid-upload.
import { execFileSync, spawn } from 'child_process';
import * as path from 'path';
import { startSink, type Sink } from '../support/sink';

const root = path.resolve(__dirname, '..', '..');
let sink: Sink;
beforeAll(async () => {
  sink = await startSink();
});
afterAll(async () => {
  await sink.close();
});

// Async on purpose: the sink lives in this process, so its event loop must keep running.
function node(args: string[], timeoutMs = 20000): Promise<{ status: number | null; out: string; ms: number }> {
  const t0 = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: root, timeout: timeoutMs });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('close', (status) => resolve({ status, out, ms: Date.now() - t0 }));
  });
}

test('the compiled package uploads and the process exits by itself when idle (no close())', async () => {
  execFileSync('node', ['scripts/esm-wrapper.js'], { cwd: root });
  const r = await node(['-e', `
    const { putPresigned, Engine } = require('./dist');
    const e = new Engine();
    putPresigned('${sink.url}/idle', Buffer.from('hello'), { engine: e })
      .then((res) => console.log('md5', res.md5));
  `]);
  expect(r.out).toContain('md5 5d41402abc4b2a76b9719d911017c592');
  expect(r.status).toBe(0);
  expect(r.ms).toBeLessThan(10000);
});

test('ESM import works', async () => {
  const r = await node(['--input-type=module', '-e', `
    import { putPresigned, Engine, UpliftError } from 'uplift';
    import def from 'uplift';
    console.log(typeof putPresigned, typeof Engine, typeof UpliftError, typeof def.uploadPresignedParts);
  `]);
  expect(r.out).toContain('function function function function');
});

test('works in a worker thread, and a worker torn down mid-upload does not crash the process', async () => {
  const r = await node(['-e', `
    const { Worker } = require('worker_threads');
    const code = \`
      const { parentPort } = require('worker_threads');
      const { putPresigned, Engine } = require('./dist');
      const e = new Engine();
      putPresigned('${sink.url}/w', Buffer.alloc(1024, 1), { engine: e }).then((r) => {
        parentPort.postMessage(r.md5);
        // a second, slow upload left running when the worker is terminated
        putPresigned('${sink.url}/w2', Buffer.alloc(64 * 1024 * 1024, 2), { engine: e }).catch(() => {});
        parentPort.postMessage('started');
      });
    \`;
    const w = new Worker(code, { eval: true });
    w.on('message', (m) => {
      if (m === 'started') setTimeout(() => w.terminate().then(() => console.log('terminated')), 20);
      else console.log('worker md5', m);
    });
    w.on('error', (e) => { console.log('worker error', e.message); process.exit(2); });
  `]);
  expect(r.out).toContain('worker md5 ');
  expect(r.out).toContain('terminated');
  expect(r.status).toBe(0);
});
