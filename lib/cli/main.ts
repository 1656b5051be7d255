// The `uplift` command: demo, upload, sandbox. Bad flags, a missing credential or file give
// one clear line on stderr and a non-zero exit, never a stack trace (unless --debug).
import { parseArgs } from 'util';
import { EXIT_INTERRUPTED, report, UsageError } from './errors';

const HELP = `uplift: fast, bounded-memory uploads to transcription vendors' presigned-URL flows

Usage:
  uplift demo [--quick]                      upload sample recordings to all five vendors of
                                             a local sandbox, with progress and verification
  uplift upload <files...> --vendor <name>   upload to a vendor (eka, kore, plaud, scripe, heify)
      --url <url>            a URL source (e.g. a presigned GET of your bucket), streamed by
                             ranged GETs, no temp file; repeat for several; with or without files
      --base-url <url>       vendor base URL (env UPLIFT_<VENDOR>_URL)
      --token <t>            Eka / Plaud token (env UPLIFT_EKA_TOKEN, UPLIFT_PLAUD_TOKEN)
      --api-key <k>          Kore / Scripe / Heify key (env UPLIFT_KORE_API_KEY, ...)
      --region us|jp         Plaud region (default us)
      --txn-id <id>          Eka transaction id
      --file-context <c>     Kore file context (default bulkImport)
      --file-type <t>        Plaud file type (default: from the extension)
      --content-type <t>     Scripe / Heify content type (default: from the extension)
      --configuration-id <u> Heify configuration (env UPLIFT_HEIFY_CONFIGURATION_ID)
      --evaluator-id <u>, --participant-id <u>, --name <n>   Heify extras
      --concurrency <n>      parts, chunks or files in flight
      --ca-file <pem>        extra trusted CA bundle
      --journal <file>       plaud / kore: resume journal; run again after a crash or
                             Ctrl-C to send only what is missing
      --json                 print the results as JSON on stdout
  uplift sandbox [--port <n>]                run the vendor emulators; prints export lines
  uplift worker                              run an upload worker (uplift/queue) for every vendor
                                             whose credential is set (UPLIFT_<VENDOR>_TOKEN/_API_KEY)
      --vendor <a,b>         serve only these vendors
      --redis <url>          Redis URL (env UPLIFT_REDIS_URL, default redis://127.0.0.1:6379)
      --queue <name>         queue name (env UPLIFT_QUEUE, default uplift)
      --concurrency <n>      jobs at once per vendor (default 4)
      --shutdown-deadline <ms>  on SIGTERM, let running uploads finish this long (default 30000)
                             (env UPLIFT_JOURNAL_KEY seals the resume journals in Redis)
  uplift enqueue <files...> --vendor <name>  add one upload job per file; prints the job ids
      --redis, --queue as for worker; --attempts <n>; vendor options as for upload
      --url <url>            a job per URL source; needs UPLIFT_JOURNAL_KEY (the workers'
                             key): the URL and its signature are sealed in Redis
  Common: --debug (stack traces), --help, --version
`;

export async function main(argv: string[]): Promise<number> {
  const debug = argv.includes('--debug');
  const ac = new AbortController();
  let interrupted = false;
  const onSignal = (): void => {
    if (interrupted) process.exit(EXIT_INTERRUPTED);
    interrupted = true;
    process.stderr.write('\nuplift: interrupted, stopping uploads...\n');
    ac.abort(new Error('interrupted'));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        help: { type: 'boolean', short: 'h' }, version: { type: 'boolean' }, debug: { type: 'boolean' },
        quick: { type: 'boolean' }, json: { type: 'boolean' }, port: { type: 'string' },
        vendor: { type: 'string' }, 'base-url': { type: 'string' }, token: { type: 'string' }, 'api-key': { type: 'string' },
        region: { type: 'string' }, 'file-type': { type: 'string' }, 'content-type': { type: 'string' },
        'txn-id': { type: 'string' }, 'file-context': { type: 'string' }, 'configuration-id': { type: 'string' },
        'evaluator-id': { type: 'string' }, 'participant-id': { type: 'string' }, name: { type: 'string' },
        'api-version': { type: 'string' }, concurrency: { type: 'string' }, 'ca-file': { type: 'string' }, journal: { type: 'string' },
        redis: { type: 'string' }, queue: { type: 'string' }, 'shutdown-deadline': { type: 'string' }, attempts: { type: 'string' },
        url: { type: 'string', multiple: true },
      },
    });
    const [command, ...rest] = positionals;
    if (values.version) {
      // eslint-disable-next-line @typescript-eslint/no-var-requires
      process.stdout.write(`${require('../../package.json').version}\n`);
      return 0;
    }
    if (values.help || !command) {
      process.stdout.write(HELP);
      return command || values.help ? 0 : 2;
    }
    // Live bars only on a terminal and never under CI; each command checks the stream it draws on.
    const tty = (stream: NodeJS.WriteStream): boolean => !!stream.isTTY && !process.env.CI;
    let code: number;
    if (command === 'demo') {
      if (rest.length) throw new UsageError(`demo takes no arguments (got '${rest[0]}')`);
      code = await (await import('./demo')).runDemo({ quick: !!values.quick, tty: tty(process.stdout), out: process.stdout, signal: ac.signal });
    } else if (command === 'upload') {
      // progress goes to stderr, results to stdout
      code = await (await import('./upload')).runUpload({ files: rest, flags: values, env: process.env, tty: tty(process.stderr), signal: ac.signal });
    } else if (command === 'sandbox') {
      let port: number | undefined;
      if (values.port !== undefined) {
        port = Number(values.port);
        if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be 0..65535, got '${values.port}'`);
      }
      code = await (await import('./sandbox')).runSandbox({ port, signal: ac.signal });
    } else if (command === 'worker' || command === 'enqueue') {
      const q = await import('./queue');
      const run = { args: rest, flags: values, env: process.env, signal: ac.signal };
      code = command === 'worker' ? await q.runWorker(run) : await q.runEnqueue(run);
    } else {
      throw new UsageError(`unknown command '${command}' (use demo, upload, sandbox, worker or enqueue)`);
    }
    return interrupted && command !== 'sandbox' && command !== 'worker' ? EXIT_INTERRUPTED : code;
  } catch (err) {
    const e = err as { code?: string; message?: string };
    if (e && typeof e.code === 'string' && e.code.startsWith('ERR_PARSE_ARGS')) {
      // parseArgs' advice on '--' after an unknown option is left out: one short line
      return report(new UsageError(String(e.message).replace(/\. To specify a positional argument starting with .*$/, '')), debug);
    }
    const code = report(err, debug);
    return interrupted ? EXIT_INTERRUPTED : code;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
