/**
 * Keys and the SHA256withRSA token signature, checked against signatures and fingerprints
 * that openssl made (test/fixtures/keys/README.md), never against our own output.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  constants,
  createPrivateKey,
  generateKeyPairSync,
  sign,
  type KeyObject,
} from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { KeyError } from '../src/errors.js';
import {
  decodeBase64Strict,
  signToken,
  stringToSign,
  verifyToken,
} from '../src/signature/asymmetric.js';
import {
  fingerprint,
  loadPrivateKey,
  loadPublicKey,
  readPrivateKeyFile,
  readPublicKeyFile,
  type KeyRepairKind,
  type PrivateKeyFormat,
  type PublicKeyFormat,
} from '../src/signature/keys.js';

const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));
const KEYS = join(FIXTURES, 'keys');
const PASSPHRASE = 'snapcheck-fixture';

interface GoldenCase {
  clientId: string;
  timestamp: string;
  signature: string;
}

interface Golden {
  fingerprints: { client: string; other: string };
  cases: GoldenCase[];
}

const golden = JSON.parse(readFileSync(join(FIXTURES, 'golden-signatures.json'), 'utf8')) as Golden;
const [pageCase] = golden.cases;
if (pageCase === undefined) throw new Error('golden-signatures.json has no cases');

function fixture(name: string): string {
  return readFileSync(join(KEYS, name), 'utf8');
}

const pkcs8 = fixture('client-pkcs8.pem');
const pkcs1 = fixture('client-pkcs1.pem');
const encryptedPkcs8 = fixture('client-encrypted-pkcs8.pem');
const spki = fixture('client-public-spki.pem');
const publicPkcs1 = fixture('client-public-pkcs1.pem');
const certificate = fixture('client-cert.pem');
const otherSpki = fixture('other-public-spki.pem');
const weak = fixture('weak-1024-pkcs8.pem');

const clientKey = createPrivateKey(pkcs8);
const clientPublic = loadPublicKey(spki).key;

/** The base64 lines between BEGIN and END. */
function bodyLines(pem: string): string[] {
  return pem.split('\n').filter((line) => line !== '' && !line.startsWith('-----'));
}

function body(pem: string): string {
  return bodyLines(pem).join('');
}

function armor(label: string, base64: string, width = 64): string {
  const lines = base64.match(new RegExp(`.{1,${width}}`, 'g')) ?? [];
  return [`-----BEGIN ${label}-----`, ...lines, `-----END ${label}-----`, ''].join('\n');
}

/** OpenSSL's legacy encryption: BEGIN RSA PRIVATE KEY with Proc-Type and DEK-Info headers. */
const legacyEncrypted = clientKey.export({
  type: 'pkcs1',
  format: 'pem',
  cipher: 'aes-256-cbc',
  passphrase: PASSPHRASE,
}) as string;

const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const rsaPss = generateKeyPairSync('rsa-pss', { modulusLength: 2048 });

/** Asserts `run` throws a KeyError with `code`, on one line, with no key material in it. */
function assertKeyError(run: () => unknown, code: string, message: RegExp): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(error instanceof KeyError, `expected a KeyError, got ${String(error)}`);
    assert.equal(error.code, code);
    assert.match(error.message, message);
    assert.ok(!error.message.includes('\n'), 'message is one line');
    for (const line of [...bodyLines(pkcs8), ...bodyLines(spki)]) {
      assert.ok(!error.message.includes(line.slice(0, 16)), 'message holds no key material');
    }
    return true;
  });
}

describe('stringToSign', () => {
  it('joins the client id and the timestamp with | and nothing else', () => {
    assert.equal(
      stringToSign('MCH-0008-1296507211683', '2022-10-07T14:18:39+07:00'),
      'MCH-0008-1296507211683|2022-10-07T14:18:39+07:00',
    );
  });
});

describe('loadPrivateKey', () => {
  interface Form {
    name: string;
    input: () => string | Buffer;
    passphrase?: string;
    format: PrivateKeyFormat;
    repairs: KeyRepairKind[];
  }

  const forms: Form[] = [
    { name: 'PKCS#8 as openssl writes it', input: () => pkcs8, format: 'pkcs8', repairs: [] },
    { name: 'PKCS#1', input: () => pkcs1, format: 'pkcs1', repairs: [] },
    {
      name: 'encrypted PKCS#8 with its passphrase',
      input: () => encryptedPkcs8,
      passphrase: PASSPHRASE,
      format: 'encrypted-pkcs8',
      repairs: [],
    },
    {
      name: 'legacy encrypted PKCS#1 (Proc-Type header) with its passphrase',
      input: () => legacyEncrypted,
      passphrase: PASSPHRASE,
      format: 'encrypted-pkcs1',
      repairs: [],
    },
    {
      name: 'PKCS#8 with literal \\n from an environment variable',
      input: () => pkcs8.trimEnd().replaceAll('\n', '\\n'),
      format: 'pkcs8',
      repairs: ['literal-newlines'],
    },
    {
      name: 'PKCS#1 with CRLF line endings',
      input: () => pkcs1.replaceAll('\n', '\r\n'),
      format: 'pkcs1',
      repairs: ['crlf'],
    },
    {
      name: 'PKCS#8 from an indented template literal',
      input: () => `\n    ${pkcs8.trimEnd().split('\n').join('\n    ')}\n  `,
      format: 'pkcs8',
      repairs: ['surrounding-whitespace', 'indented'],
    },
    {
      name: 'PKCS#8 with blank lines and spaces around it',
      input: () => `  \n\n${pkcs8}\n\n  `,
      format: 'pkcs8',
      repairs: ['surrounding-whitespace'],
    },
    {
      name: 'PKCS#8 with spaces at the ends of lines',
      input: () => pkcs8.replaceAll('\n', '  \n'),
      format: 'pkcs8',
      repairs: ['trailing-whitespace'],
    },
    {
      name: 'PKCS#8 in double quotes',
      input: () => `"${pkcs8}"`,
      format: 'pkcs8',
      repairs: ['quoted'],
    },
    {
      name: 'PKCS#8 as a quoted .env value with literal \\n',
      input: () => `'${pkcs8.trimEnd().replaceAll('\n', '\\n')}'\n`,
      format: 'pkcs8',
      repairs: ['quoted', 'literal-newlines'],
    },
    {
      name: 'PKCS#8 with its base64 body on one line',
      input: () => armor('PRIVATE KEY', body(pkcs8), 10_000),
      format: 'pkcs8',
      repairs: ['single-line-body'],
    },
    {
      name: 'PKCS#8 whose newlines became spaces',
      input: () => pkcs8.trimEnd().replaceAll('\n', ' '),
      format: 'pkcs8',
      repairs: ['single-line-body'],
    },
    {
      name: 'PKCS#1 wrapped at 76 columns',
      input: () => armor('RSA PRIVATE KEY', body(pkcs1), 76),
      format: 'pkcs1',
      repairs: ['rewrapped'],
    },
    {
      name: 'PKCS#8 with a UTF-8 byte-order mark',
      input: () => `\uFEFF${pkcs8}`,
      format: 'pkcs8',
      repairs: ['bom'],
    },
    {
      name: 'PKCS#8 saved as UTF-16 by PowerShell',
      input: () => Buffer.from(`\uFEFF${pkcs8}`, 'utf16le'),
      format: 'pkcs8',
      repairs: ['utf16'],
    },
    {
      name: 'PKCS#8 body without BEGIN/END lines',
      input: () => bodyLines(pkcs8).join('\n'),
      format: 'pkcs8',
      repairs: ['missing-armor'],
    },
    {
      name: 'PKCS#1 as binary DER',
      input: () => Buffer.from(body(pkcs1), 'base64'),
      format: 'pkcs1',
      repairs: ['der'],
    },
    {
      name: 'PKCS#1 body relabelled BEGIN PRIVATE KEY by hand',
      input: () => pkcs1.replaceAll('RSA PRIVATE KEY', 'PRIVATE KEY'),
      format: 'pkcs1',
      repairs: ['mislabelled'],
    },
    {
      name: 'PKCS#8 after Bag Attributes from openssl pkcs12',
      input: () => `Bag Attributes\n    localKeyID: 01 00 00 00\n${pkcs8}`,
      format: 'pkcs8',
      repairs: ['extra-text'],
    },
    {
      name: 'PKCS#8 bundled after its certificate',
      input: () => certificate + pkcs8,
      format: 'pkcs8',
      repairs: ['extra-blocks'],
    },
  ];

  for (const form of forms) {
    it(`reads ${form.name} and signs to the golden signature`, () => {
      const options = form.passphrase === undefined ? {} : { passphrase: form.passphrase };
      const loaded = loadPrivateKey(form.input(), options);

      assert.equal(loaded.format, form.format);
      assert.deepEqual(
        loaded.repairs.map((repair) => repair.kind),
        form.repairs,
      );
      assert.equal(loaded.bits, 2048);
      assert.equal(loaded.fingerprint, golden.fingerprints.client);
      assert.deepEqual(loaded.warnings, []);
      for (const { clientId, timestamp, signature } of golden.cases) {
        assert.equal(signToken(loaded.key, clientId, timestamp), signature);
      }
    });
  }

  it('explains each repair in a sentence', () => {
    const loaded = loadPrivateKey(`"${pkcs8.trimEnd().replaceAll('\n', '\\n')}"`);
    assert.deepEqual(
      loaded.repairs.map((repair) => repair.message),
      [
        'removed the quotes around the key (typical of a value copied from .env or JSON)',
        'replaced literal \\n sequences with newlines (typical of a key pasted into an ' +
          'environment variable)',
      ],
    );
    const rewrapped = loadPrivateKey(armor('PRIVATE KEY', body(pkcs8), 76));
    assert.equal(
      rewrapped.repairs[0]?.message,
      're-wrapped the base64 body from 76 to 64 columns (RFC 7468)',
    );
    const relabelled = loadPrivateKey(pkcs1.replaceAll('RSA PRIVATE KEY', 'PRIVATE KEY'));
    assert.equal(
      relabelled.repairs[0]?.message,
      'the block is labelled BEGIN PRIVATE KEY but holds a PKCS#1 key: read it as PKCS#1',
    );
  });

  it('loads a 1024-bit key with a warning', () => {
    const loaded = loadPrivateKey(weak);
    assert.equal(loaded.bits, 1024);
    assert.deepEqual(loaded.warnings, ['1024-bit key: SNAP providers expect 2048-bit RSA keys']);
  });

  it('warns when a passphrase is given for a key that is not encrypted', () => {
    const loaded = loadPrivateKey(pkcs8, { passphrase: PASSPHRASE });
    assert.deepEqual(loaded.warnings, [
      'a passphrase was given but the key is not encrypted: it was not needed',
    ]);
  });

  it('derives the public key of the pair', () => {
    const loaded = loadPrivateKey(pkcs8);
    assert.equal(loaded.publicKey.type, 'public');
    assert.equal(fingerprint(loaded.publicKey), golden.fingerprints.client);
  });

  interface Refusal {
    name: string;
    input: () => string | Buffer;
    passphrase?: string;
    code: string;
    message: RegExp;
  }

  const truncatedPkcs8 = [
    '-----BEGIN PRIVATE KEY-----',
    ...bodyLines(pkcs8).slice(0, 10),
    '-----END PRIVATE KEY-----',
  ].join('\n');

  const refusals: Refusal[] = [
    {
      name: 'text that is not PEM',
      input: () => 'my private key',
      code: 'ERR_KEY_NOT_PEM',
      message: /^the private key is not a PEM key: expected text starting with -----BEGIN/,
    },
    {
      name: 'an empty string',
      input: () => '  \n',
      code: 'ERR_KEY_NOT_PEM',
      message: /^the private key is empty/,
    },
    {
      name: 'a file path instead of the key text',
      input: () => './keys/client.pem',
      code: 'ERR_KEY_NOT_PEM',
      message: /looks like a file path, not key text/,
    },
    {
      name: 'base64 that is no key',
      input: () => Buffer.alloc(300, 7).toString('base64'),
      code: 'ERR_KEY_NOT_PEM',
      message: /has no BEGIN line and its content is not an RSA key/,
    },
    {
      name: 'an SPKI public key',
      input: () => spki,
      code: 'ERR_KEY_IS_PUBLIC',
      message: /^the private key is a public key \(SPKI\): signing needs the private key/,
    },
    {
      name: 'a PKCS#1 public key',
      input: () => publicPkcs1,
      code: 'ERR_KEY_IS_PUBLIC',
      message: /is a public key \(PKCS#1 public\)/,
    },
    {
      name: 'a certificate',
      input: () => certificate,
      code: 'ERR_KEY_IS_PUBLIC',
      message: /is a public key \(X\.509 certificate\)/,
    },
    {
      name: 'an OpenSSH public key line',
      input: () => 'ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ user@host',
      code: 'ERR_KEY_IS_PUBLIC',
      message: /is a public key \(an OpenSSH public key\)/,
    },
    {
      name: 'an encrypted PKCS#8 key without passphrase',
      input: () => encryptedPkcs8,
      code: 'ERR_KEY_PASSPHRASE_REQUIRED',
      message: /^the private key is encrypted: give its passphrase/,
    },
    {
      name: 'a legacy encrypted PKCS#1 key without passphrase',
      input: () => legacyEncrypted,
      code: 'ERR_KEY_PASSPHRASE_REQUIRED',
      message: /is encrypted/,
    },
    {
      name: 'an encrypted PKCS#8 key with the wrong passphrase',
      input: () => encryptedPkcs8,
      passphrase: 'not-the-passphrase',
      code: 'ERR_KEY_BAD_PASSPHRASE',
      message: /^cannot decrypt the private key: the passphrase is wrong/,
    },
    {
      name: 'a legacy encrypted PKCS#1 key with the wrong passphrase',
      input: () => legacyEncrypted,
      passphrase: 'not-the-passphrase',
      code: 'ERR_KEY_BAD_PASSPHRASE',
      message: /the passphrase is wrong/,
    },
    {
      name: 'an EC key in PKCS#8',
      input: () => ec.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
      code: 'ERR_KEY_NOT_RSA',
      message: /^the private key is a key of type EC, but SNAP signs with RSA/,
    },
    {
      name: 'an EC key in SEC1 (BEGIN EC PRIVATE KEY)',
      input: () => ec.privateKey.export({ type: 'sec1', format: 'pem' }) as string,
      code: 'ERR_KEY_NOT_RSA',
      message: /is a BEGIN EC PRIVATE KEY key, but SNAP signs with RSA/,
    },
    {
      name: 'an RSA-PSS key',
      input: () => rsaPss.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
      code: 'ERR_KEY_NOT_RSA',
      message: /is an RSA-PSS key/,
    },
    {
      name: 'an OpenSSH private key',
      input: () => armor('OPENSSH PRIVATE KEY', 'b3BlbnNzaC1rZXktdjEAAAAA'),
      code: 'ERR_KEY_UNSUPPORTED_FORMAT',
      message: /BEGIN OPENSSH PRIVATE KEY block, which snapcheck cannot read: convert it/,
    },
    {
      name: 'a key cut off in the middle of its body',
      input: () => truncatedPkcs8,
      code: 'ERR_KEY_CORRUPT',
      message: /is damaged \(its body is shorter than its own header says/,
    },
    {
      name: 'a key without its END line',
      input: () => pkcs8.split('\n').slice(0, 20).join('\n'),
      code: 'ERR_KEY_CORRUPT',
      message: /has a BEGIN line without its END line: the key was cut off/,
    },
    {
      name: 'BEGIN and END labels that differ',
      input: () => pkcs8.replace('END PRIVATE KEY', 'END RSA PRIVATE KEY'),
      code: 'ERR_KEY_CORRUPT',
      message: /starts with BEGIN PRIVATE KEY but ends with END RSA PRIVATE KEY/,
    },
    {
      name: 'a body with a character that is not base64',
      input: () => pkcs8.replace('\n', '\n*'),
      code: 'ERR_KEY_CORRUPT',
      message: /has non-base64 characters in its body/,
    },
    {
      name: 'a body in base64url',
      input: () => armor('PRIVATE KEY', `${body(pkcs8).slice(0, -4)}ab-_`),
      code: 'ERR_KEY_CORRUPT',
      message: /uses base64url characters/,
    },
    {
      name: 'a body that lost a character',
      input: () => armor('PRIVATE KEY', body(pkcs8).slice(1)),
      code: 'ERR_KEY_CORRUPT',
      message: /not a multiple of 4/,
    },
    {
      name: 'a body of random bytes',
      input: () => armor('PRIVATE KEY', Buffer.alloc(600, 1).toString('base64')),
      code: 'ERR_KEY_CORRUPT',
      message: /is damaged \(its body decodes but is not an RSA key\)/,
    },
  ];

  for (const refusal of refusals) {
    it(`refuses ${refusal.name} with ${refusal.code}`, () => {
      const options = refusal.passphrase === undefined ? {} : { passphrase: refusal.passphrase };
      assertKeyError(() => loadPrivateKey(refusal.input(), options), refusal.code, refusal.message);
    });
  }

  it('names the source of the key in its errors', () => {
    assertKeyError(
      () => loadPrivateKey(spki, { source: '$SNAP_PRIVATE_KEY' }),
      'ERR_KEY_IS_PUBLIC',
      /^the private key from \$SNAP_PRIVATE_KEY is a public key/,
    );
  });
});

describe('loadPublicKey', () => {
  interface Form {
    name: string;
    input: () => string | Buffer;
    format: PublicKeyFormat;
    repairs: KeyRepairKind[];
    warnings: string[];
  }

  const privateWarning =
    'a private key was given where a public key is expected: used its public half; ' +
    'share only the public key (`openssl pkey -in <file> -pubout`)';

  const forms: Form[] = [
    { name: 'SPKI', input: () => spki, format: 'spki', repairs: [], warnings: [] },
    { name: 'PKCS#1', input: () => publicPkcs1, format: 'pkcs1', repairs: [], warnings: [] },
    {
      name: 'an X.509 certificate',
      input: () => certificate,
      format: 'certificate',
      repairs: [],
      warnings: [],
    },
    {
      name: 'SPKI with literal \\n and CRLF',
      input: () => spki.replaceAll('\n', '\\r\\n'),
      format: 'spki',
      repairs: ['literal-newlines'],
      warnings: [],
    },
    {
      name: 'SPKI with CRLF line endings',
      input: () => spki.replaceAll('\n', '\r\n'),
      format: 'spki',
      repairs: ['crlf'],
      warnings: [],
    },
    {
      name: 'SPKI as bare base64',
      input: () => body(spki),
      format: 'spki',
      repairs: ['missing-armor'],
      warnings: [],
    },
    {
      name: 'PKCS#1 as binary DER',
      input: () => Buffer.from(body(publicPkcs1), 'base64'),
      format: 'pkcs1',
      repairs: ['der'],
      warnings: [],
    },
    {
      name: 'a PKCS#8 private key',
      input: () => pkcs8,
      format: 'private-key',
      repairs: [],
      warnings: [privateWarning],
    },
    {
      name: 'a PKCS#1 private key',
      input: () => pkcs1,
      format: 'private-key',
      repairs: [],
      warnings: [privateWarning],
    },
  ];

  for (const form of forms) {
    it(`reads ${form.name} and verifies the golden signature`, () => {
      const loaded = loadPublicKey(form.input());

      assert.equal(loaded.format, form.format);
      assert.deepEqual(
        loaded.repairs.map((repair) => repair.kind),
        form.repairs,
      );
      assert.deepEqual(loaded.warnings, form.warnings);
      assert.equal(loaded.key.type, 'public');
      assert.equal(loaded.bits, 2048);
      assert.equal(loaded.fingerprint, golden.fingerprints.client);
      assert.equal(
        verifyToken(loaded.key, pageCase.clientId, pageCase.timestamp, pageCase.signature),
        true,
      );
    });
  }

  it("gives another pair's key the fingerprint openssl gives it", () => {
    assert.equal(loadPublicKey(otherSpki).fingerprint, golden.fingerprints.other);
  });

  const refusals: { name: string; input: () => string; code: string; message: RegExp }[] = [
    {
      name: 'an encrypted private key',
      input: () => encryptedPkcs8,
      code: 'ERR_KEY_IS_PRIVATE',
      message: /^the public key is an encrypted private key: pass the public key instead/,
    },
    {
      name: 'text that is not PEM',
      input: () => 'not a key',
      code: 'ERR_KEY_NOT_PEM',
      message: /expected text starting with -----BEGIN PUBLIC KEY-----/,
    },
    {
      name: 'an OpenSSH public key line',
      input: () => 'ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ user@host',
      code: 'ERR_KEY_UNSUPPORTED_FORMAT',
      message: /is an OpenSSH public key: convert it with `ssh-keygen -e -m PKCS8/,
    },
    {
      name: 'an EC public key',
      input: () => ec.publicKey.export({ type: 'spki', format: 'pem' }) as string,
      code: 'ERR_KEY_NOT_RSA',
      message: /is a key of type EC, but SNAP signs with RSA/,
    },
  ];

  for (const refusal of refusals) {
    it(`refuses ${refusal.name} with ${refusal.code}`, () => {
      assertKeyError(() => loadPublicKey(refusal.input()), refusal.code, refusal.message);
    });
  }
});

describe('reading key files', () => {
  let directory: string;

  before(() => {
    directory = mkdtempSync(join(tmpdir(), 'snapcheck-keys-'));
  });

  after(() => {
    rmSync(directory, { recursive: true, force: true });
  });

  it('reads an encrypted private key file with its passphrase', () => {
    const loaded = readPrivateKeyFile(join(KEYS, 'client-encrypted-pkcs8.pem'), {
      passphrase: PASSPHRASE,
    });
    assert.equal(loaded.format, 'encrypted-pkcs8');
    assert.equal(loaded.fingerprint, golden.fingerprints.client);
  });

  it('reads a public key file and a certificate file', () => {
    assert.equal(readPublicKeyFile(join(KEYS, 'client-public-pkcs1.pem')).format, 'pkcs1');
    assert.equal(readPublicKeyFile(join(KEYS, 'client-cert.pem')).format, 'certificate');
  });

  it('reads a DER file', () => {
    const path = join(directory, 'client.der');
    writeFileSync(path, Buffer.from(body(pkcs8), 'base64'));
    assert.deepEqual(
      readPrivateKeyFile(path).repairs.map((repair) => repair.kind),
      ['der'],
    );
  });

  it('names the path and the reason when the file is missing', () => {
    const path = join(directory, 'absent.pem');
    assertKeyError(
      () => readPrivateKeyFile(path),
      'ERR_KEY_FILE',
      new RegExp(`^cannot read private key file ${escape(path)}: no such file$`),
    );
    assertKeyError(
      () => readPublicKeyFile(path),
      'ERR_KEY_FILE',
      new RegExp(`^cannot read public key file ${escape(path)}: no such file$`),
    );
  });

  it('says so when the path is a directory', () => {
    assertKeyError(() => readPrivateKeyFile(directory), 'ERR_KEY_FILE', /: it is a directory$/);
  });

  it('refuses a device or a pipe at once instead of reading forever', () => {
    const fifo = join(directory, 'key.fifo');
    execFileSync('mkfifo', [fifo]);
    for (const path of ['/dev/zero', fifo]) {
      assertKeyError(
        () => readPrivateKeyFile(path),
        'ERR_KEY_FILE',
        /: not a regular file \(a device or a pipe\): check the path$/,
      );
    }
  });

  it('names the file in errors about its content', () => {
    const path = join(KEYS, 'client-public-spki.pem');
    assertKeyError(
      () => readPrivateKeyFile(path),
      'ERR_KEY_IS_PUBLIC',
      new RegExp(`^private key file ${escape(path)} is a public key`),
    );
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

describe('fingerprint', () => {
  it('is the same for the private key and its public key, in OpenSSH form', () => {
    const fromPrivate = fingerprint(clientKey);
    assert.match(fromPrivate, /^SHA256:[A-Za-z0-9+/]{43}$/);
    assert.equal(fromPrivate, fingerprint(clientPublic));
    assert.equal(fromPrivate, golden.fingerprints.client);
  });
});

describe('signToken', () => {
  for (const { clientId, timestamp, signature } of golden.cases) {
    it(`signs ${clientId}|${timestamp} exactly as openssl does`, () => {
      const signed = signToken(clientKey, clientId, timestamp);
      assert.equal(signed, signature);
      assert.equal(signed.length, 344);
    });
  }
});

describe('verifyToken', () => {
  const { clientId, timestamp, signature } = pageCase;
  const bytes = Buffer.from(signature, 'base64');
  const data = Buffer.from(stringToSign(clientId, timestamp));
  const other = loadPublicKey(otherSpki).key;
  const weakKey = loadPrivateKey(weak).key;

  for (const golden_ of golden.cases) {
    it(`accepts the golden signature of ${golden_.clientId}|${golden_.timestamp}`, () => {
      assert.equal(
        verifyToken(clientPublic, golden_.clientId, golden_.timestamp, golden_.signature),
        true,
      );
    });
  }

  it('accepts with the private key object too', () => {
    assert.equal(verifyToken(clientKey, clientId, timestamp, signature), true);
  });

  const pss = sign('sha256', data, {
    key: clientKey,
    padding: constants.RSA_PKCS1_PSS_PADDING,
  }).toString('base64');
  const sha1 = sign('sha1', data, clientKey).toString('base64');

  const refusals: {
    name: string;
    key?: KeyObject;
    clientId?: string;
    timestamp?: string;
    signature: string;
  }[] = [
    { name: "another pair's public key", key: other, signature },
    { name: 'a re-formatted timestamp', timestamp: '2022-10-07T07:18:39Z', signature },
    { name: 'another client id', clientId: 'MCH-0008-1296507211684', signature },
    { name: 'base64url', signature: bytes.toString('base64url') },
    { name: 'base64 without padding', signature: signature.replace(/=+$/, '') },
    { name: 'hex', signature: bytes.toString('hex') },
    { name: 'base64 wrapped at 76 columns', signature: signature.replace(/(.{76})/g, '$1\n') },
    { name: 'a trailing space', signature: `${signature} ` },
    { name: 'an empty signature', signature: '' },
    { name: 'a truncated signature', signature: signature.slice(0, 340) },
    { name: 'a flipped bit', signature: flipFirstBit(bytes) },
    { name: 'non-base64 text', signature: 'not a signature at all!' },
    { name: 'PSS padding', signature: pss },
    { name: 'SHA-1', signature: sha1 },
    {
      name: 'a signature by a 1024-bit key',
      signature: signToken(weakKey, clientId, timestamp),
    },
  ];

  for (const refusal of refusals) {
    it(`refuses ${refusal.name}`, () => {
      const verified = verifyToken(
        refusal.key ?? clientPublic,
        refusal.clientId ?? clientId,
        refusal.timestamp ?? timestamp,
        refusal.signature,
      );
      assert.equal(verified, false);
    });
  }
});

function flipFirstBit(bytes: Buffer): string {
  const copy = Buffer.from(bytes);
  copy[0] = (copy[0] ?? 0) ^ 0x01;
  return copy.toString('base64');
}

describe('decodeBase64Strict', () => {
  const cases: [string, number[] | undefined][] = [
    ['QUJD', [0x41, 0x42, 0x43]],
    ['QQ==', [0x41]],
    ['QUI=', [0x41, 0x42]],
    ['+/8=', [0xfb, 0xff]],
    ['', undefined],
    ['QQ', undefined],
    ['QR==', undefined],
    ['-_8=', undefined],
    ['QU JD', undefined],
    ['QUJD\n', undefined],
    ['QUJD====', undefined],
    ['Q=JD', undefined],
  ];

  for (const [input, expected] of cases) {
    it(`decodes ${JSON.stringify(input)} to ${JSON.stringify(expected)}`, () => {
      const decoded = decodeBase64Strict(input);
      assert.deepEqual(decoded === undefined ? undefined : [...decoded], expected);
    });
  }
});
