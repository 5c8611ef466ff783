/**
 * The snapcheck command line. Every failure the user can fix ends in one line on stderr and a
 * distinct exit code (README "Exit codes"); nothing here prints a stack trace.
 */
import { Command, CommanderError, Option } from 'commander';

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
import { clientId, closest, integerIn, tokenPath, variableName } from './validate.js';

const output: Output = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

const port = integerIn('--port', 0, 65535);
const windowSeconds = integerIn('--window', 1, 86_400, ' seconds');
// Node timers overflow past 2^31 - 1 ms; ten minutes is far beyond any token call.
const timeoutMs = integerIn('--timeout', 1, 600_000, ' ms');

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
    .option('--path <path>', 'token path (other SNAP providers: /v1.0/access-token/b2b)', tokenPath)
    .option('--timeout <ms>', 'per-request timeout in ms', timeoutMs, 5000)
    .option('--window <seconds>', 'accepted X-TIMESTAMP skew', windowSeconds, 300);

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
    // Words the main job does not take are mistyped commands: named below, with a suggestion.
    .allowExcessArguments(true)
    .exitOverride();

  batteryOptions(program).action(async (options, command: Command) => {
    const [word, topic] = command.args;
    if (word === 'help') {
      (program.commands.find((c) => c.name() === topic) ?? program).outputHelp();
      return;
    }
    if (word !== undefined) throw unknownCommand(program, word);
    exitCode = await mainJob(options, output);
  });
  program.hook('preSubcommand', (root, sub) => refuseOptionsBefore(root, sub));

  batteryOptions(
    program
      .command('provider')
      .description('run the provider battery against any token endpoint')
      .argument('<base-url>', 'e.g. http://127.0.0.1:8080 or https://provider.example')
      // Checked in the action, after <base-url>, so a bare `provider` asks for the URL first.
      .option('--client-id <id>', 'X-CLIENT-KEY to send (required)', clientId)
      .option('--private-key <file>', 'the client private key, PEM (required)')
      .option('--passphrase-env <var>', 'environment variable holding the key passphrase'),
  ).action(async (baseUrl: string, options) => {
    for (const [flag, value] of [
      ['--client-id ID', options.clientId],
      ['--private-key FILE', options.privateKey],
    ]) {
      if (value === undefined) {
        throw new SnapcheckError(
          'ERR_USAGE',
          `provider needs ${flag}; see snapcheck provider --help`,
        );
      }
    }
    exitCode = await providerCommand(baseUrl, options, output);
  });

  program
    .command('mock')
    .description('run the reference provider until interrupted')
    .option('--port <n>', 'port to listen on (0: a free one)', port, 0)
    .option('--host <host>', 'address to bind', '127.0.0.1')
    .option('--client <id=file>', 'register a client and its public key (repeatable)', collect, [])
    .addOption(profileOption())
    .option('--path <path>', 'token path', tokenPath)
    .option('--window <seconds>', 'accepted X-TIMESTAMP skew', windowSeconds, 300)
    .action(async (options) => {
      // Listen from the start: a signal while the mock starts must still clean up its demo key.
      const stopped = new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      const provider = await mockCommand(options, output);
      await stopped;
      await provider.close();
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

function unknownCommand(program: Command, typed: string): SnapcheckError {
  const names = program.commands.map((command) => command.name());
  const guess = closest(typed, names);
  return new SnapcheckError(
    'ERR_USAGE',
    `unknown command "${typed}"${guess ? ` (did you mean ${guess}?)` : ''}; ` +
      `commands: ${names.join(', ')}`,
  );
}

/**
 * `snapcheck --profile snap provider …` would give --profile to the main job and run the
 * provider under its default: refuse it and say where the option goes.
 */
function refuseOptionsBefore(root: Command, sub: Command): void {
  const given = root.options.filter((option) => {
    const source = root.getOptionValueSource(option.attributeName());
    return source === 'cli' || source === 'env';
  });
  const first = given[0];
  if (first) {
    throw new SnapcheckError(
      'ERR_USAGE',
      `${first.long} goes after the command: snapcheck ${sub.name()} … ${first.long}`,
    );
  }
}

/** `client`, `doctor` and `sign`: judging a client and reproducing its requests. */
function addClientCommands(program: Command): void {
  const client = program
    .command('client')
    .description('judge a client: every token request it sends is answered and judged')
    .argument('[command...]', 'after --: the client command to run with SNAPCHECK_BASE_URL set')
    .option('--port <n>', 'port to listen on (0: a free one)', port, 0)
    .option('--host <host>', 'address to bind', '127.0.0.1')
    .option('--client-id <id>', 'the client id the client sends', clientId)
    .option('--public-key <file>', "the client's public key (PEM)")
    .option('--client <id=file>', 'register another client (repeatable)', collect, [])
    .addOption(profileOption())
    .option('--path <path>', 'token path', tokenPath)
    .option('--window <seconds>', 'accepted X-TIMESTAMP skew', windowSeconds, 300)
    .option(
      '--expect <n>',
      'require at least n token requests',
      integerIn('--expect', 1, 100_000),
      1,
    )
    .option(
      '--url-env <name>',
      'also put the base URL in this variable (repeatable)',
      (value: string, previous: string[]) => [...previous, variableName(value)],
      [],
    );
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
    .requiredOption('--client-id <id>', 'X-CLIENT-KEY', clientId)
    .requiredOption('--private-key <file>', 'the client private key (PEM)')
    .option('--passphrase-env <var>', 'environment variable holding the key passphrase')
    .option('--timestamp <value>', 'X-TIMESTAMP to sign (default: now, UTC)')
    .option('--curl <url>', 'print a curl command for this base URL instead')
    .option('--path <path>', 'token path for --curl', tokenPath)
    .action((options) => {
      signCommand(options, output);
    });
}

async function main(argv: string[]): Promise<void> {
  // A reader that stops early (`| head`) closes the pipe: stop quietly, as other tools do.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE') process.exit(exitCode);
      throw error;
    });
  }
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
  const message = (error instanceof Error ? error.message : String(error)).split('\n')[0];
  if (process.env.SNAPCHECK_DEBUG && error instanceof Error) output.err(error.stack ?? message!);
  output.err(
    `snapcheck: internal error: ${message} (please report it, with the stack trace that ` +
      'SNAPCHECK_DEBUG=1 prints)',
  );
  return ExitCode.usage;
}

await main(process.argv);
