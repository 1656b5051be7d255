/**
 * Fault injection for the sandbox servers. A test adds rules; each server calls
 * `take()` once per request before handling it and applies the returned action.
 * Shared by the S3 peer and the vendor emulators; not thread-shared (one event loop).
 */

export type FaultAction =
  /** answer with this status (S3-shaped XML error for s3, JSON for vendors; 503 + 'SlowDown' is S3's throttle) */
  | { status: number; code?: string; message?: string; retryAfterSec?: number }
  /** destroy the socket after reading this many request body bytes; no answer */
  | { resetAfterBytes: number }
  /** wait this many ms before handling (then handle normally) */
  | { stallMs: number }
  /** vendors only: 200 with a truncated/invalid JSON body */
  | { malformedJson: true }
  /** vendors only: read and drop the request body, then answer 200 with this JSON (the request is not handled: a lost write) */
  | { json: unknown };

export interface FaultRule {
  target: string;
  op?: string;
  partNumber?: number;
  pathIncludes?: string;
  /** how many matching requests to fail; default 1 */
  times?: number;
  action: FaultAction;
}

/** Short text for logs, e.g. 'status 503 SlowDown', 'reset after 1024 bytes'. */
export function describeFault(a: FaultAction): string {
  if ('status' in a) return `status ${a.status}${a.code ? ` ${a.code}` : ''}`;
  if ('resetAfterBytes' in a) return `reset after ${a.resetAfterBytes} bytes`;
  if ('stallMs' in a) return `stall ${a.stallMs} ms`;
  if ('json' in a) return 'answered 200 without handling';
  return 'malformed json';
}

interface PendingRule {
  rule: FaultRule;
  /** uses left; the rule is dropped at 0 */
  left: number;
}

export class Faults {
  private rules: PendingRule[] = [];
  /** ms epoch; presigned URLs/policies signed at or before it are expired (0 = none) */
  private cutoff = 0;

  /** Fail the next `times` (default 1) requests matching the rule; rules apply in insertion order. */
  add(rule: FaultRule): void {
    const times = rule.times ?? 1;
    if (!Number.isInteger(times) || times < 1) throw new RangeError(`FaultRule.times must be an integer >= 1, got ${String(rule.times)}`);
    this.rules.push({ rule: { ...rule }, left: times });
  }

  /** Called by a server once per request; consumes one use of the first matching rule. */
  take(target: string, op: string, path: string, partNumber?: number): FaultAction | undefined {
    const i = this.rules.findIndex(({ rule }) =>
      rule.target === target &&
      (rule.op === undefined || rule.op === op) &&
      (rule.partNumber === undefined || rule.partNumber === partNumber) &&
      (rule.pathIncludes === undefined || path.includes(rule.pathIncludes)));
    if (i < 0) return undefined;
    const p = this.rules[i];
    p.left -= 1;
    if (p.left <= 0) this.rules.splice(i, 1);
    return p.rule.action;
  }

  /** Every presigned URL or POST policy signed at or before now answers 403 "Request has expired". */
  expireUrlsNow(): void {
    this.cutoff = Date.now();
  }

  /** ms epoch cut-off set by expireUrlsNow (0 = none). */
  expiredBefore(): number {
    return this.cutoff;
  }

  clear(): void {
    this.rules = [];
    this.cutoff = 0;
  }

  /** Rules not used up yet, each with its remaining `times`. */
  pending(): FaultRule[] {
    return this.rules.map(({ rule, left }) => ({ ...rule, times: left }));
  }
}
