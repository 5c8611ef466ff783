/**
 * The HTML audit report: one self-contained, printable file. It loads nothing: styles are
 * inline, there is no script, no font, no image, and a Content-Security-Policy forbids fetching
 * anything, so the file opens the same offline, from an archive, or years later. It reads top
 * down as an auditor works: the verdict and what judged it, then every case with its redacted
 * exchange and findings (each with its rule and source), then every rule of the catalogue with
 * what the run made of it, then the sources.
 */
import { coverageCounts, type RuleCoverage } from './coverage.js';
import { escapeHtml } from './markup.js';
import type { CaseView, ExchangeView, FindingView, MessageView, ReportView } from './view.js';
import { modeTitle, plural, secondsText, verdictTitle } from './wording.js';
import { HTML_STYLE } from './html-style.js';

const CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'";

/** Escapes a value; the one way text enters the page. */
const h = escapeHtml;

/** The parts of a block, one a line, leaving out the empty ones. */
function block(parts: string[]): string {
  return parts.filter((part) => part !== '').join('\n');
}

const CASE_BADGE = {
  pass: 'PASS',
  fail: 'FAIL',
  skipped: 'NOT RUN',
  inconclusive: 'INCONCLUSIVE',
} as const;

const STATUS_TEXT: Record<RuleCoverage['status'], string> = {
  passed: 'passed',
  failed: 'failed',
  'not-exercised': 'not exercised',
  off: 'off',
};

function caseAnchor(index: number): string {
  return `case-${index + 1}`;
}

function sourceAnchor(ref: string): string {
  return `source-${ref.replace(/[^A-Za-z0-9_.-]/g, '-')}`;
}

function ruleAnchor(ruleId: string): string {
  return `rule-${ruleId.replace(/[^A-Za-z0-9_.-]/g, '-')}`;
}

function fact(term: string, value: string): string {
  return `<div><dt>${h(term)}</dt><dd>${value}</dd></div>`;
}

function verdictBanner(view: ReportView): string {
  return [
    `<header class="banner ${view.verdict}">`,
    '<p class="kicker">snapcheck audit report</p>',
    `<h1>${h(verdictTitle(view.verdict))}</h1>`,
    `<p>${h(modeTitle(view.mode))} · <code>${h(view.target)}</code> · profile ` +
      `<b>${h(view.profile)}</b></p>`,
    '</header>',
  ].join('\n');
}

function gateText(view: ReportView): string {
  const { failOn, passed, exitCode, reasons } = view.gate;
  const why = reasons.length > 0 ? ` (${reasons.join(', ')})` : '';
  return h(`--fail-on ${failOn}: ${passed ? 'passed' : 'failed'}${why}; exit code ${exitCode}`);
}

function redactionText(view: ReportView): string {
  const r = view.redaction;
  const removed =
    r.privateKeysRemoved > 0 ? `; ${plural(r.privateKeysRemoved, 'private key')} removed` : '';
  return h(
    r.secretsShortened
      ? `access tokens and signatures shortened to ${r.form} ` +
          `(${plural(r.shortened, 'value')})${removed}; private keys never shown`
      : `secrets shown in full (--show-secrets)${removed}; private keys never shown`,
  );
}

function facts(view: ReportView): string {
  return [
    '<dl class="facts">',
    fact('Target', `<code>${h(view.target)}</code>`),
    fact('Mode', h(modeTitle(view.mode))),
    fact('Profile', h(view.profile)),
    fact('Started', h(view.startedAt)),
    fact('Duration', h(secondsText(view.durationMs))),
    fact('Tool', h(`snapcheck ${view.tool.version}`)),
    fact('openapi.yaml', `sha256 <code>${h(view.spec.openapiSha256)}</code>`),
    fact(
      'Rule catalogue',
      `v${h(String(view.spec.rulesVersion))}, sha256 <code>${h(view.spec.rulesSha256)}</code>`,
    ),
    fact('Gate', gateText(view)),
    fact('Redaction', redactionText(view)),
    '</dl>',
  ].join('\n');
}

function countsTable(view: ReportView): string {
  const s = view.summary;
  const rules = coverageCounts(view.coverage);
  const cells = [
    s.cases,
    s.passed,
    s.failed,
    s.skipped,
    s.inconclusive,
    s.errors,
    s.warnings,
    s.infos,
  ];
  return [
    '<table class="counts"><thead><tr><th>cases</th><th>passed</th><th>failed</th>' +
      '<th>not run</th><th>inconclusive</th><th>errors</th><th>warnings</th><th>notes</th>' +
      '</tr></thead>',
    `<tbody><tr>${cells.map((n) => `<td>${n}</td>`).join('')}</tr></tbody></table>`,
    `<p>Rules of the catalogue: <b>${rules.passed}</b> passed, <b>${rules.failed}</b> failed, ` +
      `<b>${rules['not-exercised']}</b> not exercised, <b>${rules.off}</b> off under this ` +
      `profile, of ${view.coverage.length} (<a href="#coverage">rule coverage</a>).</p>`,
  ].join('\n');
}

function answerOf(result: CaseView): string {
  const exchange = result.exchange;
  if (!exchange) return 'not run';
  if (exchange.failure) return `no answer (${exchange.failure.kind})`;
  const response = exchange.response;
  if (!response) return '';
  const code = /"responseCode"\s*:\s*"([^"]*)"/.exec(response.body)?.[1];
  return `${response.status} ${code ?? '(no responseCode)'}`;
}

function caseIndex(view: ReportView): string {
  const rows = view.cases.map((result, index) => {
    const severities = result.findings.map((f) => f.severity);
    const count = (s: string): number => severities.filter((x) => x === s).length;
    return (
      `<tr class="${result.verdict}"><td><a href="#${caseAnchor(index)}">${h(result.id)}</a>` +
      `</td><td><span class="badge ${result.verdict}">${CASE_BADGE[result.verdict]}</span></td>` +
      `<td>${h(answerOf(result))}</td><td>${count('error')}</td><td>${count('warning')}</td>` +
      `<td>${count('info')}</td><td>${h(result.title)}</td></tr>`
    );
  });
  return [
    '<table class="index"><thead><tr><th>case</th><th>verdict</th><th>answer</th>' +
      '<th>errors</th><th>warnings</th><th>notes</th><th>what it sends</th></tr></thead>',
    `<tbody>\n${rows.join('\n')}\n</tbody></table>`,
  ].join('\n');
}

function summarySection(view: ReportView): string {
  const shortfalls = view.shortfalls.map((s) => `<li>${h(s)}</li>`).join('');
  const notices = view.notices.map((notice) => `<li>${h(notice)}</li>`).join('');
  return block([
    '<section id="summary">',
    '<h2>Summary</h2>',
    notices ? `<ul class="notices">${notices}</ul>` : '',
    facts(view),
    countsTable(view),
    shortfalls ? `<ul class="shortfalls">${shortfalls}</ul>` : '',
    caseIndex(view),
    '</section>',
  ]);
}

/**
 * A JSON body re-indented for reading, or undefined when the body is not JSON (or is cut).
 * The JSON report keeps the body exactly as received; the caption says when it was re-indented.
 */
function indentedJson(body: string): string | undefined {
  if (!/^\s*[{[]/.test(body)) return undefined;
  try {
    const indented = JSON.stringify(JSON.parse(body), null, 2);
    return indented === body ? undefined : indented;
  } catch {
    return undefined;
  }
}

function messageText(first: string, message: MessageView): string {
  const headers = Object.entries(message.headers).map(([name, value]) => `${name}: ${value}`);
  const body = message.body === '' ? '(no body)' : (indentedJson(message.body) ?? message.body);
  return [first, ...headers, '', body].join('\n');
}

function bodyNote(message: MessageView): string {
  const size = `${message.bodyBytes} bytes`;
  return indentedJson(message.body) === undefined ? size : `${size}, JSON re-indented`;
}

function exchangeBlock(exchange: ExchangeView): string {
  const { request, response, failure } = exchange;
  const parts = [
    '<div class="exchange">',
    `<figure><figcaption>Request as sent, ${bodyNote(request)}</figcaption>` +
      `<pre>${h(messageText(`${request.method} ${request.path}`, request))}</pre></figure>`,
  ];
  if (response) {
    parts.push(
      `<figure><figcaption>Response, HTTP ${response.status}, ${bodyNote(response)}` +
        `</figcaption><pre>${h(messageText(`HTTP ${response.status}`, response))}</pre></figure>`,
    );
  }
  if (failure) {
    parts.push(
      `<figure><figcaption>No answer</figcaption><pre>${h(`${failure.kind}: ${failure.message}`)}` +
        '</pre></figure>',
    );
  }
  parts.push('</div>');
  return parts.join('\n');
}

function evidenceRow(term: string, value: string | undefined): string {
  return value === undefined ? '' : `<tr><th>${h(term)}</th><td><code>${h(value)}</code></td></tr>`;
}

/** The signature doctor's evidence, when it examined the finding's signature. */
function diagnosisRows(finding: FindingView): string {
  const diagnosis = finding.diagnosis;
  if (!diagnosis) return '';
  const facts = diagnosis.facts.map((fact) => `<tr><th>evidence</th><td>${h(fact)}</td></tr>`);
  const hypotheses = diagnosis.tried === 1 ? 'hypothesis' : 'hypotheses';
  const tried = `signature doctor: ${diagnosis.tried} ${hypotheses} tried, ${diagnosis.outcome}`;
  return [...facts, `<tr><th>diagnosis</th><td>${h(tried)}</td></tr>`].join('\n');
}

function findingBlock(finding: FindingView): string {
  return block([
    `<div class="finding ${finding.severity}">`,
    `<p class="finding-head"><span class="sev ${finding.severity}">${h(finding.severity)}</span>` +
      ` <a href="#${ruleAnchor(finding.rule)}"><code>${h(finding.rule)}</code></a>` +
      ` at <code>${h(finding.location)}</code></p>`,
    `<p class="message">${h(finding.message)}</p>`,
    '<table class="evidence">',
    evidenceRow('expected', finding.expected),
    evidenceRow('actual', finding.actual),
    `<tr><th>hint</th><td>${h(finding.hint)}</td></tr>`,
    `<tr><th>rule</th><td>${h(finding.ruleTitle)}</td></tr>`,
    `<tr><th>source</th><td>${h(finding.source.title)}, ${h(finding.source.section)}</td></tr>`,
    diagnosisRows(finding),
    '</table>',
    '</div>',
  ]);
}

function acceptsText(result: CaseView): string {
  if (!result.accepts || result.accepts.length === 0) return '';
  const answers = result.accepts.map((a) => `${a.status} ${a.responseCode}`).join(' or ');
  return `<p class="accepts">Accepts: <b>${h(answers)}</b></p>`;
}

function caseArticle(result: CaseView, index: number): string {
  const findings =
    result.findings.length > 0
      ? result.findings.map(findingBlock).join('\n')
      : `<p class="clean">No findings: ${plural(result.evaluated.length, 'rule')} evaluated, ` +
        'all kept.</p>';
  return block([
    `<article class="case ${result.verdict}" id="${caseAnchor(index)}">`,
    `<h3><span class="badge ${result.verdict}">${CASE_BADGE[result.verdict]}</span> ` +
      `${h(result.id)} <span class="title">${h(result.title)}</span></h3>`,
    `<p class="because">${h(result.because)}</p>`,
    acceptsText(result),
    result.exchange ? exchangeBlock(result.exchange) : '',
    findings,
    '</article>',
  ]);
}

function casesSection(view: ReportView): string {
  const articles = view.cases.map(caseArticle).join('\n');
  const none = view.cases.length === 0 ? '<p>No case was run.</p>' : '';
  return `<section id="cases">\n<h2>Cases</h2>\n${none}${articles}\n</section>`;
}

function coverageRow(row: RuleCoverage, view: ReportView): string {
  const failedIn = row.failedIn
    .map((id) => {
      const index = view.cases.findIndex((c) => c.id === id);
      return index >= 0 ? `<a href="#${caseAnchor(index)}">${h(id)}</a>` : h(id);
    })
    .join(', ');
  const status = row.worst ? `${STATUS_TEXT[row.status]} (${row.worst})` : STATUS_TEXT[row.status];
  const worst = row.worst ? ` worst-${row.worst}` : '';
  return (
    `<tr class="${row.status}${worst}" id="${ruleAnchor(row.rule)}">` +
    `<td><code class="rule-id">${h(row.rule)}</code><br>${h(row.title)}</td>` +
    `<td>${h(row.severity)}</td>` +
    `<td><a href="#${sourceAnchor(row.source.ref)}"><code>${h(row.source.ref)}</code></a> ` +
    `${h(row.source.section)}</td>` +
    `<td><span class="status ${row.status}${worst}">${h(status)}</span></td>` +
    `<td>${row.evaluatedIn}</td><td>${failedIn}</td></tr>`
  );
}

function coverageSection(view: ReportView): string {
  const rows = view.coverage.map((row) => coverageRow(row, view)).join('\n');
  return [
    '<section id="coverage">',
    '<h2>Rule coverage</h2>',
    `<p>Every rule of catalogue v${h(String(view.spec.rulesVersion))}, with its severity under ` +
      `profile ${h(view.profile)} and what this run made of it. A rule is <i>passed</i> when ` +
      'at least one case evaluated it and none broke it, <i>not exercised</i> when no case ' +
      'reached it, and <i>off</i> when the profile does not apply it. Each mode reaches its own ' +
      'rules: a provider battery judges answers, so the request rules, which its cases break ' +
      'on purpose, stay not exercised there. <i>cases</i> counts the cases that evaluated the ' +
      'rule; the sources are listed <a href="#sources">below</a>.</p>',
    '<table class="coverage"><thead><tr><th>rule and what it requires</th>' +
      '<th>severity</th><th>source and section</th><th>status</th><th>cases</th>' +
      '<th>failed in</th></tr></thead>',
    `<tbody>\n${rows}\n</tbody></table>`,
    '</section>',
  ].join('\n');
}

function sourcesSection(view: ReportView): string {
  const entries = Object.entries(view.sources).map(
    ([ref, source]) =>
      `<div id="${sourceAnchor(ref)}"><dt><code>${h(ref)}</code></dt><dd>${h(source.title)}` +
      `${source.note ? `<br><span class="note">${h(source.note)}</span>` : ''}</dd></div>`,
  );
  return `<section id="sources">\n<h2>Sources</h2>\n<dl class="sources">\n${entries.join(
    '\n',
  )}\n</dl>\n</section>`;
}

export function renderHtml(view: ReportView): string {
  const title = `snapcheck: ${verdictTitle(view.verdict)}, ${modeTitle(view.mode)}`;
  return `${[
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${CSP}">`,
    '<meta name="referrer" content="no-referrer">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${h(title)}</title>`,
    `<style>${HTML_STYLE}</style>`,
    '</head>',
    '<body>',
    verdictBanner(view),
    '<main>',
    summarySection(view),
    casesSection(view),
    coverageSection(view),
    sourcesSection(view),
    '</main>',
    `<footer>Written by snapcheck ${h(view.tool.version)} for the run started ` +
      `${h(view.startedAt)}. Report format v${view.reportVersion}; this file loads nothing ` +
      'from anywhere.</footer>',
    '</body>',
    '</html>',
  ].join('\n')}\n`;
}
