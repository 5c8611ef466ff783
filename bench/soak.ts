/**
 * A bounded soak: the reference provider (its own process) under `seconds` of mixed load,
 * valid requests and hostile ones, with its resident memory sampled after every slice. The
 * figures go to bench/results/soak.json; nothing here asserts them.
 */
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';

import autocannon from 'autocannon';

import { signedPool, TOKEN_PATH } from './load.js';
import { peakRssMiB, startAnnounced, stop } from './processes.js';

export interface SoakFigures {
  seconds: number;
  requests: number;
  /** Answers by status over the whole soak. */
  statuses: Record<string, number>;
  errors: number;
  /** Resident memory (MiB) after each slice, and the peak. */
  rssMiB: number[];
  peakRssMiB: number;
}

const SLICE_SECONDS = 5;

function rssMiB(pid: number): number {
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) / 1024 : NaN;
}

/** Valid requests interleaved with wrong ones: bad signature, junk body, huge header, path. */
function mixedPool(clientId: string, valid: autocannon.Request[]): autocannon.Request[] {
  return valid.flatMap((request, index) => {
    const headers = request.headers ?? {};
    const hostile: autocannon.Request[] = [
      { ...request, headers: { ...headers, 'X-SIGNATURE': `${'A'.repeat(340)}AA==` } },
      { ...request, body: `{"grantType":${'['.repeat(4_000)}` },
      { ...request, headers: { ...headers, 'X-Padding': 'p'.repeat(8_000) } },
      { ...request, path: `${TOKEN_PATH}/../x`, method: 'GET' },
      { ...request, headers: { ...headers, 'X-CLIENT-KEY': `${clientId}-unknown` } },
    ];
    return [request, hostile[index % hostile.length]!];
  });
}

export async function soak(root: string, seconds: number): Promise<SoakFigures> {
  const clientId = 'MCH-0008-1296507211683';
  const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pem = pair.publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const server = await startAnnounced(
    'reference',
    process.execPath,
    [`${root}bench/server.mjs`, 'reference'],
    { BENCH_CLIENT_ID: clientId, BENCH_PUBLIC_KEY: pem },
  );
  const figures: SoakFigures = {
    seconds,
    requests: 0,
    statuses: {},
    errors: 0,
    rssMiB: [rssMiB(server.child.pid!)],
    peakRssMiB: 0,
  };
  try {
    const pool = mixedPool(clientId, signedPool(clientId, pair.privateKey, 1_024));
    for (let elapsed = 0; elapsed < seconds; elapsed += SLICE_SECONDS) {
      const result = await autocannon({
        url: `http://127.0.0.1:${server.port}`,
        connections: 10,
        duration: SLICE_SECONDS,
        requests: pool,
      });
      figures.requests += result.requests.total;
      figures.errors += result.errors + result.timeouts;
      for (const [status, count] of Object.entries(result.statusCodeStats ?? {})) {
        figures.statuses[status] = (figures.statuses[status] ?? 0) + (count.count ?? 0);
      }
      figures.rssMiB.push(Math.round(rssMiB(server.child.pid!) * 10) / 10);
    }
    figures.peakRssMiB = peakRssMiB(server.child.pid!);
  } finally {
    await stop(server);
  }
  return figures;
}
