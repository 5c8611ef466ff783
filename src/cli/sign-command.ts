/**
 * `snapcheck sign`: the four token-request headers for a client id and key, or a curl command
 * line that sends them, so a merchant can reproduce a request outside their own code.
 */
import { SnapcheckError } from '../errors.js';
import { signToken } from '../signature/asymmetric.js';
import { tokenSpec } from '../spec/openapi.js';
import { formatTimestamp, parseTimestamp } from '../timestamp.js';
import { parseBaseUrl, tokenTarget, type Output } from './battery-command.js';
import { privateKeyFromFile } from './keys.js';

export interface SignOptions {
  clientId: string;
  privateKey: string;
  passphraseEnv?: string;
  timestamp?: string;
  curl?: string;
  path?: string;
}

/** POSIX single quoting: shell-quote's own quoting escapes `:` and reads badly in a URL. */
function singleQuoted(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

export function signCommand(options: SignOptions, output: Output): void {
  const key = privateKeyFromFile(options.privateKey, options.passphraseEnv, output);
  const timestamp = options.timestamp ?? formatTimestamp(new Date());
  const parsed = parseTimestamp(timestamp);
  if (!parsed.ok) {
    throw new SnapcheckError('ERR_TIMESTAMP', `--timestamp ${timestamp}: ${parsed.reason}`);
  }

  const headers: [string, string][] = [
    ['Content-Type', 'application/json'],
    ['X-TIMESTAMP', timestamp],
    ['X-CLIENT-KEY', options.clientId],
    ['X-SIGNATURE', signToken(key.key, options.clientId, timestamp)],
  ];
  if (options.curl === undefined) {
    for (const [name, value] of headers) output.out(`${name}: ${value}`);
    return;
  }

  // The same reading of a base URL as `snapcheck provider`: a path in it is a prefix.
  const target = tokenTarget(parseBaseUrl(options.curl), options.path ?? tokenSpec().path);
  const url = new URL(target.path, target.origin).href;
  const lines = [
    `curl -sS -X POST ${singleQuoted(url)}`,
    ...headers.map(([name, value]) => `  -H ${singleQuoted(`${name}: ${value}`)}`),
    `  -d ${singleQuoted('{"grantType":"client_credentials"}')}`,
  ];
  output.out(lines.join(' \\\n'));
}
