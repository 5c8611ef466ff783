/**
 * The signature doctor: when X-SIGNATURE does not verify, find which common mistake explains it.
 *
 * Most hypotheses cost no RSA operation. The signature is opened once with each candidate public
 * key (rsa-block.ts): a PKCS#1 v1.5 block names the hash and holds the digest of whatever was
 * signed, so each candidate string costs one hash. Only PSS and HMAC hypotheses need a real
 * verification each. A cause is reported only after `crypto.verify` (or the HMAC) confirms it.
 */
import { constants, createHash, createHmac, verify, type KeyObject } from 'node:crypto';

import { decodeBase64Strict } from '../signature/asymmetric.js';
import type { SignatureDiagnosis } from '../types.js';
import { fingerprint } from '../signature/keys.js';
import { candidates, type Candidate } from './candidates.js';
import { modulusBytes, openSignature } from './rsa-block.js';

export interface DoctorKey {
  clientId: string;
  key: KeyObject;
}

export interface DoctorInput {
  clientId: string;
  timestamp: string;
  /** X-SIGNATURE exactly as received. */
  signature: string;
  /** The public keys registered for `clientId`. */
  keys: KeyObject[];
  /** Other registered clients' keys: a signature by one of them is a diagnosis too. */
  others?: DoctorKey[];
  /** Lets the HMAC hypothesis be confirmed rather than only suspected. */
  clientSecret?: string;
  body?: string;
}

/**
 * The doctor's answer: `cause` is a stable id of the mistake (`separator`, `encoding-hex`,
 * `key-mismatch`, ...), `summary` one line naming it, `facts` the evidence (lengths,
 * fingerprints, the signed digest), `tried` how many hypotheses were tried.
 */
export type Diagnosis = SignatureDiagnosis;

interface Decoding {
  bytes: Buffer;
  encoding: string;
}

/** An 8192-bit key's signature; anything longer is no RSA signature at all. */
const MAX_SIGNATURE_BYTES = 1024;

/** Signature lengths of common RSA key sizes (1024 to 4096 bits). */
const KEY_SIZES = new Set([128, 192, 256, 384, 512]);

const ENCODING_NAME: Record<string, string> = {
  base64url: 'base64url',
  hex: 'hex',
  'base64-unpadded': 'base64 without its = padding',
  'base64-wrapped': 'base64 broken over several lines',
};

const ENCODING_FIX: Record<string, string> = {
  base64url: 'Encode the signature with standard base64 (+ and /, with = padding), not base64url.',
  hex: 'Encode the signature bytes with base64, not hex.',
  'base64-unpadded': 'Keep the = padding at the end of the base64 signature.',
  'base64-wrapped': 'Send the base64 signature on one line: no line breaks or spaces inside.',
};

/** Every way the header can be read as bytes, standard base64 first. */
function decodings(signature: string): Decoding[] {
  const out: Decoding[] = [];
  const strict = decodeBase64Strict(signature);
  if (strict) out.push({ bytes: strict, encoding: 'base64' });

  const squeezed = signature.replace(/\s+/g, '');
  if (squeezed !== signature && decodeBase64Strict(squeezed)) {
    out.push({ bytes: decodeBase64Strict(squeezed)!, encoding: 'base64-wrapped' });
  }
  if (/^[0-9a-fA-F]+$/.test(squeezed) && squeezed.length % 2 === 0) {
    out.push({ bytes: Buffer.from(squeezed, 'hex'), encoding: 'hex' });
  }
  if (/[-_]/.test(squeezed) && /^[A-Za-z0-9_-]+=*$/.test(squeezed)) {
    out.push({ bytes: Buffer.from(squeezed, 'base64url'), encoding: 'base64url' });
  }
  if (/^[A-Za-z0-9+/]+$/.test(squeezed) && squeezed.length % 4 !== 0) {
    const padded = squeezed + '='.repeat((4 - (squeezed.length % 4)) % 4);
    const bytes = decodeBase64Strict(padded);
    if (bytes) out.push({ bytes, encoding: 'base64-unpadded' });
  }
  return out;
}

class Attempts {
  tried = 0;
  readonly facts: string[] = [];

  done(outcome: Diagnosis['outcome'], summary: string, fix: string, cause?: string): Diagnosis {
    return {
      outcome,
      ...(cause ? { cause } : {}),
      summary,
      fix,
      facts: this.facts,
      tried: this.tried,
    };
  }
}

/** Diagnoses a signature that failed; says `verifies` if it does not fail after all. */
export function diagnoseSignature(input: DoctorInput): Diagnosis {
  const attempts = new Attempts();
  const expectedBytes = modulusBytes(input.keys[0]!);
  attempts.facts.push(
    `registered key: ${expectedBytes * 8}-bit RSA, ${fingerprint(input.keys[0]!)}`,
  );

  attempts.tried += 1;
  if (input.signature.trim() === '') {
    return attempts.done(
      'explained',
      'X-SIGNATURE is empty: signing failed without stopping the request',
      'Check the signing step for a swallowed error (an unreadable key, a wrong passphrase).',
      'empty',
    );
  }

  const readings = decodings(input.signature);
  attempts.tried += 5;
  const fitting = readings.find((reading) => reading.bytes.length === expectedBytes);
  if (!fitting) return wrongLength(input, readings, expectedBytes, attempts);

  if (fitting.encoding !== 'base64') {
    attempts.facts.push(`read as ${fitting.encoding}: ${fitting.bytes.length} bytes`);
  }
  return diagnoseBlock(input, fitting, attempts);
}

function wrongLength(
  input: DoctorInput,
  readings: Decoding[],
  expectedBytes: number,
  attempts: Attempts,
): Diagnosis {
  const reading = readings[0];
  if (!reading) {
    return attempts.done(
      'unexplained',
      'X-SIGNATURE is neither base64, base64url nor hex',
      'Send the signature bytes as standard base64.',
      'not-encoded',
    );
  }

  const length = reading.bytes.length;
  attempts.facts.push(
    `decoded ${length} bytes; a ${expectedBytes * 8}-bit key gives ${expectedBytes}`,
  );
  attempts.tried += 1;
  if (length === 64 || length === 32) return hmacDiagnosis(input, reading.bytes, attempts);

  attempts.tried += 1;
  if (length > MAX_SIGNATURE_BYTES) {
    return attempts.done(
      'explained',
      `X-SIGNATURE decodes to ${length} bytes: far too long for an RSA signature`,
      'Send only the signature of X-CLIENT-KEY|X-TIMESTAMP, base64-encoded (344 characters).',
      'not-a-signature',
    );
  }
  if (length < expectedBytes && !KEY_SIZES.has(length)) {
    return attempts.done(
      'explained',
      `X-SIGNATURE is truncated: ${length} of ${expectedBytes} bytes`,
      'Send the whole signature; look for a column limit or a cut in the header value.',
      'truncated',
    );
  }
  return attempts.done(
    'explained',
    `the signature is ${length} bytes, made by a ${length * 8}-bit key; the registered key ` +
      `is ${expectedBytes * 8}-bit`,
    'Sign with the private key whose public half is registered for this client id.',
    'key-size',
  );
}

function hmacDiagnosis(input: DoctorInput, bytes: Buffer, attempts: Attempts): Diagnosis {
  const hash = bytes.length === 64 ? 'sha512' : 'sha256';
  const fix =
    'The token call uses the asymmetric signature: SHA256withRSA with the private key over ' +
    'X-CLIENT-KEY|X-TIMESTAMP. HMAC-SHA512 with the client secret is for transaction calls.';
  if (input.clientSecret) {
    for (const candidate of candidates(otherIds(input))) {
      attempts.tried += 1;
      const mac = createHmac(hash, input.clientSecret).update(candidate.text).digest();
      if (mac.equals(bytes)) {
        return attempts.done(
          'explained',
          `X-SIGNATURE is an HMAC-${hash.toUpperCase()} with the client secret, ` +
            `${candidate.describe}`,
          fix,
          'hmac',
        );
      }
    }
  }
  return attempts.done(
    'explained',
    `X-SIGNATURE is ${bytes.length} bytes, the size of an HMAC-${hash.toUpperCase()}: the ` +
      'symmetric signature of transaction calls, not an RSA signature',
    fix,
    'hmac',
  );
}

function otherIds(input: DoctorInput): Parameters<typeof candidates>[0] {
  return {
    clientId: input.clientId,
    timestamp: input.timestamp,
    otherClientIds: (input.others ?? []).map((other) => other.clientId),
    ...(input.body !== undefined ? { body: input.body } : {}),
  };
}

/** Opens the block with each key: registered keys first, then other clients' keys. */
function diagnoseBlock(input: DoctorInput, reading: Decoding, attempts: Attempts): Diagnosis {
  const list = candidates(otherIds(input));

  let opened = false;
  for (const key of input.keys) {
    attempts.tried += 1;
    const found = matchWithKey(key, reading.bytes, list, attempts);
    if (found) return explain(found, reading, attempts);
    opened ||= openSignature(key, reading.bytes).kind !== 'noise';
  }
  if (opened) {
    return attempts.done(
      'unexplained',
      `the registered key made this signature, but over a text none of ${list.length} ` +
        'variants of stringToSign matches',
      'Log the exact bytes your code signs and compare them with X-CLIENT-KEY + "|" + ' +
        'X-TIMESTAMP as sent; the evidence gives the digest of what was signed.',
      'unknown-text',
    );
  }

  for (const other of input.others ?? []) {
    if (other.clientId === input.clientId) continue;
    attempts.tried += 1;
    const block = openSignature(other.key, reading.bytes);
    if (block.kind === 'noise') continue;
    return attempts.done(
      'explained',
      `signed with the private key registered for client ${JSON.stringify(other.clientId)}`,
      'Sign with the private key of the client named in X-CLIENT-KEY.',
      'other-client-key',
    );
  }

  return attempts.done(
    'explained',
    'the signature was not made by the private half of the registered public key ' +
      `(${fingerprint(input.keys[0]!)})`,
    'Sign with the private key that pairs with the registered public key, or register the ' +
      'public key of the pair you sign with (compare the fingerprints).',
    'key-mismatch',
  );
}

interface Match {
  candidate: Candidate;
  hash: string;
  padding: 'pkcs1' | 'pss' | 'raw-digest';
}

/** Finds which candidate, hash and padding the signature was made with under `key`. */
function matchWithKey(
  key: KeyObject,
  signature: Buffer,
  list: Candidate[],
  attempts: Attempts,
): Match | undefined {
  const block = openSignature(key, signature);

  if (block.kind === 'pkcs1') {
    for (const candidate of list) {
      attempts.tried += 1;
      const digest = createHash(block.hash).update(candidate.text, 'utf8').digest();
      if (digest.equals(block.digest) && confirm(key, signature, candidate, block.hash, 'pkcs1')) {
        return { candidate, hash: block.hash, padding: 'pkcs1' };
      }
    }
    attempts.facts.push(
      `the registered key made this signature (PKCS#1 v1.5, ${block.hash.toUpperCase()}) over ` +
        `a text whose ${block.hash.toUpperCase()} is ${block.digest.toString('hex')}`,
    );
    return undefined;
  }

  if (block.kind === 'pkcs1-raw') {
    for (const candidate of list) {
      attempts.tried += 1;
      if (createHash('sha256').update(candidate.text).digest().equals(block.payload)) {
        return { candidate, hash: 'sha256', padding: 'raw-digest' };
      }
    }
    return undefined;
  }

  if (block.kind === 'pss') {
    for (const hash of ['sha256', 'sha1', 'sha512']) {
      for (const candidate of list.slice(0, 120)) {
        attempts.tried += 1;
        if (confirm(key, signature, candidate, hash, 'pss')) {
          return { candidate, hash, padding: 'pss' };
        }
      }
    }
  }
  return undefined;
}

function confirm(
  key: KeyObject,
  signature: Buffer,
  candidate: Candidate,
  hash: string,
  padding: 'pkcs1' | 'pss',
): boolean {
  try {
    return verify(
      hash,
      Buffer.from(candidate.text, 'utf8'),
      padding === 'pss'
        ? {
            key,
            padding: constants.RSA_PKCS1_PSS_PADDING,
            saltLength: constants.RSA_PSS_SALTLEN_AUTO,
          }
        : { key, padding: constants.RSA_PKCS1_PADDING },
      signature,
    );
  } catch {
    return false;
  }
}

/** Names the first thing that differs from a correct signature, then any others. */
function explain(match: Match, reading: Decoding, attempts: Attempts): Diagnosis {
  const problems: { cause: string; summary: string; fix: string }[] = [];

  if (match.padding === 'pss') {
    problems.push({
      cause: 'padding-pss',
      summary: `signed with RSASSA-PSS (${match.hash.toUpperCase()}) instead of PKCS#1 v1.5`,
      fix: 'Use PKCS#1 v1.5 padding (Java "SHA256withRSA", Node RSA_PKCS1_PADDING), not PSS.',
    });
  } else if (match.padding === 'raw-digest') {
    problems.push({
      cause: 'raw-digest',
      summary: 'signed the bare SHA-256 digest without its DigestInfo wrapper (NONEwithRSA)',
      fix: 'Sign the text with SHA256withRSA; do not hash it and encrypt the digest yourself.',
    });
  } else if (match.hash !== 'sha256') {
    problems.push({
      cause: `hash-${match.hash}`,
      summary: `signed with ${match.hash.toUpperCase()} instead of SHA-256`,
      fix: 'Use SHA256withRSA (sha256), not SHA1withRSA or another digest.',
    });
  }
  if (match.candidate.cause !== 'exact') {
    problems.push({
      cause: match.candidate.cause,
      summary: match.candidate.describe,
      fix: match.candidate.fix,
    });
  }
  if (reading.encoding !== 'base64') {
    problems.push({
      cause: `encoding-${reading.encoding}`,
      summary: `X-SIGNATURE is ${ENCODING_NAME[reading.encoding]}, not standard base64`,
      fix: ENCODING_FIX[reading.encoding] ?? 'Send the signature as standard base64.',
    });
  }

  const [first, ...rest] = problems;
  if (!first) {
    return attempts.done('verifies', 'the signature verifies', 'Nothing to fix.');
  }
  for (const more of rest) attempts.facts.push(`also: ${more.summary}`);
  const fix = [first, ...rest].map((p) => p.fix).join(' ');
  return attempts.done('explained', first.summary, fix, first.cause);
}
