/**
 * `snapcheck mock`: the reference provider on its own, until interrupted. Clients come from
 * `--client ID=PUBLIC_KEY_FILE`; with none, a demo client and key pair are made and the private
 * key is written to a 0600 file so a client under development can sign with it.
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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

interface DemoClient {
  client: RegisteredClient;
  privateKeyPem: string;
}

function demoClient(): DemoClient {
  const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    client: { clientId: 'MCH-DEMO-0001', publicKeys: [pair.publicKey] },
    privateKeyPem: pair.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
  };
}

/** Writes the demo private key to a fresh 0600 file; returns its folder, removed on close. */
function writeDemoKey(demo: DemoClient, output: Output): string {
  let folder: string;
  try {
    folder = mkdtempSync(join(tmpdir(), 'snapcheck-mock-'));
    writeFileSync(join(folder, 'demo-client-private.pem'), demo.privateKeyPem, { mode: 0o600 });
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new SnapcheckError(
      'ERR_DEMO_KEY',
      `cannot write the demo client's key under ${tmpdir()} (${reason}): set TMPDIR, or ` +
        'register your own client with --client ID=PUBLIC_KEY_FILE',
    );
  }
  output.out(`no --client given: registered demo client ${demo.client.clientId}`);
  output.out(
    `its private key (throwaway, mode 0600, removed on exit): ` +
      join(folder, 'demo-client-private.pem'),
  );
  return folder;
}

export async function mockCommand(options: MockOptions, output: Output): Promise<RunningProvider> {
  const demo = options.client.length > 0 ? undefined : demoClient();
  const clients = demo ? [demo.client] : clientsFrom(options.client, {}, output);
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

  let folder: string | undefined;
  try {
    folder = demo ? writeDemoKey(demo, output) : undefined;
  } catch (error) {
    await provider.close();
    throw error;
  }
  output.out(`reference provider (${options.profile} style) listening on ${provider.url}`);
  output.out(
    `token endpoint: POST ${provider.url}${options.path ?? '/authorization/v1/access-token/b2b'}`,
  );
  output.out(`clients: ${clients.map((c) => c.clientId).join(', ')} · Ctrl-C to stop`);
  return {
    ...provider,
    close: async () => {
      await provider.close();
      if (folder) rmSync(folder, { recursive: true, force: true });
    },
  };
}
