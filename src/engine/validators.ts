/**
 * AJV validators compiled from openapi.yaml at load: the schemas are never written twice.
 *
 * OpenAPI 3.1 schemas are JSON Schema 2020-12, so `components.schemas` are registered as the
 * `$defs` of one schema and every `#/components/schemas/X` reference is pointed there. Header
 * sets become one object schema each, keyed by the lower-cased header name, because HTTP header
 * names are case-insensitive (RFC 9110 §5.1).
 */
import type { ErrorObject, ValidateFunction } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import formats from 'ajv-formats';

import { tokenSpec } from '../spec/openapi.js';

type Json = Record<string, unknown>;

const COMPONENTS_ID = 'snapcheck:components';

/** A header-set validator and the spelling openapi.yaml uses for each header. */
export interface HeaderValidator {
  validate: ValidateFunction;
  /** lower-case name → documented name (`x-timestamp` → `X-TIMESTAMP`). */
  names: Map<string, string>;
}

export interface Validators {
  requestHeaders: HeaderValidator;
  requestBody: ValidateFunction;
  responseHeaders: Map<number, HeaderValidator>;
  responseBody: Map<number, ValidateFunction>;
  /** Named component schemas the profile rules judge against (`ExpiresInDoku`, ...). */
  component(name: string): ValidateFunction;
}

/** Rewrites OpenAPI component references to the registered `$defs` schema. */
function pointRefs(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(pointRefs);
  if (node === null || typeof node !== 'object') return node;

  const out: Json = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === '$ref' && typeof value === 'string') {
      out[key] = value.replace('#/components/schemas/', `${COMPONENTS_ID}#/$defs/`);
    } else {
      out[key] = pointRefs(value);
    }
  }
  return out;
}

/** Follows a local `#/components/...` reference to the object it names. */
function resolve(document: Json, node: Json): Json {
  const ref = node.$ref;
  if (typeof ref !== 'string') return node;

  let target: unknown = document;
  for (const part of ref.replace(/^#\//, '').split('/')) {
    target = (target as Json)[part];
  }
  return resolve(document, target as Json);
}

interface HeaderSpec {
  name: string;
  required: boolean;
  schema: Json;
}

function headerSchema(ajv: Ajv2020, headers: HeaderSpec[]): HeaderValidator {
  const names = new Map(headers.map((header) => [header.name.toLowerCase(), header.name]));
  const properties: Json = {};
  for (const header of headers) {
    properties[header.name.toLowerCase()] = pointRefs(header.schema);
  }
  const required = headers.filter((h) => h.required).map((h) => h.name.toLowerCase());
  const validate = ajv.compile({ type: 'object', properties, required });
  return { validate, names };
}

function compileAll(): Validators {
  const { document, operation } = tokenSpec();
  const components = document.components as Json;

  // verbose: errors carry their schema, whose description names a failed pattern in words.
  const ajv = new Ajv2020({ strict: true, allErrors: true, verbose: true });
  formats.default(ajv);
  ajv.addSchema({ $id: COMPONENTS_ID, $defs: pointRefs(components.schemas) });

  const parameters = (operation.parameters as Json[]).map((p) => resolve(document, p));
  const requestHeaders = headerSchema(
    ajv,
    parameters
      .filter((p) => p.in === 'header')
      .map((p) => ({
        name: String(p.name),
        required: p.required === true,
        schema: p.schema as Json,
      })),
  );

  const requestBody = ajv.compile(pointRefs(jsonSchemaOf(document, operation.requestBody)) as Json);

  const responseHeaders = new Map<number, HeaderValidator>();
  const responseBody = new Map<number, ValidateFunction>();
  for (const [status, raw] of Object.entries(operation.responses as Record<string, Json>)) {
    const response = resolve(document, raw);
    const headers = Object.entries((response.headers ?? {}) as Record<string, Json>).map(
      ([name, header]) => {
        const resolved = resolve(document, header);
        return { name, required: resolved.required === true, schema: resolved.schema as Json };
      },
    );
    responseHeaders.set(Number(status), headerSchema(ajv, headers));
    responseBody.set(
      Number(status),
      ajv.compile(pointRefs(jsonSchemaOf(document, response)) as Json),
    );
  }

  const components_ = new Map<string, ValidateFunction>();
  const component = (name: string): ValidateFunction => {
    let validate = components_.get(name);
    if (!validate) {
      validate = ajv.getSchema(`${COMPONENTS_ID}#/$defs/${name}`);
      if (!validate) throw new Error(`snapcheck: openapi.yaml has no schema '${name}'`);
      components_.set(name, validate);
    }
    return validate;
  };

  return { requestHeaders, requestBody, responseHeaders, responseBody, component };
}

/** The `application/json` schema of a request body or response object. */
function jsonSchemaOf(document: Json, holder: unknown): Json {
  const resolved = resolve(document, holder as Json);
  const content = resolved.content as Record<string, { schema: Json }>;
  const media = content['application/json'];
  if (!media) throw new Error('snapcheck: openapi.yaml lacks an application/json schema');
  return media.schema;
}

let cached: Validators | undefined;

/** The validators, compiled on first use and shared by every check. */
export function validators(): Validators {
  cached ??= compileAll();
  return cached;
}

export type { ErrorObject };
