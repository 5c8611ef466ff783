/**
 * In-process rates: the check engine against raw AJV, and signature verification against
 * OpenSSL's own figure. Each pair is measured in alternating slices so that a noisy neighbour
 * slows both sides alike, and the ratio is the median of the slices' ratios.
 */
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';

import { judgeResponse } from '../src/engine/response.js';
import { validators } from '../src/engine/validators.js';
import { signToken, verifyToken } from '../src/signature/asymmetric.js';
import { formatTimestamp } from '../src/timestamp.js';
import type { Exchange } from '../src/types.js';

export interface PairFigures {
  /** Operations per second, median over the slices. */
  subject: number;
  limit: number;
  /** Median of subject/limit over the slices. */
  ratio: number;
}

/** Operations per second of `operation` over about `ms` milliseconds. */
function rate(operation: () => unknown, ms: number): number {
  const started = performance.now();
  const end = started + ms;
  let count = 0;
  while (performance.now() < end) {
    for (let i = 0; i < 64; i += 1) operation();
    count += 64;
  }
  return count / ((performance.now() - started) / 1000);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Alternating slices of subject and limit, after one discarded warm-up slice of each. */
export function comparePair(
  subject: () => unknown,
  limit: () => unknown,
  slices = 5,
  sliceMs = 400,
): PairFigures {
  rate(subject, sliceMs);
  rate(limit, sliceMs);
  const subjects: number[] = [];
  const limits: number[] = [];
  for (let slice = 0; slice < slices; slice += 1) {
    subjects.push(rate(subject, sliceMs));
    limits.push(rate(limit, sliceMs));
  }
  const ratios = subjects.map((value, index) => value / limits[index]!);
  return { subject: median(subjects), limit: median(limits), ratio: median(ratios) };
}

/** A recorded 200 exchange as the battery would hold it: a DOKU-style token answer. */
export function recordedExchange(now: number): Exchange {
  const body = JSON.stringify({
    responseCode: '2007300',
    responseMessage: 'Successful',
    accessToken: 'Zm9vYmFyYmF6cXV4'.repeat(4),
    tokenType: 'Bearer',
    expiresIn: 900,
    additionalInfo: '',
  });
  return {
    request: {
      method: 'POST',
      path: '/authorization/v1/access-token/b2b',
      headers: { 'Content-Type': 'application/json', 'X-CLIENT-KEY': 'MCH-0008-1296507211683' },
      body: Buffer.from('{"grantType":"client_credentials"}'),
    },
    response: {
      status: 200,
      headers: {
        'content-type': 'application/json',
        'content-length': String(body.length),
        'x-timestamp': formatTimestamp(new Date(now), { offsetMinutes: 420 }),
        'x-client-key': 'MCH-0008-1296507211683',
      },
      body: Buffer.from(body),
    },
  };
}

export interface EngineFigures {
  /** Judgement vs AJV over the already-parsed body (the limit). */
  againstAjv: PairFigures;
  /** Judgement vs JSON.parse of the body bytes plus AJV (what validating bytes costs). */
  againstParseAndAjv: PairFigures;
  findings: number;
}

/** Full judgement of one exchange (headers, body, semantic rules; no signature) vs raw AJV. */
export function engineFigures(): EngineFigures {
  const now = Date.now();
  const exchange = recordedExchange(now);
  const context = { profile: 'doku' as const, now, windowMs: 300_000 };
  const findings = judgeResponse(exchange, context).findings.length;

  const validate = validators().responseBody.get(200)!;
  const bytes = exchange.response!.body;
  const parsed: unknown = JSON.parse(bytes.toString('utf8'));
  const judge = (): unknown => judgeResponse(exchange, context);
  return {
    againstAjv: comparePair(judge, () => validate(parsed)),
    againstParseAndAjv: comparePair(judge, () => validate(JSON.parse(bytes.toString('utf8')))),
    findings,
  };
}

export interface SignatureFigures {
  nodeVerifiesPerSecond: number;
  opensslVerifiesPerSecond: number;
  ratio: number;
  opensslVersion: string;
}

/** `openssl speed -seconds 2 rsa2048`: the verify/s column of the `rsa 2048 bits` line. */
function opensslVerifies(): number {
  const output = execFileSync('openssl', ['speed', '-seconds', '2', 'rsa2048'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
    timeout: 60_000,
  });
  const line = output.split('\n').find((text) => text.startsWith('rsa 2048 bits'));
  const figures = line?.trim().split(/\s+/) ?? [];
  return Number(figures[figures.length - 1]);
}

/**
 * verifyToken with a parsed KeyObject, in rounds that alternate with OpenSSL's own run: each
 * round's ratio sets Node's rate beside the OpenSSL figure taken right after it.
 */
export function signatureFigures(rounds = 3): SignatureFigures {
  const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const clientId = 'MCH-0008-1296507211683';
  const timestamp = formatTimestamp(new Date(), { milliseconds: true });
  const signature = signToken(pair.privateKey, clientId, timestamp);
  const verifyOnce = (): boolean => verifyToken(pair.publicKey, clientId, timestamp, signature);
  if (!verifyOnce()) throw new Error('bench: the signature under test does not verify');

  rate(verifyOnce, 500);
  const nodeRates: number[] = [];
  const opensslRates: number[] = [];
  for (let round = 0; round < rounds; round += 1) {
    nodeRates.push(rate(verifyOnce, 2_000));
    opensslRates.push(opensslVerifies());
  }
  const version = execFileSync('openssl', ['version'], { encoding: 'utf8' }).trim();
  return {
    nodeVerifiesPerSecond: median(nodeRates),
    opensslVerifiesPerSecond: median(opensslRates),
    ratio: median(nodeRates.map((value, index) => value / opensslRates[index]!)),
    opensslVersion: version,
  };
}
