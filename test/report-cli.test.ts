import { strict as assert } from 'node:assert';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type OutgoingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { parse as parseJunit, type TestSuite } from 'junit2json';

import { providerHandler, type ProviderOptions } from '../src/provider/server.js';
import type { ReportView } from '../src/report/view.js';
import { readPublicKeyFile } from '../src/signature/keys.js';
import { lines, runCli } from './helpers/cli.js';
import { CLIENT_ID, KEYS } from './report-fixtures.js';

interface CliRun {
  code: number | null;
  stdout: string[];
  stderr: string[];
}

const ENOENT_DIR = '/nonexistent-snapcheck-dir';

/** The CLI as CI runs it: from the repository root, CI=true, no terminal. */
async function snapcheck(args: string[]): Promise<CliRun> {
  const run = await runCli(args);
  return { code: run.code, stdout: lines(run.stdout), stderr: lines(run.stderr) };
}

async function junitSuite(file: string): Promise<TestSuite> {
  const parsed = (await parseJunit(readFileSync(file, 'utf8'))) as { testsuite?: TestSuite[] };
  assert.equal(parsed.testsuite?.length, 1, `one testsuite in ${file}`);
  return parsed.testsuite![0]!;
}

function validateReport(json: unknown): string[] {
  const ajv = new Ajv2020({ strict: true, allErrors: true });
  addFormats.default(ajv);
  const validate = ajv.compile(JSON.parse(readFileSync('spec/report.schema.json', 'utf8')));
  return validate(json) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
}

/**
 * The reference provider in this process, with one way to change its answers before they go
 * out (a provider that behaves but for one detail).
 */
async function provider(
  options: Partial<ProviderOptions>,
  tamper: (status: number, headers: OutgoingHttpHeaders) => void = () => undefined,
): Promise<{ url: string; server: Server }> {
  const publicKey = readPublicKeyFile(`${KEYS}/client-public-spki.pem`).key;
  const handle = providerHandler({
    clients: [{ clientId: CLIENT_ID, publicKeys: [publicKey] }],
    ...options,
  });
  const server = createServer((req, res) => {
    const writeHead = res.writeHead.bind(res) as (s: number, h: OutgoingHttpHeaders) => unknown;
    (res as unknown as { writeHead: typeof writeHead }).writeHead = (status, headers) => {
      tamper(status, headers);
      return writeHead(status, headers);
    };
    handle(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, server };
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function providerArgs(url: string): string[] {
  return ['provider', url, '--client-id', CLIENT_ID, '--private-key', `${KEYS}/client-pkcs8.pem`];
}

describe('report files, the gate and exit codes on the command line', function () {
  this.timeout(60_000);
  let scratch: string;
  const servers: Server[] = [];

  before(() => {
    scratch = mkdtempSync(join(tmpdir(), 'snapcheck-report-cli-'));
  });

  afterEach(async () => {
    const closing = servers.splice(0).map(
      (server) =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        }),
    );
    await Promise.all(closing);
  });

  after(() => rmSync(scratch, { recursive: true, force: true }));

  it('writes every report asked for after the console report (main job, --json too)', async () => {
    const file = (name: string): string => join(scratch, name);

    const run = await snapcheck([
      '--json',
      file('run.json'),
      '--report',
      `junit:${file('run.xml')}`,
      '--report',
      `md:${file('run.md')}`,
      '--report',
      `html:${file('run.html')}`,
    ]);

    assert.equal(run.code, 0);
    assert.equal(run.stdout.at(-1), 'CONFORMING under profile doku');
    assert.deepEqual(run.stderr, []);
    const json = JSON.parse(readFileSync(file('run.json'), 'utf8')) as ReportView;
    assert.deepEqual(validateReport(json), []);
    assert.deepEqual([json.verdict, json.gate.exitCode, json.cases.length], ['conforming', 0, 19]);
    const suite = await junitSuite(file('run.xml'));
    assert.deepEqual([suite.tests, suite.failures, suite.errors], [19, 0, 0]);
    assert.equal(lines(readFileSync(file('run.md'), 'utf8'))[0], '## snapcheck: ✅ CONFORMING');
    assert.match(readFileSync(file('run.html'), 'utf8'), /^<!DOCTYPE html>\n<html lang="en">/);
  });

  it('keeps the verdict and exits 2 with one line when a report cannot be written', async () => {
    const summary = join(scratch, 'written-anyway.md');

    const run = await snapcheck([
      '--report',
      `junit:${ENOENT_DIR}/snapcheck.xml`,
      '--report',
      `markdown:${summary}`,
    ]);

    assert.equal(run.code, 2);
    assert.equal(run.stdout.at(-1), 'CONFORMING under profile doku');
    assert.deepEqual(run.stderr, [
      `snapcheck: cannot write the JUnit report to ${ENOENT_DIR}/snapcheck.xml (ENOENT); ` +
        'the console report above stands',
    ]);
    assert.ok(existsSync(summary), 'the other report is still written');
  });

  it('refuses an unknown report format before running anything (exit 2)', async () => {
    const run = await snapcheck(['--report', 'pdf:audit.pdf']);

    assert.equal(run.code, 2);
    assert.deepEqual(run.stdout, []);
    assert.deepEqual(run.stderr, [
      "error: option '--report <format:path>' argument 'pdf:audit.pdf' is invalid. " +
        'unknown report format "pdf" in "pdf:audit.pdf": use one of json, junit, markdown, html',
    ]);
  });

  it('passes warnings by default and fails them under --fail-on warning', async () => {
    // Conforming but for one detail: the token answer names another client.
    const target = await provider({}, (status, headers) => {
      if (status === 200) headers['X-CLIENT-KEY'] = 'MCH-SOMEONE-ELSE';
    });
    servers.push(target.server);
    const junit = join(scratch, 'warnings.xml');

    const [lenient, strict] = await Promise.all([
      snapcheck(providerArgs(target.url)),
      snapcheck([
        ...providerArgs(target.url),
        '--fail-on',
        'warning',
        '--report',
        `junit:${junit}`,
      ]),
    ]);

    assert.equal(lenient.code, 0);
    assert.equal(lenient.stdout.at(-1), 'CONFORMING under profile doku');
    assert.equal(strict.code, 1);
    assert.deepEqual(strict.stdout.slice(-2), [
      'CONFORMING under profile doku',
      'gate failed: --fail-on warning (2 warnings)',
    ]);
    const suite = await junitSuite(junit);
    assert.equal(suite.failures, 2);
    assert.equal(suite.testcase?.[0]?.failure?.[0]?.type, 'response.client-key.echo');
  });

  it('passes a non-conforming run under --fail-on never, and says so', async () => {
    const target = await provider({ profile: 'snap' });
    servers.push(target.server);

    const run = await snapcheck([...providerArgs(target.url), '--fail-on', 'never']);

    assert.equal(run.code, 0);
    assert.deepEqual(run.stdout.slice(-2), [
      'NOT CONFORMING under profile doku',
      'gate passed: --fail-on never (2 errors not gated)',
    ]);
  });

  it('exits 3 for an unreachable target whatever --fail-on says, reports written', async () => {
    const junit = join(scratch, 'unreachable.xml');
    const url = `http://127.0.0.1:${await closedPort()}`;

    const run = await snapcheck([
      ...providerArgs(url),
      '--fail-on',
      'never',
      '--report',
      `junit:${junit}`,
    ]);

    assert.equal(run.code, 3);
    assert.equal(run.stdout.at(-1), 'TARGET UNREACHABLE under profile doku');
    const suite = await junitSuite(junit);
    assert.deepEqual([suite.tests, suite.errors, suite.skipped], [19, 1, 18]);
  });

  it('shows signatures in full in report files only under --show-secrets', async () => {
    const target = await provider({});
    servers.push(target.server);
    const [hidden, shown] = [join(scratch, 'hidden.json'), join(scratch, 'shown.json')];

    await Promise.all([
      snapcheck([...providerArgs(target.url), '--json', hidden]),
      snapcheck([...providerArgs(target.url), '--json', shown, '--show-secrets']),
    ]);

    const signature = (file: string): string | undefined => {
      const json = JSON.parse(readFileSync(file, 'utf8')) as ReportView;
      return json.cases[0]?.exchange?.request.headers['X-SIGNATURE'];
    };
    assert.match(signature(hidden) ?? '', /^[A-Za-z0-9+/]{10}…\[344 chars\]$/);
    assert.match(signature(shown) ?? '', /^[A-Za-z0-9+/]{342}==$|^[A-Za-z0-9+/]{343}=$/);
  });

  it('client judge: a run that falls short is a failing JUnit testcase', async () => {
    const junit = join(scratch, 'client.xml');

    const run = await snapcheck([
      'client',
      '--client-id',
      CLIENT_ID,
      '--public-key',
      `${KEYS}/client-public-spki.pem`,
      '--report',
      `junit:${junit}`,
      '--',
      process.execPath,
      '-e',
      '',
    ]);

    assert.equal(run.code, 1);
    const suite = await junitSuite(junit);
    assert.deepEqual([suite.tests, suite.failures], [1, 1]);
    assert.equal(suite.testcase?.[0]?.name, 'run: the run as a whole');
    assert.match(suite.testcase?.[0]?.failure?.[0]?.message ?? '', /^no token request reached/);
  });

  it('lint-pact: one JUnit testcase per interaction', async () => {
    const junit = join(scratch, 'lint.xml');

    const run = await snapcheck([
      'lint-pact',
      'test/fixtures/pacts/v2-conforming.json',
      '--report',
      `junit:${junit}`,
    ]);

    assert.equal(run.code, 0);
    const suite = await junitSuite(junit);
    assert.equal(suite.name, 'snapcheck pact files against openapi.yaml (doku)');
    assert.deepEqual([suite.tests, suite.failures], [1, 0]);
  });
});
