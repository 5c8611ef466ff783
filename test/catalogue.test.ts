import { strict as assert } from 'node:assert';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

import { catalogue } from '../src/spec/catalogue.js';
import { responseCodeEntry } from '../src/spec/openapi.js';

const SEVERITIES = ['error', 'warning', 'info', 'off'];
/** Answers outside the SNAP table, each recorded in spec/disagreements.md. */
const UNDOCUMENTED_ANSWERS = ['4047300', '4057300'];

function sources(folder: string): string[] {
  return readdirSync(folder).flatMap((name) => {
    const path = join(folder, name);
    if (statSync(path).isDirectory()) return name === 'generated' ? [] : sources(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

describe('rule catalogue (spec/rules.yaml)', () => {
  const { rules, sources: documents } = catalogue();

  it('gives every rule a unique id, a title, a hint, both severities and a known source', () => {
    const ids = new Set<string>();
    for (const rule of rules) {
      assert.ok(!ids.has(rule.id), `duplicate id ${rule.id}`);
      ids.add(rule.id);
      assert.match(rule.id, /^[a-z]+(\.[a-z0-9-]+)+$/, rule.id);
      assert.ok(rule.title.length > 10 && rule.hint.length > 10, rule.id);
      assert.ok(SEVERITIES.includes(rule.severity.doku), `${rule.id} doku`);
      assert.ok(SEVERITIES.includes(rule.severity.snap), `${rule.id} snap`);
      assert.ok(documents[rule.source.ref], `${rule.id} cites unknown source ${rule.source.ref}`);
      assert.ok(rule.source.section.length > 3, `${rule.id} names no section`);
    }
  });

  it('answers each failing request rule with a code whose prefix is its status', () => {
    for (const rule of rules.filter((r) => r.answer)) {
      const answer = rule.answer!;
      assert.equal(answer.responseCode.slice(0, 3), String(answer.status), rule.id);
      assert.equal(answer.responseCode.slice(3, 5), '73', rule.id);
      const documented = responseCodeEntry(answer.responseCode) !== undefined;
      assert.ok(
        documented || UNDOCUMENTED_ANSWERS.includes(answer.responseCode),
        `${rule.id} answers ${answer.responseCode}, which openapi.yaml does not list`,
      );
    }
  });

  it('knows every rule id the code names', () => {
    const known = new Set(rules.map((rule) => rule.id));
    const pattern = /\b(?:fail|applies|rule|ruleAnswer)\(\s*'([a-z0-9.-]+)'/g;
    const unknown: string[] = [];
    let named = 0;
    for (const file of sources('src')) {
      for (const match of readFileSync(file, 'utf8').matchAll(pattern)) {
        const id = match[1]!;
        named += 1;
        if (!known.has(id)) unknown.push(`${file}: ${id}`);
      }
    }
    assert.deepEqual(unknown, []);
    assert.ok(named > 30, `only ${named} rule ids found: has the pattern gone stale?`);
  });
});
