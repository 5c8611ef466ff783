/**
 * openapi.yaml, loaded once: the document the validators compile, and the facts the rules read
 * from it (the token path, the service code, the response-code table).
 */
import { parse } from 'yaml';

import { readShipped } from './files.js';

/** One row of the response-code table (`x-snap-response-codes` in openapi.yaml). */
export interface ResponseCodeEntry {
  code: string;
  status: number;
  /** The documented wording; `{field}` and `{reason}` stand for free text. */
  message: string;
  when: string;
}

type Json = Record<string, unknown>;

export interface TokenSpec {
  sha256: string;
  document: Json;
  path: string;
  method: 'post';
  serviceCode: string;
  operation: Json;
  /** Documented statuses and, for each, its response codes. */
  responseCodes: Map<number, ResponseCodeEntry[]>;
}

let cached: TokenSpec | undefined;

/** The token endpoint as openapi.yaml describes it. */
export function tokenSpec(): TokenSpec {
  if (cached) return cached;

  const file = readShipped('openapi.yaml');
  const document = parse(file.text) as Json;
  const paths = document.paths as Record<string, Json>;
  const [path, item] = Object.entries(paths)[0] as [string, Json];
  const operation = item.post as Json;
  const responses = operation.responses as Record<string, Json>;

  const responseCodes = new Map<number, ResponseCodeEntry[]>();
  for (const [status, response] of Object.entries(responses)) {
    const rows = (response['x-snap-response-codes'] ?? []) as Omit<ResponseCodeEntry, 'status'>[];
    const code = Number(status);
    responseCodes.set(
      code,
      rows.map((row) => ({ ...row, status: code })),
    );
  }

  cached = {
    sha256: file.sha256,
    document,
    path,
    method: 'post',
    serviceCode: String(operation['x-snap-service-code']),
    operation,
    responseCodes,
  };
  return cached;
}

/** The table row for a response code, if the table has one. */
export function responseCodeEntry(code: string): ResponseCodeEntry | undefined {
  const status = Number(code.slice(0, 3));
  return tokenSpec()
    .responseCodes.get(status)
    ?.find((entry) => entry.code === code);
}
