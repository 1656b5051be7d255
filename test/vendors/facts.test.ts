// The vendor facts table (src/core/vendors/facts.json) is the one home of the limits and
// defaults both languages use, the error table (src/core/errors.json) that of the codes and
// retry rules: the generated C++ headers and TypeScript modules must be current.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { eka, kore, plaud, scripe } from '../../lib';
import { RETRY_HTTP_STATUSES } from '../../lib/error-codes';
import { AuthError, HttpError, NetworkError, TimeoutError, codes, defaultRetryable } from '../../lib/errors';

const root = join(__dirname, '..', '..');

test('facts.h and lib/vendors/facts.ts are generated from facts.json and current', () => {
  expect(() => execFileSync(process.execPath, [join(root, 'scripts', 'vendor-facts.js'), '--check'], { stdio: 'pipe' })).not.toThrow();
  const table = JSON.parse(readFileSync(join(root, 'src/core/vendors/facts.json'), 'utf8'));
  expect(kore.KORE_SINGLE_LIMIT_BYTES).toBe(table.kore.singleLimitBytes.value);
  expect(kore.KORE_MAX_CHUNK_BYTES).toBe(table.kore.maxChunkBytes.value);
  expect(plaud.PLAUD_MAX_FILE_BYTES).toBe(table.plaud.maxFileBytes.value);
  expect(eka.EKA_DEFAULT_CONCURRENCY).toBe(table.eka.defaultConcurrency.value);
  const header = readFileSync(join(root, 'src/core/vendors/facts.h'), 'utf8');
  expect(header).toContain(`kKoreSingleLimitBytes = ${table.kore.singleLimitBytes.value}ull`);
  // text facts too: the default Scripe-Api-Version and Kore file name live in the table alone
  expect(scripe.SCRIPE_DEFAULT_API_VERSION).toBe(table.scripe.defaultApiVersion.value);
  expect(header).toContain(`kScripeDefaultApiVersion = "${table.scripe.defaultApiVersion.value}";`);
  expect(header).toContain(`kKoreDefaultFileName = "${table.kore.defaultFileName.value}";`);
  for (const f of ['scripe.cc', 'kore.cc']) expect(readFileSync(join(root, 'src/core/vendors', f), 'utf8')).not.toMatch(/"2026-\d\d-\d\d"|"fileName", "file"/);
});

test('error codes, their retryable defaults and the retried statuses come from src/core/errors.json on both sides', () => {
  const table = JSON.parse(readFileSync(join(root, 'src/core/errors.json'), 'utf8'));
  expect(Object.keys(codes)).toEqual(Object.keys(table.codes));
  for (const [code, c] of Object.entries(table.codes as Record<string, { name: string; doc: string }>)) {
    expect(codes[code as keyof typeof codes]).toBe(c.doc);
  }
  // The TS classes take their default from the table: flip a rule there and these follow.
  expect(new HttpError('m', { status: 408 }).retryable).toBe(defaultRetryable('ERR_UPLIFT_HTTP', { status: 408 }));
  expect(defaultRetryable('ERR_UPLIFT_HTTP', { status: 501 })).toBe(true);
  expect(defaultRetryable('ERR_UPLIFT_HTTP', { status: 404 })).toBe(false);
  expect(defaultRetryable('ERR_UPLIFT_VENDOR', {})).toBe(false);
  expect(new TimeoutError('m', { kind: 'stall' }).retryable).toBe(true);
  expect(new TimeoutError('m', { kind: 'response' }).retryable).toBe(false);
  expect(new NetworkError('m').retryable).toBe(table.codes.ERR_UPLIFT_NETWORK.retryable);
  expect(new AuthError('m').retryable).toBe(table.codes.ERR_UPLIFT_AUTH.retryable);
  expect(RETRY_HTTP_STATUSES).toEqual(table.retry.httpStatuses.value);
  // The C++ side: codes::k<name> and retry_facts are generated into error_codes.h, and
  // error.h holds no code of its own.
  const header = readFileSync(join(root, 'src/core/error_codes.h'), 'utf8');
  for (const [code, c] of Object.entries(table.codes as Record<string, { name: string }>)) {
    expect(header).toContain(`inline constexpr const char* k${c.name} = "${code}";`);
  }
  expect(header).toContain(`kHttpStatuses[] = {${table.retry.httpStatuses.value.join(', ')}};`);
  expect(readFileSync(join(root, 'src/core/error.h'), 'utf8')).not.toMatch(/"ERR_UPLIFT_/);
});
