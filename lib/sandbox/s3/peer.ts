/**
 * The strict S3 peer: a path-style S3 subset on node:http, listening on 127.0.0.1 only,
 * that checks SigV4 (presigned URLs and signed headers) and POST policies the way S3 does,
 * streams bodies to its folder, consults the sandbox faults once per request and logs
 * one entry per request (target 's3').
 */
import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { Faults, describeFault, type FaultAction } from '../faults';
import { RequestLog } from '../log';
import { Verifier } from './auth';
import { ClientGone, Ctx, S3Fail, parseQuery, type Query } from './context';
import * as obj from './ops-object';
import * as mpu from './ops-multipart';
import { postObject } from './post';
import { Store } from './store';
import type { S3Peer, S3PeerOptions } from './types';

export type { S3Peer, S3PeerOptions, StoredObject } from './types';

interface Route { op: string; bucket?: string; key?: string }

/** Names the S3 operation of a request (before auth; unknown shapes get 'Unknown'). */
function route(method: string, bucket: string | undefined, key: string | undefined, q: Query): Route {
  const has = (k: string): boolean => Object.prototype.hasOwnProperty.call(q, k);
  const r = (op: string): Route => ({ op, bucket, key });
  if (bucket === undefined) return r(method === 'GET' ? 'ListBuckets' : 'Unknown');
  if (key === undefined) {
    switch (method) {
      case 'PUT': return r('CreateBucket');
      case 'HEAD': return r('HeadBucket');
      case 'GET': return r('ListObjectsV2');
      case 'DELETE': return r('DeleteBucket');
      case 'POST': return r('PostObject');
      default: return r('Unknown');
    }
  }
  switch (method) {
    case 'PUT': return r(has('partNumber') || has('uploadId') ? 'UploadPart' : 'PutObject');
    case 'POST': return r(has('uploads') ? 'CreateMultipartUpload' : has('uploadId') ? 'CompleteMultipartUpload' : 'Unknown');
    case 'GET': return r(has('uploadId') ? 'ListParts' : 'GetObject');
    case 'HEAD': return r('HeadObject');
    case 'DELETE': return r(has('uploadId') ? 'AbortMultipartUpload' : 'DeleteObject');
    default: return r('Unknown');
  }
}

/** Default S3 code for an injected status. */
function faultCode(status: number): string {
  if (status === 503) return 'SlowDown';
  if (status === 500) return 'InternalError';
  if (status === 403) return 'AccessDenied';
  if (status === 404) return 'NoSuchKey';
  if (status === 400) return 'InvalidRequest';
  return status >= 500 ? 'ServiceUnavailable' : 'InvalidRequest';
}

class PeerServer {
  private readonly server: http.Server;
  private readonly timers = new Set<NodeJS.Timeout>();
  private closed = false;

  constructor(private readonly env: obj.PeerEnv, private readonly log: RequestLog) {
    this.server = http.createServer({ requestTimeout: 0 }, (req, res) => void this.handle(req, res, false));
    this.server.on('checkContinue', (req, res) => void this.handle(req, res, true));
    this.server.on('clientError', (_err, socket) => {
      if (socket.writable) {
        const body = '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>BadRequest</Code><Message>An error occurred when parsing the HTTP request.</Message></Error>';
        socket.end(`HTTP/1.1 400 Bad Request\r\nContent-Type: application/xml\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
      } else {
        socket.destroy();
      }
    });
  }

  listen(port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => resolve((this.server.address() as AddressInfo).port));
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    const done = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await done;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => { this.timers.delete(t); resolve(); }, ms);
      this.timers.add(t);
    });
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse, expectContinue: boolean): Promise<void> {
    const raw = req.url ?? '/';
    const qi = raw.indexOf('?');
    const rawPath = qi < 0 ? raw : raw.slice(0, qi);
    let query: Query = {};
    let segs: string[] = [];
    let bad = !rawPath.startsWith('/');
    try {
      query = parseQuery(qi < 0 ? '' : raw.slice(qi + 1));
      segs = rawPath.slice(1).split('/').map(decodeURIComponent);
    } catch {
      bad = true;
    }
    const ctx = new Ctx(req, res, rawPath, query, expectContinue);
    const bucket = segs[0] ? segs[0] : undefined;
    const key = bucket !== undefined && segs.length > 1 && segs.slice(1).join('/') !== '' ? segs.slice(1).join('/') : undefined;
    const rt: Route = bad ? { op: 'Unknown' } : route(req.method ?? 'GET', bucket, key, query);
    ctx.op = rt.op;
    if (rt.op === 'UploadPart') ctx.partNumber = mpu.partNumberOf(ctx.q('partNumber'));
    res.once('close', () => this.log.add({
      time: Date.now(), target: 's3', op: ctx.op, method: req.method ?? '', path: rawPath,
      status: res.headersSent ? res.statusCode : 0, bytesIn: ctx.bytesIn,
      ...(ctx.partNumber !== undefined ? { partNumber: ctx.partNumber } : {}),
      ...(ctx.fault ? { fault: ctx.fault } : {}),
      ...(rt.op === 'GetObject' && typeof req.headers.range === 'string' ? { range: req.headers.range } : {}),
    }));
    try {
      if (bad) throw new S3Fail('InvalidURI');
      const fault = this.env.faults.take('s3', rt.op, rawPath, ctx.partNumber);
      if (fault && (await this.applyFault(ctx, fault))) return;
      await this.dispatch(ctx, rt);
    } catch (e) {
      this.fail(ctx, e);
    }
  }

  /** Applies a fault; true when the request is finished (answered or dropped). */
  private async applyFault(ctx: Ctx, a: FaultAction): Promise<boolean> {
    ctx.fault = describeFault(a);
    if ('stallMs' in a) {
      await this.sleep(a.stallMs);
      return this.closed;
    }
    if ('status' in a) {
      const code = a.code ?? faultCode(a.status);
      ctx.error(code, a.message, a.status, a.retryAfterSec !== undefined ? { 'retry-after': a.retryAfterSec } : {});
      return true;
    }
    if ('resetAfterBytes' in a) {
      const { req } = ctx;
      ctx.startBody();
      const drop = (): void => { req.socket.destroy(); };
      if (a.resetAfterBytes <= 0 || req.complete && req.readableLength === 0) { drop(); return true; }
      req.on('data', (c: Buffer) => {
        ctx.bytesIn += c.length;
        if (ctx.bytesIn >= a.resetAfterBytes) drop();
      });
      req.on('end', drop);
      req.resume();
      return true;
    }
    // malformedJson is for the vendor emulators: the S3 peer handles the request normally
    return false;
  }

  /** Verifies query or header auth; records a signed payload hash on ctx for the body readers. */
  private async authenticate(ctx: Ctx): Promise<void> {
    const authz = ctx.header('authorization');
    if (ctx.has('X-Amz-Algorithm') || ctx.has('X-Amz-Signature')) {
      if (authz) throw new S3Fail('InvalidArgument', 'Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified');
      await this.env.verifier.verifyQuery(ctx, this.env.faults.expiredBefore());
      return;
    }
    if (!authz) throw new S3Fail('AccessDenied', 'Access Denied');
    if (!authz.startsWith('AWS4-HMAC-SHA256')) throw new S3Fail('InvalidRequest', 'The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.');
    const payloadHash = await this.env.verifier.verifyHeader(ctx, authz);
    if (payloadHash !== 'UNSIGNED-PAYLOAD') ctx.signedSha256 = payloadHash;
  }

  private async dispatch(ctx: Ctx, rt: Route): Promise<void> {
    if (rt.op === 'Unknown') throw new S3Fail('MethodNotAllowed');
    const { env } = this;
    const b = rt.bucket as string;
    const k = rt.key as string;
    if (rt.op === 'PostObject') return postObject(ctx, env, b);
    await this.authenticate(ctx);
    switch (rt.op) {
      case 'ListBuckets': return obj.listBuckets(ctx, env);
      case 'CreateBucket': return obj.createBucket(ctx, env, b);
      case 'HeadBucket': return obj.headBucket(ctx, env, b);
      case 'ListObjectsV2': return obj.listObjectsV2(ctx, env, b);
      case 'DeleteBucket': return obj.deleteBucket(ctx, env, b);
      case 'PutObject': return obj.putObject(ctx, env, b, k);
      case 'GetObject': return obj.getObject(ctx, env, b, k, false);
      case 'HeadObject': return obj.getObject(ctx, env, b, k, true);
      case 'DeleteObject': return obj.deleteObject(ctx, env, b, k);
      case 'CreateMultipartUpload': return mpu.createUpload(ctx, env, b, k);
      case 'UploadPart': return mpu.uploadPart(ctx, env, b, k);
      case 'CompleteMultipartUpload': return mpu.completeUpload(ctx, env, b, k);
      case 'AbortMultipartUpload': return mpu.abortUpload(ctx, env, b, k);
      case 'ListParts': return mpu.listParts(ctx, env, b, k);
      default: throw new S3Fail('MethodNotAllowed');
    }
  }

  private fail(ctx: Ctx, e: unknown): void {
    if (e instanceof ClientGone) {
      ctx.req.socket.destroy();
      return;
    }
    if (ctx.res.headersSent) {
      ctx.res.destroy();
      return;
    }
    if (e instanceof S3Fail) {
      if (ctx.req.method === 'HEAD') ctx.send(e.httpStatus);
      else ctx.error(e.code, e.message, e.httpStatus, {}, e.detail);
      return;
    }
    ctx.error('InternalError');
  }
}

/** Starts the peer on 127.0.0.1; resolves once it listens. */
export async function startS3Peer(o: S3PeerOptions = {}): Promise<S3Peer> {
  const region = o.region ?? 'us-east-1';
  const accessKeyId = o.accessKeyId ?? `AKSANDBOX${randomBytes(6).toString('hex').toUpperCase()}`;
  const secretAccessKey = o.secretAccessKey ?? randomBytes(30).toString('base64url');
  const ownDir = o.dir === undefined;
  const dir = o.dir ?? (await fsp.mkdtemp(path.join(os.tmpdir(), 'uplift-s3-peer-')));
  const store = new Store(dir);
  await store.init();
  const env: obj.PeerEnv = {
    store, region, accessKeyId,
    faults: o.faults ?? new Faults(),
    verifier: new Verifier({ accessKeyId, secretAccessKey, region }),
  };
  const server = new PeerServer(env, o.log ?? new RequestLog());
  let port: number;
  try {
    port = await server.listen(o.port ?? 0);
  } catch (e) {
    if (ownDir) await fsp.rm(dir, { recursive: true, force: true });
    throw e;
  }
  let closing: Promise<void> | undefined;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    region, accessKeyId, secretAccessKey,
    objects: () => store.list(),
    close: () => {
      closing ??= (async () => {
        await server.close();
        await fsp.rm(ownDir ? dir : path.join(dir, 'data'), { recursive: true, force: true });
      })();
      return closing;
    },
  };
}
