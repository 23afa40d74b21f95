// Copies runtime assets that tsc does not emit (the .sql files, loaded with
// `new URL('./x.sql', import.meta.url)`) from src/ to the same place under dist/src/, and removes
// copies whose source is gone so a deleted query cannot linger in a build.
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const assetRoots = ['src'];
const isAsset = (file) => file.endsWith('.sql');

/** Relative paths (with the platform separator) of the assets under `dir`. */
function assetsUnder(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && isAsset(entry.name))
    .map((entry) => relative(dir, join(entry.parentPath ?? entry.path, entry.name)));
}

let copied = 0;
let removed = 0;
for (const assetRoot of assetRoots) {
  const from = join(root, assetRoot);
  const to = join(root, 'dist', assetRoot);
  const sources = assetsUnder(from);
  for (const file of sources) {
    mkdirSync(dirname(join(to, file)), { recursive: true });
    copyFileSync(join(from, file), join(to, file));
    copied += 1;
  }
  const wanted = new Set(sources);
  for (const file of assetsUnder(to)) {
    if (!wanted.has(file)) {
      rmSync(join(to, file));
      removed += 1;
    }
  }
}
console.log(`copy-assets: ${copied} copied${removed ? `, ${removed} stale removed` : ''}`);
