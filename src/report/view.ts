/**
 * The report as every file format sees it: the run report plus the gate's decision, each
 * finding's rule text and source, rule coverage, and exchanges as redacted text. Built once per
 * run, so that JSON, JUnit, Markdown and HTML cannot disagree, and so that no format can show a
 * secret another one hides. The JSON report is this object (spec/report.schema.json).
 */
import { catalogue } from '../spec/catalogue.js';
import type { Exchange, Finding, HeaderBag, Profile, TransportFailure } from '../types.js';
import { citation, ruleCoverage, type RuleCoverage, type SourceCitation } from './coverage.js';
import { decideGate, caseFailsGate, type FailOn, type RunVerdict } from './gate.js';
import type { AcceptedAnswer, CaseResult, Mode, RunReport, SpecVersion, Summary } from './model.js';
import { Redactor } from './redaction.js';

/** Bumped when a field changes meaning or goes away; adding an optional field does not. */
export const REPORT_VERSION = 1;

/** Bodies longer than this are cut in reports (the findings judged the whole body). */
export const MAX_BODY_CHARS = 8192;

export interface ViewOptions {
  failOn: FailOn;
  showSecrets: boolean;
  /** Values never to show (a key passphrase), removed from every string. */
  neverShow?: readonly string[];
  /** Failures of the run that no finding states (see decideGate). */
  shortfalls?: readonly string[];
}

export interface MessageView {
  headers: Record<string, string>;
  body: string;
  /** The body's length in bytes as sent, before any cut. */
  bodyBytes: number;
}

export interface ExchangeView {
  request: MessageView & { method: string; path: string };
  response?: MessageView & { status: number };
  failure?: TransportFailure;
}

export interface FindingView extends Finding {
  ruleTitle: string;
  source: SourceCitation;
}

export interface CaseView {
  id: string;
  title: string;
  because: string;
  accepts?: AcceptedAnswer[];
  verdict: CaseResult['verdict'];
  /** Whether the case fails under `--fail-on` (with `warning`, a case may pass yet fail this). */
  failsGate: boolean;
  durationMs: number;
  evaluated: string[];
  exchange?: ExchangeView;
  findings: FindingView[];
}

export interface ReportView {
  reportVersion: number;
  tool: RunReport['tool'];
  mode: Mode;
  target: string;
  profile: Profile;
  spec: SpecVersion;
  startedAt: string;
  durationMs: number;
  verdict: RunVerdict;
  conforming: boolean;
  unreachable: boolean;
  gate: { failOn: FailOn; passed: boolean; exitCode: number; reasons: string[] };
  redaction: {
    /** False only under `--show-secrets`. */
    secretsShortened: boolean;
    form: string;
    shortened: number;
    privateKeysRemoved: number;
  };
  summary: Summary;
  shortfalls: string[];
  /** What the run as a whole must tell its reader (see RunReport.notices). */
  notices: string[];
  cases: CaseView[];
  coverage: RuleCoverage[];
  sources: Record<string, { title: string; note?: string }>;
}

function headerView(headers: HeaderBag, redactor: Redactor): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    out[name] = redactor.header(name, Array.isArray(value) ? value.join(', ') : value);
  }
  return out;
}

/** The body as text, scrubbed before it is cut so a secret across the cut is still found. */
function bodyView(body: Buffer, redactor: Redactor): string {
  const text = redactor.scrub(body.toString('utf8'));
  if (text.length <= MAX_BODY_CHARS) return text;
  return `${text.slice(0, MAX_BODY_CHARS)}…[cut: ${text.length} chars in all]`;
}

function exchangeView(exchange: Exchange, redactor: Redactor): ExchangeView {
  const { request, response, failure } = exchange;
  const view: ExchangeView = {
    request: {
      method: request.method,
      path: request.path,
      headers: headerView(request.headers, redactor),
      body: bodyView(request.body, redactor),
      bodyBytes: request.body.length,
    },
  };
  if (response) {
    view.response = {
      status: response.status,
      headers: headerView(response.headers, redactor),
      body: bodyView(response.body, redactor),
      bodyBytes: response.body.length,
    };
  }
  if (failure) view.failure = failure;
  return view;
}

function findingView(finding: Finding): FindingView {
  const rule = catalogue().byId.get(finding.rule);
  return {
    ...finding,
    ruleTitle: rule?.title ?? finding.rule,
    source: rule ? citation(rule) : { ref: 'unknown', title: 'not in the catalogue', section: '' },
  };
}

function caseView(result: CaseResult, failOn: FailOn, redactor: Redactor): CaseView {
  const view: CaseView = {
    id: result.id,
    title: result.title,
    because: result.because,
    verdict: result.verdict,
    failsGate: caseFailsGate(result, failOn),
    durationMs: result.durationMs,
    evaluated: result.evaluated,
    findings: result.findings.map(findingView),
  };
  if (result.accepts) view.accepts = result.accepts;
  if (result.exchange) view.exchange = exchangeView(result.exchange, redactor);
  return view;
}

/** A URL's user and password never reach a report; anything else is shown as given. */
function targetView(target: string): string {
  try {
    const url = new URL(target);
    if (!url.username && !url.password) return target;
    url.username = 'redacted';
    url.password = '';
    return url.toString();
  } catch {
    return target;
  }
}

/** Every string in the view through the redactor, whatever field holds it. */
function scrubAll<T>(value: T, redactor: Redactor): T {
  if (typeof value === 'string') return redactor.scrub(value) as T;
  if (Array.isArray(value)) return value.map((item: unknown) => scrubAll(item, redactor)) as T;
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) out[key] = scrubAll(inner, redactor);
  return out as T;
}

export function buildView(report: RunReport, options: ViewOptions): ReportView {
  const redactor = new Redactor({
    showSecrets: options.showSecrets,
    neverShow: options.neverShow ?? [],
  });
  for (const result of report.cases) {
    if (result.exchange) redactor.learnExchange(result.exchange);
  }

  const shortfalls = [...(options.shortfalls ?? [])];
  const gate = decideGate(report, options.failOn, shortfalls);
  const view: ReportView = {
    reportVersion: REPORT_VERSION,
    tool: report.tool,
    mode: report.mode,
    target: targetView(report.target),
    profile: report.profile,
    spec: report.spec,
    startedAt: report.startedAt,
    durationMs: report.durationMs,
    verdict: gate.verdict,
    conforming: gate.verdict === 'conforming',
    unreachable: report.unreachable,
    gate: {
      failOn: gate.failOn,
      passed: gate.passed,
      exitCode: gate.exitCode,
      reasons: gate.reasons,
    },
    redaction: { secretsShortened: false, form: '', shortened: 0, privateKeysRemoved: 0 },
    summary: report.summary,
    shortfalls,
    notices: [...(report.notices ?? [])],
    cases: report.cases.map((result) => caseView(result, options.failOn, redactor)),
    coverage: ruleCoverage(report.cases, report.profile),
    sources: catalogue().sources,
  };

  const scrubbed = scrubAll(view, redactor);
  scrubbed.redaction = {
    secretsShortened: !options.showSecrets,
    form: options.showSecrets ? 'shown in full' : 'prefix…[N chars]',
    shortened: redactor.shortened,
    privateKeysRemoved: redactor.privateKeysRemoved,
  };
  return scrubbed;
}
