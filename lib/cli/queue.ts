// `uplift worker` and `uplift enqueue`: the command-line face of uplift/queue.
// worker: serves every vendor whose credential is set (UPLIFT_<VENDOR>_TOKEN / _API_KEY,
// base URLs from UPLIFT_<VENDOR>_URL), or those named by --vendor; stops on SIGTERM/SIGINT
// letting running uploads finish for --shutdown-deadline ms. enqueue: adds one job per file
// and prints the job ids. Redis from --redis or UPLIFT_REDIS_URL (default redis://127.0.0.1:6379).
import * as fs from 'fs';
import * as path from 'path';
// @ts-ignore -- optional peer dependency (the package builds without it)
import type { Redis } from 'ioredis';
import { eka, heify, kore, plaud, scripe } from '../index';
import type { UploadClients, UploadJobData, QueueVendor } from '../queue/jobs';
import { redact } from '../redact';
import { urlFileName } from '../source';
import { UsageError } from './errors';
import { ENV, VENDORS, type VendorFileFlags } from './upload';

/** What the worker's event lines read from a job. */
interface FinishedJob { id?: string; data: UploadJobData }

export interface QueueFlags extends VendorFileFlags {
  redis?: string;
  queue?: string;
  concurrency?: string;
  'shutdown-deadline'?: string;
  attempts?: string;
  /** URL sources (--url, repeatable). */
  url?: string[];
}

export interface QueueRun {
  args: string[];
  flags: QueueFlags;
  env: NodeJS.ProcessEnv;
  signal: AbortSignal;
}

function redisUrl(r: QueueRun): string {
  const url = r.flags.redis ?? r.env.UPLIFT_REDIS_URL ?? 'redis://127.0.0.1:6379';
  if (!/^rediss?:\/\//.test(url)) throw new UsageError(`--redis must be a redis:// or rediss:// URL, got '${redact(url)}'`);
  return url;
}

function connect(url: string): Redis {
  let IORedis: new (url: string, opts: object) => Redis;
  try {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    IORedis = (require('ioredis') as { Redis: new (url: string, opts: object) => Redis }).Redis;
    require.resolve('bullmq');
  } catch {
    throw new UsageError('the queue commands need bullmq and ioredis: run `npm install bullmq ioredis`');
  }
  return new IORedis(url, { maxRetriesPerRequest: null });
}

function queueName(r: QueueRun): string {
  return r.flags.queue ?? r.env.UPLIFT_QUEUE ?? 'uplift';
}

function positiveInt(flag: string, v: string | undefined, max: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > max) throw new UsageError(`--${flag} must be an integer from 0 to ${max}, got '${v}'`);
  return n;
}

/** The clients of the vendors whose credentials are in the environment. */
function clientsFromEnv(r: QueueRun): UploadClients {
  const only = r.flags.vendor?.split(',').map((s) => s.trim()).filter(Boolean);
  for (const v of only ?? []) {
    if (!(VENDORS as readonly string[]).includes(v)) throw new UsageError(`unknown vendor '${v}': use one of ${VENDORS.join(', ')}`);
  }
  const out: UploadClients = {};
  for (const v of VENDORS) {
    if (only && !only.includes(v)) continue;
    const secret = r.env[ENV[v].secret];
    const baseUrl = r.env[ENV[v].url];
    if (!secret) {
      if (only) throw new UsageError(`missing credential for ${v}: set ${ENV[v].secret}`);
      continue;
    }
    const b = baseUrl ? { baseUrl } : {};
    if (v === 'eka') out.eka = eka.client({ token: secret, ...b });
    else if (v === 'plaud') out.plaud = plaud.client({ token: secret, ...b });
    else if (v === 'scripe') out.scripe = scripe.client({ apiKey: secret, ...b });
    else if (v === 'heify') out.heify = heify.client({ apiKey: secret, ...b });
    else {
      if (!baseUrl) throw new UsageError(`kore needs ${ENV.kore.url} (the environment URL)`);
      out.kore = kore.client({ apiKey: secret, baseUrl });
    }
  }
  if (Object.keys(out).length === 0) {
    throw new UsageError(`no vendor credential set: set at least one of ${VENDORS.map((v) => ENV[v].secret).join(', ')}`);
  }
  return out;
}

export async function runWorker(r: QueueRun): Promise<number> {
  if (r.args.length) throw new UsageError(`worker takes no arguments (got '${r.args[0]}')`);
  const clients = clientsFromEnv(r);
  const concurrency = positiveInt('concurrency', r.flags.concurrency, 1000);
  const deadline = positiveInt('shutdown-deadline', r.flags['shutdown-deadline'], 24 * 3600 * 1000);
  const connection = connect(redisUrl(r));
  connection.on('error', () => {});
  const { createUploadWorker, endConnection } = await import('../queue');
  const name = queueName(r);
  const journalKey = r.env.UPLIFT_JOURNAL_KEY;
  const w = createUploadWorker({
    connection, name, clients,
    ...(concurrency ? { concurrency } : {}),
    ...(deadline !== undefined ? { shutdownDeadlineMs: deadline } : {}),
    ...(journalKey ? { journalKey } : {}),
    onError: (e) => process.stderr.write(`uplift worker: ${redact(e.message)}\n`),
  });
  for (const bw of w.workers) {
    bw.on('completed', (job: FinishedJob) => process.stdout.write(`completed ${job.id} ${job.data.vendor} ${typeof job.data.source === 'string' ? path.basename(job.data.source) : (job.data.source.name ?? 'url source')}\n`));
    bw.on('failed', (job: FinishedJob | undefined, err: Error) => process.stdout.write(`failed ${job?.id ?? '?'} ${job?.data.vendor ?? ''}: ${redact(err.message)}\n`));
  }
  const stopped = new Promise<void>((resolve) => {
    if (r.signal.aborted) resolve();
    r.signal.addEventListener('abort', () => resolve(), { once: true });
  });
  try {
    // a signal while Redis is still being reached stops at once
    let ready = false;
    await Promise.race([w.ready().then(() => { ready = true; }), stopped]);
    if (ready) {
      process.stdout.write(`uplift worker: serving ${Object.keys(clients).join(', ')} on queue '${name}' (pid ${process.pid})\n`);
      await stopped;
    }
    process.stderr.write('uplift worker: stopping (running uploads finish or go back to the queue)\n');
  } finally {
    await w.close();
    await endConnection(connection);
  }
  return 0;
}

export async function runEnqueue(r: QueueRun): Promise<number> {
  const f = r.flags;
  if (!f.vendor) throw new UsageError(`--vendor is required (one of ${VENDORS.join(', ')})`);
  if (!(VENDORS as readonly string[]).includes(f.vendor)) throw new UsageError(`unknown vendor '${f.vendor}': use one of ${VENDORS.join(', ')}`);
  const vendor = f.vendor as QueueVendor;
  const urls = f.url ?? [];
  for (const u of urls) {
    if (!/^https?:\/\/[^\s]+$/.test(u)) throw new UsageError(`--url must be an http:// or https:// URL, got '${redact(u)}'`);
  }
  if (r.args.length === 0 && urls.length === 0) throw new UsageError('name at least one file (or --url) to enqueue');
  for (const file of r.args) {
    if (!fs.existsSync(file) || !fs.statSync(file).isFile()) throw new UsageError(`no file at ${file}`);
  }
  const attempts = positiveInt('attempts', f.attempts, 100);
  const options: Record<string, unknown> = {};
  if (vendor === 'plaud' && f['file-type']) options.fileType = f['file-type'];
  if ((vendor === 'scripe' || vendor === 'heify') && f['content-type']) options.contentType = f['content-type'];
  if (vendor === 'eka') {
    if (!f['txn-id']) throw new UsageError('eka needs --txn-id (the transaction id)');
    options.txnId = f['txn-id'];
  }
  if (vendor === 'kore') options.fileContext = f['file-context'] ?? 'bulkImport';
  if (vendor === 'heify') {
    const c = f['configuration-id'] ?? r.env.UPLIFT_HEIFY_CONFIGURATION_ID;
    if (!c) throw new UsageError('heify needs --configuration-id or UPLIFT_HEIFY_CONFIGURATION_ID');
    options.configurationId = c;
    if (f['evaluator-id']) options.evaluatorId = f['evaluator-id'];
    if (f['participant-id']) options.participantId = f['participant-id'];
  }
  const connection = connect(redisUrl(r));
  connection.on('error', () => {});
  const { createUploadQueue, endConnection } = await import('../queue');
  const journalKey = r.env.UPLIFT_JOURNAL_KEY;
  const q = createUploadQueue({ connection, name: queueName(r), ...(journalKey ? { journalKey } : {}) });
  const ids: { id: string; file: string }[] = [];
  const items = [
    ...r.args.map((file) => ({ file, name: path.basename(file), source: path.resolve(file) as UploadJobData['source'] })),
    ...urls.map((url) => ({ file: redact(url), name: urlFileName(url) ?? 'recording', source: { url } as UploadJobData['source'] })),
  ];
  try {
    for (const it of items) {
      const opts = vendor === 'heify' && !options.name ? { ...options, name: f.name ?? it.name } : options;
      const job = await q.add({ vendor, source: it.source, options: opts }, attempts ? { attempts } : undefined);
      ids.push({ id: job.id!, file: it.file });
    }
  } finally {
    await q.close();
    await endConnection(connection);
  }
  if (f.json) process.stdout.write(`${JSON.stringify({ vendor, queue: queueName(r), jobs: ids }, null, 2)}\n`);
  else for (const j of ids) process.stdout.write(`${j.id} ${j.file}\n`);
  return 0;
}
