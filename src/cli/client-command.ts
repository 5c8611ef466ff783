/**
 * `snapcheck client [options] [-- command…]`: the reference provider as a judge of a client.
 * With a command, runs it with the judge's URL in the environment, waits for it, and passes only
 * when it succeeded and every token request it sent conformed. Without one, judges requests
 * until interrupted.
 */
import { spawn, type ChildProcess } from 'node:child_process';

import { quote } from 'shell-quote';

import { redact } from '../engine/render.js';
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

/** How the client command ended: its exit code, the signal that ended it, and why. */
interface CommandEnd {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The signal snapcheck itself received and passed on, if any. */
  interrupted?: NodeJS.Signals;
}

/** The command as the console shows it, long base64-like words (signatures) shortened. */
function shownCommand(command: string[]): string {
  return quote(command).replace(/[A-Za-z0-9+/_-]{40,}={0,2}/g, (word) => redact(word));
}

/**
 * Runs the command with the judge's URLs in its environment. SIGINT and SIGTERM sent to
 * snapcheck are passed on to the command, and the run still ends with its report.
 */
function runCommand(
  command: string[],
  judge: ClientJudge,
  options: ClientOptions,
  output: Output,
): Promise<CommandEnd> {
  const base = judge.provider.url;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    SNAPCHECK_BASE_URL: base,
    SNAPCHECK_TOKEN_URL: `${base}${options.path ?? tokenSpec().path}`,
  };
  for (const name of options.urlEnv) env[name] = base;

  const [program, ...args] = command as [string, ...string[]];
  return new Promise((resolve, reject) => {
    // Listen before anything is said or started: a signal in between would end snapcheck
    // without its report and leave the command running.
    let interrupted: NodeJS.Signals | undefined;
    const running: { child?: ChildProcess } = {};
    const pass = (signal: NodeJS.Signals): void => {
      interrupted = signal;
      running.child?.kill(signal);
    };
    process.on('SIGINT', pass);
    process.on('SIGTERM', pass);
    output.out(`running: ${shownCommand(command)}\n`);
    const child = spawn(program, args, { env, stdio: ['ignore', 'inherit', 'inherit'] });
    running.child = child;
    if (interrupted) child.kill(interrupted);
    const settle = (): void => {
      process.off('SIGINT', pass);
      process.off('SIGTERM', pass);
    };
    child.once('error', (error: NodeJS.ErrnoException) => {
      settle();
      reject(
        new SnapcheckError(
          'ERR_COMMAND',
          `cannot run ${program}: ${error.code === 'ENOENT' ? 'command not found' : error.message}`,
        ),
      );
    });
    child.once('exit', (code, signal) => {
      settle();
      resolve({ code, signal, ...(interrupted ? { interrupted } : {}) });
    });
  });
}

function describeEnd(end: CommandEnd): string | undefined {
  if (end.interrupted)
    return `the run was interrupted (${end.interrupted}) before the command ended`;
  if (end.signal) return `the command was killed by ${end.signal}`;
  if (end.code !== 0) return `the command exited with code ${end.code}`;
  return undefined;
}

function waitForSignal(): Promise<void> {
  return new Promise((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
}

/** Why the run does not pass, beyond failing requests. */
function shortfalls(report: RunReport, options: ClientOptions, end?: CommandEnd): string[] {
  const reasons: string[] = [];
  const ended = end && describeEnd(end);
  if (ended) reasons.push(ended);
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
  if (command.length > 0 && command[0]!.trim() === '') {
    throw new SnapcheckError('ERR_COMMAND', 'the command after -- is empty');
  }
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

  let end: CommandEnd | undefined;
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
    if (command.length > 0) end = await runCommand(command, judge, options, output);
    else await waitForSignal();
  } finally {
    await judge.close();
  }

  const report = judge.report();
  const reasons = shortfalls(report, options, end);
  for (const reason of reasons) reporting.line(`\n${reason}`);
  return reporting.finish(report, reasons);
}
