// The vendor facts table (src/core/vendors/facts.json) is the one home of the limits and
// defaults both languages use: the generated C++ header and TypeScript module must be current.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { eka, kore, plaud } from '../../lib';

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
});
