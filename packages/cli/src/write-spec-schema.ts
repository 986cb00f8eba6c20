// Writes docs/simulation-spec.schema.json (the spec files' JSON Schema, for editors) from the API's schema.
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { simulationSpecJsonSchema } from '@kunlun/contracts';

const file = fileURLToPath(new URL('../../../docs/simulation-spec.schema.json', import.meta.url));
await writeFile(file, `${JSON.stringify(simulationSpecJsonSchema(), null, 2)}\n`);
console.log(`wrote ${file}`);
