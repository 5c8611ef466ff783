import { strict as assert } from 'node:assert';
import { constants, createHash, createHmac, generateKeyPairSync, sign } from 'node:crypto';
import type { KeyObject } from 'node:crypto';

import { diagnoseSignature, type DoctorInput } from '../src/doctor/signature-doctor.js';

const CLIENT = 'MCH-0008-1296507211683';
const OTHER = 'MCH-0008-SANDBOX';
const SENT = '2026-01-15T03:04:05Z';

interface Keys {
  client: { privateKey: KeyObject; publicKey: KeyObject };
  other: { privateKey: KeyObject; publicKey: KeyObject };
  stranger: { privateKey: KeyObject; publicKey: KeyObject };
  weak: { privateKey: KeyObject; publicKey: KeyObject };
}
let keys: Keys;

before(() => {
  const pair = (bits = 2048) => generateKeyPairSync('rsa', { modulusLength: bits });
  keys = { client: pair(), other: pair(), stranger: pair(), weak: pair(1024) };
});

function rsa(text: string, key = keys.client.privateKey, hash = 'sha256'): Buffer {
  return sign(hash, Buffer.from(text), { key, padding: constants.RSA_PKCS1_PADDING });
}

function b64(bytes: Buffer): string {
  return bytes.toString('base64');
}

function input(signature: string, timestamp = SENT): DoctorInput {
  return {
    clientId: CLIENT,
    timestamp,
    signature,
    keys: [keys.client.publicKey],
    others: [{ clientId: OTHER, key: keys.other.publicKey }],
    body: '{"grantType":"client_credentials"}',
  };
}

describe('signature doctor', () => {
  const table: [string, () => DoctorInput, string | undefined, RegExp][] = [
    ['a correct signature', () => input(b64(rsa(`${CLIENT}|${SENT}`))), undefined, /verifies/],
    ['an empty signature', () => input(''), 'empty', /empty/],
    ['":" as separator', () => input(b64(rsa(`${CLIENT}:${SENT}`))), 'separator', /":"/],
    ['no separator', () => input(b64(rsa(`${CLIENT}${SENT}`))), 'separator', /""/],
    ['a trailing newline', () => input(b64(rsa(`${CLIENT}|${SENT}\n`))), 'whitespace', /\\n/],
    ['the values swapped', () => input(b64(rsa(`${SENT}|${CLIENT}`))), 'order', /wrong order/],
    [
      'the timestamp signed in +07:00, sent in Z',
      () => input(b64(rsa(`${CLIENT}|2026-01-15T10:04:05+07:00`))),
      'timestamp-reformatted',
      /"2026-01-15T10:04:05\+07:00" but sent "2026-01-15T03:04:05Z"/,
    ],
    [
      'milliseconds added after signing',
      () => input(b64(rsa(`${CLIENT}|${SENT}`)), '2026-01-15T03:04:05.000Z'),
      'timestamp-reformatted',
      /same instant/,
    ],
    [
      'Z and +00:00',
      () => input(b64(rsa(`${CLIENT}|2026-01-15T03:04:05+00:00`))),
      'timestamp-reformatted',
      /\+00:00/,
    ],
    [
      'local time labelled with another offset',
      () => input(b64(rsa(`${CLIENT}|2026-01-15T03:04:05+07:00`))),
      'timestamp-relabelled',
      /another offset label/,
    ],
    [
      'the clock read twice, a second apart',
      () => input(b64(rsa(`${CLIENT}|2026-01-15T03:04:04Z`))),
      'timestamp-resampled',
      /-1000 ms/,
    ],
    [
      'the client id of the sandbox client',
      () => input(b64(rsa(`${OTHER}|${SENT}`))),
      'other-client-id',
      /MCH-0008-SANDBOX/,
    ],
    [
      'the request body appended',
      () => input(b64(rsa(`${CLIENT}|${SENT}|{"grantType":"client_credentials"}`))),
      'body-included',
      /body/,
    ],
    [
      'the hex digest signed',
      () => input(b64(rsa(createHash('sha256').update(`${CLIENT}|${SENT}`).digest('hex')))),
      'pre-hashed',
      /hex digest/,
    ],
    [
      'hex encoding',
      () => input(rsa(`${CLIENT}|${SENT}`).toString('hex')),
      'encoding-hex',
      /hex, not standard base64/,
    ],
    [
      'base64url encoding',
      () => input(rsa(`${CLIENT}|${SENT}`).toString('base64url')),
      'encoding-base64url',
      /base64url/,
    ],
    [
      'padding stripped',
      () => input(b64(rsa(`${CLIENT}|${SENT}`)).replace(/=+$/, '')),
      'encoding-base64-unpadded',
      /without its = padding/,
    ],
    [
      'base64 wrapped at 64 columns',
      () => input(b64(rsa(`${CLIENT}|${SENT}`)).replace(/(.{64})/g, '$1\n')),
      'encoding-base64-wrapped',
      /several lines/,
    ],
    ['SHA-1', () => input(b64(rsa(`${CLIENT}|${SENT}`, undefined, 'sha1'))), 'hash-sha1', /SHA1/],
    [
      'PSS padding',
      () =>
        input(
          b64(
            sign('sha256', Buffer.from(`${CLIENT}|${SENT}`), {
              key: keys.client.privateKey,
              padding: constants.RSA_PKCS1_PSS_PADDING,
            }),
          ),
        ),
      'padding-pss',
      /RSASSA-PSS \(SHA256\)/,
    ],
    [
      'a key of another pair',
      () => input(b64(rsa(`${CLIENT}|${SENT}`, keys.stranger.privateKey))),
      'key-mismatch',
      /not made by the private half of the registered public key \(SHA256:/,
    ],
    [
      'the key of another registered client',
      () => input(b64(rsa(`${CLIENT}|${SENT}`, keys.other.privateKey))),
      'other-client-key',
      /MCH-0008-SANDBOX/,
    ],
    [
      'a 1024-bit key',
      () => input(b64(rsa(`${CLIENT}|${SENT}`, keys.weak.privateKey))),
      'key-size',
      /128 bytes, made by a 1024-bit key/,
    ],
    [
      'a truncated signature',
      () => input(b64(rsa(`${CLIENT}|${SENT}`)).slice(0, 200)),
      'truncated',
      /150 of 256 bytes/,
    ],
    [
      'an HMAC-SHA512 signature',
      () => input(b64(createHmac('sha512', 'secret').update(`${CLIENT}|${SENT}`).digest())),
      'hmac',
      /HMAC-SHA512/,
    ],
  ];

  for (const [name, build, cause, summary] of table) {
    it(`names ${cause ?? 'nothing'} for ${name}`, () => {
      const diagnosis = diagnoseSignature(build());
      assert.equal(diagnosis.cause, cause, diagnosis.summary);
      assert.match(diagnosis.summary, summary);
      assert.ok(diagnosis.tried > 0);
    });
  }

  it('confirms an HMAC with the client secret when it is known', () => {
    const mac = createHmac('sha512', 'secret').update(`${CLIENT}|${SENT}`).digest();
    const diagnosis = diagnoseSignature({ ...input(b64(mac)), clientSecret: 'secret' });
    assert.equal(
      diagnosis.summary,
      'X-SIGNATURE is an HMAC-SHA512 with the client secret, ' +
        'signed "MCH-0008-1296507211683|2026-01-15T03:04:05Z"',
    );
  });

  it('reports the signed digest when the key matches but no hypothesis does', () => {
    const diagnosis = diagnoseSignature(input(b64(rsa('something else entirely'))));
    assert.equal(diagnosis.outcome, 'unexplained');
    assert.equal(diagnosis.cause, 'unknown-text');
    assert.match(diagnosis.summary, /the registered key made this signature, but over a text/);
    const digest = createHash('sha256').update('something else entirely').digest('hex');
    assert.ok(
      diagnosis.facts.some((fact) => fact.includes(digest)),
      diagnosis.facts.join('\n'),
    );
  });

  it('reports a second mistake beside the first', () => {
    const signature = rsa(`${CLIENT}:${SENT}`, undefined, 'sha1').toString('hex');
    const diagnosis = diagnoseSignature(input(signature));
    assert.equal(diagnosis.cause, 'hash-sha1');
    assert.deepEqual(
      diagnosis.facts.filter((fact) => fact.startsWith('also:')),
      [
        'also: joined the values with ":" instead of "|"',
        'also: X-SIGNATURE is hex, not standard base64',
      ],
    );
  });
});
