import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { judgeRequest } from '../src/engine/request.js';
import { send } from '../src/http/send.js';
import { startClientJudge, type ClientJudge } from '../src/judge/client-judge.js';
import { signToken } from '../src/signature/asymmetric.js';
import { formatTimestamp } from '../src/timestamp.js';
import type { Finding, Profile, RecordedRequest } from '../src/types.js';
import { exchangeRaw, parseAnswers, rawRequest } from './raw-http.js';

const CLIENT = 'MCH-0008-1296507211683';
const OTHER = 'MCH-0008-SANDBOX';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  report?: {
    conforming: boolean;
    cases: { verdict: string; findings: Finding[] }[];
  };
}

describe('client judge (snapcheck client)', function () {
  this.timeout(30_000);
  let folder: string;
  let files: Record<string, string>;

  before(() => {
    folder = mkdtempSync(join(tmpdir(), 'snapcheck-client-'));
    const write = (name: string, text: string): string => {
      const path = join(folder, name);
      writeFileSync(path, text, { mode: 0o600 });
      return path;
    };
    const pem = (bits = 2048) => {
      const pair = generateKeyPairSync('rsa', { modulusLength: bits });
      return {
        privateKey: pair.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
        publicKey: pair.publicKey.export({ type: 'spki', format: 'pem' }) as string,
      };
    };
    const client = pem();
    const other = pem();
    const stranger = pem();
    files = {
      private: write('client-private.pem', client.privateKey),
      public: write('client-public.pem', client.publicKey),
      otherPublic: write('other-public.pem', other.publicKey),
      strangerPrivate: write('stranger-private.pem', stranger.privateKey),
    };
  });

  after(() => rmSync(folder, { recursive: true, force: true }));

  function judge(command: string[], env: Record<string, string> = {}, extra: string[] = []) {
    const json = join(folder, `report-${Math.random().toString(36).slice(2)}.json`);
    const args = [
      '--import',
      'tsx',
      'src/cli/main.ts',
      'client',
      '--client-id',
      CLIENT,
      '--public-key',
      files.public!,
      '--client',
      `${OTHER}=${files.otherPublic}`,
      '--json',
      json,
      ...extra,
      '--',
      ...command,
    ];
    const childEnv = {
      ...process.env,
      CI: 'true',
      CLIENT_ID: CLIENT,
      PRIVATE_KEY_FILE: files.private!,
      OTHER_CLIENT_ID: OTHER,
      STRANGER_KEY_FILE: files.strangerPrivate!,
      CLIENT_SECRET: 'client-secret',
      ...env,
    };
    return new Promise<Run>((resolve) => {
      execFile(
        process.execPath,
        args,
        { env: childEnv, timeout: 25_000 },
        (error, stdout, stderr) => {
          const code = error ? ((error as { code?: number }).code ?? null) : 0;
          let report: Run['report'];
          try {
            report = JSON.parse(readFileSync(json, 'utf8')) as Run['report'];
          } catch {
            report = undefined;
          }
          resolve({ code: typeof code === 'number' ? code : null, stdout, stderr, report });
        },
      );
    });
  }

  const nodeClient = ['node', 'test/fixtures/clients/token-client.mjs'];

  it('passes a correct client written in Node, exit 0', async () => {
    const run = await judge(nodeClient);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.equal(run.report?.conforming, true);
    assert.deepEqual(
      run.report?.cases.map((c) => c.verdict),
      ['pass'],
    );
    assert.match(run.stdout, /client got 200 2007300/);
  });

  it('passes curl with a signature made by openssl dgst -sha256 -sign', async () => {
    const run = await judge(['sh', 'test/fixtures/clients/curl-client.sh']);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.match(run.stdout, /"responseCode":"2007300"/);
  });

  it('diagnoses curl signing with ":" instead of "|"', async () => {
    const run = await judge(['sh', 'test/fixtures/clients/curl-client.sh'], { SEPARATOR: ':' });
    assert.equal(run.code, 1);
    const finding = run.report?.cases[0]?.findings[0];
    assert.equal(finding?.rule, 'request.signature.verifies');
    assert.equal(finding?.diagnosis?.cause, 'separator');
    assert.match(run.stdout, /joined the values with ":" instead of "\|"/);
  });

  const faults: [string, string, string | undefined][] = [
    ['separator', 'request.signature.verifies', 'separator'],
    ['whitespace', 'request.signature.verifies', 'whitespace'],
    ['reformatted', 'request.signature.verifies', 'timestamp-reformatted'],
    ['milliseconds', 'request.signature.verifies', 'timestamp-reformatted'],
    ['other-client', 'request.signature.verifies', 'other-client-id'],
    ['hex', 'request.signature.verifies', 'encoding-hex'],
    ['base64url', 'request.header.format', 'encoding-base64url'],
    ['truncated', 'request.signature.verifies', 'truncated'],
    ['empty', 'request.header.format', 'empty'],
    ['sha1', 'request.signature.verifies', 'hash-sha1'],
    ['pss', 'request.signature.verifies', 'padding-pss'],
    ['other-key', 'request.signature.verifies', 'key-mismatch'],
    ['hmac', 'request.signature.verifies', 'hmac'],
    ['no-offset', 'request.header.format', undefined],
    ['local-as-utc', 'request.timestamp.window', undefined],
  ];

  for (const [fault, rule, cause] of faults) {
    it(`names ${cause ?? rule} for a client with the ${fault} fault, exit 1`, async () => {
      const run = await judge(nodeClient, { FAULT: fault });
      assert.equal(run.code, 1, run.stdout + run.stderr);
      const errors = run.report?.cases[0]?.findings.filter((f) => f.severity === 'error');
      assert.deepEqual(
        errors?.map((f) => [f.rule, f.diagnosis?.cause]),
        [[rule, cause]],
      );
      if (fault === 'local-as-utc') assert.match(errors?.[0]?.hint ?? '', /7 h almost exactly/);
    });
  }

  it('fails a command that sends no token request', async () => {
    const run = await judge(['node', '-e', 'process.exit(0)']);
    assert.equal(run.code, 1);
    assert.match(run.stdout, /no token request reached the judge/);
  });

  it('judges a client that sends nothing but an oversized body', async () => {
    const script = [
      "const body = JSON.stringify({ grantType: 'client_credentials', pad: 'x'.repeat(20000) });",
      'await fetch(process.env.SNAPCHECK_TOKEN_URL, {',
      "  method: 'POST', headers: { 'Content-Type': 'application/json' }, body,",
      '});',
    ].join('\n');
    const run = await judge(['node', '--input-type=module', '-e', script]);

    assert.equal(run.code, 1, run.stdout + run.stderr);
    assert.doesNotMatch(run.stdout, /no token request reached the judge/);
    assert.deepEqual(
      run.report?.cases.map((c) => [c.verdict, c.findings.map((f) => f.rule)]),
      [['fail', ['request.body.size']]],
    );
  });

  it('fails when fewer requests than --expect arrive', async () => {
    const run = await judge(nodeClient, {}, ['--expect', '2']);
    assert.equal(run.code, 1);
    assert.match(run.stdout, /1 token request\(s\) reached the judge; --expect asked for 2/);
  });

  it('fails when the command itself fails, even with conforming requests', async () => {
    const run = await judge(['sh', '-c', 'node test/fixtures/clients/token-client.mjs; exit 4']);
    assert.equal(run.code, 1);
    assert.match(run.stdout, /the command exited with code 4/);
    assert.deepEqual(
      run.report?.cases.map((c) => c.verdict),
      ['pass'],
    );
  });

  it('exits 2 with one line when the command does not exist', async () => {
    const run = await judge(['no-such-command-snapcheck']);
    assert.equal(run.code, 2);
    assert.equal(
      run.stderr.trim(),
      'snapcheck: cannot run no-such-command-snapcheck: command not found',
    );
  });
});

describe('X-TIMESTAMP forms seen in the wild, per profile', () => {
  const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const now = Date.parse('2026-01-15T03:04:05.250Z');
  const table: [string, string, Record<Profile, string[]>][] = [
    ['UTC with Z', '2026-01-15T03:04:05Z', { doku: [], snap: ['info request.timestamp.fraction'] }],
    [
      'WIB offset',
      '2026-01-15T10:04:05+07:00',
      { doku: ['info request.timestamp.utc'], snap: ['info request.timestamp.fraction'] },
    ],
    ['milliseconds with Z', '2026-01-15T03:04:05.123Z', { doku: [], snap: [] }],
    [
      'milliseconds with +07:00',
      '2026-01-15T10:04:05.123+07:00',
      { doku: ['info request.timestamp.utc'], snap: [] },
    ],
    [
      'no offset',
      '2026-01-15T03:04:05',
      { doku: ['error request.header.format'], snap: ['error request.header.format'] },
    ],
    [
      'offset without colon',
      '2026-01-15T10:04:05+0700',
      { doku: ['error request.header.format'], snap: ['error request.header.format'] },
    ],
    [
      'offset without minutes',
      '2026-01-15T10:04:05+07',
      { doku: ['error request.header.format'], snap: ['error request.header.format'] },
    ],
    [
      'unknown offset -00:00',
      '2026-01-15T03:04:05-00:00',
      { doku: ['error request.timestamp.calendar'], snap: ['error request.timestamp.calendar'] },
    ],
    [
      'space instead of T',
      '2026-01-15 03:04:05Z',
      { doku: ['error request.header.format'], snap: ['error request.header.format'] },
    ],
    [
      'local time labelled Z',
      '2026-01-15T10:04:05Z',
      {
        doku: ['error request.timestamp.window'],
        snap: ['info request.timestamp.fraction', 'error request.timestamp.window'],
      },
    ],
  ];

  for (const [name, timestamp, verdicts] of table) {
    for (const profile of ['doku', 'snap'] as Profile[]) {
      it(`${name} (${timestamp}) under ${profile}`, () => {
        const judgement = judgeRequest(
          {
            method: 'POST',
            path: '/authorization/v1/access-token/b2b',
            headers: {
              'content-type': 'application/json',
              'x-timestamp': timestamp,
              'x-client-key': CLIENT,
              'x-signature': signToken(pair.privateKey, CLIENT, timestamp),
            },
            body: Buffer.from('{"grantType":"client_credentials"}'),
          },
          {
            profile,
            now,
            windowMs: 300_000,
            path: '/authorization/v1/access-token/b2b',
            clients: () => [pair.publicKey],
          },
        );
        assert.deepEqual(
          judgement.findings.map((f) => `${f.severity} ${f.rule}`),
          verdicts[profile],
        );
      });
    }
  }
});

describe('client judge: every answered request is a case', function () {
  this.timeout(20_000);
  const PATH = '/authorization/v1/access-token/b2b';
  const GRANT = '{"grantType":"client_credentials"}';
  const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
  let judge: ClientJudge;
  let port: number;
  /** Makes the judge's clock fail once, at its next reading. */
  let clockFailsNext = false;

  beforeEach(async () => {
    judge = await startClientJudge({
      clients: [{ clientId: CLIENT, publicKeys: [pair.publicKey] }],
      profile: 'doku',
      clock: () => {
        if (!clockFailsNext) return Date.now();
        clockFailsNext = false;
        throw new Error('the clock stopped');
      },
    });
    port = judge.provider.port;
  });

  afterEach(() => judge.close());

  function signedHeaders(): [string, string][] {
    const timestamp = formatTimestamp(new Date());
    return [
      ['Host', `127.0.0.1:${port}`],
      ['Content-Type', 'application/json'],
      ['X-TIMESTAMP', timestamp],
      ['X-CLIENT-KEY', CLIENT],
      ['X-SIGNATURE', signToken(pair.privateKey, CLIENT, timestamp)],
    ];
  }

  function tokenRequest(body = GRANT, extra: [string, string][] = []): Buffer {
    const headers = [...signedHeaders(), ...extra, ['Content-Length', String(body.length)]];
    return rawRequest('POST', PATH, headers as [string, string][], Buffer.from(body));
  }

  /** Sends raw bytes; returns the status and responseCode the client got. */
  async function answer(bytes: Buffer): Promise<[number, unknown]> {
    const answers = parseAnswers((await exchangeRaw(port, bytes)).bytes);
    assert.equal(answers.length, 1);
    const body = JSON.parse(answers[0]!.body.toString('utf8')) as { responseCode?: unknown };
    return [answers[0]!.status, body.responseCode];
  }

  const junk = (count: number): [string, string][] =>
    Array.from({ length: count }, (_, i) => [`X-Junk-${i}`, 'j']);

  const UNNAMED = '(no X-CLIENT-KEY)';
  const refused: [string, () => Buffer, [number, string], [string, string, string]][] = [
    [
      'a body over 16 KiB',
      () =>
        tokenRequest(JSON.stringify({ grantType: 'client_credentials', pad: 'x'.repeat(20_000) })),
      [400, '4007300'],
      ['request.body.size', 'request.body', `POST ${PATH} from ${CLIENT}`],
    ],
    [
      // The parser gave up before the headers: only the request line is known.
      'headers over 16 KiB',
      () => tokenRequest(GRANT, [['X-Padding', 'p'.repeat(17 * 1024)]]),
      [400, '4007300'],
      ['request.header.size', 'request.header', `POST ${PATH} from ${UNNAMED}`],
    ],
    [
      'more than 64 header fields',
      () => tokenRequest(GRANT, junk(70)),
      [400, '4007300'],
      ['request.header.size', 'request.header', `POST ${PATH} from ${CLIENT}`],
    ],
    [
      'bytes that are not HTTP',
      () => Buffer.from('THIS IS NOT HTTP\r\n\r\n'),
      [400, '4007300'],
      ['request.message.syntax', 'request', `unreadable request from ${UNNAMED}`],
    ],
    [
      'an HTTP/1.1 request without Host',
      () => rawRequest('POST', PATH, [['Content-Length', '0']]),
      [400, '4007300'],
      ['request.message.syntax', 'request.header.Host', `POST ${PATH} from ${UNNAMED}`],
    ],
    [
      'CONNECT',
      () => Buffer.from('CONNECT 127.0.0.1:443 HTTP/1.1\r\nHost: 127.0.0.1:443\r\n\r\n'),
      [405, '4057300'],
      ['request.method', 'request.method', `CONNECT 127.0.0.1:443 from ${UNNAMED}`],
    ],
  ];

  for (const [name, bytes, [status, code], [rule, location, title]] of refused) {
    it(`makes a case of ${name}, refused before judging, naming ${rule}`, async () => {
      assert.deepEqual(await answer(bytes()), [status, code]);

      const cases = judge.report().cases;
      assert.deepEqual(
        cases.map((c) => [c.verdict, c.because, c.title]),
        [['fail', `answered ${status} ${code}`, title]],
      );
      assert.deepEqual(
        cases[0]!.findings.map((f) => [f.severity, f.rule, f.location]),
        [['error', rule, location]],
      );
      assert.equal(cases[0]!.exchange?.response?.status, status);
    });
  }

  it('quotes the request line the parser refused', async () => {
    await answer(Buffer.from('THIS IS NOT HTTP\r\n\r\n'));
    const finding = judge.report().cases[0]!.findings[0]!;
    assert.equal(finding.actual, '"THIS IS NOT HTTP"');
    assert.match(finding.message, /^the request is not valid HTTP\/1\.1 \(HPE_INVALID_METHOD: /);
  });

  it('makes a case of its own failure, answered 500 5007300', async () => {
    clockFailsNext = true;
    assert.deepEqual(await answer(tokenRequest()), [500, '5007300']);

    const [only] = judge.report().cases;
    assert.equal(judge.report().cases.length, 1);
    assert.deepEqual(
      only!.findings.map((f) => [f.rule, f.message]),
      [
        [
          'judge.internal-error',
          'snapcheck failed while answering this request (the clock stopped); it was not judged',
        ],
      ],
    );
    assert.deepEqual(await answer(tokenRequest()), [200, '2007300']);
  });

  it('records the answer with every header the client received', async () => {
    const timestamp = formatTimestamp(new Date());
    const request: RecordedRequest = {
      method: 'POST',
      path: PATH,
      headers: {
        'Content-Type': 'application/json',
        'X-TIMESTAMP': timestamp,
        'X-CLIENT-KEY': CLIENT,
        'X-SIGNATURE': signToken(pair.privateKey, CLIENT, timestamp),
      },
      body: Buffer.from(GRANT),
    };
    const received = await send(new URL(judge.provider.url), request);
    const recorded = judge.report().cases[0]?.exchange?.response;

    assert.equal(received.response?.status, 200);
    assert.deepEqual(recorded?.headers, received.response?.headers);
    assert.equal(recorded?.headers['content-type'], 'application/json');
    assert.match(
      String(recorded?.headers['x-timestamp']),
      /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+07:00$/,
    );
    assert.equal(recorded?.headers['x-client-key'], CLIENT);
    assert.deepEqual(recorded?.body, received.response?.body);
  });
});
