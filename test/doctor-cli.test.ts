import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { runCli } from './helpers/cli.js';

const KEYS = 'test/fixtures/keys';
const golden = JSON.parse(readFileSync('test/fixtures/golden-signatures.json', 'utf8')) as {
  cases: { clientId: string; timestamp: string; signature: string }[];
};
const page = golden.cases.find((c) => c.timestamp === '2022-10-07T14:18:39+07:00')!;

const snapcheck = runCli;

describe('snapcheck sign and doctor', function () {
  this.timeout(30_000);
  let folder: string;

  before(() => {
    folder = mkdtempSync(join(tmpdir(), 'snapcheck-doctor-'));
  });
  after(() => rmSync(folder, { recursive: true, force: true }));

  it('sign prints the four headers with the golden signature', async () => {
    const run = await snapcheck([
      'sign',
      '--client-id',
      page.clientId,
      '--private-key',
      `${KEYS}/client-pkcs8.pem`,
      '--timestamp',
      page.timestamp,
    ]);
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(run.stdout.trim().split('\n'), [
      'Content-Type: application/json',
      `X-TIMESTAMP: ${page.timestamp}`,
      `X-CLIENT-KEY: ${page.clientId}`,
      `X-SIGNATURE: ${page.signature}`,
    ]);
  });

  it('sign says what it repaired in a key pasted with literal \\n', async () => {
    const pem = readFileSync(`${KEYS}/client-pkcs8.pem`, 'utf8').trim().replace(/\n/g, '\\n');
    const path = join(folder, 'env-style.pem');
    writeFileSync(path, pem);
    const run = await snapcheck([
      'sign',
      '--client-id',
      page.clientId,
      '--private-key',
      path,
      '--timestamp',
      page.timestamp,
    ]);
    assert.equal(run.code, 0);
    assert.match(run.stderr, /^snapcheck: private key repaired: replaced literal \\n sequences/);
    assert.ok(run.stdout.includes(`X-SIGNATURE: ${page.signature}`));
  });

  it('doctor reads the curl line that sign prints, and finds the signature valid', async () => {
    const curl = await snapcheck([
      'sign',
      '--client-id',
      page.clientId,
      '--private-key',
      `${KEYS}/client-pkcs1.pem`,
      '--timestamp',
      page.timestamp,
      '--curl',
      'http://127.0.0.1:9',
    ]);
    assert.match(curl.stdout, /^curl -sS -X POST 'http:\/\/127\.0\.0\.1:9\/authorization\/v1/);
    const run = await snapcheck([
      'doctor',
      '--public-key',
      `${KEYS}/client-public-spki.pem`,
      '--curl',
      curl.stdout,
    ]);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.match(run.stdout, /^diagnosis {5}the signature verifies$/m);
  });

  it('doctor names a timestamp re-formatted after signing in a raw HTTP capture', async () => {
    const path = join(folder, 'captured.http');
    writeFileSync(
      path,
      [
        'POST /authorization/v1/access-token/b2b HTTP/1.1',
        'Content-Type: application/json',
        'X-TIMESTAMP: 2022-10-07T07:18:39Z',
        `X-CLIENT-KEY: ${page.clientId}`,
        `X-SIGNATURE: ${page.signature}`,
        '',
        '{"grantType":"client_credentials"}',
      ].join('\r\n'),
    );
    const run = await snapcheck([
      'doctor',
      '--public-key',
      `${KEYS}/client-public-pkcs1.pem`,
      '--request',
      path,
    ]);
    assert.equal(run.code, 1);
    assert.match(
      run.stdout,
      new RegExp(
        '^diagnosis {5}signed the timestamp as "2022-10-07T14:18:39\\+07:00" but sent ' +
          '"2022-10-07T07:18:39Z" \\(same instant\\) \\[timestamp-reformatted\\]$',
        'm',
      ),
    );
    assert.match(run.stdout, /^tried {9}\d+ hypotheses in [\d.]+ ms$/m);
    assert.ok(!run.stdout.includes(page.signature), 'the full signature is redacted');
  });

  it('doctor names the key of another pair, with the registered fingerprint', async () => {
    const run = await snapcheck([
      'doctor',
      '--public-key',
      `${KEYS}/other-public-spki.pem`,
      '--client-id',
      page.clientId,
      '--timestamp',
      page.timestamp,
      '--signature',
      page.signature,
    ]);
    assert.equal(run.code, 1);
    assert.match(run.stdout, /\[key-mismatch\]$/m);
    assert.match(
      run.stdout,
      /^evidence {6}registered key: 2048-bit RSA, SHA256:[A-Za-z0-9+/]{43}$/m,
    );
  });

  it('doctor without a signature exits 2 with one line', async () => {
    const run = await snapcheck([
      'doctor',
      '--public-key',
      `${KEYS}/client-public-spki.pem`,
      '--client-id',
      'X',
      '--timestamp',
      page.timestamp,
    ]);
    assert.equal(run.code, 2);
    assert.equal(
      run.stderr,
      'snapcheck: no X-SIGNATURE: give --signature, or a request with --request FILE or ' +
        '--curl "curl …"\n',
    );
  });
});
