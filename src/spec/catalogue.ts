/**
 * The rule catalogue (spec/rules.yaml): every finding names one of these rules, and every rule
 * names the source it enforces.
 */
import { parse } from 'yaml';

import type { Profile, Severity } from '../types.js';
import { readShipped } from './files.js';

export type RuleSeverity = Severity | 'off';

/** The answer the reference provider gives when a request rule fails. */
export interface RuleAnswer {
  status: number;
  responseCode: string;
  /** May hold `{field}`, filled with the header or body field at fault. */
  message: string;
}

export interface Rule {
  id: string;
  title: string;
  severity: Record<Profile, RuleSeverity>;
  source: { ref: string; section: string };
  hint: string;
  answer?: RuleAnswer;
}

export interface Source {
  title: string;
  note?: string;
}

export interface Catalogue {
  version: number;
  sha256: string;
  sources: Record<string, Source>;
  rules: Rule[];
  byId: Map<string, Rule>;
}

let cached: Catalogue | undefined;

/** The shipped catalogue, parsed once. */
export function catalogue(): Catalogue {
  if (!cached) {
    const file = readShipped('spec/rules.yaml');
    const raw = parse(file.text) as Omit<Catalogue, 'byId' | 'sha256'>;
    const byId = new Map(raw.rules.map((rule) => [rule.id, rule]));
    cached = { ...raw, sha256: file.sha256, byId };
  }
  return cached;
}

/** The rule with this id; an unknown id is a programming error, not a finding. */
export function rule(id: string): Rule {
  const found = catalogue().byId.get(id);
  if (!found) throw new Error(`snapcheck: no rule '${id}' in spec/rules.yaml`);
  return found;
}
