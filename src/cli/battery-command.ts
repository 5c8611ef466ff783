/**
 * `snapcheck provider <url>` and the main job (`snapcheck` with no arguments): run the battery,
 * stream the console report, write the report files, and choose the exit code.
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';

import { batteryCases } from '../battery/cases.js';
import { runBattery } from '../battery/run.js';
import { SnapcheckError, type ExitCodeValue } from '../errors.js';
import { startProvider } from '../provider/server.js';
import { reportHeader } from '../report/console.js';
import { specVersion, tool } from '../report/model.js';
import { tokenSpec } from '../spec/openapi.js';
import type { Profile } from '../types.js';
import { privateKeyFromFile } from './keys.js';
import { checkReportTargets, startReporting, type ReportOptions } from './report-options.js';

export interface BatteryCommandOptions extends ReportOptions {
  profile: Profile;
  path?: string;
  timeout: number;
  window: number;
}

export interface Output {
  out: (line: string) => void;
  err: (line: string) => void;
}

async function runAndReport(
  baseUrl: URL,
  clientId: string,
  privateKey: KeyObject,
  options: BatteryCommandOptions,
  output: Output,
): Promise<ExitCodeValue> {
  // Ctrl-C ends the run, not the process: the cases so far are reported and written. Listen
  // before printing anything, so no signal falls between the first line and the handler.
  const interruption = new AbortController();
  let signalled: NodeJS.Signals | undefined;
  const interrupt = (signal: NodeJS.Signals): void => {
    signalled = signal;
    interruption.abort();
  };
  process.on('SIGINT', interrupt);
  process.on('SIGTERM', interrupt);
  const reporting = startReporting(options, output, { total: batteryCases.length });
  const target = tokenTarget(baseUrl, options.path ?? tokenSpec().path);
  const path = target.path;
  output.out(
    reportHeader({
      mode: 'provider',
      tool,
      target: shown(new URL(path, baseUrl)),
      profile: options.profile,
      spec: specVersion(),
    }),
  );

  const report = await runBattery({
    baseUrl: target.origin,
    clientId,
    privateKey,
    profile: options.profile,
    path,
    windowMs: options.window * 1000,
    send: { timeoutMs: options.timeout, maxResponseBytes: 1 << 20 },
    onCase: reporting.onCase,
    signal: interruption.signal,
  }).finally(() => {
    process.off('SIGINT', interrupt);
    process.off('SIGTERM', interrupt);
  });
  const skipped = report.cases.filter((c) => c.verdict === 'skipped');
  if (skipped.length > 0) {
    reporting.line(
      `  - ${skipped.length} more cases not run: ${skipped[0]!.because.replace(/^skipped: /, '')}`,
    );
  }
  const shortfalls = signalled ? [`the run was interrupted (${signalled})`] : [];
  for (const reason of shortfalls) reporting.line(`\n${reason}`);
  return reporting.finish(report, shortfalls);
}

/** Parses and checks the provider's base URL. */
export function parseBaseUrl(text: string): URL {
  let url: URL | undefined;
  try {
    url = new URL(text);
  } catch {
    url = undefined;
  }
  // `localhost:8080` parses as a URL whose scheme is "localhost:".
  if (!url || /^[\w.-]+:\d+(\/|$)/.test(text)) {
    throw new SnapcheckError(
      'ERR_BAD_URL',
      `not a URL: ${text} (write the scheme too, e.g. http://${text.replace(/^\w+:\/\//, '')})`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new SnapcheckError(
      'ERR_BAD_URL',
      `unsupported scheme ${url.protocol} in ${shown(url)}: use http or https`,
    );
  }
  return url;
}

/** A URL as reports show it: any password in it replaced. */
export function shown(url: URL): string {
  if (!url.password) return url.href;
  const copy = new URL(url.href);
  copy.password = '***';
  return copy.href;
}

/**
 * Where the token is: a base URL may carry a prefix (a gateway's `/snap`), which the token path
 * extends rather than replaces. Returns the origin to connect to and the full path to send.
 */
export function tokenTarget(base: URL, path: string): { origin: URL; path: string } {
  const prefix = base.pathname.replace(/\/+$/, '');
  const origin = new URL(base.href);
  origin.pathname = '/';
  origin.search = '';
  origin.hash = '';
  return { origin, path: `${prefix}${path}` };
}

export async function providerCommand(
  baseUrl: string,
  options: BatteryCommandOptions & { clientId: string; privateKey: string; passphraseEnv?: string },
  output: Output,
): Promise<ExitCodeValue> {
  const url = parseBaseUrl(baseUrl);
  const key = privateKeyFromFile(options.privateKey, options.passphraseEnv, output);
  return runAndReport(url, options.clientId, key.key, options, output);
}

/** The main job: a throwaway key pair, the reference provider in-process, the whole battery. */
export async function mainJob(
  options: BatteryCommandOptions,
  output: Output,
): Promise<ExitCodeValue> {
  checkReportTargets(options);
  const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const clientId = 'MCH-0008-1296507211683';
  const provider = await startProvider({
    clients: [{ clientId, publicKeys: [pair.publicKey] }],
    profile: options.profile,
    windowMs: options.window * 1000,
    ...(options.path ? { path: options.path } : {}),
  });
  try {
    output.out(`reference provider started at ${provider.url} with a fresh 2048-bit key pair\n`);
    return await runAndReport(new URL(provider.url), clientId, pair.privateKey, options, output);
  } finally {
    await provider.close();
  }
}
