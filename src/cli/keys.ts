/**
 * Reading the keys a user names on the command line, with what was repaired or is doubtful
 * said on stderr, so a key that works here but fails elsewhere is explained.
 */
import { KeyError, SnapcheckError } from '../errors.js';
import type { RegisteredClient } from '../provider/server.js';
import { readPrivateKeyFile, readPublicKeyFile, type LoadedPrivateKey } from '../signature/keys.js';
import type { Output } from './battery-command.js';

/** The passphrase from the environment variable named by `--passphrase-env`. */
export function passphraseFrom(variable: string | undefined): string | undefined {
  if (variable === undefined) return undefined;
  const value = process.env[variable];
  if (value === undefined || value === '') {
    throw new SnapcheckError(
      'ERR_PASSPHRASE_ENV',
      `environment variable ${variable} (from --passphrase-env) is ` +
        (value === '' ? 'empty' : 'not set'),
    );
  }
  return value;
}

export function privateKeyFromFile(
  path: string,
  passphraseEnv: string | undefined,
  output: Output,
): LoadedPrivateKey {
  const passphrase = passphraseFrom(passphraseEnv);
  const key = readWithPassphrase(path, passphrase, output);
  for (const repair of key.repairs)
    output.err(`snapcheck: private key repaired: ${repair.message}`);
  for (const warning of key.warnings) output.err(`snapcheck: warning: ${warning}`);
  if (key.format === 'pkcs1') {
    output.err(
      'snapcheck: note: this is a PKCS#1 key (BEGIN RSA PRIVATE KEY); snapcheck reads it, but ' +
        'SDKs that expect PKCS#8 do not: `openssl pkcs8 -topk8 -nocrypt -in KEY -out KEY8`',
    );
  }
  return key;
}

/**
 * Reads the key; names --passphrase-env when one is needed, and forgives the trailing newline
 * that `export VAR=$(cat file)` habits leave in a passphrase, saying so.
 */
function readWithPassphrase(
  path: string,
  passphrase: string | undefined,
  output: Output,
): LoadedPrivateKey {
  try {
    return readPrivateKeyFile(path, passphrase === undefined ? {} : { passphrase });
  } catch (error) {
    const code = (error as KeyError).code;
    if (code === 'ERR_KEY_PASSPHRASE_REQUIRED') {
      const message = (error as Error).message.replace(
        'give its passphrase',
        'give its passphrase with --passphrase-env VAR',
      );
      throw new KeyError(code, message);
    }
    const trimmed = passphrase?.trim();
    if (code !== 'ERR_KEY_BAD_PASSPHRASE' || !trimmed || trimmed === passphrase) throw error;
    const key = readPrivateKeyFile(path, { passphrase: trimmed });
    output.err('snapcheck: warning: the passphrase had whitespace around it; used it trimmed');
    return key;
  }
}

/** `ID=FILE` pairs and an optional `--client-id`/`--public-key` pair, merged by client id. */
export function clientsFrom(
  pairs: string[],
  single: { clientId?: string; publicKey?: string },
  output: Output,
): RegisteredClient[] {
  const specs = [...pairs];
  if (single.clientId !== undefined || single.publicKey !== undefined) {
    if (single.clientId === undefined || single.publicKey === undefined) {
      throw new SnapcheckError(
        'ERR_CLIENT_SPEC',
        '--client-id and --public-key go together (or use --client ID=PUBLIC_KEY_FILE)',
      );
    }
    specs.unshift(`${single.clientId}=${single.publicKey}`);
  }

  const clients = new Map<string, RegisteredClient>();
  for (const spec of specs) {
    const at = spec.indexOf('=');
    if (at <= 0 || at === spec.length - 1) {
      throw new SnapcheckError(
        'ERR_CLIENT_SPEC',
        `--client ${spec}: expected CLIENT_ID=PUBLIC_KEY_FILE, e.g. MCH-0008-1=./client-public.pem`,
      );
    }
    const clientId = spec.slice(0, at);
    const key = readPublicKeyFile(spec.slice(at + 1));
    for (const repair of key.repairs) {
      output.err(`snapcheck: public key of ${clientId} repaired: ${repair.message}`);
    }
    for (const warning of key.warnings) output.err(`snapcheck: warning (${clientId}): ${warning}`);
    const client = clients.get(clientId) ?? { clientId, publicKeys: [] };
    client.publicKeys.push(key.key);
    clients.set(clientId, client);
  }
  return [...clients.values()];
}
