// uplift/queue: durable upload jobs on BullMQ + Redis (bullmq and ioredis are optional peer
// dependencies, loaded on first use).
// Layout: one BullMQ queue per vendor, named `<name>-<vendor>`, so each vendor gets its own
// rate limit (BullMQ's limiter is per queue and shared by every worker of that queue) and a
// slow vendor never holds up another. Jobs hold `{ vendor, source, options }` only; the
// worker process holds the vendor clients and their credentials. Running uploads keep
// their resume journal in Redis, so a job left by a crashed worker (stalled: its lock
// lapsed) resumes on another worker and sends only the parts not yet stored.
import { randomUUID } from 'crypto';
// bullmq and ioredis are optional: without them installed these types are `any` and the
// package still builds (the functions then throw a typed error at first use).
// @ts-ignore -- optional peer dependency
import type { ConnectionOptions, Job, JobsOptions, Queue as BullQueue, Worker as BullWorker } from 'bullmq';
// @ts-ignore -- optional peer dependency
import type { Redis, RedisOptions } from 'ioredis';
import { AbortError, InvalidArgumentError, NetworkError, UpliftError } from '../errors';
import { redact, redactValue } from '../redact';
import { checkInteger, invalid, isPlainObject, type Progress } from '../validate';
import { checkJobData, QUEUE_VENDORS, runJob, type QueueVendor, type UploadClients, type UploadJobData } from './jobs';
import { CANCEL_TTL_SEC, checkJournalKey, keys, redisJournal } from './store';

export { QUEUE_VENDORS } from './jobs';
export type { QueueVendor, UploadClients, UploadJobData } from './jobs';

// @ts-ignore -- optional peer dependency
type Bull = typeof import('bullmq');
// @ts-ignore -- optional peer dependency
type IORedisCtor = typeof import('ioredis').Redis;

function load(): { bull: Bull; IORedis: IORedisCtor } {
  try {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const bull = require('bullmq') as Bull;
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const io = require('ioredis') as { Redis: IORedisCtor };
    return { bull, IORedis: io.Redis };
  } catch (e) {
    throw new UpliftError('uplift/queue needs the optional peer dependencies bullmq and ioredis: run `npm install bullmq ioredis`', { code: 'ERR_UPLIFT_INTERNAL', cause: e });
  }
}

/** Default ms a producer call or ready() waits for Redis before rejecting with ERR_UPLIFT_NETWORK. */
export const DEFAULT_REDIS_TIMEOUT_MS = 10000;

/**
 * Settles with `p`, or rejects with a NetworkError after `ms`; Redis and BullMQ failures
 * become NetworkError (ERR_UPLIFT_NETWORK, retryable) with the original as cause.
 */
async function redisCall<T>(what: string, ms: number, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new NetworkError(`${what}: Redis did not answer within ${ms} ms; check options.connection (host, port, password) and that Redis runs`)), ms);
  });
  try {
    return await Promise.race([p, late]);
  } catch (e) {
    if (e instanceof UpliftError) throw e;
    throw new NetworkError(`${what}: Redis failed: ${redact(e instanceof Error ? e.message : String(e))}`, { cause: e });
  } finally {
    clearTimeout(timer);
  }
}

/** Ms close() waits past its deadline for Redis before it drops the connections. */
const CLOSE_GRACE_MS = 5000;

/**
 * Ends an ioredis connection: QUIT when it is connected (at most `ms`), else drops it. A QUIT
 * sent while Redis is unreachable waits for a connection that never comes, and a client left
 * reconnecting keeps the process alive.
 */
export async function endConnection(c: Redis, ms = CLOSE_GRACE_MS): Promise<void> {
  if (c.status === 'end') return;
  if (c.status === 'ready') {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, ms);
    });
    await Promise.race([c.quit().then(() => undefined, () => undefined), late]);
    clearTimeout(timer);
  }
  if ((c.status as string) !== 'end') c.disconnect();
}

/** Closes a BullMQ queue or worker; when Redis does not answer within `ms`, drops its connections. */
async function closeBull(b: BullQueue | BullWorker, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  let late = false;
  const deadline = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      late = true;
      resolve();
    }, ms);
  });
  await Promise.race([b.close().catch(() => {}), deadline]);
  clearTimeout(timer);
  if (late) dropBullConnections(b);
}

/**
 * Drops what a BullMQ queue or worker holds open when Redis is gone: its ioredis clients and
 * a worker's lock-renewal timer. BullMQ's own close() and disconnect() first wait for a
 * connection that never comes; its (unexported) backend and lock manager are reached here,
 * each guarded for its absence, so a BullMQ version that renames them only loses this
 * fallback.
 */
function dropBullConnections(b: BullQueue | BullWorker): void {
  type Conn = { _client?: Redis } | undefined;
  const inner = b as unknown as { backend?: { connection?: Conn; blockingConnection?: Conn }; lockManager?: { close?: () => Promise<void> } };
  for (const conn of [inner.backend?.connection, inner.backend?.blockingConnection]) {
    const client = conn?._client;
    if (client && client.status !== 'end') client.disconnect();
  }
  void inner.lockManager?.close?.().catch(() => {});
}

/** The BullMQ queue name of one vendor. */
export function vendorQueueName(name: string, vendor: QueueVendor): string {
  return `${name}-${vendor}`;
}

function checkName(v: unknown): string {
  if (typeof v !== 'string' || !/^[A-Za-z0-9_.-]{1,100}$/.test(v)) throw invalid('options.name', 'a queue name of 1-100 letters, digits, _ . or -', v);
  return v;
}

function checkConnection(v: unknown): ConnectionOptions {
  if (typeof v !== 'object' || v === null) throw invalid('options.connection', 'ioredis options such as { host, port } or an ioredis client', v, { hideValue: true });
  return v as ConnectionOptions;
}

function isClient(c: ConnectionOptions): c is Redis {
  return typeof (c as { duplicate?: unknown }).duplicate === 'function';
}

/** A new ioredis connection of the same server (BullMQ needs maxRetriesPerRequest: null). */
function connect(IORedis: IORedisCtor, c: ConnectionOptions): Redis {
  if (isClient(c)) return c.duplicate();
  return new IORedis({ ...(c as RedisOptions), maxRetriesPerRequest: null });
}

export interface UploadQueueOptions {
  /** ioredis options ({ host, port, password, tls, ... }) or an ioredis client. */
  connection: ConnectionOptions;
  /** Base name; each vendor's BullMQ queue is `<name>-<vendor>`. */
  name: string;
  /** BullMQ key prefix (default 'bull'). */
  prefix?: string;
  /**
   * Defaults for every job: BullMQ job options. Default here: 5 attempts with exponential
   * backoff from 2 s (retryable failures only; bad input and 4xx fail at once).
   */
  defaultJobOptions?: JobsOptions;
  /** Ms add(), getJob() and cancel() wait for Redis before rejecting with ERR_UPLIFT_NETWORK (default 10000). */
  redisTimeoutMs?: number;
  /**
   * The workers' journalKey: URL sources are sealed with it (AES-256-GCM) before they reach
   * Redis (their URL signatures and headers are secrets). Without it, add() refuses URL sources.
   */
  journalKey?: Buffer | string;
}

/** What cancel() did: removed a waiting job, signalled a running one, or found nothing to do. */
export type CancelResult = 'removed' | 'cancelling' | 'finished' | 'not-found';

export interface UploadQueue {
  readonly name: string;
  /** Adds an upload job; its id is a random UUID unless `opts.jobId` is given. */
  add(data: UploadJobData, opts?: JobsOptions): Promise<Job<UploadJobData>>;
  /** Finds a job by id in any vendor's queue. */
  getJob(id: string): Promise<Job<UploadJobData> | undefined>;
  /** The BullMQ queue of one vendor (for events, counts, dashboards). */
  queue(vendor: QueueVendor): BullQueue<UploadJobData>;
  /**
   * Cancels a job: a waiting or delayed job is removed; a running one is signalled and its
   * worker aborts the upload (within a second) and fails the job without retrying it.
   */
  cancel(job: string | Job<UploadJobData>): Promise<CancelResult>;
  close(): Promise<void>;
}

const DEFAULT_JOB_OPTIONS: JobsOptions = { attempts: 5, backoff: { type: 'exponential', delay: 2000 } };

/** `createUploadQueue({ connection, name })`: the producer side. */
export function createUploadQueue(options: UploadQueueOptions): UploadQueue {
  if (!isPlainObject(options)) throw invalid('options', 'an object { connection, name }', options);
  const connection = checkConnection(options.connection);
  const name = checkName(options.name);
  const prefix = options.prefix ?? 'bull';
  const timeoutMs = options.redisTimeoutMs === undefined ? DEFAULT_REDIS_TIMEOUT_MS : checkInteger('options.redisTimeoutMs', options.redisTimeoutMs, { min: 1 });
  const sealKey = checkJournalKey(options.journalKey);
  const { bull, IORedis } = load();
  const queues = new Map<QueueVendor, BullQueue<UploadJobData>>();
  let redis: Redis | undefined;
  const defaults = { ...DEFAULT_JOB_OPTIONS, ...(options.defaultJobOptions ?? {}) };
  const queueOf = (vendor: QueueVendor): BullQueue<UploadJobData> => {
    let q = queues.get(vendor);
    if (!q) {
      q = new bull.Queue<UploadJobData>(vendorQueueName(name, vendor), { connection, prefix, defaultJobOptions: defaults });
      q.on('error', () => {}); // connection errors surface on the calls
      queues.set(vendor, q);
    }
    return q;
  };
  const commands = (): Redis => (redis ??= connect(IORedis, connection));
  const findJob = async (id: string): Promise<Job<UploadJobData> | undefined> => {
    for (const v of QUEUE_VENDORS) {
      const j = await queueOf(v).getJob(id);
      if (j) return j;
    }
    return undefined;
  };
  const getJob = (id: string): Promise<Job<UploadJobData> | undefined> => {
    if (typeof id !== 'string' || id.length === 0) return Promise.reject(invalid('id', 'a job id (non-empty string)', id));
    return redisCall('getJob', timeoutMs, findJob(id));
  };
  return {
    name,
    async add(data, opts) {
      const d = checkJobData(data, { sealKey });
      if (opts !== undefined && !isPlainObject(opts)) throw invalid('opts', 'BullMQ job options (an object)', opts);
      return redisCall('add', timeoutMs, queueOf(d.vendor).add(d.vendor, d, { jobId: randomUUID(), ...(opts ?? {}) }));
    },
    getJob,
    queue: (vendor) => {
      if (!(QUEUE_VENDORS as readonly string[]).includes(vendor)) throw invalid('vendor', `one of ${QUEUE_VENDORS.join(', ')}`, vendor);
      return queueOf(vendor);
    },
    cancel(jobOrId) {
      return redisCall('cancel', timeoutMs, cancel(jobOrId));
    },
    async close() {
      await Promise.all([...queues.values()].map((q) => closeBull(q, timeoutMs)));
      if (redis) await endConnection(redis);
    },
  };

  async function cancel(jobOrId: string | Job<UploadJobData>): Promise<CancelResult> {
    if (typeof jobOrId !== 'string' && typeof (jobOrId as { getState?: unknown } | null)?.getState !== 'function') {
      throw invalid('job', 'a job id or the job add() resolved', jobOrId);
    }
    const job = typeof jobOrId === 'string' ? await findJob(jobOrId) : jobOrId;
    if (!job || !job.id) return 'not-found';
    const r = commands();
    const marker = keys.cancelled(prefix, name, job.id);
    await r.set(marker, '1', 'EX', CANCEL_TTL_SEC);
    const state = await job.getState();
    if (state === 'completed' || state === 'failed') {
      await r.del(marker);
      return 'finished';
    }
    if (state !== 'active') {
      try {
        await job.remove();
        return 'removed';
      } catch {
        // taken by a worker meanwhile: signal it
      }
    }
    await r.publish(keys.cancelChannel(prefix, name), job.id);
    return 'cancelling';
  }
}

export interface RateLimit {
  /** Jobs started per `duration` ms, across all workers of the vendor's queue. */
  max: number;
  duration: number;
}

export interface UploadWorkerOptions {
  connection: ConnectionOptions;
  name: string;
  prefix?: string;
  /** The vendor clients this worker serves; it takes jobs of these vendors only. */
  clients: UploadClients;
  /** Jobs run at once per vendor in this process (default 4). */
  concurrency?: number;
  /** One limit for every vendor, or one per vendor: `{ plaud: { max, duration } }`. */
  limiter?: RateLimit | Partial<Record<QueueVendor, RateLimit>>;
  /**
   * Seals the Redis journals (they hold presigned part URLs) with AES-256-GCM: a Buffer of
   * 32 bytes or a passphrase of 16+ characters, the same on every worker.
   */
  journalKey?: Buffer | string;
  /** close(): ms to let running uploads finish before they are stopped and re-queued (default 30000). */
  shutdownDeadlineMs?: number;
  /** BullMQ lock duration in ms (default 30000): a crashed worker's jobs are taken over after it. */
  lockDuration?: number;
  /** BullMQ stalled-job check interval in ms (default 30000). */
  stalledInterval?: number;
  /** Times a job may stall before it fails (default 3). */
  maxStalledCount?: number;
  /** Least ms between two progress writes of one job (default 500). */
  progressIntervalMs?: number;
  /** Stop on SIGTERM and SIGINT with the shutdown deadline (default false). */
  handleSignals?: boolean;
  /**
   * Called in this process with the full result before the job completes (the job's return
   * value in Redis has URL signatures redacted); a throw fails the attempt.
   */
  onResult?: (job: Job<UploadJobData>, result: unknown) => void | Promise<void>;
  /** Worker and connection errors (default: ignored; jobs still fail or retry as usual). */
  onError?: (err: Error) => void;
}

export interface UploadWorker {
  /** The BullMQ workers, one per vendor served. */
  readonly workers: readonly BullWorker<UploadJobData>[];
  /** Resolves once every worker is connected and listening for cancels; rejects with ERR_UPLIFT_NETWORK after `timeoutMs` (default 10000). */
  ready(options?: { timeoutMs?: number }): Promise<void>;
  /** Uploads running now. */
  readonly running: number;
  /**
   * Stops taking jobs, lets running uploads finish for `deadlineMs` (default
   * shutdownDeadlineMs), then stops the rest: they keep their journal and go back to the
   * queue without using an attempt.
   */
  close(options?: { deadlineMs?: number }): Promise<void>;
}

function checkLimiter(v: unknown): Partial<Record<QueueVendor, RateLimit>> {
  if (v === undefined) return {};
  if (!isPlainObject(v)) throw invalid('options.limiter', '{ max, duration } or { <vendor>: { max, duration } }', v);
  const one = (field: string, x: unknown): RateLimit => {
    if (!isPlainObject(x)) throw invalid(field, '{ max, duration } (jobs per duration ms)', x);
    return { max: checkInteger(`${field}.max`, x.max, { min: 1 }), duration: checkInteger(`${field}.duration`, x.duration, { min: 1 }) };
  };
  if ('max' in v || 'duration' in v) {
    const l = one('options.limiter', v);
    return Object.fromEntries(QUEUE_VENDORS.map((q) => [q, l]));
  }
  const out: Partial<Record<QueueVendor, RateLimit>> = {};
  for (const [k, x] of Object.entries(v)) {
    if (!(QUEUE_VENDORS as readonly string[]).includes(k)) throw invalid(`options.limiter.${k}`, `a vendor name (${QUEUE_VENDORS.join(', ')})`, k);
    out[k as QueueVendor] = one(`options.limiter.${k}`, x);
  }
  return out;
}

/** Message a failed job keeps in Redis: code, status and the redacted message. */
function failureText(e: unknown): string {
  if (e instanceof UpliftError) return `${e.code}${e.status ? ` (HTTP ${e.status})` : ''}: ${redact(e.message)}`;
  return redact(e instanceof Error ? e.message : String(e));
}

/** `createUploadWorker({ connection, name, clients, concurrency?, limiter? })`: the consumer side. */
export function createUploadWorker(options: UploadWorkerOptions): UploadWorker {
  if (!isPlainObject(options)) throw invalid('options', 'an object { connection, name, clients }', options);
  const connection = checkConnection(options.connection);
  const name = checkName(options.name);
  const prefix = options.prefix ?? 'bull';
  if (!isPlainObject(options.clients)) throw invalid('options.clients', 'an object { <vendor>: client }, e.g. { plaud: plaud.client({ token }) }', options.clients, { hideValue: true });
  const clients = options.clients as UploadClients;
  const served = Object.keys(clients).filter((k) => clients[k as QueueVendor] !== undefined) as QueueVendor[];
  for (const v of served) {
    if (!(QUEUE_VENDORS as readonly string[]).includes(v)) throw invalid(`options.clients.${v}`, `a vendor name (${QUEUE_VENDORS.join(', ')})`, v);
  }
  if (served.length === 0) throw new InvalidArgumentError('options.clients names no vendor client; give at least one, e.g. { plaud: plaud.client({ token }) }', { field: 'options.clients', received: 'an empty object' });
  const concurrency = options.concurrency === undefined ? 4 : checkInteger('options.concurrency', options.concurrency, { min: 1, max: 1000 });
  const limits = checkLimiter(options.limiter);
  const sealKey = checkJournalKey(options.journalKey);
  const deadlineDefault = options.shutdownDeadlineMs === undefined ? 30000 : checkInteger('options.shutdownDeadlineMs', options.shutdownDeadlineMs, { min: 0 });
  const progressEvery = options.progressIntervalMs === undefined ? 500 : checkInteger('options.progressIntervalMs', options.progressIntervalMs, { min: 0 });
  const onError = options.onError ?? ((): void => {});
  const { bull, IORedis } = load();

  const redis = connect(IORedis, connection);
  const sub = connect(IORedis, connection);
  redis.on('error', onError);
  sub.on('error', onError);
  const shutdown = new AbortController();
  let running = 0;

  const processor = (vendor: QueueVendor) => async (job: Job<UploadJobData>, token?: string, signal?: AbortSignal): Promise<unknown> => {
    const id = job.id as string;
    const journal = redisJournal(redis, keys.journal(prefix, job.queueName, id), sealKey);
    const cancelled = (): UpliftError => new UpliftError('the job was cancelled', { code: 'ERR_UPLIFT_ABORTED' });
    if (await redis.exists(keys.cancelled(prefix, name, id))) {
      await journal.delete();
      throw new bull.UnrecoverableError(failureText(cancelled()));
    }
    let data: UploadJobData;
    try {
      // jobs added by other producers (plain BullMQ) are checked as add() checks them
      data = checkJobData(job.data, { sealKey, worker: true });
      if (data.vendor !== vendor) throw invalid('job.vendor', `'${vendor}' (the job is in the ${vendor} queue)`, data.vendor);
    } catch (e) {
      throw new bull.UnrecoverableError(failureText(e));
    }
    // one signal for "cancelled" (BullMQ's) and "shutting down" (ours)
    const ac = new AbortController();
    const onCancel = (): void => ac.abort(new AbortError('cancelled', 'the job was cancelled'));
    const onShutdown = (): void => ac.abort(new AbortError('shutdown', 'the worker is shutting down'));
    if (signal?.aborted) onCancel();
    signal?.addEventListener('abort', onCancel, { once: true });
    if (shutdown.signal.aborted) onShutdown();
    shutdown.signal.addEventListener('abort', onShutdown, { once: true });
    let last = 0;
    let pending: Progress | undefined;
    let timer: NodeJS.Timeout | undefined;
    const write = (): void => {
      timer = undefined;
      if (!pending) return;
      const p = pending;
      pending = undefined;
      last = Date.now();
      job.updateProgress({ ...p }).catch(() => {});
    };
    const onProgress = (p: Progress): void => {
      pending = p;
      if (timer) return;
      const wait = Math.max(0, last + progressEvery - Date.now());
      if (wait === 0) write();
      else timer = setTimeout(write, wait);
    };
    running++;
    try {
      const result = await runJob(clients, data, { signal: ac.signal, onProgress, journal });
      if (timer) clearTimeout(timer);
      write();
      if (options.onResult) await options.onResult(job, result);
      // the return value lives in Redis: URL signatures (Plaud downloadUrl, Kore url) are redacted
      return redactValue(JSON.parse(JSON.stringify(result ?? null)), undefined, 12);
    } catch (e) {
      if (timer) clearTimeout(timer);
      if (ac.signal.aborted && !signal?.aborted && shutdown.signal.aborted) {
        // stopped by close(): back to the queue, journal kept, no attempt used
        await job.moveToDelayed(Date.now(), token);
        throw new bull.DelayedError();
      }
      if (signal?.aborted) {
        await journal.delete().catch(() => {});
        throw new bull.UnrecoverableError(failureText(cancelled()));
      }
      const text = failureText(e);
      const attempts = job.opts.attempts ?? 1;
      if (e instanceof UpliftError && !e.retryable) {
        await journal.delete().catch(() => {});
        const u = new bull.UnrecoverableError(text);
        u.stack = text;
        throw u;
      }
      if (job.attemptsMade + 1 >= attempts) await journal.delete().catch(() => {});
      const r = new Error(text);
      r.stack = text;
      throw r;
    } finally {
      running--;
      signal?.removeEventListener('abort', onCancel);
      shutdown.signal.removeEventListener('abort', onShutdown);
    }
  };

  const workers = served.map((vendor) => {
    const w = new bull.Worker<UploadJobData>(vendorQueueName(name, vendor), processor(vendor), {
      connection, prefix, concurrency,
      ...(limits[vendor] ? { limiter: limits[vendor] } : {}),
      ...(options.lockDuration !== undefined ? { lockDuration: checkInteger('options.lockDuration', options.lockDuration, { min: 100 }) } : {}),
      ...(options.stalledInterval !== undefined ? { stalledInterval: checkInteger('options.stalledInterval', options.stalledInterval, { min: 100 }) } : {}),
      ...(options.maxStalledCount !== undefined ? { maxStalledCount: checkInteger('options.maxStalledCount', options.maxStalledCount, { min: 0 }) } : {}),
    });
    w.on('error', onError);
    return w;
  });
  const channel = keys.cancelChannel(prefix, name);
  sub.on('message', (ch: string, id: string) => {
    if (ch !== channel) return;
    for (const w of workers) w.cancelJob(id, 'cancelled');
  });
  const subscribed = sub.subscribe(channel);
  subscribed.catch(() => {});

  let closing: Promise<void> | undefined;
  const closedAc = new AbortController();
  const close = (opts?: { deadlineMs?: number }): Promise<void> => {
    closedAc.abort();
    closing ??= (async () => {
      const deadline = opts?.deadlineMs === undefined ? deadlineDefault : checkInteger('options.deadlineMs', opts.deadlineMs, { min: 0 });
      const timer = setTimeout(() => shutdown.abort(), deadline);
      // a Redis that does not answer must not hold close() forever: drop the connections
      let forced: NodeJS.Timeout | undefined;
      let dropped = false;
      const force = new Promise<void>((resolve) => {
        forced = setTimeout(() => {
          dropped = true;
          for (const w of workers) {
            void w.close(true).catch(() => {});
            dropBullConnections(w);
          }
          sub.disconnect();
          redis.disconnect();
          resolve();
        }, running === 0 && redis.status !== 'ready' ? 0 : deadline + CLOSE_GRACE_MS); // nothing to wait for without Redis
      });
      try {
        await Promise.race([Promise.all(workers.map((w) => w.close())), force]);
      } finally {
        clearTimeout(timer);
        clearTimeout(forced);
        if (onSignal) {
          process.off('SIGTERM', onSignal);
          process.off('SIGINT', onSignal);
        }
        if (!dropped) {
          await endConnection(sub);
          await endConnection(redis);
        }
      }
    })();
    return closing;
  };
  let onSignal: (() => void) | undefined;
  if (options.handleSignals) {
    onSignal = (): void => {
      void close();
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  }
  return {
    workers,
    get running() {
      return running;
    },
    ready(opts) {
      const ms = opts?.timeoutMs === undefined ? DEFAULT_REDIS_TIMEOUT_MS : checkInteger('options.timeoutMs', opts.timeoutMs, { min: 1 });
      // close() settles a ready() still waiting for Redis (and its timer) at once
      const closed = new Promise<never>((_, reject) => {
        const stop = (): void => reject(new AbortError('closed', 'ready(): the worker was closed before Redis answered'));
        if (closedAc.signal.aborted) stop();
        else closedAc.signal.addEventListener('abort', stop, { once: true });
      });
      return redisCall('ready', ms, Promise.race([Promise.all([...workers.map((w) => w.waitUntilReady()), subscribed]).then(() => undefined), closed]));
    },
    close,
  };
}
