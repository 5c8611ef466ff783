/**
 * Reading files a user names: only regular files, and only up to a size that fits their purpose,
 * so a wrong path (a device, a FIFO, a log) fails at once instead of hanging or eating memory.
 */
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';

/**
 * Reads a regular file of at most `maxBytes`. Throws an error carrying `code` (an OS code, or
 * `ENOTREG` / `ETOOBIG`) and a short `reason`; callers wrap it in their own error.
 */
export function readRegularFile(path: string, maxBytes: number): Buffer {
  // O_NONBLOCK: opening a FIFO with no writer must not block before the type check.
  const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const stat = fstatSync(fd);
    if (stat.isDirectory()) throw problem('EISDIR', 'a directory');
    if (!stat.isFile()) throw problem('ENOTREG', 'not a regular file');
    if (stat.size > maxBytes) throw problem('ETOOBIG', `${stat.size} bytes, larger than expected`);

    const buffer = Buffer.alloc(stat.size);
    let offset = 0;
    while (offset < buffer.length) {
      const read = readSync(fd, buffer, offset, buffer.length - offset, offset);
      if (read === 0) break;
      offset += read;
    }
    return buffer.subarray(0, offset);
  } finally {
    closeSync(fd);
  }
}

function problem(code: string, reason: string): NodeJS.ErrnoException {
  return Object.assign(new Error(reason), { code, reason });
}
