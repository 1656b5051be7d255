// `uplift demo`: starts the sandbox, generates sample recordings (real WAV audio), uploads
// them to all five sandbox vendors at once with live progress, then prints a summary table
// and checks every stored object's MD5 against the local file. Exit 0 only if all verified.
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Engine } from '../engine';
import { eka, heify, kore, plaud, scripe } from '../index';
import type { Progress } from '../validate';
import { createProgressView } from './progress';

const MiB = 1024 * 1024;

export interface DemoOptions {
  /** small files (a few MiB) for tests */
  quick: boolean;
  tty: boolean;
  out: NodeJS.WriteStream;
  signal: AbortSignal;
}

interface Row {
  vendor: string;
  files: number;
  bytes: number;
  parts: number;
  secs: number;
  verified: boolean;
  note: string;
}

async function md5File(file: string): Promise<string> {
  const h = crypto.createHash('md5');
  for await (const chunk of fs.createReadStream(file)) h.update(chunk as Buffer);
  return h.digest('hex');
}

export async function runDemo(o: DemoOptions): Promise<number> {
  // The sandbox (and its dependencies) load only here.
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const { startSandbox, writeSampleWav } = require('../sandbox') as typeof import('../sandbox');
  // The engine first: when it cannot start (addon missing) nothing else is left running.
  const engine = new Engine();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'uplift-demo-'));
  const sb = await startSandbox().catch(async (err: unknown) => {
    await engine.close();
    fs.rmSync(dir, { recursive: true, force: true });
    throw err;
  });
  const out = o.out;
  try {
    const size = (quickMiB: number, fullMiB: number): number => (o.quick ? quickMiB : fullMiB) * MiB + 44;
    const make = async (name: string, bytes: number, toneHz: number): Promise<string> => {
      const file = path.join(dir, name);
      await writeSampleWav(file, { bytes, toneHz });
      return file;
    };
    out.write(`uplift demo: sandbox on ${sb.url} (S3 peer ${sb.s3.endpoint}); generating recordings...\n`);
    const files = {
      eka: [await make('consult-part1.wav', size(1, 3), 330), await make('consult-part2.wav', size(1, 5), 349), await make('consult-part3.wav', size(1, 2), 392)],
      kore: await make('call-recording.wav', size(26, 40), 440),
      plaud: await make('meeting.wav', size(11, 192), 494),
      scripe: await make('podcast-episode.wav', size(3, 24), 523),
      heify: await make('sales-call.wav', size(2, 12), 587),
    };
    const view = createProgressView(out, o.tty);
    const sizeOf = (f: string): number => fs.statSync(f).size;
    const common = (label: string, total: number): { onProgress: (p: Progress) => void; signal: AbortSignal; engine: Engine } => ({
      onProgress: view.add(label, total), signal: o.signal, engine,
    });
    const timed = async (vendor: string, fn: () => Promise<Omit<Row, 'vendor' | 'secs' | 'verified'>>): Promise<Row> => {
      const t0 = process.hrtime.bigint();
      try {
        const r = await fn();
        view.done(vendor, true);
        return { vendor, ...r, secs: Number(process.hrtime.bigint() - t0) / 1e9, verified: false };
      } catch (err) {
        view.done(vendor, false);
        const e = err as { code?: string; message?: string };
        return { vendor, files: 0, bytes: 0, parts: 0, secs: Number(process.hrtime.bigint() - t0) / 1e9, verified: false, note: `${e.code ?? 'error'}: ${e.message}` };
      }
    };

    const ekaTotal = files.eka.reduce((n, f) => n + sizeOf(f), 0);
    const rows = await Promise.all([
      timed('eka', async () => {
        const c = eka.client({ token: sb.credentials.eka.token, baseUrl: sb.urls.eka });
        const r = await c.uploadFiles(files.eka, { txnId: `demo_${Date.now()}`, extraData: { mode: 'dictation' }, ...common('eka', ekaTotal) });
        return { files: r.files.length, bytes: ekaTotal, parts: r.files.length, note: r.folderPath };
      }),
      timed('kore', async () => {
        const c = kore.client({ apiKey: sb.credentials.kore.apiKey, baseUrl: sb.urls.kore });
        const total = sizeOf(files.kore);
        const r = await c.uploadFile(files.kore, { fileContext: 'bulkImport', ...common('kore', total) });
        const chunks = Math.ceil(total / (8 * MiB));
        return { files: 1, bytes: total, parts: chunks, note: `fileId ${r.fileId}` };
      }),
      timed('plaud', async () => {
        const c = plaud.client({ token: sb.credentials.plaud.token, baseUrl: sb.urls.plaud });
        const total = sizeOf(files.plaud);
        const r = await c.uploadFile(files.plaud, { fileType: 'wav', ...common('plaud', total) });
        return { files: 1, bytes: total, parts: Math.ceil(total / (5 * MiB)), note: `fileId ${r.fileId}` };
      }),
      timed('scripe', async () => {
        const c = scripe.client({ apiKey: sb.credentials.scripe.apiKey, baseUrl: sb.urls.scripe });
        const total = sizeOf(files.scripe);
        const r = await c.uploadFile(files.scripe, { contentType: 'audio/wav', ...common('scripe', total) });
        return { files: 1, bytes: total, parts: 1, note: `uploadId ${r.uploadId.slice(0, 24)}…` };
      }),
      timed('heify', async () => {
        const c = heify.client({ apiKey: sb.credentials.heify.apiKey, baseUrl: sb.urls.heify });
        const total = sizeOf(files.heify);
        const r = await c.uploadFile(files.heify, { configurationId: sb.fixtures.heify.configurationId, name: 'sales-call.wav', ...common('heify', total) });
        return { files: 1, bytes: total, parts: 1, note: `transcriptionId ${r.transcriptionId}` };
      }),
    ]);
    view.stop();

    // Verify: every local file's bytes are stored, by MD5 and size, in that vendor's bucket.
    const stored = sb.objects();
    const buckets: Record<string, string[]> = {
      eka: [sb.fixtures.buckets.eka], kore: [sb.fixtures.buckets.kore], plaud: [sb.fixtures.buckets.plaudUs],
      scripe: [sb.fixtures.buckets.scripe], heify: [sb.fixtures.buckets.heify],
    };
    for (const row of rows) {
      if (row.files === 0) continue;
      const local = ([] as string[]).concat(files[row.vendor as keyof typeof files]);
      const checks = await Promise.all(local.map(async (f) => {
        const md5 = await md5File(f);
        const size = sizeOf(f);
        return stored.some((s) => buckets[row.vendor].includes(s.bucket) && s.md5 === md5 && s.size === size);
      }));
      row.verified = checks.every(Boolean);
    }

    out.write('\n| vendor | files | MiB | parts/chunks | MiB/s | stored MD5 matches | details |\n|---|---|---|---|---|---|---|\n');
    for (const r of rows) {
      out.write(`| ${r.vendor} | ${r.files} | ${(r.bytes / MiB).toFixed(1)} | ${r.parts} | ${(r.bytes / MiB / r.secs).toFixed(0)} | ${r.verified ? 'yes' : 'NO'} | ${r.note} |\n`);
    }
    const ok = rows.every((r) => r.verified);
    out.write(ok ? '\nall uploads verified: the sandbox stored exactly the bytes that were sent\n' : '\nsome uploads did not verify\n');
    return ok ? 0 : 1;
  } finally {
    await engine.close();
    await sb.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
