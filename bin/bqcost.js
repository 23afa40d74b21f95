#!/usr/bin/env node
// The CLI is compiled to dist/ by `npm run build` (which `npm install` runs through `prepare`).
import { fileURLToPath } from 'node:url';

const entry = new URL('../dist/src/cli/main.js', import.meta.url);
try {
  await import(entry.href);
} catch (error) {
  const missing = fileURLToPath(entry);
  if (error?.code === 'ERR_MODULE_NOT_FOUND' && String(error.message).includes(missing)) {
    console.error(`bqcost: ${missing} is missing; run \`npm run build\` first.`);
    process.exit(1);
  }
  throw error;
}
