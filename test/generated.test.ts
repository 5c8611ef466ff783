import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';

import openapiTS, { astToString } from 'openapi-typescript';

describe('typed bindings', () => {
  it('src/generated/openapi.ts is what `npm run generate` makes of openapi.yaml', async () => {
    const ast = await openapiTS(new URL('../openapi.yaml', import.meta.url), {
      emptyObjectsUnknown: true,
    });
    const fresh = astToString(ast);
    const committed = readFileSync('src/generated/openapi.ts', 'utf8');
    const body = (text: string): string => text.slice(text.indexOf('export'));
    assert.equal(
      body(committed),
      body(fresh),
      'src/generated/openapi.ts is stale: run `npm run generate` and commit the result',
    );
  });
});
