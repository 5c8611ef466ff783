/**
 * The gate: what makes a run exit 1. The verdict (conforming or not) is about the spec and
 * counts error findings only; `--fail-on` decides how strict the exit code is on top of it, so a
 * team can also stop on warnings, or only collect reports (`never`). An unreachable target is
 * not a verdict and exits 3 whatever `--fail-on` says (README "Exit codes").
 */
import { ExitCode, type ExitCodeValue } from '../errors.js';
import type { Severity } from '../types.js';
import type { CaseResult, RunReport } from './model.js';

export type FailOn = 'error' | 'warning' | 'never';
export const failOnChoices: readonly FailOn[] = ['error', 'warning', 'never'];

export type RunVerdict = 'conforming' | 'not-conforming' | 'unreachable';

export interface GateResult {
  failOn: FailOn;
  verdict: RunVerdict;
  /** False when the gate makes the run exit 1. */
  passed: boolean;
  exitCode: ExitCodeValue;
  /** What counts against the run, in words: shortfalls, errors, and warnings when they gate. */
  reasons: string[];
}

/** The severities that fail a case under `failOn`; `never` still marks cases by errors. */
export function failingSeverities(failOn: FailOn): ReadonlySet<Severity> {
  return new Set<Severity>(failOn === 'warning' ? ['error', 'warning'] : ['error']);
}

/** Whether this case counts as failed in the gate's eyes (JUnit marks it so). */
export function caseFailsGate(result: CaseResult, failOn: FailOn): boolean {
  const failing = failingSeverities(failOn);
  return result.findings.some((finding) => failing.has(finding.severity));
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/**
 * Decides verdict and exit code. `shortfalls` are failures of the run itself that no finding
 * states (the client judge: "the command exited with code 1", "no token request arrived").
 */
export function decideGate(
  report: RunReport,
  failOn: FailOn,
  shortfalls: readonly string[] = [],
): GateResult {
  if (report.unreachable) {
    return {
      failOn,
      verdict: 'unreachable',
      passed: false,
      exitCode: ExitCode.unreachable,
      reasons: ['the target could not be reached'],
    };
  }

  const { errors, warnings } = report.summary;
  const conforming = errors === 0 && shortfalls.length === 0;
  const reasons = [...shortfalls];
  if (errors > 0) reasons.push(plural(errors, 'error'));
  if (failOn === 'warning' && warnings > 0) reasons.push(plural(warnings, 'warning'));

  const passed = failOn === 'never' || reasons.length === 0;
  return {
    failOn,
    verdict: conforming ? 'conforming' : 'not-conforming',
    passed,
    exitCode: passed ? ExitCode.conforming : ExitCode.notConforming,
    reasons,
  };
}
