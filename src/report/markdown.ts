/**
 * The Markdown summary: short enough for a pull-request comment or a CI job summary
 * (GitHub's `$GITHUB_STEP_SUMMARY`), so it lists the verdict, the counts, and the findings that
 * matter, and leaves exchanges and the full rule table to the HTML and JSON reports.
 */
import { coverageCounts } from './coverage.js';
import { escapeMarkdownCell, markdownCode } from './markup.js';
import type { CaseView, FindingView, ReportView } from './view.js';
import { messageQuotesEvidence, modeTitle, plural, secondsText, verdictTitle } from './wording.js';

/** Past this many findings the summary stops listing them (comments have a size limit). */
const MAX_FINDINGS = 25;

const VERDICT_MARK = { conforming: '✅', 'not-conforming': '❌', unreachable: '⚠️' } as const;

function code(text: string): string {
  return markdownCode(text);
}

/** Inline code inside a table cell: GFM splits cells on `|` even inside backticks. */
function cellCode(text: string): string {
  return markdownCode(text).replace(/\|/g, '\\|');
}

function heading(view: ReportView): string[] {
  return [
    `## snapcheck: ${VERDICT_MARK[view.verdict]} ${verdictTitle(view.verdict)}`,
    '',
    `${modeTitle(view.mode)} · profile ${code(view.profile)} · target ${code(view.target)}`,
    '',
    `snapcheck ${view.tool.version} · openapi.yaml ${code(view.spec.openapiSha256.slice(0, 12))}` +
      ` · rules v${view.spec.rulesVersion} ${code(view.spec.rulesSha256.slice(0, 12))}` +
      ` · started ${view.startedAt} · ${secondsText(view.durationMs)}`,
  ];
}

function counts(view: ReportView): string[] {
  const s = view.summary;
  const rules = coverageCounts(view.coverage);
  return [
    '| cases | passed | failed | skipped | inconclusive | errors | warnings | notes |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|',
    `| ${s.cases} | ${s.passed} | ${s.failed} | ${s.skipped} | ${s.inconclusive} | ${s.errors} ` +
      `| ${s.warnings} | ${s.infos} |`,
    '',
    `Rules of the catalogue: ${rules.passed} passed, ${rules.failed} failed, ` +
      `${rules['not-exercised']} not exercised, ${rules.off} off under this profile ` +
      `(${view.coverage.length} in all).`,
  ];
}

function gate(view: ReportView): string[] {
  const { failOn, passed, exitCode, reasons } = view.gate;
  const why = reasons.length > 0 ? ` (${reasons.join(', ')})` : '';
  return [
    `Gate ${code(`--fail-on ${failOn}`)}: ${passed ? 'passed' : 'failed'}${why}, exit code ` +
      `${exitCode}.`,
  ];
}

/**
 * The finding in words: its message, then what was expected and found, unless the message
 * already says both (`answered 200 2007300; expected 401 4017300`).
 */
function findingText(finding: FindingView): string {
  const { message, expected = '-', actual = '-' } = finding;
  if (messageQuotesEvidence(finding)) return message;
  return `${message} (expected ${expected}, got ${actual})`;
}

function findingRow(result: CaseView, finding: FindingView): string {
  const cells = [
    cellCode(result.id),
    finding.severity,
    cellCode(finding.rule),
    cellCode(finding.location),
    escapeMarkdownCell(findingText(finding)),
    escapeMarkdownCell(finding.hint),
  ];
  return `| ${cells.join(' | ')} |`;
}

function findings(view: ReportView): string[] {
  const all = view.cases.flatMap((result) => result.findings.map((f) => ({ result, f })));
  if (all.length === 0) return ['No findings.'];

  const shown = all.slice(0, MAX_FINDINGS);
  const lines = [
    `### Findings (${all.length})`,
    '',
    '| case | severity | rule | where | finding | hint |',
    '|---|---|---|---|---|---|',
    ...shown.map(({ result, f }) => findingRow(result, f)),
  ];
  if (all.length > shown.length) {
    lines.push(
      '',
      `…and ${plural(all.length - shown.length, 'more finding')}: see the full report.`,
    );
  }
  return lines;
}

function extras(view: ReportView): string[] {
  const lines: string[] = [];
  for (const notice of view.notices) lines.push(`- **Note:** ${escapeMarkdownCell(notice)}`);
  for (const shortfall of view.shortfalls) lines.push(`- ${escapeMarkdownCell(shortfall)}`);
  const skipped = view.cases.filter((c) => c.verdict === 'skipped');
  if (skipped.length > 0) {
    const because = skipped[0]?.because.replace(/^skipped: /, '') ?? '';
    lines.push(`- ${plural(skipped.length, 'case')} not run: ${escapeMarkdownCell(because)}`);
  }
  const inconclusive = view.cases.filter((c) => c.verdict === 'inconclusive');
  if (inconclusive.length > 0) {
    const ids = inconclusive.map((c) => markdownCode(c.id)).join(', ');
    lines.push(`- ${plural(inconclusive.length, 'case')} inconclusive: ${ids}`);
  }
  return lines.length > 0 ? ['', ...lines] : [];
}

export function renderMarkdown(view: ReportView): string {
  const secrets = view.redaction.secretsShortened
    ? 'Tokens and signatures are shortened to a prefix and their length.'
    : 'Secrets are shown in full (--show-secrets): do not publish this summary.';
  return `${[
    ...heading(view),
    '',
    ...counts(view),
    '',
    ...gate(view),
    ...extras(view),
    '',
    ...findings(view),
    '',
    `<sub>${secrets}</sub>`,
  ].join('\n')}\n`;
}
