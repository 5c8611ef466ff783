/**
 * The JUnit XML report, in the shape CI servers read (Jenkins, GitLab, GitHub test-report
 * actions): one <testsuite> for the run, one <testcase> per case, judged request or pact
 * interaction. A case that fails the gate carries a <failure> whose type is the first rule id
 * and whose text lists every finding with its hint and source; a case that got no answer at all
 * is an <error> (the target could not be tested), and a case not run or inconclusive is
 * <skipped>. The run's notices go to the suite's <system-out>.
 */
import type { Severity } from '../types.js';
import { failingSeverities } from './gate.js';
import { escapeXml, escapeXmlText } from './markup.js';
import type { CaseView, ExchangeView, FindingView, ReportView } from './view.js';
import { modeTitle } from './wording.js';

function seconds(ms: number): string {
  return (ms / 1000).toFixed(3);
}

function attributes(pairs: Record<string, string | number>): string {
  return Object.entries(pairs)
    .map(([name, value]) => ` ${name}="${escapeXml(String(value))}"`)
    .join('');
}

/** A case not run, or run without a conclusion: JUnit's <skipped>, with the reason. */
function notJudged(result: CaseView): boolean {
  return result.verdict === 'skipped' || result.verdict === 'inconclusive';
}

function findingText(finding: FindingView): string {
  const lines = [
    `${finding.severity} ${finding.rule} at ${finding.location}`,
    `  ${finding.message}`,
  ];
  if (finding.expected !== undefined) lines.push(`  expected: ${finding.expected}`);
  if (finding.actual !== undefined) lines.push(`  actual:   ${finding.actual}`);
  lines.push(`  hint: ${finding.hint}`);
  for (const fact of finding.diagnosis?.facts ?? []) lines.push(`  evidence: ${fact}`);
  lines.push(`  rule: ${finding.ruleTitle}`);
  lines.push(`  source: ${finding.source.title}, ${finding.source.section}`);
  return lines.join('\n');
}

function exchangeText(exchange: ExchangeView): string {
  const { request, response, failure } = exchange;
  const lines = [`${request.method} ${request.path}`];
  for (const [name, value] of Object.entries(request.headers)) lines.push(`${name}: ${value}`);
  lines.push('', request.body, '');
  if (response) {
    lines.push(`HTTP ${response.status}`);
    for (const [name, value] of Object.entries(response.headers)) lines.push(`${name}: ${value}`);
    lines.push('', response.body);
  }
  if (failure) lines.push(`no answer: ${failure.kind}: ${failure.message}`);
  return lines.join('\n');
}

/** The element that says how the case ended, if it did not simply pass. */
function outcomeElement(result: CaseView, failing: ReadonlySet<Severity>): string {
  if (notJudged(result)) {
    return `      <skipped${attributes({ message: result.because })}/>\n`;
  }
  const gating = result.findings.filter((f) => failing.has(f.severity));
  if (!result.failsGate || gating.length === 0) return '';

  const failure = result.exchange?.failure;
  const element = failure ? 'error' : 'failure';
  const ids = [...new Set(gating.map((f) => f.rule))];
  const message = failure
    ? `no answer: ${failure.message}`
    : `${gating.length} finding${gating.length === 1 ? '' : 's'}: ${ids.join(', ')}`;
  const text = result.findings.map(findingText).join('\n\n');
  return (
    `      <${element}${attributes({ message, type: ids[0] ?? 'snapcheck' })}>` +
    `${escapeXmlText(text)}</${element}>\n`
  );
}

function systemOut(result: CaseView): string {
  const parts = [result.because];
  // Findings that do not fail the case (warnings, notes) still belong in the record.
  const quiet = result.failsGate ? [] : result.findings;
  if (quiet.length > 0) parts.push(quiet.map(findingText).join('\n\n'));
  if (result.exchange) parts.push(exchangeText(result.exchange));
  return `      <system-out>${escapeXmlText(parts.join('\n\n'))}</system-out>\n`;
}

function testcase(result: CaseView, classname: string, failing: ReadonlySet<Severity>): string {
  const open = `    <testcase${attributes({
    name: `${result.id}: ${result.title}`,
    classname,
    time: seconds(result.durationMs),
  })}>\n`;
  return `${open}${outcomeElement(result, failing)}${systemOut(result)}    </testcase>\n`;
}

/** The run's own failures (client judge: the command failed, no request came) as a case. */
function shortfallCase(view: ReportView, classname: string): string {
  if (view.shortfalls.length === 0) return '';
  const message = view.shortfalls.join('; ');
  return (
    `    <testcase${attributes({ name: 'run: the run as a whole', classname, time: '0.000' })}>\n` +
    `      <failure${attributes({ message, type: 'snapcheck.run' })}>` +
    `${escapeXmlText(view.shortfalls.join('\n'))}</failure>\n    </testcase>\n`
  );
}

function counts(view: ReportView): { tests: number; failures: number; errors: number } {
  const failing = view.cases.filter((c) => !notJudged(c) && c.failsGate);
  const errors = failing.filter((c) => c.exchange?.failure).length;
  const shortfall = view.shortfalls.length > 0 ? 1 : 0;
  return {
    tests: view.cases.length + shortfall,
    failures: failing.length - errors + shortfall,
    errors,
  };
}

function properties(view: ReportView): string {
  const pairs: [string, string][] = [
    ['snapcheck.version', view.tool.version],
    ['mode', view.mode],
    ['target', view.target],
    ['profile', view.profile],
    ['openapi.sha256', view.spec.openapiSha256],
    ['rules.version', String(view.spec.rulesVersion)],
    ['rules.sha256', view.spec.rulesSha256],
    ['verdict', view.verdict],
    ['fail-on', view.gate.failOn],
    ['secrets', view.redaction.secretsShortened ? 'shortened' : 'shown in full'],
  ];
  const lines = pairs.map(([name, value]) => `      <property${attributes({ name, value })}/>`);
  return `    <properties>\n${lines.join('\n')}\n    </properties>\n`;
}

function suiteOut(view: ReportView): string {
  if (view.notices.length === 0) return '';
  const text = view.notices.map((notice) => `note: ${notice}`).join('\n');
  return `    <system-out>${escapeXmlText(text)}</system-out>\n`;
}

export function renderJunit(view: ReportView): string {
  const { tests, failures, errors } = counts(view);
  const totals = {
    tests,
    failures,
    errors,
    skipped: view.summary.skipped + view.summary.inconclusive,
    time: seconds(view.durationMs),
    timestamp: view.startedAt,
  };
  const name = `snapcheck ${modeTitle(view.mode)} (${view.profile})`;
  const classname = `snapcheck.${view.mode}.${view.profile}`;
  const failing = failingSeverities(view.gate.failOn);
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<testsuites${attributes({ name: 'snapcheck', ...totals })}>\n` +
    `  <testsuite${attributes({ name, ...totals })}>\n` +
    properties(view) +
    view.cases.map((result) => testcase(result, classname, failing)).join('') +
    shortfallCase(view, classname) +
    suiteOut(view) +
    '  </testsuite>\n</testsuites>\n'
  );
}
