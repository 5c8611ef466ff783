/**
 * Turns AJV's validation errors into findings: one finding per field, under the `.required`
 * or `.format` rule of the message part (request/response, header/body).
 */
import type { ErrorObject, ValidateFunction } from 'ajv';

import type { HeaderValidator } from './validators.js';
import type { Recorder } from './recorder.js';
import { show } from './render.js';

type Part = 'request.header' | 'request.body' | 'response.header' | 'response.body';

interface FieldErrors {
  field: string;
  missing: boolean;
  errors: ErrorObject[];
}

/** `/additionalInfo/x` → `additionalInfo.x`. */
function pointerToField(pointer: string): string {
  return pointer
    .split('/')
    .slice(1)
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .join('.');
}

function valueAt(data: unknown, pointer: string): unknown {
  let node = data;
  for (const part of pointer.split('/').slice(1)) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[part.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  return node;
}

/** Groups errors by the field they concern; a missing property concerns the property itself. */
function groupByField(errors: ErrorObject[]): FieldErrors[] {
  const groups = new Map<string, FieldErrors>();
  for (const error of errors) {
    const missing = error.keyword === 'required';
    const pointer = missing
      ? `${error.instancePath}/${String(error.params.missingProperty)}`
      : error.instancePath;
    const group = groups.get(pointer) ?? { field: pointer, missing, errors: [] };
    group.errors.push(error);
    groups.set(pointer, group);
  }
  return [...groups.values()];
}

/** A schema's own description, as a phrase (openapi.yaml says what a field is in words). */
function described(schema: unknown): string | undefined {
  const text = (schema as { description?: unknown } | undefined)?.description;
  return typeof text === 'string' ? text.trim().replace(/\.$/, '') : undefined;
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

/** One failed keyword in words; a pattern is named by its schema's description when it has one. */
function keywordWords(error: ErrorObject): string {
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'enum':
      return `one of ${JSON.stringify(params.allowedValues)}`;
    case 'const':
      return `exactly ${JSON.stringify(params.allowedValue)}`;
    case 'type':
      return `${/^[aeiou]/.test(String(params.type)) ? 'an' : 'a'} ${String(params.type)}`;
    case 'minLength':
      return `at least ${plural(Number(params.limit), 'character')} long`;
    case 'maxLength':
      return `at most ${plural(Number(params.limit), 'character')} long`;
    case 'pattern':
      return described(error.parentSchema) ?? `matching ${String(params.pattern)}`;
    default:
      return (error.message ?? error.keyword).replace(/^must (be |have |match )?/, '');
  }
}

/** What the schema wanted, in words: a oneOf by its field's description, else each keyword. */
function describeExpected(errors: ErrorObject[]): string {
  const choice = errors.find((e) => e.keyword === 'oneOf' || e.keyword === 'anyOf');
  const whole = choice && described(choice.parentSchema);
  if (whole) return whole;

  const leaves = errors.filter((e) => e.keyword !== 'oneOf' && e.keyword !== 'anyOf');
  const words = [...new Set(leaves.map(keywordWords))];
  return words.join(choice ? ' or ' : '; ');
}

/**
 * Validates `data` and records a finding per failing field. `names` maps a lower-cased header
 * name back to its documented spelling.
 */
export function recordSchema(
  recorder: Recorder,
  part: Part,
  validate: ValidateFunction,
  data: unknown,
  names?: Map<string, string>,
): boolean {
  recorder.applies(`${part}.required`);
  recorder.applies(`${part}.format`);
  if (validate(data)) return true;

  for (const group of groupByField(validate.errors ?? [])) {
    let field = pointerToField(group.field);
    if (names) field = names.get(field) ?? field;
    const location = `${part}.${field}`;
    const noun = part.endsWith('header') ? 'header' : 'field';

    if (group.missing) {
      recorder.fail(`${part}.required`, {
        location,
        message: `mandatory ${noun} ${field} is missing`,
        expected: 'present',
        actual: '(absent)',
      });
      continue;
    }

    const expected = describeExpected(group.errors);
    recorder.fail(`${part}.format`, {
      location,
      message: `${noun} ${field} must be ${expected}`,
      expected,
      actual: show(valueAt(data, group.field), location),
    });
  }
  return false;
}

/** Header bag → the plain object the header validators take (lower-case names, one value). */
export function headerObject(
  headers: Record<string, string | string[] | undefined>,
  validator: HeaderValidator,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    const key = name.toLowerCase();
    if (!validator.names.has(key) || value === undefined) continue;
    out[key] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}
