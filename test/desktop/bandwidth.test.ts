// Bandwidth caps, measured on the wire by a loopback sink over 4 s windows: the engine-wide
// cap holds for several uploads together, a per-upload cap holds for one upload, and
// engine.setBandwidth() changes the cap of uploads already running.
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { Engine, InvalidArgumentError, postPresignedForm, putPresigned, uploadPresignedParts } from '../../lib';
import { trapUnhandledRejections } from '../reliability/helpers';
import { measureRate, startCountingSink, type CountingSink } from './helpers';

trapUnhandledRejections();

const MiB = 1024 * 1024;
let sink: CountingSink;
let engines: Engine[] = [];

beforeEach(async () => {
  sink = await startCountingSink();
});
afterEach(async () => {
  await Promise.all(engines.map((e) => e.close()));
  engines = [];
  await sink.close();
});
const engine = (o: ConstructorParameters<typeof Engine>[0] = {}): Engine => {
  const e = new Engine({ proxy: false, ...o });
  engines.push(e);
  return e;
};
const within = (rate: number, target: number, tolerance = 0.15): void => {
  expect(rate).toBeGreaterThanOrEqual(target * (1 - tolerance));
  expect(rate).toBeLessThanOrEqual(target * (1 + tolerance));
};

test('maxBytesPerSecond on the Engine caps all its uploads together (1 MiB/s within 15 % over 4 s)', async () => {
  const e = engine({ maxBytesPerSecond: MiB });
  const a = randomBytes(4 * MiB);
  const b = randomBytes(4 * MiB);
  const uploads = Promise.all([
    putPresigned(`${sink.url}/a.bin`, a, { engine: e }),
    uploadPresignedParts([1, 2, 3, 4].map((n) => ({ partNumber: n, url: `${sink.url}/b.bin?partNumber=${n}` })), b, { engine: e, partSizeBytes: MiB, concurrency: 2 }),
  ]);
  const rate = await measureRate(sink, 1000, 5000);
  within(rate, MiB);
  e.setBandwidth(null); // the rest goes at full speed
  await uploads;
  expect(sink.bytes).toBe(8 * MiB);
}, 30000);

test('maxBytesPerSecond on one upload caps that upload alone (512 KiB/s within 15 % over 4 s)', async () => {
  const e = engine();
  const capped = putPresigned(`${sink.url}/capped.bin`, randomBytes(3 * MiB), { engine: e, maxBytesPerSecond: 512 * 1024 });
  const rate = await measureRate(sink, 500, 4500);
  within(rate, 512 * 1024);
  // an uncapped upload on the same engine is not held back by the other's cap
  const t0 = Date.now();
  await putPresigned(`${sink.url}/free.bin`, randomBytes(8 * MiB), { engine: e });
  expect(Date.now() - t0).toBeLessThan(2000);
  await capped;
}, 30000);

test('engine.setBandwidth() changes the cap of running uploads', async () => {
  const e = engine({ maxBytesPerSecond: 512 * 1024 });
  const up = putPresigned(`${sink.url}/change.bin`, randomBytes(14 * MiB), { engine: e });
  within(await measureRate(sink, 300, 2300), 512 * 1024, 0.2);
  e.setBandwidth(2 * MiB);
  within(await measureRate(sink, 200, 4200), 2 * MiB);
  e.setBandwidth(null);
  await up;
  expect(sink.done).toEqual([{ path: '/change.bin', bytes: 14 * MiB }]);
}, 30000);

test('form POSTs and streamed sources are capped too, bytes intact', async () => {
  const e = engine();
  const t0 = Date.now();
  await postPresignedForm(`${sink.url}/form`, { key: 'k' }, randomBytes(768 * 1024), { engine: e, maxBytesPerSecond: 512 * 1024 });
  const formMs = Date.now() - t0;
  expect(formMs).toBeGreaterThan(1200);
  expect(formMs).toBeLessThan(3000);
  const data = randomBytes(768 * 1024);
  const t1 = Date.now();
  await putPresigned(`${sink.url}/stream.bin`, { stream: Readable.from([data.subarray(0, 400000), data.subarray(400000)]), size: data.length }, { engine: e, maxBytesPerSecond: 512 * 1024 });
  const streamMs = Date.now() - t1;
  expect(streamMs).toBeGreaterThan(1200);
  expect(streamMs).toBeLessThan(3000);
  expect(sink.done.map((d) => d.path)).toEqual(['/form', '/stream.bin']);
  expect(sink.done[0].bytes).toBeGreaterThan(768 * 1024); // multipart framing around the file
  expect(sink.done[1].bytes).toBe(768 * 1024);
}, 30000);

test('bad caps are InvalidArgumentError naming the field', async () => {
  const e = engine();
  expect(() => e.setBandwidth(0)).toThrow(InvalidArgumentError);
  expect(() => e.setBandwidth(100)).toThrow(/bytesPerSecond/);
  expect(() => e.setBandwidth('1MB' as unknown as number)).toThrow(/bytesPerSecond/);
  expect(() => new Engine({ maxBytesPerSecond: -5 })).toThrow(/options\.maxBytesPerSecond/);
  await expect(putPresigned(`${sink.url}/x`, Buffer.alloc(1), { engine: e, maxBytesPerSecond: 1.5 })).rejects.toThrow(/options\.maxBytesPerSecond/);
  const closed = new Engine();
  await closed.close();
  expect(() => closed.setBandwidth(MiB)).toThrow(/closed/);
});
