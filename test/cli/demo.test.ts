/**
 * `uplift demo --quick` with stdout on a pipe and CI=1: plain progress lines (no ANSI
 * codes), a summary table with a verified row per vendor, exit 0, and its temp folder gone.
 */
import * as fs from 'node:fs';
import { ANSI, assertBuilt, cliEnv, killLiveChildren, makeTempDir, removeDir, runCli, tableCells, VENDORS } from './helpers';

let tmp: string;
beforeAll(() => { assertBuilt(); });
beforeEach(() => { tmp = makeTempDir(); });
afterEach(async () => {
  await killLiveChildren();
  removeDir(tmp);
});

test('demo --quick on a pipe: plain progress, one verified row per vendor, no temp folder left', async () => {
  const r = await runCli(['demo', '--quick'], cliEnv(tmp), 45_000);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  expect(r.stdout).not.toMatch(ANSI);
  expect(r.stdout).not.toMatch(/\r/);

  const lines = r.stdout.split('\n');
  for (const v of VENDORS) {
    // the plain view: a start line, at least one percentage line, and a done line per vendor
    expect(lines).toEqual(expect.arrayContaining([expect.stringMatching(new RegExp(`^${v}: started, \\d+\\.\\d MiB$`))]));
    expect(lines).toEqual(expect.arrayContaining([expect.stringMatching(new RegExp(`^${v}: \\d{1,3}% \\(\\d+\\.\\d MiB`))]));
    expect(lines).toContain(`${v}: done`);
    expect(lines.indexOf(`${v}: done`)).toBeGreaterThan(lines.findIndex((l) => l.startsWith(`${v}: started`)));
  }

  // summary table: header, separator, then a row per vendor with "yes" under the MD5 column
  const header = lines.findIndex((l) => /^\| vendor \|/.test(l));
  expect(header).toBeGreaterThan(-1);
  const columns = tableCells(lines[header])!;
  const md5Col = columns.findIndex((c) => /MD5/.test(c));
  expect(md5Col).toBeGreaterThan(0);
  const rows = new Map<string, string[]>();
  for (const l of lines.slice(header + 2)) {
    const cells = tableCells(l);
    if (!cells) break;
    expect(cells).toHaveLength(columns.length);
    rows.set(cells[0], cells);
  }
  expect([...rows.keys()].sort()).toEqual([...VENDORS].sort());
  for (const v of VENDORS) {
    const cells = rows.get(v)!;
    expect(cells[md5Col]).toBe('yes');
    expect(Number(cells[columns.indexOf('files')])).toBeGreaterThanOrEqual(1);
    expect(Number(cells[columns.indexOf('MiB')])).toBeGreaterThan(0);
  }
  expect(rows.get('eka')![columns.indexOf('files')]).toBe('3');
  expect(r.stdout).toMatch(/all uploads verified/);

  // the child's os.tmpdir() is `tmp`: its uplift-demo-* folder (and the sandbox's) are gone
  expect(fs.readdirSync(tmp).filter((n) => n.startsWith('uplift-demo-'))).toEqual([]);
  expect(fs.readdirSync(tmp)).toEqual([]);
});
