// Type tests of the public API (checked by `npm run typecheck`, never run): the names and
// shapes of ../../shared API contract compile, and wrong uses are type errors.
import { Readable } from 'stream';
import {
  AbortError, eka, Engine, heify, kore, plaud, postPresignedForm, putPresigned, scripe, uploadPresignedParts,
  UpliftError, type Progress, type PutPresignedResult, type UploadPresignedPartsResult, type UrlSource,
} from '../../lib';
import { startSandbox } from '../../lib/sandbox';

export async function contract(): Promise<void> {
  const engine = new Engine({ threads: 2, maxConnectionsPerHost: 8, retry: { maxAttempts: 3 }, timeouts: { stallMs: 1000 }, caFile: '/ca.pem' });
  new Engine({ caStore: 'system' });
  new Engine({ ca: ['-----BEGIN CERTIFICATE-----', Buffer.from('')] });
  // @ts-expect-error caStore is 'node' or 'system'
  new Engine({ caStore: 'windows' });
  const onProgress = (p: Progress): void => void (p.bytesSent + p.totalBytes + p.partsDone + p.partsTotal);
  const signal = new AbortController().signal;

  const put: PutPresignedResult = await putPresigned('https://h/k', 'a.wav', { headers: { a: 'b' }, contentType: 'audio/wav', onProgress, signal, concurrency: 1, engine });
  const etag: string = put.etag;
  const form = await postPresignedForm('https://h/', { key: 'k' }, Buffer.alloc(1), { fileField: 'file', fileName: 'a.wav' });
  const loc: string | undefined = form.location;
  const parts: UploadPresignedPartsResult = await uploadPresignedParts([{ partNumber: 1, url: 'https://h/1' }], { stream: Readable.from([]), size: 0 }, { partSizeBytes: 5 << 20 });
  const md5: string = parts.md5;
  // a URL source, everywhere a source is accepted
  const fromUrl: UrlSource = { url: 'https://bucket/k.wav?X-Amz-Signature=s', headers: { 'x-team': 't' }, size: 10, name: 'k.wav', contentType: 'audio/wav' };
  await putPresigned('https://h/k', fromUrl);
  await uploadPresignedParts([{ partNumber: 1, url: 'https://h/1' }], { url: 'https://bucket/k' }, { partSizeBytes: 5 << 20 });
  await plaud.client({ token: 't' }).uploadFile({ url: 'https://bucket/k.mp3' });
  // @ts-expect-error URL source headers are strings
  await putPresigned('https://h/k', { url: 'https://bucket/k', headers: { a: 1 } });

  const e = eka.client({ token: 't' });
  const ticket = await e.presign({ txnId: 'x', extraData: { mode: 'dictation' } });
  const stored: { key: string; size: number }[] = await e.upload(ticket, ['a.wav', 'b.wav']);
  const all = await e.uploadFiles('a.wav', { txnId: 'x' });
  const folder: string = all.folderPath;

  const k = kore.client({ apiKey: 'k', baseUrl: 'https://env' });
  const r: { fileId: string; url: string } = await k.uploadFile('a.wav', { fileContext: 'bulkImport' });
  const session = await k.presign({ fileContext: 'c', fileName: 'a.wav', fileSize: 1, totalChunks: 1, fileExtension: 'wav' });
  await k.upload(session, 'a.wav');
  const done: { fileId: string; url: string } = await k.complete(session);

  const p = plaud.client({ token: 't', region: 'jp' });
  const t = await p.presign({ fileSize: 10, fileType: 'mp3' });
  const sent = await p.upload(t, 'a.mp3');
  const res = await p.complete(t, sent, { fileType: 'mp3' });
  const url: string = res.downloadUrl;
  const one = await p.uploadFile('a.mp3', { journal: '/tmp/j.json' });

  const s = scripe.client({ apiKey: 'k', apiVersion: '2026-08-01' });
  const u = await s.presign({ contentType: 'audio/mpeg', maxSizeBytes: 10 });
  await s.upload(u, 'a.mp3');
  const { uploadId } = await s.uploadFile('a.mp3');

  const h = heify.client({ apiKey: 'k' });
  const hu = await h.presign({ configurationId: 'u' });
  await h.upload(hu, 'a.mp3', { contentType: 'audio/mpeg' });
  const { transcriptionId } = await h.uploadFile('a.mp3', { configurationId: 'u', name: 'n' });

  const sb = await startSandbox({ port: 0 });
  const baseUrl: string = sb.urls.plaud;
  const objects: { bucket: string; key: string; size: number; md5: string }[] = sb.objects();
  sb.faults.add({ target: 's3', op: 'UploadPart', action: { status: 503 } });
  await sb.close();
  await engine.close();

  const err: unknown = new AbortError();
  if (err instanceof UpliftError) {
    const code: string = err.code;
    const retryable: boolean = err.retryable;
    void [code, retryable];
  }

  // @ts-expect-error partSizeBytes is required
  await uploadPresignedParts([{ partNumber: 1, url: 'u' }], 'a', {});
  // @ts-expect-error a number is not a source
  await putPresigned('https://h/k', 42);
  // @ts-expect-error regions are 'us' | 'jp' (and the announced 'eu' | 'sg')
  plaud.client({ token: 't', region: 'mars' });
  // @ts-expect-error Kore needs its environment URL
  kore.client({ apiKey: 'k' });

  void [etag, loc, md5, stored, folder, r, done, url, one, uploadId, transcriptionId, baseUrl, objects];
}

// uplift/queue (contract: createUploadQueue / add / createUploadWorker / close)
import { createUploadQueue, createUploadWorker, type UploadJobData } from '../../lib/queue';

export async function queueContract(): Promise<void> {
  const connection = { host: '127.0.0.1', port: 6379 };
  const q = createUploadQueue({ connection, name: 'uploads' });
  const job = await q.add({ vendor: 'plaud', source: '/data/a.mp3', options: { fileType: 'mp3' } });
  const data: UploadJobData = job.data;
  const id: string | undefined = job.id;
  const w = createUploadWorker({
    connection, name: 'uploads', clients: { plaud: plaud.client({ token: 't' }) }, concurrency: 2,
    limiter: { plaud: { max: 10, duration: 1000 } },
  });
  await w.close();
  // @ts-expect-error unknown vendor
  await q.add({ vendor: 'other', source: '/data/a.mp3' });
  // @ts-expect-error clients hold vendor clients, not tokens
  createUploadWorker({ connection, name: 'uploads', clients: { plaud: 'token' } });
  void data; void id;
}
