// Fault matrix through the public vendor clients against the sandbox: Plaud (S3 multipart,
// 4 parts), Kore (chunked session, 27 MiB in 4 chunks) and Scripe (one presigned PUT), each
// under resets, 500, 503 SlowDown, 429 + Retry-After, stalls, URLs expiring mid-upload,
// malformed vendor JSON and a TLS certificate for the wrong host. Every case ends with the
// identical bytes stored (MD5 from sb.objects()) or a typed error after a bounded number of
// requests (counted in sb.log), and no unhandled rejection.
// Set UPLIFT_FAULT_MATRIX=<file> to write the outcome table (markdown) there after the run.
import { rmSync, writeFileSync } from 'node:fs';
import {
  BadResponseError, Engine, kore, plaud, RateLimitError, scripe, TimeoutError, TlsError, UpliftError, UrlExpiredError, VendorError,
  type Progress, type RetryOptions, type TimeoutOptions,
} from '../../lib';
import type { FaultAction, LogEntry, SandboxObject } from '../../lib/sandbox';
import {
  expectNoSecret, logMark, makeCerts, makeFile, MiB, rejection, startTlsProxy, trapUnhandledRejections, useSuite, waitFor, type Certs, type TestFile,
} from './helpers';

trapUnhandledRejections();
const s = useSuite('matrix');

type VendorKey = 'plaud' | 'kore' | 'scripe';

interface CallOptions {
  engine?: Engine;
  /** a base URL other than the sandbox's (the TLS proxy) */
  baseUrl?: string;
  retry?: RetryOptions;
  timeouts?: TimeoutOptions;
  concurrency?: number;
  onProgress?: (p: Progress) => void;
}

/** How the matrix drives one vendor. */
interface Subject {
  name: VendorKey;
  file: () => TestFile;
  bucket: () => string;
  /** the op that carries the file's bytes, as the sandbox logs it */
  transfer: { target: string; op: string; partNumber?: number };
  /** vendor API ops that answer JSON */
  jsonOps: string[];
  /** path of the vendor under the sandbox front, e.g. '/plaud' */
  prefix: string;
  upload(o: CallOptions): Promise<{ md5: string; bytes: number }>;
}

let files: Record<VendorKey, TestFile>;
let certs: Certs;
/** trusts the test CA; short backoffs */
let tlsEngine: Engine;
/** case → vendor → outcome, for the report table */
const outcomes = new Map<string, Partial<Record<VendorKey, string>>>();

beforeAll(() => {
  files = {
    plaud: makeFile(s.dir, 'matrix.mp3', 16 * MiB + 123), // 4 parts of 5 MiB
    kore: makeFile(s.dir, 'matrix.wav', 27 * MiB + 11), // 4 chunks of 8 MiB
    scripe: makeFile(s.dir, 'matrix.m4a', 6 * MiB + 5), // one PUT
  };
  certs = makeCerts();
  tlsEngine = new Engine({ caFile: certs.caFile, retry: { baseDelayMs: 10, maxDelayMs: 2000 } });
});
afterAll(async () => {
  await tlsEngine?.close();
  if (certs) rmSync(certs.dir, { recursive: true, force: true });
  const out = process.env.UPLIFT_FAULT_MATRIX;
  if (out) {
    const rows = [...outcomes].map(([c, v]) => `| ${c} | ${v.plaud ?? ''} | ${v.kore ?? ''} | ${v.scripe ?? ''} |`);
    writeFileSync(out, ['| case | Plaud | Kore (chunked) | Scripe |', '|---|---|---|---|', ...rows, ''].join('\n'));
  }
});

const record = (c: string, v: VendorKey, outcome: string): void => {
  outcomes.set(c, { ...outcomes.get(c), [v]: outcome });
};

const subjects: Subject[] = [
  {
    name: 'plaud',
    file: () => files.plaud,
    bucket: () => s.sb.fixtures.buckets.plaudUs,
    transfer: { target: 's3', op: 'UploadPart', partNumber: 2 },
    jsonOps: ['presign', 'complete'],
    prefix: '/plaud',
    async upload(o) {
      const c = plaud.client({ token: s.sb.credentials.plaud.token, baseUrl: o.baseUrl ?? s.sb.urls.plaud, engine: o.engine ?? s.engine });
      const r = await c.uploadFile(files.plaud.path, { retry: o.retry, timeouts: o.timeouts, concurrency: o.concurrency, onProgress: o.onProgress });
      expect(r.fileMd5).toBe(r.md5);
      return { md5: r.md5, bytes: r.bytes };
    },
  },
  {
    name: 'kore',
    file: () => files.kore,
    bucket: () => s.sb.fixtures.buckets.kore,
    transfer: { target: 'kore', op: 'chunk' },
    jsonOps: ['sessionStart', 'complete'],
    prefix: '/kore',
    async upload(o) {
      const c = kore.client({ apiKey: s.sb.credentials.kore.apiKey, baseUrl: o.baseUrl ?? s.sb.urls.kore, engine: o.engine ?? s.engine });
      const r = await c.uploadFile(files.kore.path, {
        fileContext: 'bulkImport', retry: o.retry, timeouts: o.timeouts, concurrency: o.concurrency, onProgress: o.onProgress,
      });
      expect(r).toMatchObject({ mode: 'chunked', chunks: 4 });
      return { md5: r.md5, bytes: r.bytes };
    },
  },
  {
    name: 'scripe',
    file: () => files.scripe,
    bucket: () => s.sb.fixtures.buckets.scripe,
    transfer: { target: 's3', op: 'PutObject' },
    jsonOps: ['presign'],
    prefix: '/scripe',
    async upload(o) {
      const c = scripe.client({ apiKey: s.sb.credentials.scripe.apiKey, baseUrl: o.baseUrl ?? s.sb.urls.scripe, engine: o.engine ?? s.engine });
      const r = await c.uploadFile(files.scripe.path, { retry: o.retry, timeouts: o.timeouts, concurrency: o.concurrency, onProgress: o.onProgress });
      expect(r.contentType).toBe('audio/mp4');
      return { md5: r.md5, bytes: r.bytes };
    },
  },
];

/** A run of one case: the log mark, the objects already stored, the start time. */
function begin(v: Subject) {
  const mark = logMark(s.sb);
  const before = new Set(s.sb.objects().map((o) => `${o.bucket}/${o.key}`));
  const t0 = Date.now();
  return {
    t0,
    /** byte-carrying requests of this run (every part/chunk, or only the faulted part for Plaud) */
    transfers: (): LogEntry[] => mark.since({ target: v.transfer.target, op: v.transfer.op, partNumber: v.transfer.partNumber }),
    /** every byte-carrying request of this run, whatever the part */
    allTransfers: (): LogEntry[] => mark.since({ target: v.transfer.target, op: v.transfer.op }),
    api: (op: string): LogEntry[] => mark.since({ target: v.name, op }),
    all: (): LogEntry[] => mark.since(),
    /** objects this run added to the vendor's bucket */
    added: (): SandboxObject[] => s.sb.objects().filter((o) => o.bucket === v.bucket() && !before.has(`${o.bucket}/${o.key}`)),
  };
}

type Run = ReturnType<typeof begin>;

/** The upload stored exactly the file's bytes, once. */
function expectStored(v: Subject, run: Run, got: { md5: string; bytes: number }): void {
  const f = v.file();
  expect(got).toEqual({ md5: f.md5, bytes: f.data.length });
  const added = run.added();
  expect(added).toHaveLength(1);
  expect(added[0]).toMatchObject({ size: f.data.length, md5: f.md5 });
}

const fault = (v: Subject, action: FaultAction, times = 1): void => {
  s.sb.faults.add({ ...v.transfer, times, action });
};
/** how the sandbox log marks a request held by the stall fault */
const STALL = 'stall 3000 ms';
const failed = (entries: LogEntry[]): number => entries.filter((e) => e.status !== 200).length;

describe.each(subjects)('$name', (v) => {
  test('connection reset in the middle of a part: retried, identical bytes', async () => {
    fault(v, { resetAfterBytes: MiB });
    const run = begin(v);
    expectStored(v, run, await v.upload({}));
    const t = run.transfers();
    expect(t.filter((e) => e.status === 0)).toHaveLength(1);
    expect(t.filter((e) => e.status === 200)).toHaveLength(v.name === 'kore' ? 4 : 1);
    record('reset after 1 MiB of a part/chunk', v.name, `identical bytes after ${failed(t)} retry`);
  });

  test('500: retried, identical bytes', async () => {
    fault(v, { status: 500 });
    const run = begin(v);
    expectStored(v, run, await v.upload({}));
    const t = run.transfers();
    expect(t.map((e) => e.status).filter((x) => x !== 200)).toEqual([500]);
    record('500 on a part/chunk', v.name, `identical bytes after ${failed(t)} retry`);
  });

  test('503 SlowDown twice: retried, identical bytes', async () => {
    fault(v, { status: 503, code: 'SlowDown' }, 2);
    const run = begin(v);
    expectStored(v, run, await v.upload({}));
    const t = run.transfers();
    expect(t.map((e) => e.status).filter((x) => x !== 200)).toEqual([503, 503]);
    record('503 SlowDown twice', v.name, `identical bytes after ${failed(t)} retries`);
  });

  test('429 with Retry-After: 1 is waited out, then identical bytes', async () => {
    fault(v, { status: 429, retryAfterSec: 1 });
    const run = begin(v);
    expectStored(v, run, await v.upload({}));
    expect(Date.now() - run.t0).toBeGreaterThanOrEqual(1000);
    const t = run.transfers();
    const i = t.findIndex((e) => e.status === 429);
    expect(i).toBeGreaterThanOrEqual(0);
    expect(t.filter((e) => e.status === 429)).toHaveLength(1);
    // the retry of the throttled request was answered at least 1 s after the 429 (requests of
    // other parts/chunks may come between; the retry is the last one logged after it)
    const after = t.slice(i + 1);
    expect(after.length).toBeGreaterThan(0);
    expect(after[after.length - 1].time - t[i].time).toBeGreaterThanOrEqual(1000);
    record('429 + Retry-After: 1', v.name, `identical bytes after ${failed(t)} retry, waited ≥ 1 s`);
  });

  test('429 on every attempt: ERR_UPLIFT_RATE_LIMITED after maxAttempts requests, nothing stored', async () => {
    fault(v, { status: 429 }, 10);
    const run = begin(v);
    const err = await rejection(v.upload({ retry: { maxAttempts: 3, baseDelayMs: 10 }, concurrency: 1 }));
    expect(err).toBeInstanceOf(RateLimitError);
    expect(err).toMatchObject({ code: 'ERR_UPLIFT_RATE_LIMITED', vendor: v.name, status: 429, retryable: true });
    expectNoSecret(s.sb, err);
    await new Promise((r) => setTimeout(r, 50));
    const t = run.transfers();
    // one part/chunk was tried maxAttempts times, then the upload stopped
    expect(t.map((e) => e.status)).toEqual([429, 429, 429]);
    expect(err.details).toMatchObject({ attempts: 3 });
    expect(run.added()).toHaveLength(0);
    expect(run.api('complete')).toHaveLength(0);
    record('429 on every attempt (maxAttempts 3)', v.name, `typed error ERR_UPLIFT_RATE_LIMITED after ${t.length} attempts`);
  });

  test('a stall longer than timeouts.stallMs: the attempt is dropped and retried, identical bytes', async () => {
    fault(v, { stallMs: 3000 });
    const run = begin(v);
    expectStored(v, run, await v.upload({ timeouts: { stallMs: 1000 } }));
    expect(Date.now() - run.t0).toBeGreaterThanOrEqual(1000);
    // the client closes the stalled connection at once, but a server that is not reading sees
    // the close only when it reads again (after its 3 s stall); wait for that entry
    await waitFor(() => run.transfers().some((e) => e.fault === STALL));
    const t = run.transfers();
    expect(t.filter((e) => e.fault === STALL).map((e) => e.status === 200)).toEqual([false]);
    expect(t.filter((e) => e.status === 200)).toHaveLength(v.name === 'kore' ? 4 : 1);
    record('stall 3 s, stallMs 1000, once', v.name, `identical bytes after ${failed(t)} retry`);
  });

  test('every attempt stalls: ERR_UPLIFT_TIMEOUT after maxAttempts requests, nothing stored', async () => {
    fault(v, { stallMs: 3000 }, 2);
    const run = begin(v);
    const err = await rejection(v.upload({ timeouts: { stallMs: 1000 }, retry: { maxAttempts: 2, baseDelayMs: 10 }, concurrency: 1 }));
    expect(err).toBeInstanceOf(TimeoutError);
    expect(err).toMatchObject({ code: 'ERR_UPLIFT_TIMEOUT', vendor: v.name, kind: 'stall', details: expect.objectContaining({ attempts: 2 }) });
    expectNoSecret(s.sb, err);
    await waitFor(() => run.transfers().filter((e) => e.fault === STALL).length === 2);
    // the stalled request got exactly maxAttempts tries, none answered 200, nothing completed
    const t = run.transfers();
    expect(t.filter((e) => e.fault === STALL).map((e) => e.status === 200)).toEqual([false, false]);
    expect(run.added()).toHaveLength(0);
    expect(run.api('complete')).toHaveLength(0);
    record('stall 3 s on every attempt (maxAttempts 2)', v.name, `typed error ERR_UPLIFT_TIMEOUT after ${t.filter((e) => e.fault === STALL).length} attempts`);
  });

  test('malformed JSON from the vendor API: ERR_UPLIFT_BAD_RESPONSE, not retried', async () => {
    const results: string[] = [];
    for (const op of v.jsonOps) {
      s.sb.faults.add({ target: v.name, op, action: { malformedJson: true } });
      const run = begin(v);
      const err = await rejection(v.upload({}));
      expect(err).toBeInstanceOf(BadResponseError);
      expect(err).toMatchObject({ code: 'ERR_UPLIFT_BAD_RESPONSE', vendor: v.name });
      expectNoSecret(s.sb, err);
      expect(run.api(op)).toHaveLength(1);
      expect(run.added()).toHaveLength(0);
      if (op === v.jsonOps[0]) expect(run.allTransfers()).toHaveLength(0); // no byte after a broken presign
      results.push(`${op}: after ${run.api(op).length} attempt`);
    }
    record('malformed vendor JSON', v.name, `typed error ERR_UPLIFT_BAD_RESPONSE (${results.join('; ')})`);
  });

  test('TLS certificate for the wrong host on the vendor API: ERR_UPLIFT_TLS, one handshake, nothing sent', async () => {
    const proxy = await startTlsProxy(certs.wrongHost, s.sb.url);
    try {
      const run = begin(v);
      const err = await rejection(v.upload({ engine: tlsEngine, baseUrl: `${proxy.url}${v.prefix}` }));
      expect(err).toBeInstanceOf(TlsError);
      expect(err).toMatchObject({ code: 'ERR_UPLIFT_TLS', vendor: v.name, retryable: false });
      expectNoSecret(s.sb, err);
      // one connection, dropped by the client after the handshake; time for a retry to show
      await new Promise((r) => setTimeout(r, 400));
      expect(proxy.connections).toBe(1);
      expect(proxy.requests).toBe(0);
      expect(run.all()).toHaveLength(0);
      record('TLS cert for wrong.example (CA trusted)', v.name, `typed error ERR_UPLIFT_TLS after ${proxy.connections} attempt`);
    } finally {
      await proxy.close();
    }
  });

  test('control: the same TLS proxy with a certificate for 127.0.0.1 works end to end', async () => {
    const proxy = await startTlsProxy(certs.good, s.sb.url);
    try {
      const run = begin(v);
      expectStored(v, run, await v.upload({ engine: tlsEngine, baseUrl: `${proxy.url}${v.prefix}` }));
      expect(proxy.requests).toBeGreaterThan(0);
    } finally {
      await proxy.close();
    }
  });
});

describe('URL or session expired in the middle of the upload', () => {
  test('Plaud: part URLs expire after the first part → ERR_UPLIFT_URL_EXPIRED, not retried, never completed', async () => {
    const v = subjects[0];
    // one part at a time; part 2 is held 1.5 s before its signature is checked, so it is
    // checked after the expiry that the first progress report with partsDone >= 1 sets off
    s.sb.faults.add({ target: 's3', op: 'UploadPart', partNumber: 2, action: { stallMs: 1500 } });
    const run = begin(v);
    let expired = false;
    const err = await rejection(v.upload({
      concurrency: 1,
      onProgress: (p) => { if (!expired && p.partsDone >= 1) { expired = true; s.sb.faults.expireUrlsNow(); } },
    }));
    expect(expired).toBe(true);
    expect(err).toBeInstanceOf(UrlExpiredError);
    expect(err).toMatchObject({ code: 'ERR_UPLIFT_URL_EXPIRED', vendor: 'plaud', status: 403 });
    expectNoSecret(s.sb, err);
    await waitFor(() => run.allTransfers().some((e) => e.partNumber === 2));
    const parts = run.allTransfers();
    expect(parts.map((e) => [e.partNumber, e.status])).toEqual([[1, 200], [2, 403]]);
    expect(run.api('complete')).toHaveLength(0);
    expect(run.added()).toHaveLength(0);
    record('URL expired after the first part', 'plaud', 'typed error ERR_UPLIFT_URL_EXPIRED after 1 attempt (part 2)');
  });

  test('Kore: the session expires after the first chunk → vendor error SESSION_EXPIRED, not retried', async () => {
    const v = subjects[1];
    // Every chunk is held 300 ms before the sandbox handles it, so the progress report of the
    // first stored chunk (throttled to ~10 a second) arrives while the second one waits.
    s.sb.faults.add({ target: 'kore', op: 'chunk', times: 10, action: { stallMs: 300 } });
    // complete is held 1 s before its session check, in case every chunk landed before the expiry
    s.sb.faults.add({ target: 'kore', op: 'complete', action: { stallMs: 1000 } });
    const run = begin(v);
    let expired = false;
    const err = await rejection(v.upload({
      concurrency: 1,
      onProgress: (p) => { if (!expired && p.partsDone >= 1) { expired = true; s.sb.faults.expireUrlsNow(); } },
    }));
    expect(expired).toBe(true);
    expect(err).toBeInstanceOf(VendorError);
    expect(err).toMatchObject({ code: 'ERR_UPLIFT_VENDOR', vendor: 'kore', status: 400, vendorCode: 'SESSION_EXPIRED' });
    expectNoSecret(s.sb, err);
    const refused = run.all().filter((e) => e.target === 'kore' && e.status === 400);
    expect(refused).toHaveLength(1);
    expect(run.added()).toHaveLength(0);
    record('URL expired after the first part', 'kore', `typed error ERR_UPLIFT_VENDOR SESSION_EXPIRED (on ${refused[0].op}) after 1 attempt`);
  });

  test('Scripe: the URL expires while the PUT is held → typed ERR_UPLIFT_URL_EXPIRED, or a re-presign with identical bytes', async () => {
    const v = subjects[2];
    s.sb.faults.add({ target: 's3', op: 'PutObject', action: { stallMs: 1500 } });
    const run = begin(v);
    const settled = v.upload({}).then((r) => ({ ok: true as const, r }), (e: unknown) => ({ ok: false as const, e }));
    await waitFor(() => run.api('presign').some((e) => e.status === 200));
    s.sb.faults.expireUrlsNow();
    const out = await settled;
    const puts = run.allTransfers();
    if (out.ok) {
      expectStored(v, run, out.r);
      expect(run.api('presign').length).toBe(2);
      record('URL expired after the first part', 'scripe', `identical bytes after a re-presign (${puts.length} PUTs)`);
    } else {
      expect(out.e).toBeInstanceOf(UpliftError);
      expect(out.e).toMatchObject({ code: 'ERR_UPLIFT_URL_EXPIRED', vendor: 'scripe', status: 403 });
      expectNoSecret(s.sb, out.e as Error);
      expect(puts.map((e) => e.status)).toEqual([403]);
      expect(run.added()).toHaveLength(0);
      record('URL expired after the first part', 'scripe', `typed error ERR_UPLIFT_URL_EXPIRED after ${puts.length} attempt`);
    }
  });
});
