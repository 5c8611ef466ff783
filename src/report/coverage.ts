/**
 * Rule coverage: every rule of the catalogue with what this run made of it. An auditor reads a
 * passing report differently when half the rules were never exercised, so the reports list
 * every rule, not only the ones that failed. A case's `evaluated` list says which rules its
 * judgement applied; a finding says which of them the message broke.
 */
import { catalogue, type Catalogue, type Rule, type RuleSeverity } from '../spec/catalogue.js';
import type { Profile, Severity } from '../types.js';
import type { CaseResult } from './model.js';

export type CoverageStatus = 'passed' | 'failed' | 'not-exercised' | 'off';

/** Where a rule comes from, resolved against the catalogue's list of sources. */
export interface SourceCitation {
  ref: string;
  title: string;
  section: string;
}

export interface RuleCoverage {
  rule: string;
  title: string;
  /** The rule's severity under the run's profile. */
  severity: RuleSeverity;
  source: SourceCitation;
  status: CoverageStatus;
  /** How many cases evaluated the rule. */
  evaluatedIn: number;
  /** The cases with a finding under the rule, in run order. */
  failedIn: string[];
  /** The gravest severity among those findings. */
  worst?: Severity;
}

const GRAVITY: Record<Severity, number> = { info: 0, warning: 1, error: 2 };

export function citation(rule: Rule, rules: Catalogue = catalogue()): SourceCitation {
  return {
    ref: rule.source.ref,
    title: rules.sources[rule.source.ref]?.title ?? rule.source.ref,
    section: rule.source.section,
  };
}

function statusOf(severity: RuleSeverity, evaluated: number, failed: number): CoverageStatus {
  if (failed > 0) return 'failed';
  if (severity === 'off') return 'off';
  return evaluated > 0 ? 'passed' : 'not-exercised';
}

/** One row per catalogue rule, in catalogue order. */
export function ruleCoverage(
  cases: readonly CaseResult[],
  profile: Profile,
  rules: Catalogue = catalogue(),
): RuleCoverage[] {
  return rules.rules.map((rule) => {
    const evaluatedIn = cases.filter((c) => c.evaluated.includes(rule.id)).length;
    const findings = cases.flatMap((c) =>
      c.findings.filter((f) => f.rule === rule.id).map((f) => ({ caseId: c.id, finding: f })),
    );
    const failedIn = [...new Set(findings.map((f) => f.caseId))];
    const row: RuleCoverage = {
      rule: rule.id,
      title: rule.title,
      severity: rule.severity[profile],
      source: citation(rule, rules),
      status: statusOf(rule.severity[profile], evaluatedIn, findings.length),
      evaluatedIn,
      failedIn,
    };
    const worst = findings
      .map((f) => f.finding.severity)
      .sort((a, b) => GRAVITY[b] - GRAVITY[a])[0];
    if (worst) row.worst = worst;
    return row;
  });
}

/** How many rules ended in each status. */
export function coverageCounts(rows: readonly RuleCoverage[]): Record<CoverageStatus, number> {
  const counts: Record<CoverageStatus, number> = {
    passed: 0,
    failed: 0,
    'not-exercised': 0,
    off: 0,
  };
  for (const row of rows) counts[row.status] += 1;
  return counts;
}
