/** snapcheck's own version, read from the shipped package.json. */
import { readShipped } from './spec/files.js';

export const toolVersion: string = (
  JSON.parse(readShipped('package.json').text) as { version: string }
).version;
