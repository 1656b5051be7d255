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

/**
 * How each emulator reads the points its vendor's doc leaves open. A client that works
 * under one reading only is wrong for some real vendor deployment, so the project's own
 * suites run under every value (SANDBOX_READINGS); the first value is the default.
 */
export interface SandboxReadings {
  /**
   * Kore's "25 MB" (single-upload limit and chunk cap): 'mib' = 26,214,400 bytes,
   * 'mb' = 25,000,000 bytes.
   */
  kore: 'mib' | 'mb';
  /**
   * Scripe's per-type caps and what its URL signs: 'mib' = caps in MiB (500 MiB audio...),
   * the URL caps the size; 'mb' = caps in MB (500,000,000 audio...); 'exact-length' = caps
   * in MiB and the URL signs `Content-Length: <maxSizeBytes>` (a PUT of any other size
   * is 403 SignatureDoesNotMatch).
   */
  scripe: 'mib' | 'mb' | 'exact-length';
  /**
   * Which of the given ids Heify signs as x-amz-meta-* headers of the upload URL:
   * 'all-ids' = configuration_id, evaluator_id and participant_id; 'configuration-evaluator'
   * = configuration_id and evaluator_id only (the doc's PUT sample).
   */
  heify: 'all-ids' | 'configuration-evaluator';
  /**
   * Plaud's presign and complete answers: 'default' = ChunkSize 5,242,880 and a lowercase
   * FileMd5; 'upper-md5' = FileMd5 in upper-case hex; 'chunk-8mib' = ChunkSize 8,388,608;
   * 'chunk-5mb' = ChunkSize 5,000,000 ("<5MB per URL"). Under 'chunk-5mb' a file of more
   * than one part cannot be completed on S3 (parts but the last must be at least 5 MiB):
   * complete-upload answers FILE_UPLOAD_FAILED with s3_code EntityTooSmall.
   */
  plaud: 'default' | 'upper-md5' | 'chunk-8mib' | 'chunk-5mb';
  /** Eka's presign answer: 'txn-id' = carries txn_id; 'no-txn-id' = has no txn_id field. */
  eka: 'txn-id' | 'no-txn-id';
}

/** Every reading of every vendor; the first of each list is the default. */
export const SANDBOX_READINGS: { readonly [V in keyof SandboxReadings]: readonly SandboxReadings[V][] } = {
  kore: ['mib', 'mb'],
  scripe: ['mib', 'mb', 'exact-length'],
  heify: ['all-ids', 'configuration-evaluator'],
  plaud: ['default', 'upper-md5', 'chunk-8mib', 'chunk-5mb'],
  eka: ['txn-id', 'no-txn-id'],
};

/** The default readings (the first of each list). */
export const DEFAULT_READINGS: Readonly<SandboxReadings> = {
  kore: 'mib', scripe: 'mib', heify: 'all-ids', plaud: 'default', eka: 'txn-id',
};

/** What every emulator gets from startSandbox. */
export interface VendorDeps {
  /** the readings this sandbox was started with */
  readings: SandboxReadings;
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
