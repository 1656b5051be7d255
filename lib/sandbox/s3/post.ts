/**
 * S3 POST Object (browser form upload) in the strict peer: a multipart/form-data body
 * parsed as it streams (busboy); fields before the file part are checked against the
 * signed policy, the file part is written to disk under content-length-range, fields
 * after it are ignored, and the answer follows success_action_status (default 204).
 */
import { promises as fsp } from 'node:fs';
import { Readable } from 'node:stream';
import busboy from 'busboy';
import { receiveToFile, type Received } from './body';
import { ClientGone, S3Fail, type Ctx } from './context';
import { objectPath, xmlEscape } from './encode';
import { MAX_OBJECT_BYTES, requireBucket, type PeerEnv } from './ops-object';
import { checkPolicy, decodePolicy } from './policy';

/** S3's limit on the form fields before the file part, bytes */
const MAX_PRE_DATA_BYTES = 20 * 1024;
/** largest file given as a plain text field named "file", bytes */
const MAX_TEXT_FILE_BYTES = 1024 * 1024;

interface Upload extends Received { file: string; key: string }

/** Verifies the policy for the fields seen so far; returns the file's byte range and the final key. */
async function admit(env: PeerEnv, bucket: string, fields: Record<string, string>, filename: string | undefined): Promise<{ range: [number, number]; key: string }> {
  if (fields.key === undefined) throw new S3Fail('InvalidArgument', 'Bucket POST must contain a field named \'key\'.  If it is specified, please check the order of the fields.');
  if (fields.policy === undefined) throw new S3Fail('AccessDenied', 'Bucket POST must contain a field named \'policy\' for a signed upload.');
  const signedAt = await env.verifier.verifyPolicySignature(fields);
  const policy = decodePolicy(fields.policy);
  const checked = checkPolicy(policy, fields, bucket);
  // a policy minted by the sandbox client keeps its signing ms in the expiration's ms
  const signedAtMs = signedAt.getTime() + (checked.expiresAtMs % 1000);
  const cutoff = env.faults.expiredBefore();
  if (Date.now() > checked.expiresAtMs || (cutoff > 0 && signedAtMs <= cutoff)) throw new S3Fail('AccessDenied', 'Invalid according to Policy: Policy expired.');
  const key = fields.key.split('${filename}').join(filename ?? '');
  if (key.length === 0) throw new S3Fail('InvalidArgument', 'User key must have a length greater than 0.');
  const range = checked.lengthRange ?? [0, MAX_OBJECT_BYTES];
  return { range: [range[0], Math.min(range[1], MAX_OBJECT_BYTES)], key };
}

async function storeFile(ctx: Ctx, env: PeerEnv, bucket: string, fields: Record<string, string>, src: Readable, filename: string | undefined): Promise<Upload> {
  const { range, key } = await admit(env, bucket, fields, filename);
  const file = env.store.tempFile();
  const r = await receiveToFile(src, file, range[1], () => undefined);
  if ('tooLarge' in r) throw new S3Fail('EntityTooLarge');
  if (r.size < range[0]) {
    await fsp.rm(file, { force: true });
    throw new S3Fail('EntityTooSmall', 'Your proposed upload is smaller than the minimum allowed size');
  }
  return { ...r, file, key };
}

function answer(ctx: Ctx, bucket: string, fields: Record<string, string>, up: Upload): void {
  const etag = `"${up.md5Hex}"`;
  const host = ctx.header('host') ?? '127.0.0.1';
  const location = `http://${host}${objectPath(bucket, up.key)}`;
  const redirect = fields.success_action_redirect ?? fields.redirect;
  if (redirect && /^https?:\/\//.test(redirect)) {
    const u = new URL(redirect);
    u.searchParams.set('bucket', bucket);
    u.searchParams.set('key', up.key);
    u.searchParams.set('etag', etag);
    ctx.send(303, { location: u.toString(), etag });
    return;
  }
  const status = fields.success_action_status === '200' || fields.success_action_status === '201' ? Number(fields.success_action_status) : 204;
  if (status === 201) {
    ctx.xml(201, `<PostResponse><Location>${xmlEscape(location)}</Location><Bucket>${xmlEscape(bucket)}</Bucket><Key>${xmlEscape(up.key)}</Key><ETag>${xmlEscape(etag)}</ETag></PostResponse>`, { etag, location });
  } else {
    ctx.send(status, { etag, location });
  }
}

/** POST /<bucket>: resolves once answered; throws S3Fail/ClientGone for the caller to answer. */
export async function postObject(ctx: Ctx, env: PeerEnv, bucket: string): Promise<void> {
  requireBucket(env, bucket);
  if (!/^multipart\/form-data/i.test(ctx.header('content-type') ?? '')) {
    throw new S3Fail('PreconditionFailed', 'Bucket POST must be of the enclosure-type multipart/form-data', 412);
  }
  let bb: busboy.Busboy;
  try {
    bb = busboy({ headers: ctx.req.headers, defParamCharset: 'utf8', limits: { fieldSize: MAX_TEXT_FILE_BYTES + 1, fields: 500, parts: 1000 } });
  } catch {
    throw new S3Fail('MalformedPOSTRequest');
  }
  ctx.startBody();
  const { req } = ctx;
  const fields: Record<string, string> = {};
  let preBytes = 0;
  let upload: Promise<Upload> | undefined;

  await new Promise<void>((resolve, reject) => {
    let settled = false;
    const finish = (e?: unknown): void => {
      if (settled) return;
      settled = true;
      req.off('data', count);
      req.off('close', gone);
      if (e) {
        req.unpipe(bb);
        upload?.then((u) => fsp.rm(u.file, { force: true }), () => undefined);
        reject(e);
      } else {
        resolve();
      }
    };
    const count = (c: Buffer): void => { ctx.bytesIn += c.length; };
    const gone = (): void => { if (!req.complete) finish(new ClientGone('form body ended early')); };
    const begin = (src: Readable, filename: string | undefined): void => {
      upload = storeFile(ctx, env, bucket, { ...fields }, src, filename);
      upload.catch(finish);
    };

    bb.on('field', (name, value, info) => {
      if (upload || settled) return;
      const k = name.toLowerCase();
      if (k === 'file') {
        if (info.valueTruncated) { finish(new S3Fail('MaxMessageLengthExceeded')); return; }
        begin(Readable.from([Buffer.from(value, 'utf8')]), undefined);
        return;
      }
      preBytes += Buffer.byteLength(name) + Buffer.byteLength(value);
      if (info.valueTruncated || preBytes > MAX_PRE_DATA_BYTES) { finish(new S3Fail('MaxPostPreDataLengthExceeded')); return; }
      if (!(k in fields)) fields[k] = value;
    });
    bb.on('file', (name, stream, info) => {
      if (upload || settled || name.toLowerCase() !== 'file') {
        if (!upload && !settled && !(name.toLowerCase() in fields)) fields[name.toLowerCase()] = info.filename ?? '';
        stream.resume();
        return;
      }
      begin(stream, info.filename);
    });
    bb.on('error', () => finish(new S3Fail('MalformedPOSTRequest')));
    bb.on('close', () => {
      if (!upload) { finish(new S3Fail('InvalidArgument', 'POST requires exactly one file upload per request.')); return; }
      upload.then((up) => env.store.putObject({
        bucket, key: up.key, size: up.size, md5: up.md5Hex, etag: `"${up.md5Hex}"`,
        contentType: fields['content-type'],
        metadata: Object.fromEntries(Object.entries(fields).filter(([k]) => k.startsWith('x-amz-meta-')).map(([k, v]) => [k.slice(11), v])),
        file: up.file, lastModified: new Date(),
      }).then(() => { answer(ctx, bucket, fields, up); finish(); }), finish);
    });
    req.on('data', count);
    req.on('close', gone);
    req.pipe(bb);
  });
}
