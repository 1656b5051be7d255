// What an upload job holds in Redis and how a worker runs it. A job is
// `{ vendor, source, options }`: the vendor name, the absolute path of a file every worker
// can read, and the vendor's non-secret call options (e.g. Plaud `fileType`, Kore
// `fileContext`, Eka `txnId`). Credentials never go into a job: the worker holds the clients.
import * as path from 'path';
import { InvalidArgumentError } from '../errors';
import { isSensitiveKey } from '../redact';
import { invalid, isPlainObject, type Progress } from '../validate';
import type { JournalStore } from '../journal';
import type * as ekaNs from '../vendors/eka';
import type * as heifyNs from '../vendors/heify';
import type * as koreNs from '../vendors/kore';
import type * as plaudNs from '../vendors/plaud';
import type * as scripeNs from '../vendors/scripe';

export const QUEUE_VENDORS = ['eka', 'kore', 'plaud', 'scripe', 'heify'] as const;
export type QueueVendor = (typeof QUEUE_VENDORS)[number];

/** The vendor clients a worker holds (credentials stay in this process). */
export interface UploadClients {
  eka?: ekaNs.EkaClient;
  kore?: koreNs.KoreClient;
  plaud?: plaudNs.PlaudClient;
  scripe?: scripeNs.ScripeClient;
  heify?: heifyNs.HeifyClient;
}

/** The data of an upload job, as stored in Redis. */
export interface UploadJobData {
  vendor: QueueVendor;
  /** Absolute path of the file on storage every worker sees. */
  source: string;
  /** The vendor call's options, JSON only (no signal, onProgress, engine, journal or secret). */
  options?: Record<string, unknown>;
}

/** Options a worker sets itself; a job may not carry them. */
const WORKER_OWNED = new Set(['signal', 'onProgress', 'engine', 'journal', 'job']);
/** Options a vendor call requires, by vendor. */
const REQUIRED: Partial<Record<QueueVendor, string>> = { eka: 'txnId', kore: 'fileContext', heify: 'configurationId' };

function checkJson(field: string, v: unknown, depth: number): void {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return;
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw invalid(field, 'a finite number (job options are stored as JSON)', v);
    return;
  }
  if (depth > 8) throw invalid(field, 'JSON nested at most 8 levels deep', v);
  if (Array.isArray(v)) {
    v.forEach((x, i) => checkJson(`${field}[${i}]`, x, depth + 1));
    return;
  }
  if (!isPlainObject(v)) throw invalid(field, 'JSON data (strings, numbers, booleans, arrays, plain objects)', v);
  for (const [k, x] of Object.entries(v)) {
    if (isSensitiveKey(k)) {
      throw new InvalidArgumentError(`${field}.${k} looks like a credential; credentials never go into Redis: give them to the worker's clients instead`, {
        field: `${field}.${k}`, received: 'a secret-named field',
      });
    }
    checkJson(`${field}.${k}`, x, depth + 1);
  }
}

/** Checks and normalises `add()`'s argument (the path is made absolute). */
export function checkJobData(v: unknown): UploadJobData {
  if (!isPlainObject(v)) throw invalid('job', 'an object { vendor, source, options? }', v);
  const vendor = v.vendor;
  if (typeof vendor !== 'string' || !(QUEUE_VENDORS as readonly string[]).includes(vendor)) {
    throw invalid('job.vendor', `one of ${QUEUE_VENDORS.join(', ')}`, vendor);
  }
  let source: string;
  if (typeof v.source === 'string' && v.source.length > 0 && !v.source.includes('\0')) {
    source = path.resolve(v.source);
  } else if (isPlainObject(v.source) && 'url' in v.source) {
    throw new InvalidArgumentError('URL sources are not available in uplift/queue yet; pass the path of a file every worker can read', {
      field: 'job.source', received: 'an object with url',
    });
  } else {
    throw invalid('job.source', 'the path of a file every worker can read (a non-empty string)', v.source);
  }
  const options = v.options === undefined ? {} : v.options;
  if (!isPlainObject(options)) throw invalid('job.options', "a plain object of the vendor call's options", options);
  for (const k of Object.keys(options)) {
    if (WORKER_OWNED.has(k)) {
      throw new InvalidArgumentError(`job.options.${k} is set by the worker, not by a job; leave it out`, { field: `job.options.${k}`, received: k });
    }
  }
  checkJson('job.options', options, 0);
  const need = REQUIRED[vendor as QueueVendor];
  if (need && options[need] === undefined) {
    throw new InvalidArgumentError(`job.options.${need} is required for ${vendor} uploads`, { field: `job.options.${need}`, received: 'undefined' });
  }
  return { vendor: vendor as QueueVendor, source, options };
}

export interface RunContext {
  signal: AbortSignal;
  onProgress: (p: Progress) => void;
  /** Redis-backed resume journal (used by Plaud and by Kore's chunked flow). */
  journal: JournalStore;
}

/** Runs one job's upload with the worker's client; resolves the vendor result (JSON). */
export async function runJob(clients: UploadClients, data: UploadJobData, ctx: RunContext): Promise<unknown> {
  const opts = { ...(data.options ?? {}), signal: ctx.signal, onProgress: ctx.onProgress };
  switch (data.vendor) {
    case 'plaud':
      return clients.plaud!.uploadFile(data.source, { ...opts, journal: ctx.journal } as plaudNs.PlaudUploadFileOptions);
    case 'kore':
      return clients.kore!.uploadFile(data.source, { ...opts, journal: ctx.journal } as unknown as koreNs.KoreUploadFileOptions);
    case 'eka':
      return clients.eka!.uploadFiles(data.source, opts as unknown as ekaNs.EkaUploadFilesOptions);
    case 'scripe':
      return clients.scripe!.uploadFile(data.source, opts as scripeNs.ScripeUploadFileOptions);
    case 'heify':
      return clients.heify!.uploadFile(data.source, opts as unknown as heifyNs.HeifyUploadFileOptions);
    default:
      throw invalid('job.vendor', `one of ${QUEUE_VENDORS.join(', ')}`, (data as { vendor: unknown }).vendor);
  }
}
