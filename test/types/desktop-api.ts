// Type tests of the proxy, bandwidth, pause and instrumentation API (checked by
// `npm run typecheck`, never run).
import {
  diagnosticsChannels, Engine, plaud, ProxyError, putPresigned, UploadController, type RetryMessage, type UploadEndMessage,
} from '../../lib';

export async function desktop(): Promise<void> {
  const engine = new Engine({ proxy: 'http://user:pw@proxy:8080', noProxy: ['localhost', '.corp'], maxBytesPerSecond: 1 << 20 });
  const direct = new Engine({ proxy: false, noProxy: 'localhost,.corp', maxBytesPerSecond: null });
  engine.setBandwidth(2 << 20);
  engine.setBandwidth(null);
  const controller = new UploadController({ maxBytesPerSecond: 1 << 20, paused: false });
  controller.pause();
  controller.resume();
  const paused: boolean = controller.paused;
  controller.setBandwidth(null);
  await putPresigned('https://h/k', 'a.wav', { engine: direct, proxy: 'socks5://127.0.0.1:1080', noProxy: '*', maxBytesPerSecond: 4096, controller, retry: { maxElapsedMs: 60000 } });
  await plaud.client({ token: 't' }).uploadFile('a.mp3', { controller, proxy: false });
  await plaud.client({ token: 't' }).presign({ fileSize: 1, fileType: 'mp3', proxy: 'http://p:1' });
  const start: 'uplift:upload:start' = diagnosticsChannels.uploadStart;
  const retry = (m: RetryMessage): number => m.attempt + m.delayMs + m.partNumber;
  const end = (m: UploadEndMessage): number => m.durationMs;
  const err: ProxyError = new ProxyError('x', { status: 407 });
  void [paused, start, retry, end, err];

  // @ts-expect-error proxy is a URL string or false
  new Engine({ proxy: true });
  // @ts-expect-error pause() takes no upload
  controller.pause('x');
}
