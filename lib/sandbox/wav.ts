/**
 * Sample audio for tests and demos: a valid PCM WAV (16-bit mono sine tone), built in
 * memory for small sizes or streamed to a file for large ones (bounded memory).
 */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';

export interface WavOptions {
  /** total file size in bytes, header included (>= 44, rounded down to whole samples); default 1 s of audio */
  bytes?: number;
  /** samples per second; default 16000 */
  sampleRate?: number;
  /** tone frequency in Hz, rounded to an integer; default 440 */
  toneHz?: number;
}

const HEADER_BYTES = 44;

function dataBytesOf(o: WavOptions): number {
  const rate = o.sampleRate ?? 16000;
  const total = o.bytes ?? HEADER_BYTES + rate * 2;
  if (!Number.isSafeInteger(total) || total < HEADER_BYTES) throw new RangeError(`bytes must be an integer >= ${HEADER_BYTES}, got ${String(o.bytes)}`);
  return (total - HEADER_BYTES) & ~1;
}

function header(dataBytes: number, rate: number): Buffer {
  const h = Buffer.alloc(HEADER_BYTES);
  h.write('RIFF', 0, 'ascii');
  h.writeUInt32LE(36 + dataBytes, 4);
  h.write('WAVE', 8, 'ascii');
  h.write('fmt ', 12, 'ascii');
  h.writeUInt32LE(16, 16); // fmt chunk size
  h.writeUInt16LE(1, 20); // PCM
  h.writeUInt16LE(1, 22); // mono
  h.writeUInt32LE(rate, 24);
  h.writeUInt32LE(rate * 2, 28); // byte rate
  h.writeUInt16LE(2, 32); // block align
  h.writeUInt16LE(16, 34); // bits per sample
  h.write('data', 36, 'ascii');
  h.writeUInt32LE(dataBytes, 40);
  return h;
}

/** One second of the tone (an integer Hz repeats exactly every second). */
function oneSecond(rate: number, hz: number): Buffer {
  const b = Buffer.alloc(rate * 2);
  for (let k = 0; k < rate; k++) b.writeInt16LE(Math.round(Math.sin((2 * Math.PI * Math.round(hz) * k) / rate) * 12000), k * 2);
  return b;
}

/** Fills `buf` (even length) with samples starting at sample index `first`. */
function fill(buf: Buffer, first: number, second: Buffer): void {
  let src = (first * 2) % second.length;
  for (let off = 0; off < buf.length;) {
    const n = second.copy(buf, off, src, Math.min(second.length, src + buf.length - off));
    off += n;
    src = (src + n) % second.length;
  }
}

/** A whole WAV file in memory (use writeSampleWav for large sizes). */
export function sampleWav(o: WavOptions = {}): Buffer {
  const rate = o.sampleRate ?? 16000;
  const data = Buffer.alloc(dataBytesOf(o));
  fill(data, 0, oneSecond(rate, o.toneHz ?? 440));
  return Buffer.concat([header(data.length, rate), data]);
}

/** Writes a WAV file of about `bytes` bytes in 1 MiB pieces; resolves with its exact size. */
export async function writeSampleWav(path: string, o: WavOptions = {}): Promise<number> {
  const rate = o.sampleRate ?? 16000;
  const second = oneSecond(rate, o.toneHz ?? 440);
  const dataBytes = dataBytesOf(o);
  const out = createWriteStream(path);
  try {
    if (!out.write(header(dataBytes, rate))) await once(out, 'drain');
    const piece = 1024 * 1024;
    for (let off = 0; off < dataBytes; off += piece) {
      const b = Buffer.alloc(Math.min(piece, dataBytes - off));
      fill(b, off / 2, second);
      if (!out.write(b)) await once(out, 'drain');
    }
    out.end();
    await once(out, 'finish');
  } catch (e) {
    out.destroy();
    throw e;
  }
  return HEADER_BYTES + dataBytes;
}
