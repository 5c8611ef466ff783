/**
 * The console report: a header, one line per case with its failing findings and hints beneath,
 * and a summary with the verdict. Returns text; the CLI decides where it goes.
 */
import type { CaseResult, Mode, RunReport } from './model.js';
import type { Finding } from '../types.js';

const MARK = { pass: '✓', fail: '✗', skipped: '-' } as const;

const MODE_TITLE: Record<Mode, string> = {
  provider: 'provider battery',
  client: 'client judge',
  'pact-lint': 'pact files against openapi.yaml',
  'pact-verify': 'pact verification',
  traffic: 'recorded traffic',
};

export function reportHeader(
  report: Pick<RunReport, 'mode' | 'tool' | 'target' | 'profile' | 'spec'>,
): string {
  return [
    `snapcheck ${report.tool.version}: ${MODE_TITLE[report.mode]}`,
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

/** One case: its line, then every finding beneath it. */
export function caseBlock(result: CaseResult): string {
  const line =
    `  ${MARK[result.verdict]} ${result.id.padEnd(26)} ${answerOf(result).padEnd(14)} ` +
    result.title;
  const detail = result.verdict === 'skipped' ? [`      ${result.because}`] : [];
  return [line, ...detail, ...result.findings.flatMap(findingLines)].join('\n');
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
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
