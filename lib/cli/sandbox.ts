// `uplift sandbox`: runs the five vendor emulators until stopped and prints their URLs and
// credentials as `export` lines, for users' own integration tests.
import { ENV } from './upload';

export async function runSandbox(opts: { port?: number; signal: AbortSignal }): Promise<number> {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const { startSandbox } = require('../sandbox') as typeof import('../sandbox');
  const sb = await startSandbox(opts.port !== undefined ? { port: opts.port } : {});
  const lines: [string, string][] = [
    [ENV.eka.url, sb.urls.eka], [ENV.eka.secret, sb.credentials.eka.token],
    [ENV.kore.url, sb.urls.kore], [ENV.kore.secret, sb.credentials.kore.apiKey],
    [ENV.plaud.url, sb.urls.plaud], [ENV.plaud.secret, sb.credentials.plaud.token],
    [ENV.scripe.url, sb.urls.scripe], [ENV.scripe.secret, sb.credentials.scripe.apiKey],
    [ENV.heify.url, sb.urls.heify], [ENV.heify.secret, sb.credentials.heify.apiKey],
    ['UPLIFT_HEIFY_CONFIGURATION_ID', sb.fixtures.heify.configurationId],
    ['UPLIFT_SANDBOX_S3_ENDPOINT', sb.s3.endpoint],
  ];
  process.stdout.write('# uplift sandbox: vendor emulators on 127.0.0.1 (Ctrl-C to stop)\n');
  for (const [k, v] of lines) process.stdout.write(`export ${k}='${v}'\n`);
  await new Promise<void>((resolve) => {
    if (opts.signal.aborted) return resolve();
    opts.signal.addEventListener('abort', () => resolve(), { once: true });
  });
  await sb.close();
  process.stderr.write('uplift sandbox: stopped\n');
  return 0;
}
