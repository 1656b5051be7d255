// How the package finds its addon: node-gyp-build takes a local build first, else the
// prebuilt binary in prebuilds/linux-x64/; the install script compiles nothing when that
// prebuild loads; UPLIFT_ADDON_PATH wins over both; a missing addon is a typed error that
// says what to do. Each case runs in a child process on a copy of the built package
// (dist/, scripts/install.js, package.json, binding.gyp) in a temp folder.
import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(__dirname, '..', '..');
const built = join(root, 'build', 'Release', 'uplift.node');
let dir: string;

/** A copy of the package without build/: dist, the install script, package.json, binding.gyp. */
function makePackage(name: string, withPrebuild: boolean): string {
  const pkg = join(dir, name);
  mkdirSync(join(pkg, 'scripts'), { recursive: true });
  cpSync(join(root, 'dist'), join(pkg, 'dist'), { recursive: true });
  for (const f of ['package.json', 'binding.gyp', 'scripts/install.js']) copyFileSync(join(root, f), join(pkg, f));
  symlinkSync(join(root, 'node_modules'), join(pkg, 'node_modules'), 'dir');
  if (withPrebuild) {
    mkdirSync(join(pkg, 'prebuilds', 'linux-x64'), { recursive: true });
    copyFileSync(built, join(pkg, 'prebuilds', 'linux-x64', 'uplift.glibc.node'));
  }
  return pkg;
}

const MAKE_ENGINE = `
const u = require('./dist/index.js');
try { const e = new u.Engine(); e.close(); console.log('loaded'); }
catch (err) { console.log(JSON.stringify({ code: err.code, message: err.message })); }`;

function run(cwd: string, args: string[], env: Record<string, string | undefined> = {}) {
  const r = spawnSync(process.execPath, args, { cwd, encoding: 'utf8', env: { ...process.env, UPLIFT_ADDON_PATH: undefined, UPLIFT_NO_APT: '1', ...env } });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

beforeAll(() => {
  if (!existsSync(built) || !existsSync(join(root, 'dist', 'index.js'))) throw new Error('build the addon and dist/ first (npm run build)');
  dir = mkdtempSync(join(tmpdir(), 'uplift-loader-'));
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('without build/, the prebuilt binary in prebuilds/linux-x64/ is loaded', () => {
  const pkg = makePackage('with-prebuild', true);
  const r = run(pkg, ['-e', MAKE_ENGINE]);
  expect(r.out.trim()).toBe('loaded');
});

test('the install script uses a prebuild that loads and compiles nothing', () => {
  const pkg = makePackage('install-prebuild', true);
  const r = run(pkg, ['scripts/install.js']);
  expect(r.status).toBe(0);
  expect(r.out).toContain('uplift: using the prebuilt binary prebuilds/linux-x64/uplift.glibc.node');
  expect(r.out).not.toMatch(/gyp info/);
  expect(existsSync(join(pkg, 'build'))).toBe(false);
});

test('no addon anywhere: ERR_UPLIFT_INTERNAL naming npm rebuild and UPLIFT_ADDON_PATH', () => {
  const pkg = makePackage('none', false);
  const r = run(pkg, ['-e', MAKE_ENGINE]);
  const err = JSON.parse(r.out.trim());
  expect(err.code).toBe('ERR_UPLIFT_INTERNAL');
  expect(err.message).toContain('npm rebuild uplift');
  expect(err.message).toContain('UPLIFT_ADDON_PATH');
});

test('UPLIFT_ADDON_PATH loads the named file; a wrong path is a typed error naming it', () => {
  const pkg = makePackage('explicit', false);
  expect(run(pkg, ['-e', MAKE_ENGINE], { UPLIFT_ADDON_PATH: built }).out.trim()).toBe('loaded');
  const err = JSON.parse(run(pkg, ['-e', MAKE_ENGINE], { UPLIFT_ADDON_PATH: join(dir, 'nope.node') }).out.trim());
  expect(err.code).toBe('ERR_UPLIFT_INTERNAL');
  expect(err.message).toContain('nope.node');
});
