import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { judgeRequest } from '../src/engine/request.js';
import { signToken } from '../src/signature/asymmetric.js';
import type { Finding, Profile } from '../src/types.js';

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
