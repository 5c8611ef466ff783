/** Header access by name, ignoring case as HTTP does (RFC 9110 §5.1). */
import type { HeaderBag } from '../types.js';

/** The value of a header, repeated values joined with `, `; undefined when absent. */
export function headerValue(headers: HeaderBag, name: string): string | undefined {
  const wanted = name.toLowerCase();
  const direct = headers[wanted];
  if (direct !== undefined) return Array.isArray(direct) ? direct.join(', ') : direct;

  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === wanted && value !== undefined) {
      return Array.isArray(value) ? value.join(', ') : value;
    }
  }
  return undefined;
}
