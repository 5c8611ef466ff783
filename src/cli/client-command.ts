/**
 * `snapcheck client [options] [-- command…]`: the reference provider as a judge of a client.
 * With a command, runs it with the judge's URL in the environment, waits for it, and passes only
 * when it succeeded and every token request it sent conformed. Without one, judges requests
 * until interrupted.
 */
import { spawn } from 'node:child_process';

import { quote } from 'shell-quote';

import { SnapcheckError, type ExitCodeValue } from '../errors.js';
import { startClientJudge, type ClientJudge } from '../judge/client-judge.js';
import { reportHeader } from '../report/console.js';
import type { RunReport } from '../report/model.js';
import { specVersion, tool } from '../report/model.js';
import { tokenSpec } from '../spec/openapi.js';
import type { Profile } from '../types.js';
import type { Output } from './battery-command.js';
import { clientsFrom } from './keys.js';
import { startReporting, type ReportOptions } from './report-options.js';

export interface ClientOptions extends ReportOptions {
  port: number;
  host: string;
  clientId?: string;
  publicKey?: string;
  client: string[];
  profile: Profile;
  path?: string;
  window: number;
  expect: number;
  urlEnv: string[];
}

/** Runs the command with the judge's URLs in its environment; resolves to its exit code. */
function runCommand(
  command: string[],
  judge: ClientJudge,
  options: ClientOptions,
  output: Output,
): Promise<number> {
  const base = judge.provider.url;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    SNAPCHECK_BASE_URL: base,
    SNAPCHECK_TOKEN_URL: `${base}${options.path ?? tokenSpec().path}`,
  };
  for (const name of options.urlEnv) env[name] = base;

  const [program, ...args] = command as [string, ...string[]];
  output.out(`running: ${quote(command)}\n`);
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, { env, stdio: ['ignore', 'inherit', 'inherit'] });
    child.once('error', (error: NodeJS.ErrnoException) => {
      reject(
        new SnapcheckError(
          'ERR_COMMAND',
          `cannot run ${program}: ${error.code === 'ENOENT' ? 'command not found' : error.message}`,
        ),
      );
    });
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
}

function waitForSignal(): Promise<void> {
  return new Promise((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
}

/** Why the run does not pass, beyond failing requests. */
function shortfalls(report: RunReport, options: ClientOptions, exitCode?: number): string[] {
  const reasons: string[] = [];
  if (exitCode !== undefined && exitCode !== 0) {
    reasons.push(`the command exited with code ${exitCode}`);
  }
  const wanted = Math.max(1, options.expect);
  if (report.cases.length < wanted) {
    reasons.push(
      report.cases.length === 0
        ? 'no token request reached the judge: is the client pointed at SNAPCHECK_BASE_URL?'
        : `${report.cases.length} token request(s) reached the judge; --expect asked for ${wanted}`,
    );
  }
  return reasons;
}

export async function clientCommand(
  command: string[],
  options: ClientOptions,
  output: Output,
): Promise<ExitCodeValue> {
  const clients = clientsFrom(options.client, options, output);
  if (clients.length === 0) {
    throw new SnapcheckError(
      'ERR_CLIENT_SPEC',
      'no client to judge: give --client-id ID --public-key FILE, or --client ID=FILE',
    );
  }

  // A client command shares the terminal: no status line under its output.
  const reporting = startReporting(options, output, {
    noun: 'requests judged',
    status: command.length === 0,
  });
  const judge = await startClientJudge({
    clients,
    profile: options.profile,
    windowMs: options.window * 1000,
    port: options.port,
    host: options.host,
    ...(options.path ? { path: options.path } : {}),
    onCase: reporting.onCase,
  }).catch((error: NodeJS.ErrnoException) => {
    if (error instanceof SnapcheckError) throw error;
    throw new SnapcheckError(
      'ERR_LISTEN',
      `cannot listen on ${options.host}:${options.port} (${error.code ?? error.message})`,
    );
  });

  let exitCode: number | undefined;
  try {
    output.out(
      reportHeader({
        mode: 'client',
        tool,
        target: judge.provider.url,
        profile: options.profile,
        spec: specVersion(),
      }),
    );
    output.out(`judge listening on ${judge.provider.url} (SNAPCHECK_BASE_URL)`);
    output.out(`clients: ${clients.map((c) => c.clientId).join(', ')}\n`);
    if (command.length > 0) exitCode = await runCommand(command, judge, options, output);
    else await waitForSignal();
  } finally {
    await judge.close();
  }

  const report = judge.report();
  const reasons = shortfalls(report, options, exitCode);
  for (const reason of reasons) reporting.line(`\n${reason}`);
  return reporting.finish(report, reasons);
}
