/**
 * The reference provider: a spec-faithful, deterministic token endpoint. It judges every request
 * with the same engine as the other modes and answers the first failing rule, in the order of
 * spec/rules.yaml, with the status, responseCode and message the catalogue gives that rule.
 */
import { randomBytes, type KeyObject } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
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
}

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

  return (req, res) => {
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

/** Answers what Node's HTTP parser rejects (malformed request lines, huge headers) in SNAP form. */
function answerClientError(error: NodeJS.ErrnoException, socket: Socket): void {
  debug('client error: %s', error.code ?? error.message);
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  // HTTP would say 431 for oversized headers, but the SNAP table has no such status: every
  // request the parser cannot read is a general 400.
  const payload = JSON.stringify({ responseCode: '4007300', responseMessage: 'Bad Request' });
  socket.end(
    `HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${Buffer.byteLength(payload)}\r\nConnection: close\r\n\r\n${payload}`,
  );
}

/** Starts the reference provider on 127.0.0.1 (a free port unless one is given). */
export async function startProvider(
  options: ProviderOptions & { port?: number; host?: string },
): Promise<RunningProvider> {
  const server = createServer(
    {
      maxHeaderSize: 16 * 1024,
      requestTimeout: 10_000,
      headersTimeout: 5_000,
      keepAliveTimeout: 5_000,
    },
    providerHandler(options),
  );
  server.on('clientError', answerClientError);
  server.maxRequestsPerSocket = 1000;

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
