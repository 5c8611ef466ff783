/**
 * The main job as a user meets it: `npx snapcheck`, process start to exit, with its peak RSS,
 * split into Node start-up, module loading and the battery by timing smaller runs beside it.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface RunFigures {
  wallMs: number;
  peakRssMiB: number;
  exitCode: number | null;
}

export interface MainJobFigures {
  npx: RunFigures;
  /** `node bin/snapcheck.js`: the same job without npx's own process. */
  direct: RunFigures;
  nodeStartMs: number;
  /** `node bin/snapcheck.js --version` less Node start-up: every module of the CLI loaded. */
  moduleLoadMs: number;
  /** The battery's own duration as its JSON report gives it (19 cases, judged). */
  batteryMs: number;
  /** Key generation, provider start-up, reporting: what is left of the direct run. */
  otherMs: number;
  /** npx resolving the bin and starting it: npx run less direct run. */
  npxMs: number;
  rounds: number;
}

/** Runs a command under GNU time; wall clock from the bench, peak RSS from `%M` (KiB). */
function timed(command: string[], cwd: string): RunFigures {
  const started = performance.now();
  const run = spawnSync('/usr/bin/time', ['-f', 'maxrss %M', ...command], {
    cwd,
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, CI: 'true' },
  });
  const wallMs = performance.now() - started;
  const match = /maxrss (\d+)/.exec(run.stderr ?? '');
  return { wallMs, peakRssMiB: match ? Number(match[1]) / 1024 : NaN, exitCode: run.status };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function medianRun(runs: RunFigures[]): RunFigures {
  return {
    wallMs: median(runs.map((run) => run.wallMs)),
    peakRssMiB: median(runs.map((run) => run.peakRssMiB)),
    exitCode: runs.find((run) => run.exitCode !== 0)?.exitCode ?? 0,
  };
}

function reportDuration(path: string): number {
  const report = JSON.parse(readFileSync(path, 'utf8')) as { durationMs?: unknown };
  return typeof report.durationMs === 'number' ? report.durationMs : NaN;
}

/** Interleaved rounds of the four runs; medians of each. */
export function mainJobFigures(root: string, rounds = 5): MainJobFigures {
  const scratch = mkdtempSync(join(tmpdir(), 'snapcheck-bench-'));
  const runs = { start: [] as RunFigures[], load: [] as RunFigures[], direct: [] as RunFigures[] };
  const npx: RunFigures[] = [];
  const battery: number[] = [];
  try {
    for (let round = 0; round < rounds; round += 1) {
      const report = join(scratch, `report-${round}.json`);
      runs.start.push(timed([process.execPath, '-e', ''], root));
      runs.load.push(timed([process.execPath, 'bin/snapcheck.js', '--version'], root));
      runs.direct.push(timed([process.execPath, 'bin/snapcheck.js', '--json', report], root));
      battery.push(reportDuration(report));
      npx.push(timed(['npx', '--no-install', 'snapcheck'], root));
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }

  const nodeStartMs = median(runs.start.map((run) => run.wallMs));
  const loadedMs = median(runs.load.map((run) => run.wallMs));
  const direct = medianRun(runs.direct);
  const npxRun = medianRun(npx);
  const batteryMs = median(battery);
  return {
    npx: npxRun,
    direct,
    nodeStartMs,
    moduleLoadMs: loadedMs - nodeStartMs,
    batteryMs,
    otherMs: direct.wallMs - loadedMs - batteryMs,
    npxMs: npxRun.wallMs - direct.wallMs,
    rounds,
  };
}
