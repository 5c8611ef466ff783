/**
 * Provider verification with Pact's Verifier, through the command line as a user runs it (the
 * verifier prints its own report to stdout, which a child process keeps out of mocha's output),
 * plus the pieces that need no verifier: re-signing, broker options, publishing.
 */
import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { createPublicKey } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import {
  createServer,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { publishPactsCommand, verifyPactCommand } from '../src/cli/pact-commands.js';
import { SnapcheckError } from '../src/errors.js';
import { resign } from '../src/pact/resign.js';
import type { StateIntent } from '../src/pact/states.js';
import { brokerVerifierOptions } from '../src/pact/verify.js';
import { providerHandler } from '../src/provider/server.js';
import { verifyToken } from '../src/signature/asymmetric.js';
import { readPrivateKeyFile } from '../src/signature/keys.js';
import type { HeaderBag } from '../src/types.js';

const KEY_FILE = 'test/fixtures/keys/client-pkcs8.pem';
const DOKU_CONTRACT = 'contracts/snapcheck-token-client-snap-b2b-token-doku.json';
const CONTRACT_ID = 'MCH-0008-1296507211683';
const NOW = Date.parse('2026-01-15T03:04:05.678Z');

const privateKey = readPrivateKeyFile(KEY_FILE).key;
const publicKey = createPublicKey(privateKey);

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI from source in a child process. */
function snapcheck(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'src/cli/main.ts', ...args],
      { env: { ...process.env, PACT_DO_NOT_TRACK: 'true', NO_COLOR: '1' }, timeout: 60_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(
    servers.splice(0).map(
      (server) =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        }),
    ),
  );
});

async function listen(
  handler: (request: IncomingMessage, response: ServerResponse) => void,
): Promise<string> {
  const server = createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('re-signing replayed requests', () => {
  function headers(timestamp: string, signature = true): HeaderBag {
    return {
      'content-type': 'application/json',
      'x-timestamp': timestamp,
      'x-client-key': CONTRACT_ID,
      ...(signature ? { 'x-signature': 'c3RhbGU=' } : {}),
    };
  }
  const registered: StateIntent = { kind: 'registered', clientId: CONTRACT_ID };
  const options = { clientId: 'MCH-MINE-1', privateKey, clock: () => NOW };

  const table: [string, HeaderBag, StateIntent[], [string, string, boolean | undefined]][] = [
    [
      'keeps the offset form and gives the registered client the verifying id',
      headers('2022-10-07T14:18:39+07:00'),
      [registered],
      ['2026-01-15T10:04:05+07:00', 'MCH-MINE-1', true],
    ],
    [
      'keeps milliseconds when the contract has them',
      headers('2022-10-07T07:18:39.123Z'),
      [registered],
      ['2026-01-15T03:04:05.678Z', 'MCH-MINE-1', true],
    ],
    [
      'signs with a throwaway key when the state says the provider does not hold it',
      headers('2022-10-07T07:18:39Z'),
      [{ kind: 'other-key', clientId: CONTRACT_ID }],
      ['2026-01-15T03:04:05Z', 'MCH-MINE-1', false],
    ],
    [
      // Signed by the verifying key: the provider must refuse because it does not know the id.
      'leaves an unregistered client as the contract wrote it',
      headers('2022-10-07T07:18:39Z'),
      [{ kind: 'unregistered', clientId: CONTRACT_ID }],
      ['2026-01-15T03:04:05Z', CONTRACT_ID, true],
    ],
    [
      'leaves a malformed X-TIMESTAMP alone',
      headers('2022-10-07 14:18:39'),
      [registered],
      ['2022-10-07 14:18:39', 'MCH-MINE-1', true],
    ],
    [
      'adds no X-SIGNATURE where the contract has none',
      headers('2022-10-07T07:18:39Z', false),
      [registered],
      ['2026-01-15T03:04:05Z', 'MCH-MINE-1', undefined],
    ],
  ];
  for (const [name, given, states, [timestamp, clientId, verifies]] of table) {
    it(name, () => {
      const bag = { ...given };
      resign(bag, states, options);

      const signature = bag['x-signature'] as string | undefined;
      assert.deepEqual(
        [
          bag['x-timestamp'],
          bag['x-client-key'],
          signature === undefined
            ? undefined
            : verifyToken(publicKey, clientId, timestamp, signature),
        ],
        [timestamp, clientId, verifies],
      );
    });
  }
});

describe('pact broker options', () => {
  it('fetches from the broker and publishes results for a provider version', () => {
    assert.deepEqual(
      brokerVerifierOptions({
        brokerUrl: 'https://broker.example',
        provider: 'snap-b2b-token-doku',
        token: 'secret-token',
        publish: { providerVersion: '1.2.3', branch: 'main' },
      }),
      {
        provider: 'snap-b2b-token-doku',
        pactBrokerUrl: 'https://broker.example',
        pactBrokerToken: 'secret-token',
        consumerVersionSelectors: [{ mainBranch: true }, { deployedOrReleased: true }],
        publishVerificationResult: true,
        providerVersion: '1.2.3',
        providerVersionBranch: 'main',
      },
    );
  });

  it('publishes nothing unless asked', () => {
    assert.deepEqual(
      brokerVerifierOptions({ brokerUrl: 'https://broker.example', provider: 'p' }),
      {
        provider: 'p',
        pactBrokerUrl: 'https://broker.example',
        consumerVersionSelectors: [{ mainBranch: true }, { deployedOrReleased: true }],
        publishVerificationResult: false,
      },
    );
  });
});

describe('publish-pacts', () => {
  let token: string | undefined;
  before(() => {
    token = process.env.PACT_BROKER_TOKEN;
    process.env.PACT_BROKER_TOKEN = 'broker-secret-0123456789';
  });
  after(() => {
    if (token === undefined) delete process.env.PACT_BROKER_TOKEN;
    else process.env.PACT_BROKER_TOKEN = token;
  });

  async function publish(brokerUrl: string, dryRun = false) {
    const out: string[] = [];
    const code = await publishPactsCommand(
      ['contracts'],
      { brokerUrl, consumerVersion: 'abc1234', branch: 'main', tag: ['ci'], dryRun },
      { out: (line) => out.push(line), err: (line) => out.push(line) },
    );
    return { code, out };
  }

  it('prints the request on --dry-run, without the token', async () => {
    const { code, out } = await publish('https://broker.example/', true);
    const sizes = ['doku', 'snap'].map(
      (p) => readFileSync(`contracts/snapcheck-token-client-snap-b2b-token-${p}.json`).length,
    );

    assert.equal(code, 0);
    assert.deepEqual(out, [
      'POST https://broker.example/contracts/publish',
      'Content-Type: application/json',
      'Accept: application/hal+json',
      'Authorization: Bearer …[redacted]',
      'consumer snapcheck-token-client version abc1234',
      'branch main',
      'tags ci',
      `pact snapcheck-token-client → snap-b2b-token-doku (${sizes[0]} bytes)`,
      `pact snapcheck-token-client → snap-b2b-token-snap (${sizes[1]} bytes)`,
      'dry run: nothing was sent',
    ]);
  });

  it('sends one publish request with every pact to the broker', async () => {
    let seen: { method?: string; url?: string; auth?: string; body?: unknown } = {};
    const broker = await listen((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        seen = {
          method: request.method,
          url: request.url,
          auth: request.headers.authorization,
          body: JSON.parse(Buffer.concat(chunks).toString('utf8')),
        };
        response.writeHead(200, { 'Content-Type': 'application/hal+json' });
        response.end('{"notices":[]}');
      });
    });

    const { code, out } = await publish(broker);

    const body = seen.body as {
      pacticipantName: string;
      pacticipantVersionNumber: string;
      branch: string;
      tags: string[];
      contracts: { providerName: string; content: string }[];
    };
    assert.equal(code, 0);
    assert.deepEqual(out, [`published 2 pact(s) to ${broker}/contracts/publish`]);
    assert.deepEqual(
      [seen.method, seen.url, seen.auth],
      ['POST', '/contracts/publish', 'Bearer broker-secret-0123456789'],
    );
    assert.deepEqual(
      [body.pacticipantName, body.pacticipantVersionNumber, body.branch, body.tags],
      ['snapcheck-token-client', 'abc1234', 'main', ['ci']],
    );
    assert.deepEqual(
      body.contracts.map((c) => [c.providerName, Buffer.from(c.content, 'base64').toString()]),
      ['doku', 'snap'].map((p) => [
        `snap-b2b-token-${p}`,
        readFileSync(`contracts/snapcheck-token-client-snap-b2b-token-${p}.json`, 'utf8'),
      ]),
    );
  });

  describe('fails with the exit code that fits', () => {
    it('1 when the broker refuses', async () => {
      const broker = await listen((_request, response) => {
        response.writeHead(401, { 'Content-Type': 'application/json' });
        response.end('{"error":"bad token"}');
      });

      await assert.rejects(publish(broker), (error: unknown) => {
        return (
          error instanceof SnapcheckError &&
          error.exitCode === 1 &&
          error.message === 'the Pact Broker refused the pacts: HTTP 401 {"error":"bad token"}'
        );
      });
    });

    it('3 when the broker is unreachable', async () => {
      const port = await closedPort();

      await assert.rejects(publish(`http://127.0.0.1:${port}`), (error: unknown) => {
        return (
          error instanceof SnapcheckError &&
          error.exitCode === 3 &&
          error.message ===
            `cannot reach the Pact Broker at http://127.0.0.1:${port}/contracts/publish ` +
              '(ECONNREFUSED)'
        );
      });
    });
  });
});

describe('verify-pact refuses inconsistent options before loading Pact', () => {
  const base = { profile: 'doku' as const, timeout: 5000 };
  const table: [string, Record<string, unknown>, string, string][] = [
    [
      '--publish-results without --broker-url',
      { publishResults: true },
      'ERR_PUBLISH_RESULTS',
      '--publish-results needs --broker-url: results can only be published for pacts fetched ' +
        'from a broker',
    ],
    [
      '--broker-url without --provider',
      { brokerUrl: 'http://127.0.0.1:9' },
      'ERR_BROKER_PROVIDER',
      '--broker-url needs --provider NAME',
    ],
    [
      '--publish-results without --provider-version',
      { brokerUrl: 'http://127.0.0.1:9', provider: 'p', publishResults: true },
      'ERR_PROVIDER_VERSION',
      '--publish-results needs --provider-version (e.g. the git commit of the provider)',
    ],
    [
      'a --base-url that is not a URL',
      { baseUrl: 'provider.example', clientId: 'MCH-1', privateKey: KEY_FILE },
      'ERR_BAD_URL',
      'not a URL: provider.example (write the scheme too, e.g. http://provider.example)',
    ],
  ];
  for (const [name, options, code, message] of table) {
    it(name, async () => {
      const output = { out: () => undefined, err: () => undefined };

      await assert.rejects(
        verifyPactCommand(['contracts'], { ...base, ...options }, output),
        (error: unknown) =>
          error instanceof SnapcheckError &&
          [error.code, error.exitCode, error.message].join('|') === [code, 2, message].join('|'),
      );
    });
  }
});

describe('verify-pact (Pact Verifier, as a child process)', function () {
  this.timeout(60_000);
  let folder: string;
  beforeEach(() => {
    folder = mkdtempSync(join(tmpdir(), 'snapcheck-verify-'));
  });
  afterEach(() => rmSync(folder, { recursive: true, force: true }));

  interface JsonReport {
    mode: string;
    summary: { cases: number; passed: number; failed: number };
    cases: { id: string; verdict: string; because: string; findings: Finding[] }[];
  }
  type Finding = { rule: string; location: string; message: string };

  function readReport(file: string): JsonReport {
    return JSON.parse(readFileSync(file, 'utf8')) as JsonReport;
  }

  it('passes the reference provider against contracts/, re-signing every request', async () => {
    const json = join(folder, 'verify.json');

    const run = await snapcheck(['verify-pact', 'contracts', '--json', json]);

    const report = readReport(json);
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(
      [report.mode, report.summary.cases, report.summary.passed, report.summary.failed],
      ['pact-verify', 10, 10, 0],
    );
    assert.match(run.stdout, /CONFORMING under profile doku/);
    const first = report.cases[0]!;
    assert.equal(first.id, 'snap-b2b-token-doku#1');
    assert.match(
      first.because,
      new RegExp(
        '^given client MCH-0008-1296507211683 is registered with the public key that signs the ' +
          'request · replayed with fresh X-TIMESTAMP ' +
          '\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\+07:00, signed by the verifying key$',
      ),
    );
  });

  it('fails a broken provider, naming the interaction and the field', async () => {
    const broken = await listen(
      tampered(
        providerHandler({
          clients: [{ clientId: 'MCH-BROKEN-1', publicKeys: [publicKey] }],
          profile: 'doku',
        }),
      ),
    );
    const json = join(folder, 'verify.json');

    const run = await snapcheck([
      'verify-pact',
      DOKU_CONTRACT,
      '--base-url',
      broken,
      '--client-id',
      'MCH-BROKEN-1',
      '--private-key',
      KEY_FILE,
      '--json',
      json,
    ]);

    const report = readReport(json);
    assert.equal(run.code, 1, run.stderr);
    assert.deepEqual(
      report.cases.map((c) => [c.id, c.verdict]),
      [
        ['snap-b2b-token-doku#1', 'fail'],
        ['snap-b2b-token-doku#2', 'pass'],
        ['snap-b2b-token-doku#3', 'pass'],
        ['snap-b2b-token-doku#4', 'pass'],
        ['snap-b2b-token-doku#5', 'pass'],
      ],
    );
    assert.deepEqual(
      report.cases[0]!.findings.map((f) => [f.rule, f.location]),
      [
        ['pact.verify.body', 'response.body.expiresIn'],
        ['pact.verify.header', 'response.header.X-CLIENT-KEY'],
        ['response.header.required', 'response.header.X-CLIENT-KEY'],
        ['response.expires-in.form', 'response.body.expiresIn'],
      ],
    );
    assert.match(
      run.stdout,
      new RegExp(
        '✗ snap-b2b-token-doku#1 +200 2007300 +a signed token request from a registered client' +
          '\\n {6}error +pact\\.verify\\.body +response\\.body\\.expiresIn',
      ),
    );
  });

  it('exits 3 when the provider is unreachable', async () => {
    const port = await closedPort();

    const run = await snapcheck([
      'verify-pact',
      DOKU_CONTRACT,
      '--base-url',
      `http://127.0.0.1:${port}`,
      '--client-id',
      'MCH-1',
      '--private-key',
      KEY_FILE,
    ]);

    assert.equal(run.code, 3);
    assert.match(run.stdout, /5 cases: 0 passed, 0 failed, 5 skipped/);
    assert.match(run.stdout, /TARGET UNREACHABLE/);
  });

  it('exits 2 with one line when --base-url comes without a key', async () => {
    const run = await snapcheck(['verify-pact', '--base-url', 'http://127.0.0.1:9']);

    assert.equal(run.code, 2);
    assert.equal(
      run.stderr,
      'snapcheck: --base-url needs --client-id and --private-key: every replayed request is ' +
        're-signed\n',
    );
  });
});

/**
 * Wraps the reference provider into a broken one: the token answer carries expiresIn as a
 * string (wrong under doku) and no X-CLIENT-KEY header.
 */
function tampered(
  handler: (request: IncomingMessage, response: ServerResponse) => void,
): (request: IncomingMessage, response: ServerResponse) => void {
  return (request, response) => {
    const writeHead = response.writeHead.bind(response) as (
      status: number,
      headers: OutgoingHttpHeaders,
    ) => ServerResponse;
    const end = response.end.bind(response) as (body: string) => ServerResponse;
    let status = 0;
    let headers: OutgoingHttpHeaders = {};
    response.writeHead = ((code: number, given: OutgoingHttpHeaders) => {
      status = code;
      headers = { ...given };
      return response;
    }) as never;
    response.end = ((payload: string) => {
      let body = payload;
      if (status === 200) {
        body = JSON.stringify({ ...JSON.parse(payload), expiresIn: '900' });
        delete headers['X-CLIENT-KEY'];
      }
      writeHead(status, { ...headers, 'Content-Length': Buffer.byteLength(body) });
      return end(body);
    }) as never;
    handler(request, response);
  };
}
