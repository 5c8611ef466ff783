/**
 * Renders message values into findings: short, one line, and with secrets shortened to a
 * recognisable prefix and their length.
 */

const SECRET_LOCATIONS = /(accessToken|X-SIGNATURE)$/i;
const MAX_SHOWN = 80;

/** `eyJhbGciOi…[1024 chars]`: enough to recognise a secret, not enough to use it. */
export function redact(secret: string): string {
  if (secret.length <= 12) return `…[${secret.length} chars]`;
  return `${secret.slice(0, 10)}…[${secret.length} chars]`;
}

/** A value as a finding shows it: JSON-ish, shortened, secrets redacted by location. */
export function show(value: unknown, location = ''): string {
  if (value === undefined) return '(absent)';
  if (typeof value === 'string' && SECRET_LOCATIONS.test(location)) return redact(value);

  const text = serialise(value);
  return text.length > MAX_SHOWN ? `${text.slice(0, MAX_SHOWN)}…[${text.length} chars]` : text;
}

/**
 * JSON text of a value from a message. A body nested thousands deep parses (V8's JSON.parse is
 * iterative) but overflows the stack of JSON.stringify, and a finding must never throw.
 */
function serialise(value: unknown): string {
  try {
    return JSON.stringify(value) ?? '';
  } catch {
    return Array.isArray(value) ? '[…nested too deep to show]' : '{…nested too deep to show}';
  }
}
