/**
 * The report options every mode shares (`--report FORMAT:PATH`, `--json FILE`, `--fail-on`,
 * `--show-secrets`) and what a mode command does with them: print each case as it completes,
 * then the footer and the gate's word, then write every report file, then choose the exit code.
 *
 * A mode wires it in with three calls:
 *
 *   addReportOptions(command)                      // where the command is declared
 *   const reporting = startReporting(options, output, { total });
 *   ... onCase: reporting.onCase ...                // while the run goes
 *   return reporting.finish(report, shortfalls);    // its exit code (throws exit 2 on a bad write)
 */
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';

import { Command, InvalidArgumentError, Option } from 'commander';

import { SnapcheckError, type ExitCodeValue } from '../errors.js';
import { caseBlock, gateLine, reportFooter } from '../report/console.js';
import { parseReportTarget, renderReport, type ReportTarget } from '../report/formats.js';
import { decideGate, failOnChoices, type FailOn } from '../report/gate.js';
import type { CaseResult, RunReport } from '../report/model.js';
import { Progress } from '../report/progress.js';
import { buildView, type ReportView } from '../report/view.js';
import type { Output } from './battery-command.js';

export interface ReportOptions {
  /** Files the mode reads: a report is never written over one of them. */
  privateKey?: string;
  publicKey?: string;
  request?: string;
  client?: string[];
  json?: string;
  report?: ReportTarget[];
  failOn?: FailOn;
  showSecrets?: boolean;
  /** Read only to keep the passphrase out of every report (see neverShown). */
  passphraseEnv?: string;
  clientSecretEnv?: string;
}

/** Environment variables whose values are credentials whichever mode runs. */
const SECRET_ENV = ['PACT_BROKER_TOKEN'];

const FORMAT_NAME = { json: 'JSON', junit: 'JUnit', markdown: 'Markdown', html: 'HTML' } as const;

/** Commander calls it once per `--report`, with what the earlier ones gave (none at first). */
function collectTarget(value: string, previous: ReportTarget[] | undefined): ReportTarget[] {
  try {
    return [...(previous ?? []), parseReportTarget(value)];
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
}

/** Adds the report options to a mode command. */
export function addReportOptions(command: Command): Command {
  return command
    .option('--json <file>', 'also write the report as JSON (same as --report json:FILE)')
    .option(
      '--report <format:path>',
      'also write a report: json, junit, markdown or html, e.g. junit:snapcheck.xml (repeatable)',
      collectTarget,
    )
    .addOption(
      new Option('--fail-on <level>', 'what makes the run exit 1')
        .choices(failOnChoices as FailOn[])
        .default('error'),
    )
    .option('--show-secrets', 'show access tokens and signatures in full in report files');
}

/** Every report file asked for, `--json` first, in the order given. */
export function reportTargets(options: ReportOptions): ReportTarget[] {
  const fromJson: ReportTarget[] =
    options.json !== undefined ? [{ format: 'json', path: options.json }] : [];
  return [...fromJson, ...(options.report ?? [])];
}

/** Values no report may hold: the key's passphrase and other credentials from the env. */
function neverShown(options: ReportOptions): string[] {
  const names = [options.passphraseEnv, options.clientSecretEnv, ...SECRET_ENV];
  return names.flatMap((name) => {
    const value = name ? process.env[name] : undefined;
    return value ? [value] : [];
  });
}

/** Writes each report; returns one line per file that could not be written. */
export function writeReports(targets: readonly ReportTarget[], view: () => ReportView): string[] {
  const failures: string[] = [];
  for (const target of targets) {
    try {
      writeFileSync(target.path, renderReport(target.format, view()));
    } catch (error) {
      const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
      failures.push(
        `cannot write the ${FORMAT_NAME[target.format]} report to ${target.path} (${reason})`,
      );
    }
  }
  return failures;
}

export interface Reporting {
  /** Prints a completed case (pass as a mode's onCase). */
  onCase(result: CaseResult): void;
  /** Prints other lines without the status line in the way. */
  line(text: string): void;
  /**
   * Prints the footer and the gate's line, writes every report file, and returns the exit code.
   * A report that cannot be written throws exit 2 after all that: the verdict is not lost.
   */
  finish(report: RunReport, shortfalls?: readonly string[]): ExitCodeValue;
}

/**
 * Refuses, before the run, report paths that could only do harm: empty, a directory, or a file
 * this run reads (a report over the private key would destroy it). A missing or read-only
 * directory is reported after the run instead, with the console verdict already printed.
 */
export function checkReportTargets(options: ReportOptions): void {
  const inputs = [
    options.privateKey,
    options.publicKey,
    options.request,
    ...(options.client ?? []).map((spec) => spec.slice(spec.indexOf('=') + 1)),
  ].flatMap((path) => (path ? [resolve(path)] : []));

  for (const target of reportTargets(options)) {
    const problem = targetProblem(target.path, inputs);
    if (problem) {
      throw new SnapcheckError(
        'ERR_REPORT_PATH',
        `cannot write the ${FORMAT_NAME[target.format]} report to "${target.path}": ${problem}`,
      );
    }
  }
}

function targetProblem(path: string, inputs: string[]): string | undefined {
  if (path.trim() === '') return 'the path is empty';
  if (inputs.includes(resolve(path))) return 'it is an input file of this run';
  if (existsSync(path) && statSync(path).isDirectory()) return 'it is a directory';
  return undefined;
}

export function startReporting(
  options: ReportOptions,
  output: Output,
  progressOptions: { total?: number; noun?: string; status?: boolean } = {},
): Reporting {
  checkReportTargets(options);
  const { status = true, ...rest } = progressOptions;
  const progress = new Progress((lines) => output.out(lines), {
    terminal: status ? process.stderr : { isTTY: false, write: () => undefined },
    ...rest,
  });
  const failOn = options.failOn ?? 'error';

  return {
    onCase: (result) => progress.caseDone(caseBlock(result)),
    line: (text) => progress.line(text),
    finish(report, shortfalls = []) {
      progress.finish();
      const gate = decideGate(report, failOn, shortfalls);
      output.out(reportFooter(report, gate.verdict === 'conforming'));
      const line = gateLine(gate);
      if (line) output.out(line);

      let view: ReportView | undefined;
      const failures = writeReports(reportTargets(options), () => {
        view ??= buildView(report, {
          failOn,
          showSecrets: options.showSecrets === true,
          neverShow: neverShown(options),
          shortfalls,
        });
        return view;
      });
      if (failures.length > 0) {
        throw new SnapcheckError(
          'ERR_REPORT_WRITE',
          `${failures.join('; ')}; the console report above stands`,
        );
      }
      return gate.exitCode;
    },
  };
}
