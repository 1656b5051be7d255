// Child process of bench/proxy.js: one Express proxy that takes browser-style multipart POSTs
// at /upload and sends each file to Plaud (PLAUD_URL, PLAUD_TOKEN), written one of two ways:
//   uplift [uploads] [parts]: uploadToVendor from uplift/express (busboy -> native streaming),
//           maxConcurrentUploads = uploads (default 4), Plaud part concurrency = parts (default 4)
//   multer: the usual way: multer to memory, then presign, PUT each part with fetch (4 at a
//           time), complete with the whole-file MD5
// Both answer { files: [{ field, name, size, result: { fileId, fileMd5 } }] }.
// It measures itself: peak RSS (sampled every 10 ms) and the event-loop delay
// (monitorEventLoopDelay, 1 ms resolution) between the 'start' and 'stop' IPC messages, and
// the entries left in its own TMPDIR (set by the parent) at 'stop'.
'use strict';
const crypto = require('crypto');
const fs = require('fs');
const http = require('http');
const os = require('os');
const { monitorEventLoopDelay } = require('perf_hooks');
const express = require('express');

const mode = process.argv[2];
const { PLAUD_URL, PLAUD_TOKEN } = process.env;
const PART_CONCURRENCY = 4;

function upliftHandler() {
  const { plaud } = require('../dist/index.js');
  const { uploadToVendor } = require('../dist/express.js');
  const client = plaud.client({ token: PLAUD_TOKEN, baseUrl: PLAUD_URL });
  const slots = Number(process.argv[3] || 4);
  const concurrency = Number(process.argv[4] || 4);
  return uploadToVendor({ client, vendorOptions: { concurrency }, limits: { maxFileBytes: 1024 * 1024 * 1024, maxConcurrentUploads: slots } });
}

async function plaudJson(path, body) {
  const r = await fetch(`${PLAUD_URL}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${PLAUD_TOKEN}` },
    body: JSON.stringify(body),
  });
  if (!r.ok) throw new Error(`Plaud ${path} answered ${r.status}`);
  return r.json();
}

/** Presign, PUT the parts from the buffer, complete: what a hand-written proxy does. */
async function sendBuffer(buf, fileType) {
  const t = await plaudJson('/open/partner/files/upload/generate-presigned-urls', { filesize: buf.length, filetype: fileType });
  const etags = new Array(t.Parts.length);
  let next = 0;
  const worker = async () => {
    while (next < t.Parts.length) {
      const i = next++;
      const p = t.Parts[i];
      const body = buf.subarray(i * t.ChunkSize, Math.min(buf.length, (i + 1) * t.ChunkSize));
      const r = await fetch(p.PresignedUrl, { method: 'PUT', body });
      if (!r.ok) throw new Error(`part ${p.PartNumber} answered ${r.status}`);
      await r.arrayBuffer();
      etags[i] = { PartNumber: p.PartNumber, ETag: r.headers.get('etag') };
    }
  };
  await Promise.all(Array.from({ length: PART_CONCURRENCY }, worker));
  const md5 = crypto.createHash('md5').update(buf).digest('hex');
  const done = await plaudJson('/open/partner/files/upload/complete-upload', {
    file_id: t.FileId, upload_id: t.UploadId, part_list: etags, filetype: fileType, file_md5: md5,
  });
  return { fileId: done.FileId, fileMd5: done.FileMd5 };
}

function multerHandlers() {
  const multer = require('multer');
  const upload = multer({ storage: multer.memoryStorage(), limits: { fileSize: 1024 * 1024 * 1024 } });
  return [upload.single('file'), async (req, res) => {
    try {
      const f = req.file;
      const ext = (f.originalname.split('.').pop() || 'wav').toLowerCase();
      const result = await sendBuffer(f.buffer, ext);
      res.json({ files: [{ field: f.fieldname, name: f.originalname, size: f.size, result }] });
    } catch (e) {
      res.status(502).json({ error: { code: 'PROXY_UPSTREAM', message: String(e.message) } });
    }
  }];
}

const app = express();
if (mode === 'uplift') app.post('/upload', upliftHandler());
else if (mode === 'multer') app.post('/upload', ...multerHandlers());
else {
  console.error(`proxy-server: mode must be uplift or multer, not ${mode}`);
  process.exit(2);
}

const loop = monitorEventLoopDelay({ resolution: 1 });
let peakRss = 0;
let sampler;
const server = http.createServer(app);
server.listen(0, '127.0.0.1', () => {
  process.send({ type: 'ready', port: server.address().port, rssBytes: process.memoryUsage.rss() });
});

process.on('message', (m) => {
  if (m === 'start') {
    peakRss = process.memoryUsage.rss();
    sampler = setInterval(() => { peakRss = Math.max(peakRss, process.memoryUsage.rss()); }, 10);
    loop.reset();
    loop.enable();
  } else if (m === 'stop') {
    clearInterval(sampler);
    loop.disable();
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
    const tmpLeft = fs.readdirSync(os.tmpdir()).length;
    process.send({
      type: 'stats', peakRssBytes: peakRss, loopP99Ms: loop.percentile(99) / 1e6, loopMaxMs: loop.max / 1e6, tmpLeft,
    }, () => {
      server.close();
      server.closeAllConnections();
      process.exit(0);
    });
  }
});
process.on('disconnect', () => process.exit(0));
