/**
 * Errors snapcheck throws for misuse: bad options, unreadable or malformed keys, bad URLs.
 * A non-conforming message is never an error: checks return findings instead.
 */

/** Process exit codes, the same in every mode (README "Exit codes"). */
export const ExitCode = {
  conforming: 0,
  notConforming: 1,
  usage: 2,
  unreachable: 3,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** A problem the user can fix; `message` is one line saying what to do. */
export class SnapcheckError extends Error {
  readonly code: string;
  readonly exitCode: ExitCodeValue;

  constructor(code: string, message: string, exitCode: ExitCodeValue = ExitCode.usage) {
    super(message);
    this.name = 'SnapcheckError';
    this.code = code;
    this.exitCode = exitCode;
  }
}

/** A key that cannot be read or used; `code` names the problem (`ERR_KEY_…`). */
export class KeyError extends SnapcheckError {
  constructor(code: string, message: string) {
    super(code, message, ExitCode.usage);
    this.name = 'KeyError';
  }
}
