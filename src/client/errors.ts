/**
 * What `TokenClient.getToken()` rejects with. Three kinds, each with a stable `code`, so a
 * caller can branch without parsing messages:
 *
 * - `SnapTokenError`: the provider answered with a SNAP error body (`4017300`, ...);
 * - `TokenTransportError`: no complete answer (refused, reset, timed out, oversized);
 * - `NonConformingAnswerError`: an answer arrived but breaks the spec (an HTML error page, a
 *   200 without `accessToken`, ...), with the findings that say how.
 */
import type { Finding, TransportFailure } from '../types.js';

export type TokenClientErrorCode = 'ERR_SNAP_ERROR' | 'ERR_TRANSPORT' | 'ERR_NON_CONFORMING';

/** The base class of every error the token client raises. */
export class TokenClientError extends Error {
  readonly code: TokenClientErrorCode;

  constructor(code: TokenClientErrorCode, message: string) {
    super(message);
    this.name = 'TokenClientError';
    this.code = code;
  }
}

/** The provider refused with a well-formed SNAP error body. */
export class SnapTokenError extends TokenClientError {
  readonly status: number;
  readonly responseCode: string;
  readonly responseMessage: string;
  /** What else was wrong with the answer (a responseCode whose prefix is not the status, ...). */
  readonly findings: Finding[];

  constructor(status: number, responseCode: string, responseMessage: string, findings: Finding[]) {
    super('ERR_SNAP_ERROR', `token refused: HTTP ${status} ${responseCode} ${responseMessage}`);
    this.name = 'SnapTokenError';
    this.status = status;
    this.responseCode = responseCode;
    this.responseMessage = responseMessage;
    this.findings = findings;
  }
}

/** The exchange broke off before a complete answer. */
export class TokenTransportError extends TokenClientError {
  readonly kind: TransportFailure['kind'];

  constructor(failure: TransportFailure) {
    super('ERR_TRANSPORT', `token request failed (${failure.kind}): ${failure.message}`);
    this.name = 'TokenTransportError';
    this.kind = failure.kind;
  }
}

/** An answer arrived, but it does not conform to openapi.yaml; `findings` say where. */
export class NonConformingAnswerError extends TokenClientError {
  readonly status: number;
  readonly findings: Finding[];

  constructor(status: number, findings: Finding[]) {
    const first = findings[0];
    const detail = first ? `${first.rule} at ${first.location}: ${first.message}` : 'no detail';
    const more = findings.length > 1 ? ` (and ${findings.length - 1} more)` : '';
    super('ERR_NON_CONFORMING', `non-conforming token answer, HTTP ${status}: ${detail}${more}`);
    this.name = 'NonConformingAnswerError';
    this.status = status;
    this.findings = findings;
  }
}
