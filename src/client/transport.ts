/**
 * One token call over `fetch`, typed by openapi-fetch from the bindings generated out of
 * openapi.yaml: the path, the four header parameters and the body are checked at compile time.
 * The answer is captured byte for byte (bounded in size) so the check engine judges exactly what
 * arrived; every way the exchange can break becomes a `TransportFailure`, never an exception.
 */
import createClient, { type Middleware } from 'openapi-fetch';

import type { paths } from '../generated/openapi.js';
import { CONNECT_ERRORS } from '../http/failures.js';
import type {
  Exchange,
  RecordedRequest,
  RecordedResponse,
  TokenRequest,
  TokenRequestHeaders,
  TransportFailure,
} from '../types.js';

/** The path as openapi.yaml spells it; other paths are reached by rewriting the URL. */
const DOCUMENTED_PATH = '/authorization/v1/access-token/b2b';

export interface TransportOptions {
  baseUrl: string;
  /** The token path at this provider (`/v1.0/access-token/b2b` at standard SNAP providers). */
  path: string;
  /** Whole-exchange limit: connect, send, and read the full answer. */
  timeoutMs: number;
  maxResponseBytes: number;
  /** A fetch implementation; the global one by default. */
  fetch?: typeof fetch;
}

/** Sends one token request and returns the exchange as the check engine takes it. */
export type TokenTransport = (
  headers: TokenRequestHeaders,
  body: TokenRequest,
) => Promise<Exchange>;

class BodyTooLarge extends Error {}

/** Reads a body up to `limit` bytes; a larger one is cancelled rather than buffered. */
async function readBounded(response: Response, limit: number): Promise<Buffer> {
  if (!response.body) return Buffer.alloc(0);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of response.body) {
    size += chunk.length;
    if (size > limit) throw new BodyTooLarge(`the answer exceeded ${limit} bytes`);
    chunks.push(Buffer.from(chunk));
  }
  return Buffer.concat(chunks);
}

function errorCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current instanceof Object; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

function classify(
  error: unknown,
  signal: AbortSignal,
  options: TransportOptions,
): TransportFailure {
  if (error instanceof BodyTooLarge) {
    return { kind: 'body-size', message: `${error.message} and was cut off` };
  }
  if (signal.aborted) {
    return { kind: 'timeout', message: `no complete answer within ${options.timeoutMs} ms` };
  }
  const code = errorCode(error);
  if (code && CONNECT_ERRORS.has(code)) {
    return { kind: 'connect', message: `cannot connect to ${options.baseUrl}: ${code}` };
  }
  const reason = code ?? (error instanceof Error ? error.message : String(error));
  return { kind: 'reset', message: `the connection failed before a complete answer: ${reason}` };
}

/** Points the request at the provider's own token path when it differs from openapi.yaml's. */
function pathRewrite(path: string): Middleware {
  return {
    onRequest({ request }) {
      const url = new URL(request.url);
      url.pathname = path;
      return new Request(url, request);
    },
  };
}

export function createTransport(options: TransportOptions): TokenTransport {
  const api = createClient<paths>({
    baseUrl: options.baseUrl,
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  if (options.path !== DOCUMENTED_PATH) api.use(pathRewrite(options.path));

  return async (headers, body) => {
    const request: RecordedRequest = {
      method: 'POST',
      path: options.path,
      headers: { ...headers },
      body: Buffer.from(JSON.stringify(body)),
    };
    let captured: RecordedResponse | undefined;
    const capture: Middleware = {
      async onResponse({ response }) {
        const bytes = await readBounded(response, options.maxResponseBytes);
        captured = {
          status: response.status,
          headers: Object.fromEntries(response.headers),
          body: bytes,
        };
        // openapi-fetch reads the body again; hand it a fresh copy of what was captured.
        return new Response(bytes.length > 0 ? new Uint8Array(bytes) : null, {
          status: response.status,
          headers: response.headers,
        });
      },
    };

    const signal = AbortSignal.timeout(options.timeoutMs);
    try {
      await api.POST(DOCUMENTED_PATH, {
        params: { header: headers },
        body,
        signal,
        parseAs: 'stream',
        middleware: [capture],
      });
    } catch (error) {
      return { request, failure: classify(error, signal, options) };
    }
    if (!captured) {
      return { request, failure: { kind: 'reset', message: 'no answer was captured' } };
    }
    return { request, response: captured };
  };
}
