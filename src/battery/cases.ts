/**
 * The provider battery: the valid request and the ways a request can be wrong, each with the
 * answers the sources allow. Every case builds its request at send time, so timestamps are
 * fresh and signatures are made over exactly what is sent.
 */
import { sign, type KeyObject } from 'node:crypto';

import { signToken } from '../signature/asymmetric.js';
import { formatTimestamp } from '../timestamp.js';
import type { AcceptedAnswer } from '../report/model.js';
import type { RecordedRequest } from '../types.js';

export type { AcceptedAnswer };

export interface CaseInputs {
  clientId: string;
  privateKey: KeyObject;
  /** A key of another pair, for the "signed by the wrong key" case. */
  strangerKey: KeyObject;
  path: string;
  /** The battery's clock, in epoch ms. */
  now: () => number;
  /** The window the provider is assumed to enforce; stale cases go well beyond it. */
  windowMs: number;
}

export interface BatteryCase {
  id: string;
  title: string;
  /** Why these answers: the source or the reasoning, in one sentence. */
  because: string;
  accepts: AcceptedAnswer[];
  /**
   * The request carries the battery's client id and a signature by its key that verifies over
   * what is sent, so a provider may authenticate it before judging the rest: when the valid
   * request is refused, a 401 to this case says nothing about the case (run.ts).
   */
  needsCredentials?: boolean;
  /**
   * What the refusal protects, when a token for this request would let someone in who has not
   * proved to be the client (`the signature`, `replay protection`): a 200 is then a security
   * finding, not only a wrong answer.
   */
  protects?: string;
  build(inputs: CaseInputs): RecordedRequest;
}

const OK: AcceptedAnswer = { status: 200, responseCode: '2007300' };
const BAD_REQUEST: AcceptedAnswer = { status: 400, responseCode: '4007300' };
const BAD_FORMAT: AcceptedAnswer = { status: 400, responseCode: '4007301' };
const MISSING: AcceptedAnswer = { status: 400, responseCode: '4007302' };
const UNAUTHORIZED: AcceptedAnswer = { status: 401, responseCode: '4017300' };

const GRANT = '{"grantType":"client_credentials"}';

/** The case that proves the battery's credentials work; the others are read in its light. */
export const VALID_REQUEST_ID = 'valid-request';

interface Parts {
  timestamp?: string;
  clientId?: string;
  signature?: string;
  contentType?: string;
  body?: string;
  omit?: string[];
}

/** A correctly signed request, with the given parts replaced or omitted. */
function tokenRequest(inputs: CaseInputs, parts: Parts = {}): RecordedRequest {
  const timestamp = parts.timestamp ?? formatTimestamp(new Date(inputs.now()));
  const clientId = parts.clientId ?? inputs.clientId;
  const signature = parts.signature ?? signToken(inputs.privateKey, clientId, timestamp);
  const headers: Record<string, string> = {
    'Content-Type': parts.contentType ?? 'application/json',
    'X-TIMESTAMP': timestamp,
    'X-CLIENT-KEY': clientId,
    'X-SIGNATURE': signature,
  };
  for (const name of parts.omit ?? []) delete headers[name];
  return { method: 'POST', path: inputs.path, headers, body: Buffer.from(parts.body ?? GRANT) };
}

/** What leaving out each header takes away from the proof of identity. */
const HEADER_PROTECTS: Record<string, string | undefined> = {
  'X-TIMESTAMP': 'replay protection (the signed timestamp)',
  'X-CLIENT-KEY': 'client identification',
  'X-SIGNATURE': 'the signature',
};

function missingHeader(name: string): BatteryCase {
  const protects = HEADER_PROTECTS[name];
  return {
    ...(protects ? { protects } : {}),
    id: `missing-${name.toLowerCase()}`,
    title: `${name} header missing`,
    because: 'A missing mandatory field is 4007302 Invalid Mandatory Field (SNAP code table).',
    accepts: [MISSING],
    // Content-Type is not signed: without it, the credentials are still whole.
    needsCredentials: name === 'Content-Type',
    build: (inputs) => tokenRequest(inputs, { omit: [name] }),
  };
}

/** Signs over the given (wrong) timestamp, so only the timestamp is at fault. */
function timestampCase(
  id: string,
  title: string,
  stamp: (inputs: CaseInputs) => string,
  accepts: AcceptedAnswer[],
  because: string,
): BatteryCase {
  const refused = !accepts.some((answer) => answer.status === 200);
  return {
    id,
    title,
    because,
    accepts,
    ...(refused ? { protects: 'replay protection (the timestamp window)' } : {}),
    needsCredentials: true,
    build: (inputs) => tokenRequest(inputs, { timestamp: stamp(inputs) }),
  };
}

export const batteryCases: readonly BatteryCase[] = [
  {
    id: VALID_REQUEST_ID,
    title: 'valid signed request (UTC timestamp)',
    because: 'A registered client with a fresh, correctly signed request gets a token.',
    accepts: [OK],
    needsCredentials: true,
    build: (inputs) => tokenRequest(inputs),
  },
  timestampCase(
    'valid-wib-offset',
    'valid signed request, X-TIMESTAMP in +07:00 with milliseconds',
    (inputs) => formatTimestamp(new Date(inputs.now()), { offsetMinutes: 420, milliseconds: true }),
    [OK],
    "DOKU's own example uses +07:00 and SNAP's pattern shows milliseconds: both are valid.",
  ),
  missingHeader('Content-Type'),
  missingHeader('X-TIMESTAMP'),
  missingHeader('X-CLIENT-KEY'),
  missingHeader('X-SIGNATURE'),
  timestampCase(
    'timestamp-without-offset',
    'X-TIMESTAMP without a UTC offset',
    (inputs) => formatTimestamp(new Date(inputs.now())).replace('Z', ''),
    [BAD_FORMAT],
    'A malformed field is 4007301 Invalid Field Format; the offset is mandatory in ISO-8601 here.',
  ),
  timestampCase(
    'timestamp-not-iso',
    'X-TIMESTAMP not in ISO-8601 (dd/MM/yyyy HH:mm:ss)',
    (inputs) => {
      const [date, time] = new Date(inputs.now()).toISOString().slice(0, 19).split('T');
      const [y, m, d] = (date ?? '').split('-');
      return `${d}/${m}/${y} ${time}`;
    },
    [BAD_FORMAT],
    'A malformed field is 4007301 Invalid Field Format.',
  ),
  timestampCase(
    'timestamp-stale',
    'X-TIMESTAMP well outside the window, in the past',
    (inputs) => formatTimestamp(new Date(inputs.now() - 2 * inputs.windowMs - 60_000)),
    [UNAUTHORIZED],
    'A timestamp outside the freshness window is an authentication failure, 4017300.',
  ),
  timestampCase(
    'timestamp-future',
    'X-TIMESTAMP well outside the window, in the future',
    (inputs) => formatTimestamp(new Date(inputs.now() + 2 * inputs.windowMs + 60_000)),
    [UNAUTHORIZED],
    'A timestamp outside the freshness window is an authentication failure, 4017300.',
  ),
  {
    id: 'unknown-client',
    title: 'X-CLIENT-KEY not registered (signed by the same key)',
    because: "DOKU's page: 4017300 Unauthorized. Unknown Client.",
    accepts: [UNAUTHORIZED],
    protects: 'client registration',
    build: (inputs) => tokenRequest(inputs, { clientId: `${inputs.clientId}-UNKNOWN` }),
  },
  {
    id: 'signature-other-key',
    title: 'X-SIGNATURE made with the private key of another pair',
    because: "DOKU's page: 4017300 Unauthorized. Signature.",
    accepts: [UNAUTHORIZED],
    protects: 'the signature',
    build: (inputs) => {
      const timestamp = formatTimestamp(new Date(inputs.now()));
      const signature = signToken(inputs.strangerKey, inputs.clientId, timestamp);
      return tokenRequest(inputs, { timestamp, signature });
    },
  },
  {
    id: 'signature-other-string',
    title: 'X-SIGNATURE over clientId:timestamp (wrong separator)',
    because: "DOKU's page: 4017300 Unauthorized. Signature.",
    accepts: [UNAUTHORIZED],
    protects: 'the signature',
    build: (inputs) => {
      const timestamp = formatTimestamp(new Date(inputs.now()));
      const text = Buffer.from(`${inputs.clientId}:${timestamp}`);
      const wrong = sign('sha256', text, inputs.privateKey).toString('base64');
      return tokenRequest(inputs, { timestamp, signature: wrong });
    },
  },
  {
    id: 'signature-not-base64',
    title: 'X-SIGNATURE in hex instead of base64',
    because: 'A malformed signature fails format (4007301) or authentication (4017300).',
    accepts: [BAD_FORMAT, UNAUTHORIZED],
    protects: 'the signature',
    build: (inputs) => {
      const timestamp = formatTimestamp(new Date(inputs.now()));
      const base64 = signToken(inputs.privateKey, inputs.clientId, timestamp);
      const hex = Buffer.from(base64, 'base64').toString('hex');
      return tokenRequest(inputs, { timestamp, signature: hex });
    },
  },
  {
    id: 'grant-type-wrong',
    title: 'grantType "password" instead of "client_credentials"',
    because: 'grantType must be client_credentials; a wrong value is 4007301 Invalid Field Format.',
    accepts: [BAD_FORMAT],
    needsCredentials: true,
    build: (inputs) => tokenRequest(inputs, { body: '{"grantType":"password"}' }),
  },
  {
    id: 'grant-type-missing',
    title: 'grantType missing (empty object)',
    because: 'grantType is mandatory; missing is 4007302 Invalid Mandatory Field.',
    accepts: [MISSING],
    needsCredentials: true,
    build: (inputs) => tokenRequest(inputs, { body: '{}' }),
  },
  {
    id: 'grant-type-snake-case',
    title: 'grant_type (snake case) instead of grantType',
    because: 'grantType is then missing: 4007302 Invalid Mandatory Field.',
    accepts: [MISSING],
    needsCredentials: true,
    build: (inputs) => tokenRequest(inputs, { body: '{"grant_type":"client_credentials"}' }),
  },
  {
    id: 'body-malformed-json',
    title: 'body is not valid JSON',
    because: 'An unparseable body is 4007300 Bad Request.',
    accepts: [BAD_REQUEST],
    needsCredentials: true,
    build: (inputs) => tokenRequest(inputs, { body: '{"grantType":"client_credentials"' }),
  },
  {
    id: 'content-type-wrong',
    title: 'Content-Type text/plain',
    because: 'A wrong media type is 4007301 Invalid Field Format, or 4007300 Bad Request.',
    accepts: [BAD_FORMAT, BAD_REQUEST],
    needsCredentials: true,
    build: (inputs) => tokenRequest(inputs, { contentType: 'text/plain' }),
  },
];
