import { strict as assert } from 'node:assert';
import { execFile, spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { CLI_ENTRY, runCli, type CliOutput } from './helpers/cli.js';

const KEY = 'test/fixtures/keys/client-pkcs8.pem';
const ENTRY = CLI_ENTRY;

type Run = CliOutput;
const snapcheck = runCli;

/** Starts snapcheck, sends it SIGINT once `ready` matches its output, and collects the rest. */
function interrupted(args: string[], ready: RegExp): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...ENTRY, ...args], {
      env: { ...process.env, CI: 'true' },
    });
    let stdout = '';
    let stderr = '';
    let sent = false;
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (!sent && ready.test(stdout)) {
        sent = true;
        child.kill('SIGINT');
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}

describe('command line usage errors and signals', function () {
  this.timeout(30_000);
  let folder: string;

  before(() => {
    folder = mkdtempSync(join(tmpdir(), 'snapcheck-usage-'));
  });
  after(() => rmSync(folder, { recursive: true, force: true }));

  const usage: [string, string[], string][] = [
    [
      'a mistyped command',
      ['provdier', 'http://127.0.0.1:9'],
      'snapcheck: unknown command "provdier" (did you mean provider?); commands: ',
    ],
    [
      'a shared option before the command',
      ['--profile', 'snap', 'provider', 'http://127.0.0.1:9', '--client-id', 'A'],
      'snapcheck: --profile goes after the command: snapcheck provider … --profile',
    ],
    [
      'a timeout of 0',
      ['--timeout', '0'],
      "error: option '--timeout <ms>' argument '0' is invalid",
    ],
    [
      'a path naming another host',
      ['--path', '//127.0.0.2/x'],
      "error: option '--path <path>' argument '//127.0.0.2/x' is invalid",
    ],
    ['provider without a URL', ['provider'], "error: missing required argument 'base-url'"],
    [
      'provider without a key',
      ['provider', 'http://127.0.0.1:9', '--client-id', 'A'],
      'snapcheck: provider needs --private-key FILE; see snapcheck provider --help',
    ],
    [
      'a URL without a scheme',
      ['provider', 'localhost:8080', '--client-id', 'A', '--private-key', KEY],
      'snapcheck: not a URL: localhost:8080 (write the scheme too, e.g. http://localhost:8080)',
    ],
    [
      'an empty client id to sign',
      ['sign', '--client-id', '', '--private-key', KEY],
      "error: option '--client-id <id>' argument '' is invalid",
    ],
  ];
  for (const [name, args, first] of usage) {
    it(`exits 2 with one line for ${name}`, async () => {
      const run = await snapcheck(args);
      assert.equal(run.code, 2, run.stdout + run.stderr);
      assert.ok(run.stderr.startsWith(first), run.stderr);
      assert.equal(run.stderr.trim().split('\n').length, 1, run.stderr);
    });
  }

  it('shows help for `snapcheck help client`', async () => {
    const run = await snapcheck(['help', 'client']);
    assert.equal(run.code, 0);
    assert.match(run.stdout, /^Usage: snapcheck client \[options\] \[command\.\.\.\]/);
  });

  it('refuses to write a report over the private key, and leaves the key intact', async () => {
    const key = join(folder, 'key.pem');
    copyFileSync(KEY, key);
    const args = ['provider', 'http://127.0.0.1:9', '--client-id', 'A', '--private-key', key];
    const run = await snapcheck([...args, '--json', key]);
    assert.equal(run.code, 2);
    assert.equal(
      run.stderr,
      `snapcheck: cannot write the JSON report to "${key}": it is an input file of this run\n`,
    );
    assert.equal(readFileSync(key, 'utf8'), readFileSync(KEY, 'utf8'));
  });

  it('keeps a path prefix of the base URL in front of the token path', async () => {
    const run = await snapcheck([
      'sign',
      '--client-id',
      'A',
      '--private-key',
      KEY,
      '--curl',
      'http://127.0.0.1:9/gateway/',
    ]);
    assert.match(
      run.stdout,
      /^curl -sS -X POST 'http:\/\/127\.0\.0\.1:9\/gateway\/authorization\/v1\/access-token\/b2b'/,
    );
  });

  it('stops quietly when its reader closes the pipe', async () => {
    const run = await new Promise<Run>((resolve) => {
      execFile(
        'sh',
        ['-c', `${process.execPath} ${ENTRY.join(' ')} rules | head -n 1`],
        { timeout: 20_000 },
        (error, stdout, stderr) => resolve({ code: error ? 1 : 0, stdout, stderr }),
      );
    });
    assert.equal(run.stdout, 'snapcheck rule catalogue v1 (' + run.stdout.slice(29));
    assert.equal(run.stderr, '');
  });

  it('ends a client run interrupted by SIGINT with its report and exit 1', async () => {
    const json = join(folder, 'interrupted.json');
    const run = await interrupted(
      [
        'client',
        '--client-id',
        'MCH-1',
        '--public-key',
        'test/fixtures/keys/client-public-spki.pem',
        '--json',
        json,
        '--',
        'sleep',
        '30',
      ],
      /running: sleep 30/,
    );
    assert.equal(run.code, 1, run.stdout + run.stderr);
    assert.match(run.stdout, /the run was interrupted \(SIGINT\) before the command ended/);
    assert.match(run.stdout, /NOT CONFORMING under profile doku/);
    assert.ok(existsSync(json), 'the JSON report is written');
  });

  it('ends a provider run interrupted by SIGINT with the cases so far, exit 1', async () => {
    const silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as AddressInfo;
    const json = join(folder, 'provider-interrupted.json');
    try {
      const run = await interrupted(
        [
          'provider',
          `http://127.0.0.1:${port}`,
          '--client-id',
          'A',
          '--private-key',
          KEY,
          '--timeout',
          '60000',
          '--json',
          json,
        ],
        /profile {2}doku/,
      );
      assert.equal(run.code, 1, run.stdout + run.stderr);
      assert.match(run.stdout, /- 19 more cases not run: the run was interrupted/);
      assert.match(run.stdout, /the run was interrupted \(SIGINT\)/);
      const report = JSON.parse(readFileSync(json, 'utf8')) as { summary: { skipped: number } };
      assert.equal(report.summary.skipped, 19);
    } finally {
      silent.closeAllConnections();
      silent.close();
    }
  });

  it('removes the demo client key when the mock is stopped', async () => {
    const run = await interrupted(['mock'], /Ctrl-C to stop/);
    const path = /\(throwaway, mode 0600, removed on exit\): (\S+)/.exec(run.stdout)?.[1];
    assert.ok(path, run.stdout);
    assert.equal(existsSync(path), false);
  });
});
