/**
 * The Swift (s3api) target of the interop tests, from the variables that
 * scripts/swift/start.sh prints: UPLIFT_SWIFT_ENDPOINT, UPLIFT_SWIFT_ACCESS_KEY,
 * UPLIFT_SWIFT_SECRET_KEY, UPLIFT_SWIFT_REGION (default us-east-1).
 * UPLIFT_REQUIRE_SWIFT=1 makes suites fail instead of skipping when it is absent.
 */
import type { S3Target } from '../../lib/sandbox/s3/client';

export function swiftTarget(): S3Target | undefined {
  const endpoint = process.env.UPLIFT_SWIFT_ENDPOINT;
  const accessKeyId = process.env.UPLIFT_SWIFT_ACCESS_KEY;
  const secretAccessKey = process.env.UPLIFT_SWIFT_SECRET_KEY;
  if (!endpoint || !accessKeyId || !secretAccessKey) return undefined;
  return { endpoint, accessKeyId, secretAccessKey, region: process.env.UPLIFT_SWIFT_REGION || 'us-east-1' };
}

export function swiftRequired(): boolean {
  return process.env.UPLIFT_REQUIRE_SWIFT === '1';
}

/** What to run when Swift is absent, for the message and the failure. */
export const SWIFT_HOWTO = 'start it with: bash scripts/swift/install.sh && bash scripts/swift/start.sh /tmp/uplift-swift && set -a && . /tmp/uplift-swift/env && set +a';

/** Status, S3 error code and message of a fetch answer (code '' when the body is no S3 error). */
export async function s3Answer(res: Response): Promise<{ status: number; code: string; message: string; body: string }> {
  const body = await res.text();
  const code = /<Code>([^<]*)<\/Code>/.exec(body)?.[1] ?? '';
  const message = /<Message>([^<]*)<\/Message>/.exec(body)?.[1] ?? '';
  return { status: res.status, code, message, body };
}
