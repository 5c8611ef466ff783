/**
 * The snapcheck command line. Every failure the user can fix ends in one line on stderr and a
 * distinct exit code (README "Exit codes"); nothing here prints a stack trace.
 */
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';

import { ExitCode, SnapcheckError, type ExitCodeValue } from '../errors.js';
import { profiles, type Profile } from '../types.js';
import { toolVersion } from '../version.js';
import { mainJob, providerCommand, type Output } from './battery-command.js';
import { clientCommand } from './client-command.js';
import { doctorCommand } from './doctor-command.js';
import { mockCommand } from './mock-command.js';
import { addPactCommands } from './pact-commands.js';
import { addReportOptions } from './report-options.js';
import { renderRules } from './rules-command.js';
import { signCommand } from './sign-command.js';

const output: Output = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

function positiveInteger(name: string): (value: string) => number {
  return (value) => {
    const parsed = Number(value);
    if (!Number.isInteger(parsed) || parsed < 0) {
      throw new InvalidArgumentError(`${name} must be a whole number, got ${value}`);
    }
    return parsed;
  };
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

const profileOption = (): Option =>
  new Option('--profile <profile>', 'which source settles disagreements')
    .choices(profiles as Profile[])
    .default('doku');

const batteryOptions = (command: Command): Command =>
  addReportOptions(command)
    .addOption(profileOption())
    .option('--path <path>', 'token path (other SNAP providers: /v1.0/access-token/b2b)')
    .option('--timeout <ms>', 'per-request timeout in ms', positiveInteger('--timeout'), 5000)
    .option('--window <seconds>', 'accepted X-TIMESTAMP skew', positiveInteger('--window'), 300);

let exitCode: ExitCodeValue = ExitCode.conforming;

function buildProgram(): Command {
  const program = new Command('snapcheck')
    .description(
      'Conformance checks for the SNAP B2B access-token endpoint (DOKU).\n' +
        'With no command: start the reference provider with a fresh key pair and run the\n' +
        'provider battery against it.',
    )
    .version(toolVersion)
    // The main job and the subcommands share option names (--profile, --json, ...): without
    // this, the program would take them from after the subcommand too, and the subcommand's
    // own --json or --profile would never be seen.
    .enablePositionalOptions()
    .showSuggestionAfterError()
    .exitOverride();

  batteryOptions(program).action(async (options) => {
    exitCode = await mainJob(options, output);
  });

  batteryOptions(
    program
      .command('provider')
      .description('run the provider battery against any token endpoint')
      .argument('<base-url>', 'e.g. http://127.0.0.1:8080 or https://provider.example')
      .requiredOption('--client-id <id>', 'X-CLIENT-KEY to send')
      .requiredOption('--private-key <file>', 'the client private key (PEM)')
      .option('--passphrase-env <var>', 'environment variable holding the key passphrase'),
  ).action(async (baseUrl: string, options) => {
    exitCode = await providerCommand(baseUrl, options, output);
  });

  program
    .command('mock')
    .description('run the reference provider until interrupted')
    .option('--port <n>', 'port to listen on (0: a free one)', positiveInteger('--port'), 0)
    .option('--host <host>', 'address to bind', '127.0.0.1')
    .option('--client <id=file>', 'register a client and its public key (repeatable)', collect, [])
    .addOption(profileOption())
    .option('--path <path>', 'token path')
    .option('--window <seconds>', 'accepted X-TIMESTAMP skew', positiveInteger('--window'), 300)
    .action(async (options) => {
      const provider = await mockCommand(options, output);
      await new Promise<void>((resolve) => {
        const stop = (): void => void provider.close().then(resolve);
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    });

  program
    .command('rules')
    .description('print the rule catalogue')
    .addOption(
      new Option('--profile <profile>', 'show severities for one profile').choices(
        profiles as Profile[],
      ),
    )
    .option('--json', 'as JSON')
    .action((options: { profile?: Profile; json?: boolean }) => {
      output.out(renderRules(options.json ? 'json' : 'text', options.profile).trimEnd());
    });

  addClientCommands(program);
  addPactCommands(program, output, (code) => {
    exitCode = code;
  });
  return program;
}

/** `client`, `doctor` and `sign`: judging a client and reproducing its requests. */
function addClientCommands(program: Command): void {
  const client = program
    .command('client')
    .description('judge a client: every token request it sends is answered and judged')
    .argument('[command...]', 'after --: the client command to run with SNAPCHECK_BASE_URL set')
    .option('--port <n>', 'port to listen on (0: a free one)', positiveInteger('--port'), 0)
    .option('--host <host>', 'address to bind', '127.0.0.1')
    .option('--client-id <id>', 'the client id the client sends')
    .option('--public-key <file>', "the client's public key (PEM)")
    .option('--client <id=file>', 'register another client (repeatable)', collect, [])
    .addOption(profileOption())
    .option('--path <path>', 'token path')
    .option('--window <seconds>', 'accepted X-TIMESTAMP skew', positiveInteger('--window'), 300)
    .option('--expect <n>', 'require at least n token requests', positiveInteger('--expect'), 1)
    .option('--url-env <name>', 'also put the base URL in this variable (repeatable)', collect, []);
  addReportOptions(client).action(async (command: string[], options) => {
    exitCode = await clientCommand(command, options, output);
  });

  program
    .command('doctor')
    .description('diagnose why a token request signature does not verify')
    .requiredOption('--public-key <file>', 'the public key registered for the client (PEM)')
    .option('--client-id <id>', 'X-CLIENT-KEY as sent')
    .option('--timestamp <value>', 'X-TIMESTAMP as sent')
    .option('--signature <base64>', 'X-SIGNATURE as sent')
    .option('--request <file>', 'a captured request: raw HTTP, JSON with headers, or a curl line')
    .option('--curl <command>', 'the curl command line that was sent')
    .option('--client <id=file>', 'other registered clients, to spot their keys', collect, [])
    .option('--client-secret-env <var>', 'variable with the client secret (HMAC hypothesis)')
    .action((options) => {
      exitCode = doctorCommand(options, output);
    });

  program
    .command('sign')
    .description('print signed token-request headers, or a curl command that sends them')
    .requiredOption('--client-id <id>', 'X-CLIENT-KEY')
    .requiredOption('--private-key <file>', 'the client private key (PEM)')
    .option('--passphrase-env <var>', 'environment variable holding the key passphrase')
    .option('--timestamp <value>', 'X-TIMESTAMP to sign (default: now, UTC)')
    .option('--curl <url>', 'print a curl command for this base URL instead')
    .option('--path <path>', 'token path for --curl')
    .action((options) => {
      signCommand(options, output);
    });
}

async function main(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (error) {
    exitCode = handle(error);
  }
  process.exitCode = exitCode;
}

function handle(error: unknown): ExitCodeValue {
  if (error instanceof CommanderError) {
    // Help and version exit 0; every other parse problem is a usage error.
    const benign = ['commander.helpDisplayed', 'commander.version', 'commander.help'];
    return benign.includes(error.code) ? ExitCode.conforming : ExitCode.usage;
  }
  if (error instanceof SnapcheckError) {
    output.err(`snapcheck: ${error.message}`);
    return error.exitCode;
  }
  const message = error instanceof Error ? error.message : String(error);
  output.err(
    `snapcheck: internal error: ${message} (please report it; DEBUG with NODE_DEBUG=snapcheck*)`,
  );
  return ExitCode.usage;
}

await main(process.argv);
