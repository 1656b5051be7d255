/**
 * Scripe emulator: `POST /scripe/v1/uploads` mints one presigned S3 PUT (15 min) that
 * signs Content-Type and carries the size cap (vendor-docs/scripe-uploads.md).
 *
 * Decisions the doc leaves open:
 * - Caps by reading (sandbox `readings.scripe`): 'mib' (default) and 'exact-length' use
 *   binary units, MB = 2^20, GB = 2^30 (audio 500 MiB, video 1 GiB, documents 50 MiB,
 *   images 25 MiB; the doc's own sample 104857600 is binary); 'mb' uses decimal units
 *   (audio 500,000,000, video 1,000,000,000, documents 50,000,000, images 25,000,000).
 * - What the URL enforces: the size cap (default), or under 'exact-length' a signed
 *   `Content-Length: <maxSizeBytes>` (a PUT of another size → 403 SignatureDoesNotMatch).
 * - Error body: `{ "error": { "code": <table code>, "message": <text> } }`, statuses and
 *   codes exactly as the doc's table; a non-JSON Content-Type → 400 invalid_request.
 * - `Scripe-Api-Version` is required and must be a known version (400 invalid_request).
 * - Keys (sandbox credentials.scripe): apiKey (scopes sources:write, knowledge:write);
 *   revokedApiKey → 401 key_revoked; expiredApiKey → 401 key_expired; noScopeApiKey →
 *   403 scope_missing; planIneligibleApiKey → 403 plan_not_eligible; any other bearer
 *   → 401 invalid_token; no bearer → 401 unauthenticated. 429/503 via faults; an S3
 *   presign failure → 503 service_unavailable.
 * - Object: bucket `scripe-uploads`, key `api-uploads/<workspace>/<upl_...>`.
 * Ops for faults/log: 'presign'.
 */
import { randomBytes } from 'node:crypto';
import { asObject, bearerToken, header, readJson, sendJson, snakeCode, VendorError } from './common';
import type { VendorContext, VendorDeps, VendorEmulator, VendorRoute } from './types';

export const SCRIPE_API_VERSIONS = ['2026-08-01'];
/** Lifetime of the presigned PUT: 15 minutes. */
export const SCRIPE_URL_TTL_SEC = 15 * 60;

const MiB = 1024 * 1024;
/** Allow-listed content types → cap in bytes. */
export const SCRIPE_CAPS: Readonly<Record<string, number>> = {
  'audio/mpeg': 500 * MiB, 'audio/wav': 500 * MiB, 'audio/mp4': 500 * MiB,
  'video/mp4': 1024 * MiB, 'video/quicktime': 1024 * MiB,
  'application/pdf': 50 * MiB, 'text/plain': 50 * MiB, 'text/markdown': 50 * MiB, 'text/html': 50 * MiB,
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': 50 * MiB,
  'image/png': 25 * MiB, 'image/jpeg': 25 * MiB,
};

/** The allow-listed caps in decimal units (reading 'mb'). */
export const SCRIPE_CAPS_MB: Readonly<Record<string, number>> = Object.fromEntries(
  Object.entries(SCRIPE_CAPS).map(([t, c]) => [t, (c / MiB) * 1_000_000]),
);

export interface ScripeKeys {
  apiKey: string;
  revokedApiKey: string;
  expiredApiKey: string;
  noScopeApiKey: string;
  planIneligibleApiKey: string;
}

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
/** A ULID-like id: 10 chars of time, 16 of randomness (Crockford base32). */
function ulid(): string {
  let t = Date.now();
  let time = '';
  for (let i = 0; i < 10; i++) { time = CROCKFORD[t % 32] + time; t = Math.floor(t / 32); }
  const r = randomBytes(16);
  let rand = '';
  for (let i = 0; i < 16; i++) rand += CROCKFORD[r[i] % 32];
  return time + rand;
}

export function scripeKeys(): ScripeKeys {
  const k = (): string => `scripe_sk_test_${randomBytes(18).toString('base64url')}`;
  return { apiKey: k(), revokedApiKey: k(), expiredApiKey: k(), noScopeApiKey: k(), planIneligibleApiKey: k() };
}

export function createScripe(deps: VendorDeps, keys: ScripeKeys): VendorEmulator {
  const workspace = `ws_${ulid()}`;
  const caps = deps.readings.scripe === 'mb' ? SCRIPE_CAPS_MB : SCRIPE_CAPS;
  const exactLength = deps.readings.scripe === 'exact-length';

  function authenticate(ctx: VendorContext): void {
    if (ctx.req.headers.authorization === undefined) throw new VendorError(401, 'unauthenticated', 'missing Authorization: Bearer <api key>');
    const key = bearerToken(ctx.req);
    if (!key) throw new VendorError(401, 'unauthenticated', 'Authorization must be "Bearer <api key>"');
    if (key === keys.revokedApiKey) throw new VendorError(401, 'key_revoked', 'this API key has been revoked');
    if (key === keys.expiredApiKey) throw new VendorError(401, 'key_expired', 'this API key has expired');
    if (key === keys.noScopeApiKey) throw new VendorError(403, 'scope_missing', 'this API key needs the sources:write or knowledge:write scope');
    if (key === keys.planIneligibleApiKey) throw new VendorError(403, 'plan_not_eligible', 'the workspace plan does not include API uploads');
    if (key !== keys.apiKey) throw new VendorError(401, 'invalid_token', 'API key not recognised');
  }

  const presign: VendorRoute = {
    op: 'presign',
    async handle(ctx) {
      authenticate(ctx);
      const version = header(ctx.req, 'scripe-api-version');
      if (!version) throw new VendorError(400, 'invalid_request', 'missing Scripe-Api-Version header');
      if (!SCRIPE_API_VERSIONS.includes(version)) throw new VendorError(400, 'invalid_request', `unknown Scripe-Api-Version ${JSON.stringify(version)}; known: ${SCRIPE_API_VERSIONS.join(', ')}`);
      const raw = await readJson(ctx, { unsupportedStatus: 400 });
      const body = asObject(raw);
      if (!body) throw new VendorError(400, 'invalid_request', 'request body must be a JSON object');
      const contentType = body.contentType;
      if (contentType === undefined || contentType === null || contentType === '') throw new VendorError(400, 'invalid_request', 'contentType is required');
      if (typeof contentType !== 'string') throw new VendorError(400, 'invalid_request', 'contentType must be a string');
      const cap = caps[contentType];
      if (cap === undefined) throw new VendorError(422, 'unprocessable', `contentType ${JSON.stringify(contentType)} is not allowed; allowed: ${Object.keys(caps).join(', ')}`);
      let maxSizeBytes = cap;
      if (body.maxSizeBytes !== undefined && body.maxSizeBytes !== null) {
        const m = body.maxSizeBytes;
        if (typeof m !== 'number') throw new VendorError(400, 'invalid_request', 'maxSizeBytes must be an integer');
        if (!Number.isSafeInteger(m) || m < 1) throw new VendorError(422, 'unprocessable', 'maxSizeBytes must be an integer >= 1');
        if (m > cap) throw new VendorError(422, 'unprocessable', `maxSizeBytes ${m} is over the ${cap}-byte cap for ${contentType}`);
        maxSizeBytes = m;
      }
      const uploadId = `upl_${ulid()}`;
      const signedAt = Date.now();
      let uploadUrl: string;
      try {
        uploadUrl = await deps.s3.presignPut(deps.buckets.scripe, `api-uploads/${workspace}/${uploadId}`, {
          expiresInSec: SCRIPE_URL_TTL_SEC, contentType, ...(exactLength ? { contentLength: maxSizeBytes } : { maxSizeBytes }),
        });
      } catch {
        throw new VendorError(503, 'service_unavailable', 'could not sign the upload URL (storage unavailable)');
      }
      sendJson(ctx.res, 200, {
        data: {
          id: `upl_${workspace}--${uploadId}`,
          uploadUrl,
          method: 'PUT',
          contentType,
          maxSizeBytes,
          expiresAt: new Date(signedAt + SCRIPE_URL_TTL_SEC * 1000).toISOString(),
        },
      });
    },
  };

  return {
    name: 'scripe',
    match(method, subPath) {
      if (subPath !== '/v1/uploads') return undefined;
      return method === 'POST' ? presign : { allow: ['POST'] };
    },
    errorBody(_status, code, message, extra) {
      return { error: { code, message, ...extra } };
    },
    defaultCode(status) {
      if (status === 401) return 'unauthenticated';
      if (status === 403) return 'scope_missing';
      if (status === 413 || status === 415) return 'invalid_request';
      return snakeCode(status);
    },
    async close() { /* holds nothing */ },
  };
}
