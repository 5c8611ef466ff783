/**
 * Publishing pact files to a Pact Broker (or PactFlow) through the broker's "publish contracts"
 * resource: one POST carrying every pact of one consumer version, base64-encoded. The request is
 * built separately from sending it, so `--dry-run` and tests can see exactly what would leave.
 */
import { readFileSync } from 'node:fs';

import { ExitCode, SnapcheckError } from '../errors.js';
import { readPact } from './pact-file.js';

export interface PublishOptions {
  brokerUrl: string;
  consumerVersion: string;
  branch?: string;
  tags?: readonly string[];
  /** A bearer token (PACT_BROKER_TOKEN); never taken from the command line. */
  token?: string;
  timeoutMs?: number;
}

export interface PublishRequest {
  url: string;
  headers: Record<string, string>;
  body: {
    pacticipantName: string;
    pacticipantVersionNumber: string;
    branch?: string;
    tags?: string[];
    contracts: {
      consumerName: string;
      providerName: string;
      specification: 'pact';
      contentType: 'application/json';
      content: string;
    }[];
  };
}

/** The request that publishes `files`; all of them must belong to one consumer. */
export function publishRequest(files: readonly string[], options: PublishOptions): PublishRequest {
  const pacts = files.map((file) => ({ pact: readPact(file), text: readFileSync(file) }));
  const consumers = [...new Set(pacts.map(({ pact }) => pact.consumer))];
  if (consumers.length !== 1) {
    throw new SnapcheckError(
      'ERR_PUBLISH_CONSUMERS',
      `pacts of ${consumers.length} consumers (${consumers.join(', ')}): publish one ` +
        'consumer at a time',
    );
  }
  const url = new URL('contracts/publish', options.brokerUrl.replace(/\/*$/, '/')).toString();
  return {
    url,
    headers: {
      'Content-Type': 'application/json',
      Accept: 'application/hal+json',
      ...(options.token ? { Authorization: `Bearer ${options.token}` } : {}),
    },
    body: {
      pacticipantName: consumers[0]!,
      pacticipantVersionNumber: options.consumerVersion,
      ...(options.branch ? { branch: options.branch } : {}),
      ...(options.tags && options.tags.length > 0 ? { tags: [...options.tags] } : {}),
      contracts: pacts.map(({ pact, text }) => ({
        consumerName: pact.consumer,
        providerName: pact.provider,
        specification: 'pact',
        contentType: 'application/json',
        content: text.toString('base64'),
      })),
    },
  };
}

/** What `--dry-run` prints: the request without the token or the pact contents. */
export function describePublishRequest(request: PublishRequest): string[] {
  const lines = [`POST ${request.url}`];
  for (const [name, value] of Object.entries(request.headers)) {
    lines.push(`${name}: ${name === 'Authorization' ? 'Bearer …[redacted]' : value}`);
  }
  const { body } = request;
  lines.push(`consumer ${body.pacticipantName} version ${body.pacticipantVersionNumber}`);
  if (body.branch) lines.push(`branch ${body.branch}`);
  if (body.tags) lines.push(`tags ${body.tags.join(', ')}`);
  for (const contract of body.contracts) {
    const bytes = Buffer.from(contract.content, 'base64').length;
    lines.push(`pact ${contract.consumerName} → ${contract.providerName} (${bytes} bytes)`);
  }
  return lines;
}

/** Sends the request; a refusal or an unreachable broker is a SnapcheckError (exit 1 or 3). */
export async function sendPublishRequest(
  request: PublishRequest,
  timeoutMs = 10_000,
): Promise<string> {
  let response: Response;
  try {
    response = await fetch(request.url, {
      method: 'POST',
      headers: request.headers,
      body: JSON.stringify(request.body),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).name;
    throw new SnapcheckError(
      'ERR_BROKER_UNREACHABLE',
      `cannot reach the Pact Broker at ${request.url} (${cause})`,
      ExitCode.unreachable,
    );
  }
  const text = await response.text();
  if (!response.ok) {
    throw new SnapcheckError(
      'ERR_BROKER_REFUSED',
      `the Pact Broker refused the pacts: HTTP ${response.status} ${text.slice(0, 200)}`,
      ExitCode.notConforming,
    );
  }
  return `published ${request.body.contracts.length} pact(s) to ${request.url}`;
}
