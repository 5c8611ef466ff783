/**
 * Option values checked where they are parsed, so a bad one is a one-line usage error before
 * anything runs, not a confusing result afterwards.
 */
import { InvalidArgumentError } from 'commander';

/** A whole number within [min, max]; the option's name goes in the message. */
export function integerIn(
  name: string,
  min: number,
  max: number,
  unit = '',
): (value: string) => number {
  return (value) => {
    const parsed = Number(value);
    if (value.trim() === '' || !Number.isInteger(parsed) || parsed < min || parsed > max) {
      throw new InvalidArgumentError(
        `${name} takes a whole number from ${min} to ${max}${unit}, got "${value}"`,
      );
    }
    return parsed;
  };
}

/** A token path: absolute, one leading slash, no scheme or host that would redirect requests. */
export function tokenPath(value: string): string {
  if (!/^\/(?!\/)[!-~]*$/.test(value) || /^\/[^/]*:\/\//.test(value)) {
    throw new InvalidArgumentError(
      `--path takes an absolute path such as /v1.0/access-token/b2b, got "${value}"`,
    );
  }
  return value;
}

/** An environment variable name, as POSIX shells accept it. */
export function variableName(value: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(value)) {
    throw new InvalidArgumentError(`"${value}" is not a valid environment variable name`);
  }
  return value;
}

/** A client id as X-CLIENT-KEY can carry it (openapi.yaml ClientKey). */
export function clientId(value: string): string {
  if (!/^[!-~]{1,128}$/.test(value)) {
    throw new InvalidArgumentError(
      'a client id is 1-128 printable ASCII characters without spaces, ' +
        `got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

/** Edit distance, for "did you mean" on a mistyped command. */
function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= b.length; j += 1) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
    }
    previous = current;
  }
  return previous[b.length]!;
}

/** The known name closest to `typed`, when it is close enough to be a typo. */
export function closest(typed: string, known: string[]): string | undefined {
  const ranked = known
    .map((name) => ({ name, score: distance(typed, name) }))
    .sort((a, b) => a.score - b.score);
  const best = ranked[0];
  return best && best.score <= Math.max(2, Math.floor(typed.length / 3)) ? best.name : undefined;
}
