/**
 * Sends one request exactly as built (headers may be missing, bodies malformed) and records what
 * comes back. Every way the peer can misbehave (refusing, hanging, resetting, flooding) becomes a
 * TransportFailure, never an exception.
 */
// The modules, not their `request` bindings: interceptors such as nock patch `http.request` at
// run time, and a binding imported by name would keep the original whichever loads first.
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';

import type { Exchange, RecordedRequest, TransportFailure } from '../types.js';

export interface SendOptions {
  /** Whole-exchange limit: connect, send, and read the full answer. */
  timeoutMs: number;
  /** Larger answers are cut off and reported. */
  maxResponseBytes: number;
}

export const DEFAULT_SEND_OPTIONS: SendOptions = { timeoutMs: 5_000, maxResponseBytes: 1 << 20 };

const CONNECT_ERRORS = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'EADDRNOTAVAIL',
]);

function classify(error: NodeJS.ErrnoException, base: URL): TransportFailure {
  if (error.code && CONNECT_ERRORS.has(error.code)) {
    return { kind: 'connect', message: `cannot connect to ${base.host}: ${error.code}` };
  }
  return {
    kind: 'reset',
    message: `the connection failed before a complete answer: ${error.code ?? error.message}`,
  };
}

/** Sends `request` to `base` (scheme, host, port; the request carries the path). */
export function send(
  base: URL,
  request: RecordedRequest,
  options: SendOptions = DEFAULT_SEND_OPTIONS,
): Promise<Exchange> {
  return new Promise((resolve) => {
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

    outgoing.on('error', (error: NodeJS.ErrnoException) =>
      finish({ failure: classify(error, base) }),
    );
    outgoing.on('response', (incoming) => collect(incoming, options, finish));
    outgoing.end(request.body);
  });
}

function collect(
  incoming: IncomingMessage,
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
    finish({
      response: {
        status: incoming.statusCode ?? 0,
        headers: incoming.headers,
        body: Buffer.concat(chunks),
      },
    });
  });
  incoming.on('aborted', () =>
    finish({ failure: { kind: 'reset', message: 'the connection closed mid-answer' } }),
  );
  incoming.on('error', (error: NodeJS.ErrnoException) =>
    finish({
      failure: { kind: 'reset', message: `the answer broke off: ${error.code ?? error.message}` },
    }),
  );
}
