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

/** What the schema wanted, in words: the branches of a oneOf, or the single failed keyword. */
function describeExpected(errors: ErrorObject[]): string {
  const leaves = errors.filter((e) => e.keyword !== 'oneOf' && e.keyword !== 'anyOf');
  const words = leaves.map((e) => {
    if (e.keyword === 'enum') return `one of ${JSON.stringify(e.params.allowedValues)}`;
    if (e.keyword === 'const') return `exactly ${JSON.stringify(e.params.allowedValue)}`;
    return (e.message ?? e.keyword).replace(/^must (be |have |match )?/, '');
  });
  return [...new Set(words)].join(errors.length > leaves.length ? ' or ' : '; ');
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
