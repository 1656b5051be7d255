/**
 * The strict S3 peer: a path-style S3 subset on node:http, 127.0.0.1 only, that checks
 * SigV4 (query and header auth) and POST policies the way S3 does.
 */
import type { S3Peer, S3PeerOptions } from './types';

export type { S3Peer, S3PeerOptions, StoredObject } from './types';

export async function startS3Peer(o: S3PeerOptions = {}): Promise<S3Peer> {
  void o;
  throw new Error('startS3Peer: not implemented yet');
}
