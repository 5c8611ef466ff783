/**
 * `snapcheck doctor`: the signature doctor for someone holding only a failed request, given as
 * flags, as a captured request file, or as the curl command line that was sent.
 */
import { diagnoseSignature } from '../doctor/signature-doctor.js';
import { headerValue } from '../engine/headers.js';
import { redact } from '../engine/render.js';
import { ExitCode, SnapcheckError, type ExitCodeValue } from '../errors.js';
import { readRegularFile } from '../io.js';
import { parseTimestamp } from '../timestamp.js';
import type { Output } from './battery-command.js';
import { fromCurlText, readCaptured, type CapturedRequest } from './captured-request.js';
import { clientsFrom } from './keys.js';

export interface DoctorOptions {
  clientId?: string;
  timestamp?: string;
  signature?: string;
  publicKey: string;
  client: string[];
  request?: string;
  curl?: string;
  clientSecretEnv?: string;
}

/** A captured request is at most this large; a bigger file is a wrong path. */
const MAX_REQUEST_FILE_BYTES = 1 << 20;

function captured(options: DoctorOptions): CapturedRequest {
  if (options.curl !== undefined && options.request !== undefined) {
    throw new SnapcheckError('ERR_DOCTOR_INPUT', 'give --request FILE or --curl, not both');
  }
  if (options.curl !== undefined) return fromCurlText(options.curl);
  if (options.request === undefined) return { headers: {} };

  let text: string;
  try {
    text = readRegularFile(options.request, MAX_REQUEST_FILE_BYTES).toString('utf8');
  } catch (error) {
    const { code, message } = error as NodeJS.ErrnoException;
    const reason =
      code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : message;
    throw new SnapcheckError('ERR_REQUEST_FILE', `cannot read ${options.request}: ${reason}`);
  }
  return readCaptured(text);
}

function clientSecret(variable: string | undefined): string | undefined {
  if (variable === undefined) return undefined;
  const value = process.env[variable];
  if (value === undefined || value === '') {
    throw new SnapcheckError(
      'ERR_SECRET_ENV',
      `environment variable ${variable} (from --client-secret-env) is not set`,
    );
  }
  return value;
}

function required(value: string | undefined, header: string, flag: string): string {
  if (value === undefined) {
    throw new SnapcheckError(
      'ERR_DOCTOR_INPUT',
      `no ${header}: give ${flag}, or a request with --request FILE or --curl "curl …"`,
    );
  }
  return value;
}

export function doctorCommand(options: DoctorOptions, output: Output): ExitCodeValue {
  const request = captured(options);
  const clientId = required(
    options.clientId ?? headerValue(request.headers, 'X-CLIENT-KEY'),
    'X-CLIENT-KEY',
    '--client-id',
  );
  const timestamp = required(
    options.timestamp ?? headerValue(request.headers, 'X-TIMESTAMP'),
    'X-TIMESTAMP',
    '--timestamp',
  );
  const signature = required(
    options.signature ?? headerValue(request.headers, 'X-SIGNATURE'),
    'X-SIGNATURE',
    '--signature',
  );

  const [registered, ...others] = clientsFrom(
    options.client,
    { clientId, publicKey: options.publicKey },
    output,
  );
  const secret = clientSecret(options.clientSecretEnv);

  const started = performance.now();
  const diagnosis = diagnoseSignature({
    clientId,
    timestamp,
    signature,
    keys: registered!.publicKeys,
    others: others.flatMap((c) => c.publicKeys.map((key) => ({ clientId: c.clientId, key }))),
    ...(secret !== undefined ? { clientSecret: secret } : {}),
    ...(request.body !== undefined ? { body: request.body } : {}),
  });
  const elapsed = performance.now() - started;

  const parsed = parseTimestamp(timestamp);
  output.out(`X-CLIENT-KEY  ${clientId}`);
  output.out(`X-TIMESTAMP   ${timestamp}${parsed.ok ? '' : `  (not valid: ${parsed.reason})`}`);
  output.out(`X-SIGNATURE   ${redact(signature)}`);
  output.out('');
  output.out(`diagnosis     ${diagnosis.summary}${diagnosis.cause ? ` [${diagnosis.cause}]` : ''}`);
  output.out(`fix           ${diagnosis.fix}`);
  for (const fact of diagnosis.facts) output.out(`evidence      ${fact}`);
  output.out(`tried         ${diagnosis.tried} hypotheses in ${elapsed.toFixed(1)} ms`);
  return diagnosis.outcome === 'verifies' ? ExitCode.conforming : ExitCode.notConforming;
}
