// Eka stream sources of known size are posted natively: no spool file, the bytes read once
// (the MD5 is taken beside the POST), the stored object identical; a wrong size, a failing
// producer and an expired policy end typed.
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { Readable } from 'node:stream';
import { eka } from '../../lib';
import { SPOOL_PREFIX } from '../../lib/source';
import { logSince, makeFile, md5, MiB, rejection, useSuite } from './helpers';

/** A Readable giving `data` in 64 KiB chunks, each after a macrotask (a producer that trickles). */
function trickle(data: Buffer, chunk = 64 * 1024): Readable {
  let at = 0;
  return new Readable({
    read() {
      setImmediate(() => {
        if (at >= data.length) return this.push(null);
        this.push(data.subarray(at, at + chunk));
        at += chunk;
      });
    },
  });
}

/** Collects the names of spool folders this process creates in the temp folder while `fn` runs. */
async function spoolsDuring<T>(fn: () => Promise<T>): Promise<{ value: T; spools: string[] }> {
  const spools: string[] = [];
  const mine = `${SPOOL_PREFIX}${process.pid}-`;
  const watcher = fs.watch(tmpdir(), (_event, name) => {
    if (name && String(name).startsWith(mine) && !spools.includes(String(name))) spools.push(String(name));
  });
  try {
    const value = await fn();
    await new Promise((r) => setTimeout(r, 50)); // let the last events arrive
    return { value, spools };
  } finally {
    watcher.close();
  }
}

describe('Eka stream sources', () => {
  const s = useSuite('eka-stream');
  const client = (): eka.EkaClient => eka.client({ token: s.sb.credentials.eka.token, baseUrl: s.sb.urls.eka, engine: s.engine });
  const objectAt = (key: string) => s.sb.objects().find((o) => o.bucket === s.sb.fixtures.buckets.eka && o.key === key);

  test('named streams of known size are posted natively beside a file: no spool, bytes identical, MD5 of what was sent', async () => {
    const big = randomBytes(6 * MiB + 7); // larger than the stream window: the POST and the digest share it
    const small = randomBytes(100 * 1024);
    const f = makeFile(s.dir, 'beside.mp3', 300 * 1024);
    const { value: r, spools } = await spoolsDuring(() =>
      client().uploadFiles([
        { source: { stream: trickle(big), size: big.length, name: 'long.wav' } },
        { source: { stream: trickle(small), size: small.length }, contentType: 'audio/webm' },
        f.path,
      ], { txnId: 'txn-stream-1', concurrency: 2, streamBufferBytes: 256 * 1024 }),
    );
    expect(spools).toEqual([]);
    expect(r.files.map((x) => x.md5)).toEqual([md5(big), md5(small), f.md5]);
    expect(r.files[1].key).toMatch(/audio-\d+\.webm$/);
    expect(objectAt(r.files[0].key)).toMatchObject({ size: big.length, md5: md5(big) });
    expect(objectAt(r.files[1].key)).toMatchObject({ size: small.length, md5: md5(small) });
    expect(objectAt(r.files[2].key)).toMatchObject({ size: f.data.length, md5: f.md5 });
  });

  test('a stream with neither name nor content type is still spooled, to name it from its first bytes (the watcher sees spools)', async () => {
    const wav = Buffer.concat([Buffer.from('RIFF\x24\x00\x00\x00WAVEfmt ', 'latin1'), randomBytes(4000)]);
    const { value: r, spools } = await spoolsDuring(() =>
      client().uploadFiles({ source: { stream: Readable.from([wav]), size: wav.length } }, { txnId: 'txn-stream-2' }),
    );
    expect(spools).toHaveLength(1);
    expect(r.files[0].key).toMatch(/audio-1\.wav$/);
    expect(objectAt(r.files[0].key)).toMatchObject({ size: wav.length, md5: md5(wav) });
  });

  test('a stream shorter or longer than its size fails ERR_UPLIFT_SIZE_MISMATCH, and nothing is stored under its name', async () => {
    const data = randomBytes(200 * 1024);
    const short = await rejection(client().uploadFiles({ source: { stream: trickle(data), size: data.length + 10, name: 'short.wav' } }, { txnId: 'txn-stream-3' }));
    expect(short.code).toBe('ERR_UPLIFT_SIZE_MISMATCH');
    const long = await rejection(client().uploadFiles({ source: { stream: trickle(data), size: data.length - 10, name: 'long.wav' } }, { txnId: 'txn-stream-4' }));
    expect(long.code).toBe('ERR_UPLIFT_SIZE_MISMATCH');
    expect(s.sb.objects().filter((o) => /\/txn-stream-[34]\//.test(o.key))).toEqual([]);
  });

  test('a producer that fails ends the upload with its error, typed', async () => {
    const bad = new Readable({ read() {} });
    bad.push(randomBytes(64 * 1024));
    setTimeout(() => bad.destroy(new Error('microphone unplugged')), 50);
    const err = await rejection(client().uploadFiles({ source: { stream: bad, size: 1 * MiB, name: 'mic.wav' } }, { txnId: 'txn-stream-5' }));
    expect(err.code).toMatch(/^ERR_UPLIFT_/);
    expect(`${err.message} ${String((err.cause as Error | undefined)?.message ?? '')}`).toMatch(/microphone unplugged/);
  });

  test('an expired policy while a stream was posted: ERR_UPLIFT_URL_EXPIRED naming it, no second presign (a stream is not sent twice)', async () => {
    s.sb.faults.add({ target: 's3', op: 'PostObject', times: 1, action: { status: 403, code: 'AccessDenied', message: 'Invalid according to Policy: Policy expired.' } });
    const from = s.sb.log.entries().length;
    const data = randomBytes(50 * 1024);
    const err = await rejection(client().uploadFiles({ source: { stream: trickle(data), size: data.length, name: 'expiring.wav' } }, { txnId: 'txn-stream-6' }));
    expect(err.code).toBe('ERR_UPLIFT_URL_EXPIRED');
    expect(err.message).toMatch(/expiring\.wav.*cannot be sent twice/);
    expect(logSince(s.sb, from).filter((e) => e.target === 'eka' && e.op === 'presign')).toHaveLength(1);
  });
});
