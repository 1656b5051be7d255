/**
 * One request inside the strict S3 peer: parsed path and query, the answer helpers
 * (every answer carries x-amz-request-id; errors are S3-shaped XML), and what happens
 * to a body left unread when the peer answers early.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { xmlEscape } from './encode';

export type Query = Record<string, string | string[]>;

/** Bytes of an unread body the peer swallows after an early answer before it drops the connection. */
export const DISCARD_LIMIT_BYTES = 32 * 1024 * 1024;

/** S3 error codes the peer answers, with their status and S3's message. */
export const S3_ERRORS: Record<string, [number, string]> = {
  AccessDenied: [403, 'Access Denied'],
  AuthorizationHeaderMalformed: [400, 'The authorization header is malformed.'],
  AuthorizationQueryParametersError: [400, 'Error parsing the X-Amz-Credential parameter.'],
  BadDigest: [400, 'The Content-MD5 you specified did not match what we received.'],
  BucketAlreadyOwnedByYou: [409, 'Your previous request to create the named bucket succeeded and you already own it.'],
  BucketNotEmpty: [409, 'The bucket you tried to delete is not empty'],
  EntityTooLarge: [400, 'Your proposed upload exceeds the maximum allowed size'],
  EntityTooSmall: [400, 'Your proposed upload is smaller than the minimum allowed object size.'],
  IncompleteBody: [400, 'You did not provide the number of bytes specified by the Content-Length HTTP header'],
  InternalError: [500, 'We encountered an internal error. Please try again.'],
  InvalidAccessKeyId: [403, 'The AWS Access Key Id you provided does not exist in our records.'],
  InvalidArgument: [400, 'Invalid Argument'],
  InvalidBucketName: [400, 'The specified bucket is not valid.'],
  InvalidDigest: [400, 'The Content-MD5 you specified is not valid.'],
  InvalidPart: [400, 'One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not match the part\'s entity tag.'],
  InvalidPartOrder: [400, 'The list of parts was not in ascending order. Parts must be ordered by part number.'],
  InvalidPolicyDocument: [400, 'Invalid Policy: Invalid JSON.'],
  InvalidRange: [416, 'The requested range is not satisfiable'],
  InvalidRequest: [400, 'Invalid Request'],
  InvalidURI: [400, 'Couldn\'t parse the specified URI.'],
  MalformedPOSTRequest: [400, 'The body of your POST request is not well-formed multipart/form-data.'],
  MalformedXML: [400, 'The XML you provided was not well-formed or did not validate against our published schema'],
  MaxMessageLengthExceeded: [400, 'Your request was too big.'],
  MaxPostPreDataLengthExceeded: [400, 'Your POST request fields preceding the upload file were too large.'],
  MethodNotAllowed: [405, 'The specified method is not allowed against this resource.'],
  MissingContentLength: [411, 'You must provide the Content-Length HTTP header.'],
  NoSuchBucket: [404, 'The specified bucket does not exist'],
  NoSuchKey: [404, 'The specified key does not exist.'],
  NoSuchUpload: [404, 'The specified multipart upload does not exist. The upload ID might be invalid, or the multipart upload might have been aborted or completed.'],
  NotImplemented: [501, 'A header you provided implies functionality that is not implemented'],
  RequestTimeTooSkewed: [403, 'The difference between the request time and the current time is too large.'],
  ServiceUnavailable: [503, 'Service is unable to handle request.'],
  SignatureDoesNotMatch: [403, 'The request signature we calculated does not match the signature you provided. Check your key and signing method.'],
  SlowDown: [503, 'Please reduce your request rate.'],
  XAmzContentSHA256Mismatch: [400, 'The provided \'x-amz-content-sha256\' header does not match what was computed.'],
};

/** Thrown inside handlers; the peer turns it into an XML error answer. */
export class S3Fail extends Error {
  constructor(
    readonly code: string,
    message?: string,
    readonly status?: number,
    /** extra elements of the <Error> answer, e.g. { HeadersNotSigned: 'x-amz-meta-a' } */
    readonly detail?: Record<string, string>,
  ) {
    super(message ?? S3_ERRORS[code]?.[1] ?? code);
  }

  /** The status to answer: the given one, else S3's for the code, else 400. */
  get httpStatus(): number {
    return this.status ?? S3_ERRORS[this.code]?.[0] ?? 400;
  }
}

/** The client went away (or a reset fault fired): nothing can be answered. */
export class ClientGone extends Error {}

export class Ctx {
  readonly requestId = randomBytes(8).toString('hex').toUpperCase();
  /** request body bytes read before the answer */
  bytesIn = 0;
  op = 'Unknown';
  partNumber?: number;
  fault?: string;
  /** 100-continue has been sent (or was never asked for) */
  continued: boolean;
  /** a reader owns the body (or it has been read whole) */
  bodyTaken = false;
  /** hex SHA-256 the header signature covers; body readers check it (undefined = unsigned payload) */
  signedSha256?: string;

  constructor(
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    /** raw path without the query string, as sent */
    readonly path: string,
    readonly query: Query,
    readonly expectContinue: boolean,
  ) {
    this.continued = !expectContinue;
  }

  q(name: string): string | undefined {
    const v = this.query[name];
    return Array.isArray(v) ? v[0] : v;
  }

  has(name: string): boolean {
    return Object.prototype.hasOwnProperty.call(this.query, name);
  }

  header(name: string): string | undefined {
    const v = this.req.headers[name];
    return Array.isArray(v) ? v.join(',') : v;
  }

  /** Call before reading the body: sends 100 Continue when the client waits for it. */
  startBody(): void {
    this.bodyTaken = true;
    if (!this.continued) {
      this.continued = true;
      this.res.writeContinue();
    }
  }

  /** Writes the answer; a body left unread is swallowed (up to DISCARD_LIMIT_BYTES) or the connection closed. */
  send(status: number, headers: Record<string, string | number> = {}, body?: string | Buffer): void {
    const { req, res } = this;
    if (res.headersSent || res.destroyed) return;
    const unread = !req.complete && !req.readableEnded;
    const h: Record<string, string | number> = { 'x-amz-request-id': this.requestId, 'x-amz-id-2': this.requestId, ...headers };
    if (unread && !this.continued) h.connection = 'close';
    if (body !== undefined && !('content-length' in h)) h['content-length'] = Buffer.byteLength(body);
    res.writeHead(status, h);
    res.end(req.method === 'HEAD' ? undefined : body);
    if (unread && this.continued) this.discardRest();
  }

  xml(status: number, inner: string, headers: Record<string, string | number> = {}): void {
    this.send(status, { 'content-type': 'application/xml', ...headers }, `<?xml version="1.0" encoding="UTF-8"?>\n${inner}`);
  }

  error(code: string, message?: string, status?: number, headers: Record<string, string | number> = {}, detail: Record<string, string> = {}): void {
    const st = status ?? S3_ERRORS[code]?.[0] ?? 400;
    const msg = message ?? S3_ERRORS[code]?.[1] ?? code;
    const resource = this.path.split('?')[0];
    const more = Object.entries(detail).map(([k, v]) => `<${k}>${xmlEscape(v)}</${k}>`).join('');
    this.xml(st, `<Error><Code>${xmlEscape(code)}</Code><Message>${xmlEscape(msg)}</Message>${more}<Resource>${xmlEscape(resource)}</Resource><RequestId>${this.requestId}</RequestId></Error>`, headers);
  }

  private discardRest(): void {
    const { req } = this;
    let dropped = 0;
    req.removeAllListeners('data');
    req.on('data', (c: Buffer) => {
      dropped += c.length;
      if (dropped > DISCARD_LIMIT_BYTES) req.socket.destroy();
    });
    req.resume();
  }
}

/** Parses a raw query string without turning '+' into spaces (SigV4 clients send %20). */
export function parseQuery(raw: string): Query {
  const q: Query = {};
  for (const part of raw.split('&')) {
    if (!part) continue;
    const i = part.indexOf('=');
    const k = decodeURIComponent(i < 0 ? part : part.slice(0, i));
    const v = i < 0 ? '' : decodeURIComponent(part.slice(i + 1));
    const prev = q[k];
    if (prev === undefined) q[k] = v;
    else q[k] = Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  return q;
}
