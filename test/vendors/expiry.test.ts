// Expired presigned URLs: Scripe and Heify mint a fresh single-PUT URL once and re-send;
// Plaud cannot re-issue part URLs for the same upload and says so with a typed error.
import { heify, plaud, scripe } from '../../lib';
import { makeFile, MiB, rejection, useSuite } from './helpers';

const s = useSuite('uplift-expiry-');
const expired = { status: 403, code: 'AccessDenied', message: 'Request has expired' };

test('Scripe: an expired URL is presigned again once and the bytes arrive identical', async () => {
  const f = makeFile(s.dir, 'episode.mp3', 3 * MiB);
  s.sb.faults.add({ target: 's3', op: 'PutObject', action: expired });
  const c = scripe.client({ apiKey: s.sb.credentials.scripe.apiKey, baseUrl: s.sb.urls.scripe });
  const before = s.sb.log.entries({ target: 'scripe', op: 'presign' }).length;
  const r = await c.uploadFile(f.path, { engine: s.engine });
  expect(r.md5).toBe(f.md5);
  expect(s.sb.log.entries({ target: 'scripe', op: 'presign' }).length - before).toBe(2);
  expect(s.sb.objects().some((o) => o.md5 === f.md5 && o.size === f.data.length)).toBe(true);
});

test('Scripe: a URL that expires again fails typed after one re-presign', async () => {
  const f = makeFile(s.dir, 'again.mp3', MiB);
  s.sb.faults.add({ target: 's3', op: 'PutObject', times: 2, action: expired });
  const c = scripe.client({ apiKey: s.sb.credentials.scripe.apiKey, baseUrl: s.sb.urls.scripe });
  const err = await rejection(c.uploadFile(f.path, { engine: s.engine }));
  expect(err.code).toBe('ERR_UPLIFT_URL_EXPIRED');
  expect(err.vendor).toBe('scripe');
  expect(String(err.message)).toMatch(/presigned again once/);
});

test('Heify: an expired URL is requested again once', async () => {
  const f = makeFile(s.dir, 'call.mp3', 2 * MiB);
  s.sb.faults.add({ target: 's3', op: 'PutObject', action: expired });
  const c = heify.client({ apiKey: s.sb.credentials.heify.apiKey, baseUrl: s.sb.urls.heify });
  const r = await c.uploadFile(f.path, { configurationId: s.sb.fixtures.heify.configurationId, engine: s.engine });
  expect(r.md5).toBe(f.md5);
  expect(s.sb.objects().some((o) => o.md5 === f.md5)).toBe(true);
});

test('Plaud: an expired part URL is a typed error that says Plaud cannot re-issue it', async () => {
  const f = makeFile(s.dir, 'meeting.mp3', 11 * MiB);
  s.sb.faults.add({ target: 's3', op: 'UploadPart', partNumber: 2, action: expired });
  const c = plaud.client({ token: s.sb.credentials.plaud.token, baseUrl: s.sb.urls.plaud });
  const err = await rejection(c.uploadFile(f.path, { engine: s.engine }));
  expect(err.code).toBe('ERR_UPLIFT_URL_EXPIRED');
  expect(String(err.message)).toMatch(/cannot re-issue/);
});
