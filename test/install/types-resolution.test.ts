// The published types resolve for every entry point (uplift, uplift/express, uplift/sandbox,
// uplift/queue) under TypeScript's moduleResolution node (node10, the default for module
// commonjs), node16 (CommonJS and ESM files) and bundler. A throwaway project links this
// package as node_modules/uplift and runs tsc on it (needs types/ from `npm run build:ts`).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(__dirname, '..', '..');
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
let dir: string;

const useAll = `
import { Engine, putPresigned, UpliftError, type EngineOptions } from 'uplift';
import { uploadToVendor } from 'uplift/express';
import { startSandbox, type Sandbox } from 'uplift/sandbox';
import { createUploadQueue, type UploadQueue } from 'uplift/queue';
const o: EngineOptions = { caStore: 'node' };
export const used: [typeof Engine, typeof putPresigned, typeof UpliftError, typeof uploadToVendor, typeof startSandbox, Sandbox | undefined,
  typeof createUploadQueue, UploadQueue | undefined, EngineOptions] =
  [Engine, putPresigned, UpliftError, uploadToVendor, startSandbox, undefined, createUploadQueue, undefined, o];
// a wrong use must fail, so the types are real and not \`any\`
// @ts-expect-error threads is a number
export const bad: EngineOptions = { threads: 'two' };
`;

beforeAll(() => {
  if (!existsSync(join(root, 'types', 'index.d.ts'))) throw new Error('types/ is missing: run `npm run build:ts` first');
  dir = mkdtempSync(join(tmpdir(), 'uplift-types-'));
  mkdirSync(join(dir, 'node_modules'));
  symlinkSync(root, join(dir, 'node_modules', 'uplift'), 'dir');
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'types-consumer', private: true }));
  writeFileSync(join(dir, 'cjs.ts'), useAll);
  writeFileSync(join(dir, 'esm.mts'), useAll);
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const cases: [string, Record<string, string>, string[]][] = [
  ['node (node10)', { module: 'commonjs', moduleResolution: 'node' }, ['cjs.ts']],
  ['node16', { module: 'node16', moduleResolution: 'node16' }, ['cjs.ts', 'esm.mts']],
  ['bundler', { module: 'esnext', moduleResolution: 'bundler' }, ['cjs.ts']],
];

test.each(cases)('every subpath resolves with moduleResolution %s', (name, opts, files) => {
  const tsconfig = join(dir, `tsconfig.${name.split(' ')[0]}.json`);
  writeFileSync(tsconfig, JSON.stringify({
    compilerOptions: { ...opts, target: 'es2022', strict: true, noEmit: true, skipLibCheck: true, types: ['node'], typeRoots: [join(root, 'node_modules', '@types')] },
    files,
  }));
  let out = '';
  try {
    execFileSync(process.execPath, [tsc, '-p', tsconfig], { cwd: dir, encoding: 'utf8', stdio: 'pipe' });
  } catch (e) {
    out = `${(e as { stdout?: string }).stdout ?? ''}${(e as { stderr?: string }).stderr ?? ''}`;
  }
  expect(out).toBe('');
});
