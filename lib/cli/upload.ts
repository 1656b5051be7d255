// `uplift upload <files...> --vendor <name>`: uploads files to a real vendor (or any
// emulator given by --base-url). Credentials come from flags or UPLIFT_* environment
// variables; --json prints one JSON document; Ctrl-C aborts cleanly.
import * as fs from 'fs';
import * as path from 'path';
import { Engine } from '../engine';
import { eka, heify, kore, plaud, scripe } from '../index';
import { redact } from '../redact';
import { urlFileName } from '../source';
import type { Source } from '../primitives';
import { UsageError } from './errors';
import { createProgressView } from './progress';

export const VENDORS = ['eka', 'kore', 'plaud', 'scripe', 'heify'] as const;
export type CliVendor = (typeof VENDORS)[number];

/** Environment variables per vendor (documented in the README). */
export const ENV = {
  eka: { url: 'UPLIFT_EKA_URL', secret: 'UPLIFT_EKA_TOKEN' },
  kore: { url: 'UPLIFT_KORE_URL', secret: 'UPLIFT_KORE_API_KEY' },
  plaud: { url: 'UPLIFT_PLAUD_URL', secret: 'UPLIFT_PLAUD_TOKEN' },
  scripe: { url: 'UPLIFT_SCRIPE_URL', secret: 'UPLIFT_SCRIPE_API_KEY' },
  heify: { url: 'UPLIFT_HEIFY_URL', secret: 'UPLIFT_HEIFY_API_KEY' },
} as const;

/** The per-vendor flags of a file's upload, shared by `uplift upload` and `uplift enqueue`. */
export interface VendorFileFlags {
  vendor?: string;
  region?: string;
  'file-type'?: string;
  'content-type'?: string;
  'txn-id'?: string;
  'file-context'?: string;
  'configuration-id'?: string;
  'evaluator-id'?: string;
  'participant-id'?: string;
  name?: string;
  json?: boolean;
}

export interface UploadFlags extends VendorFileFlags {
  'base-url'?: string;
  token?: string;
  'api-key'?: string;
  'api-version'?: string;
  concurrency?: string;
  'ca-file'?: string;
  journal?: string;
  json?: boolean;
  /** URL sources (--url, repeatable). */
  url?: string[];
}

export interface UploadRun {
  files: string[];
  flags: UploadFlags;
  env: NodeJS.ProcessEnv;
  tty: boolean;
  signal: AbortSignal;
}

function need(value: string | undefined, what: string): string {
  if (!value) throw new UsageError(what);
  return value;
}

export async function runUpload(r: UploadRun): Promise<number> {
  const f = r.flags;
  if (!f.vendor) throw new UsageError(`--vendor is required (one of ${VENDORS.join(', ')})`);
  if (!(VENDORS as readonly string[]).includes(f.vendor)) throw new UsageError(`unknown vendor '${f.vendor}': use one of ${VENDORS.join(', ')}`);
  const vendor = f.vendor as CliVendor;
  const urls = f.url ?? [];
  for (const u of urls) {
    if (!/^https?:\/\/[^\s]+$/.test(u)) throw new UsageError(`--url must be an http:// or https:// URL, got '${redact(u)}'`);
  }
  if (r.files.length === 0 && urls.length === 0) throw new UsageError('name at least one file (or --url) to upload');
  for (const file of r.files) {
    let st: fs.Stats;
    try {
      st = fs.statSync(file);
    } catch {
      throw new UsageError(`no file at ${file}`);
    }
    if (!st.isFile()) throw new UsageError(`${file} is not a regular file`);
  }
  if (vendor !== 'eka' && r.files.length > 1) {
    // One upload per file for vendors whose flow takes one file.
  }
  let concurrency: number | undefined;
  if (f.concurrency !== undefined) {
    concurrency = Number(f.concurrency);
    if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64) throw new UsageError(`--concurrency must be an integer from 1 to 64, got '${f.concurrency}'`);
  }
  const env = ENV[vendor];
  const baseUrl = f['base-url'] ?? r.env[env.url];
  const secret = f.token ?? f['api-key'] ?? r.env[env.secret];
  const secretFlag = vendor === 'eka' || vendor === 'plaud' ? '--token' : '--api-key';
  need(secret, `missing credential for ${vendor}: pass ${secretFlag} or set ${env.secret}`);
  // Every vendor-specific requirement is checked here, before any progress line or engine.
  const txnId = vendor === 'eka' ? need(f['txn-id'], 'eka needs --txn-id (the transaction id)') : '';
  const koreUrl = vendor === 'kore' ? need(baseUrl, `kore needs --base-url or ${env.url} (the environment URL)`) : '';
  const configurationId = vendor === 'heify'
    ? need(f['configuration-id'] ?? r.env.UPLIFT_HEIFY_CONFIGURATION_ID, 'heify needs --configuration-id or UPLIFT_HEIFY_CONFIGURATION_ID')
    : '';
  // Plaud's announced regions (eu, sg) reach the client, which says they are not live yet.
  const regions = ['us', 'jp', ...plaud.PLAUD_UPCOMING_REGIONS];
  if (f.region !== undefined && (vendor !== 'plaud' || !regions.includes(f.region))) {
    throw new UsageError(vendor === 'plaud' ? `--region must be us or jp, got '${f.region}'` : `--region is for plaud only (vendor is ${vendor})`);
  }
  if (f.journal !== undefined) {
    if (vendor !== 'plaud' && vendor !== 'kore') throw new UsageError(`--journal resumes plaud and kore uploads only (vendor is ${vendor}; its uploads restart)`);
    if (r.files.length + urls.length !== 1) throw new UsageError('--journal takes exactly one file (one journal per upload)');
  }
  const journal = f.journal !== undefined ? { journal: f.journal } : {};
  const engine = new Engine(f['ca-file'] ? { caFile: f['ca-file'] } : {});
  const view = r.tty && !f.json ? createProgressView(process.stderr, true) : createProgressView(process.stderr, false);
  const quiet = !!f.json;
  // a URL source's size is known once its upload starts (the progress reports carry it)
  const items = [
    ...r.files.map((file) => ({ label: path.basename(file), source: file as Source, size: fs.statSync(file).size })),
    ...urls.map((url) => ({ label: urlFileName(url) ?? 'url', source: { url } as Source, size: 0 })),
  ];
  const progress = (label: string, size: number) => (quiet ? undefined : view.add(label, size));
  const common = { signal: r.signal, engine, ...(concurrency ? { concurrency } : {}) };
  const results: unknown[] = [];
  try {
    if (vendor === 'eka') {
      const c = eka.client({ token: secret!, ...(baseUrl ? { baseUrl } : {}) });
      const total = items.reduce((n, it) => n + it.size, 0);
      const onProgress = quiet ? undefined : view.add('eka', total);
      results.push(await c.uploadFiles(items.map((it) => it.source), { txnId, ...common, ...(onProgress ? { onProgress } : {}) }));
    } else {
      for (const { label, source: file, size } of items) {
        const onProgress = progress(label, size);
        const withProgress = { ...common, ...(onProgress ? { onProgress } : {}) };
        if (vendor === 'kore') {
          const c = kore.client({ apiKey: secret!, baseUrl: koreUrl });
          results.push(await c.uploadFile(file, { fileContext: f['file-context'] ?? 'bulkImport', ...journal, ...withProgress }));
        } else if (vendor === 'plaud') {
          const c = plaud.client({ token: secret!, ...(f.region ? { region: f.region as plaud.PlaudRegion } : {}), ...(baseUrl ? { baseUrl } : {}) });
          results.push(await c.uploadFile(file, { ...(f['file-type'] ? { fileType: f['file-type'] } : {}), ...journal, ...withProgress }));
        } else if (vendor === 'scripe') {
          const c = scripe.client({ apiKey: secret!, ...(f['api-version'] ? { apiVersion: f['api-version'] } : {}), ...(baseUrl ? { baseUrl } : {}) });
          results.push(await c.uploadFile(file, { ...(f['content-type'] ? { contentType: f['content-type'] } : {}), ...withProgress }));
        } else {
          const c = heify.client({ apiKey: secret!, ...(baseUrl ? { baseUrl } : {}) });
          results.push(await c.uploadFile(file, {
            configurationId,
            ...(f['evaluator-id'] ? { evaluatorId: f['evaluator-id'] } : {}),
            ...(f['participant-id'] ? { participantId: f['participant-id'] } : {}),
            name: f.name ?? label,
            ...(f['content-type'] ? { contentType: f['content-type'] } : {}),
            ...withProgress,
          }));
        }
        if (!quiet) view.done(label, true);
      }
    }
  } finally {
    view.stop();
    await engine.close();
  }
  // Results hold presigned URLs: their signatures and credentials are redacted like any log line.
  if (f.json) {
    process.stdout.write(`${redact(JSON.stringify({ vendor, results }, null, 2))}\n`);
  } else {
    for (const res of results) process.stdout.write(`${vendor}: ${redact(JSON.stringify(res))}\n`);
  }
  return 0;
}
