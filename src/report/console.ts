/**
 * The console report: a header, one line per case with its failing findings and hints beneath,
 * and a summary with the verdict. Returns text; the CLI decides where it goes.
 *
 * Much of what it shows comes from the peer (a provider's responseCode and messages quoted in
 * findings, a client's path and X-CLIENT-KEY in a case title), so every line goes out through
 * `terminalLines`, which writes control characters out instead of letting the terminal obey
 * them.
 */
import type { Finding } from '../types.js';
import type { GateResult } from './gate.js';
import { terminalText } from './markup.js';
import type { CaseResult, RunReport } from './model.js';
import { Redactor } from './redaction.js';
import { messageQuotesEvidence, modeTitle, plural } from './wording.js';

const MARK = { pass: '✓', fail: '✗', skipped: '-', inconclusive: '?' } as const;

/** Past this length a responseCode in the case line is cut (a real one has 7 digits). */
const MAX_CODE_SHOWN = 16;

/** The one way out to the terminal: each element one line, its control characters escaped. */
function terminalLines(lines: readonly string[]): string {
  return lines.map(terminalText).join('\n');
}

export function reportHeader(
  report: Pick<RunReport, 'mode' | 'tool' | 'target' | 'profile' | 'spec'>,
): string {
  return terminalLines([
    `snapcheck ${report.tool.version}: ${modeTitle(report.mode)}`,
    `target   ${report.target}`,
    `profile  ${report.profile} · openapi.yaml ${report.spec.openapiSha256.slice(0, 12)} · ` +
      `rules v${report.spec.rulesVersion} (${report.spec.rulesSha256.slice(0, 12)})`,
    '',
  ]);
}

function answerOf(result: CaseResult): string {
  const exchange = result.exchange;
  if (!exchange) return 'not run';
  if (exchange.failure) return exchange.failure.kind;
  const response = exchange.response;
  if (!response) return '';
  const code = responseCodeOf(response.body.toString('utf8'));
  if (code === undefined) return `${response.status} (no code)`;
  const shown = code.length > MAX_CODE_SHOWN ? `${code.slice(0, MAX_CODE_SHOWN)}…` : code;
  return `${response.status} ${shown}`;
}

/** responseCode as the provider meant it (JSON escapes decoded), or as found in a broken body. */
function responseCodeOf(body: string): string | undefined {
  try {
    const parsed = JSON.parse(body) as { responseCode?: unknown };
    if (typeof parsed?.responseCode === 'string') return parsed.responseCode;
  } catch {
    // Not JSON: the body's own finding says so; a code may still be readable in it.
  }
  return /"responseCode"\s*:\s*"([^"]*)"/.exec(body)?.[1];
}

function findingLines(finding: Finding): string[] {
  const lines = [`      ${finding.severity.padEnd(7)} ${finding.rule}  ${finding.location}`];
  lines.push(`              ${finding.message}`);
  if (!messageQuotesEvidence(finding)) {
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
  const explained = result.verdict === 'skipped' || result.verdict === 'inconclusive';
  const detail = explained ? [`      ${result.because}`] : [];
  const redactor = new Redactor({ showSecrets: false });
  if (result.exchange) redactor.learnExchange(result.exchange);
  const lines = [line, ...detail, ...result.findings.flatMap(findingLines)];
  return terminalLines(lines.map((text) => redactor.scrub(text)));
}

export function reportFooter(report: RunReport, conforming: boolean): string {
  const s = report.summary;
  const verdict = report.unreachable
    ? 'TARGET UNREACHABLE'
    : conforming
      ? 'CONFORMING'
      : 'NOT CONFORMING';
  const inconclusive = s.inconclusive > 0 ? `, ${s.inconclusive} inconclusive` : '';
  return terminalLines([
    ...(report.notices ?? []).flatMap((notice) => ['', `note: ${notice}`]),
    '',
    `${plural(s.cases, 'case')}: ${s.passed} passed, ${s.failed} failed, ${s.skipped} skipped` +
      `${inconclusive} · ` +
      `${plural(s.errors, 'error')}, ${plural(s.warnings, 'warning')}, ${plural(s.infos, 'info')}` +
      ` · ${(report.durationMs / 1000).toFixed(2)} s`,
    `${verdict} under profile ${report.profile}`,
  ]);
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
  return terminalText(
    gate.passed
      ? `gate passed: --fail-on never (${gate.reasons.join(', ')} not gated)`
      : `gate failed: --fail-on ${gate.failOn} (${gate.reasons.join(', ')})`,
  );
}
