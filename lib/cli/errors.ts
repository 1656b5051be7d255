// How the command line reports failures: one clear line on stderr (the stack only with
// --debug), and the exit codes it uses.
import { UpliftError } from '../errors';
import { redact } from '../redact';

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;
export const EXIT_INTERRUPTED = 130;

/** A problem with how the command was called (bad flag, missing credential or file). */
export class UsageError extends Error {}

export function report(err: unknown, debug: boolean): number {
  if (err instanceof UsageError) {
    process.stderr.write(`uplift: ${redact(err.message)}\nRun \`uplift --help\` for usage.\n`);
    return EXIT_USAGE;
  }
  if (err instanceof UpliftError) {
    const where = err.vendor ? `${err.vendor}: ` : '';
    process.stderr.write(`uplift: ${where}${err.message} [${err.code}${err.status ? `, HTTP ${err.status}` : ''}]\n`);
  } else {
    const e = err as { message?: string };
    process.stderr.write(`uplift: ${redact(String(e?.message ?? err))}\n`);
  }
  if (debug && err instanceof Error && err.stack) process.stderr.write(`${redact(err.stack)}\n`);
  return err instanceof UpliftError && err.code === 'ERR_UPLIFT_ABORTED' ? EXIT_INTERRUPTED : EXIT_FAILED;
}
