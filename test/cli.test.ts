import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { parse } from 'yaml';

import { startProvider } from '../src/provider/server.js';
import { readPublicKeyFile } from '../src/signature/keys.js';
import type { Profile } from '../src/types.js';
import { toolVersion } from '../src/version.js';
import { lines, ROOT, runCli } from './helpers/cli.js';

interface CliRun {
  code: number | null;
  stdout: string[];
  stderr: string[];
}

const KEYS = 'test/fixtures/keys';
const CLIENT_ID = 'MCH-0008-1296507211683';
const TOKEN_PATH = '/authorization/v1/access-token/b2b';
const PASSPHRASE = 'snapcheck-fixture';
const STARTED =
  /^reference provider started at http:\/\/127\.0\.0\.1:\d+ with a fresh 2048-bit key pair$/;
const STACK_LINE = /^\s+at /;

const closers: (() => Promise<void>)[] = [];
let scratch: string;

/** Runs the CLI as a user would, from the repository root; `env` adds to a clean copy. */
async function snapcheck(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  // SNAP_PASS only when a test sets it: the passphrase must not leak in from the outside.
  const run = await runCli(args, { SNAP_PASS: undefined, ...env }, 15_000);
  return { code: run.code, stdout: lines(run.stdout), stderr: lines(run.stderr) };
}

/** The reference provider in this process, knowing the fixture client's public key. */
async function fixtureProvider(profile: Profile): Promise<string> {
  const publicKey = readPublicKeyFile(`${KEYS}/client-public-spki.pem`).key;
  const provider = await startProvider({
    clients: [{ clientId: CLIENT_ID, publicKeys: [publicKey] }],
    profile,
  });
  closers.push(() => provider.close());
  return provider.url;
}

/** A port that was just bound and released: connecting to it is refused. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function providerArgs(url: string, key = 'client-pkcs8.pem'): string[] {
  return ['provider', url, '--client-id', CLIENT_ID, '--private-key', `${KEYS}/${key}`];
}

describe('snapcheck command line', () => {
  before(() => {
    scratch = mkdtempSync(join(tmpdir(), 'snapcheck-cli-test-'));
  });

  after(() => {
    rmSync(scratch, { recursive: true, force: true });
  });

  afterEach(async () => {
    await Promise.all(closers.splice(0).map((close) => close()));
  });

  describe('with no command (the main job)', () => {
    for (const profile of ['doku', 'snap'] as const) {
      it(`runs the battery against a fresh reference provider under ${profile}`, async () => {
        const run = await snapcheck(profile === 'doku' ? [] : ['--profile', profile]);

        assert.equal(run.code, 0);
        assert.match(run.stdout[0] ?? '', STARTED);
        assert.match(run.stdout.at(-2) ?? '', /^19 cases: 19 passed, 0 failed, 0 skipped · /);
        assert.equal(run.stdout.at(-1), `CONFORMING under profile ${profile}`);
        assert.deepEqual(run.stderr, []);
      });
    }

    it('writes the JSON report to --json', async () => {
      const file = join(scratch, 'report.json');

      const run = await snapcheck(['--json', file]);

      assert.equal(run.code, 0);
      const report = JSON.parse(readFileSync(file, 'utf8')) as {
        conforming: boolean;
        profile: string;
        cases: { verdict: string }[];
      };
      assert.equal(report.conforming, true);
      assert.equal(report.profile, 'doku');
      assert.equal(report.cases.length, 19);
      assert.ok(report.cases.every((result) => result.verdict === 'pass'));
    });

    it('keeps the console report and exits 2 when the JSON report cannot be written', async () => {
      const run = await snapcheck(['--json', '/nonexistent-dir/report.json']);

      assert.equal(run.code, 2);
      assert.equal(run.stdout.at(-1), 'CONFORMING under profile doku');
      assert.equal(run.stderr.length, 1);
      assert.match(
        run.stderr[0] ?? '',
        /^snapcheck: cannot write the JSON report to \/nonexistent-dir\/report\.json \(ENOENT\)/,
      );
    });
  });

  describe('provider <base-url>', () => {
    it('passes a conforming provider with a PKCS#8 key', async () => {
      const url = await fixtureProvider('doku');

      const run = await snapcheck(providerArgs(url));

      assert.equal(run.code, 0);
      assert.deepEqual(run.stdout.slice(0, 2), [
        `snapcheck ${toolVersion}: provider battery`,
        `target   ${url}${TOKEN_PATH}`,
      ]);
      assert.equal(run.stdout.at(-1), 'CONFORMING under profile doku');
      assert.deepEqual(run.stderr, []);
    });

    it('takes --profile and --json given after the provider command', async () => {
      const url = await fixtureProvider('snap');
      const file = join(scratch, 'provider-report.json');

      const run = await snapcheck([...providerArgs(url), '--profile', 'snap', '--json', file]);

      assert.equal(run.code, 0);
      assert.equal(run.stdout.at(-1), 'CONFORMING under profile snap');
      const report = JSON.parse(readFileSync(file, 'utf8')) as { profile: string; target: string };
      assert.deepEqual([report.profile, report.target], ['snap', `${url}${TOKEN_PATH}`]);
    });

    it('signs with an encrypted key whose passphrase is in --passphrase-env', async () => {
      const url = await fixtureProvider('doku');
      const args = [
        ...providerArgs(url, 'client-encrypted-pkcs8.pem'),
        '--passphrase-env',
        'SNAP_PASS',
      ];

      const run = await snapcheck(args, { SNAP_PASS: PASSPHRASE });

      assert.equal(run.code, 0);
      assert.equal(run.stdout.at(-1), 'CONFORMING under profile doku');
      assert.deepEqual(run.stderr, []);
    });

    it('names the broken rule and exits 1 for a non-conforming provider', async () => {
      // A SNAP-style provider sends expiresIn "900": wrong where DOKU's number 900 is expected.
      const url = await fixtureProvider('snap');

      const run = await snapcheck(providerArgs(url));

      assert.equal(run.code, 1);
      const findings = run.stdout.filter((line) => /^ {6}error /.test(line));
      assert.deepEqual(findings, [
        '      error   response.expires-in.form  response.body.expiresIn',
        '      error   response.expires-in.form  response.body.expiresIn',
      ]);
      const summary = run.stdout.at(-2) ?? '';
      assert.match(summary, /^19 cases: 17 passed, 2 failed, 0 skipped · 2 errors/);
      assert.equal(run.stdout.at(-1), 'NOT CONFORMING under profile doku');
    });

    it('reports an unreachable target and exits 3', async () => {
      const port = await closedPort();

      const run = await snapcheck(providerArgs(`http://127.0.0.1:${port}`));

      assert.equal(run.code, 3);
      assert.equal(run.stdout[1], `target   http://127.0.0.1:${port}${TOKEN_PATH}`);
      assert.ok(run.stdout.some((line) => line.includes('transport.connect')));
      assert.equal(run.stdout.at(-1), 'TARGET UNREACHABLE under profile doku');
    });

    it('exits 2 with one line and no stack trace for a missing key file', async () => {
      const url = `http://127.0.0.1:${await closedPort()}`;
      const args = ['provider', url, '--client-id', 'X', '--private-key', './missing.pem'];

      const run = await snapcheck(args);

      assert.equal(run.code, 2);
      assert.deepEqual(run.stdout, []);
      assert.equal(run.stderr.length, 1);
      assert.match(run.stderr[0] ?? '', /^snapcheck: .*\.\/missing\.pem/);
      assert.ok(!run.stderr.some((line) => STACK_LINE.test(line)));
    });

    it('exits 2 when the --passphrase-env variable is not set', async () => {
      const url = await fixtureProvider('doku');
      const args = [
        ...providerArgs(url, 'client-encrypted-pkcs8.pem'),
        '--passphrase-env',
        'SNAP_PASS',
      ];

      const run = await snapcheck(args);

      assert.equal(run.code, 2);
      assert.deepEqual(run.stdout, []);
      assert.deepEqual(run.stderr, [
        'snapcheck: environment variable SNAP_PASS (from --passphrase-env) is not set',
      ]);
    });
  });

  describe('usage errors', () => {
    const key = `${KEYS}/client-pkcs8.pem`;
    const table: [string, string[], RegExp][] = [
      [
        'a base URL that is not a URL',
        ['provider', 'not-a-url', '--client-id', 'X', '--private-key', key],
        /^snapcheck: not a URL: not-a-url /,
      ],
      [
        'an unknown profile',
        ['--profile', 'bogus'],
        /^error: option '--profile <profile>' argument 'bogus' is invalid\. /,
      ],
      ['an unknown option', ['--bogus'], /^error: unknown option '--bogus'$/],
    ];

    for (const [name, args, firstLine] of table) {
      it(`exits 2 for ${name}`, async () => {
        const run = await snapcheck(args);

        assert.equal(run.code, 2);
        assert.deepEqual(run.stdout, []);
        assert.match(run.stderr[0] ?? '', firstLine);
        assert.ok(!run.stderr.some((line) => STACK_LINE.test(line)));
      });
    }

    it('prints help and exits 0 for --help', async () => {
      const run = await snapcheck(['--help']);

      assert.equal(run.code, 0);
      assert.equal(run.stdout[0], 'Usage: snapcheck [options] [command]');
      assert.ok(run.stdout.some((line) => /^ {2}provider \[options\] <base-url>/.test(line)));
      assert.deepEqual(run.stderr, []);
    });
  });

  describe('rules', () => {
    const catalogue = parse(readFileSync(join(ROOT, 'spec/rules.yaml'), 'utf8')) as {
      rules: { id: string }[];
    };
    const ids = catalogue.rules.map((rule) => rule.id);

    it('lists every rule of spec/rules.yaml', async () => {
      const run = await snapcheck(['rules']);

      assert.equal(run.code, 0);
      assert.match(
        run.stdout[0] ?? '',
        new RegExp(`^snapcheck rule catalogue v\\d+ \\(${ids.length} rules\\)$`),
      );
      const listed = run.stdout.filter((line) => /^\S/.test(line)).slice(1);
      assert.deepEqual(
        listed.map((line) => line.split(' ')[0]),
        ids,
      );
    });

    it('prints the catalogue as JSON with --json', async () => {
      const run = await snapcheck(['rules', '--json']);

      assert.equal(run.code, 0);
      const printed = JSON.parse(run.stdout.join('\n')) as { rules: { id: string }[] };
      assert.deepEqual(
        printed.rules.map((rule) => rule.id),
        ids,
      );
    });
  });
});
