/**
 * S3 naming helpers shared by the client and the peer: URI encoding as SigV4 wants it
 * (every byte but A-Z a-z 0-9 - . _ ~ is %XX, '/' kept in keys), XML escaping, and the
 * sandbox's own signed query parameters.
 */

/** Signed query parameter: the body size cap (bytes) the strict peer enforces; S3/Swift ignore x-* parameters. */
export const MAX_SIZE_PARAM = 'x-uplift-max-size';
/** Signed query parameter: ms epoch of signing, so the peer can tell URLs minted in the same second apart. */
export const SIGNED_MS_PARAM = 'x-uplift-signed-ms';

/** SigV4 URI encoding of one string (also encodes '/'). */
export function uriEncode(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** Path-style object path, e.g. '/bucket/dir/a%20b.wav'; '/bucket' when key is empty. */
export function objectPath(bucket: string, key = ''): string {
  const k = key.split('/').map(uriEncode).join('/');
  return key === '' ? `/${uriEncode(bucket)}` : `/${uriEncode(bucket)}/${k}`;
}

/** Query string in SigV4 encoding from a flat record (no leading '?'). */
export function queryString(q: Record<string, string>): string {
  return Object.keys(q).map((k) => `${uriEncode(k)}=${uriEncode(q[k])}`).join('&');
}

export function xmlEscape(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c] as string);
}
