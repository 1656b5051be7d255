// Test data on tmpfs, made once per benchmark run: files of pseudo-random bytes (each MiB is a
// random block stamped with its index, so parts differ), their MD5, the part files that the
// curl CLI uploads, and many small files for the form scenario.
'use strict';
const crypto = require('crypto');
const fs = require('fs');
const path = require('path');

const MiB = 1024 * 1024;
let block;

/** Writes `bytes` bytes to `file`; resolves its lowercase hex MD5. */
function makeFile(file, bytes) {
  block = block || crypto.randomBytes(MiB);
  const md5 = crypto.createHash('md5');
  const fd = fs.openSync(file, 'w');
  try {
    for (let off = 0, i = 0; off < bytes; off += MiB, i++) {
      const len = Math.min(MiB, bytes - off);
      block.writeUInt32BE(i, 0);
      block.writeUInt32BE(bytes >>> 0, 4);
      const chunk = block.subarray(0, len);
      fs.writeSync(fd, chunk);
      md5.update(chunk);
    }
  } finally {
    fs.closeSync(fd);
  }
  return md5.digest('hex');
}

/** Splits `file` into part files of `partSize` bytes in `dir`; returns their paths in order. */
function splitFile(file, partSize, dir) {
  fs.mkdirSync(dir, { recursive: true });
  const size = fs.statSync(file).size;
  const fd = fs.openSync(file, 'r');
  const buf = Buffer.allocUnsafe(partSize);
  const out = [];
  try {
    for (let off = 0, n = 1; off < size; off += partSize, n++) {
      const len = Math.min(partSize, size - off);
      fs.readSync(fd, buf, 0, len, off);
      const p = path.join(dir, `part-${String(n).padStart(5, '0')}`);
      fs.writeFileSync(p, buf.subarray(0, len));
      out.push(p);
    }
  } finally {
    fs.closeSync(fd);
  }
  return out;
}

/** `count` files of `bytes` each in `dir` (names like rec-0001.wav); returns their paths. */
function makeSmallFiles(dir, count, bytes) {
  fs.mkdirSync(dir, { recursive: true });
  const out = [];
  for (let i = 0; i < count; i++) {
    const p = path.join(dir, `rec-${String(i + 1).padStart(4, '0')}.wav`);
    const b = crypto.randomBytes(bytes);
    fs.writeFileSync(p, b);
    out.push(p);
  }
  return out;
}

module.exports = { makeFile, splitFile, makeSmallFiles, MiB };
