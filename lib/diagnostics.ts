// Instrumentation on node:diagnostics_channel, so that OpenTelemetry or any APM can trace
// uploads without uplift depending on it. Every payload is redacted (no token, API key,
// proxy password or URL signature), and nothing is built unless a channel has subscribers.
//
//   uplift:upload:start  { id, operation, vendor?, url? }
//   uplift:part:done     { id, operation, vendor?, partNumber, etag }
//   uplift:retry         { id, operation, vendor?, partNumber, attempt, delayMs, error: { code, message, status?, retryable } }
//   uplift:upload:end    { id, operation, vendor?, url?, durationMs }
//   uplift:upload:error  { id, operation, vendor?, url?, durationMs, error }   (error: the UpliftError)
import * as dc from 'node:diagnostics_channel';
import type { NativeError, NativeHandle } from './native';
import { redact, redactUrl } from './redact';

export const CHANNELS = {
  uploadStart: 'uplift:upload:start',
  partDone: 'uplift:part:done',
  retry: 'uplift:retry',
  uploadEnd: 'uplift:upload:end',
  uploadError: 'uplift:upload:error',
} as const;

const start = dc.channel(CHANNELS.uploadStart);
const partDone = dc.channel(CHANNELS.partDone);
const retry = dc.channel(CHANNELS.retry);
const end = dc.channel(CHANNELS.uploadEnd);
const error = dc.channel(CHANNELS.uploadError);

export interface UploadTraceBase {
  /** Unique per operation within the process; links start, parts, retries and the end. */
  id: number;
  /** e.g. 'putPresigned', 'plaud.uploadFile', 'kore.upload'. */
  operation: string;
  vendor?: string;
  /** The target URL with signatures redacted (generic primitives only). */
  url?: string;
}
export type UploadStartMessage = UploadTraceBase;
export interface PartDoneMessage extends UploadTraceBase { partNumber: number; etag: string }
export interface RetryMessage extends UploadTraceBase {
  partNumber: number;
  /** The attempt that failed (1 = the first). */
  attempt: number;
  delayMs: number;
  error: { code: string; message: string; status?: number; retryable: boolean };
}
export interface UploadEndMessage extends UploadTraceBase { durationMs: number }
export interface UploadErrorMessage extends UploadTraceBase { durationMs: number; error: unknown }

let nextId = 1;

/** Operations that send no file (presign, complete, a URL source's size probe) publish nothing. */
function isUpload(operation: string): boolean {
  return !/\.(presign|complete)$/.test(operation) && operation !== 'probeUrl';
}

export interface Trace {
  attach(handle: NativeHandle<unknown>): void;
  end(): void;
  error(err: unknown): void;
}

const NOOP: Trace = { attach() {}, end() {}, error() {} };

/** Starts the trace of one native operation; a no-op for presign / complete calls. */
export function startTrace(operation: string | undefined, vendor: string | undefined, url: string | undefined): Trace {
  const op = operation ?? (vendor ? `${vendor}.upload` : 'upload');
  if (!isUpload(op)) return NOOP;
  const id = nextId++;
  let shownUrl: string | undefined;
  // Built only when a channel has subscribers: redacting the URL costs a parse per upload.
  const base = (): UploadTraceBase => {
    const b: UploadTraceBase = { id, operation: op };
    if (vendor !== undefined) b.vendor = vendor;
    if (url !== undefined) b.url = shownUrl ??= redactUrl(url);
    return b;
  };
  const t0 = process.hrtime.bigint();
  const ms = (): number => Number(process.hrtime.bigint() - t0) / 1e6;
  if (start.hasSubscribers) start.publish({ ...base() });
  return {
    attach(handle) {
      handle.onTrace = (kind, partNumber, a, delayMs, e?: NativeError) => {
        if (kind === 'part') {
          if (partDone.hasSubscribers) partDone.publish({ ...base(), partNumber, etag: String(a) });
        } else if (kind === 'retry' && retry.hasSubscribers) {
          const errOut: RetryMessage['error'] = { code: e?.code ?? 'ERR_UPLIFT_INTERNAL', message: redact(e?.message ?? ''), retryable: e?.retryable ?? true };
          if (e?.status) errOut.status = e.status;
          retry.publish({ ...base(), partNumber, attempt: Number(a), delayMs: delayMs ?? 0, error: errOut });
        }
      };
    },
    end() {
      if (end.hasSubscribers) end.publish({ ...base(), durationMs: ms() });
    },
    error(err) {
      if (error.hasSubscribers) error.publish({ ...base(), durationMs: ms(), error: err });
    },
  };
}
