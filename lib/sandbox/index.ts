/**
 * `uplift/sandbox`: loopback copies of the five vendor upload APIs (Eka, Kore, Plaud,
 * Scripe, Heify) in front of a strict S3 peer, for tests, demos and users' own tests.
 *
 *   const sb = await startSandbox();          // 127.0.0.1 only
 *   fetch(`${sb.urls.plaud}/open/partner/files/upload/generate-presigned-urls`, ...)
 *   sb.objects();                              // what landed in S3, with MD5s
 *   await sb.close();
 *
 * Layout: `<sb.url>/<vendor>/<documented path>`; Plaud Japan is `<sb.url>/plaud/jp/...`.
 * Faults: `sb.faults.add({ target: <vendor> | 's3', op?, pathIncludes?, times?, action })`;
 * vendor ops: eka 'presign'; kore 'upload' | 'sessionStart' | 'chunk' | 'complete' |
 * 'media'; plaud 'presign' | 'complete'; scripe 'presign'; heify 'presign'; 'unknown' for
 * paths no route knows. Each emulator file's header documents its error shapes and limits.
 * Readings: `startSandbox({ readings: { kore: 'mb', ... } })` picks how each emulator reads
 * what its vendor's doc leaves open (SandboxReadings; all values in SANDBOX_READINGS).
 * Nothing here is loaded by the main `uplift` entry.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Faults } from './faults';
import { RequestLog } from './log';
import { S3Client, S3Error, type S3Target } from './s3/client';
import { startS3Peer, type S3Peer, type StoredObject } from './s3/peer';
import { startFront, type Front } from './server';
import { randomHex } from './vendors/common';
import { createEka, ekaWorkspaceId } from './vendors/eka';
import { createHeify, heifyFixtures, type HeifyFixtures } from './vendors/heify';
import { createKore } from './vendors/kore';
import { createPlaud } from './vendors/plaud';
import { createScripe, scripeKeys, type ScripeKeys } from './vendors/scripe';
import { DEFAULT_READINGS, SANDBOX_READINGS, type SandboxBuckets, type SandboxReadings, type VendorDeps, type VendorEmulator } from './vendors/types';

export { Faults, describeFault } from './faults';
export type { FaultAction, FaultRule } from './faults';
export { RequestLog } from './log';
export type { LogEntry, LogFilter } from './log';
export { S3Client, S3Error } from './s3/client';
export type { S3Target } from './s3/client';
export { startS3Peer } from './s3/peer';
export type { S3Peer, S3PeerOptions, StoredObject } from './s3/peer';
export type { SandboxBuckets, SandboxReadings, VendorName } from './vendors/types';
export { DEFAULT_READINGS, SANDBOX_READINGS } from './vendors/types';
export type { ScripeKeys } from './vendors/scripe';
export type { HeifyFixtures } from './vendors/heify';
export { sampleWav, writeSampleWav } from './wav';
export type { WavOptions } from './wav';

export interface SandboxOptions {
  /** port of the vendor front; default 0 (a free port) */
  port?: number;
  /** an external S3 (e.g. Swift's s3api); default: a built-in strict peer is started */
  s3?: S3Target;
  /** bucket names (created when missing); defaults in DEFAULT_BUCKETS */
  buckets?: Partial<SandboxBuckets>;
  /**
   * How each emulator reads the points its vendor's doc leaves open, e.g.
   * `{ kore: 'mb', plaud: 'upper-md5' }`; defaults in DEFAULT_READINGS, every value in
   * SANDBOX_READINGS. Run your own tests under each to find code that works under one only.
   */
  readings?: Partial<SandboxReadings>;
}

function checkReadings(r: Partial<SandboxReadings> | undefined): SandboxReadings {
  const out = { ...DEFAULT_READINGS, ...r } as SandboxReadings;
  for (const v of Object.keys(out) as (keyof SandboxReadings)[]) {
    const allowed = SANDBOX_READINGS[v] as readonly string[] | undefined;
    if (!allowed) throw new TypeError(`startSandbox: readings.${String(v)} is not a vendor; vendors: ${Object.keys(SANDBOX_READINGS).join(', ')}`);
    if (!allowed.includes(out[v])) throw new TypeError(`startSandbox: readings.${v} must be one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}, got ${JSON.stringify(out[v])}`);
  }
  return out;
}

export const DEFAULT_BUCKETS: Readonly<SandboxBuckets> = {
  eka: 'eka-uploads', kore: 'kore-files', plaudUs: 'plaud-us', plaudJp: 'plaud-jp', scripe: 'scripe-uploads', heify: 'heify-uploads',
};

export interface SandboxUrls {
  eka: string;
  kore: string;
  /** Plaud US */
  plaud: string;
  /** Plaud Japan */
  plaudJp: string;
  scripe: string;
  heify: string;
}

/** Random per start. Scripe's extra keys reach its documented auth errors. */
export interface SandboxCredentials {
  eka: { token: string };
  kore: { apiKey: string };
  /** valid in both regions */
  plaud: { token: string };
  /** apiKey works; revokedApiKey → 401 key_revoked; expiredApiKey → 401 key_expired;
   *  noScopeApiKey → 403 scope_missing; planIneligibleApiKey → 403 plan_not_eligible */
  scripe: ScripeKeys;
  heify: { apiKey: string };
}

export interface SandboxFixtures {
  /** workspaceId: the `EC_<digits>` first segment of every folderPath */
  eka: { workspaceId: string };
  /** ids that exist in the Heify account; clientId is the key's second segment */
  heify: HeifyFixtures;
  buckets: SandboxBuckets;
}

/** What the S3 peer stores: bucket, key, size, md5, etag, contentType, metadata. */
export type SandboxObject = StoredObject;

export interface Sandbox {
  /** http://127.0.0.1:PORT, the vendor front */
  url: string;
  urls: SandboxUrls;
  credentials: SandboxCredentials;
  fixtures: SandboxFixtures;
  /** the S3 target the presigned URLs point at */
  s3: S3Target;
  /** synchronous, built-in peer only (throws with an external s3: use listObjects()) */
  objects(): SandboxObject[];
  /** every object in the sandbox's buckets, read through S3 (works for both) */
  listObjects(): Promise<SandboxObject[]>;
  /** the readings the emulators use (DEFAULT_READINGS merged with options.readings) */
  readings: SandboxReadings;
  /** shared by the S3 peer (target 's3') and the vendor front (target = vendor name) */
  faults: Faults;
  log: RequestLog;
  /** this sandbox's temp folder (removed by close()) */
  tempDir: string;
  /** stops the front, the emulators and the built-in peer; removes temp folders; idempotent */
  close(): Promise<void>;
}

async function ensureBucket(client: S3Client, bucket: string): Promise<void> {
  try {
    await client.createBucket(bucket);
  } catch (e) {
    if (e instanceof S3Error && (e.code === 'BucketAlreadyOwnedByYou' || e.code === 'BucketAlreadyExists')) return;
    throw e;
  }
}

export async function startSandbox(opts: SandboxOptions = {}): Promise<Sandbox> {
  const readings = checkReadings(opts.readings);
  const faults = new Faults();
  const log = new RequestLog();
  const buckets: SandboxBuckets = { ...DEFAULT_BUCKETS, ...opts.buckets };
  const tempDir = await mkdtemp(join(tmpdir(), 'uplift-sandbox-'));
  let peer: S3Peer | undefined;
  let front: Front | undefined;
  const vendors: VendorEmulator[] = [];

  const stop = async (): Promise<void> => {
    await front?.close();
    await Promise.all(vendors.map((v) => v.close().catch(() => undefined)));
    await peer?.close();
    await rm(tempDir, { recursive: true, force: true });
  };

  try {
    let target: S3Target;
    if (opts.s3) {
      target = { ...opts.s3 };
    } else {
      const dir = join(tempDir, 's3');
      await mkdir(dir);
      peer = await startS3Peer({ dir, faults, log });
      target = { endpoint: peer.endpoint, region: peer.region, accessKeyId: peer.accessKeyId, secretAccessKey: peer.secretAccessKey };
    }
    const s3 = new S3Client(target);
    for (const b of new Set(Object.values(buckets))) await ensureBucket(s3, b);

    let origin = '';
    const deps: VendorDeps = { readings, s3, target, buckets, faults, log, tmpDir: tempDir, origin: () => origin };
    const credentials: SandboxCredentials = {
      eka: { token: `eka_${randomHex(20)}` },
      kore: { apiKey: `kg-${randomHex(20)}` },
      plaud: { token: `plaud_${randomHex(20)}` },
      scripe: scripeKeys(),
      heify: { apiKey: `hfy_${randomHex(20)}` },
    };
    const fixtures: SandboxFixtures = { eka: { workspaceId: ekaWorkspaceId() }, heify: heifyFixtures(), buckets };
    vendors.push(
      createEka(deps, credentials.eka.token, fixtures.eka.workspaceId),
      createKore(deps, credentials.kore.apiKey),
      createPlaud(deps, credentials.plaud.token),
      createScripe(deps, credentials.scripe),
      createHeify(deps, credentials.heify.apiKey, fixtures.heify),
    );
    front = await startFront({ port: opts.port ?? 0, vendors, faults, log });
    origin = front.url;
    const url = front.url;
    const builtIn = peer;
    const bucketSet = [...new Set(Object.values(buckets))];
    let closing: Promise<void> | undefined;

    return {
      url,
      urls: {
        eka: `${url}/eka`, kore: `${url}/kore`, plaud: `${url}/plaud`, plaudJp: `${url}/plaud/jp`,
        scripe: `${url}/scripe`, heify: `${url}/heify`,
      },
      credentials,
      fixtures,
      s3: target,
      objects() {
        if (!builtIn) throw new Error('sb.objects() reads the built-in S3 peer; this sandbox uses an external s3 target, so use `await sb.listObjects()`');
        return builtIn.objects().map((o) => ({ ...o, metadata: { ...o.metadata } }));
      },
      async listObjects() {
        const out: SandboxObject[] = [];
        for (const bucket of bucketSet) {
          for (const o of await s3.listObjects(bucket)) {
            const head = await s3.headObject(bucket, o.key);
            if (!head) continue;
            const md5 = await s3.getObjectMd5(bucket, o.key);
            out.push({ bucket, key: o.key, size: head.size, md5, etag: head.etag, contentType: head.contentType, metadata: head.metadata });
          }
        }
        return out;
      },
      readings,
      faults,
      log,
      tempDir,
      close() {
        closing ??= stop();
        return closing;
      },
    };
  } catch (e) {
    await stop().catch(() => undefined);
    throw e;
  }
}
