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
 * A run of characters a credential is written in (base64, base64url, hex, a JWT's dots), long
 * enough to be one. `/` belongs to standard base64, so a token may hold it; see `isCredential`.
 */
const TOKEN_RUN = /[A-Za-z0-9+/=_.~-]{16,}/g;

/**
 * Whether a run of token characters looks like a credential rather than a word or a path:
 * long, or mixing letters and digits. A run with `/` in lower case only is a path
 * (`/authorization/v1/access-token/b2b`); random base64 that long always has capitals.
 */
function isCredential(run: string): boolean {
  if (run.includes('/') && /^[a-z0-9._~/-]+$/.test(run)) return false;
  return run.length >= 32 || (/[0-9]/.test(run) && /[A-Za-z]/.test(run));
}

/**
 * A body that is not JSON as a finding quotes it: a plain-text error that names the token
 * (`Unauthorized 3q2+7w…`), a token answer cut short. With no field names to say where the
 * secret is, every credential-like run is shortened as `redact` does, then the text is cut
 * as `show` cuts it: a finding never carries more of a token than `prefix…[N chars]`.
 */
export function showText(text: string): string {
  return show(text.replace(TOKEN_RUN, (run) => (isCredential(run) ? redact(run) : run)));
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
