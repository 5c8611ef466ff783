/**
 * `npm run bench`: every figure of issue 6, measured side by side in one run and printed as a
 * ratio beside its target; also written to bench/results/latest.{json,md}. `-- --soak N` adds
 * an N-second soak of the reference provider under mixed valid and hostile load, with its
 * memory sampled every few seconds. All traffic stays on 127.0.0.1; every run is bounded.
 */
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, release, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';

import { measureLoad, signedPool, type LoadFigures, type LoadPlan } from './load.js';
import { mainJobFigures, type MainJobFigures } from './main-job.js';
import { engineFigures, signatureFigures } from './micro.js';
import {
  freePort,
  peakRssMiB,
  startAnnounced,
  startPolled,
  stop,
  type ServerProcess,
} from './processes.js';
import { soak, type SoakFigures } from './soak.js';
import { renderMarkdown, type Results } from './table.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const CLIENT_ID = 'MCH-0008-1296507211683';
const POOL_SIZE = 2_048;
const ROUNDS = 3;
const PLAN: LoadPlan = { connections: 10, warmupSeconds: 1, seconds: 5 };

function machine(): Results['machine'] {
  const cpu = cpus();
  return {
    cpu: `${cpu.length} × ${cpu[0]?.model ?? 'unknown'}`,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    kernel: release(),
    node: process.version,
    nodeOpenssl: process.versions.openssl,
  };
}

function build(): void {
  execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
}

interface Servers {
  reference: ServerProcess;
  bare: ServerProcess;
  prism: ServerProcess;
}

async function startServers(publicKeyPem: string): Promise<Servers> {
  const env = { BENCH_CLIENT_ID: CLIENT_ID, BENCH_PUBLIC_KEY: publicKeyPem };
  const script = `${root}bench/server.mjs`;
  const reference = await startAnnounced('reference', process.execPath, [script, 'reference'], env);
  const bare = await startAnnounced('bare', process.execPath, [script, 'bare'], env);
  const port = await freePort();
  const prismCli = `${root}node_modules/@stoplight/prism-cli/dist/index.js`;
  const prismArgs = [
    prismCli,
    'mock',
    `${root}openapi.yaml`,
    '-h',
    '127.0.0.1',
    '-p',
    String(port),
  ];
  // Prism logs every request at `info`; `error` spares it that cost, which only helps the peer.
  prismArgs.push('--verboseLevel', 'error');
  const prism = await startPolled('prism', process.execPath, prismArgs, port);
  return { reference, bare, prism };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** Rounds of reference, bare, Prism in turn, each on a freshly signed pool. */
async function loadFigures(): Promise<Results['load']> {
  const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pem = pair.publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const servers = await startServers(pem);
  const rounds: Record<keyof Servers, LoadFigures>[] = [];
  try {
    for (let round = 0; round < ROUNDS; round += 1) {
      const pool = signedPool(CLIENT_ID, pair.privateKey, POOL_SIZE);
      const reference = await measureLoad(servers.reference.port, pool, PLAN);
      const bare = await measureLoad(servers.bare.port, pool, PLAN);
      const prism = await measureLoad(servers.prism.port, pool, PLAN);
      rounds.push({ reference, bare, prism });
      process.stderr.write(`load round ${round + 1}/${ROUNDS} done\n`);
    }
    const rss = {
      reference: peakRssMiB(servers.reference.child.pid!),
      bare: peakRssMiB(servers.bare.child.pid!),
      prism: peakRssMiB(servers.prism.child.pid!),
    };
    return summariseLoad(rounds, rss);
  } finally {
    await Promise.all(Object.values(servers).map(stop));
  }
}

function summariseLoad(
  rounds: Record<keyof Servers, LoadFigures>[],
  rss: Record<keyof Servers, number>,
): Results['load'] {
  const per = (name: keyof Servers): Results['load']['servers'][string] => ({
    rate: median(rounds.map((round) => round[name].rate)),
    p50Ms: median(rounds.map((round) => round[name].p50Ms)),
    p99Ms: median(rounds.map((round) => round[name].p99Ms)),
    peakRssMiB: rss[name],
    failed: rounds.reduce((sum, round) => sum + round[name].failed, 0),
  });
  return {
    plan: { ...PLAN, rounds: ROUNDS, poolSize: POOL_SIZE },
    servers: { reference: per('reference'), bare: per('bare'), prism: per('prism') },
    referenceOverBare: median(rounds.map((r) => r.reference.rate / r.bare.rate)),
    referenceOverPrism: median(rounds.map((r) => r.reference.rate / r.prism.rate)),
  };
}

function soakSeconds(): number | undefined {
  const index = process.argv.indexOf('--soak');
  if (index < 0) return undefined;
  return Math.min(600, Number(process.argv[index + 1] ?? 60));
}

async function main(): Promise<void> {
  const started = performance.now();
  build();
  const seconds = soakSeconds();
  if (seconds !== undefined) {
    const figures: SoakFigures = await soak(root, seconds);
    writeResults('soak', figures);
    process.stdout.write(`${JSON.stringify(figures, null, 2)}\n`);
    return;
  }

  process.stderr.write('check engine and signature micro-benchmarks...\n');
  const engine = engineFigures();
  const signature = signatureFigures();
  process.stderr.write('load: reference provider, bare node:http, Prism...\n');
  const load = await loadFigures();
  process.stderr.write('main job: npx snapcheck...\n');
  const mainJob: MainJobFigures = mainJobFigures(root);

  const results: Results = {
    measuredAt: new Date().toISOString(),
    machine: machine(),
    engine,
    signature,
    load,
    mainJob,
    benchSeconds: 0,
  };
  results.benchSeconds = Math.round((performance.now() - started) / 1000);
  writeResults('latest', results);
  process.stdout.write(renderMarkdown(results));
}

function writeResults(name: string, figures: object): void {
  mkdirSync(`${root}bench/results`, { recursive: true });
  writeFileSync(`${root}bench/results/${name}.json`, `${JSON.stringify(figures, null, 2)}\n`);
  if ('load' in figures) {
    writeFileSync(`${root}bench/results/${name}.md`, renderMarkdown(figures as Results));
  }
}

await main();
