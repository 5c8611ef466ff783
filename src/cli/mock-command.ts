/**
 * `snapcheck mock`: the reference provider on its own, until interrupted. Clients come from
 * `--client ID=PUBLIC_KEY_FILE`; with none, a demo client and key pair are made and the private
 * key is written to a 0600 file so a client under development can sign with it.
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { SnapcheckError } from '../errors.js';
import { startProvider, type RegisteredClient, type RunningProvider } from '../provider/server.js';
import type { Profile } from '../types.js';
import type { Output } from './battery-command.js';
import { clientsFrom } from './keys.js';

export interface MockOptions {
  port: number;
  host: string;
  client: string[];
  profile: Profile;
  path?: string;
  window: number;
}

function demoClient(output: Output): RegisteredClient {
  const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const folder = mkdtempSync(join(tmpdir(), 'snapcheck-mock-'));
  const keyPath = join(folder, 'demo-client-private.pem');
  writeFileSync(keyPath, pair.privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  output.out(`no --client given: registered demo client MCH-DEMO-0001`);
  output.out(`its private key (throwaway, mode 0600): ${keyPath}`);
  return { clientId: 'MCH-DEMO-0001', publicKeys: [pair.publicKey] };
}

export async function mockCommand(options: MockOptions, output: Output): Promise<RunningProvider> {
  const clients =
    options.client.length > 0 ? clientsFrom(options.client, {}, output) : [demoClient(output)];
  const provider = await startProvider({
    clients,
    profile: options.profile,
    port: options.port,
    host: options.host,
    windowMs: options.window * 1000,
    ...(options.path ? { path: options.path } : {}),
  }).catch((error: NodeJS.ErrnoException) => {
    throw new SnapcheckError(
      'ERR_LISTEN',
      `cannot listen on ${options.host}:${options.port} (${error.code ?? error.message})`,
    );
  });
  output.out(`reference provider (${options.profile} style) listening on ${provider.url}`);
  output.out(
    `token endpoint: POST ${provider.url}${options.path ?? '/authorization/v1/access-token/b2b'}`,
  );
  output.out(`clients: ${clients.map((c) => c.clientId).join(', ')} · Ctrl-C to stop`);
  return provider;
}
