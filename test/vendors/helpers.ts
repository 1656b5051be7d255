// Shared set-up of the vendor client suites: one sandbox, one engine with short backoffs and
// a temp folder per suite, all stopped/removed after the suite; random files made at test time.
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Engine } from '../../lib';
import { startSandbox, type LogEntry, type Sandbox, type SandboxReadings } from '../../lib/sandbox';

export const MiB = 1024 * 1024;

export const md5 = (b: Uint8Array): string => createHash('md5').update(b).digest('hex');

export interface Suite {
  sb: Sandbox;
  engine: Engine;
  dir: string;
}

/**
 * Registers beforeAll/afterAll/afterEach hooks; the returned object is filled in beforeAll.
 * The vendor suites call it once per reading of their vendor (SANDBOX_READINGS).
 */
export function useSuite(prefix: string, readings: Partial<SandboxReadings> = {}): Suite {
  const s = {} as Suite;
  beforeAll(async () => {
    s.sb = await startSandbox({ readings });
    s.engine = new Engine({ retry: { baseDelayMs: 10, maxDelayMs: 3000 } });
    s.dir = mkdtempSync(join(tmpdir(), `uplift-${prefix}-`));
  });
  afterAll(async () => {
    await s.engine?.close();
    await s.sb?.close();
    if (s.dir) rmSync(s.dir, { recursive: true, force: true });
  });
  afterEach(() => {
    s.sb.faults.clear();
  });
  return s;
}

export interface TestFile { path: string; data: Buffer; md5: string }

/** Writes `size` random bytes to `<dir>/<name>`. */
export function makeFile(dir: string, name: string, size: number): TestFile {
  const data = randomBytes(size);
  const path = join(dir, name);
  writeFileSync(path, data);
  return { path, data, md5: md5(data) };
}

/** The rejection of `p` (fails the test when `p` resolves). */
export async function rejection(p: Promise<unknown>): Promise<Record<string, unknown> & Error> {
  try {
    await p;
  } catch (e) {
    return e as Record<string, unknown> & Error;
  }
  throw new Error('expected a rejection, but the promise resolved');
}

/** Log entries after index `from` (take `sb.log.entries().length` before the call). */
export function logSince(sb: Sandbox, from: number): LogEntry[] {
  return sb.log.entries().slice(from);
}

/** Resolves once `cond()` is true; rejects after `timeoutMs` (default 4000). */
export async function waitFor(cond: () => boolean, timeoutMs = 4000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
