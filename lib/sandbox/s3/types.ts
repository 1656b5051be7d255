/**
 * Shared types of the sandbox's S3 half: the peer's stored objects and options, and
 * the client's target. Re-exported by peer.ts and client.ts.
 */
import type { Faults } from '../faults';
import type { RequestLog } from '../log';

export interface S3Target {
  /** e.g. http://127.0.0.1:PORT ; path-style addressing */
  endpoint: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
}

export interface StoredObject {
  bucket: string;
  key: string;
  /** bytes */
  size: number;
  /** hex md5 of the bytes */
  md5: string;
  /** quoted; md5-of-md5s-N for multipart */
  etag: string;
  contentType?: string;
  /** x-amz-meta-* without the prefix, names lower-cased */
  metadata: Record<string, string>;
}

export interface S3PeerOptions {
  /** default 0 (a free port on 127.0.0.1) */
  port?: number;
  /** default 'us-east-1' */
  region?: string;
  /** generated randomly when absent */
  accessKeyId?: string;
  /** generated randomly when absent */
  secretAccessKey?: string;
  /** folder for bodies; a temp folder is created and removed by the peer when absent */
  dir?: string;
  faults?: Faults;
  log?: RequestLog;
}

export interface S3Peer {
  endpoint: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** synchronous, from the peer's index */
  objects(): StoredObject[];
  /** closes the server and removes its temp folder (of a given `dir`, only the data folder the peer made in it) */
  close(): Promise<void>;
}
