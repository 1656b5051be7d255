/**
 * Contracts between the sandbox's HTTP front (server.ts) and the five vendor emulators.
 * One emulator object per vendor, created by startSandbox and owned by it until close().
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import type { Faults } from '../faults';
import type { RequestLog } from '../log';
import type { S3Client, S3Target } from '../s3/client';

export type VendorName = 'eka' | 'kore' | 'plaud' | 'scripe' | 'heify';

/** Buckets the emulators write to (created at start on the S3 target). */
export interface SandboxBuckets {
  eka: string;
  kore: string;
  plaudUs: string;
  plaudJp: string;
  scripe: string;
  heify: string;
}

/** What every emulator gets from startSandbox. */
export interface VendorDeps {
  s3: S3Client;
  target: S3Target;
  buckets: SandboxBuckets;
  faults: Faults;
  log: RequestLog;
  /** a private folder of this sandbox for temp files; removed by startSandbox's close() */
  tmpDir: string;
  /** origin of the vendor front, e.g. http://127.0.0.1:PORT (known once listening) */
  origin(): string;
}

/** One request as an emulator sees it. */
export interface VendorContext {
  req: IncomingMessage;
  res: ServerResponse;
  /** the request body, counted for the log; read this, never `req` */
  body: Readable;
  url: URL;
  /** path after `/<vendor>`, e.g. `/v1/uploads` (for plaud JP: after `/plaud/jp`) */
  subPath: string;
}

export interface VendorRoute {
  /** name used in the log and by fault rules, e.g. 'presign', 'complete' */
  op: string;
  handle(ctx: VendorContext): Promise<void>;
}

/** Path known but method not: the front answers 405 with these methods in Allow. */
export interface MethodMismatch {
  allow: string[];
}

export interface VendorEmulator {
  readonly name: VendorName;
  /** route for this method and sub-path; undefined → vendor-shaped 404 */
  match(method: string, subPath: string): VendorRoute | MethodMismatch | undefined;
  /** the vendor's JSON error body for an error it answers */
  errorBody(status: number, code: string, message: string, extra?: Record<string, unknown>): unknown;
  /** the vendor's error code for a bare status (used for injected faults and internal errors) */
  defaultCode(status: number): string;
  /** frees what the emulator holds (temp files, sessions); idempotent */
  close(): Promise<void>;
}
