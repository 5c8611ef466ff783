/**
 * Redaction for every report format. Access tokens and signatures are shortened to a prefix
 * and their length (`eyJhbGciOi…[1024 chars]`) unless the user asks to see them; private keys
 * and known passphrases are removed whatever the user asks, since no report needs them.
 *
 * The engine already shortens secrets in the findings it writes. This module is the second
 * line: it learns each secret from the exchanges (header values, JSON fields) and then removes
 * every copy, or long prefix of one, from every string a report holds, so that a secret quoted
 * by accident (a truncated body shown as a finding's actual value, a diagnosis) does not leak.
 */
import { redact } from '../engine/render.js';
import type { Exchange, HeaderBag } from '../types.js';

export interface RedactionPolicy {
  /** Show tokens and signatures in full (`--show-secrets`). */
  showSecrets: boolean;
  /** Values never to show, whatever `showSecrets` says: a key's passphrase, for instance. */
  neverShow?: readonly string[];
}

/** Headers whose whole value is a credential. */
const SECRET_HEADERS = new Set([
  'x-signature',
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'x-client-secret',
]);

/** JSON fields, compared without case, that hold a credential. */
const SECRET_FIELDS = new Set([
  'accesstoken',
  'access_token',
  'refreshtoken',
  'refresh_token',
  'idtoken',
  'id_token',
  'clientsecret',
  'client_secret',
  'password',
  'signature',
]);

/**
 * The same fields in text that is not (or no longer, once cut) valid JSON. A value ends at its
 * quote, or where a cut text ends; credentials hold no whitespace, so it ends there too (but a
 * value already shortened, `abc…[64 chars]`, is taken whole, to be left alone).
 */
const SECRET_FIELD_TEXT = new RegExp(
  `"(${[...SECRET_FIELDS].join('|')})"\\s*:\\s*"([^"\\\\\\s]*(?: chars\\])?)`,
  'gi',
);

const PRIVATE_KEY_BLOCK =
  /-----BEGIN ((?:[A-Z0-9]+ )*)PRIVATE KEY-----[\s\S]*?(?:-----END \1PRIVATE KEY-----|$)/g;
/** What `redact` leaves: a value in this form is not shortened again. */
const REDACTED = /…\[\d+ chars\]$/;
export const PRIVATE_KEY_REMOVED = '[private key removed]';
export const SECRET_REMOVED = '[secret removed]';

/**
 * A secret shorter than this is redacted where it stands (its header or field) but not searched
 * for elsewhere: a short string would match innocent text.
 */
const MIN_SEARCHED = 12;
/** Shorter never-show values are not searched for either, for the same reason. */
const MIN_NEVER_SHOWN = 4;
/** `redact` keeps 10 characters: a copy counts as leaked once one more matches. */
const KEPT_PREFIX = 10;

export class Redactor {
  private readonly secrets = new Set<string>();
  private privateKeys = 0;

  constructor(readonly policy: RedactionPolicy) {}

  /** How many distinct tokens and signatures were shortened. */
  get shortened(): number {
    return this.policy.showSecrets ? 0 : this.secrets.size;
  }

  /** How many private key blocks were removed. */
  get privateKeysRemoved(): number {
    return this.privateKeys;
  }

  /** Learns every secret an exchange carries, before any text of the report is scrubbed. */
  learnExchange(exchange: Exchange): void {
    this.learnHeaders(exchange.request.headers);
    this.learnBody(exchange.request.body.toString('utf8'));
    if (exchange.response) {
      this.learnHeaders(exchange.response.headers);
      this.learnBody(exchange.response.body.toString('utf8'));
    }
  }

  private learnHeaders(headers: HeaderBag): void {
    for (const [name, value] of Object.entries(headers)) {
      if (value === undefined || !SECRET_HEADERS.has(name.toLowerCase())) continue;
      for (const one of Array.isArray(value) ? value : [value]) this.learn(one);
    }
  }

  private learnBody(text: string): void {
    for (const match of text.matchAll(SECRET_FIELD_TEXT)) this.learn(match[2] ?? '');
    try {
      this.learnJson(JSON.parse(text));
    } catch {
      // Not JSON: the pattern above found what can be found.
    }
  }

  private learnJson(value: unknown, depth = 0): void {
    if (value === null || typeof value !== 'object' || depth > 32) return;
    for (const [key, inner] of Object.entries(value)) {
      if (typeof inner === 'string' && SECRET_FIELDS.has(key.toLowerCase())) this.learn(inner);
      else this.learnJson(inner, depth + 1);
    }
  }

  private learn(value: string): void {
    // A Bearer credential: the token is the secret, the scheme is not.
    const secret = value.replace(/^Bearer\s+/i, '').trim();
    if (secret.length > 0) this.secrets.add(secret);
  }

  /**
   * A header value as a report shows it. A credential header is shortened where it stands,
   * however short it is; `scrub` still runs over the result.
   */
  header(name: string, value: string): string {
    if (this.policy.showSecrets || !SECRET_HEADERS.has(name.toLowerCase())) return value;
    const bearer = /^(Bearer\s+)(.*)$/i.exec(value);
    return bearer ? `${bearer[1]}${redact(bearer[2] ?? '')}` : redact(value);
  }

  /**
   * Any text a report holds, with every learned secret shortened and every key removed.
   * Idempotent: text scrubbed once passes unchanged, so a report may scrub all its strings at
   * the end without shortening a shortened value again.
   */
  scrub(text: string): string {
    let out = text.replace(PRIVATE_KEY_BLOCK, () => {
      this.privateKeys += 1;
      return PRIVATE_KEY_REMOVED;
    });
    for (const value of this.policy.neverShow ?? []) {
      if (value.length >= MIN_NEVER_SHOWN) out = out.split(value).join(SECRET_REMOVED);
    }
    if (this.policy.showSecrets) return out;

    // Known secrets first, so that a cut copy still shows the secret's whole length; longest
    // first, so that a secret containing another is shortened as a whole.
    const longestFirst = [...this.secrets].sort((a, b) => b.length - a.length);
    for (const secret of longestFirst) {
      if (secret.length >= MIN_SEARCHED) out = shortenCopies(out, secret);
    }
    return out.replace(SECRET_FIELD_TEXT, (whole, _name: string, secret: string) =>
      secret.length === 0 || REDACTED.test(secret)
        ? whole
        : whole.slice(0, whole.length - secret.length) + redact(secret),
    );
  }
}

/** Replaces each copy of `secret` in `text`, or of a prefix longer than the kept one. */
function shortenCopies(text: string, secret: string): string {
  const head = secret.slice(0, KEPT_PREFIX + 1);
  const shown = redact(secret);
  let out = '';
  let from = 0;
  for (let at = text.indexOf(head); at >= 0; at = text.indexOf(head, from)) {
    let length = head.length;
    while (length < secret.length && text[at + length] === secret[length]) length += 1;
    out += text.slice(from, at) + shown;
    from = at + length;
  }
  return out + text.slice(from);
}
