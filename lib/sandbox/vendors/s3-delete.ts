/**
 * DeleteObject against the sandbox's S3 target (path-style, SigV4 header auth), for the
 * one emulator path that must remove an object (Plaud's MD5 mismatch at complete-upload).
 * The shared S3Client has no deleteObject; this is the emulators' own small request.
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { Sha256 } from '@aws-crypto/sha256-js';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import type { S3Target } from '../s3/client';

/** S3's encoding of a key in a path: every byte but unreserved ones and '/'. */
function encodeKey(key: string): string {
  return key.split('/').map((s) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)).join('/');
}

/** Deletes bucket/key; resolves on 2xx or 404, rejects otherwise (message carries no secret). */
export async function deleteObject(target: S3Target, bucket: string, key: string): Promise<void> {
  const u = new URL(target.endpoint);
  const base = u.pathname.replace(/\/+$/, '');
  const signer = new SignatureV4({
    service: 's3',
    region: target.region,
    credentials: { accessKeyId: target.accessKeyId, secretAccessKey: target.secretAccessKey },
    sha256: Sha256,
    uriEscapePath: false,
  });
  const unsigned = new HttpRequest({
    method: 'DELETE',
    protocol: u.protocol,
    hostname: u.hostname,
    port: u.port ? Number(u.port) : undefined,
    path: `${base}/${encodeURIComponent(bucket)}/${encodeKey(key)}`,
    headers: { host: u.host },
  });
  const signed = await signer.sign(unsigned);
  const send = u.protocol === 'https:' ? httpsRequest : httpRequest;
  await new Promise<void>((resolve, reject) => {
    const req = send({
      method: 'DELETE',
      hostname: u.hostname,
      port: u.port || undefined,
      path: signed.path,
      headers: signed.headers,
    }, (res) => {
      res.resume();
      res.on('end', () => {
        const s = res.statusCode ?? 0;
        if ((s >= 200 && s < 300) || s === 404) resolve();
        else reject(new Error(`S3 DeleteObject ${bucket}/${key} answered ${s}`));
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}
