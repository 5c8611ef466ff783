/** `snapcheck rules`: the rule catalogue, as a table or JSON. */
import { catalogue } from '../spec/catalogue.js';
import type { Profile } from '../types.js';

export function renderRules(format: 'text' | 'json', profile?: Profile): string {
  const { rules, sources, version } = catalogue();
  if (format === 'json') {
    const shown = profile
      ? rules.map((rule) => ({ ...rule, severity: { [profile]: rule.severity[profile] } }))
      : rules;
    const catalogueJson = { version, ...(profile ? { profile } : {}), sources, rules: shown };
    return `${JSON.stringify(catalogueJson, null, 2)}\n`;
  }

  const lines = [`snapcheck rule catalogue v${version} (${rules.length} rules)`, ''];
  for (const rule of rules) {
    const severity = profile
      ? rule.severity[profile]
      : `doku ${rule.severity.doku}, snap ${rule.severity.snap}`;
    const source = sources[rule.source.ref]?.title ?? rule.source.ref;
    lines.push(`${rule.id}  [${severity}]`);
    lines.push(`    ${rule.title}`);
    if (rule.answer) {
      lines.push(
        `    provider answers ${rule.answer.status} ${rule.answer.responseCode} ` +
          `"${rule.answer.message}"`,
      );
    }
    lines.push(`    source: ${source}, ${rule.source.section}`);
  }
  return `${lines.join('\n')}\n`;
}
