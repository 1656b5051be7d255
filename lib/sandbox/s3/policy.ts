/**
 * S3 POST policy rules, as a pure check of a decoded policy against the form fields
 * that came before the file: expiration, every condition (exact match, eq, starts-with,
 * content-length-range, bucket), and no form field left uncovered by a condition.
 */
import { S3Fail } from './context';

export interface CheckedPolicy {
  /** ms epoch */
  expiresAtMs: number;
  /** inclusive byte range of the file, when the policy sets one */
  lengthRange?: [number, number];
}

/** Form fields S3 never asks a condition for (names lower-cased). */
const EXEMPT = new Set(['x-amz-signature', 'file', 'policy', 'awsaccesskeyid', 'signature']);

const denied = (why: string): S3Fail => new S3Fail('AccessDenied', `Invalid according to Policy: ${why}`);
const invalid = (why: string): S3Fail => new S3Fail('InvalidPolicyDocument', `Invalid Policy: ${why}`);

/** Decodes the base64 `policy` field into { expiration, conditions }. */
export function decodePolicy(b64: string): { expiration: string; conditions: unknown[] } {
  let doc: unknown;
  try {
    doc = JSON.parse(Buffer.from(b64, 'base64').toString('utf8'));
  } catch {
    throw invalid('Invalid JSON.');
  }
  const d = doc as { expiration?: unknown; conditions?: unknown };
  if (!d || typeof d !== 'object') throw invalid('Invalid JSON.');
  if (typeof d.expiration !== 'string') throw invalid('Policy missing expiration.');
  if (!Array.isArray(d.conditions)) throw invalid('Policy missing conditions.');
  return { expiration: d.expiration, conditions: d.conditions };
}

/**
 * Checks the policy against `fields` (names lower-cased, values as sent) for `bucket`.
 * Expiry is checked by the caller with the returned expiresAtMs.
 */
export function checkPolicy(policy: { expiration: string; conditions: unknown[] }, fields: Record<string, string>, bucket: string): CheckedPolicy {
  const expiresAtMs = Date.parse(policy.expiration);
  if (Number.isNaN(expiresAtMs)) throw invalid(`Invalid 'expiration' value: '${policy.expiration}'`);
  const covered = new Set<string>();
  let lengthRange: [number, number] | undefined;
  const valueOf = (name: string): string => (name === 'bucket' ? bucket : fields[name] ?? '');

  for (const c of policy.conditions) {
    if (Array.isArray(c)) {
      const op = String(c[0]).toLowerCase();
      if (op === 'content-length-range') {
        const [min, max] = [Number(c[1]), Number(c[2])];
        if (c.length !== 3 || !Number.isSafeInteger(min) || !Number.isSafeInteger(max) || min < 0 || max < min) {
          throw invalid(`Invalid content-length-range condition: ${JSON.stringify(c)}`);
        }
        lengthRange = [min, max];
        continue;
      }
      if ((op !== 'eq' && op !== 'starts-with') || c.length !== 3 || typeof c[1] !== 'string' || !c[1].startsWith('$') || typeof c[2] !== 'string') {
        throw invalid(`Invalid Condition: ${JSON.stringify(c)}`);
      }
      const name = c[1].slice(1).toLowerCase();
      covered.add(name);
      const v = valueOf(name);
      const ok = op === 'eq' ? v === c[2] : v.startsWith(c[2]);
      if (!ok) throw denied(`Policy Condition failed: ${JSON.stringify(c)}`);
    } else if (c && typeof c === 'object') {
      const entries = Object.entries(c as Record<string, unknown>);
      if (entries.length !== 1 || (typeof entries[0][1] !== 'string' && typeof entries[0][1] !== 'number')) {
        throw invalid(`Invalid Simple-Condition: ${JSON.stringify(c)}`);
      }
      const [k, want] = entries[0];
      const name = k.toLowerCase();
      covered.add(name);
      if (valueOf(name) !== String(want)) throw denied(`Policy Condition failed: ${JSON.stringify(['eq', `$${k}`, want])}`);
    } else {
      throw invalid(`Invalid Condition: ${JSON.stringify(c)}`);
    }
  }

  const extra = Object.keys(fields).filter((f) => !EXEMPT.has(f) && !f.startsWith('x-ignore-') && !covered.has(f));
  if (extra.length) throw denied(`Extra input fields: ${extra.join(', ')}`);
  return { expiresAtMs, lengthRange };
}
