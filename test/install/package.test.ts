// What the packed tarball carries: LICENSE, the built JS and types, source maps that resolve
// without the TypeScript sources (their text is inlined), types for every exported subpath
// reachable through typesVersions, the loader's dependency, and no test or source-TS files.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(__dirname, '..', '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

function packedFiles(): string[] {
  // --ignore-scripts: list what `npm pack` would include without building the prebuild
  const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return (JSON.parse(out)[0].files as { path: string }[]).map((f) => f.path);
}

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
}

test('the tarball has LICENSE (MIT), the built JS, the types and the install script, and no tests or lib/*.ts', () => {
  const files = packedFiles();
  expect(pkg.license).toBe('MIT');
  expect(readFileSync(join(root, 'LICENSE'), 'utf8')).toMatch(/^MIT License/);
  for (const f of ['LICENSE', 'package.json', 'dist/index.js', 'dist/index.mjs', 'types/index.d.ts', 'types/sandbox/index.d.ts',
    'types/express.d.ts', 'scripts/install.js', 'binding.gyp', 'src/addon/addon.cc']) {
    expect(files).toContain(f);
  }
  expect(files.filter((f) => f.startsWith('test/') || /^lib\/.*\.ts$/.test(f) || f.startsWith('node_modules/'))).toEqual([]);
  expect(pkg.dependencies['node-gyp-build']).toBeDefined();
  expect(pkg.files).toContain('prebuilds/');
});

test('every source map in dist/ carries the text of each source it names', () => {
  const maps = walk(join(root, 'dist')).filter((f) => f.endsWith('.js.map'));
  expect(maps.length).toBeGreaterThan(10);
  for (const m of maps) {
    const map = JSON.parse(readFileSync(m, 'utf8'));
    expect(Array.isArray(map.sourcesContent)).toBe(true);
    expect(map.sourcesContent).toHaveLength(map.sources.length);
    for (const c of map.sourcesContent) expect(typeof c === 'string' && c.length > 0).toBe(true);
  }
});

test('typesVersions maps every exported subpath to its declaration file, which exists', () => {
  const subpaths = Object.keys(pkg.exports).filter((k) => k !== '.' && pkg.exports[k].types);
  expect(subpaths.length).toBeGreaterThanOrEqual(3);
  for (const sp of subpaths) {
    const key = sp.replace(/^\.\//, '');
    const target = pkg.typesVersions['*'][key];
    expect(target).toEqual([pkg.exports[sp].types.replace(/^\.\//, '')]);
    expect(existsSync(join(root, target[0]))).toBe(true);
  }
});
