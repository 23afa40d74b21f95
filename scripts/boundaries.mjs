// `npm run boundaries`: dependency-cruiser with .dependency-cruiser.cjs over the given roots,
// from the current directory. Why not the `depcruise` CLI directly: it exits with the number of
// errors, and the shell keeps only the low 8 bits of that — 256 violations would exit 0.
//
//   node scripts/boundaries.mjs [--output-type err|json|…] <root>…
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { cruise, format } from 'dependency-cruiser';
import extractDepcruiseOptions from 'dependency-cruiser/config-utl/extract-depcruise-options';

const configFile = fileURLToPath(new URL('../.dependency-cruiser.cjs', import.meta.url));

const args = process.argv.slice(2);
let outputType = 'err';
const typeFlag = args.indexOf('--output-type');
if (typeFlag !== -1) {
  outputType = args[typeFlag + 1] ?? outputType;
  args.splice(typeFlag, 2);
}
const roots = args;
const missing = roots.filter((root) => !existsSync(root));
if (roots.length === 0 || missing.length > 0) {
  console.error(
    roots.length === 0
      ? 'boundaries: name the folders to check'
      : `boundaries: missing ${missing.join(', ')} (in ${process.cwd()})`,
  );
  process.exit(2);
}

const options = await extractDepcruiseOptions(configFile);
// Without an outputType, cruise returns the result itself; render it afterwards.
const { output: result } = await cruise(roots, options);
if (typeof result === 'string') throw new Error('boundaries: expected a cruise result object');
const { output } = await format(result, { outputType });
process.stdout.write(String(output));
process.exitCode = result.summary.error > 0 ? 1 : 0;
