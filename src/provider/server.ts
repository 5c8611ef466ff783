/**
 * The reference provider: a spec-faithful, deterministic token endpoint. It judges every request
 * with the same engine as the other modes and answers the first failing rule, in the order of
 * spec/rules.yaml, with the status, responseCode and message the catalogue gives that rule.
 */
import { randomBytes, type KeyObject } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { debuglog } from 'node:util';

import {
  DEFAULT_MAX_BODY_BYTES,
  DEFAULT_WINDOW_MS,
  judgeRequest,
  type RequestJudgement,
} from '../engine/request.js';
import { rule } from '../spec/catalogue.js';
import { tokenSpec } from '../spec/openapi.js';
import { formatTimestamp } from '../timestamp.js';
import type { ErrorResponse, Exchange, Profile, RecordedRequest, TokenResponse } from '../types.js';

const debug = debuglog('snapcheck:provider');

/** A client the provider knows, with the public keys its signatures verify under. */
export interface RegisteredClient {
  clientId: string;
  publicKeys: KeyObject[];
}

export interface ProviderOptions {
  clients: RegisteredClient[];
  /** Answer style and rule severities: `doku` sends expiresIn 900, `snap` sends "900". */
  profile?: Profile;
  path?: string;
  windowMs?: number;
  maxBodyBytes?: number;
  /** The provider's clock (epoch ms); tests fix it. */
  clock?: () => number;
  /** Called with every request, its judgement and the answer (the client judge listens here). */
  onExchange?: (exchange: Exchange, judgement: RequestJudgement) => void;
  /** Makes each access token (default: 48 random bytes); tests fix it for repeatable runs. */
  issueToken?: () => string;
  /** What a peer may cost the provider; see DEFAULT_LIMITS. */
  limits?: Partial<ProviderLimits>;
}

/** Bounds that keep one hostile or broken peer from starving the others. */
export interface ProviderLimits {
  /** Request line plus headers, in bytes (Node's parser refuses more). */
  maxHeaderBytes: number;
  /** Header fields per request; a token request needs five or six. */
  maxHeaders: number;
  /** From connecting (or the previous answer) to the end of the headers. */
  headersTimeoutMs: number;
  /** From connecting to the end of the body: a client sending a byte a second is cut off. */
  requestTimeoutMs: number;
  /** An idle keep-alive connection is closed after this. */
  keepAliveTimeoutMs: number;
  /** A connection with no traffic at all (not even a first byte) is closed after this. */
  idleTimeoutMs: number;
  /** Open connections; more are closed at once, so idle ones cannot pile up without bound. */
  maxConnections: number;
  /** Answers per connection; the last one says `Connection: close`. */
  maxRequestsPerSocket: number;
}

export const DEFAULT_LIMITS: ProviderLimits = {
  maxHeaderBytes: 16 * 1024,
  maxHeaders: 64,
  headersTimeoutMs: 5_000,
  requestTimeoutMs: 10_000,
  keepAliveTimeoutMs: 5_000,
  idleTimeoutMs: 5_000,
  maxConnections: 1_024,
  maxRequestsPerSocket: 1_000,
};

export interface RunningProvider {
  url: string;
  port: number;
  server: Server;
  close(): Promise<void>;
}

interface Answer {
  status: number;
  body: TokenResponse | ErrorResponse;
  headers: Record<string, string>;
}

const TOKEN_LIFETIME_SECONDS = 900;
/** DOKU's example answers in WIB (+07:00); the SNAP style answers in UTC. */
const ANSWER_OFFSET_MINUTES: Record<Profile, number> = { doku: 420, snap: 0 };

/** The answer the catalogue gives when `ruleId` fails for `field`. */
export function ruleAnswer(ruleId: string, field = ''): { status: number; body: ErrorResponse } {
  const answer = rule(ruleId).answer;
  if (!answer) throw new Error(`snapcheck: rule ${ruleId} has no answer in spec/rules.yaml`);
  return {
    status: answer.status,
    body: {
      responseCode: answer.responseCode,
      responseMessage: answer.message.replace('{field}', field),
    },
  };
}

function generalError(): { status: number; body: ErrorResponse } {
  return { status: 500, body: { responseCode: '5007300', responseMessage: 'General Error' } };
}

/** 4007300, the SNAP table's answer to a request that cannot be read as a token request. */
function badRequest(): { status: number; body: ErrorResponse } {
  return { status: 400, body: { responseCode: '4007300', responseMessage: 'Bad Request' } };
}

/** The answer in progress on a socket: a parser error there must wait for it to go out. */
const answering = new WeakMap<Socket, ServerResponse>();
const answered = new WeakMap<Socket, number>();

/**
 * Counts answers per connection and closes it after the last one. Node's own
 * `maxRequestsPerSocket` answers requests past the limit with 503, a status the SNAP table
 * lacks, so the provider keeps the count itself and closes instead.
 */
function trackAnswer(socket: Socket, res: ServerResponse, maxRequests: number): void {
  const count = (answered.get(socket) ?? 0) + 1;
  answered.set(socket, count);
  if (count >= maxRequests) res.setHeader('Connection', 'close');

  answering.set(socket, res);
  const done = (): void => {
    if (answering.get(socket) === res) answering.delete(socket);
  };
  res.once('finish', done);
  res.once('close', done);
}

/** Builds the request handler; exported so tests and other servers can mount it. */
export function providerHandler(
  options: ProviderOptions,
): (request: IncomingMessage, response: ServerResponse) => void {
  const profile = options.profile ?? 'doku';
  const clock = options.clock ?? Date.now;
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const directory = new Map(options.clients.map((client) => [client.clientId, client.publicKeys]));
  const context = {
    profile,
    windowMs: options.windowMs ?? DEFAULT_WINDOW_MS,
    path: options.path ?? tokenSpec().path,
    clients: (clientId: string) => directory.get(clientId),
    maxBodyBytes,
  };

  const answerWith = (res: ServerResponse, answer: Answer): void => {
    const payload = JSON.stringify(answer.body);
    res.writeHead(answer.status, {
      'Content-Type': 'application/json',
      'Content-Length': Buffer.byteLength(payload),
      'X-TIMESTAMP': formatTimestamp(new Date(clock()), {
        offsetMinutes: ANSWER_OFFSET_MINUTES[profile],
      }),
      ...answer.headers,
    });
    res.end(payload);
  };

  const decide = (recorded: RecordedRequest): Answer => {
    const judgement = judgeRequest(recorded, { ...context, now: clock() });
    const answer = chooseAnswer(judgement, profile, options.issueToken ?? randomToken);
    options.onExchange?.(
      {
        request: recorded,
        response: {
          status: answer.status,
          headers: answer.headers,
          body: Buffer.from(JSON.stringify(answer.body)),
        },
      },
      judgement,
    );
    return answer;
  };

  const maxHeaders = options.limits?.maxHeaders ?? DEFAULT_LIMITS.maxHeaders;
  const maxRequests = options.limits?.maxRequestsPerSocket ?? DEFAULT_LIMITS.maxRequestsPerSocket;

  return (req, res) => {
    trackAnswer(req.socket, res, maxRequests);
    // rawHeaders holds name and value in turn; Node would silently drop fields past its own
    // count limit, and a request judged on a partial header set would be judged wrongly.
    // RFC 9112 §3.2: an HTTP/1.1 request without Host is answered 400. Node's own check
    // (turned off in startProvider) would answer it with an empty, non-SNAP body.
    const hostless = req.httpVersionMinor === 1 && req.headers.host === undefined;
    if (req.rawHeaders.length / 2 > maxHeaders || hostless) {
      req.resume();
      res.setHeader('Connection', 'close');
      answerWith(res, { ...badRequest(), headers: {} });
      return;
    }

    readBody(req, maxBodyBytes)
      .then((body) => {
        const recorded: RecordedRequest = {
          method: req.method ?? '',
          path: req.url ?? '',
          headers: req.headers,
          body: body ?? Buffer.alloc(0),
        };
        if (body === undefined) {
          res.setHeader('Connection', 'close');
          answerWith(res, { ...ruleAnswer('request.body.size'), headers: {} });
          return;
        }
        answerWith(res, decide(recorded));
      })
      .catch((error: unknown) => {
        debug('internal error: %s', error instanceof Error ? error.message : String(error));
        if (!res.headersSent) answerWith(res, { ...generalError(), headers: {} });
        else res.destroy();
      });
  };
}

const randomToken = (): string => randomBytes(48).toString('base64url');

/** The first failing rule that has an answer decides; a clean request gets a token. */
function chooseAnswer(
  judgement: RequestJudgement,
  profile: Profile,
  issueToken: () => string,
): Answer {
  for (const finding of judgement.findings) {
    if (finding.severity !== 'error' || !rule(finding.rule).answer) continue;
    const field = finding.location.replace(/^request\.(header|body)\.?/, '');
    return { ...ruleAnswer(finding.rule, field), headers: {} };
  }

  const token: TokenResponse = {
    responseCode: '2007300',
    responseMessage: 'Successful',
    accessToken: issueToken(),
    tokenType: 'Bearer',
    expiresIn: profile === 'doku' ? TOKEN_LIFETIME_SECONDS : String(TOKEN_LIFETIME_SECONDS),
    additionalInfo: profile === 'doku' ? '' : {},
  };
  return { status: 200, body: token, headers: { 'X-CLIENT-KEY': judgement.clientId ?? '' } };
}

/** Reads the body; undefined when it exceeds the limit (the rest is not read). */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > limit) {
      req.resume();
      resolve(undefined);
      return;
    }

    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.removeAllListeners('data');
        req.resume();
        resolve(undefined);
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** A SNAP error answer written straight to a socket Node's HTTP layer has given up on. */
function rawAnswer(status: string, body: ErrorResponse): string {
  const payload = JSON.stringify(body);
  return (
    `HTTP/1.1 ${status}\r\nContent-Type: application/json\r\n` +
    `Content-Length: ${Buffer.byteLength(payload)}\r\nConnection: close\r\n\r\n${payload}`
  );
}

/**
 * Answers what Node's HTTP parser rejects (malformed request lines, huge headers, a client too
 * slow to finish its request) in SNAP form. HTTP would say 431 for oversized headers and 408
 * for a slow request, but the SNAP table has neither: every request the parser cannot read is
 * a general 400. When garbage follows a request whose answer is still being made, the 400
 * goes out after that answer, in order, rather than into the middle of it.
 */
function answerClientError(error: NodeJS.ErrnoException, socket: Socket): void {
  debug('client error: %s', error.code ?? error.message);
  if (!socket.writable || error.code === 'ECONNRESET') {
    socket.destroy();
    return;
  }
  const refuse = (): void => {
    if (socket.writable) socket.end(rawAnswer('400 Bad Request', badRequest().body));
    else socket.destroy();
  };
  const pending = answering.get(socket);
  if (pending && !pending.writableFinished) {
    pending.once('finish', refuse);
    pending.once('close', () => socket.destroy());
    return;
  }
  refuse();
}

/** CONNECT asks for a tunnel; Node hands over the socket, and the token call never tunnels. */
function refuseTunnel(_request: IncomingMessage, socket: Duplex): void {
  const { body } = ruleAnswer('request.method');
  socket.on('error', () => socket.destroy());
  socket.end(rawAnswer('405 Method Not Allowed', body));
}

/** Starts the reference provider on 127.0.0.1 (a free port unless one is given). */
export async function startProvider(
  options: ProviderOptions & { port?: number; host?: string },
): Promise<RunningProvider> {
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  const handler = providerHandler(options);
  const server = createServer(
    {
      maxHeaderSize: limits.maxHeaderBytes,
      requestTimeout: limits.requestTimeoutMs,
      headersTimeout: limits.headersTimeoutMs,
      keepAliveTimeout: limits.keepAliveTimeoutMs,
      // Node checks the two timeouts above only this often (30 s by default): a slow client
      // would hold its connection for up to that long past its deadline.
      connectionsCheckingInterval: Math.min(1_000, limits.headersTimeoutMs),
      requireHostHeader: false,
    },
    handler,
  );
  server.on('clientError', answerClientError);
  server.on('connect', refuseTunnel);
  // Expectations other than 100-continue MAY be refused with 417 (RFC 9110 §10.1.1), a status
  // the SNAP table lacks; the request is judged like any other instead.
  server.on('checkExpectation', handler);
  // A connection that never sends a byte starts no request, so neither timeout above sees it;
  // the socket inactivity timeout closes it.
  server.timeout = limits.idleTimeoutMs;
  server.maxConnections = limits.maxConnections;
  // One past the limit, so that every field reaches the handler and the count check sees it.
  server.maxHeadersCount = limits.maxHeaders + 1;

  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });

  const { port } = server.address() as AddressInfo;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  debug('listening on %s', url);
  return {
    url,
    port,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
