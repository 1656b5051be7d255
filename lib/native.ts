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
  /** For ERR_UPLIFT_INVALID_ARGUMENT: the option or spec field at fault, when the engine knows it. */
  field?: string;
}

export type NativeSource =
  | { kind: 'path'; path: string }
  | { kind: 'buffer'; buffer: Uint8Array }
  /** Read natively by ranged GETs (src/core/url_source.h); etag / lastModified from the size probe. */
  | { kind: 'url'; url: string; headers: [string, string][]; size: number; etag?: string; lastModified?: string };

/** probeUrl's answer: the size and validators of a URL source (one `Range: bytes=0-0` GET). */
export interface NativeUrlProbe { size: number; etag: string; lastModified: string; requests: number }
export interface NativeProbeSpec extends NativeJobOptions { url: string; headers: [string, string][] }

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

// Typed vendor ops: the binding reads each spec once into the core's struct
// (src/core/vendors/plaud.h, scripe.h, heify.h); a field missing or of the wrong type is
// ERR_UPLIFT_INVALID_ARGUMENT naming it. Absent optional fields take the engine's defaults.
export interface NativePlaudApi { baseUrl: string; token: string }
export interface NativePartEtag { partNumber: number; etag: string }
export interface NativePlaudTicket { fileId: string; uploadId: string; chunkSizeBytes: number; parts: { partNumber: number; url: string }[] }
export interface NativePlaudPresignSpec extends NativePlaudApi { fileSize: number; fileType: string }
export interface NativePlaudUploadSpec { source: NativeSource; ticket: NativePlaudTicket; storedParts?: NativePartEtag[]; concurrency?: number }
export interface NativePlaudCompleteSpec extends NativePlaudApi { fileId: string; uploadId: string; parts: NativePartEtag[]; fileType: string; md5: string }
export interface NativePlaudUploadFileSpec extends NativePlaudApi {
  source: NativeSource; fileType: string; concurrency?: number;
  /** A resumed upload: the stored presign answer and the parts S3 holds (not sent again). */
  ticket?: NativePlaudTicket; storedParts?: NativePartEtag[];
}
export interface NativeScripePresignSpec { baseUrl: string; apiKey: string; apiVersion?: string; contentType: string; maxSizeBytes?: number }
export interface NativeScripeUploadFileSpec extends NativeScripePresignSpec { source: NativeSource }
export interface NativeHeifyIds { configurationId: string; evaluatorId?: string | null; participantId?: string | null }
export interface NativeHeifyPresignSpec extends NativeHeifyIds { baseUrl: string; apiKey: string; name?: string }
export interface NativeHeifyUploadFileSpec extends NativeHeifyPresignSpec { source: NativeSource; contentType?: string }
export interface NativeHeifyUploadSpec extends NativeHeifyIds { uploadUrl: string; source: NativeSource; contentType?: string }
/** The spec of each typed op, by name (job options such as onPart and retry ride along). */
export interface NativeTypedOps {
  'plaud.presign': NativePlaudPresignSpec;
  'plaud.upload': NativePlaudUploadSpec;
  'plaud.complete': NativePlaudCompleteSpec;
  'plaud.uploadFile': NativePlaudUploadFileSpec;
  'scripe.presign': NativeScripePresignSpec;
  'scripe.uploadFile': NativeScripeUploadFileSpec;
  'heify.presign': NativeHeifyPresignSpec;
  'heify.uploadFile': NativeHeifyUploadFileSpec;
  'heify.upload': NativeHeifyUploadSpec;
}

export interface NativeEngineOptions extends NativeJobOptions {
  threads?: number; maxConnectionsPerHost?: number; insecureSkipTlsVerify?: boolean;
  /** CA bundle file for libcurl (CURLOPT_CAINFO); wins over caPem. */
  caFile?: string;
  /** The trusted CA certificates as PEM text (CURLOPT_CAINFO_BLOB). */
  caPem?: string;
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
  /** Size and validators of a URL source, found with one ranged GET (retried as the job says). */
  probeUrl(spec: NativeProbeSpec): NativeHandle<NativeUrlProbe>;
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

/** prebuilds/<platform>-<arch>/*.node for this libc (what node-gyp-build would pick), when it is not installed. */
function prebuildIn(root: string): string | undefined {
  const dir = path.join(root, 'prebuilds', `${process.platform}-${process.arch}`);
  if (!fs.existsSync(dir)) return undefined;
  const header = (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)?.header;
  const musl = process.platform === 'linux' && !header?.glibcVersionRuntime;
  const file = fs.readdirSync(dir).find((f) => f.endsWith('.node') && f.includes('.musl.') === musl);
  return file ? path.join(dir, file) : undefined;
}

function loadFrom(root: string): NativeAddon {
  let nodeGypBuild: ((dir: string) => unknown) | undefined;
  try {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    nodeGypBuild = require('node-gyp-build') as (dir: string) => unknown;
  } catch {
    nodeGypBuild = undefined; // a bundle or a tree without it: local builds only
  }
  if (nodeGypBuild) return nodeGypBuild(root) as NativeAddon;
  const found = ['Release', 'Debug'].map((d) => path.join(root, 'build', d, 'uplift.node')).find((p) => fs.existsSync(p)) ??
    prebuildIn(root);
  if (!found) throw new Error(`no build/Release/uplift.node and no prebuild for ${process.platform}-${process.arch}`);
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  return require(found) as NativeAddon;
}

/**
 * The addon, loaded on first use: UPLIFT_ADDON_PATH when set (bundled apps), else through
 * node-gyp-build: a local build (build/Release) first, then the prebuilt binary for this
 * platform (prebuilds/<platform>-<arch>/).
 */
export function native(): NativeAddon {
  if (addon) return addon;
  const explicit = process.env.UPLIFT_ADDON_PATH;
  if (explicit) {
    if (!fs.existsSync(explicit)) {
      throw new InternalError(`UPLIFT_ADDON_PATH names ${explicit}, which does not exist; point it at uplift.node ` +
        "(a package's prebuilds/linux-x64/uplift.glibc.node or build/Release/uplift.node)");
    }
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    addon = require(explicit) as NativeAddon;
    return addon;
  }
  const root = packageRoot();
  try {
    addon = loadFrom(root);
  } catch (e) {
    const why = String((e as Error).message ?? e).split('\n')[0];
    throw new InternalError(
      `the uplift native addon could not be loaded from ${root} (${why}). There is no prebuilt binary for ` +
        `${process.platform}-${process.arch}, or the install script did not run (npm --ignore-scripts, pnpm without ` +
        '`onlyBuiltDependencies`): run `npm rebuild uplift` to build it from source (needs libcurl4-openssl-dev, ' +
        'rapidjson-dev and a C++ compiler; the build prints the apt-get command). A bundled app: mark uplift as ' +
        'external or set UPLIFT_ADDON_PATH to the uplift.node file.',
    );
  }
  return addon;
}
