/**
 * Sends one request exactly as built (headers may be missing, bodies malformed) and records what
 * comes back. Every way the peer can misbehave (refusing, hanging, resetting, flooding, answering
 * something that is not HTTP) becomes a TransportFailure, never an exception; so does a
 * connection that cannot be secured as the URL asks (see failures.ts).
 */
// The modules, not their `request` bindings: interceptors such as nock patch `http.request` at
// run time, and a binding imported by name would keep the original whichever loads first.
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';

import type { Exchange, RecordedRequest, TransportFailure } from '../types.js';
import { classifyError, schemeRefusal, speaksTls, type Peer } from './failures.js';

export interface SendOptions {
  /** Whole-exchange limit: connect, send, and read the full answer. */
  timeoutMs: number;
  /** Larger answers are cut off and reported. */
  maxResponseBytes: number;
}

export const DEFAULT_SEND_OPTIONS: SendOptions = { timeoutMs: 5_000, maxResponseBytes: 1 << 20 };

/** How long the check "does this port speak TLS?" may take after a reset, at most. */
const PROBE_LIMIT_MS = 1_000;
/** A probe shorter than this could not finish a handshake: not worth starting. */
const PROBE_MIN_MS = 50;

/** Sends `request` to `base` (scheme, host, port; the request carries the path). */
export function send(
  base: URL,
  request: RecordedRequest,
  options: SendOptions = DEFAULT_SEND_OPTIONS,
): Promise<Exchange> {
  return new Promise((resolve) => {
    const started = performance.now();
    let settled = false;
    const finish = (exchange: Omit<Exchange, 'request'>): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      outgoing.destroy();
      resolve({ request, ...exchange });
    };

    const target = new URL(request.path, base);
    const requester = target.protocol === 'https:' ? https.request : http.request;
    const headers: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries(request.headers)) {
      if (value !== undefined) headers[name] = value;
    }
    headers['Content-Length'] = String(request.body.length);

    const outgoing = requester(target, {
      method: request.method,
      headers,
      agent: false,
      setHost: true,
    });

    const timer = setTimeout(() => {
      finish({
        failure: { kind: 'timeout', message: `no complete answer within ${options.timeoutMs} ms` },
      });
    }, options.timeoutMs);

    // Where the connection went, read when it opens (a closed socket forgets its peer).
    let peer: Peer | undefined;
    outgoing.on('socket', (socket) => {
      socket.once('connect', () => {
        if (socket.remoteAddress && socket.remotePort) {
          peer = { address: socket.remoteAddress, port: socket.remotePort };
        }
      });
    });

    outgoing.on('error', (error: NodeJS.ErrnoException) => {
      const failure = classifyError(error, target);
      // The probe spends what is left of the exchange's time limit, never more.
      const left = Math.min(PROBE_LIMIT_MS, options.timeoutMs - (performance.now() - started));
      if (failure.kind !== 'reset' || target.protocol !== 'http:' || !peer || left < PROBE_MIN_MS) {
        finish({ failure });
        return;
      }
      // A plain-HTTP request to a TLS port is often just dropped: ask the port itself.
      clearTimeout(timer);
      void speaksTls(peer, target.hostname, left).then((tls) =>
        finish({ failure: tls ? schemeRefusal(target, 'https') : failure }),
      );
    });
    outgoing.on('response', (incoming) => collect(incoming, target, options, finish));
    outgoing.end(request.body);
  });
}

function collect(
  incoming: IncomingMessage,
  target: URL,
  options: SendOptions,
  finish: (exchange: Omit<Exchange, 'request'>) => void,
): void {
  const chunks: Buffer[] = [];
  let size = 0;

  incoming.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size > options.maxResponseBytes) {
      finish({
        failure: {
          kind: 'body-size',
          message: `the answer exceeded ${options.maxResponseBytes} bytes and was cut off`,
        },
      });
      return;
    }
    chunks.push(chunk);
  });
  incoming.on('end', () => {
    const response = {
      status: incoming.statusCode ?? 0,
      headers: incoming.headers,
      body: Buffer.concat(chunks),
    };
    // The answer is kept as evidence, but it answers the scheme, not the token request.
    const wrongPort = target.protocol === 'http:' && plainToTlsPort(response.status, response.body);
    const failure: TransportFailure | undefined = wrongPort
      ? schemeRefusal(target, 'https')
      : undefined;
    finish(failure ? { response, failure } : { response });
  });
  incoming.on('aborted', () =>
    finish({ failure: { kind: 'reset', message: 'the connection closed mid-answer' } }),
  );
  incoming.on('error', (error: NodeJS.ErrnoException) => {
    const failure = classifyError(error, target);
    finish({
      failure:
        failure.kind === 'reset'
          ? { kind: 'reset', message: `the answer broke off: ${error.code ?? error.message}` }
          : failure,
    });
  });
}

/**
 * nginx answers a plain-HTTP request on its TLS port with 400 "The plain HTTP request was sent
 * to HTTPS port", Go with 400 "Client sent an HTTP request to an HTTPS server".
 */
function plainToTlsPort(status: number, body: Buffer): boolean {
  if (status !== 400) return false;
  const text = body.subarray(0, 4096).toString('latin1');
  return /plain HTTP request was sent to HTTPS port|HTTP request to an HTTPS server/i.test(text);
}
