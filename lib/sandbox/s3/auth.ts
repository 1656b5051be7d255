/**
 * SigV4 checks of the strict S3 peer: query auth (presigned URLs), header auth, and the
 * POST policy signature. The expected signature is computed by @smithy/signature-v4
 * from what the request carries, then compared in constant time.
 */
import { timingSafeEqual } from 'node:crypto';
import { Sha256 } from '@aws-crypto/sha256-js';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { SIGNED_MS_PARAM, uriEncode } from './encode';
import { S3Fail, type Ctx, type Query } from './context';

const UNSIGNED = 'UNSIGNED-PAYLOAD';
const SHA_HEADER = 'x-amz-content-sha256';
/** query parameters presign() adds itself */
const PRESIGN_PARAMS = ['X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Date', 'X-Amz-Expires', 'X-Amz-SignedHeaders', 'X-Amz-Signature'];
/** S3's allowed clock skew for header-signed requests, ms */
const MAX_SKEW_MS = 15 * 60 * 1000;
/** longest X-Amz-Expires S3 accepts, seconds (7 days) */
const MAX_EXPIRES_SEC = 604800;

export interface PeerCreds { accessKeyId: string; secretAccessKey: string; region: string }

export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** '20260101T000000Z' → Date, or undefined when malformed. */
export function parseAmzDate(s: string | undefined): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(s ?? '');
  if (!m) return undefined;
  const d = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]));
  return Number.isNaN(d.getTime()) ? undefined : d;
}

/** Canonical URI: each decoded path segment re-encoded the SigV4 way. */
export function canonicalPath(rawPath: string): string {
  try {
    return rawPath.split('/').map((s) => uriEncode(decodeURIComponent(s))).join('/');
  } catch {
    throw new S3Fail('InvalidURI');
  }
}

export class Verifier {
  private readonly signer: SignatureV4;

  constructor(private readonly creds: PeerCreds) {
    this.signer = new SignatureV4({
      service: 's3',
      region: creds.region,
      credentials: { accessKeyId: creds.accessKeyId, secretAccessKey: creds.secretAccessKey },
      sha256: Sha256,
      uriEscapePath: false,
      applyChecksum: false,
    });
  }

  /** Checks `AKID/yyyymmdd/region/s3/aws4_request` against the peer and the request date. */
  private checkCredential(credential: string, date: Date, errCode: string): void {
    const parts = credential.split('/');
    if (parts.length !== 5 || parts[3] !== 's3' || parts[4] !== 'aws4_request') {
      throw new S3Fail(errCode, `Error parsing the X-Amz-Credential parameter; the Credential is mal-formed; expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".`);
    }
    if (parts[0] !== this.creds.accessKeyId) throw new S3Fail('InvalidAccessKeyId');
    const day = date.toISOString().slice(0, 10).replace(/-/g, '');
    if (parts[1] !== day) throw new S3Fail(errCode, `Error parsing the X-Amz-Credential parameter; incorrect date format "${parts[1]}". This date in the credential must be in the format "yyyyMMdd".`);
    if (parts[2] !== this.creds.region) throw new S3Fail(errCode, `Error parsing the X-Amz-Credential parameter; the region '${parts[2]}' is wrong; expecting '${this.creds.region}'`);
  }

  /** Signed header values as the request carries them ('' when a signed header is missing). */
  private signedHeaders(ctx: Ctx, list: string): Record<string, string> {
    const h: Record<string, string> = {};
    for (const name of list.split(';')) if (name) h[name] = ctx.header(name) ?? '';
    return h;
  }

  /**
   * S3 refuses a request that carries an x-amz-* header its signature does not cover
   * (403 AccessDenied, the names in <HeadersNotSigned>); x-amz-content-sha256 is exempt.
   */
  private checkAllSigned(ctx: Ctx, list: string): void {
    const signed = new Set(list.split(';').filter(Boolean));
    const extra = Object.keys(ctx.req.headers)
      .map((n) => n.toLowerCase())
      .filter((n) => n.startsWith('x-amz-') && n !== SHA_HEADER && !signed.has(n));
    if (extra.length > 0) {
      throw new S3Fail('AccessDenied', 'There were headers present in the request which were not signed', 403, { HeadersNotSigned: extra.join(', ') });
    }
  }

  /**
   * Presigned URL: algorithm, credential, expiry (`expiredBefore` ms epoch, 0 = none),
   * then the signature over the signed headers and every other query parameter.
   */
  async verifyQuery(ctx: Ctx, expiredBefore: number): Promise<void> {
    const q = ctx.query;
    const one = (k: string): string => { const v = q[k]; return Array.isArray(v) ? '' : (v ?? ''); };
    if (one('X-Amz-Algorithm') !== 'AWS4-HMAC-SHA256') throw new S3Fail('AuthorizationQueryParametersError', 'X-Amz-Algorithm only supports "AWS4-HMAC-SHA256"');
    for (const k of PRESIGN_PARAMS) {
      if (!one(k)) throw new S3Fail('AuthorizationQueryParametersError', `Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.`);
    }
    const date = parseAmzDate(one('X-Amz-Date'));
    if (!date) throw new S3Fail('AuthorizationQueryParametersError', 'X-Amz-Date must be in the ISO8601 Long Format "yyyyMMdd\'T\'HHmmss\'Z\'"');
    const expires = Number(one('X-Amz-Expires'));
    if (!Number.isInteger(expires) || expires < 1 || expires > MAX_EXPIRES_SEC) {
      throw new S3Fail('AuthorizationQueryParametersError', 'X-Amz-Expires must be less than a week (in seconds) that is 604800');
    }
    this.checkCredential(one('X-Amz-Credential'), date, 'AuthorizationQueryParametersError');
    const signedAtMs = signedAt(date.getTime(), q[SIGNED_MS_PARAM]);
    if (Date.now() > date.getTime() + expires * 1000 || (expiredBefore > 0 && signedAtMs <= expiredBefore)) {
      throw new S3Fail('AccessDenied', 'Request has expired');
    }
    const list = one('X-Amz-SignedHeaders');
    const headers = this.signedHeaders(ctx, list);
    const names = new Set(Object.keys(headers));
    const query: Query = {};
    for (const [k, v] of Object.entries(q)) if (!PRESIGN_PARAMS.includes(k)) query[k] = v;
    const hashSigned = names.has(SHA_HEADER);
    if (!hashSigned) headers[SHA_HEADER] = UNSIGNED;
    const req = new HttpRequest({ method: ctx.req.method ?? 'GET', hostname: 'peer', path: canonicalPath(ctx.path), query, headers });
    const out = await this.signer.presign(req, {
      signingDate: date,
      expiresIn: expires,
      signableHeaders: names,
      unsignableHeaders: hashSigned ? undefined : new Set([SHA_HEADER]),
      unhoistableHeaders: new Set([...names, SHA_HEADER]),
    });
    const want = String(out.query?.['X-Amz-Signature'] ?? '');
    if (!safeEqual(want, one('X-Amz-Signature'))) throw new S3Fail('SignatureDoesNotMatch');
    this.checkAllSigned(ctx, list);
  }

  /**
   * Authorization: AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…
   * Returns the signed payload hash (hex SHA-256 or UNSIGNED-PAYLOAD).
   */
  async verifyHeader(ctx: Ctx, authorization: string): Promise<string> {
    const m = /^AWS4-HMAC-SHA256\s+Credential=([^,\s]+),\s*SignedHeaders=([^,\s]+),\s*Signature=([0-9a-f]+)\s*$/.exec(authorization);
    if (!m) throw new S3Fail('AuthorizationHeaderMalformed', 'The authorization header is malformed; the authorization component is missing or malformed.');
    const [, credential, list, given] = m;
    const date = parseAmzDate(ctx.header('x-amz-date'));
    if (!date) throw new S3Fail('AccessDenied', 'AWS authentication requires a valid Date or x-amz-date header');
    this.checkCredential(credential, date, 'AuthorizationHeaderMalformed');
    if (Math.abs(Date.now() - date.getTime()) > MAX_SKEW_MS) throw new S3Fail('RequestTimeTooSkewed');
    const payloadHash = ctx.header(SHA_HEADER);
    if (!payloadHash) throw new S3Fail('InvalidRequest', `Missing required header for this request: ${SHA_HEADER}`);
    if (payloadHash !== UNSIGNED && !/^[0-9a-f]{64}$/.test(payloadHash)) {
      if (payloadHash.startsWith('STREAMING-')) throw new S3Fail('NotImplemented', 'Chunked (streaming) payload signing is not supported by this peer');
      throw new S3Fail('InvalidArgument', `x-amz-content-sha256 must be UNSIGNED-PAYLOAD or a valid sha256 value.`);
    }
    const headers = this.signedHeaders(ctx, list);
    const names = new Set(Object.keys(headers));
    if (!names.has(SHA_HEADER)) headers[SHA_HEADER] = payloadHash;
    const req = new HttpRequest({ method: ctx.req.method ?? 'GET', hostname: 'peer', path: canonicalPath(ctx.path), query: { ...ctx.query }, headers });
    const out = await this.signer.sign(req, {
      signingDate: date,
      signableHeaders: names,
      unsignableHeaders: names.has(SHA_HEADER) ? undefined : new Set([SHA_HEADER]),
    });
    const want = /Signature=([0-9a-f]+)/.exec(String(out.headers.authorization ?? ''))?.[1] ?? '';
    if (!safeEqual(want, given)) throw new S3Fail('SignatureDoesNotMatch');
    this.checkAllSigned(ctx, list);
    return payloadHash;
  }

  /** POST policy: x-amz-* fields, credential, then HMAC(signing key, base64 policy). Returns the signing time. */
  async verifyPolicySignature(fields: Record<string, string>): Promise<Date> {
    if (fields['x-amz-algorithm'] !== 'AWS4-HMAC-SHA256') throw new S3Fail('InvalidArgument', 'POST form field x-amz-algorithm must be AWS4-HMAC-SHA256');
    for (const k of ['x-amz-credential', 'x-amz-date', 'x-amz-signature']) {
      if (!fields[k]) throw new S3Fail('InvalidArgument', `Bucket POST must contain a field named '${k}'.  If it is specified, please check the order of the fields.`);
    }
    const date = parseAmzDate(fields['x-amz-date']);
    if (!date) throw new S3Fail('InvalidArgument', 'Invalid x-amz-date field');
    this.checkCredential(fields['x-amz-credential'], date, 'InvalidArgument');
    const want = await this.signer.sign(fields.policy, { signingDate: date });
    if (!safeEqual(want, fields['x-amz-signature'])) throw new S3Fail('SignatureDoesNotMatch');
    return date;
  }
}

/** ms signing time: the X-Amz-Date second refined by x-uplift-signed-ms when that falls in the same second. */
function signedAt(dateMs: number, ms: string | string[] | undefined): number {
  const v = Number(Array.isArray(ms) ? ms[0] : ms);
  return Number.isInteger(v) && v >= dateMs && v < dateMs + 1000 ? v : dateMs;
}
