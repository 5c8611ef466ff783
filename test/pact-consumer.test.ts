/**
 * Consumer contract tests: the reference token client against Pact's mock server, one pact per
 * profile. The pacts are written to a fresh folder and compared with the committed ones in
 * contracts/; `npm run contracts` (SNAPCHECK_UPDATE_CONTRACTS=1) copies them over instead.
 */
import { strict as assert } from 'node:assert';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { MatchersV3, PactV4 } from '@pact-foundation/pact';

import { SnapTokenError } from '../src/client/errors.js';
import {
  createTokenClient,
  DEFAULT_TOLERATED,
  readTokenAnswer,
} from '../src/client/token-client.js';
import { createTransport } from '../src/client/transport.js';
import {
  CONSUMER_NAME,
  contractFileName,
  EXAMPLE_REQUEST_TIMESTAMP,
  EXAMPLE_RESPONSE_TIMESTAMP,
  JSON_CONTENT_TYPE_PATTERN,
  MALFORMED_TIMESTAMP,
  providerName,
  SIGNATURE_2048_PATTERN,
} from '../src/pact/contract.js';
import {
  CONTRACT_CLIENT_ID,
  stateName,
  UNREGISTERED_CLIENT_ID,
  type StateIntent,
} from '../src/pact/states.js';
import { signToken } from '../src/signature/asymmetric.js';
import { readPrivateKeyFile } from '../src/signature/keys.js';
import { tokenSpec } from '../src/spec/openapi.js';
import type { Profile, TokenRequestHeaders } from '../src/types.js';

const { integer, regex, string } = MatchersV3;

const PATH = '/authorization/v1/access-token/b2b';
const CONTRACTS = new URL('../contracts/', import.meta.url).pathname;
const UPDATE = process.env.SNAPCHECK_UPDATE_CONTRACTS === '1';
const EXAMPLE_TOKEN =
  'eyJhbGciOiJSUzI1NiJ9.eyJleHAiOjE2NjUxMjc3OTEsIm5iZiI6MTY2NTEyNjg5MSwiaXNzIjoiRE9LVSIsImlhdCI6';

const key = readPrivateKeyFile('test/fixtures/keys/client-pkcs8.pem').key;
const timestampPattern = (
  (tokenSpec().document.components as Record<string, Record<string, { pattern: string }>>).schemas!
    .Timestamp as { pattern: string }
).pattern;

/** Request headers as the contract states them: fixed where fixed, matchers where they vary. */
function requestHeaders(clientId: string, omit?: string, timestamp?: string) {
  const headers: Record<string, unknown> = {
    'Content-Type': 'application/json',
    'X-TIMESTAMP': timestamp ?? regex(timestampPattern, EXAMPLE_REQUEST_TIMESTAMP),
    'X-CLIENT-KEY': clientId,
    'X-SIGNATURE': regex(
      SIGNATURE_2048_PATTERN,
      signToken(key, clientId, timestamp ?? EXAMPLE_REQUEST_TIMESTAMP),
    ),
  };
  if (omit) delete headers[omit];
  return headers as Record<string, string>;
}

function errorBody(responseCode: string, messagePattern: string, message: string) {
  return { responseCode, responseMessage: regex(messagePattern, message) };
}

function expiresIn(profile: Profile): unknown {
  return profile === 'doku' ? integer(900) : regex('^[0-9]+$', '900');
}

const registered: StateIntent = { kind: 'registered', clientId: CONTRACT_CLIENT_ID };

function given(intent: StateIntent): [string, { clientId: string }] {
  return [stateName(intent), { clientId: intent.clientId }];
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  assert.fail('expected the promise to reject');
}

function snapError(error: unknown): [number, string, string] {
  assert.ok(error instanceof SnapTokenError, String(error));
  return [error.status, error.responseCode, error.responseMessage];
}

/** Sends a hand-made request (one the reference client would never send) and reads the answer. */
async function sendRaw(baseUrl: string, headers: Record<string, string>, profile: Profile) {
  const transport = createTransport({
    baseUrl,
    path: PATH,
    timeoutMs: 5000,
    maxResponseBytes: 1 << 16,
  });
  const exchange = await transport(headers as unknown as TokenRequestHeaders, {
    grantType: 'client_credentials',
  });
  return readTokenAnswer(exchange, {
    profile,
    now: Date.now(),
    tolerate: new Set(DEFAULT_TOLERATED),
  });
}

/** The pact minus its metadata (tool versions), which a client change never touches. */
function contractContent(file: string): unknown {
  const pact = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  delete pact.metadata;
  return pact;
}

function interactionsOf(content: unknown): Map<string, string> {
  const list = (content as { interactions: { description: string }[] }).interactions;
  return new Map(list.map((i) => [i.description, JSON.stringify(i)]));
}

function describeDrift(generated: unknown, committed: unknown): string {
  const now = interactionsOf(generated);
  const before = interactionsOf(committed);
  const lines: string[] = [];
  for (const [name, text] of now) {
    if (!before.has(name)) lines.push(`added: ${name}`);
    else if (before.get(name) !== text) lines.push(`changed: ${name}`);
  }
  for (const name of before.keys()) if (!now.has(name)) lines.push(`removed: ${name}`);
  return lines.length > 0 ? lines.join('; ') : 'consumer or provider name changed';
}

for (const profile of ['doku', 'snap'] as const) {
  describe(`consumer contract with a ${profile}-style provider (PactV4)`, function () {
    this.timeout(30_000);
    const dir = mkdtempSync(join(tmpdir(), 'snapcheck-pact-'));
    const pact = new PactV4({
      consumer: CONSUMER_NAME,
      provider: providerName(profile),
      dir,
      host: '127.0.0.1',
      logLevel: 'error',
    });

    after(() => rmSync(dir, { recursive: true, force: true }));

    it('gets a token for a signed request', async () => {
      await pact
        .addInteraction()
        .given(...given(registered))
        .uponReceiving('a signed token request from a registered client')
        .withRequest('POST', PATH, (request) => {
          request
            .headers(requestHeaders(CONTRACT_CLIENT_ID))
            .jsonBody({ grantType: 'client_credentials' });
        })
        .willRespondWith(200, (response) => {
          response
            .headers({
              'Content-Type': regex(JSON_CONTENT_TYPE_PATTERN, 'application/json'),
              'X-TIMESTAMP': regex(timestampPattern, EXAMPLE_RESPONSE_TIMESTAMP),
              'X-CLIENT-KEY': regex('^[!-~]+$', CONTRACT_CLIENT_ID),
            } as unknown as Record<string, string>)
            .jsonBody({
              responseCode: '2007300',
              responseMessage: 'Successful',
              accessToken: string(EXAMPLE_TOKEN),
              tokenType: 'Bearer',
              expiresIn: expiresIn(profile),
            });
        })
        .executeTest(async (server) => {
          const tokens = createTokenClient({
            baseUrl: server.url,
            clientId: CONTRACT_CLIENT_ID,
            privateKey: key,
            profile,
          });
          const token = await tokens.getToken();
          assert.deepEqual(
            [token.accessToken, token.tokenType, token.expiresInSeconds, token.responseCode],
            [EXAMPLE_TOKEN, 'Bearer', 900, '2007300'],
          );
        });
    });

    it('gets 401 4017300 for an unknown client', async () => {
      await pact
        .addInteraction()
        .given(...given({ kind: 'unregistered', clientId: UNREGISTERED_CLIENT_ID }))
        .uponReceiving('a token request from an unknown client')
        .withRequest('POST', PATH, (request) => {
          request
            .headers(requestHeaders(UNREGISTERED_CLIENT_ID))
            .jsonBody({ grantType: 'client_credentials' });
        })
        .willRespondWith(401, (response) => {
          response
            .headers({ 'Content-Type': 'application/json' })
            .jsonBody(
              errorBody('4017300', '^Unauthorized\\.\\s*\\S.*$', 'Unauthorized. Unknown Client'),
            );
        })
        .executeTest(async (server) => {
          const tokens = createTokenClient({
            baseUrl: server.url,
            clientId: UNREGISTERED_CLIENT_ID,
            privateKey: key,
            profile,
          });
          assert.deepEqual(snapError(await rejection(tokens.getToken())), [
            401,
            '4017300',
            'Unauthorized. Unknown Client',
          ]);
        });
    });

    it('gets 401 4017300 for a signature the provider cannot verify', async () => {
      await pact
        .addInteraction()
        .given(...given({ kind: 'other-key', clientId: CONTRACT_CLIENT_ID }))
        .uponReceiving('a token request signed with a key the provider does not hold')
        .withRequest('POST', PATH, (request) => {
          request
            .headers(requestHeaders(CONTRACT_CLIENT_ID))
            .jsonBody({ grantType: 'client_credentials' });
        })
        .willRespondWith(401, (response) => {
          response
            .headers({ 'Content-Type': 'application/json' })
            .jsonBody(
              errorBody('4017300', '^Unauthorized\\.\\s*\\S.*$', 'Unauthorized. Signature'),
            );
        })
        .executeTest(async (server) => {
          const tokens = createTokenClient({
            baseUrl: server.url,
            clientId: CONTRACT_CLIENT_ID,
            privateKey: key,
            profile,
          });
          assert.deepEqual(snapError(await rejection(tokens.getToken())), [
            401,
            '4017300',
            'Unauthorized. Signature',
          ]);
        });
    });

    it('gets 400 4007302 when X-SIGNATURE is missing', async () => {
      await pact
        .addInteraction()
        .given(...given(registered))
        .uponReceiving('a token request without X-SIGNATURE')
        .withRequest('POST', PATH, (request) => {
          request
            .headers(requestHeaders(CONTRACT_CLIENT_ID, 'X-SIGNATURE'))
            .jsonBody({ grantType: 'client_credentials' });
        })
        .willRespondWith(400, (response) => {
          response
            .headers({ 'Content-Type': 'application/json' })
            .jsonBody(
              errorBody(
                '4007302',
                '^Invalid Mandatory Field.*X-SIGNATURE.*$',
                'Invalid Mandatory Field [X-SIGNATURE]',
              ),
            );
        })
        .executeTest(async (server) => {
          const headers = {
            'Content-Type': 'application/json',
            'X-TIMESTAMP': new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
            'X-CLIENT-KEY': CONTRACT_CLIENT_ID,
          };
          assert.deepEqual(snapError(await rejection(sendRaw(server.url, headers, profile))), [
            400,
            '4007302',
            'Invalid Mandatory Field [X-SIGNATURE]',
          ]);
        });
    });

    it('gets 400 4007301 for an X-TIMESTAMP that is not ISO-8601', async () => {
      await pact
        .addInteraction()
        .given(...given(registered))
        .uponReceiving('a token request whose X-TIMESTAMP is not ISO-8601')
        .withRequest('POST', PATH, (request) => {
          request
            .headers(requestHeaders(CONTRACT_CLIENT_ID, undefined, MALFORMED_TIMESTAMP))
            .jsonBody({ grantType: 'client_credentials' });
        })
        .willRespondWith(400, (response) => {
          response
            .headers({ 'Content-Type': 'application/json' })
            .jsonBody(
              errorBody(
                '4007301',
                '^Invalid Field Format.*X-TIMESTAMP.*$',
                'Invalid Field Format [X-TIMESTAMP]',
              ),
            );
        })
        .executeTest(async (server) => {
          const headers = {
            'Content-Type': 'application/json',
            'X-TIMESTAMP': MALFORMED_TIMESTAMP,
            'X-CLIENT-KEY': CONTRACT_CLIENT_ID,
            'X-SIGNATURE': signToken(key, CONTRACT_CLIENT_ID, MALFORMED_TIMESTAMP),
          };
          assert.deepEqual(snapError(await rejection(sendRaw(server.url, headers, profile))), [
            400,
            '4007301',
            'Invalid Field Format [X-TIMESTAMP]',
          ]);
        });
    });

    it(`writes the pact identical to contracts/${contractFileName(profile)}`, () => {
      const generated = join(dir, contractFileName(profile));
      const committed = join(CONTRACTS, contractFileName(profile));
      if (UPDATE) {
        copyFileSync(generated, committed);
        return;
      }
      const now = contractContent(generated);
      let before: unknown;
      try {
        before = contractContent(committed);
      } catch {
        assert.fail(`${committed} is missing: run npm run contracts and commit it`);
      }
      assert.deepEqual(
        now,
        before,
        `the client's contract changed (${describeDrift(now, before)}): ` +
          'run npm run contracts, review git diff contracts/ and commit it',
      );
    });
  });
}
