#!/usr/bin/env node
// Builds the native addon at `npm install` time, offline, unless a prebuilt binary
// (prebuilds/<platform>-<arch>/, loaded by node-gyp-build) matches and loads here: then
// it compiles nothing. UPLIFT_BUILD_FROM_SOURCE=1 forces the source build.
// 1. Checks the system packages the build needs (libcurl with OpenSSL, RapidJSON, a C++
//    compiler, make, python3 for node-gyp). When some are missing: as root with apt-get,
//    installs them; otherwise prints the exact command and stops with a clear message.
// 2. Runs node-gyp against the Node headers that ship beside this Node binary (never
//    downloads headers).
'use strict';
const { spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..');
const APT_PACKAGES = ['libcurl4-openssl-dev', 'rapidjson-dev', 'g++', 'make', 'python3', 'pkg-config'];

function has(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

function missingPackages() {
  const missing = [];
  const curlHeader = ['/usr/include/curl/curl.h', '/usr/include/x86_64-linux-gnu/curl/curl.h',
    '/usr/include/aarch64-linux-gnu/curl/curl.h'].some((p) => fs.existsSync(p));
  if (!curlHeader) missing.push('libcurl4-openssl-dev');
  if (!fs.existsSync('/usr/include/rapidjson/document.h')) missing.push('rapidjson-dev');
  if (!has('g++') && !has('c++')) missing.push('g++');
  if (!has('make')) missing.push('make');
  if (!has('python3')) missing.push('python3');
  return missing;
}

function fail(lines) {
  process.stderr.write(`\nuplift: cannot build the native addon.\n${lines.map((l) => `  ${l}`).join('\n')}\n\n`);
  process.exit(1);
}

function ensureSystemPackages() {
  let missing = missingPackages();
  if (missing.length === 0) return;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const cmd = `apt-get install -y ${missing.join(' ')}`;
  if (isRoot && has('apt-get') && process.env.UPLIFT_NO_APT !== '1') {
    process.stderr.write(`uplift: installing missing system packages: ${missing.join(', ')}\n`);
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
    const r = spawnSync('apt-get', ['install', '-y', '-qq', ...missing], { stdio: 'inherit', env });
    missing = missingPackages();
    if (r.status === 0 && missing.length === 0) return;
  }
  fail([
    `Missing system packages: ${missing.join(', ')}.`,
    `Install them, then run npm install again:`,
    `  sudo ${cmd}`,
  ]);
}

function nodeHeadersDir() {
  // Node's own headers: <prefix>/include/node beside <prefix>/bin/node.
  const candidates = [
    process.env.npm_config_nodedir,
    path.resolve(path.dirname(process.execPath), '..'),
    '/usr',
    '/usr/local',
  ].filter(Boolean);
  for (const dir of candidates) {
    if (fs.existsSync(path.join(dir, 'include', 'node', 'node_api.h'))) return dir;
  }
  return undefined;
}

function nodeGyp() {
  const fromNpm = process.env.npm_config_node_gyp;
  if (fromNpm && fs.existsSync(fromNpm)) return fromNpm;
  const bundled = path.join(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm',
    'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
  if (fs.existsSync(bundled)) return bundled;
  try {
    return require.resolve('node-gyp/bin/node-gyp.js');
  } catch {
    return undefined;
  }
}

// prebuilds/<platform>-<arch>/*.node for this libc, for a tree without node-gyp-build.
function prebuildIn() {
  const dir = path.join(root, 'prebuilds', `${process.platform}-${process.arch}`);
  if (!fs.existsSync(dir)) return undefined;
  const report = process.report && process.report.getReport();
  const musl = process.platform === 'linux' && !(report && report.header && report.header.glibcVersionRuntime);
  const file = fs.readdirSync(dir).find((f) => f.endsWith('.node') && f.includes('.musl.') === musl);
  return file ? path.join(dir, file) : undefined;
}

// The prebuilt binary for this platform, when one matches and loads; else undefined.
function usablePrebuild() {
  if (process.env.UPLIFT_BUILD_FROM_SOURCE === '1') return undefined;
  if (!fs.existsSync(path.join(root, 'prebuilds'))) return undefined;
  process.env.PREBUILDS_ONLY = '1'; // node-gyp-build: ignore any local build/ directory
  let file;
  try {
    file = require('node-gyp-build').path(root);
  } catch (e) {
    if (e && e.code === 'MODULE_NOT_FOUND' && /node-gyp-build/.test(e.message)) file = prebuildIn();
    if (!file) {
      process.stderr.write(`uplift: no prebuilt binary for ${process.platform}-${process.arch}; building from source\n`);
      return undefined;
    }
  }
  try {
    require(file);
  } catch (e) {
    process.stderr.write(`uplift: the prebuilt binary does not load here (${String(e.message).split('\n')[0]}); building from source\n`);
    return undefined;
  }
  return file;
}

function main() {
  const prebuilt = usablePrebuild();
  if (prebuilt) {
    process.stdout.write(`uplift: using the prebuilt binary ${path.relative(root, prebuilt)}\n`);
    return;
  }
  ensureSystemPackages();
  const nodedir = nodeHeadersDir();
  if (!nodedir) {
    fail([
      `Node's headers (include/node/node_api.h) were not found beside ${process.execPath}.`,
      "Debian's and Ubuntu's own nodejs package keeps them in libnode-dev:",
      '  sudo apt-get install libnode-dev',
      'The official tarballs and NodeSource packages ship them; or set npm_config_nodedir',
      "to Node's install prefix.",
    ]);
  }
  const gyp = nodeGyp();
  if (!gyp) fail(['node-gyp was not found (it ships with npm); reinstall npm.']);
  const jobs = String(Math.max(1, Math.min(2, require('os').cpus().length)));
  const args = [gyp, 'rebuild', `--nodedir=${nodedir}`, '-j', jobs];
  if (process.env.UPLIFT_DEBUG_BUILD === '1') args.push('--debug');
  const r = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) fail(['node-gyp failed; see the compiler output above.']);
}

main();
