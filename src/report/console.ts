/**
 * The console report: a header, one line per case with its failing findings and hints beneath,
 * and a summary with the verdict. Returns text; the CLI decides where it goes.
 */
import type { Finding } from '../types.js';
import type { GateResult } from './gate.js';
import type { CaseResult, RunReport } from './model.js';
import { Redactor } from './redaction.js';
import { modeTitle, plural } from './wording.js';

const MARK = { pass: '✓', fail: '✗', skipped: '-' } as const;

export function reportHeader(
  report: Pick<RunReport, 'mode' | 'tool' | 'target' | 'profile' | 'spec'>,
): string {
  return [
    `snapcheck ${report.tool.version}: ${modeTitle(report.mode)}`,
    `target   ${report.target}`,
    `profile  ${report.profile} · openapi.yaml ${report.spec.openapiSha256.slice(0, 12)} · ` +
      `rules v${report.spec.rulesVersion} (${report.spec.rulesSha256.slice(0, 12)})`,
    '',
  ].join('\n');
}

function answerOf(result: CaseResult): string {
  const exchange = result.exchange;
  if (!exchange) return 'not run';
  if (exchange.failure) return exchange.failure.kind;
  const response = exchange.response;
  if (!response) return '';
  const code = /"responseCode"\s*:\s*"([^"]*)"/.exec(response.body.toString('utf8'))?.[1];
  return `${response.status} ${code ?? '(no code)'}`;
}

function findingLines(finding: Finding): string[] {
  const lines = [`      ${finding.severity.padEnd(7)} ${finding.rule}  ${finding.location}`];
  lines.push(`              ${finding.message}`);
  if (finding.expected !== undefined || finding.actual !== undefined) {
    lines.push(`              expected ${finding.expected ?? '-'}, got ${finding.actual ?? '-'}`);
  }
  lines.push(`              hint: ${finding.hint}`);
  const diagnosis = finding.diagnosis;
  if (diagnosis) {
    for (const fact of diagnosis.facts) lines.push(`              evidence: ${fact}`);
    lines.push(`              (signature doctor: ${diagnosis.tried} hypotheses tried)`);
  }
  return lines;
}

/**
 * One case: its line, then every finding beneath it. The engine shortens the secrets it quotes,
 * but a finding may quote a cut body that holds the head of a token; the case's own exchange
 * says which strings are secret, and they are shortened here too (the console never shows them).
 */
export function caseBlock(result: CaseResult): string {
  const line =
    `  ${MARK[result.verdict]} ${result.id.padEnd(26)} ${answerOf(result).padEnd(14)} ` +
    result.title;
  const detail = result.verdict === 'skipped' ? [`      ${result.because}`] : [];
  const redactor = new Redactor({ showSecrets: false });
  if (result.exchange) redactor.learnExchange(result.exchange);
  return redactor.scrub([line, ...detail, ...result.findings.flatMap(findingLines)].join('\n'));
}

export function reportFooter(report: RunReport, conforming: boolean): string {
  const s = report.summary;
  const verdict = report.unreachable
    ? 'TARGET UNREACHABLE'
    : conforming
      ? 'CONFORMING'
      : 'NOT CONFORMING';
  return [
    '',
    `${plural(s.cases, 'case')}: ${s.passed} passed, ${s.failed} failed, ${s.skipped} skipped · ` +
      `${plural(s.errors, 'error')}, ${plural(s.warnings, 'warning')}, ${plural(s.infos, 'info')}` +
      ` · ${(report.durationMs / 1000).toFixed(2)} s`,
    `${verdict} under profile ${report.profile}`,
  ].join('\n');
}

/** The whole report at once (for callers that do not stream). */
export function renderConsole(report: RunReport, conforming: boolean): string {
  return [
    reportHeader(report),
    ...report.cases.map(caseBlock),
    reportFooter(report, conforming),
  ].join('\n');
}

/**
 * The gate's line under the verdict, when it says more than the verdict does: `--fail-on
 * warning` failing a conforming run, or `--fail-on never` passing a non-conforming one.
 */
export function gateLine(gate: GateResult): string | undefined {
  if (gate.verdict === 'unreachable') return undefined;
  const conforming = gate.verdict === 'conforming';
  if (gate.passed === conforming) return undefined;
  return gate.passed
    ? `gate passed: --fail-on never (${gate.reasons.join(', ')} not gated)`
    : `gate failed: --fail-on ${gate.failOn} (${gate.reasons.join(', ')})`;
}
