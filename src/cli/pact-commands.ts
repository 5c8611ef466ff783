/**
 * The Pact commands: `verify-pact` (any base URL, or the reference provider, against pact files
 * or a Pact Broker), `lint-pact` (pact files against openapi.yaml) and `publish-pacts`.
 * Pact itself is loaded only by `verify-pact`, after PACT_DO_NOT_TRACK is set.
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';

import { Command, InvalidArgumentError, Option } from 'commander';

import { ExitCode, SnapcheckError, type ExitCodeValue } from '../errors.js';
import {
  describePublishRequest,
  publishRequest,
  sendPublishRequest,
  type PublishOptions,
} from '../pact/broker.js';
import { lintPacts } from '../pact/lint.js';
import { pactFiles } from '../pact/pact-file.js';
import { startStatefulReference } from '../pact/reference.js';
import { CONTRACT_CLIENT_ID } from '../pact/states.js';
import type { BrokerSource, VerifyOptions } from '../pact/verify.js';
import { reportHeader } from '../report/console.js';
import { specVersion, tool } from '../report/model.js';
import { shippedFile } from '../spec/files.js';
import { profiles, type Profile } from '../types.js';
import { parseBaseUrl, type Output } from './battery-command.js';
import { privateKeyFromFile } from './keys.js';
import { addReportOptions, startReporting, type ReportOptions } from './report-options.js';

export interface VerifyPactOptions extends ReportOptions {
  baseUrl?: string;
  clientId?: string;
  privateKey?: string;
  passphraseEnv?: string;
  profile: Profile;
  timeout: number;
  brokerUrl?: string;
  provider?: string;
  providerVersion?: string;
  branch?: string;
  publishResults?: boolean;
}

export interface LintPactOptions extends ReportOptions {
  profile: Profile;
  path?: string;
}

export interface PublishPactsOptions {
  brokerUrl: string;
  consumerVersion: string;
  branch?: string;
  tag: string[];
  dryRun?: boolean;
}

const BROKER_TOKEN_ENV = 'PACT_BROKER_TOKEN';

function brokerSource(options: VerifyPactOptions): BrokerSource | undefined {
  if (!options.brokerUrl) {
    if (options.publishResults) {
      throw new SnapcheckError(
        'ERR_PUBLISH_RESULTS',
        '--publish-results needs --broker-url: results can only be published for pacts ' +
          'fetched from a broker',
      );
    }
    return undefined;
  }
  parseBaseUrl(options.brokerUrl);
  if (!options.provider) {
    throw new SnapcheckError('ERR_BROKER_PROVIDER', '--broker-url needs --provider NAME');
  }
  if (options.publishResults && !options.providerVersion) {
    throw new SnapcheckError(
      'ERR_PROVIDER_VERSION',
      '--publish-results needs --provider-version (e.g. the git commit of the provider)',
    );
  }
  const token = process.env[BROKER_TOKEN_ENV];
  return {
    brokerUrl: options.brokerUrl,
    provider: options.provider,
    ...(token ? { token } : {}),
    ...(options.publishResults
      ? {
          publish: {
            providerVersion: options.providerVersion!,
            ...(options.branch ? { branch: options.branch } : {}),
          },
        }
      : {}),
  };
}

interface Target {
  baseUrl: string;
  clientId: string;
  privateKey: KeyObject;
  states?: VerifyOptions['states'];
  close(): Promise<void>;
}

/** The provider to verify: the given base URL, or the reference provider started here. */
async function verificationTarget(options: VerifyPactOptions, output: Output): Promise<Target> {
  if (options.baseUrl) {
    parseBaseUrl(options.baseUrl);
    if (!options.clientId || !options.privateKey) {
      throw new SnapcheckError(
        'ERR_VERIFY_CREDENTIALS',
        '--base-url needs --client-id and --private-key: every replayed request is re-signed',
      );
    }
    const key = privateKeyFromFile(options.privateKey, options.passphraseEnv, output);
    return {
      baseUrl: options.baseUrl.replace(/\/+$/, ''),
      clientId: options.clientId,
      privateKey: key.key,
      close: async () => undefined,
    };
  }

  const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const clientId = options.clientId ?? CONTRACT_CLIENT_ID;
  const reference = await startStatefulReference({
    clientId,
    publicKey: pair.publicKey,
    profile: options.profile,
  });
  output.out(`reference provider started at ${reference.url} with a fresh 2048-bit key pair\n`);
  return {
    baseUrl: reference.url,
    clientId,
    privateKey: pair.privateKey,
    states: reference.states,
    close: () => reference.close(),
  };
}

export async function verifyPactCommand(
  paths: string[],
  options: VerifyPactOptions,
  output: Output,
): Promise<ExitCodeValue> {
  const broker = brokerSource(options);
  const files = broker ? [] : pactFiles(paths.length > 0 ? paths : [shippedFile('contracts')]);
  const target = await verificationTarget(options, output);
  const reporting = startReporting(options, output);
  try {
    output.out(
      reportHeader({
        mode: 'pact-verify',
        tool,
        target: target.baseUrl,
        profile: options.profile,
        spec: specVersion(),
      }),
    );
    // Pact otherwise sends a usage event from this machine; snapcheck never lets it.
    process.env.PACT_DO_NOT_TRACK = 'true';
    const { verifyPacts } = await import('../pact/verify.js');
    const report = await verifyPacts({
      pactFiles: files,
      ...(broker ? { broker } : {}),
      baseUrl: target.baseUrl,
      clientId: target.clientId,
      privateKey: target.privateKey,
      profile: options.profile,
      timeoutMs: options.timeout,
      ...(target.states ? { states: target.states } : {}),
      onCase: reporting.onCase,
    });
    return reporting.finish(report);
  } finally {
    await target.close();
  }
}

export function lintPactCommand(
  paths: string[],
  options: LintPactOptions,
  output: Output,
): ExitCodeValue {
  const files = pactFiles(paths);
  output.out(
    reportHeader({
      mode: 'pact-lint',
      tool,
      target: files.join(', '),
      profile: options.profile,
      spec: specVersion(),
    }),
  );
  const reporting = startReporting(options, output);
  const report = lintPacts(files, {
    profile: options.profile,
    ...(options.path ? { path: options.path } : {}),
    onCase: reporting.onCase,
  });
  return reporting.finish(report);
}

export async function publishPactsCommand(
  paths: string[],
  options: PublishPactsOptions,
  output: Output,
): Promise<ExitCodeValue> {
  parseBaseUrl(options.brokerUrl);
  const token = process.env[BROKER_TOKEN_ENV];
  const settings: PublishOptions = {
    brokerUrl: options.brokerUrl,
    consumerVersion: options.consumerVersion,
    ...(options.branch ? { branch: options.branch } : {}),
    tags: options.tag,
    ...(token ? { token } : {}),
  };
  const request = publishRequest(pactFiles(paths), settings);
  if (options.dryRun) {
    for (const line of describePublishRequest(request)) output.out(line);
    output.out('dry run: nothing was sent');
    return ExitCode.conforming;
  }
  output.out(await sendPublishRequest(request));
  return ExitCode.conforming;
}

function positiveInteger(name: string): (value: string) => number {
  return (value) => {
    const parsed = Number(value);
    if (!Number.isInteger(parsed) || parsed <= 0) {
      throw new InvalidArgumentError(`${name} must be a positive whole number, got ${value}`);
    }
    return parsed;
  };
}

const profileOption = (): Option =>
  new Option('--profile <profile>', 'which source settles disagreements')
    .choices(profiles as Profile[])
    .default('doku');

/** Adds `verify-pact`, `lint-pact` and `publish-pacts`; `done` receives each exit code. */
export function addPactCommands(
  program: Command,
  output: Output,
  done: (code: ExitCodeValue) => void,
): void {
  const verify = program
    .command('verify-pact')
    .description('verify a provider against pact files (default: snapcheck contracts/)')
    .argument('[pacts...]', 'pact files or folders of them')
    .option('--base-url <url>', 'the provider (default: the reference provider, started here)')
    .option('--client-id <id>', 'X-CLIENT-KEY the provider knows; replaces the contract one')
    .option('--private-key <file>', 'the client private key that re-signs each request (PEM)')
    .option('--passphrase-env <var>', 'environment variable holding the key passphrase')
    .addOption(profileOption())
    .option('--timeout <ms>', 'per-request timeout in ms', positiveInteger('--timeout'), 5000)
    .option('--broker-url <url>', 'fetch the pacts from this Pact Broker instead of files')
    .option('--provider <name>', 'provider name at the broker')
    .option('--provider-version <version>', 'provider version the results are published for')
    .option('--branch <branch>', 'provider branch the results are published for')
    .option('--publish-results', 'publish the verification results to the broker');
  addReportOptions(verify).action(async (paths: string[], options: VerifyPactOptions) => {
    done(await verifyPactCommand(paths, options, output));
  });

  const lint = program
    .command('lint-pact')
    .description('judge pact files (V2, V3, V4) against openapi.yaml')
    .argument('<pacts...>', 'pact files or folders of them')
    .addOption(profileOption())
    .option('--path <path>', 'token path (other SNAP providers: /v1.0/access-token/b2b)');
  addReportOptions(lint).action((paths: string[], options: LintPactOptions) => {
    done(lintPactCommand(paths, options, output));
  });

  program
    .command('publish-pacts')
    .description(`publish pact files to a Pact Broker (token from $${BROKER_TOKEN_ENV})`)
    .argument('<pacts...>', 'pact files or folders of them')
    .requiredOption('--broker-url <url>', 'the Pact Broker or PactFlow base URL')
    .requiredOption('--consumer-version <version>', 'the consumer version, e.g. a git commit')
    .option('--branch <branch>', 'the consumer branch')
    .option(
      '--tag <tag>',
      'a consumer version tag (repeatable)',
      (v, all: string[]) => [...all, v],
      [],
    )
    .option('--dry-run', 'print the request instead of sending it')
    .action(async (paths: string[], options: PublishPactsOptions) => {
      done(await publishPactsCommand(paths, options, output));
    });
}
