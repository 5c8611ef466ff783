/**
 * Locates the files snapcheck ships with (openapi.yaml, spec/). The same relative layout holds
 * for the TypeScript sources (src/spec) and the compiled output (dist/spec).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const packageRoot = fileURLToPath(new URL('../../', import.meta.url));

/** Absolute path of a file shipped at the package root, e.g. `spec/rules.yaml`. */
export function shippedFile(relative: string): string {
  return packageRoot + relative;
}

export interface ShippedText {
  path: string;
  text: string;
  sha256: string;
}

/** Reads a shipped file and hashes it, so reports can say which version of it judged. */
export function readShipped(relative: string): ShippedText {
  const path = shippedFile(relative);
  const text = readFileSync(path, 'utf8');
  const sha256 = createHash('sha256').update(text).digest('hex');
  return { path, text, sha256 };
}
