/**
 * The reference provider: a spec-faithful, deterministic token endpoint. It judges every request
 * with the same engine as the other modes and answers the first failing rule, in the order of
 * spec/rules.yaml, with the status, responseCode and message the catalogue gives that rule.
 */
import { randomBytes, type KeyObject } from 'node:crypto';
import {
  createServer,
  STATUS_CODES,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { debuglog } from 'node:util';

import {
  DEFAULT_MAX_BODY_BYTES,
  DEFAULT_WINDOW_MS,
  judgeRequest,
  type RequestJudgement,
} from '../engine/request.js';
import { Recorder, type FindingDetail } from '../engine/recorder.js';
import { show } from '../engine/render.js';
import { rule } from '../spec/catalogue.js';
import { tokenSpec } from '../spec/openapi.js';
import { formatTimestamp } from '../timestamp.js';
import type {
  ErrorResponse,
  Exchange,
  HeaderBag,
  Profile,
  RecordedRequest,
  RecordedResponse,
  TokenResponse,
} from '../types.js';

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
  /**
   * Called with every request the provider answers and the answer as sent, headers included
   * (the client judge listens here). A request refused before the engine could judge it (too
   * large, unparseable, too slow, a tunnel, the provider's own failure) comes with a judgement
   * naming the rule that refused it. A listener that throws turns the answer into a 500.
   */
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

/** A judgement that names one broken rule: a request refused before the engine could see it. */
function refusal(profile: Profile, ruleId: string, detail: FindingDetail): RequestJudgement {
  const recorder = new Recorder(profile);
  recorder.fail(ruleId, detail);
  return recorder.judgement();
}

/** Headers as a report holds them: names in lower case, as a client receives them. */
function recordedHeaders(headers: Record<string, string>): HeaderBag {
  return Object.fromEntries(Object.entries(headers).map(([name, v]) => [name.toLowerCase(), v]));
}

/** The request line of what the parser refused, when it has one; nothing else is trusted. */
function requestFromPacket(packet: Buffer | undefined): RecordedRequest {
  const line = packet?.subarray(0, 8192).toString('latin1').split('\r\n', 1)[0] ?? '';
  const parts = /^([A-Za-z]+) (\S+) HTTP\/\d\.\d$/.exec(line);
  return { method: parts?.[1] ?? '', path: parts?.[2] ?? '', headers: {}, body: Buffer.alloc(0) };
}

/** The rule a request broke when Node's parser refused it, and how, in words. */
function parserRefusal(
  error: NodeJS.ErrnoException & { rawPacket?: Buffer },
  limits: ProviderLimits,
): { ruleId: string; detail: FindingDetail } {
  if (error.code === 'HPE_HEADER_OVERFLOW') {
    return {
      ruleId: 'request.header.size',
      detail: {
        location: 'request.header',
        message: `the request line and headers exceed the ${limits.maxHeaderBytes}-byte limit`,
        expected: `at most ${limits.maxHeaderBytes} bytes`,
      },
    };
  }
  if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    const [headers, whole] = [limits.headersTimeoutMs, limits.requestTimeoutMs].map(
      (ms) => `${ms / 1000} s`,
    );
    return {
      ruleId: 'request.message.timeout',
      detail: {
        location: 'request',
        message:
          'the request was not complete in time ' +
          `(headers within ${headers}, all of it within ${whole})`,
        expected: `the whole request within ${whole}`,
      },
    };
  }
  const line = error.rawPacket?.subarray(0, 200).toString('latin1').split('\r\n', 1)[0];
  const detail: FindingDetail = {
    location: 'request',
    message: `the request is not valid HTTP/1.1 (${error.code ?? 'parse error'}: ${error.message})`,
    expected: 'a request line, header fields and a body framed as RFC 9112 says',
  };
  if (line !== undefined) detail.actual = show(line);
  return { ruleId: 'request.message.syntax', detail };
}

/** A SNAP error answer written straight to a socket Node's HTTP layer has given up on. */
function rawAnswer(
  status: number,
  body: ErrorResponse,
): { text: string; response: RecordedResponse } {
  const payload = JSON.stringify(body);
  const headers = {
    'Content-Type': 'application/json',
    'Content-Length': String(Buffer.byteLength(payload)),
    Connection: 'close',
  };
  const head = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`);
  return {
    text: `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\n${head.join('')}\r\n${payload}`,
    response: { status, headers: recordedHeaders(headers), body: Buffer.from(payload) },
  };
}

/** The request handler and the answers to what never reaches it, sharing one set of options. */
interface ProviderParts {
  handle(request: IncomingMessage, response: ServerResponse): void;
  /** Node's `clientError`: what the HTTP parser refused, answered in SNAP form. */
  refuseUnparsed(error: NodeJS.ErrnoException, socket: Socket): void;
  /** Node's `connect`: CONNECT asks for a tunnel, and the token call never tunnels. */
  refuseTunnel(request: IncomingMessage, socket: Duplex): void;
}

function providerParts(options: ProviderOptions): ProviderParts {
  const profile = options.profile ?? 'doku';
  const clock = options.clock ?? Date.now;
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  const issueToken = options.issueToken ?? randomToken;
  const directory = new Map(options.clients.map((client) => [client.clientId, client.publicKeys]));
  const context = {
    profile,
    windowMs: options.windowMs ?? DEFAULT_WINDOW_MS,
    path: options.path ?? tokenSpec().path,
    clients: (clientId: string) => directory.get(clientId),
    maxBodyBytes,
  };
  const report = (exchange: Exchange, judgement: RequestJudgement): void =>
    options.onExchange?.(exchange, judgement);

  /**
   * Every header the answer goes out with, Date and Connection included: set here rather than
   * by Node, so that the exchange a listener records is the one the client receives.
   */
  const headersFor = (res: ServerResponse, answer: Answer, payload: string) => {
    const keepAlive = res.getHeader('connection') === undefined && res.shouldKeepAlive;
    const now = new Date(clock());
    return {
      'Content-Type': 'application/json',
      'Content-Length': String(Buffer.byteLength(payload)),
      'X-TIMESTAMP': formatTimestamp(now, { offsetMinutes: ANSWER_OFFSET_MINUTES[profile] }),
      ...answer.headers,
      Date: now.toUTCString(),
      Connection: keepAlive ? 'keep-alive' : 'close',
      ...(keepAlive
        ? { 'Keep-Alive': `timeout=${Math.floor(limits.keepAliveTimeoutMs / 1000)}` }
        : {}),
    };
  };

  /** Tells the listener, then answers: a listener that throws turns the answer into a 500. */
  const respond = (
    req: IncomingMessage,
    res: ServerResponse,
    request: RecordedRequest,
    judgement: RequestJudgement,
    answer: Answer,
  ): void => {
    const payload = JSON.stringify(answer.body);
    const headers = headersFor(res, answer, payload);
    // A HEAD answer carries no body, whatever Content-Length says.
    const body = req.method === 'HEAD' ? Buffer.alloc(0) : Buffer.from(payload);
    const response = { status: answer.status, headers: recordedHeaders(headers), body };
    report({ request, response }, judgement);
    res.writeHead(answer.status, headers);
    res.end(payload);
  };

  const refuse = (
    req: IncomingMessage,
    res: ServerResponse,
    request: RecordedRequest,
    ruleId: string,
    detail: FindingDetail,
  ): void => {
    res.setHeader('Connection', 'close');
    const answer = { ...ruleAnswer(ruleId), headers: {} };
    respond(req, res, request, refusal(profile, ruleId, detail), answer);
  };

  /** The provider's own failure: 500 5007300, still reported as a case of its own. */
  const fail = (
    req: IncomingMessage,
    res: ServerResponse,
    request: RecordedRequest,
    error: unknown,
  ): void => {
    const reason = error instanceof Error ? error.message : String(error);
    debug('internal error: %s', reason);
    if (res.headersSent || res.destroyed) {
      res.destroy();
      return;
    }
    const judgement = refusal(profile, 'judge.internal-error', {
      location: 'request',
      message: `snapcheck failed while answering this request (${reason}); it was not judged`,
    });
    try {
      respond(req, res, request, judgement, { ...generalError(), headers: {} });
    } catch (again) {
      debug('internal error while answering 500: %s', String(again));
      res.destroy();
    }
  };

  const judge = (
    req: IncomingMessage,
    res: ServerResponse,
    request: RecordedRequest,
    read: BodyRead,
  ): void => {
    if (read.overLimit) {
      const declared = read.declared > maxBodyBytes;
      refuse(req, res, request, 'request.body.size', {
        location: 'request.body',
        message: declared
          ? `Content-Length declares ${read.declared} bytes, over the ${maxBodyBytes}-byte limit`
          : `the body grew past the ${maxBodyBytes}-byte limit and was not read further`,
        expected: `at most ${maxBodyBytes} bytes`,
        actual: declared ? `${read.declared} bytes` : `over ${maxBodyBytes} bytes`,
      });
      return;
    }
    const judgement = judgeRequest(request, { ...context, now: clock() });
    respond(req, res, request, judgement, chooseAnswer(judgement, profile, issueToken));
  };

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    trackAnswer(req.socket, res, limits.maxRequestsPerSocket);
    let request: RecordedRequest = {
      method: req.method ?? '',
      path: req.url ?? '',
      headers: req.headers,
      body: Buffer.alloc(0),
    };
    try {
      // rawHeaders holds name and value in turn; Node would silently drop fields past its own
      // count limit, and a request judged on a partial header set would be judged wrongly.
      const fields = req.rawHeaders.length / 2;
      if (fields > limits.maxHeaders) {
        req.resume();
        refuse(req, res, request, 'request.header.size', {
          location: 'request.header',
          message: `the request has more than ${limits.maxHeaders} header fields`,
          expected: `at most ${limits.maxHeaders} fields`,
          actual: `more than ${limits.maxHeaders} fields`,
        });
        return;
      }
      // RFC 9112 §3.2: an HTTP/1.1 request without Host is answered 400. Node's own check
      // (turned off in startProvider) would answer it with an empty, non-SNAP body.
      if (req.httpVersionMinor === 1 && req.headers.host === undefined) {
        req.resume();
        refuse(req, res, request, 'request.message.syntax', {
          location: 'request.header.Host',
          message: 'an HTTP/1.1 request must carry a Host header (RFC 9112 §3.2)',
          expected: 'a Host header',
          actual: '(absent)',
        });
        return;
      }
    } catch (error) {
      fail(req, res, request, error);
      return;
    }

    readBody(req, maxBodyBytes)
      .then((read) => {
        request = { ...request, body: req.method === 'HEAD' ? Buffer.alloc(0) : read.body };
        judge(req, res, request, read);
      })
      .catch((error: unknown) => fail(req, res, request, error));
  };

  const refuseUnparsed = (error: NodeJS.ErrnoException, socket: Socket): void => {
    debug('client error: %s', error.code ?? error.message);
    if (!socket.writable || error.code === 'ECONNRESET') {
      socket.destroy();
      return;
    }
    const send = (): void => {
      if (!socket.writable) {
        socket.destroy();
        return;
      }
      const { ruleId, detail } = parserRefusal(error, limits);
      const answer = rawAnswer(400, ruleAnswer(ruleId).body);
      const request = requestFromPacket((error as { rawPacket?: Buffer }).rawPacket);
      tellQuietly({ request, response: answer.response }, refusal(profile, ruleId, detail));
      socket.end(answer.text);
    };
    // When garbage follows a request whose answer is still being made, the 400 goes out after
    // that answer, in order, rather than into the middle of it.
    const pending = answering.get(socket);
    if (pending && !pending.writableFinished) {
      pending.once('finish', send);
      pending.once('close', () => socket.destroy());
      return;
    }
    send();
  };

  const refuseTunnel = (req: IncomingMessage, socket: Duplex): void => {
    const answer = rawAnswer(405, ruleAnswer('request.method').body);
    const request = {
      method: 'CONNECT',
      path: req.url ?? '',
      headers: req.headers,
      body: Buffer.alloc(0),
    };
    const judgement = refusal(profile, 'request.method', {
      location: 'request.method',
      message: 'CONNECT asks for a tunnel; the token call uses POST',
      expected: 'POST',
      actual: 'CONNECT',
    });
    socket.on('error', () => socket.destroy());
    tellQuietly({ request, response: answer.response }, judgement);
    socket.end(answer.text);
  };

  /** For answers written past Node's HTTP layer: a listener's failure cannot change them. */
  const tellQuietly = (exchange: Exchange, judgement: RequestJudgement): void => {
    try {
      report(exchange, judgement);
    } catch (error) {
      debug('listener failed: %s', error instanceof Error ? error.message : String(error));
    }
  };

  return { handle, refuseUnparsed, refuseTunnel };
}

/** Builds the request handler; exported so tests and other servers can mount it. */
export function providerHandler(
  options: ProviderOptions,
): (request: IncomingMessage, response: ServerResponse) => void {
  return providerParts(options).handle;
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

interface BodyRead {
  /** What was read: all of it, or the part up to the limit. */
  body: Buffer;
  overLimit: boolean;
  /** Content-Length as declared (0 when absent). */
  declared: number;
}

/** Reads the body up to `limit` bytes; past it, the rest is drained unread. */
function readBody(req: IncomingMessage, limit: number): Promise<BodyRead> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0) || 0;
    if (declared > limit) {
      req.resume();
      resolve({ body: Buffer.alloc(0), overLimit: true, declared });
      return;
    }

    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.removeAllListeners('data');
        req.resume();
        chunks.push(chunk.subarray(0, limit - (size - chunk.length)));
        resolve({ body: Buffer.concat(chunks), overLimit: true, declared });
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve({ body: Buffer.concat(chunks), overLimit: false, declared }));
    req.on('error', reject);
  });
}

/** Starts the reference provider on 127.0.0.1 (a free port unless one is given). */
export async function startProvider(
  options: ProviderOptions & { port?: number; host?: string },
): Promise<RunningProvider> {
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  const parts = providerParts(options);
  const handler = parts.handle;
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
  server.on('clientError', parts.refuseUnparsed);
  server.on('connect', parts.refuseTunnel);
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
