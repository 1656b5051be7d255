/**
 * The TTY view of `uplift demo --quick`, seen through a real terminal: tmux runs the demo in
 * a detached 160x50 pane on a private socket; the test polls `capture-pane` until the
 * summary table appears and checks the progress bars (cli-progress' shades_classic: █ ░)
 * with percentages, and the table rows. Also `upload` with stdout redirected to a file:
 * its bars go to the terminal on stderr, its result to the file. Without tmux: fails under
 * CI, skipped elsewhere.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { startSandbox } from '../../lib/sandbox';
import { assertBuilt, BIN, cliEnv, makeTempDir, MiB, removeDir, ROOT, tableCells, VENDORS, writeRandomFile } from './helpers';

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
/** folder of this test's private tmux server socket (-S): no one else's sessions are touched */
let sockDir: string | undefined;
const socket = (): string => path.join(sockDir!, 'tmux.sock');

afterEach(async () => {
  if (sockDir) {
    await run(tmux!, ['-S', socket(), 'kill-server']).catch(() => undefined);
    removeDir(sockDir);
    sockDir = undefined;
  }
  removeDir(tmp);
});

function requireTmux(): string {
  if (!tmux) throw new Error('tmux is not installed but CI is set: the TTY progress-bar check must run in CI (.ci/run installs tmux)');
  assertBuilt();
  return tmux;
}

/**
 * Runs `shellCmd` in a detached 160x50 tmux session (CI unset so the command sees a real
 * TTY), then polls the pane until it shows `exit=<code>` (echoed after the command) and
 * returns the last capture. `seen` gets every capture on the way.
 */
async function inPane(session: string, shellCmd: string, env: NodeJS.ProcessEnv, seen: (screen: string) => void = () => undefined): Promise<string> {
  const t = requireTmux();
  sockDir = makeTempDir('uplift-tmux-');
  const cmd = `cd ${sq(ROOT)} && env -u CI ${shellCmd}; echo "exit=$?"; sleep 5`;
  await run(t, ['-S', socket(), '-f', '/dev/null', 'new-session', '-d', '-s', session, '-x', '160', '-y', '50', cmd], { env });
  const deadline = Date.now() + SUMMARY_TIMEOUT_MS;
  for (;;) {
    const screen = (await run(t, ['-S', socket(), 'capture-pane', '-p', '-t', session], { env })).stdout;
    seen(screen);
    if (/^exit=\d+$/m.test(screen)) return screen;
    if (Date.now() > deadline) throw new Error(`the command did not finish within ${SUMMARY_TIMEOUT_MS} ms; the pane shows:\n${screen}`);
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

const node = `${sq(process.execPath)} ${sq(BIN)}`;
/** a finished bar: label, 30 full shade characters between pipes, 100%, MiB sent/total */
const FULL_BAR = /\|█{30}\| 100% (\d+\.\d)\/\1 MiB/;

tmuxTest('demo --quick in a terminal draws progress bars and the summary table', async () => {
  requireTmux();
  tmp = makeTempDir();
  let sawPartial = false;
  // TMPDIR private so leftovers can be checked
  const screen = await inPane('demo', `TMPDIR=${sq(tmp)} ${node} demo --quick`, cliEnv(tmp, { CI: undefined }), (s) => {
    if (/\|█*░+\| \d{1,3}%/.test(s)) sawPartial = true;
  });
  const lines = screen.split('\n');
  expect(screen).toMatch(/^exit=0$/m);

  // one bar per vendor: label, 30 shade characters between pipes, a percentage, MiB sent/total
  for (const v of VENDORS) {
    const bar = lines.find((l) => new RegExp(`^ ${v}\\s+\\|`).test(l));
    expect(bar).toBeDefined();
    expect(bar).toMatch(/\|[█░]{30}\| \d{1,3}% \d+\.\d\/\d+\.\d MiB/);
    expect(bar).toMatch(FULL_BAR);
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

tmuxTest('upload with stdout redirected draws its bar on the terminal (stderr); the result goes to the file', async () => {
  requireTmux();
  tmp = makeTempDir();
  const sb = await startSandbox();
  try {
    const f = writeRandomFile(tmp, 'board-meeting.wav', 12 * MiB);
    const out = `${tmp}/result.txt`;
    const env = cliEnv(tmp, { CI: undefined, UPLIFT_PLAUD_URL: sb.urls.plaud, UPLIFT_PLAUD_TOKEN: sb.credentials.plaud.token });
    const screen = await inPane('upload', `${node} upload ${sq(f.file)} --vendor plaud > ${sq(out)}`, env);
    expect(screen).toMatch(/^exit=0$/m);
    const bar = screen.split('\n').find((l) => /^ board-meeting\.wav\s+\|/.test(l));
    expect(bar).toBeDefined();
    expect(bar).toMatch(FULL_BAR);
    expect(bar).toMatch(/parts 3\/3/);
    const written = fs.readFileSync(out, 'utf8');
    expect(written).toMatch(/^plaud: \{.*\}\n$/);
    expect(written).not.toMatch(/\x1b|█/);
    expect(JSON.parse(written.slice('plaud: '.length))).toMatchObject({ md5: f.md5, bytes: f.size });
    expect(sb.objects().filter((o) => o.md5 === f.md5)).toHaveLength(1);
  } finally {
    await sb.close();
  }
}, SUMMARY_TIMEOUT_MS + 15_000);
