// Runs inside the minimal Debian root filesystem against an installed uplift tarball:
// Plaud multipart and Eka form uploads to the sandbox, an HTTPS PUT to a loopback server whose
// CA is trusted only through NODE_EXTRA_CA_CERTS, and a PUT to a server with an untrusted
// certificate that must fail with ERR_UPLIFT_TLS. Prints one JSON line; exits 0 only if all hold.
//   node smoke.js <certs dir: ca.pem, good.key, good.pem, rogue.key, rogue.pem>
'use strict';
const crypto = require('crypto');
const fs = require('fs');
const https = require('https');
const os = require('os');
const path = require('path');
const uplift = require('uplift');
const { startSandbox } = require('uplift/sandbox');

const certs = process.argv[2];
const md5 = (b) => crypto.createHash('md5').update(b).digest('hex');
const read = (n) => fs.readFileSync(path.join(certs, n));

function tlsSink(key, cert) {
  const bodies = [];
  const server = https.createServer({ key, cert }, (req, res) => {
    const h = crypto.createHash('md5');
    let n = 0;
    req.on('data', (c) => { n += c.length; h.update(c); });
    req.on('end', () => { const hex = h.digest('hex'); bodies.push({ n, hex }); res.writeHead(200, { etag: `"${hex}"` }); res.end(); });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({
    url: `https://127.0.0.1:${server.address().port}`, bodies,
    close: () => new Promise((r) => { server.closeAllConnections?.(); server.close(() => r()); }),
  })));
}

async function main() {
  const out = { node: process.version, checks: {} };
  const pkgDir = path.dirname(require.resolve('uplift/package.json'));
  out.buildDirPresent = fs.existsSync(path.join(pkgDir, 'build'));
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'uplift-smoke-'));
  const sb = await startSandbox();
  const good = await tlsSink(read('good.key'), read('good.pem'));
  const rogue = await tlsSink(read('rogue.key'), read('rogue.pem'));
  try {
    // Plaud: S3 multipart (5 MiB parts), ETags and whole-file MD5
    const audio = crypto.randomBytes(12 * 1024 * 1024 + 12345);
    const file = path.join(tmp, 'meeting.mp3');
    fs.writeFileSync(file, audio);
    let partsTotal = 0;
    const p = uplift.plaud.client({ token: sb.credentials.plaud.token, baseUrl: sb.urls.plaud });
    const pr = await p.uploadFile(file, { onProgress: (x) => { partsTotal = x.partsTotal; } });
    const stored = sb.objects().find((o) => o.size === audio.length);
    out.checks.plaudMultipart = !!pr.fileId && partsTotal >= 3 && !!stored && stored.md5 === md5(audio);

    // Eka: one presign, one S3 POST form per file
    const wav = crypto.randomBytes(3 * 1024 * 1024 + 7);
    const wfile = path.join(tmp, 'part1.wav');
    fs.writeFileSync(wfile, wav);
    const e = uplift.eka.client({ token: sb.credentials.eka.token, baseUrl: sb.urls.eka });
    const er = await e.uploadFiles([wfile], { txnId: 'txn_smoke' });
    const ekaObj = sb.objects().find((o) => o.size === wav.length);
    out.checks.ekaForm = er.files.length === 1 && !!ekaObj && ekaObj.md5 === md5(wav);

    // HTTPS PUT, CA trusted only through NODE_EXTRA_CA_CERTS (no /etc/ssl/certs here)
    const body = crypto.randomBytes(2 * 1024 * 1024 + 3);
    const r = await uplift.putPresigned(`${good.url}/bucket/trusted.bin`, body);
    out.checks.httpsTrustedViaExtraCa = r.status === 200 && good.bodies.some((b) => b.n === body.length && b.hex === md5(body));

    // untrusted certificate: typed TLS error, no body delivered
    let code;
    try {
      await uplift.putPresigned(`${rogue.url}/bucket/rogue.bin`, crypto.randomBytes(1024), { retry: { maxAttempts: 1 } });
      code = 'no error';
    } catch (err) {
      code = err.code;
    }
    out.checks.untrustedIsTlsError = code === 'ERR_UPLIFT_TLS' && rogue.bodies.length === 0;
    out.untrustedCode = code;
    out.noSystemCaStore = !fs.existsSync('/etc/ssl/certs/ca-certificates.crt');
  } finally {
    await sb.close();
    await good.close();
    await rogue.close();
    await uplift.getDefaultEngine().close();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  out.ok = Object.values(out.checks).every(Boolean) && !out.buildDirPresent && out.noSystemCaStore;
  console.log(JSON.stringify(out));
  process.exitCode = out.ok ? 0 : 1;
}

main().catch((e) => {
  console.log(JSON.stringify({ node: process.version, ok: false, error: `${e.code ?? ''} ${e.message}` }));
  process.exitCode = 1;
});
