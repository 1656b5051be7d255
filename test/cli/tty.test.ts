/**
 * The TTY view of `uplift demo --quick`, seen through a real terminal: tmux runs the demo in
 * a detached 160x50 pane on a private socket; the test polls `capture-pane` until the
 * summary table appears and checks the progress bars (cli-progress' shades_classic: █ ░)
 * with percentages, and the table rows. Without tmux: fails under CI, skipped elsewhere.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { assertBuilt, BIN, cliEnv, makeTempDir, removeDir, ROOT, tableCells, VENDORS } from './helpers';

const run = promisify(execFile);
/** total time allowed for the demo to reach its summary inside tmux (ms) */
const SUMMARY_TIMEOUT_MS = 60_000;
const POLL_MS = 200;

function onPath(cmd: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const p = path.join(dir || '.', cmd);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return p;
    } catch {
      /* not here */
    }
  }
  return undefined;
}

const tmux = onPath('tmux');
if (!tmux && !process.env.CI) {
  // eslint-disable-next-line no-console
  console.warn('test/cli/tty.test.ts: tmux is not installed, so the TTY progress-bar check is SKIPPED (apt-get install tmux to run it; under CI it fails instead)');
}
const tmuxTest = tmux || process.env.CI ? test : test.skip;

const sq = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

let tmp: string | undefined;
/** private tmux server socket name (-L), so the test never touches anyone else's sessions */
const socket = `uplift-cli-test-${process.pid}`;
const session = 'demo';
let started = false;

afterEach(async () => {
  if (started) {
    await run(tmux!, ['-L', socket, 'kill-server']).catch(() => undefined);
    started = false;
  }
  removeDir(tmp);
}, SUMMARY_TIMEOUT_MS + 15_000);

tmuxTest('demo --quick in a terminal draws progress bars and the summary table', async () => {
  if (!tmux) throw new Error('tmux is not installed but CI is set: the TTY progress-bar check must run in CI (.ci/run installs tmux)');
  assertBuilt();
  tmp = makeTempDir();
  // CI unset so the command sees a real TTY; TMPDIR private so leftovers can be checked
  const env = cliEnv(tmp, { CI: undefined });
  const cmd = `cd ${sq(ROOT)} && env -u CI TMPDIR=${sq(tmp)} ${sq(process.execPath)} ${sq(BIN)} demo --quick; echo "exit=$?"; sleep 5`;
  await run(tmux, ['-L', socket, '-f', '/dev/null', 'new-session', '-d', '-s', session, '-x', '160', '-y', '50', cmd], { env });
  started = true;

  const deadline = Date.now() + SUMMARY_TIMEOUT_MS;
  let screen = '';
  let sawPartial = false;
  for (;;) {
    screen = (await run(tmux, ['-L', socket, 'capture-pane', '-p', '-t', session], { env })).stdout;
    if (/\|[█]*░+\| \d{1,3}%/.test(screen)) sawPartial = true;
    if (/^exit=\d+$/m.test(screen)) break;
    if (Date.now() > deadline) throw new Error(`no summary table within ${SUMMARY_TIMEOUT_MS} ms; the pane shows:\n${screen}`);
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
  const lines = screen.split('\n');
  expect(screen).toMatch(/^exit=0$/m);

  // one bar per vendor: label, 30 shade characters between pipes, a percentage, MiB sent/total
  for (const v of VENDORS) {
    const bar = lines.find((l) => new RegExp(`^ ${v}\\s+\\|`).test(l));
    expect(bar).toBeDefined();
    expect(bar).toMatch(/\|[█░]{30}\| \d{1,3}% \d+\.\d\/\d+\.\d MiB/);
    // finished uploads are full bars at 100%
    expect(bar).toMatch(/\|█{30}\| 100% (\d+\.\d)\/\1 MiB/);
  }
  // the TTY view replaces the plain lines of the pipe view
  expect(screen).not.toMatch(/^\w+: started, /m);

  const header = lines.findIndex((l) => /^\| vendor \|/.test(l));
  expect(header).toBeGreaterThan(-1);
  const columns = tableCells(lines[header])!;
  const md5Col = columns.findIndex((c) => /MD5/.test(c));
  const rows = lines.slice(header + 2).map(tableCells).filter((c): c is string[] => !!c && c.length === columns.length);
  expect(rows.map((c) => c[0]).sort()).toEqual([...VENDORS].sort());
  for (const c of rows) expect(c[md5Col]).toBe('yes');
  expect(screen).toMatch(/all uploads verified/);
  expect(fs.readdirSync(tmp)).toEqual([]);
  if (!sawPartial) {
    // the quick demo can finish between two polls; full bars were still checked above
    // eslint-disable-next-line no-console
    console.info('tty.test: no partially filled bar was captured (the demo finished between polls)');
  }
}, SUMMARY_TIMEOUT_MS + 15_000);
