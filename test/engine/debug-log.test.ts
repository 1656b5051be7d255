// NODE_DEBUG=uplift prints one line per upload start and end, with secrets redacted.
import { spawn } from 'child_process';
import * as path from 'path';
import { startSink, type Sink } from '../support/sink';

const root = path.resolve(__dirname, '..', '..');
let sink: Sink;
beforeAll(async () => {
  sink = await startSink();
});
afterAll(async () => {
  await sink.close();
});

test('debug lines name the upload and never show the URL signature or a token', async () => {
  sink.script(() => true, { status: 200 }, { status: 403, body: '<Error><Code>AccessDenied</Code><Message>no</Message></Error>' });
  const script = `
    const { putPresigned, plaud } = require('./dist');
    (async () => {
      await putPresigned('${sink.url}/b/k?X-Amz-Credential=AKIDSECRETCRED&X-Amz-Signature=f00dfeedf00dfeed', Buffer.from('abc'));
      await putPresigned('${sink.url}/b/k?X-Amz-Signature=f00dfeedf00dfeed', Buffer.from('abc')).catch(() => {});
      const c = plaud.client({ token: 'tok_supersecret_123456', baseUrl: '${sink.url}/plaud' });
      await c.presign({ fileSize: 10, fileType: 'mp3' }).catch(() => {});
    })();
  `;
  const out = await new Promise<string>((resolve) => {
    const child = spawn(process.execPath, ['-e', script], { cwd: root, env: { ...process.env, NODE_DEBUG: 'uplift' } });
    let text = '';
    child.stdout.on('data', (d) => (text += d));
    child.stderr.on('data', (d) => (text += d));
    child.on('close', () => resolve(text));
  });
  expect(out).toMatch(/UPLIFT \d+: start PUT http:\/\/127\.0\.0\.1:\d+\/b\/k/);
  expect(out).toMatch(/UPLIFT \d+: done in [\d.]+ ms PUT /);
  expect(out).toMatch(/UPLIFT \d+: failed after [\d.]+ ms PUT .*ERR_UPLIFT_HTTP/);
  expect(out).toMatch(/UPLIFT \d+: (start|failed after [\d.]+ ms) plaud\.presign/);
  expect(out).not.toContain('f00dfeedf00dfeed');
  expect(out).not.toContain('AKIDSECRETCRED');
  expect(out).not.toContain('tok_supersecret_123456');
});
