/**
 * Bad command lines: one line on stderr naming the problem, the `uplift --help` hint, exit
 * 2, never a stack trace. A failed upload exits 1 with one line; --debug adds the stack.
 * Also --help and --version.
 */
import * as fs from 'node:fs';
import { startSandbox, type Sandbox } from '../../lib/sandbox';
import { ENV, VENDORS } from '../../lib/cli/upload';
import { assertBuilt, cliEnv, killLiveChildren, makeTempDir, removeDir, ROOT, runCli, writeRandomFile } from './helpers';

const HINT = 'Run `uplift --help` for usage.';
/** a V8 stack frame line */
const FRAME = /^\s+at .+/m;

let tmp: string;
let file: string;
beforeAll(() => {
  assertBuilt();
  tmp = makeTempDir();
  file = writeRandomFile(tmp, 'take.wav', 4096).file;
});
afterAll(async () => {
  await killLiveChildren();
  removeDir(tmp);
});

/** Runs the command and checks the usage-error shape; returns the message line. */
async function usageError(args: string[], extraEnv: Record<string, string> = {}): Promise<string> {
  const r = await runCli(args, cliEnv(tmp, extraEnv));
  const lines = r.stderr.split('\n');
  expect({ code: r.code, stdout: r.stdout, lines }).toEqual({ code: 2, stdout: '', lines: [expect.stringMatching(/^uplift: \S/), HINT, ''] });
  expect(r.stderr).not.toMatch(FRAME);
  return lines[0];
}

const plaudOk = (): string[] => ['--vendor', 'plaud', '--token', 'plaud_not_used_here'];

test.each<[string, () => string[], RegExp]>([
  ['unknown flag', () => ['--bogus'], /unknown option '--bogus'/i],
  ['unknown flag after upload', () => ['upload', file, ...plaudOk(), '--colour'], /unknown option '--colour'/i],
  ['flag without its value', () => ['upload', file, '--vendor'], /'--vendor <value>' argument missing/],
  ['unknown command', () => ['frobnicate'], /unknown command 'frobnicate'/],
  ['extra argument to demo', () => ['demo', 'now'], /demo takes no arguments/],
  ['unknown vendor', () => ['upload', file, '--vendor', 'acme', '--token', 'x'], /unknown vendor 'acme'.*eka, kore, plaud, scripe, heify/],
  ['missing --vendor', () => ['upload', file, '--token', 'x'], /--vendor is required/],
  ['no file named', () => ['upload', ...plaudOk()], /at least one file/],
  ['missing file', () => ['upload', `${tmp}/nope/absent.wav`, ...plaudOk()], /no file at .*absent\.wav/],
  ['directory instead of a file', () => ['upload', tmp, ...plaudOk()], /is not a regular file/],
  ['--concurrency 0', () => ['upload', file, ...plaudOk(), '--concurrency', '0'], /--concurrency must be an integer from 1 to 64, got '0'/],
  ['--concurrency abc', () => ['upload', file, ...plaudOk(), '--concurrency', 'abc'], /--concurrency .* got 'abc'/],
  ['--concurrency 1.5', () => ['upload', file, ...plaudOk(), '--concurrency', '1.5'], /--concurrency .* got '1\.5'/],
  ['--concurrency 65', () => ['upload', file, ...plaudOk(), '--concurrency', '65'], /--concurrency .* got '65'/],
  ['--port 70000', () => ['sandbox', '--port', '70000'], /--port must be 0\.\.65535, got '70000'/],
  ['--port abc', () => ['sandbox', '--port', 'abc'], /--port .* got 'abc'/],
  ['--port=-1', () => ['sandbox', '--port=-1'], /--port .* got '-1'/],
  ['eka without --txn-id', () => ['upload', file, '--vendor', 'eka', '--token', 'eka_x'], /eka needs --txn-id/],
  ['kore without a base URL', () => ['upload', file, '--vendor', 'kore', '--api-key', 'kg-x'], /kore needs --base-url or UPLIFT_KORE_URL/],
  ['heify without a configuration id', () => ['upload', file, '--vendor', 'heify', '--api-key', 'hfy_x'], /heify needs --configuration-id or UPLIFT_HEIFY_CONFIGURATION_ID/],
  ['plaud --region mars', () => ['upload', file, ...plaudOk(), '--region', 'mars'], /--region must be us or jp, got 'mars'/],
])('%s: one line, exit 2', async (_name, args, message) => {
  expect(await usageError(args())).toMatch(message);
});

test.each([...VENDORS])('missing credential for %s names its environment variable', async (vendor) => {
  const line = await usageError(['upload', file, '--vendor', vendor]);
  expect(line).toMatch(new RegExp(`missing credential for ${vendor}: pass --(token|api-key) or set ${ENV[vendor].secret}$`));
});

test('--help prints usage and exits 0; --version prints the package version; no command exits 2', async () => {
  const help = await runCli(['--help'], cliEnv(tmp));
  expect(help).toMatchObject({ code: 0, stderr: '' });
  expect(help.stdout).toMatch(/^Usage:$/m);
  for (const cmd of ['demo', 'upload', 'sandbox']) expect(help.stdout).toContain(`uplift ${cmd}`);
  const version = await runCli(['--version'], cliEnv(tmp));
  const pkg = JSON.parse(fs.readFileSync(`${ROOT}/package.json`, 'utf8')) as { version: string };
  expect(version).toMatchObject({ code: 0, stdout: `${pkg.version}\n`, stderr: '' });
  const none = await runCli([], cliEnv(tmp));
  expect(none.code).toBe(2);
  expect(none.stdout).toMatch(/^Usage:$/m);
});

describe('a failing upload', () => {
  let sb: Sandbox;
  beforeAll(async () => { sb = await startSandbox(); });
  afterAll(async () => { await sb?.close(); });

  const wrongToken = 'plaud_wrong_token_0123456789abcdef';
  const args = (): string[] => ['upload', file, '--vendor', 'plaud', '--base-url', sb.urls.plaud, '--token', wrongToken, '--json'];

  test('exits 1 with one line and no stack; the token is not printed', async () => {
    const r = await runCli(args(), cliEnv(tmp));
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^uplift: plaud: .*\[ERR_UPLIFT_\w+, HTTP 401\]$/);
    expect(r.stderr).not.toMatch(FRAME);
    expect(r.stderr).not.toContain(wrongToken);
  });

  test('--debug adds the stack trace (still without the token)', async () => {
    const r = await runCli([...args(), '--debug'], cliEnv(tmp));
    expect(r.code).toBe(1);
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^uplift: plaud: .*HTTP 401\]$/);
    expect(lines[1]).toMatch(/^\w*Error: /);
    expect(lines.slice(2).filter((l) => FRAME.test(l)).length).toBeGreaterThan(0);
    expect(r.stderr).not.toContain(wrongToken);
  });
});

test('without a loadable native addon, demo and upload fail in one line (exit 1) instead of hanging', async () => {
  // a preload that makes every .node require throw, as when the addon was never built
  const stub = `${tmp}/no-native.js`;
  fs.writeFileSync(stub, "require('module')._extensions['.node'] = () => { throw new Error('native addons are disabled for this test'); };\n");
  const childTmp = makeTempDir();
  try {
    const env = cliEnv(childTmp, { NODE_OPTIONS: `--require ${stub}` });
    for (const args of [['demo', '--quick'], ['upload', file, ...plaudOk(), '--base-url', 'http://127.0.0.1:9/plaud']]) {
      const r = await runCli(args, env, 15_000);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/^uplift: .*native addons are disabled for this test/);
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
      // nothing was left running or behind: the demo's folder and sandbox are gone
      expect(fs.readdirSync(childTmp)).toEqual([]);
    }
  } finally {
    removeDir(childTmp);
  }
});
