/**
 * The report every mode produces: cases (a battery case, a judged request, a pact interaction),
 * each with its exchange and findings, plus what judged them and a summary. Reporters take
 * only this shape.
 */
import { catalogue } from '../spec/catalogue.js';
import { tokenSpec } from '../spec/openapi.js';
import type { Exchange, Finding, Profile } from '../types.js';
import { toolVersion } from '../version.js';

export type Mode = 'provider' | 'client' | 'pact-lint' | 'pact-verify' | 'traffic';

/**
 * `inconclusive`: the case ran, but its answer is explained by something outside it (the
 * provider refused the battery's credentials, so a case that needs them says nothing).
 */
export type Verdict = 'pass' | 'fail' | 'skipped' | 'inconclusive';

/** An answer a case accepts: the HTTP status and the responseCode. */
export interface AcceptedAnswer {
  status: number;
  responseCode: string;
}

export interface CaseResult {
  id: string;
  title: string;
  /** Why the case expects what it does, or why it was skipped. */
  because: string;
  accepts?: AcceptedAnswer[];
  verdict: Verdict;
  exchange?: Exchange;
  findings: Finding[];
  evaluated: string[];
  durationMs: number;
}

export interface Summary {
  cases: number;
  passed: number;
  failed: number;
  skipped: number;
  inconclusive: number;
  errors: number;
  warnings: number;
  infos: number;
}

export interface SpecVersion {
  openapiSha256: string;
  rulesVersion: number;
  rulesSha256: string;
}

export interface RunReport {
  mode: Mode;
  tool: { name: 'snapcheck'; version: string };
  spec: SpecVersion;
  target: string;
  profile: Profile;
  startedAt: string;
  durationMs: number;
  /** True when the target could not be reached at all (exit code 3). */
  unreachable: boolean;
  cases: CaseResult[];
  summary: Summary;
  /**
   * What the run as a whole must tell its reader before any case, in a sentence each (the
   * battery: "the valid request was refused …").
   */
  notices?: string[];
}

/** Which versions of openapi.yaml and the catalogue judged this run. */
export function specVersion(): SpecVersion {
  const rules = catalogue();
  return {
    openapiSha256: tokenSpec().sha256,
    rulesVersion: rules.version,
    rulesSha256: rules.sha256,
  };
}

export const tool = { name: 'snapcheck', version: toolVersion } as const;

export function summarise(cases: CaseResult[]): Summary {
  const count = (severity: Finding['severity']): number =>
    cases.reduce((n, c) => n + c.findings.filter((f) => f.severity === severity).length, 0);
  return {
    cases: cases.length,
    passed: cases.filter((c) => c.verdict === 'pass').length,
    failed: cases.filter((c) => c.verdict === 'fail').length,
    skipped: cases.filter((c) => c.verdict === 'skipped').length,
    inconclusive: cases.filter((c) => c.verdict === 'inconclusive').length,
    errors: count('error'),
    warnings: count('warning'),
    infos: count('info'),
  };
}

/** A case fails when any of its findings is an error. */
export function verdictOf(findings: Finding[]): Verdict {
  return findings.some((finding) => finding.severity === 'error') ? 'fail' : 'pass';
}

/** What a mode knows at the end of its run; the rest of the report is the same for all. */
export interface RunFacts {
  mode: Mode;
  target: string;
  profile: Profile;
  /** Epoch ms when the run started, and when it ended. */
  started: number;
  ended: number;
  cases: CaseResult[];
  unreachable?: boolean;
  notices?: string[];
}

/** The report of a run: versions of the spec and rules that judged it, and its summary. */
export function runReport(facts: RunFacts): RunReport {
  return {
    mode: facts.mode,
    tool,
    spec: specVersion(),
    target: facts.target,
    profile: facts.profile,
    startedAt: new Date(facts.started).toISOString(),
    durationMs: Math.round(facts.ended - facts.started),
    unreachable: facts.unreachable ?? false,
    cases: facts.cases,
    summary: summarise(facts.cases),
    ...(facts.notices ? { notices: facts.notices } : {}),
  };
}
