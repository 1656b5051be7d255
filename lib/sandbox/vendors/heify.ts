/**
 * Heify emulator: `POST /heify/request-upload-url` (vendor-docs/heify-request-upload-url.md)
 * answers a presigned S3 PUT (5 min) that signs x-amz-meta-configuration_id, and
 * x-amz-meta-evaluator_id / x-amz-meta-participant_id when given; the PUT must send them,
 * and no other x-amz-* header (S3: 403 AccessDenied, HeadersNotSigned).
 * Reading (sandbox `readings.heify`): 'all-ids' (default) signs every id given;
 * 'configuration-evaluator' signs configuration_id and evaluator_id only, as the doc's PUT
 * sample shows (participant_id is still checked and echoed, but not signed).
 *
 * Decisions the doc leaves open:
 * - Auth `x-api-key`: missing or unknown → 401. Error body:
 *   `{ "error": { "code": <code>, "message": <text> } }`; codes: unauthorized,
 *   validation_error (400: body, uuid format, name type), configuration_not_found,
 *   evaluator_not_found, participant_not_found (404), unsupported_media_type (415),
 *   payload_too_large (413), rate_limited (429), internal_error (5xx).
 * - `name`: every character outside printable ASCII (0x20-0x7E) is stripped; absent → null.
 * - Content-Type of the PUT is not signed (the doc only says to send one).
 * - Object: bucket `heify-uploads`, key `upload/<client id>/<transcription_id>`.
 * Fixtures (sandbox fixtures.heify): configurationId, evaluatorId, participantId, clientId.
 * Ops for faults/log: 'presign'.
 */
import { randomUUID } from 'node:crypto';
import { asObject, header, isUuid, randomHex, readJson, sendJson, snakeCode, VendorError } from './common';
import type { VendorDeps, VendorEmulator, VendorRoute } from './types';

/** Lifetime of the upload URL: 5 minutes. */
export const HEIFY_URL_TTL_SEC = 5 * 60;

export interface HeifyFixtures {
  configurationId: string;
  evaluatorId: string;
  participantId: string;
  clientId: string;
}

export function heifyFixtures(): HeifyFixtures {
  return { configurationId: randomUUID(), evaluatorId: randomUUID(), participantId: randomUUID(), clientId: `client-${randomHex(6)}` };
}

/** Keeps printable ASCII only. */
export function asciiName(name: string): string {
  return name.replace(/[^\x20-\x7E]/g, '');
}

function optionalUuid(body: Record<string, unknown>, field: string): string | undefined {
  const v = body[field];
  if (v === undefined || v === null) return undefined;
  if (!isUuid(v)) throw new VendorError(400, 'validation_error', `${field} must be a UUID`);
  return v.toLowerCase();
}

export function createHeify(deps: VendorDeps, apiKey: string, fx: HeifyFixtures): VendorEmulator {
  const presign: VendorRoute = {
    op: 'presign',
    async handle(ctx) {
      const key = header(ctx.req, 'x-api-key');
      if (!key) throw new VendorError(401, 'unauthorized', 'missing x-api-key header');
      if (key !== apiKey) throw new VendorError(401, 'unauthorized', 'invalid API key');
      const body = asObject(await readJson(ctx));
      if (!body) throw new VendorError(400, 'validation_error', 'request body must be a JSON object');
      if (body.configuration_id === undefined || body.configuration_id === null) throw new VendorError(400, 'validation_error', 'configuration_id is required');
      const configurationId = optionalUuid(body, 'configuration_id') as string;
      const evaluatorId = optionalUuid(body, 'evaluator_id');
      const participantId = optionalUuid(body, 'participant_id');
      let name: string | null = null;
      if (body.name !== undefined && body.name !== null) {
        if (typeof body.name !== 'string') throw new VendorError(400, 'validation_error', 'name must be a string');
        name = asciiName(body.name);
      }
      if (configurationId !== fx.configurationId.toLowerCase()) throw new VendorError(404, 'configuration_not_found', `configuration ${configurationId} does not exist in this account`);
      if (evaluatorId !== undefined && evaluatorId !== fx.evaluatorId.toLowerCase()) throw new VendorError(404, 'evaluator_not_found', `evaluator ${evaluatorId} does not exist in this account`);
      if (participantId !== undefined && participantId !== fx.participantId.toLowerCase()) throw new VendorError(404, 'participant_not_found', `participant ${participantId} does not exist in this account`);

      const transcriptionId = randomUUID();
      const metadata: Record<string, string> = { configuration_id: configurationId };
      if (evaluatorId) metadata.evaluator_id = evaluatorId;
      if (participantId && deps.readings.heify === 'all-ids') metadata.participant_id = participantId;
      const uploadUrl = await deps.s3.presignPut(deps.buckets.heify, `upload/${fx.clientId}/${transcriptionId}`, {
        expiresInSec: HEIFY_URL_TTL_SEC, metadata,
      });
      sendJson(ctx.res, 200, {
        data: {
          transcription_id: transcriptionId,
          upload_url: uploadUrl,
          configuration_id: configurationId,
          participant_id: participantId ?? null,
          evaluator_id: evaluatorId ?? null,
          name,
        },
      });
    },
  };

  return {
    name: 'heify',
    match(method, subPath) {
      if (subPath !== '/request-upload-url') return undefined;
      return method === 'POST' ? presign : { allow: ['POST'] };
    },
    errorBody(_status, code, message, extra) {
      return { error: { code, message, ...extra } };
    },
    defaultCode(status) {
      return status === 400 ? 'validation_error' : snakeCode(status);
    },
    async close() { /* holds nothing */ },
  };
}
