#!/usr/bin/env node
// Example: an Express server that takes audio from browsers (multipart/form-data) and streams
// it straight to a transcription vendor with uplift, without buffering the file.
//
//   node examples/express-proxy/server.js          # sandbox Plaud on 127.0.0.1, page on :3000
//   UPLIFT_VENDOR=scripe UPLIFT_SCRIPE_API_KEY=... node examples/express-proxy/server.js
//
// Env (real vendors; same names as the uplift CLI): UPLIFT_VENDOR = plaud | scripe | kore |
// heify | eka, then UPLIFT_PLAUD_TOKEN (+ UPLIFT_PLAUD_URL or UPLIFT_PLAUD_REGION),
// UPLIFT_SCRIPE_API_KEY (+ UPLIFT_SCRIPE_URL), UPLIFT_KORE_API_KEY + UPLIFT_KORE_URL
// (+ UPLIFT_KORE_FILE_CONTEXT, default bulkImport), UPLIFT_HEIFY_API_KEY +
// UPLIFT_HEIFY_CONFIGURATION_ID (+ UPLIFT_HEIFY_URL), UPLIFT_EKA_TOKEN (+ UPLIFT_EKA_URL).
// PORT (default 3000), HOST (default 127.0.0.1), MAX_FILE_MB (default 1024).
'use strict';
const http = require('http');
const path = require('path');
const crypto = require('crypto');
const express = require('express');
const { eka, heify, kore, plaud, scripe } = require('uplift');
const { uploadToVendor } = require('uplift/express');

/** The vendor client and its per-file options, from the environment; undefined when none is configured. */
function vendorFromEnv(env) {
  const name = env.UPLIFT_VENDOR;
  if (!name) return undefined;
  switch (name) {
    case 'plaud':
      return { client: plaud.client({ token: env.UPLIFT_PLAUD_TOKEN, ...(env.UPLIFT_PLAUD_URL ? { baseUrl: env.UPLIFT_PLAUD_URL } : { region: env.UPLIFT_PLAUD_REGION || 'us' }) }) };
    case 'scripe':
      return { client: scripe.client({ apiKey: env.UPLIFT_SCRIPE_API_KEY, ...(env.UPLIFT_SCRIPE_URL ? { baseUrl: env.UPLIFT_SCRIPE_URL } : {}) }) };
    case 'kore':
      return {
        client: kore.client({ apiKey: env.UPLIFT_KORE_API_KEY, baseUrl: env.UPLIFT_KORE_URL }),
        vendorOptions: { fileContext: env.UPLIFT_KORE_FILE_CONTEXT || 'bulkImport' },
      };
    case 'heify':
      return {
        client: heify.client({ apiKey: env.UPLIFT_HEIFY_API_KEY, ...(env.UPLIFT_HEIFY_URL ? { baseUrl: env.UPLIFT_HEIFY_URL } : {}) }),
        vendorOptions: { configurationId: env.UPLIFT_HEIFY_CONFIGURATION_ID },
      };
    case 'eka':
      // one transaction per request
      return {
        client: eka.client({ token: env.UPLIFT_EKA_TOKEN, ...(env.UPLIFT_EKA_URL ? { baseUrl: env.UPLIFT_EKA_URL } : {}) }),
        vendorOptions: () => ({ txnId: `web_${crypto.randomUUID()}` }),
      };
    default:
      throw new Error(`UPLIFT_VENDOR must be plaud, scripe, kore, heify or eka, not ${JSON.stringify(name)}`);
  }
}

/** The Express app: the page under /, the proxy at POST /upload. */
function createApp({ client, vendorOptions, maxFileBytes = 1024 * 1024 * 1024 }) {
  const app = express();
  app.use(express.static(path.join(__dirname, 'public')));
  app.post('/upload', uploadToVendor({
    client,
    vendorOptions,
    limits: { maxFileBytes, maxFiles: 4, allowedContentTypes: ['audio/*', 'video/mp4', 'video/webm'] },
  }));
  return app;
}

/**
 * Starts the proxy. `sandbox`: an `uplift/sandbox` instance whose Plaud to use; without it
 * and without UPLIFT_VENDOR in `env`, a sandbox is started here (and closed by close()).
 * Resolves `{ url, server, sandbox, close() }`.
 */
async function startProxy({ port = 0, host = '127.0.0.1', env = process.env, sandbox, client, vendorOptions, maxFileBytes } = {}) {
  let ownSandbox;
  let vendor = client ? { client, vendorOptions } : undefined;
  if (!vendor && !sandbox) vendor = vendorFromEnv(env);
  if (!vendor) {
    if (!sandbox) {
      const { startSandbox } = require('uplift/sandbox');
      sandbox = ownSandbox = await startSandbox();
    }
    vendor = { client: plaud.client({ token: sandbox.credentials.plaud.token, baseUrl: sandbox.urls.plaud }) };
  }
  const server = http.createServer(createApp({ ...vendor, maxFileBytes }));
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  const address = server.address();
  let closing;
  return {
    url: `http://${host}:${address.port}`,
    server,
    sandbox,
    close() {
      closing ??= (async () => {
        await new Promise((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
        if (ownSandbox) await ownSandbox.close();
      })();
      return closing;
    },
  };
}

module.exports = { createApp, startProxy, vendorFromEnv };

if (require.main === module) {
  const maxMb = Number(process.env.MAX_FILE_MB || 1024);
  startProxy({ port: Number(process.env.PORT || 3000), host: process.env.HOST || '127.0.0.1', maxFileBytes: maxMb * 1024 * 1024 }).then((p) => {
    console.log(`uplift express proxy on ${p.url} (${process.env.UPLIFT_VENDOR || 'sandbox plaud'}); Ctrl-C stops`);
    process.once('SIGINT', () => p.close().then(() => process.exit(0)));
  }, (err) => {
    console.error(err.message);
    process.exit(1);
  });
}
