/**
 * Collects the findings of one judgement under one profile, and which rules were evaluated,
 * so that reports can show rule coverage as well as failures.
 */
import { rule } from '../spec/catalogue.js';
import type { Finding, Judgement, Profile } from '../types.js';

export interface FindingDetail {
  location: string;
  message: string;
  expected?: string;
  actual?: string;
  /** Replaces the catalogue's hint when the case calls for a sharper one. */
  hint?: string;
}

export class Recorder {
  readonly findings: Finding[] = [];
  private readonly evaluated = new Set<string>();

  constructor(readonly profile: Profile) {}

  /** Whether the rule is evaluated under this profile; marks it evaluated when it is. */
  applies(id: string): boolean {
    if (rule(id).severity[this.profile] === 'off') return false;
    this.evaluated.add(id);
    return true;
  }

  /** Records that a message breaks a rule (dropped when the profile switches the rule off). */
  fail(id: string, detail: FindingDetail): void {
    const found = rule(id);
    const severity = found.severity[this.profile];
    if (severity === 'off') return;

    this.evaluated.add(id);
    const finding: Finding = {
      rule: id,
      severity,
      location: detail.location,
      message: detail.message,
      hint: detail.hint ?? found.hint,
    };
    if (detail.expected !== undefined) finding.expected = detail.expected;
    if (detail.actual !== undefined) finding.actual = detail.actual;
    this.findings.push(finding);
  }

  judgement(): Judgement {
    return { findings: this.findings, evaluated: [...this.evaluated] };
  }
}
