/** The bench results as one Markdown table: each figure, its ratio, the target, met or not. */
import type { MainJobFigures } from './main-job.js';
import type { EngineFigures, SignatureFigures } from './micro.js';

export interface ServerFigures {
  rate: number;
  p50Ms: number;
  p99Ms: number;
  peakRssMiB: number;
  failed: number;
}

export interface Results {
  measuredAt: string;
  machine: { cpu: string; memoryGiB: number; kernel: string; node: string; nodeOpenssl: string };
  engine: EngineFigures;
  signature: SignatureFigures;
  load: {
    plan: {
      connections: number;
      warmupSeconds: number;
      seconds: number;
      rounds: number;
      poolSize: number;
    };
    servers: Record<string, ServerFigures>;
    referenceOverBare: number;
    referenceOverPrism: number;
  };
  mainJob: MainJobFigures;
  benchSeconds: number;
}

const whole = (value: number): string => Math.round(value).toLocaleString('en-US');
const percent = (value: number): string => `${(value * 100).toFixed(1)} %`;
const verdict = (met: boolean): string => (met ? 'met' : '**missed**');

function targetRows(results: Results): string[] {
  const { load, engine, signature, mainJob } = results;
  return [
    '| figure | measured | ratio | target | |',
    '|---|---|---|---|---|',
    `| reference provider vs bare node:http | ${whole(load.servers.reference!.rate)} vs ` +
      `${whole(load.servers.bare!.rate)} req/s | ${percent(load.referenceOverBare)} | ≥ 40 % | ` +
      `${verdict(load.referenceOverBare >= 0.4)} |`,
    `| reference provider vs Prism 5.14.2 | ${whole(load.servers.reference!.rate)} vs ` +
      `${whole(load.servers.prism!.rate)} req/s | ${load.referenceOverPrism.toFixed(1)} × | ` +
      `≥ 10 × | ${verdict(load.referenceOverPrism >= 10)} |`,
    `| check engine vs raw AJV (parsed body) | ${whole(engine.againstAjv.subject)} vs ` +
      `${whole(engine.againstAjv.limit)} /s | ${percent(engine.againstAjv.ratio)} | ≥ 25 % | ` +
      `${verdict(engine.againstAjv.ratio >= 0.25)} |`,
    `| (context) check engine vs JSON.parse + AJV | ${whole(engine.againstParseAndAjv.subject)} ` +
      `vs ${whole(engine.againstParseAndAjv.limit)} /s | ` +
      `${percent(engine.againstParseAndAjv.ratio)} | | |`,
    `| signature verifies vs openssl speed rsa2048 | ${whole(signature.nodeVerifiesPerSecond)} ` +
      `vs ${whole(signature.opensslVerifiesPerSecond)} /s | ${percent(signature.ratio)} | ` +
      `≥ 80 % | ${verdict(signature.ratio >= 0.8)} |`,
    `| main job \`npx snapcheck\` wall | ${whole(mainJob.npx.wallMs)} ms | | < 2,000 ms | ` +
      `${verdict(mainJob.npx.wallMs < 2000)} |`,
  ];
}

function serverRows(results: Results): string[] {
  const rows = [
    '| server | req/s | p50 | p99 | peak RSS | non-2xx/errors |',
    '|---|---|---|---|---|---|',
  ];
  for (const [name, figures] of Object.entries(results.load.servers)) {
    rows.push(
      `| ${name} | ${whole(figures.rate)} | ${figures.p50Ms} ms | ${figures.p99Ms} ms | ` +
        `${figures.peakRssMiB.toFixed(0)} MiB | ${figures.failed} |`,
    );
  }
  return rows;
}

function mainJobRows(job: MainJobFigures): string[] {
  return [
    '| main job part | ms |',
    '|---|---|',
    `| Node start-up (\`node -e ''\`) | ${whole(job.nodeStartMs)} |`,
    `| module loading (\`snapcheck --version\` less start-up) | ${whole(job.moduleLoadMs)} |`,
    `| battery (19 cases, report's durationMs) | ${whole(job.batteryMs)} |`,
    `| key pair, provider start, report | ${whole(job.otherMs)} |`,
    `| npx itself | ${whole(job.npxMs)} |`,
    `| total \`npx snapcheck\` (exit ${job.npx.exitCode}) | ${whole(job.npx.wallMs)} |`,
    `| peak RSS: npx tree / snapcheck process | ${job.npx.peakRssMiB.toFixed(0)} / ` +
      `${job.direct.peakRssMiB.toFixed(0)} MiB |`,
  ];
}

export function renderMarkdown(results: Results): string {
  const { machine, load } = results;
  return [
    `Measured ${results.measuredAt} on ${machine.cpu}, ${machine.memoryGiB} GiB, Linux ` +
      `${machine.kernel}, Node ${machine.node} (OpenSSL ${machine.nodeOpenssl}); ` +
      `${results.signature.opensslVersion}. Load: autocannon, ${load.plan.connections} ` +
      `connections, ${load.plan.rounds} rounds of ${load.plan.seconds} s per server after ` +
      `${load.plan.warmupSeconds} s warm-up, ${load.plan.poolSize} distinct signed requests. ` +
      `Whole bench: ${results.benchSeconds} s.`,
    '',
    ...targetRows(results),
    '',
    ...serverRows(results),
    '',
    ...mainJobRows(results.mainJob),
    '',
  ].join('\n');
}
