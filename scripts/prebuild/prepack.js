#!/usr/bin/env node
// `npm pack` / `npm publish`: make sure the tarball carries the Linux x64 prebuild. Builds it
// (scripts/prebuild/build.sh) when prebuilds/linux-x64/ is missing; on other platforms, or
// with UPLIFT_SKIP_PREBUILD=1, packs without it (installs then build from source).
'use strict';
const { spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..', '..');
const target = path.join(root, 'prebuilds', 'linux-x64', 'uplift.glibc.node');
if (fs.existsSync(target)) {
  process.stderr.write(`uplift prepack: packing the existing ${path.relative(root, target)}\n`);
} else if (process.env.UPLIFT_SKIP_PREBUILD === '1' || process.platform !== 'linux' || process.arch !== 'x64') {
  process.stderr.write('uplift prepack: no linux-x64 prebuild in this tarball; installs will build from source\n');
} else {
  const r = spawnSync('bash', [path.join(root, 'scripts', 'prebuild', 'build.sh')], { cwd: root, stdio: ['ignore', 2, 2] });
  if (r.status !== 0) {
    process.stderr.write('uplift prepack: building the prebuild failed (see above); set UPLIFT_SKIP_PREBUILD=1 to pack without it\n');
    process.exit(1);
  }
}
