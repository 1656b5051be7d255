// Bad Readable sources and signals end in typed UpliftErrors (never an uncaught exception or
// a raw Error): objectMode streams with and without a size, a stream that errors, a signal
// whose `aborted` getter throws. Uploads go to a loopback sink.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Readable } from 'stream';
import { Engine, InvalidArgumentError, putPresigned, SourceError, UpliftError } from '../../lib';
import { startSink, type Sink } from '../support/sink';

let sink: Sink;
let engine: Engine;
const uncaught: unknown[] = [];
const onUncaught = (e: unknown): void => {
  uncaught.push(e);
};

beforeAll(async () => {
  sink = await startSink();
  engine = new Engine({ retry: { maxAttempts: 1 } });
  process.on('uncaughtException', onUncaught);
});
afterAll(async () => {
  process.off('uncaughtException', onUncaught);
  await engine.close();
  await sink.close();
});
beforeEach(() => {
  uncaught.length = 0;
});

/** An objectMode Readable that yields plain objects (e.g. rows from a database driver). */
function objectStream(): Readable {
  return Readable.from([{ row: 1 }, { row: 2 }]);
}

/** A byte Readable that emits `err` after its first chunk. */
function failingStream(err: Error): Readable {
  let sent = false;
  return new Readable({
    read() {
      if (!sent) {
        sent = true;
        this.push(Buffer.alloc(1024, 7));
        return;
      }
      setImmediate(() => this.destroy(err));
    },
  });
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  return p.then(() => {
    throw new Error('expected a rejection');
  }, (e: unknown) => e);
}

test('objectMode Readable given with a size: ERR_UPLIFT_INVALID_ARGUMENT naming the source, no uncaught TypeError', async () => {
  const e = await rejection(putPresigned(`${sink.url}/obj-sized`, { stream: objectStream(), size: 100 }, { engine }));
  await new Promise((r) => setTimeout(r, 50));
  expect(uncaught).toEqual([]);
  expect(e).toBeInstanceOf(InvalidArgumentError);
  expect((e as UpliftError).code).toBe('ERR_UPLIFT_INVALID_ARGUMENT');
  expect((e as InvalidArgumentError).field).toBe('source');
  expect((e as Error).message).toMatch(/for source but the stream gave an object/);
});

test('objectMode Readable without size: ERR_UPLIFT_INVALID_ARGUMENT (not ERR_INVALID_ARG_TYPE), spool folder removed', async () => {
  const before = fs.readdirSync(os.tmpdir()).filter((n) => n.startsWith('uplift-spool-')).length;
  const e = await rejection(putPresigned(`${sink.url}/obj`, objectStream(), { engine }));
  expect(e).toBeInstanceOf(InvalidArgumentError);
  expect((e as UpliftError).code).toBe('ERR_UPLIFT_INVALID_ARGUMENT');
  expect((e as InvalidArgumentError).field).toBe('source');
  expect(fs.readdirSync(os.tmpdir()).filter((n) => n.startsWith('uplift-spool-')).length).toBeLessThanOrEqual(before);
});

test('objectMode Readable of Buffers and strings still uploads (Readable.from)', async () => {
  const r = await putPresigned(`${sink.url}/from`, Readable.from([Buffer.from('abc'), 'def']), { engine });
  expect(r.bytes).toBe(6);
  const sized = await putPresigned(`${sink.url}/from-sized`, { stream: Readable.from([Buffer.from('abc'), 'def']), size: 6 }, { engine });
  expect(sized.bytes).toBe(6);
});

test('a Readable that errors, without size: SourceError ERR_UPLIFT_FILE_NOT_READABLE with the stream error as cause', async () => {
  const boom = new Error('disk unplugged');
  const e = await rejection(putPresigned(`${sink.url}/err`, failingStream(boom), { engine }));
  expect(e).toBeInstanceOf(SourceError);
  expect((e as UpliftError).code).toBe('ERR_UPLIFT_FILE_NOT_READABLE');
  expect((e as Error).message).toContain('disk unplugged');
  expect((e as Error).cause).toBe(boom);
});

test('a Readable that errors, with size: same code, and the stream error as cause', async () => {
  const boom = new Error('socket to the recorder closed');
  const e = await rejection(putPresigned(`${sink.url}/err-sized`, { stream: failingStream(boom), size: 1 << 20 }, { engine }));
  expect(e).toBeInstanceOf(SourceError);
  expect((e as UpliftError).code).toBe('ERR_UPLIFT_FILE_NOT_READABLE');
  expect((e as Error).cause).toBe(boom);
});

test('a signal whose aborted getter throws: ERR_UPLIFT_INVALID_ARGUMENT for options.signal with the error as cause', async () => {
  const boom = new Error('getter exploded');
  const signal = { get aborted(): boolean { throw boom; }, addEventListener() {}, removeEventListener() {} };
  const e = await rejection(putPresigned(`${sink.url}/sig`, Buffer.from('abc'), { engine, signal: signal as unknown as AbortSignal }));
  expect(e).toBeInstanceOf(InvalidArgumentError);
  expect((e as InvalidArgumentError).field).toBe('options.signal');
  expect((e as Error).cause).toBe(boom);
});

test('a signal-like whose aborted getter throws only after the check: the upload still settles, and aborts through it work', async () => {
  /** A signal-like whose `aborted` answers the option check, then throws on every later read. */
  const flaky = (): { signal: AbortSignal; fire(): void; reason: Error } => {
    let reads = 0;
    const listeners: (() => void)[] = [];
    const reason = new Error('stop');
    const signal = {
      get aborted(): boolean {
        reads += 1;
        if (reads > 2) throw new Error('later getter failure');
        return false;
      },
      reason,
      addEventListener(_t: string, l: () => void) { listeners.push(l); },
      removeEventListener() {},
    };
    return { signal: signal as unknown as AbortSignal, fire: () => listeners.forEach((l) => l()), reason };
  };
  const r = await putPresigned(`${sink.url}/sig-later`, Buffer.from('abcdef'), { engine, signal: flaky().signal });
  expect(r.bytes).toBe(6);
  sink.slowMs = 50;
  try {
    const f = flaky();
    const p = putPresigned(`${sink.url}/sig-later-abort`, Buffer.alloc(4 << 20), { engine, signal: f.signal });
    setTimeout(f.fire, 100);
    const e = await rejection(p);
    expect((e as UpliftError).code).toBe('ERR_UPLIFT_ABORTED');
    expect((e as Error).cause).toBe(f.reason);
  } finally {
    sink.slowMs = 0;
  }
});

test('no spool folder of this test is left behind', () => {
  const mine = fs.readdirSync(os.tmpdir()).filter((n) => n.startsWith(`uplift-spool-${process.pid}-`));
  expect(mine.map((n) => path.join(os.tmpdir(), n))).toEqual([]);
});
