/**
 * Evaluates Pact matchers on single values, so a pact's examples can be checked against its own
 * matchers, and a matcher can be tried on the wrong values people send. Covers the matchers a
 * token contract uses (Pact specification v3/v4 "Matching rules"); the others answer
 * `undefined`, which the linter reports as not evaluated.
 */
import type { MatchingRule, PactMatcher } from './pact-file.js';

/** True or false when the matcher could be evaluated, undefined when snapcheck cannot. */
export type MatchResult = boolean | undefined;

function sameJsonType(example: unknown, value: unknown): boolean {
  if (example === null || value === null) return example === value;
  if (Array.isArray(example)) return Array.isArray(value);
  return typeof example === typeof value && !Array.isArray(value);
}

function lengthWithin(value: unknown, matcher: PactMatcher): boolean {
  if (!Array.isArray(value)) return true;
  const min = typeof matcher.min === 'number' ? matcher.min : 0;
  const max = typeof matcher.max === 'number' ? matcher.max : Infinity;
  return value.length >= min && value.length <= max;
}

function regexMatch(pattern: unknown, value: unknown): MatchResult {
  if (typeof pattern !== 'string') return undefined;
  if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
    return false;
  }
  try {
    // Pact (Rust and JVM) matches the whole value; an unanchored pattern must match all of it.
    return new RegExp(`^(?:${pattern})$`, 'u').test(String(value));
  } catch {
    return undefined;
  }
}

/** One matcher on one value; `example` is the pact's own example at that place. */
export function evaluateMatcher(
  matcher: PactMatcher,
  value: unknown,
  example: unknown,
): MatchResult {
  switch (matcher.match) {
    case 'regex':
      return regexMatch(matcher.regex, value);
    case 'type':
      return sameJsonType(example, value) && lengthWithin(value, matcher);
    case 'min':
    case 'max':
      return Array.isArray(value) && lengthWithin(value, matcher);
    case 'integer':
      return typeof value === 'number'
        ? Number.isInteger(value)
        : typeof value === 'string' && /^-?\d+$/.test(value);
    case 'decimal':
      return typeof value === 'number'
        ? !Number.isInteger(value)
        : typeof value === 'string' && /^-?\d+\.\d+$/.test(value);
    case 'number':
      return (
        typeof value === 'number' || (typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value))
      );
    case 'boolean':
      return typeof value === 'boolean' || value === 'true' || value === 'false';
    case 'equality':
      return JSON.stringify(value) === JSON.stringify(example);
    case 'include':
      return typeof matcher.value === 'string' && String(value).includes(matcher.value);
    case 'null':
      return value === null;
    case 'notEmpty':
      return (
        value !== undefined &&
        value !== null &&
        value !== '' &&
        !(Array.isArray(value) && value.length === 0)
      );
    case 'semver':
      return typeof value === 'string' && /^\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.-]+)?$/.test(value);
    case 'statusCode':
      return statusMatch(matcher.status, value);
    default:
      return undefined;
  }
}

const STATUS_CLASSES: Record<string, [number, number]> = {
  information: [100, 199],
  success: [200, 299],
  redirect: [300, 399],
  clientError: [400, 499],
  serverError: [500, 599],
  nonError: [100, 399],
  error: [400, 599],
};

function statusMatch(status: unknown, value: unknown): MatchResult {
  if (typeof value !== 'number') return false;
  if (Array.isArray(status)) return status.includes(value);
  const range = typeof status === 'string' ? STATUS_CLASSES[status] : undefined;
  return range ? value >= range[0] && value <= range[1] : undefined;
}

/** All matchers of a rule, combined as the rule says (AND by default). */
export function evaluateRule(rule: MatchingRule, value: unknown, example: unknown): MatchResult {
  const results = rule.matchers.map((matcher) => evaluateMatcher(matcher, value, example));
  if (results.includes(undefined)) return undefined;
  return rule.combine === 'OR' ? results.some(Boolean) : results.every(Boolean);
}

/** `regex ^…$`, `type`, `integer`: a matcher as a finding names it. */
export function describeRule(rule: MatchingRule): string {
  return rule.matchers
    .map((matcher) =>
      matcher.match === 'regex' ? `regex ${String(matcher.regex)}` : matcher.match,
    )
    .join(rule.combine === 'OR' ? ' or ' : ' and ');
}

/** Splits a JSONPath (`$.a.b`, `$['a'].b[0]`, `$.*`) into its steps. */
export function pathSteps(path: string): string[] | undefined {
  if (!path.startsWith('$')) return undefined;
  const steps: string[] = [];
  const pattern = /\.([^.[\]]+)|\['([^']*)'\]|\[(\d+|\*)\]/gy;
  pattern.lastIndex = 1;
  while (pattern.lastIndex < path.length) {
    const match = pattern.exec(path);
    if (!match) return undefined;
    steps.push(match[1] ?? match[2] ?? match[3] ?? '');
  }
  return steps;
}

/** The value at a path made of plain steps; undefined when absent. */
export function valueAt(root: unknown, steps: readonly string[]): unknown {
  let node = root;
  for (const step of steps) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[step];
  }
  return node;
}

/**
 * The rule that governs a body field: the one written for it, or the nearest rule above it that
 * cascades (Pact applies a type matcher on an object to everything inside it).
 */
export function bodyRuleFor(
  rules: readonly MatchingRule[],
  field: string,
): MatchingRule | undefined {
  const body = rules.filter((rule) => rule.category === 'body');
  const exact = body.find((rule) => {
    const steps = pathSteps(rule.path);
    return steps !== undefined && steps.length === 1 && (steps[0] === field || steps[0] === '*');
  });
  if (exact) return exact;
  return body.find(
    (rule) =>
      pathSteps(rule.path)?.length === 0 &&
      rule.matchers.every((matcher) => ['type', 'min', 'max'].includes(matcher.match)),
  );
}

/** The rule written for a header, whatever the case of its name. */
export function headerRuleFor(
  rules: readonly MatchingRule[],
  name: string,
): MatchingRule | undefined {
  return rules.find(
    (rule) => rule.category === 'header' && rule.path.toLowerCase() === name.toLowerCase(),
  );
}
