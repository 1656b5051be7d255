// Loads the native addon (build/Release/uplift.node) once, with a clear error when the
// build is missing. Everything that crosses into C++ goes through the types below.
import * as fs from 'fs';
import * as path from 'path';
import { InternalError } from './errors';

export interface NativeProgress { bytesSent: number; totalBytes: number; partsDone: number; partsTotal: number }

/**
 * What a native operation returns: the promise of its result and a way to stop it. The
 * engine calls `onTrace`, when set, for each stored part ('part', partNumber, etag) and each
 * scheduled retry ('retry', partNumber, attempt, delayMs, error).
 */
export interface NativeHandle<T> {
  promise: Promise<T>;
  cancel(message?: string): void;
  onTrace?: (kind: 'part' | 'retry', partNumber: number, a: string | number, delayMs?: number, error?: NativeError) => void;
}

/** A pause/resume and bandwidth control shared by the jobs whose spec carries it. */
export interface NativeControl { pause(): void; resume(): boolean; paused(): boolean; setBandwidth(bytesPerSecond: number): void }

/** Proxy per request scheme ('' = direct) and the bypass list. */
export interface NativeProxySpec { http: string; https: string; noProxy: string }

/** The error value the engine rejects with (mapped to UpliftError classes by ./native-errors). */
export interface NativeError {
  code: string; message: string; status?: number; curlCode?: number; requestId?: string;
  vendorCode?: string; timeoutKind?: 'connect' | 'stall' | 'overall' | 'response'; retryable: boolean;
  retryAfterMs?: number; attempts?: number; partNumber?: number;
}

export type NativeSource = { kind: 'path'; path: string } | { kind: 'buffer'; buffer: Uint8Array };

export interface NativeJobOptions {
  /** Called on the JS thread for each stored part (resume journals). */
  onPart?: (partNumber: number, etag: string) => void;
  retry?: { maxAttempts?: number; baseDelayMs?: number; maxDelayMs?: number; maxElapsedMs?: number };
  timeouts?: { connectMs?: number; stallMs?: number; overallMs?: number; responseMs?: number };
  progressIntervalMs?: number;
  proxy?: NativeProxySpec;
  /** This job's own cap (bytes per second). */
  maxBytesPerSecond?: number;
  control?: NativeControl;
}

export interface NativePutSpec extends NativeJobOptions {
  url: string; method?: string; headers: [string, string][]; source: NativeSource;
  offset?: number; length?: number; expectStatus?: number[]; computeMd5?: boolean;
}
export interface NativePutResult {
  status: number; etag: string; bytes: number; md5: string; attempts: number;
  headers: Record<string, string>; body: string;
}
export interface NativeFormSpec extends NativeJobOptions {
  url: string; fields: [string, string][]; fieldsAfterFile?: [string, string][]; fileField: string;
  fileName: string; fileContentType?: string; source: NativeSource; headers?: [string, string][];
  expectStatus?: number[]; computeMd5?: boolean;
}
export interface NativeFormResult { status: number; bytes: number; md5: string; location?: string; attempts: number; body: string }
export interface NativePartsSpec extends NativeJobOptions {
  parts: { partNumber: number; url: string; offset: number; length: number }[];
  source: NativeSource; headers?: [string, string][]; concurrency: number; computeMd5?: boolean;
}
export interface NativePartsResult { parts: { partNumber: number; etag: string }[]; md5: string; bytes: number; retries: number }

export interface NativeEngineOptions extends NativeJobOptions {
  threads?: number; maxConnectionsPerHost?: number; caFile?: string; insecureSkipTlsVerify?: boolean;
}

export interface NativeEngine {
  putPresigned(spec: NativePutSpec, onProgress?: (p: NativeProgress) => void): NativeHandle<NativePutResult>;
  postPresignedForm(spec: NativeFormSpec, onProgress?: (p: NativeProgress) => void): NativeHandle<NativeFormResult>;
  uploadPresignedParts(spec: NativePartsSpec, onProgress?: (p: NativeProgress) => void): NativeHandle<NativePartsResult>;
  /**
   * Runs a vendor operation of the engine by name ('eka.presign', 'plaud.uploadFile', ...;
   * specs and results are declared in lib/vendors/*.ts). `spec` was checked by the TS layer
   * and may carry the job options (retry, timeouts) and `concurrency`.
   */
  run<T = unknown>(op: string, spec: object, onProgress?: (p: NativeProgress) => void): NativeHandle<T>;
  close(): void;
  stats(): { closed: boolean; threads: number };
  /** The engine-wide cap in bytes per second; 0 = none. */
  setBandwidth(bytesPerSecond: number): void;
}

export interface NativeAddon {
  Engine: new (opts: NativeEngineOptions) => NativeEngine;
  curlVersion(): { version: string; ssl: string };
  /** Buffer sources copied into engine memory and not yet freed (all engines, all threads). */
  bufferCopies(): { bytes: number; count: number };
  createControl(): NativeControl;
}

let addon: NativeAddon | undefined;

function packageRoot(): string {
  let dir = __dirname;
  for (let i = 0; i < 5; i++) {
    if (fs.existsSync(path.join(dir, 'package.json')) && fs.existsSync(path.join(dir, 'binding.gyp'))) return dir;
    dir = path.dirname(dir);
  }
  return path.resolve(__dirname, '..');
}

/** The addon, loaded on first use. */
export function native(): NativeAddon {
  if (addon) return addon;
  const root = packageRoot();
  const candidates = [
    process.env.UPLIFT_ADDON_PATH,
    path.join(root, 'build', 'Release', 'uplift.node'),
    path.join(root, 'build', 'Debug', 'uplift.node'),
  ].filter((p): p is string => !!p);
  const found = candidates.find((p) => fs.existsSync(p));
  if (!found) {
    throw new InternalError(
      `the uplift native addon is not built (looked in ${candidates.join(', ')}); run \`npm rebuild uplift\` ` +
        '(it needs libcurl4-openssl-dev, rapidjson-dev and a C++ compiler; the build prints the apt-get command)',
    );
  }
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  addon = require(found) as NativeAddon;
  return addon;
}
