/**
 * The reference token client: signs with a fresh X-TIMESTAMP, sends, judges the answer with the
 * check engine, and hands back a typed token or a typed error. Tokens are cached and refreshed a
 * margin ahead of expiry; callers that ask at the same time share one request.
 *
 * It is also the model a merchant can copy: everything a SNAP token client must get right is
 * here, and nothing else.
 */
import type { KeyObject } from 'node:crypto';

import { DEFAULT_WINDOW_MS } from '../engine/request.js';
import { judgeResponse } from '../engine/response.js';
import { signToken } from '../signature/asymmetric.js';
import { tokenSpec } from '../spec/openapi.js';
import { formatTimestamp, type FormatTimestampOptions } from '../timestamp.js';
import type {
  ErrorResponse,
  Exchange,
  Finding,
  Profile,
  TokenRequestHeaders,
  TokenResponse,
} from '../types.js';
import { NonConformingAnswerError, SnapTokenError, TokenTransportError } from './errors.js';
import { createTransport, type TokenTransport } from './transport.js';

export interface TokenClientOptions {
  /** Scheme, host and port of the provider, e.g. `https://api-sandbox.doku.com`. */
  baseUrl: string | URL;
  /** X-CLIENT-KEY: the client id issued at registration. */
  clientId: string;
  /** The client's RSA private key, parsed once (`loadPrivateKey`, `readPrivateKeyFile`). */
  privateKey: KeyObject;
  /** Token path; DOKU's by default. */
  path?: string;
  /** The profile answers are judged under; both forms of expiresIn are accepted either way. */
  profile?: Profile;
  /** Refresh this long before the token expires (default 60 s; at most half the lifetime). */
  refreshMarginMs?: number;
  /** Whole-exchange timeout (default 5 s). */
  timeoutMs?: number;
  /** Larger answers are refused as a transport failure (default 64 KiB). */
  maxResponseBytes?: number;
  /**
   * Rules whose error findings do not make an answer unusable. By default the two forms the
   * sources disagree on: expiresIn as number or string, additionalInfo as object or "".
   */
  tolerate?: readonly string[];
  /** How X-TIMESTAMP is written (default: UTC with Z, no milliseconds). */
  timestamp?: FormatTimestampOptions;
  /** The client's clock, in epoch ms; tests fix it. */
  clock?: () => number;
  /** A fetch implementation; the global one by default. */
  fetch?: typeof fetch;
}

/** A token as the client hands it out. `accessToken` is a secret: do not log it. */
export interface AccessToken {
  accessToken: string;
  tokenType: 'Bearer';
  /** The lifetime the provider gave, in seconds, whichever JSON form it used. */
  expiresInSeconds: number;
  /** When the answer arrived and when the token runs out, in epoch ms by the client's clock. */
  obtainedAt: number;
  expiresAt: number;
  responseCode: string;
  responseMessage: string;
  additionalInfo?: TokenResponse['additionalInfo'];
  /** Warnings and tolerated findings about the answer (e.g. an expiresIn other than 900). */
  findings: Finding[];
}

export const DEFAULT_REFRESH_MARGIN_MS = 60_000;
export const DEFAULT_CLIENT_TIMEOUT_MS = 5_000;
const DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024;
export const DEFAULT_TOLERATED: readonly string[] = [
  'response.expires-in.form',
  'response.additional-info.form',
];

/** Rules about the body itself: when one fails, an error status is not a usable SNAP error. */
const BODY_RULES = /^response\.body\./;

export class TokenClient {
  private readonly options: TokenClientOptions;
  private readonly transport: TokenTransport;
  private readonly clock: () => number;
  private readonly tolerated: ReadonlySet<string>;
  private cached: AccessToken | undefined;
  private inFlight: Promise<AccessToken> | undefined;

  constructor(options: TokenClientOptions) {
    this.options = options;
    this.clock = options.clock ?? Date.now;
    this.tolerated = new Set(options.tolerate ?? DEFAULT_TOLERATED);
    this.transport = createTransport({
      baseUrl: String(options.baseUrl).replace(/\/+$/, ''),
      path: options.path ?? tokenSpec().path,
      timeoutMs: options.timeoutMs ?? DEFAULT_CLIENT_TIMEOUT_MS,
      maxResponseBytes: options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES,
      ...(options.fetch ? { fetch: options.fetch } : {}),
    });
  }

  /**
   * A valid token: the cached one while it is outside the refresh margin, otherwise a new one.
   * Concurrent callers share one request; a failed request is not cached.
   */
  getToken(): Promise<AccessToken> {
    if (this.cached && this.clock() < this.refreshAt(this.cached)) {
      return Promise.resolve(this.cached);
    }
    this.inFlight ??= this.requestToken()
      .then((token) => {
        this.cached = token;
        return token;
      })
      .finally(() => {
        this.inFlight = undefined;
      });
    return this.inFlight;
  }

  /** Forgets the cached token (e.g. after the provider rejected it); the next call asks anew. */
  invalidate(): void {
    this.cached = undefined;
  }

  /** When a token should be replaced: the margin before expiry, never more than half its life. */
  private refreshAt(token: AccessToken): number {
    const lifetime = token.expiresAt - token.obtainedAt;
    const margin = Math.min(
      this.options.refreshMarginMs ?? DEFAULT_REFRESH_MARGIN_MS,
      lifetime / 2,
    );
    return token.expiresAt - margin;
  }

  /** One token call, always over the network: sign, send, judge, type. */
  async requestToken(): Promise<AccessToken> {
    const timestamp = formatTimestamp(new Date(this.clock()), this.options.timestamp);
    const headers: TokenRequestHeaders = {
      'Content-Type': 'application/json',
      'X-TIMESTAMP': timestamp,
      'X-CLIENT-KEY': this.options.clientId,
      'X-SIGNATURE': signToken(this.options.privateKey, this.options.clientId, timestamp),
    };
    const exchange = await this.transport(headers, { grantType: 'client_credentials' });
    return readTokenAnswer(exchange, {
      profile: this.options.profile ?? 'doku',
      now: this.clock(),
      tolerate: this.tolerated,
    });
  }
}

export interface AnswerSettings {
  profile: Profile;
  /** The client's clock when the answer arrived, in epoch ms. */
  now: number;
  /** Rules whose error findings are kept on the token instead of refusing it. */
  tolerate: ReadonlySet<string>;
}

/**
 * Turns a token exchange into a token, or throws the typed error that says why not: the
 * transport failed, the provider refused with a SNAP error body, or the answer does not conform.
 */
export function readTokenAnswer(exchange: Exchange, settings: AnswerSettings): AccessToken {
  if (exchange.failure || !exchange.response) {
    throw new TokenTransportError(
      exchange.failure ?? { kind: 'reset', message: 'no answer was received' },
    );
  }
  const status = exchange.response.status;
  const now = settings.now;
  const judgement = judgeResponse(exchange, {
    profile: settings.profile,
    now,
    windowMs: DEFAULT_WINDOW_MS,
  });
  const blocking = judgement.findings.filter(
    (finding) => finding.severity === 'error' && !settings.tolerate.has(finding.rule),
  );

  if (status !== 200) {
    const body = judgement.body as Partial<ErrorResponse> | undefined;
    const snapShaped =
      typeof body?.responseCode === 'string' &&
      typeof body.responseMessage === 'string' &&
      !judgement.findings.some((finding) => BODY_RULES.test(finding.rule));
    if (snapShaped) {
      throw new SnapTokenError(
        status,
        body.responseCode!,
        body.responseMessage!,
        judgement.findings,
      );
    }
    throw new NonConformingAnswerError(status, blocking);
  }
  if (blocking.length > 0 || !judgement.body) {
    throw new NonConformingAnswerError(status, blocking);
  }

  const body = judgement.body as unknown as TokenResponse;
  const expiresInSeconds = Number(body.expiresIn);
  const token: AccessToken = {
    accessToken: body.accessToken,
    tokenType: 'Bearer',
    expiresInSeconds,
    obtainedAt: now,
    expiresAt: now + expiresInSeconds * 1000,
    responseCode: body.responseCode,
    responseMessage: body.responseMessage,
    findings: judgement.findings,
  };
  if (body.additionalInfo !== undefined) token.additionalInfo = body.additionalInfo;
  return token;
}

/** A token client for one provider and one client id. */
export function createTokenClient(options: TokenClientOptions): TokenClient {
  return new TokenClient(options);
}
