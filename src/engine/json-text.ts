/**
 * Properties of a JSON text that JSON.parse hides: the encoding (RFC 8259 §8.1 makes UTF-8
 * mandatory between systems, while Buffer#toString quietly turns bad bytes into U+FFFD) and
 * repeated names (RFC 8259 §4: names SHOULD be unique; parsers then keep the first value, the
 * last, or refuse the text, so the sender's meaning is lost).
 */

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** The text of `bytes`, or undefined when they are not valid UTF-8. */
export function decodeUtf8(bytes: Uint8Array): string | undefined {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return undefined;
  }
}

/** Index of the quote that closes the string opening at `start`. */
function stringEnd(text: string, start: number): number {
  let index = start + 1;
  while (index < text.length && text[index] !== '"') index += text[index] === '\\' ? 2 : 1;
  return index;
}

/**
 * The names that appear more than once in the same object, in order of their repetition.
 * `text` must already be known to parse; the scan is iterative, so nesting depth is no risk.
 */
export function repeatedNames(text: string): string[] {
  const objects: (Set<string> | undefined)[] = [];
  const repeated: string[] = [];
  let expectName = false;

  for (let index = 0; index < text.length; index += 1) {
    const char = text[index];
    if (char === '"') {
      const end = stringEnd(text, index);
      const names = objects[objects.length - 1];
      if (expectName && names) {
        const name = JSON.parse(text.slice(index, end + 1)) as string;
        if (names.has(name)) repeated.push(name);
        names.add(name);
        expectName = false;
      }
      index = end;
    } else if (char === '{' || char === '[') {
      objects.push(char === '{' ? new Set() : undefined);
      expectName = char === '{';
    } else if (char === '}' || char === ']') {
      objects.pop();
      expectName = false;
    } else if (char === ',') {
      expectName = objects[objects.length - 1] !== undefined;
    }
  }
  return repeated;
}
