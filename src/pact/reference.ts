/**
 * The reference provider as a verification target: it holds whatever the contracts' provider
 * states ask for. The verifying client is registered with the public key that signs the replayed
 * requests; a state saying a client is not registered removes it; each pact's profile decides
 * the answer style.
 */
import type { KeyObject } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import { providerHandler } from '../provider/server.js';
import type { Profile } from '../types.js';
import type { StateHooks } from './verify.js';

export interface StatefulReference {
  url: string;
  states: StateHooks;
  close(): Promise<void>;
}

type Handler = (request: IncomingMessage, response: ServerResponse) => void;

/** Starts the reference provider on a free 127.0.0.1 port, driven by provider states. */
export async function startStatefulReference(options: {
  clientId: string;
  publicKey: KeyObject;
  profile: Profile;
}): Promise<StatefulReference> {
  const build = (profile: Profile, registered: boolean): Handler =>
    providerHandler({
      clients: registered ? [{ clientId: options.clientId, publicKeys: [options.publicKey] }] : [],
      profile,
    });
  let current = build(options.profile, true);

  const server = createServer((request, response) => current(request, response));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  const states: StateHooks = {
    setup(intent, profile) {
      // The verifier sends the verifying client's id for a registered client, so only a state
      // naming that very id as unregistered takes the registration away.
      const unregistered = intent?.kind === 'unregistered' && intent.clientId === options.clientId;
      current = build(profile, !unregistered);
    },
    teardown(profile) {
      current = build(profile, true);
    },
  };

  return {
    url: `http://127.0.0.1:${port}`,
    states,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
