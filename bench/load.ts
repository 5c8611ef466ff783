/**
 * Load runs with autocannon against servers on 127.0.0.1: a pool of distinct pre-signed token
 * requests, a short warm-up, then a bounded measured run.
 */
import type { KeyObject } from 'node:crypto';

import autocannon from 'autocannon';

import { signToken } from '../src/signature/asymmetric.js';
import { formatTimestamp } from '../src/timestamp.js';

export const TOKEN_PATH = '/authorization/v1/access-token/b2b';
const GRANT = '{"grantType":"client_credentials"}';

export interface LoadFigures {
  /** Answers per second over the measured run, 2xx only. */
  rate: number;
  p50Ms: number;
  p99Ms: number;
  answered: number;
  /** Answers that were not 2xx, plus errors and timeouts: a valid run has none. */
  failed: number;
}

export interface LoadPlan {
  connections: number;
  warmupSeconds: number;
  seconds: number;
}

/**
 * `size` requests, each signed over its own timestamp (one millisecond apart), so no two
 * share a signature and nothing in the server can answer one from the memory of another.
 */
export function signedPool(clientId: string, key: KeyObject, size: number): autocannon.Request[] {
  const start = Date.now();
  return Array.from({ length: size }, (_, index) => {
    const timestamp = formatTimestamp(new Date(start + index), { milliseconds: true });
    return {
      method: 'POST',
      path: TOKEN_PATH,
      headers: {
        'Content-Type': 'application/json',
        'X-TIMESTAMP': timestamp,
        'X-CLIENT-KEY': clientId,
        'X-SIGNATURE': signToken(key, clientId, timestamp),
      },
      body: GRANT,
    };
  });
}

function cannon(
  port: number,
  requests: autocannon.Request[],
  connections: number,
  seconds: number,
): Promise<autocannon.Result> {
  return autocannon({
    url: `http://127.0.0.1:${port}`,
    connections,
    duration: seconds,
    timeout: 10,
    requests,
  });
}

/** Warm-up (discarded) then the measured run. */
export async function measureLoad(
  port: number,
  requests: autocannon.Request[],
  plan: LoadPlan,
): Promise<LoadFigures> {
  await cannon(port, requests, plan.connections, plan.warmupSeconds);
  const result = await cannon(port, requests, plan.connections, plan.seconds);
  return {
    rate: result['2xx'] / result.duration,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    answered: result['2xx'],
    failed: result.non2xx + result.errors + result.timeouts,
  };
}
