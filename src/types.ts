/**
 * The public types of snapcheck. Message types come from the bindings that openapi-typescript
 * generates from openapi.yaml (`npm run generate`); nothing here restates a schema.
 */
import type { components, operations } from './generated/openapi.js';

type TokenOperation = operations['getB2bAccessToken'];

/** The token request body. */
export type TokenRequest = components['schemas']['TokenRequest'];
/** The 200 answer body. */
export type TokenResponse = components['schemas']['TokenResponse'];
/** The body of every non-200 answer. */
export type ErrorResponse = components['schemas']['ErrorResponse'];
/** The four request headers of the token call. */
export type TokenRequestHeaders = TokenOperation['parameters']['header'];
/** The headers of the 200 answer. */
export type TokenResponseHeaders = TokenOperation['responses'][200]['headers'];

/** Which source settles a disagreement (spec/disagreements.md): DOKU's page or SNAP. */
export type Profile = 'doku' | 'snap';
export const profiles: readonly Profile[] = ['doku', 'snap'];

export type Severity = 'error' | 'warning' | 'info';

/** Headers as received: names in any case, a value or several. */
export type HeaderBag = Record<string, string | string[] | undefined>;

export interface RecordedRequest {
  method: string;
  /** Path and query as sent, e.g. `/authorization/v1/access-token/b2b`. */
  path: string;
  headers: HeaderBag;
  body: Buffer;
}

export interface RecordedResponse {
  status: number;
  headers: HeaderBag;
  body: Buffer;
}

/**
 * Why no complete response could be judged. `tls`: the connection could not be secured as the
 * URL asks (a certificate the client does not trust, or a scheme the port does not speak);
 * `protocol`: the peer answered something that is not HTTP.
 */
export interface TransportFailure {
  kind: 'connect' | 'timeout' | 'reset' | 'body-size' | 'tls' | 'protocol';
  message: string;
}

/** A request and, where there is one, its response or the transport failure instead. */
export interface Exchange {
  request: RecordedRequest;
  response?: RecordedResponse;
  failure?: TransportFailure;
}

/** One rule a message breaks, with everything needed to act on it. */
export interface Finding {
  rule: string;
  severity: Severity;
  /** Where it applies: `request.header.X-TIMESTAMP`, `response.body.expiresIn`, ... */
  location: string;
  message: string;
  expected?: string;
  actual?: string;
  hint: string;
  /** For a signature that does not verify: the mistake that explains it (src/doctor). */
  diagnosis?: SignatureDiagnosis;
}

/** What the signature doctor found, as a finding carries it. */
export interface SignatureDiagnosis {
  outcome: 'verifies' | 'explained' | 'unexplained';
  cause?: string;
  summary: string;
  fix: string;
  facts: string[];
  tried: number;
}

/** The findings for one message, plus which rules were evaluated (for coverage). */
export interface Judgement {
  findings: Finding[];
  evaluated: string[];
}
